from __future__ import annotations

import pytest

from shopapp.catalog import (
    CatalogError,
    Product,
    ProductNotFound,
    SortOrder,
    paginate,
    tokenize,
)


def test_tokenize_drops_stop_words() -> None:
    assert tokenize("The Book of Tea!") == ["book", "of", "tea"]


def test_product_validation() -> None:
    with pytest.raises(ValueError):
        Product("bad sku", "Thing", 100, "misc")
    with pytest.raises(ValueError):
        Product("ABC-123", "Thing", -1, "misc")


def test_search_by_text_ranks_name_matches_first(catalog) -> None:
    names = [p.name for p in catalog.search("tea")]
    assert names == ["Green Tea Sencha", "The Book of Tea", "Glass Teapot"]


def test_search_filters(catalog) -> None:
    kitchen = catalog.search(category="kitchen")
    assert {p.sku for p in kitchen} == {"MUG-100", "POT-200"}
    cheap = catalog.search(max_price=800, in_stock=True)
    assert [p.sku for p in cheap] == ["TEA-002"]


@pytest.mark.parametrize(
    ("order", "first"),
    [(SortOrder.PRICE_ASC, "TEA-002"), (SortOrder.PRICE_DESC, "POT-200")],
)
def test_search_sorting(catalog, order, first) -> None:
    assert catalog.search(sort=order)[0].sku == first


def test_search_rejects_inverted_price_range(catalog) -> None:
    with pytest.raises(ValueError):
        catalog.search(min_price=10, max_price=5)


def test_paginate() -> None:
    page = paginate(list(range(45)), page=3, per_page=20)
    assert page.items == list(range(40, 45))
    assert page.pages == 3
    assert not page.has_next


def test_unknown_and_duplicate_products(catalog) -> None:
    with pytest.raises(ProductNotFound):
        catalog.get("XYZ-999")
    with pytest.raises(CatalogError):
        catalog.add(Product("TEA-001", "Dupe", 1, "tea"))
