"""Exposure: a function's surface (entry point, exported, public, private) and its fan-in."""

from __future__ import annotations

import textwrap

import pytest

from covgap.analyze.exposure import Exposure, project_exposure
from covgap.collect.code.code_walk import facts_from_source
from covgap.collect.code.outline import FileOutline, outline_of


def exposure_of(files: dict[str, str]) -> dict[str, Exposure]:
    """Exposure by "path:function name" for a project made of ``files``."""
    outlines: dict[str, FileOutline] = {
        path: outline_of(facts_from_source(textwrap.dedent(source)))
        for path, source in files.items()
    }
    found = project_exposure(outlines)
    names = {
        (path, f.line): f.name for path, outline in outlines.items() for f in outline.functions
    }
    return {
        f"{path}:{names[(path, line)]}": exposure
        for path, by_line in found.items()
        for line, exposure in by_line.items()
    }


PACKAGE = {
    "src/shop/__init__.py": """\
        from .orders import place_order
        """,
    "src/shop/orders.py": """\
        from shop import _money
        from shop.stock import Stock

        def place_order(items):
            stock = Stock()
            for item in items:
                stock.take(item)
            return _money.total(items)

        def cancel_order(order):
            return _money.total(order)

        def _audit(order):
            return helper(order)

        def helper(order):
            def inner():
                return order
            return inner
        """,
    "src/shop/_money.py": """\
        def total(items):
            return sum(items)
        """,
    "src/shop/stock.py": """\
        class Stock:
            def __init__(self):
                self.items = []

            def take(self, item):
                self._check(item)

            def _check(self, item):
                return item
        """,
    "tests/test_orders.py": """\
        from shop.orders import helper

        def test_helper():
            helper(1)
        """,
}


@pytest.mark.parametrize(
    ("function", "surface", "fan_in"),
    [
        pytest.param("src/shop/orders.py:place_order", "exported", 0, id="re-exported"),
        pytest.param("src/shop/orders.py:cancel_order", "public", 0, id="public-name"),
        pytest.param("src/shop/orders.py:_audit", "private", 0, id="private-name"),
        pytest.param("src/shop/_money.py:total", "private", 2, id="private-module-fan-in"),
        # the tests' call is not counted: being tested is not being used
        pytest.param("src/shop/orders.py:helper", "public", 1, id="tests-are-not-callers"),
        pytest.param("src/shop/orders.py:helper.inner", "private", 0, id="nested"),
        pytest.param("src/shop/stock.py:Stock.__init__", "public", 1, id="class-call-is-init"),
        pytest.param("src/shop/stock.py:Stock.take", "public", 1, id="method-by-name"),
        pytest.param("src/shop/stock.py:Stock._check", "private", 1, id="self-call"),
    ],
)
def test_surface_and_fan_in(function: str, surface: str, fan_in: int) -> None:
    """Calls resolve through imports (absolute, relative, re-exports), self and method names."""
    found = exposure_of(PACKAGE)[function]
    assert (found.surface, found.fan_in) == (surface, fan_in)


def test_callers_are_named() -> None:
    """The reason can name who calls it."""
    assert exposure_of(PACKAGE)["src/shop/_money.py:total"].callers == (
        "cancel_order",
        "place_order",
    )


@pytest.mark.parametrize(
    ("source", "function", "reason"),
    [
        pytest.param(
            """\
            import click

            @click.group()
            def cli():
                pass

            @cli.command()
            def sync():
                pass
            """,
            "sync",
            "a click command (`@cli.command()`)",
            id="click",
        ),
        pytest.param(
            """\
            import typer
            app = typer.Typer()

            @app.command()
            def hello(name: str):
                pass
            """,
            "hello",
            "a typer command (`@app.command()`)",
            id="typer",
        ),
        pytest.param(
            """\
            from flask import Flask
            app = Flask(__name__)

            @app.route("/login", methods=["POST"])
            def login():
                pass
            """,
            "login",
            'a Flask route handler (`@app.route("/login", methods=["POST"])`)',
            id="flask",
        ),
        pytest.param(
            """\
            from fastapi import APIRouter
            router = APIRouter()

            @router.post("/items")
            async def create_item(item):
                pass
            """,
            "create_item",
            'a FastAPI route handler (`@router.post("/items")`)',
            id="fastapi",
        ),
        pytest.param(
            """\
            from django.views import View

            class Refund(View):
                def post(self, request):
                    pass
            """,
            "Refund.post",
            "a Django view's `post` handler",
            id="django-class-view",
        ),
        pytest.param(
            """\
            import argparse

            def main(argv=None):
                parser = argparse.ArgumentParser()
                return parser.parse_args(argv)
            """,
            "main",
            "the command line's main (`src/app/tool.py`)",
            id="argparse-main",
        ),
        pytest.param(
            """\
            def run_all():
                pass

            if __name__ == "__main__":
                run_all()
            """,
            "run_all",
            "the script's entry point (`src/app/tool.py`)",
            id="main-guard",
        ),
        pytest.param(
            """\
            from starlette.routing import Route

            async def homepage(request):
                pass

            routes = [Route("/", endpoint=homepage)]
            """,
            "homepage",
            "a route handler (registered in `src/app/tool.py`)",
            id="starlette-route-table",
        ),
    ],
)
def test_entry_points(source: str, function: str, reason: str) -> None:
    """CLI commands, route handlers and script entry points are the most exposed."""
    found = exposure_of({"src/app/tool.py": source})[f"src/app/tool.py:{function}"]
    assert (found.surface, found.surface_reason) == ("entry", reason)


def test_a_common_method_name_is_not_guessed() -> None:
    """obj.get() says nothing about which of the project's `get` methods runs."""
    files = {
        "src/a.py": "class A:\n    def get(self):\n        pass\n",
        "src/b.py": "def use(x):\n    return x.get()\n",
    }
    assert exposure_of(files)["src/a.py:A.get"].fan_in == 0


def test_a_function_handed_to_another_is_called_and_callers_are_found_hops_away() -> None:
    """``partial(date_convert, …)`` calls ``date_convert``; its callers are listed nearest
    first, with how many calls away (a test of ``parse`` reaches it through two)."""
    found = exposure_of(
        {
            "src/dates/core.py": """\
                from functools import partial

                def date_convert(string, ymd=None):
                    return string

                def _handle_field(kind):
                    return partial(date_convert, ymd=1)

                def parse(text):
                    return _handle_field(text)
                """,
        }
    )
    convert = found["src/dates/core.py:date_convert"]
    assert convert.fan_in == 1
    assert convert.caller_keys == (
        ("src/dates/core.py", "_handle_field", 1),
        ("src/dates/core.py", "parse", 2),
    )


def test_a_relative_import_inside_a_function_is_followed() -> None:
    """``from ._cached import _wrapper`` inside ``cached()`` (cachetools): ``cached`` calls
    ``_wrapper``, so the tests of ``cached`` reach it."""
    found = exposure_of(
        {
            "src/cachetools/__init__.py": """\
                def cached(cache):
                    from ._cached import _wrapper

                    return _wrapper(cache)
                """,
            "src/cachetools/_cached.py": """\
                def _wrapper(cache):
                    return cache
                """,
        }
    )
    assert found["src/cachetools/_cached.py:_wrapper"].caller_keys == (
        ("src/cachetools/__init__.py", "cached", 1),
    )
