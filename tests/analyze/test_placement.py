"""Placement: where a function's new tests go."""

from __future__ import annotations

import pytest

from covgap.analyze.placement import is_test_module, module_name, place_tests


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("src/shop/auth.py", "shop.auth"),
        ("shop/billing/__init__.py", "shop.billing"),
        ("tool.py", "tool"),
        ("/venv/lib/python3.11/site-packages/sympy/core/add.py", "sympy.core.add"),
        ("/usr/lib/python3/dist-packages/yaml/__init__.py", "yaml"),
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
        pytest.param(
            "src/cachetools/_cachedmethod.py",
            (),
            ("tests/test_cachedmethod.py", "tests/test_lru.py"),
            ("tests/test_cachedmethod.py", True, "named after this module"),
            id="a-private-module-is-tested-with-what-it-implements",
        ),
        pytest.param(
            "src/cachetools/_decorator.py",
            (),
            ("tests/test_lru.py",),
            ("tests/test_decorator.py", False, "new: mirrors src/cachetools/_decorator.py"),
            id="a-new-module-for-a-private-one-drops-the-underscore",
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


@pytest.mark.parametrize(
    ("path", "is_test"),
    [
        ("tests/test_auth.py", True),
        ("src/shop/auth_test.py", True),
        ("tests/conftest.py", True),
        ("sympy/core/tests/helpers.py", True),
        ("src/shop/testing_tools.py", False),
        ("src/shop/contest.py", False),
    ],
)
def test_is_test_module(path: str, is_test: bool) -> None:
    """pytest's conventions: test_*.py, *_test.py, conftest.py, or a tests folder."""
    assert is_test_module(path) is is_test
