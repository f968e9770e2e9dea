"""Tests for the cyclomatic-complexity adapter, on real sources and against radon's own API."""

from __future__ import annotations

import ast
import json.decoder
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path
from typing import Any

import coverage.results
import pytest
from coverage.regions import code_regions
from radon.complexity import cc_visit  # type: ignore[import-untyped]

from covgap.collect.code.complexity import COMPLEXITY_LIBRARY, complexity_by_line


def scores(source: str) -> dict[int, int]:
    """The adapter on `source` (dedented), without a tree."""
    return complexity_by_line(textwrap.dedent(source))


def radon_listing(source: str) -> dict[int, int]:
    """radon's public ``cc_visit`` listing, flattened (functions, closures, methods, inner
    classes), keyed by each function's line."""
    found: dict[int, int] = {}
    pending: list[Any] = list(cc_visit(source))
    while pending:
        block = pending.pop()
        if hasattr(block, "methods"):
            pending += [*block.methods, *block.inner_classes]
        else:
            found[block.lineno] = block.complexity
            pending += block.closures
    return found


def def_lines(source: str) -> set[int]:
    tree = ast.parse(source)
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    return {node.lineno for node in ast.walk(tree) if isinstance(node, kinds)}


def test_library_is_named_with_its_installed_version() -> None:
    name, installed = COMPLEXITY_LIBRARY.split(" ")
    assert name == "radon"
    assert installed == version("radon")


def test_a_simple_function_is_1() -> None:
    assert scores("def f(x):\n    return x\n") == {1: 1}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("if x:\n    pass\nelif y:\n    pass\nelse:\n    pass", 3, id="if-elif-else"),
        pytest.param("for a in x:\n    pass", 2, id="for"),
        pytest.param("for a in x:\n    pass\nelse:\n    pass", 3, id="for-else"),
        pytest.param("while x:\n    pass", 2, id="while"),
        pytest.param("while x:\n    break\nelse:\n    pass", 3, id="while-else"),
        pytest.param(
            "try:\n    pass\nexcept A:\n    pass\nexcept B:\n    pass\nelse:\n    pass\n"
            "finally:\n    pass",
            4,
            id="try-2-handlers-else-finally",
        ),
        pytest.param("try:\n    pass\nfinally:\n    pass", 1, id="try-finally"),
        pytest.param("return x and y or z", 3, id="boolean-operators"),
        pytest.param("return x and y and z", 3, id="boolean-chain"),
        pytest.param("return [a for a in x]", 2, id="comprehension"),
        pytest.param("return [a for a in x if a if y]", 4, id="comprehension-ifs"),
        pytest.param("return {a: b for a in x for b in y}", 3, id="two-generators"),
        pytest.param("return 1 if x else 2", 2, id="ternary"),
        pytest.param("assert x", 2, id="assert"),
        pytest.param("assert x and [a for a in y if a]", 2, id="assert-looks-no-further"),
        pytest.param("with x:\n    pass", 1, id="with"),
        pytest.param("if (n := len(x)) > 1:\n    pass", 2, id="walrus"),
        pytest.param("g = lambda a: a if a else x", 2, id="lambda-counts-for-enclosing"),
        pytest.param(
            "match x:\n    case 1:\n        pass\n    case [a, b] | (a, b):\n        pass\n"
            "    case _:\n        pass",
            3,
            id="match-wildcard-not-counted",
        ),
        pytest.param(
            "match x:\n    case 1:\n        pass\n    case {'k': v} if v:\n        pass",
            3,
            id="match-guard-not-counted",
        ),
        pytest.param(
            "match x:\n    case 1:\n        pass\n    case other:\n        pass",
            2,
            id="match-capture-is-irrefutable",
        ),
    ],
)
def test_each_decision_adds_what_radon_says(body: str, expected: int) -> None:
    source = "def f(x, y=None, z=None):\n" + textwrap.indent(body, "    ") + "\n"
    assert complexity_by_line(source) == {1: expected}


def test_defaults_annotations_and_decorators_are_not_looked_at() -> None:
    source = """\
        @decorate(1 if A else 2)
        def f(x: int | None = 1 if B else 2, y=C and D) -> list[int] if E else None:
            return x
        """
    assert scores(source) == {2: 1}


def test_async_def() -> None:
    source = """\
        async def f(xs):
            async for x in xs:
                pass
            async with xs:
                pass
            return [y async for y in xs if y]
        """
    # 1, the async for, the comprehension's generator and its if; async with adds nothing.
    assert scores(source) == {1: 4}


def test_methods_and_nested_functions_are_keyed_by_their_def_lines() -> None:
    source = """\
        class C:
            def m(self, a):
                return a or 1

            def outer(self, x):
                if x:
                    pass

                def inner(y):
                    if y and x:
                        return 1
                    return 2

                return inner

            class Inner:
                async def deep(self):
                    while True:
                        break
        """
    # inner's three decisions are not part of outer's number.
    assert scores(source) == {2: 2, 5: 2, 9: 3, 17: 2}


def test_methods_of_a_class_inside_a_function() -> None:
    source = """\
        def factory(x):
            class K:
                def meth(self, y):
                    if y:
                        return 1
                    return 2

            return K if x else None
        """
    assert scores(source) == {1: 2, 3: 2}
    # radon's own listing leaves this method out; the adapter asks radon about each function.
    assert radon_listing(textwrap.dedent(source)) == {1: 2}


def test_decorated_functions_are_keyed_by_the_def_line() -> None:
    source = """\
        import functools

        @functools.lru_cache(
            maxsize=None,
        )
        @staticmethod
        def f(x):
            if x:
                return 1
            return 2
        """
    assert scores(source) == {7: 2}


def test_functions_of_the_same_name_each_have_their_line() -> None:
    source = """\
        from typing import overload

        class C:
            @property
            def x(self):
                return self._x

            @x.setter
            def x(self, value):
                if value:
                    self._x = value

            @overload
            def f(self, a: int) -> int: ...
            @overload
            def f(self, a: str) -> str: ...
            def f(self, a): return a if a else None
        """
    assert scores(source) == {5: 1, 9: 2, 14: 1, 16: 1, 17: 2}


def test_functions_are_found_in_every_kind_of_block() -> None:
    source = textwrap.dedent(
        """\
        if A:
            def a(): pass
        else:
            def b(): pass
        for x in X:
            def c(): pass
        else:
            def d(): pass
        while B:
            def e(): pass
        else:
            def f(): pass
        try:
            def g(): pass
        except E:
            def h(): pass
        else:
            def i(): pass
        finally:
            def j(): pass
        with W:
            def k(): pass
        match M:
            case 1:
                def m(): pass
        class C:
            if D:
                def n(self): pass
        """
    )
    assert complexity_by_line(source) == dict.fromkeys(def_lines(source), 1)
    assert len(def_lines(source)) == 13


def test_a_lambda_is_not_a_function_of_its_own() -> None:
    assert scores("key = lambda x: x or 0\n") == {}


def test_keys_are_the_starts_of_coverage_py_function_regions() -> None:
    source = Path(coverage.results.__file__).read_text(encoding="utf-8")
    regions = {region.start for region in code_regions(source) if region.kind == "function"}
    assert regions
    assert set(complexity_by_line(source)) == regions


@pytest.mark.parametrize("module", [json.decoder, coverage.results], ids=lambda m: m.__name__)
def test_numbers_are_radons_own_on_a_real_module(module: Any) -> None:
    source = Path(module.__file__).read_text(encoding="utf-8")
    listing = radon_listing(source)
    adapted = complexity_by_line(source)
    assert len(listing) > 5
    assert set(adapted) == def_lines(source)
    assert {line: adapted[line] for line in listing} == listing
    assert max(listing.values()) > 1


def test_the_given_tree_is_used_and_the_source_not_parsed_again() -> None:
    source = "def f(x):\n    return x or 1\n"
    assert complexity_by_line("this is not python", ast.parse(source)) == {1: 2}


@pytest.mark.skipif(sys.version_info < (3, 11), reason="except* is Python 3.11 syntax")
def test_except_star_handlers_add_nothing_in_radon() -> None:
    source = """\
        def f(x):
            try:
                pass
            except* ValueError:
                if x:
                    pass
            except* KeyError:
                pass
        """
    # radon 6.0.1 has no rule for ast.TryStar: the handlers add nothing, their bodies count.
    # A radon that counts them makes this 4: then update the module docstring.
    assert scores(source) == {1: 2}


@pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 695 is Python 3.12 syntax")
def test_pep_695_generics() -> None:
    source = """\
        type Pair[K] = tuple[K, K]

        def first[T](x: list[T]) -> T | None:
            return x[0] if x else None

        class Box[T]:
            def get[U](self, u: U) -> U | T:
                return u or self.value
        """
    assert scores(source) == {3: 2, 7: 2}


def test_source_that_does_not_parse_gives_nothing() -> None:
    assert complexity_by_line("def f(:\n") == {}
    assert complexity_by_line("def f():\n    return 1\0\n") == {}  # null byte


def test_an_expression_too_deep_for_radon_gives_nothing_for_the_file() -> None:
    deep = " + ".join(["x"] * 2000)
    source = f"def small(x):\n    return x\n\n\ndef f(x):\n    return {deep}\n"
    tree = ast.parse(source)  # Python's parser copes; radon's recursive visitor does not
    assert complexity_by_line(source, tree) == {}
    assert complexity_by_line(source) == {}
    # Python 3.11+ cannot parse this one (RecursionError); 3.10 can, and radon cannot.
    deeper = " + ".join(["x"] * 100_000)
    assert complexity_by_line(f"def f(x):\n    return {deeper}\n") == {}
