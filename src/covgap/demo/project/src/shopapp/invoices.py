"""Invoices: line items, discounts, VAT, due dates and plain-text rendering."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum

from shopapp.payments import format_amount

# Standard and reduced VAT rates in percent, by country.
VAT_RATES = {"DE": (19, 7), "FR": (20, 5), "NL": (21, 9), "IE": (23, 9)}
REDUCED_VAT_CATEGORIES = frozenset({"books", "tea"})
PAYMENT_TERMS_DAYS = 14
MAX_DISCOUNT_PERCENT = 50


class InvoiceError(Exception):
    """Invalid invoice operations."""


class InvoiceStatus(str, Enum):
    DRAFT = "draft"
    ISSUED = "issued"
    PAID = "paid"
    VOID = "void"


@dataclass(frozen=True)
class LineItem:
    sku: str
    description: str
    quantity: int
    unit_price: int
    category: str = ""

    @property
    def net(self) -> int:
        return self.quantity * self.unit_price


def vat_rate(country: str, category: str) -> int:
    """The VAT percentage that applies to ``category`` in ``country``."""
    rates = VAT_RATES.get(country.upper())
    if rates is None:
        return 0  # outside our VAT area: reverse charge / export
    standard, reduced = rates
    return reduced if category in REDUCED_VAT_CATEGORIES else standard


def _percent_of(amount: int | Decimal, percent: int) -> int:
    value = Decimal(amount) * percent / 100
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass
class Invoice:
    number: str
    customer: str
    country: str
    currency: str = "EUR"
    lines: list[LineItem] = field(default_factory=list)
    discount_percent: int = 0
    status: InvoiceStatus = InvoiceStatus.DRAFT
    issued_on: dt.date | None = None

    def _require(self, status: InvoiceStatus, action: str) -> None:
        if self.status is not status:
            raise InvoiceError(f"cannot {action} a {self.status.value} invoice")

    def add_line(self, line: LineItem) -> None:
        self._require(InvoiceStatus.DRAFT, "edit")
        if line.quantity <= 0:
            raise InvoiceError("quantity must be positive")
        self.lines.append(line)

    def apply_discount(self, percent: int) -> None:
        self._require(InvoiceStatus.DRAFT, "discount")
        if not 0 <= percent <= MAX_DISCOUNT_PERCENT:
            raise InvoiceError(f"discount must be 0-{MAX_DISCOUNT_PERCENT}%")
        self.discount_percent = percent

    @property
    def subtotal(self) -> int:
        return sum(line.net for line in self.lines)

    @property
    def discount(self) -> int:
        return _percent_of(self.subtotal, self.discount_percent)

    def tax_breakdown(self) -> dict[int, int]:
        """VAT per rate, after spreading the discount over all lines."""
        factor = Decimal(100 - self.discount_percent) / 100
        taxable: dict[int, Decimal] = {}
        for line in self.lines:
            rate = vat_rate(self.country, line.category)
            if rate:
                taxable[rate] = taxable.get(rate, Decimal(0)) + line.net * factor
        return {rate: _percent_of(net, rate) for rate, net in sorted(taxable.items())}

    @property
    def total(self) -> int:
        return self.subtotal - self.discount + sum(self.tax_breakdown().values())

    def issue(self, today: dt.date) -> None:
        self._require(InvoiceStatus.DRAFT, "issue")
        if not self.lines:
            raise InvoiceError("cannot issue an empty invoice")
        self.status = InvoiceStatus.ISSUED
        self.issued_on = today

    @property
    def due_on(self) -> dt.date | None:
        if self.issued_on is None:
            return None
        due = self.issued_on + dt.timedelta(days=PAYMENT_TERMS_DAYS)
        while due.weekday() >= 5:  # never due on a weekend
            due += dt.timedelta(days=1)
        return due

    def is_overdue(self, today: dt.date) -> bool:
        due = self.due_on
        return self.status is InvoiceStatus.ISSUED and due is not None and today > due

    def mark_paid(self) -> None:
        self._require(InvoiceStatus.ISSUED, "pay")
        self.status = InvoiceStatus.PAID

    def void(self) -> None:
        if self.status is InvoiceStatus.PAID:
            raise InvoiceError("paid invoices must be refunded, not voided")
        self.status = InvoiceStatus.VOID

    def render(self) -> str:
        """A plain-text rendering suitable for e-mails."""

        def row(label: str, amount: int) -> str:
            return f"{label:<40}{format_amount(amount, self.currency):>20}"

        out = [f"INVOICE {self.number}", f"Customer: {self.customer}", ""]
        for line in self.lines:
            out.append(row(f"{line.quantity} x {line.description}"[:40], line.net))
        out.append("-" * 60)
        out.append(row("Subtotal", self.subtotal))
        if self.discount_percent:
            out.append(row(f"Discount {self.discount_percent}%", -self.discount))
        for rate, amount in self.tax_breakdown().items():
            out.append(row(f"VAT {rate}%", amount))
        out.append(row("Total", self.total))
        if self.due_on is not None:
            out.append(f"Due on {self.due_on.isoformat()}")
        return "\n".join(out)


class InvoiceNumberer:
    """Sequential, gap-free invoice numbers per year, e.g. ``2024-000042``."""

    def __init__(self, start: int = 1) -> None:
        self._next: dict[int, int] = {}
        self._start = start

    def next(self, year: int) -> str:
        number = self._next.get(year, self._start)
        self._next[year] = number + 1
        return f"{year}-{number:06d}"
