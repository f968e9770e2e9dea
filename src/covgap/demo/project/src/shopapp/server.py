"""The shop's HTTP JSON API, built on :mod:`http.server`.

Run it with ``python -m shopapp.server --port 0``; the first line printed is
``listening on HOST:PORT``.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from shopapp import __version__
from shopapp.auth import (
    AccountLocked,
    Authenticator,
    AuthError,
    InMemoryUserStore,
    User,
    WeakPassword,
)
from shopapp.catalog import Catalog, CatalogError, OutOfStock, ProductNotFound, paginate
from shopapp.catalog import demo_catalog as build_demo_catalog
from shopapp.config import Settings
from shopapp.ratelimit import SlidingWindowLimiter
from shopapp.sessions import SessionManager

logger = logging.getLogger("shopapp.server")

MAX_BODY_BYTES = 64 * 1024
JSONValue = Any
Headers = dict[str, str]

# Domain exceptions and the HTTP status they map to; first match wins.
ERROR_STATUSES: list[tuple[type[Exception], int]] = [
    (AuthError, 401),
    (ProductNotFound, 404),
    (OutOfStock, 409),
    (CatalogError, 400),
    (ValueError, 400),
]


class HTTPError(Exception):
    """Raised by handlers to produce an error response."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    """The parts of an HTTP request that handlers need."""

    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    client: str = "127.0.0.1"

    def json(self) -> dict[str, JSONValue]:
        if not self.body:
            return {}
        try:
            data = json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise HTTPError(400, "request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise HTTPError(400, "request body must be a JSON object")
        return data

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def int_param(self, name: str, default: int | None = None) -> int | None:
        # A malformed number raises ValueError, which handle() turns into a 400.
        raw = self.param(name)
        return default if raw is None else int(raw)

    @property
    def bearer_token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return token.strip()


Response = tuple[int, JSONValue, Headers]
Handler = Callable[..., Response]


def json_response(payload: JSONValue, status: int = 200, **headers: str) -> Response:
    return status, payload, dict(headers)


class Router:
    """Maps ``METHOD /path/{param}`` patterns to handler callables."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        regex = re.compile(
            "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.rstrip("/")) + "/?$"
        )

        def register(handler: Handler) -> Handler:
            self._routes.append((method.upper(), regex, handler))
            return handler

        return register

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        for route_method, regex, handler in self._routes:
            match = regex.match(path)
            if match is not None and route_method == method:
                return handler, match.groupdict()
        raise HTTPError(404, f"no route for {method} {path}")


class ShopApp:
    """The application: wires the domain services to HTTP routes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.catalog = Catalog()
        self.users = InMemoryUserStore()
        self.auth = Authenticator(
            self.users,
            max_attempts=settings.max_login_attempts,
            lockout_seconds=settings.lockout_seconds,
        )
        self.sessions = SessionManager(settings.secret_key, ttl=settings.session_ttl)
        self.limiter = SlidingWindowLimiter(settings.rate_limit_per_minute, 60.0)
        self.started = time.monotonic()
        self.router = Router()
        self._register_routes()

    def seed_demo_data(self) -> None:
        """Populate the demo catalog and two demo accounts."""
        self.catalog.extend(build_demo_catalog())
        self.auth.register("alice", "Wonderland42", "alice@example.com")
        self.auth.register("admin", "Sup3rSecret!", "admin@example.com", ["admin"])

    # -- request handling -------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Turn a request into ``(status, payload, headers)``; never raises."""
        decision = self.limiter.hit(request.client)
        if not decision.allowed:
            return json_response(
                {"error": "too many requests"}, 429, **decision.headers()
            )
        try:
            handler, params = self.router.resolve(request.method, request.path)
            return handler(request, **params)
        except HTTPError as exc:
            return json_response({"error": exc.message}, exc.status)
        except AccountLocked as exc:
            retry = str(int(exc.retry_after) + 1)
            return json_response({"error": str(exc)}, 423, **{"Retry-After": retry})
        except (AuthError, CatalogError, ValueError) as exc:
            status = next(c for kind, c in ERROR_STATUSES if isinstance(exc, kind))
            return json_response({"error": str(exc)}, status)
        except Exception:
            logger.exception("unhandled error for %s %s", request.method, request.path)
            return json_response({"error": "internal server error"}, 500)

    def _current_user(self, request: Request) -> User:
        session = self.sessions.get(request.bearer_token)
        if session is None:
            raise HTTPError(401, "authentication required")
        user = self.users.get(session.username)
        if user is None or not user.active:
            self.sessions.revoke(session.token)
            raise HTTPError(401, "authentication required")
        return user

    # -- routes -----------------------------------------------------------

    def _register_routes(self) -> None:
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/health", self.health),
            ("GET", "/products", self.list_products),
            ("GET", "/products/{sku}", self.get_product),
            ("GET", "/categories", self.categories),
            ("POST", "/register", self.register),
            ("POST", "/login", self.login),
            ("POST", "/logout", self.logout),
            ("GET", "/me", self.me),
        ]
        for method, pattern, handler in routes:
            self.router.route(method, pattern)(handler)

    def health(self, request: Request) -> Response:
        return json_response(
            {
                "status": "ok",
                "version": __version__,
                "uptime": round(time.monotonic() - self.started, 3),
                "products": len(self.catalog),
            }
        )

    def list_products(self, request: Request) -> Response:
        in_stock = request.param("in_stock", "false") in ("1", "true", "yes")
        results = self.catalog.search(
            request.param("q", "") or "",
            category=request.param("category"),
            min_price=request.int_param("min_price"),
            max_price=request.int_param("max_price"),
            in_stock=in_stock,
            sort=request.param("sort", "relevance") or "relevance",
        )
        page = paginate(
            results,
            request.int_param("page", 1) or 1,
            request.int_param("per_page", 20) or 20,
        )
        return json_response(
            {
                "items": [product.to_dict() for product in page.items],
                "page": page.page,
                "pages": page.pages,
                "total": page.total,
            }
        )

    def get_product(self, request: Request, sku: str) -> Response:
        product = self.catalog.get(sku)
        return json_response({**product.to_dict(), "description": product.description})

    def categories(self, request: Request) -> Response:
        return json_response(self.catalog.categories())

    def register(self, request: Request) -> Response:
        data = request.json()
        username, password, email = (
            data.get("username"),
            data.get("password"),
            data.get("email"),
        )
        if not all(isinstance(value, str) for value in (username, password, email)):
            raise HTTPError(400, "username, password and email are required")
        try:
            user = self.auth.register(username, password, email)
        except WeakPassword as exc:
            body = {"error": "weak password", "problems": exc.problems}
            return json_response(body, 422)
        return json_response(user.public(), 201, Location="/me")

    def login(self, request: Request) -> Response:
        data = request.json()
        username, password = data.get("username"), data.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise HTTPError(400, "username and password are required")
        user = self.auth.login(username, password)
        session = self.sessions.create(user.username, client=request.client)
        return json_response({"token": session.token, "expires_at": session.expires_at})

    def logout(self, request: Request) -> Response:
        token = request.bearer_token
        if token is None or not self.sessions.revoke(token):
            raise HTTPError(401, "not logged in")
        return json_response({"status": "logged out"})

    def me(self, request: Request) -> Response:
        user = self._current_user(request)
        return json_response(user.public())


# -- HTTP plumbing -----------------------------------------------------------


class ShopRequestHandler(BaseHTTPRequestHandler):
    """Adapts :mod:`http.server` requests to :meth:`ShopApp.handle`."""

    server: ShopHTTPServer
    server_version = f"shopapp/{__version__}"

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise HTTPError(413, "request body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        try:
            body = self._read_body()
        except HTTPError as exc:
            self._send(exc.status, {"error": exc.message}, {"Connection": "close"})
            return
        request = Request(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query),
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
            client=self.client_address[0],
        )
        status, payload, headers = self.server.app.handle(request)
        self._send(status, payload, headers)

    def _send(self, status: int, payload: JSONValue, headers: Headers) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.settings.debug:
            super().log_message(format, *args)


class ShopHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: ShopApp) -> None:
        self.app = app
        super().__init__(address, ShopRequestHandler)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shopapp.server", description=__doc__)
    parser.add_argument("--port", type=int, help="0 picks a free port")
    parser.add_argument("--no-demo-data", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    if args.port is not None:
        settings = replace(settings, port=args.port)
    logging.basicConfig(level=logging.DEBUG if settings.debug else logging.WARNING)
    for problem in settings.problems():
        logger.warning("configuration: %s", problem)

    app = ShopApp(settings)
    if not args.no_demo_data:
        app.seed_demo_data()

    def stop(signum: int, frame: object) -> None:
        # Raising here unwinds serve_forever() in the main thread, so the
        # interpreter exits normally and atexit hooks (coverage!) still run.
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    httpd = ShopHTTPServer((settings.host, settings.port), app)
    host, port = httpd.server_address[:2]
    print(f"listening on {host}:{port}", flush=True)
    try:
        httpd.serve_forever(poll_interval=0.1)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
