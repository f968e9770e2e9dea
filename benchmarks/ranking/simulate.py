"""Following an order of functions with the project's real tests, and the greedy bound (pure).

A *unit* is a statement or branch today's run misses (any hashable); a *real test* is the set of
those units it covers. Following an order of functions means: for each function in turn, add
real tests that cover its missing units, the one adding the most of the function's still-missing
units first, until the function's units are covered as far as any real test covers them. A test
already added is free. The greedy sequence instead adds, at each step, the test that adds the
most units anywhere. The best function order (an oracle: it knows the real tests) takes, at each
step, the function whose following adds the most units per real test it adds: the most any
order of *functions* can hope for, so the ceiling of a ranking's ratio to greedy.

Greedy is the usual best-first reference for "coverage per test", not a theorem: an order can
beat it after some number of tests (the tests document an example), so a ratio above 1 is
possible and is reported as it is.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "Run",
    "Step",
    "best_function_order",
    "follow_order",
    "greedy",
    "index_tests",
    "median",
    "spearman",
    "tests_alone",
]

TestUnits = Mapping[str, frozenset[Hashable]]


@dataclass(frozen=True)
class Step:
    """One real test added: which, for which function (None for greedy), what it added."""

    test: str
    function: Hashable | None
    gained: int


@dataclass(frozen=True)
class Run:
    """The tests an order adds, in order, and how many each function needed in it."""

    name: str
    steps: tuple[Step, ...]
    #: Real tests added during each function's turn (0: earlier tests covered it, or none can).
    tests_for: Mapping[Hashable, int] = field(default_factory=dict)

    def gained_after(self, tests: int) -> int:
        """Units gained after the first ``tests`` real tests (all of them when fewer)."""
        return sum(step.gained for step in self.steps[:tests])

    def tests_to_gain(self, units: int) -> int | None:
        """The fewest real tests after which at least ``units`` are gained; None if never."""
        if units <= 0:
            return 0
        gained = 0
        for count, step in enumerate(self.steps, 1):
            gained += step.gained
            if gained >= units:
                return count
        return None


class _Index:
    """Which tests cover each unit, and the tests in a fixed order (their names sorted)."""

    def __init__(self, tests: TestUnits) -> None:
        self.tests = tests
        self.rank = {name: index for index, name in enumerate(sorted(tests))}
        self.by_unit: dict[Hashable, list[str]] = defaultdict(list)
        for name in sorted(tests):
            for unit in tests[name]:
                self.by_unit[unit].append(name)

    def reachable(self, units: Iterable[Hashable]) -> set[Hashable]:
        return {unit for unit in units if unit in self.by_unit}

    def best_for(self, remaining: set[Hashable], covered: set[Hashable]) -> str:
        """The test adding the most of ``remaining``; ties: most new units overall, then name."""
        candidates = {name for unit in remaining for name in self.by_unit[unit]}
        return min(
            candidates,
            key=lambda name: (
                -len(self.tests[name] & remaining),
                -len(self.tests[name] - covered),
                self.rank[name],
            ),
        )


def follow_order(
    name: str,
    order: Sequence[Hashable],
    functions: Mapping[Hashable, frozenset[Hashable]],
    tests: TestUnits,
    index: _Index | None = None,
) -> Run:
    """Follow ``order``: each function's missing units covered by real tests, greedily
    (``index``: ``index_tests(tests)``, made once when following many orders)."""
    index = index if index is not None else _Index(tests)
    covered: set[Hashable] = set()
    added: set[str] = set()
    steps: list[Step] = []
    tests_for: dict[Hashable, int] = {}
    for function in order:
        remaining = index.reachable(functions.get(function, frozenset())) - covered
        count = 0
        while remaining:
            best = index.best_for(remaining, covered)
            assert best not in added  # an added test's units are covered
            new = tests[best] - covered
            covered |= new
            added.add(best)
            remaining -= new
            steps.append(Step(best, function, len(new)))
            count += 1
        tests_for[function] = count
    return Run(name, tuple(steps), tests_for)


def _follow_one(
    units: frozenset[Hashable], covered: set[Hashable], index: _Index
) -> tuple[list[str], set[Hashable]]:
    """The real tests following one function adds from ``covered``, and the units they add."""
    remaining = index.reachable(units) - covered
    added: list[str] = []
    new_units: set[Hashable] = set()
    seen = covered | new_units
    while remaining:
        best = index.best_for(remaining, seen)
        new = index.tests[best] - seen
        added.append(best)
        new_units |= new
        seen = seen | new
        remaining -= new
    return added, new_units


def best_function_order(
    functions: Mapping[Hashable, frozenset[Hashable]],
    tests: TestUnits,
    index: _Index | None = None,
    max_tests: int = 20,
    name: str = "best_functions",
) -> Run:
    """The oracle's order of functions: at each step the function whose following adds the most
    units per real test (ties: the most units, then the order of ``functions``), until
    ``max_tests`` real tests are added or no function adds any."""
    index = index if index is not None else _Index(tests)
    covered: set[Hashable] = set()
    steps: list[Step] = []
    tests_for: dict[Hashable, int] = {}
    left = [f for f in functions if index.reachable(functions[f])]
    while left and len(steps) < max_tests:
        best: tuple[tuple[float, int], Hashable, list[str]] | None = None
        for function in left:
            added, new_units = _follow_one(functions[function], covered, index)
            score = (len(new_units) / len(added) if added else math.inf, len(new_units))
            if best is None or score > best[0]:
                best = (score, function, added)
        assert best is not None
        _, function, added = best
        left.remove(function)
        for test in added:
            new = tests[test] - covered
            covered |= new
            steps.append(Step(test, function, len(new)))
        tests_for[function] = len(added)
    return Run(name, tuple(steps), tests_for)


def greedy(tests: TestUnits, name: str = "greedy") -> Run:
    """At each step the test that adds the most units anywhere (ties: by name), until none adds.

    Lazy evaluation: a test's gain only shrinks as others are added, so a stale gain popped from
    the heap is recomputed and pushed back until the top one is current.
    """
    covered: set[Hashable] = set()
    heap = [(-len(units), test) for test, units in sorted(tests.items()) if units]
    heapq.heapify(heap)
    steps: list[Step] = []
    while heap:
        stale_gain, test = heapq.heappop(heap)
        gain = len(tests[test] - covered)
        if gain == 0:
            continue
        if gain < -stale_gain:
            heapq.heappush(heap, (-gain, test))
            continue
        covered |= tests[test]
        steps.append(Step(test, None, gain))
    return Run(name, tuple(steps))


def index_tests(tests: TestUnits) -> _Index:
    """What ``follow_order`` and ``tests_alone`` look tests up in, made once for many calls."""
    return _Index(tests)


def tests_alone(units: frozenset[Hashable], tests: TestUnits, index: _Index | None = None) -> int:
    """Real tests a function needs from today's state alone: greedy cover of its reachable
    ``units`` (the count an order pays when it takes this function first)."""
    run = follow_order("alone", ["f"], {"f": units}, tests, index)
    return run.tests_for["f"]


def _ranks(values: Sequence[float]) -> list[float]:
    """Ranks from 1, ties given their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rank correlation (Pearson's on average ranks); None under 3 pairs or when
    either side is constant."""
    if len(xs) != len(ys) or len(xs) < 3:
        return None
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
