"""Placement: where a function's new tests go."""

from __future__ import annotations

import pytest

from covgap.analyze.placement import module_name, place_tests


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("src/shop/auth.py", "shop.auth"),
        ("shop/billing/__init__.py", "shop.billing"),
        ("tool.py", "tool"),
    ],
)
def test_module_name(path: str, name: str) -> None:
    """Import names drop src/ and __init__."""
    assert module_name(path) == name


@pytest.mark.parametrize(
    ("path", "tested_by", "tests", "expected"),
    [
        pytest.param(
            "src/shop/auth.py",
            (("tests/e2e/test_login.py", 12), ("tests/test_misc.py", 3)),
            ("tests/test_auth.py",),
            (
                "tests/e2e/test_login.py",
                True,
                "already runs 12 of this file's lines (per-test contexts)",
            ),
            id="contexts-first",
        ),
        pytest.param(
            "src/shop/auth.py",
            (),
            ("tests/unit/test_auth.py", "tests/other/shop/test_auth.py", "tests/test_cart.py"),
            ("tests/other/shop/test_auth.py", True, "named after this module"),
            id="named-closest-to-source",
        ),
        pytest.param(
            "src/shop/billing/invoices.py",
            (),
            ("tests/unit/test_cart.py", "tests/e2e/test_flow.py"),
            (
                "tests/unit/billing/test_invoices.py",
                False,
                "new: mirrors src/shop/billing/invoices.py",
            ),
            id="new-mirrors-layout-under-unit",
        ),
        pytest.param(
            "app.py",
            (),
            (),
            ("tests/test_app.py", False, "new: mirrors app.py"),
            id="no-tests-yet",
        ),
    ],
)
def test_place_tests(
    path: str,
    tested_by: tuple[tuple[str, int], ...],
    tests: tuple[str, ...],
    expected: tuple[str, bool, str],
) -> None:
    """Contexts, then naming, then a new module that mirrors the source."""
    assert place_tests(path, tested_by, tests) == expected
