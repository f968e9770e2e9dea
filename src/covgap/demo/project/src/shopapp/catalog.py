"""The product catalog: products, search, filtering, pagination and stock."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_PAGE_SIZE = 100
_SKU_RE = re.compile(r"^[A-Z]{2,4}-\d{3,6}$")


class CatalogError(Exception):
    """Base class of catalog errors."""


class ProductNotFound(CatalogError, KeyError):
    """No product with the requested SKU."""


class OutOfStock(CatalogError):
    """Not enough units to satisfy a reservation."""

    def __init__(self, sku: str, requested: int, available: int) -> None:
        super().__init__(f"{sku}: requested {requested}, only {available} available")
        self.available = available


class SortOrder(str, Enum):
    RELEVANCE = "relevance"
    PRICE_ASC = "price"
    PRICE_DESC = "-price"


@dataclass
class Product:
    """Something we sell. Prices are in minor units (cents)."""

    sku: str
    name: str
    price: int
    category: str
    stock: int = 0
    tags: frozenset[str] = frozenset()
    description: str = ""

    def __post_init__(self) -> None:
        if not _SKU_RE.match(self.sku) or self.price < 0:
            raise ValueError(f"invalid product {self.sku!r} (price {self.price})")

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    def matches(self, terms: list[str]) -> int:
        """Relevance score of this product for the search ``terms``."""
        score = 0
        name = self.name.lower()
        words = name.split()
        for term in terms:
            if term in words:
                score += 3
            elif term in name:
                score += 2
            elif term in self.tags:
                score += 2
            elif term in self.description.lower():
                score += 1
            else:
                return 0
        return score

    def to_dict(self) -> dict[str, object]:
        return {
            "sku": self.sku,
            "name": self.name,
            "price": self.price,
            "category": self.category,
            "in_stock": self.in_stock,
            "tags": sorted(self.tags),
        }


@dataclass
class Page(Generic[T]):
    """One page of a larger result list."""

    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(items: list[T], page: int = 1, per_page: int = 20) -> Page[T]:
    """Slice ``items`` into a :class:`Page`, clamping bad arguments."""
    per_page = min(max(per_page, 1), MAX_PAGE_SIZE)
    page = max(page, 1)
    start = (page - 1) * per_page
    return Page(items[start : start + per_page], page, per_page, len(items))


def tokenize(query: str) -> list[str]:
    """Split a search query into lower-case terms, dropping noise words."""
    stop_words = {"a", "an", "the", "for", "and", "with"}
    terms = re.findall(r"[a-z0-9]+", query.lower())
    return [term for term in terms if term not in stop_words]


@dataclass
class Catalog:
    """An in-memory product catalog."""

    _products: dict[str, Product] = field(default_factory=dict)

    def add(self, product: Product) -> Product:
        if product.sku in self._products:
            raise CatalogError(f"duplicate SKU {product.sku}")
        self._products[product.sku] = product
        return product

    def extend(self, products: Iterable[Product]) -> None:
        for product in products:
            self.add(product)

    def get(self, sku: str) -> Product:
        try:
            return self._products[sku.upper()]
        except KeyError:
            raise ProductNotFound(sku) from None

    def __iter__(self) -> Iterator[Product]:
        return iter(self._products.values())

    def __len__(self) -> int:
        return len(self._products)

    def categories(self) -> dict[str, int]:
        """Category names with the number of products in each."""
        counts: dict[str, int] = {}
        for product in self:
            counts[product.category] = counts.get(product.category, 0) + 1
        return dict(sorted(counts.items()))

    def search(
        self,
        query: str = "",
        *,
        category: str | None = None,
        min_price: int | None = None,
        max_price: int | None = None,
        in_stock: bool = False,
        sort: SortOrder | str = SortOrder.RELEVANCE,
    ) -> list[Product]:
        """Find products by free text and filters."""
        order = SortOrder(sort)
        if min_price is not None and max_price is not None and min_price > max_price:
            raise ValueError("min_price is greater than max_price")
        terms = tokenize(query)

        scored: list[tuple[int, Product]] = []
        for product in self:
            if category and product.category != category:
                continue
            if min_price is not None and product.price < min_price:
                continue
            if max_price is not None and product.price > max_price:
                continue
            if in_stock and not product.in_stock:
                continue
            score = product.matches(terms) if terms else 1
            if score:
                scored.append((score, product))

        if order is SortOrder.PRICE_ASC:
            scored.sort(key=lambda pair: pair[1].price)
        elif order is SortOrder.PRICE_DESC:
            scored.sort(key=lambda pair: pair[1].price, reverse=True)
        else:
            scored.sort(key=lambda pair: (-pair[0], pair[1].name.lower()))
        return [product for _score, product in scored]

    def reserve(self, sku: str, quantity: int) -> Product:
        """Take ``quantity`` units out of stock for an order."""
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        product = self.get(sku)
        if product.stock < quantity:
            raise OutOfStock(product.sku, quantity, product.stock)
        product.stock -= quantity
        return product

    def restock(self, sku: str, quantity: int) -> int:
        """Add units back (deliveries, cancelled orders). Returns new stock."""
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        product = self.get(sku)
        product.stock += quantity
        return product.stock


def demo_catalog() -> Catalog:
    """A small catalog used by the demo server."""
    catalog = Catalog()
    catalog.extend(
        [
            Product(
                "TEA-001", "Green Tea Sencha", 850, "tea", 40, frozenset({"green"})
            ),
            Product("TEA-002", "Earl Grey", 690, "tea", 3, frozenset({"black"})),
            Product("TEA-003", "Rooibos Vanilla", 720, "tea", 0, frozenset({"herbal"})),
            Product("MUG-100", "Stoneware Mug", 1490, "kitchen", 12),
            Product(
                "POT-200", "Glass Teapot", 3450, "kitchen", 5, frozenset({"glass"})
            ),
            Product(
                "BOOK-010",
                "The Book of Tea",
                1299,
                "books",
                7,
                description="Okakura's classic essay on tea and aesthetics",
            ),
        ]
    )
    return catalog
