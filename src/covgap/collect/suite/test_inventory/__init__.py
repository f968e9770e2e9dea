"""A static inventory of a project's tests: what ``pytest --collect-only`` would list.

The rules are in :mod:`.read`'s docstring. The parts: ``model`` (the public types),
``categories``, ``summary`` (what one file says), ``reading/`` (reading one file), ``walk``
(the folders pytest walks), ``project`` (names across files), ``building/`` (items and
fixtures), ``uncollected`` (what pytest leaves out, empty folders), ``read`` (putting it together).
"""

from __future__ import annotations

from covgap.collect.suite.test_inventory.categories import (
    CATEGORIES,
    CATEGORY_NAMES,
    UNCATEGORIZED,
    category_of_name,
)
from covgap.collect.suite.test_inventory.model import (
    BUILTIN_MARKERS,
    DEFAULT_NORECURSEDIRS,
    KNOWN_PLUGIN_MARKERS,
    NEAR_EMPTY_TESTS,
    Fixture,
    InventoryOptions,
    MarkerUse,
    TestInventory,
    TestItem,
    TestModule,
    Uncollected,
    is_known_marker,
)
from covgap.collect.suite.test_inventory.read import read_inventory

__all__ = [
    "BUILTIN_MARKERS",
    "CATEGORIES",
    "CATEGORY_NAMES",
    "DEFAULT_NORECURSEDIRS",
    "KNOWN_PLUGIN_MARKERS",
    "NEAR_EMPTY_TESTS",
    "UNCATEGORIZED",
    "Fixture",
    "InventoryOptions",
    "MarkerUse",
    "TestInventory",
    "TestItem",
    "TestModule",
    "Uncollected",
    "category_of_name",
    "is_known_marker",
    "read_inventory",
]
