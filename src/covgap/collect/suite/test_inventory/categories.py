"""Test categories (unit, integration, e2e…), from folder and marker names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

#: The test categories, in report order; a test with none is :data:`UNCATEGORIZED`.
CATEGORIES = ("unit", "integration", "e2e", "security", "smoke", "performance", "manual")
UNCATEGORIZED = "uncategorized"

#: Folder names and marker names (normalised, see :func:`category_of_name`) → category.
CATEGORY_NAMES: Mapping[str, str] = {
    **dict.fromkeys(("unit", "units", "unittest", "unittests"), "unit"),
    **dict.fromkeys(
        ("integration", "integrations", "integ", "functional", "component", "contract"),
        "integration",
    ),
    **dict.fromkeys(
        ("e2e", "end_to_end", "end2end", "endtoend", "acceptance", "system", "ui", "browser"),
        "e2e",
    ),
    **dict.fromkeys(("security", "sec", "fuzz", "fuzzing", "pentest"), "security"),
    **dict.fromkeys(("smoke", "sanity"), "smoke"),
    **dict.fromkeys(
        (
            "perf",
            "performance",
            "benchmark",
            "benchmarks",
            "bench",
            "load",
            "loadtest",
            "loadtests",
            "stress",
        ),
        "performance",
    ),
    "manual": "manual",
}

#: Folder names that make a folder a test folder (beside holding test modules).
_TEST_DIR_NAMES = frozenset({"test", "tests", "testing"})


def _test_folder_name(name: str) -> bool:
    """test, tests, testing, or a category with a test affix (``unit_tests``, ``tests-e2e``);
    not ``test_data`` or ``test-examples``."""
    key = name.lower().replace("-", "_")
    if key in _TEST_DIR_NAMES:
        return True
    affixed = key.startswith(("test_", "tests_")) or key.endswith(("_test", "_tests"))
    return affixed and category_of_name(name) is not None


def category_of_name(name: str) -> str | None:
    """The category a folder or marker name stands for (:data:`CATEGORY_NAMES`), or None."""
    key = name.lower().replace("-", "_")
    for prefix in ("tests_", "test_"):
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix) :]
    for suffix in ("_tests", "_test"):
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
    return CATEGORY_NAMES.get(key)


def _folder_categories(path: str) -> tuple[str, ...]:
    """The categories of a test module's folders inside the test tree: from the first folder
    named like a test folder down (``tests/e2e``, ``integration_tests``), or else the top folder
    (``e2e/``): a package folder above the tests (``physics/units/tests``) says nothing."""
    parts = path.split("/")[:-1]
    start = next((i for i, part in enumerate(parts) if _test_folder_name(part)), None)
    parts = parts[start:] if start is not None else parts[:1]
    found = {category_of_name(part) for part in parts}
    found.discard(None)
    return _ordered_categories(c for c in found if c)


def _ordered_categories(categories: Iterable[str]) -> tuple[str, ...]:
    present = set(categories)
    return tuple(c for c in CATEGORIES if c in present)
