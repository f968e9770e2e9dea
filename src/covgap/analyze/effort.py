"""How many tests the plan's work takes, and the order that gains the most coverage per test.

Both are fitted to real suites (``benchmarks/bench_ranking.py``; docs/risk.md "Effort" gives
the figures): each project's own tests, followed function by function, showed that

- a real test checks several things at once (one parametrized test sweeps an ``if``/``elif``
  chain): the tests a function takes grow slower than the things to check in it (its suggested
  tests, the sides of one condition chain counted once), as their power ``TESTS_EXPONENT``;
- the functions of one module share their tests (a test of one runs its neighbours, and the
  module's top-level code runs with the first): the tests a module's planned functions take
  together grow as the things to check in all of them, to the same power.

So the plan takes modules as units of work: it follows the order that gains the most coverage
(weighted by risk) per estimated test, where a module's first function opens it (new tests) and
the next ones add to its tests, and it estimates each phase's tests module by module.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
from collections.abc import Callable, Sequence

from covgap.collect.code.code_facts import Decision, FunctionFacts
from covgap.model import MODULE_REGION, FunctionGap, Suggestion, TestAdvice

__all__ = [
    "RISK_WEIGHT",
    "checks_for",
    "estimate_tests",
    "fold_module_code",
    "module_tests",
    "phase_tests",
    "plan_order",
    "unit_of",
]

#: How much risk weighs in the order: a function's value is its missing units × (1 + RISK_WEIGHT
#: × risk), so the riskiest code is worth up to that many times more per unit.
RISK_WEIGHT = 2.0
#: Tests grow as the things to check (a function's, or a module's functions' together) to this
#: power.
TESTS_EXPONENT = 0.7
#: The share of a called function's value a test of its caller is taken to reach.
REACH = 0.5


def checks_for(suggestions: Sequence[Suggestion], facts: FunctionFacts | None) -> int:
    """The distinct things a function's tests must check: its suggested tests, where the
    untaken sides of one ``if``/``elif`` chain and the cases of one ``match`` count once (one
    parametrized test, a table of inputs, takes them all). At least one."""
    if facts is None:
        return max(1, len(suggestions))
    heads = _chain_heads(facts.decisions)
    seen: set[tuple[str, object]] = set()
    for suggestion in suggestions:
        if suggestion.kind == "unreachable":
            continue  # no test reaches it: the code is to remove
        if suggestion.kind in ("branch", "case"):
            seen.add(("decision", heads.get(suggestion.line, suggestion.line)))
        else:
            seen.add((suggestion.kind, suggestion.line))
    return max(1, len(seen))


def _chain_heads(decisions: Sequence[Decision]) -> dict[int, int]:
    """Each ``if``'s line → the line of the ``if`` its ``elif`` chain starts with."""
    ifs = {d.line: d for d in decisions if d.kind == "if"}
    head: dict[int, int] = {}
    for line in sorted(ifs):
        head.setdefault(line, line)
        follow = ifs[line].false_line
        if follow is not None and follow in ifs:
            head[follow] = head[line]
    return head


def estimate_tests(checks: float) -> int:
    """Tests that check ``checks`` things, in one function or in a module's functions together:
    ``checks ** TESTS_EXPONENT``, rounded, at least one (none for nothing to check)."""
    return max(1, round(math.pow(checks, TESTS_EXPONENT))) if checks else 0


def unit_of(item: FunctionGap) -> str:
    """The unit of work a function belongs to: its module (file)."""
    return item.path


def _is_module_code(item: FunctionGap) -> bool:
    return item.region.name == MODULE_REGION


def phase_tests(phases: Sequence[Sequence[FunctionGap]]) -> list[int]:
    """Each phase's estimated tests: the sum of ``module_tests``."""
    return [sum(tests.values()) for tests in module_tests(phases)]


def module_tests(phases: Sequence[Sequence[FunctionGap]]) -> list[dict[str, int]]:
    """Each phase's estimated tests per module: what its functions in this phase add to the
    tests of its functions in earlier phases. Folded module-level code counts only what the
    import does not take (``fold_module_code``); a module planned for its top-level code alone
    takes at least one test."""
    done: dict[str, float] = {}
    estimates = []
    for items in phases:
        added: dict[str, float] = {}
        alone: dict[str, bool] = {}
        for item in items:
            unit = unit_of(item)
            if _is_module_code(item):
                alone.setdefault(unit, True)
            else:
                alone[unit] = False
            added[unit] = added.get(unit, 0.0) + item.checks
        tests: dict[str, int] = {}
        for unit, only_module_code in alone.items():
            before = done.get(unit, 0.0)
            after = before + added.get(unit, 0.0)
            if only_module_code and after == 0:
                after = 1.0  # a module planned for its top-level code alone: one test imports it
            tests[unit] = estimate_tests(after) - estimate_tests(before)
            done[unit] = after
        estimates.append(tests)
    return estimates


def plan_order(
    items: Sequence[FunctionGap],
    value: Callable[[FunctionGap], float],
    reach: float = REACH,
) -> list[FunctionGap]:
    """``items`` in the order that gains the most ``value`` per estimated test (greedy).

    A module's first function opens it at the cost of its own tests (√checks); each next one
    costs what it adds to the module's tests (√(S + c) − √S, S the checks taken so far), so a
    module's functions come together while they are worth more than opening another module.
    Inside a module, functions go by value per check. A module's top-level code comes right
    after its first function (that test imports the module); a module with nothing but
    top-level code to cover is a unit of its own.

    A function's tests also run the project's functions it calls (``callees``): a share
    ``reach`` of their remaining value counts toward it, and once it is taken, that share of
    theirs is spent (they come later, for what is left).
    """
    by_unit: dict[str, list[FunctionGap]] = {}
    module_code: dict[str, list[FunctionGap]] = {}
    for item in items:
        (module_code if _is_module_code(item) else by_unit).setdefault(unit_of(item), []).append(
            item
        )
    for key in [key for key in module_code if key not in by_unit]:
        by_unit[key] = module_code.pop(key)
    queues = {
        key: sorted(found, key=lambda i: (-value(i) / max(1, i.checks), -value(i)))
        for key, found in by_unit.items()
    }
    named = {(item.path, item.region.name): item for item in items}
    left = {id(item): value(item) for item in items}
    done: set[int] = set()

    def worth(item: FunctionGap) -> float:
        reached = (named.get(c) for c in item.callees)
        return left[id(item)] + reach * sum(
            left[id(c)] for c in reached if c is not None and id(c) not in done
        )

    taken = dict.fromkeys(queues, 0.0)
    position = dict.fromkeys(queues, 0)

    def gain(key: str) -> float:
        item = queues[key][position[key]]
        before = taken[key]
        after = before + max(1, item.checks)
        return worth(item) / (math.sqrt(after) - math.sqrt(before))

    heap = [(-gain(key), order, key) for order, key in enumerate(queues)]
    heapq.heapify(heap)
    ordered: list[FunctionGap] = []
    while heap:
        stale, order, key = heapq.heappop(heap)
        now = gain(key)
        if now < -stale - 1e-12 * max(1.0, now):  # spent since it was pushed: worth less now
            heapq.heappush(heap, (-now, order, key))
            continue
        item = queues[key][position[key]]
        ordered.append(item)
        done.add(id(item))
        for callee in item.callees:
            found = named.get(callee)
            if found is not None and id(found) not in done:
                left[id(found)] *= 1 - reach
        if position[key] == 0:
            ordered.extend(module_code.pop(key, ()))
        taken[key] += max(1, item.checks)
        position[key] += 1
        if position[key] < len(queues[key]):
            heapq.heappush(heap, (-gain(key), order, key))
    return ordered


def fold_module_code(ordered: Sequence[FunctionGap]) -> list[FunctionGap]:
    """``ordered`` with each never-run module's top-level code folded into the module's first
    planned function: the first test of that function imports the module and runs those
    lines, so they cost no test of their own (``runs_with`` names the function) and the advice
    says so instead of proposing an import-only test; what the import alone does not take (a
    fallback ``except ImportError``, an ``if`` on the platform) keeps its suggestions and their
    tests. Top-level code of a module that did run (its gap is such fallbacks), or of a module
    with no planned function, is not folded."""
    first: dict[str, str] = {}
    folded: list[FunctionGap] = []
    for item in ordered:
        unit = unit_of(item)
        if not _is_module_code(item):
            first.setdefault(unit, item.region.display_name)
            folded.append(item)
        elif unit in first and _never_ran(item):
            folded.append(_folded(item, first[unit]))
        else:
            folded.append(item)
    return folded


def _never_ran(item: FunctionGap) -> bool:
    numbers = item.region.numbers
    return numbers.statements > 0 and numbers.missing_statements == numbers.statements


def _folded(item: FunctionGap, runs_with: str) -> FunctionGap:
    source = item.advice_source
    # The import was one of its checks; the others (fallbacks the import does not take) stay.
    rest = max(0, item.checks - 1)

    def advice() -> TestAdvice | None:
        found = source()
        if found is None:
            return None
        others = tuple(s for s in found.suggestions if s.kind != "import")
        note = Suggestion(
            kind="import",
            line=item.region.start_line,
            text=(
                f"runs with the first test of `{runs_with}`: importing the module runs its "
                "module-level code"
                + (
                    "; what the import does not take needs the tests below"
                    if others
                    else f" (lines {item.missing_ranges}); no test of its own"
                )
            ),
            test_name="",
        )
        return dataclasses.replace(
            found, suggestions=(note, *others), effort=estimate_tests(rest), checks=rest
        )

    return dataclasses.replace(
        item,
        effort=estimate_tests(rest),
        checks=rest,
        runs_with=runs_with,
        advice_source=advice,
    )
