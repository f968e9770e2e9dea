"""The effort model: tests per function and per module, and the order the plan follows."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from covgap.analyze.effort import (
    checks_for,
    estimate_tests,
    fold_module_code,
    phase_tests,
    plan_order,
)
from covgap.collect.code.code_facts import Decision, FunctionFacts
from covgap.model import MODULE_REGION, FunctionGap, Numbers, Region, Suggestion, TestAdvice


def gap(path: str, name: str, missing: int, checks: int = 1, *, line: int = 1) -> FunctionGap:
    """A region with ``missing`` of its ``missing`` + 1 statements uncovered."""
    region = Region(
        name=name,
        start_line=line,
        end_line=line + missing,
        numbers=Numbers(missing + 1, missing),
        statement_lines=tuple(range(line, line + missing + 1)),
        missing_lines=tuple(range(line + 1, line + missing + 1)),
    )
    return FunctionGap(
        path=path,
        region=region,
        impact=Fraction(missing),
        score=float(missing),
        priority=None,
        missing_ranges="",
        effort=estimate_tests(checks),
        checks=checks,
    )


def value(item: FunctionGap) -> float:
    return float(item.region.numbers.gap)


def decision(line: int, false_line: int | None) -> Decision:
    return Decision(line, "if", f"x == {line}", line + 1, false_line, (), ())


#: An if/elif chain (lines 2, 4, 6) and a separate if (line 10), as the AST walk finds them.
CHAIN = FunctionFacts(
    "f",
    1,
    12,
    decisions=(decision(2, 4), decision(4, 6), decision(6, None), decision(10, None)),
)


@pytest.mark.parametrize(
    ("kinds", "checks"),
    [
        pytest.param([], 1, id="nothing-named-is-still-one"),
        pytest.param([("call", 1), ("raise", 3)], 2, id="each-its-own"),
        # The validation function: the untaken sides of one chain are one table.
        pytest.param([("branch", 2), ("branch", 4), ("branch", 6)], 1, id="one-chain"),
        pytest.param([("branch", 2), ("branch", 10)], 2, id="two-decisions"),
        pytest.param([("branch", 4), ("return", 5), ("branch", 6)], 2, id="chain-and-return"),
    ],
)
def test_checks(kinds: list[tuple[str, int]], checks: int) -> None:
    """Things to check: the suggested tests, an if/elif chain's untaken sides counting once."""
    suggestions = [Suggestion(kind, line, "", f"test_{kind}_{line}") for kind, line in kinds]
    assert checks_for(suggestions, CHAIN) == checks
    assert checks_for(suggestions, None) == max(1, len(kinds))


@pytest.mark.parametrize(
    ("checks", "tests"),
    [
        pytest.param(0, 0, id="nothing"),
        pytest.param(1, 1, id="one"),
        pytest.param(2, 2, id="two"),
        pytest.param(3, 2, id="three"),
        pytest.param(9, 5, id="nine"),
        pytest.param(45, 14, id="forty-five"),
    ],
)
def test_tests_grow_slower_than_the_checks(checks: int, tests: int) -> None:
    """A real test checks several things: the tests are the checks to the power 0.7."""
    assert estimate_tests(checks) == tests


def test_a_modules_functions_share_their_tests() -> None:
    """Two functions of one module take fewer tests together than one by one; functions of two
    modules take each their own; top-level code beside them takes none."""
    one_module = [gap("a.py", "f", 5, 9), gap("a.py", "g", 5, 9), gap("a.py", MODULE_REGION, 3)]
    two_modules = [gap("a.py", "f", 5, 9), gap("b.py", "g", 5, 9)]
    (together,) = phase_tests([one_module])
    (apart,) = phase_tests([two_modules])
    assert together == estimate_tests(18) == 8
    assert apart == estimate_tests(9) * 2 == 10


def test_a_module_continued_in_a_later_phase_adds_what_its_new_functions_add() -> None:
    """A module's functions in phase 2 add to the tests its phase-1 functions took."""
    first, second = phase_tests([[gap("a.py", "f", 5, 9)], [gap("a.py", "g", 5, 9)]])
    assert first == estimate_tests(9) == 5
    assert second == estimate_tests(18) - 5 == 3


def test_top_level_code_alone_is_one_test() -> None:
    """A module planned for its top-level code alone: one test imports it."""
    assert phase_tests([[gap("a.py", MODULE_REGION, 4)]]) == [1]
    assert phase_tests([[gap("a.py", MODULE_REGION, 4)], [gap("a.py", "f", 2, 4)]]) == [1, 2]


def test_order_keeps_a_modules_functions_together_while_they_pay() -> None:
    """The order opens the module worth most per test, takes its next functions while adding
    to its tests is worth more than opening another module, and puts its top-level code right
    after its first function."""
    items = [
        gap("big.py", "a", 40, 4),
        gap("big.py", "b", 10, 4, line=50),
        gap("big.py", MODULE_REGION, 5),
        gap("small.py", "c", 12, 4),
        gap("tiny.py", "d", 1, 1),
        gap("only.py", MODULE_REGION, 3),
    ]
    order = [(i.path, i.region.name) for i in plan_order(items, value)]
    assert order[:3] == [("big.py", "a"), ("big.py", MODULE_REGION), ("big.py", "b")]
    assert order.index(("small.py", "c")) < order.index(("tiny.py", "d"))
    assert sorted(order) == sorted((i.path, i.region.name) for i in items)
    assert ("only.py", MODULE_REGION) in order  # top-level code alone is a unit of its own


def test_order_prefers_value_per_test() -> None:
    """Of two modules, the one that gains more per estimated test opens first."""
    cheap = gap("cheap.py", "f", 20, 1)
    dear = gap("dear.py", "g", 30, 36)  # 6 tests for 30 units
    assert plan_order([dear, cheap], value) == [cheap, dear]


def _never_run(item: FunctionGap) -> FunctionGap:
    """``item`` with none of its statements run (a module no test imported)."""
    numbers = item.region.numbers
    region = dataclasses.replace(
        item.region,
        numbers=Numbers(numbers.missing_statements, numbers.missing_statements),
        missing_lines=item.region.statement_lines[1:],
        statement_lines=item.region.statement_lines[1:],
    )
    return dataclasses.replace(item, region=region)


def test_top_level_code_is_folded_into_the_modules_first_function() -> None:
    """A never-run module's top-level code, after its module's first planned function, costs no
    test of its own: its advice says which function's first test runs it, and proposes no
    import-only test. Top-level code of a module with no planned function keeps its test."""
    import_only = Suggestion("import", 1, "no test imports `m`", "test_module_imports")
    advice = TestAdvice("tests/test_m.py", False, "new", (import_only,), (), 1)
    top = dataclasses.replace(
        _never_run(gap("m.py", MODULE_REGION, 5)),
        missing_ranges="2-6",
        advice_source=lambda: advice,
    )
    alone = _never_run(gap("other.py", MODULE_REGION, 3))
    first = gap("m.py", "parse", 9, 3, line=10)
    folded = fold_module_code(plan_order([top, first, alone], value))
    by_name = {(i.path, i.region.name): i for i in folded}
    module = by_name[("m.py", MODULE_REGION)]
    assert (module.effort, module.checks, module.runs_with) == (0, 0, "parse")
    assert module.advice is not None
    assert [s.test_name for s in module.advice.suggestions] == [""]
    assert "first test of `parse`" in module.advice.suggestions[0].text
    assert "2-6" in module.advice.suggestions[0].text
    assert module.advice.effort == 0
    kept = by_name[("other.py", MODULE_REGION)]
    assert (kept.effort, kept.runs_with) == (1, "")
    assert phase_tests([folded]) == [estimate_tests(3) + 1]


def test_what_the_import_does_not_take_keeps_its_tests() -> None:
    """A never-run module whose top-level code also has a fallback (an ``except ImportError``):
    folded, the fallback's suggestion and its test stay. A module that was imported (its gap is
    such fallbacks alone) is not folded: its first function's test would not run them."""
    fallback = Suggestion("except", 4, "make `import fast` raise ImportError", "test_slow_path")
    import_only = Suggestion("import", 1, "no test imports `m`", "test_module_imports")
    advice = TestAdvice("tests/test_m.py", False, "new", (import_only, fallback), (), 2)
    top = dataclasses.replace(
        _never_run(gap("m.py", MODULE_REGION, 5, 2)), advice_source=lambda: advice
    )
    imported = gap("n.py", MODULE_REGION, 2, 1)  # one of its statements ran
    functions = [gap("m.py", "parse", 9, 3, line=10), gap("n.py", "load", 9, 3, line=10)]
    folded = fold_module_code(plan_order([top, imported, *functions], value))
    by_name = {(i.path, i.region.name): i for i in folded}
    module = by_name[("m.py", MODULE_REGION)]
    assert (module.checks, module.effort, module.runs_with) == (1, 1, "parse")
    assert module.advice is not None
    assert [s.test_name for s in module.advice.suggestions] == ["", "test_slow_path"]
    assert "does not take" in module.advice.suggestions[0].text
    assert by_name[("n.py", MODULE_REGION)].runs_with == ""


def test_a_callers_tests_reach_what_it_calls() -> None:
    """Of two equal functions, the one whose tests also run a large uncovered callee comes
    first; once taken, the callee is worth less than an untouched function of its size."""
    caller = dataclasses.replace(gap("api.py", "load", 10, 4), callees=(("core.py", "parse"),))
    alone = gap("other.py", "dump", 10, 4)
    callee = gap("core.py", "parse", 30, 9)
    twin = gap("more.py", "scan", 30, 9)
    order = plan_order([alone, caller, callee, twin], value, reach=0.5)
    assert order.index(caller) < order.index(alone)
    assert order.index(twin) < order.index(callee)
    # Without reach, the order is by value per test alone: a tie broken by the input order.
    assert plan_order([alone, caller], value, reach=0.0) == [alone, caller]
