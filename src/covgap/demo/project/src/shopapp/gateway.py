"""Client for the external payment and shipping provider's HTTP API."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

USER_AGENT = "shopapp-gateway/1.0"
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


class GatewayError(Exception):
    """Base class: the provider could not fulfil the request."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GatewayValidationError(GatewayError):
    """HTTP 400/422: our request was malformed."""


class GatewayAuthError(GatewayError):
    """HTTP 401/403: bad or revoked API key."""


class GatewayNotFound(GatewayError):
    """HTTP 404."""


class GatewayRateLimited(GatewayError):
    """HTTP 429: back off for ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, 429)
        self.retry_after = retry_after


class GatewayUnavailable(GatewayError):
    """Timeouts, connection failures and 5xx responses (after retries)."""


@dataclass(frozen=True)
class ShippingQuote:
    carrier: str
    price: int
    currency: str
    days: int


def _error_message(body: bytes) -> str:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return body[:200].decode("utf-8", "replace") or "no details"
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        return str(error.get("message", error))
    return str(error or payload)


_CLIENT_ERRORS: dict[int, type[GatewayError]] = {
    400: GatewayValidationError,
    422: GatewayValidationError,
    401: GatewayAuthError,
    403: GatewayAuthError,
    404: GatewayNotFound,
}


def map_http_error(
    status: int, body: bytes, headers: Mapping[str, str]
) -> GatewayError:
    """Translate an HTTP error response into the matching exception."""
    message = _error_message(body)
    client_error = _CLIENT_ERRORS.get(status)
    if client_error is not None:
        return client_error(message, status)
    if status == 429:
        try:
            retry_after = float(headers.get("Retry-After", "1"))
        except ValueError:
            retry_after = 1.0
        return GatewayRateLimited(message, retry_after)
    if status >= 500:
        return GatewayUnavailable(message, status)
    return GatewayError(f"unexpected status {status}: {message}", status)


class GatewayClient:
    """A small, retrying JSON-over-HTTP client for the provider API."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.5,
        opener: Callable[..., Any] = urllib.request.urlopen,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._open = opener
        self._sleep = sleep

    def _build(
        self, method: str, path: str, payload: Mapping[str, Any] | None
    ) -> urllib.request.Request:
        data = None
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if payload is not None:
            data = json.dumps(payload).encode("utf-8")
            headers["Content-Type"] = "application/json"
        url = f"{self.base_url}/{path.lstrip('/')}"
        return urllib.request.Request(url, data=data, headers=headers, method=method)

    def request(
        self,
        method: str,
        path: str,
        payload: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Send a request, retrying transient failures with exponential backoff."""
        req = self._build(method, path, payload)
        if idempotency_key:
            req.add_header("Idempotency-Key", idempotency_key)
        # Only retry requests that are safe to repeat.
        can_retry = method in ("GET", "HEAD") or idempotency_key is not None
        attempts = self.retries + 1 if can_retry else 1
        last_error: GatewayError | None = None

        for attempt in range(attempts):
            if attempt:
                self._sleep(self.backoff * 2 ** (attempt - 1))
            try:
                with self._open(req, timeout=self.timeout) as response:
                    body = response.read()
            except urllib.error.HTTPError as exc:
                error = map_http_error(exc.code, exc.read(), exc.headers)
                if exc.code not in RETRYABLE_STATUSES:
                    raise error from exc
                last_error = error
            except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
                last_error = GatewayUnavailable(f"cannot reach gateway: {exc}")
            else:
                if not body:
                    return {}
                try:
                    decoded = json.loads(body)
                except json.JSONDecodeError as exc:
                    raise GatewayError("gateway returned invalid JSON") from exc
                if not isinstance(decoded, dict):
                    raise GatewayError("gateway returned a non-object response")
                return decoded
        assert last_error is not None
        raise last_error

    def create_charge(
        self, amount: int, currency: str, card_token: str, *, idempotency_key: str
    ) -> str:
        """Charge a tokenised card; returns the provider's charge id."""
        result = self.request(
            "POST",
            "/charges",
            {"amount": amount, "currency": currency, "source": card_token},
            idempotency_key=idempotency_key,
        )
        if result.get("status") != "succeeded":
            raise GatewayError(f"charge not successful: {result.get('status')}")
        return str(result["id"])

    def refund(self, charge_id: str, amount: int | None = None) -> str:
        """Refund a provider charge, fully or partially; returns the refund id."""
        payload: dict[str, Any] = {"charge": charge_id}
        if amount is not None:
            payload["amount"] = amount
        result = self.request("POST", "/refunds", payload, idempotency_key=charge_id)
        return str(result["id"])

    def shipping_quotes(
        self, destination: str, weight_grams: int, currency: str = "EUR"
    ) -> list[ShippingQuote]:
        """Available shipping options for a parcel, cheapest first."""
        if weight_grams <= 0:
            raise ValueError("weight must be positive")
        query = urllib.parse.urlencode(
            {"to": destination, "weight": weight_grams, "currency": currency}
        )
        result = self.request("GET", f"/shipping/quotes?{query}")
        quotes = [
            ShippingQuote(q["carrier"], int(q["price"]), currency, int(q["days"]))
            for q in result.get("quotes", [])
            if q.get("available", True)
        ]
        return sorted(quotes, key=lambda q: (q.price, q.days))

    def track(self, tracking_number: str) -> list[str]:
        """Tracking events of a shipment, oldest first."""
        safe = urllib.parse.quote(tracking_number, safe="")
        events = self.request("GET", f"/shipments/{safe}/events").get("events", [])
        return [f"{e['time']} {e['status']}" for e in sorted(events, key=_event_time)]


def _event_time(event: Mapping[str, Any]) -> str:
    return str(event["time"])
