"""Charges and refunds, with idempotency keys and currency validation."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum

# Number of decimal places ("minor unit exponent") per ISO 4217 currency.
CURRENCY_EXPONENTS = {"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "JPY": 0}
MAX_CHARGE = 1_000_000_00


class PaymentError(Exception):
    """Base class of payment errors."""


class InvalidAmount(PaymentError):
    """Zero, negative, too large or too precise amounts."""


class UnsupportedCurrency(PaymentError):
    """Unknown or disabled currency."""


class ChargeNotFound(PaymentError, KeyError):
    """No charge with that id."""


class PaymentDeclined(PaymentError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"payment declined: {reason}")
        self.reason = reason


class RefundError(PaymentError):
    """The refund is not possible (failed charge, amount too large)."""


class IdempotencyConflict(PaymentError):
    """An idempotency key was reused with different parameters."""


def validate_currency(currency: str, allowed: frozenset[str] | None = None) -> str:
    """Normalise a currency code and check that we can process it."""
    code = currency.strip().upper()
    if code not in CURRENCY_EXPONENTS:
        raise UnsupportedCurrency(f"unknown currency {currency!r}")
    if allowed is not None and code not in allowed:
        raise UnsupportedCurrency(f"currency {code} is not enabled")
    return code


def to_minor_units(amount: str | int | Decimal, currency: str) -> int:
    """Convert a decimal amount such as ``"12.50"`` to minor units (``1250``)."""
    exponent = CURRENCY_EXPONENTS[validate_currency(currency)]
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise InvalidAmount(f"not a number: {amount!r}") from None
    if not value.is_finite():
        raise InvalidAmount("amount must be finite")
    quantum = Decimal(1).scaleb(-exponent)
    if value != value.quantize(quantum):
        raise InvalidAmount(f"{currency} supports only {exponent} decimal places")
    minor = int((value * (10**exponent)).to_integral_value(ROUND_HALF_UP))
    if minor <= 0:
        raise InvalidAmount("amount must be positive")
    if minor > MAX_CHARGE:
        raise InvalidAmount("amount exceeds the single charge limit")
    return minor


def format_amount(minor: int, currency: str) -> str:
    """Render minor units for humans, e.g. ``format_amount(1250, "EUR")``."""
    exponent = CURRENCY_EXPONENTS[currency]
    if exponent == 0:
        return f"{minor:,} {currency}"
    units, cents = divmod(abs(minor), 10**exponent)
    sign = "-" if minor < 0 else ""
    return f"{sign}{units:,}.{cents:0{exponent}d} {currency}"


class ChargeStatus(str, Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


@dataclass
class Charge:
    id: str
    customer: str
    amount: int
    currency: str
    status: ChargeStatus
    created_at: float
    description: str = ""
    refunded: int = 0

    @property
    def refundable(self) -> int:
        if self.status in (ChargeStatus.FAILED, ChargeStatus.REFUNDED):
            return 0
        return self.amount - self.refunded


class SandboxProcessor:
    """Approves everything except a few magic amounts, like real sandboxes do.

    ``authorize`` returns None on success or the reason for a decline.
    """

    DECLINES = {666: "card_declined", 4000: "insufficient_funds"}

    def authorize(self, customer: str, amount: int, currency: str) -> str | None:
        return self.DECLINES.get(amount)


@dataclass
class PaymentService:
    """Creates charges and refunds against a card processor."""

    processor: SandboxProcessor = field(default_factory=SandboxProcessor)
    allowed_currencies: frozenset[str] | None = None
    clock: Callable[[], float] = time.time
    _charges: dict[str, Charge] = field(default_factory=dict)
    # idempotency key -> (request fingerprint, charge id)
    _idempotency: dict[str, tuple[tuple[str, int, str], str]] = field(
        default_factory=dict
    )
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}"

    def charge(
        self,
        customer: str,
        amount: int,
        currency: str,
        *,
        idempotency_key: str | None = None,
        description: str = "",
    ) -> Charge:
        """Charge ``amount`` minor units. Raises :class:`PaymentDeclined`."""
        code = validate_currency(currency, self.allowed_currencies)
        if amount <= 0 or amount > MAX_CHARGE:
            raise InvalidAmount(f"amount out of range: {amount}")
        fingerprint = (customer, amount, code)
        with self._lock:
            if idempotency_key is not None and idempotency_key in self._idempotency:
                seen_fingerprint, charge_id = self._idempotency[idempotency_key]
                if seen_fingerprint != fingerprint:
                    raise IdempotencyConflict(idempotency_key)
                return self._charges[charge_id]

            reason = self.processor.authorize(customer, amount, code)
            status = ChargeStatus.SUCCEEDED if reason is None else ChargeStatus.FAILED
            charge = Charge(
                self._next_id("ch"),
                customer,
                amount,
                code,
                status,
                self.clock(),
                description,
            )
            self._charges[charge.id] = charge
            if idempotency_key is not None:
                self._idempotency[idempotency_key] = (fingerprint, charge.id)
        if reason is not None:
            raise PaymentDeclined(reason)
        return charge

    def get(self, charge_id: str) -> Charge:
        try:
            return self._charges[charge_id]
        except KeyError:
            raise ChargeNotFound(charge_id) from None

    def refund(self, charge_id: str, amount: int | None = None) -> Charge:
        """Refund a charge fully (``amount=None``) or partially."""
        charge = self.get(charge_id)
        if charge.status is ChargeStatus.FAILED:
            raise RefundError("cannot refund a failed charge")
        to_refund = charge.refundable if amount is None else amount
        if to_refund <= 0:
            raise RefundError("nothing left to refund")
        if to_refund > charge.refundable:
            raise RefundError(
                f"refund of {to_refund} exceeds refundable {charge.refundable}"
            )
        charge.refunded += to_refund
        if charge.refunded == charge.amount:
            charge.status = ChargeStatus.REFUNDED
        else:
            charge.status = ChargeStatus.PARTIALLY_REFUNDED
        return charge

    def charges_for(
        self, customer: str, status: ChargeStatus | None = None
    ) -> list[Charge]:
        """A customer's charges, oldest first, optionally filtered by status."""
        return [
            charge
            for charge in self._charges.values()
            if charge.customer == customer
            and (status is None or charge.status is status)
        ]

    def revenue(self, currency: str) -> int:
        """Net revenue (charges minus refunds) in one currency."""
        total = 0
        for charge in self._charges.values():
            if charge.currency != currency or charge.status is ChargeStatus.FAILED:
                continue
            total += charge.amount - charge.refunded
        return total
