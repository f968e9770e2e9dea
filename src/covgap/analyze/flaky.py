"""Telling what a test that did not always pass is: flaky, order-dependent, timing-sensitive or
always failing, and its likely cause (docs/flaky.md). Pure: the experiments this asks for (a
test again in the same order, alone, the bisection of the tests before it) are run by the
caller, which hands their results back in an ``Evidence``.

The steps, for each test that failed in some run and passed in another, its timing aside:

1. ``same-order``: the tests that ran before it on its worker in its first failing run, then
   it, serially, with that run's seed. Passes: it passed and failed in the same order: flaky
   (or timing-sensitive, when it failed only in parallel runs, slower than it ever passed).
2. ``alone``: the test alone, with the same seed (skipped when nothing ran before it).
   Passes: order-dependent; ``bisect-polluters`` looks for the smallest set of the tests
   before it that still makes it fail (Zeller's ddmin).
3. ``other-seed``: alone again, with the seed of a run it passed in. Passes: its outcome
   follows the random seed: flaky (randomness). Fails: it fails alone whatever the seed, and
   passed after some tests: order-dependent and brittle; ``bisect-setters`` looks for the
   smallest set of the tests before it in that passing run that make it pass.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from covgap.collect.suite.flaky_runs import RunCoverage
from covgap.model.flaky import (
    KINDS,
    CoverageJitter,
    FlakyKind,
    FlakyRun,
    FlakyTest,
    RunTest,
    SuspectedCause,
)

__all__ = [
    "Evidence",
    "History",
    "Step",
    "classify",
    "coverage_jitter",
    "guess_cause",
    "histories",
    "minimal_subset",
    "next_step",
    "order_tests",
    "same_tests",
]

#: A duration at or above this share of a test's pytest-timeout limit is "near its timeout".
NEAR_TIMEOUT = 0.8
#: What pytest-timeout's failure says.
_TIMEOUT_MESSAGE = re.compile(r"^(Failed: )?Timeout\b")

Step = Literal["same-order", "alone", "other-seed", "bisect-polluters", "bisect-setters"]


@dataclass(frozen=True)
class History:
    """One test across the runs: the runs it ran in, with its result in each."""

    nodeid: str
    results: tuple[tuple[FlakyRun, RunTest], ...]

    @property
    def failing(self) -> tuple[tuple[FlakyRun, RunTest], ...]:
        return tuple(pair for pair in self.results if pair[1].failed)

    @property
    def passing(self) -> tuple[tuple[FlakyRun, RunTest], ...]:
        return tuple(pair for pair in self.results if not pair[1].failed)

    @property
    def first_failure(self) -> tuple[FlakyRun, RunTest]:
        return self.failing[0]


#: A value's id pytest made from its argument's name and its index ("expected7"), between the
#: brackets of a parametrized test's node id.
_GENERATED_ID = re.compile(r"(?<=[\[-])([A-Za-z_]\w*?)\d+(?=[-\]])")


def same_tests(runs: Sequence[FlakyRun]) -> tuple[dict[str, str], int]:
    """Node ids that change from run to run, mapped to one name for the same test: ids made by
    pytest from a parameter's index ("test_f[x-expected7]", "test_f[x-expected25]") when the
    parameters come in a set's order, which follows PYTHONHASHSEED. An id is mapped only when
    the name stands for one test in every run that has it. Also: how many ids change."""
    every = [{test.nodeid for test in run.tests} for run in runs]
    if not every:
        return {}, 0
    stable = every[0].intersection(*every[1:])
    changing = set().union(*every) - stable
    names: dict[str, str] = {}
    for nodeid in changing:
        name = _GENERATED_ID.sub(lambda match: f"{match.group(1)}#", nodeid)
        if name != nodeid:
            names[nodeid] = name
    for ids in every:  # a name given to two tests of one run, or to a stable id, is no name
        seen: dict[str, int] = {}
        for nodeid in ids:
            if nodeid in names:
                seen[names[nodeid]] = seen.get(names[nodeid], 0) + 1
        clashes = {name for name, count in seen.items() if count > 1} | stable
        names = {nodeid: name for nodeid, name in names.items() if name not in clashes}
    return names, len(changing)


def histories(
    runs: Sequence[FlakyRun], names: Mapping[str, str] | None = None
) -> tuple[History, ...]:
    """The tests that failed (or errored) in at least one run, in the order first seen;
    ``names`` gives one name to a test whose node id changes from run to run (``same_tests``)."""
    found: dict[str, list[tuple[FlakyRun, RunTest]]] = {}
    for run in runs:
        for test in run.tests:
            name = (names or {}).get(test.nodeid, test.nodeid)
            found.setdefault(name, []).append((run, test))
    return tuple(
        History(nodeid, tuple(results))
        for nodeid, results in found.items()
        if any(test.failed for _, test in results)
    )


@dataclass(frozen=True)
class Evidence:
    """What the experiments on one test showed so far (None: not run yet)."""

    #: The seed of its first failing run, the tests before it there (on its worker), and its
    #: node id there.
    seed: int
    before: tuple[str, ...]
    target: str
    same_order_failed: bool | None = None
    alone_failed: bool | None = None
    #: A run it passed in: its seed, the tests before it there, and its node id there.
    passing_seed: int | None = None
    passing_before: tuple[str, ...] = ()
    passing_target: str = ""
    other_seed_failed: bool | None = None
    #: The smallest set found (ddmin), and whether the bisection finished.
    polluters: tuple[str, ...] | None = None
    setters: tuple[str, ...] | None = None
    bisected: bool = True
    #: The experiments could not go on (the budget ran out, a run could not tell).
    stopped: str = ""
    experiments: int = 0

    @property
    def alone(self) -> bool | None:
        """Whether it failed alone with the failing run's seed (the same-order run, when
        nothing ran before it)."""
        return self.alone_failed if self.before else self.same_order_failed


def start_evidence(history: History) -> Evidence:
    """The experiments' starting point: the first failing run, and a run it passed in."""
    run, test = history.first_failure
    passing = history.passing
    return Evidence(
        seed=run.seed,
        before=run.before(test.nodeid),
        target=test.nodeid,
        passing_seed=passing[0][0].seed if passing else None,
        passing_before=passing[0][0].before(passing[0][1].nodeid) if passing else (),
        passing_target=passing[0][1].nodeid if passing else "",
    )


def _near_timeout(test: RunTest) -> bool:
    if _TIMEOUT_MESSAGE.match(test.outcome.message):
        return True
    return bool(test.timeout) and test.outcome.duration >= NEAR_TIMEOUT * (test.timeout or 0)


def triage(history: History) -> FlakyKind | None:
    """The kinds the runs alone tell: always failing (it never passed), timing-sensitive (each
    failure was cut by pytest-timeout or came near its limit). None: experiments are needed."""
    if not history.passing:
        return "always-failing"
    if all(_near_timeout(test) for _, test in history.failing):
        return "timing-sensitive"
    return None


def next_step(history: History, evidence: Evidence) -> Step | None:
    """The next experiment to run on this test; None when its kind is known (or cannot be)."""
    if triage(history) is not None or evidence.stopped:
        return None
    if evidence.same_order_failed is None:
        return "same-order"
    if not evidence.same_order_failed:
        return None
    alone = evidence.alone
    if alone is None:
        return "alone"
    if not alone:
        return "bisect-polluters" if evidence.polluters is None else None
    if evidence.passing_seed is None:
        return None
    if evidence.other_seed_failed is None:
        return "other-seed"
    if evidence.other_seed_failed and evidence.setters is None and evidence.passing_before:
        return "bisect-setters"
    return None


def _under_load(history: History) -> bool:
    """It failed only in parallel runs, and ran slower each time it failed than it ever did
    when it passed."""
    failing, passing = history.failing, history.passing
    if not all(run.workers > 1 for run, _ in failing):
        return False
    slowest_pass = max(test.outcome.duration for _, test in passing)
    return min(test.outcome.duration for _, test in failing) > slowest_pass


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.0f} s"


def _timing_detail(history: History) -> tuple[str, str]:
    """How a timing-sensitive test was told, and the cause's evidence."""
    _, test = history.first_failure
    if _TIMEOUT_MESSAGE.match(test.outcome.message):
        limit = f" of {_seconds(test.timeout)}" if test.timeout else ""
        evidence = f"pytest-timeout cut it at its limit{limit}"
    elif test.timeout:
        evidence = (
            f"it took {_seconds(test.outcome.duration)} of its {_seconds(test.timeout)} "
            "pytest-timeout limit when it failed"
        )
    else:
        passing = max(t.outcome.duration for _, t in history.passing)
        evidence = (
            f"it failed only in parallel runs, slower ({_seconds(test.outcome.duration)}) than "
            f"it ever passed (at most {_seconds(passing)})"
        )
    return evidence, f"every failure came near its time limit or under load: {evidence}"


def _kind(history: History, evidence: Evidence) -> tuple[FlakyKind, str, bool]:
    """The kind, how it was told, and whether experiments confirmed it."""
    first = triage(history)
    if first == "always-failing":
        return first, "it failed in every run it ran in", True
    if first == "timing-sensitive":
        return first, _timing_detail(history)[1], True
    seed = evidence.seed
    if evidence.same_order_failed is None:
        why = evidence.stopped or "not confirmed"
        return "flaky", f"it passed and failed in different orders ({why})", False
    if not evidence.same_order_failed:
        if _under_load(history):
            return "timing-sensitive", _timing_detail(history)[1], True
        return (
            "flaky",
            f"it failed with seed {seed}, then passed when the same tests ran again in the "
            "same order: it passes and fails in the same order",
            True,
        )
    alone = evidence.alone
    if alone is None:
        why = evidence.stopped or "not confirmed"
        return "flaky", f"it failed again in the same order (seed {seed}); {why}", False
    if not alone:
        count = len(evidence.before)
        found = evidence.polluters or ()
        detail = (
            f"it failed again after the {count} test(s) that ran before it (seed {seed}), "
            f"passed alone, and fails after {_listed(found)}"
            if found
            else f"it failed again after the {count} test(s) that ran before it (seed {seed}) "
            "and passed alone"
        )
        if not evidence.bisected:
            detail += " (the bisection stopped early: the set may not be the smallest)"
        return "order-dependent", detail, True
    other = evidence.passing_seed
    if evidence.other_seed_failed is None:
        why = evidence.stopped or "no run it passed in to compare with"
        return "flaky", f"it fails alone with seed {seed}; {why}", False
    if not evidence.other_seed_failed:
        return (
            "flaky",
            f"it fails alone with seed {seed} and passes alone with seed {other}: its outcome "
            "follows the random seed, not the order",
            True,
        )
    setters = evidence.setters or ()
    detail = f"it fails alone (seeds {seed} and {other}) but passed in other runs"
    if setters:
        detail += f": it passes only after {_listed(setters)}, which set up what it needs"
    return "order-dependent", detail, True


def _listed(nodeids: Sequence[str]) -> str:
    if len(nodeids) <= 3:
        return ", ".join(nodeids)
    return f"{', '.join(nodeids[:3])} and {len(nodeids) - 3} more"


def classify(
    history: History,
    evidence: Evidence,
    sources: Mapping[str, str],
    reproduce: tuple[str, str] = ("", ""),
) -> FlakyTest:
    """The test's kind, cause and detail (``sources``: node id → the test's code)."""
    kind, detail, confirmed = _kind(history, evidence)
    _, first = history.first_failure
    order_dependent = kind == "order-dependent"
    brittle = order_dependent and bool(evidence.alone)
    polluters = (evidence.setters if brittle else evidence.polluters) or ()
    cause, why = guess_cause(
        kind,
        history,
        evidence,
        sources.get(history.nodeid, ""),
        [sources.get(nodeid, "") for nodeid in polluters],
    )
    return FlakyTest(
        nodeid=history.nodeid,
        kind=kind,
        runs=len(history.results),
        failures=len(history.failing),
        seeds=tuple(run.seed for run, _ in history.failing),
        cause=cause,
        cause_evidence=why,
        message=first.outcome.message,
        exc_type=first.exc_type,
        polluters=polluters if order_dependent else (),
        brittle=brittle,
        reproduce=reproduce[0],
        reproduce_dir=reproduce[1],
        detail=detail,
        confirmed=confirmed,
    )


def order_tests(tests: Sequence[FlakyTest]) -> tuple[FlakyTest, ...]:
    """By kind (order-dependent, flaky, timing-sensitive, always failing), then most failures."""
    return tuple(
        sorted(tests, key=lambda test: (KINDS.index(test.kind), -test.failures, test.nodeid))
    )


# The cause.

_NETWORK_EXCEPTIONS = re.compile(
    r"(Connection\w*Error|ConnectTimeout|ReadTimeout|URLError|HTTPError|gaierror|herror|"
    r"SSLError|ProxyError|RemoteDisconnected|NewConnectionError|MaxRetryError|"
    r"socket\.timeout|TransportError|NetworkError)$"
)
_TIME_EXCEPTIONS = re.compile(r"(TimeoutError|Timeout|TimeoutExpired)$")
#: What in a test's code points to a cause, in the order the causes are tried.
_CODE_SIGNS: tuple[tuple[SuspectedCause, re.Pattern[str]], ...] = (
    (
        "network",
        re.compile(
            r"\b(requests|httpx|aiohttp|urllib3?|socket|smtplib|ftplib|http\.client)\.\w+|"
            r"\burlopen\(|['\"]https?://"
        ),
    ),
    (
        "time",
        re.compile(
            r"\btime\.(time|time_ns|sleep|monotonic|perf_counter)\(|\b(datetime|date)\.\w*"
            r"(now|today)\(|\.utcnow\(|\bmonotonic\(|\bperf_counter\(|\bsleep\(|"
            r"\bmark\.timeout\b"
        ),
    ),
    (
        "randomness",
        re.compile(
            r"\brandom\.\w+|\b(randint|randrange|shuffle|choice|uniform)\(|\buuid[14]\(|"
            r"\bsecrets\.\w+|\burandom\(|\bnp\.random\b|@given\b|\bFaker\("
        ),
    ),
    (
        "shared state",
        re.compile(
            r"\bglobal\s+\w+|\bos\.environ\b|\bsetattr\(|\bchdir\(|\bcache_clear\(|"
            r"\blru_cache\b|\bsys\.(modules|path)\b"
        ),
    ),
)


def _sign(source: str) -> tuple[SuspectedCause, str] | None:
    """The first cause the code shows a sign of, with the line that shows it."""
    for cause, pattern in _CODE_SIGNS:
        for line in source.splitlines():
            match = pattern.search(line)
            if match:
                return cause, f"its code uses {match.group(0).strip()} (`{line.strip()[:80]}`)"
    return None


_NOISE = frozenset(dir(builtins)) | {"pytest", "self", "cls", "mock", "monkeypatch", "assert"}


def _names(source: str) -> set[str]:
    """The globals a test's code reads or writes: names and dotted attributes (``state.X``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    local = {
        arg.arg
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for arg in node.args.args + node.args.kwonlyargs
    }
    local |= {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
    local -= {
        name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id not in local and node.value.id not in _NOISE:
                found.add(f"{node.value.id}.{node.attr}")
        elif isinstance(node, ast.Name) and node.id not in local and node.id not in _NOISE:
            found.add(node.id)
    return found


def _shared(source: str, others: Sequence[str]) -> list[str]:
    """Globals the test and the tests before it both use, dotted ones first."""
    mine = _names(source)
    theirs: set[str] = set().union(*(_names(other) for other in others)) if others else set()
    common = mine & theirs
    # "state" is less telling than "state.STATE" when both are there.
    common -= {name.split(".")[0] for name in common if "." in name}
    return sorted(common, key=lambda name: ("." not in name, name))


def guess_cause(
    kind: FlakyKind,
    history: History,
    evidence: Evidence,
    source: str,
    polluter_sources: Sequence[str] = (),
) -> tuple[SuspectedCause, str]:
    """The likely cause of the failures, and what it was guessed from (docs/flaky.md):
    what the experiments showed first, then the exception's type, then the test's code."""
    if kind == "order-dependent":
        shared = _shared(source, polluter_sources)
        if shared:
            names = ", ".join(f"`{name}`" for name in shared[:4])
            return "shared state", f"it and the tests it depends on both use {names}"
        return (
            "shared state",
            "its outcome depends on the tests before it: state one leaves behind (a module "
            "global, a class attribute, an environment variable, a file, a cache)",
        )
    if kind == "timing-sensitive":
        return "time", _timing_detail(history)[0]
    if (
        kind == "flaky"
        and evidence.alone
        and evidence.other_seed_failed is False
        and evidence.passing_seed is not None
    ):
        return (
            "randomness",
            f"alone, it fails with seed {evidence.seed} and passes with seed "
            f"{evidence.passing_seed}, the seed `random` gets before each test",
        )
    exceptions = [test.exc_type for _, test in history.failing if test.exc_type]
    sign = _sign(source)
    for exc_type in exceptions:
        if _NETWORK_EXCEPTIONS.search(exc_type):
            return "network", f"it raised {exc_type}"
    for exc_type in exceptions:
        if _TIME_EXCEPTIONS.search(exc_type):
            if sign is not None and sign[0] == "network":
                return "network", f"it raised {exc_type}, and {sign[1]}"
            return "time", f"it raised {exc_type}"
    if sign is not None:
        return sign
    return "unknown", "nothing in its exception or its code points to a cause"


# Bisection.


class _Stop(Exception):
    """The predicate could not answer (the budget ran out)."""


def minimal_subset(
    items: Sequence[str], holds: Callable[[tuple[str, ...]], bool | None], most: int = 64
) -> tuple[tuple[str, ...], bool]:
    """Zeller's ddmin: a 1-minimal subset of ``items`` (for which ``holds`` is taken to be
    true) for which ``holds`` is still true, and whether the search finished (``holds``
    returning None, or ``most`` calls, stop it: the smallest set found so far is returned).
    Kept in the order of ``items``."""
    current = tuple(items)
    cache: dict[tuple[str, ...], bool] = {}
    calls = 0

    def test(subset: tuple[str, ...]) -> bool:
        nonlocal calls
        if subset in cache:
            return cache[subset]
        if calls >= most:
            raise _Stop
        calls += 1
        answer = holds(subset)
        if answer is None:
            raise _Stop
        cache[subset] = answer
        return answer

    granularity = 2
    try:
        while len(current) >= 2:
            size = len(current)
            chunks = [
                current[size * i // granularity : size * (i + 1) // granularity]
                for i in range(granularity)
            ]
            chunks = [chunk for chunk in chunks if chunk]
            reduced = False
            for chunk in chunks:
                if test(chunk):
                    current, granularity, reduced = chunk, 2, True
                    break
            if not reduced and granularity > 2:
                for index in range(len(chunks)):
                    rest = tuple(
                        item
                        for number, chunk in enumerate(chunks)
                        if number != index
                        for item in chunk
                    )
                    if test(rest):
                        current, granularity, reduced = rest, max(granularity - 1, 2), True
                        break
            if not reduced:
                if granularity >= len(current):
                    break
                granularity = min(len(current), granularity * 2)
    except _Stop:
        return current, False
    return current, True


# Coverage that moves.


def coverage_jitter(
    runs: Sequence[RunCoverage],
) -> tuple[tuple[CoverageJitter, ...], tuple[int, int] | None]:
    """The files whose covered lines or branches differ between runs, and the fewest and most
    lines a run covered."""
    if not runs:
        return (), None
    totals = [sum(len(lines) for lines in run.lines.values()) for run in runs]
    files = sorted(set().union(*(run.lines for run in runs)))
    found: list[CoverageJitter] = []
    for path in files:
        line_counts: dict[int, int] = {}
        arc_counts: dict[tuple[int, int], int] = {}
        for run in runs:
            for line in run.lines.get(path, ()):
                line_counts[line] = line_counts.get(line, 0) + 1
            for arc in run.arcs.get(path, ()):
                arc_counts[arc] = arc_counts.get(arc, 0) + 1
        lines = tuple(sorted((n, c) for n, c in line_counts.items() if c < len(runs)))
        arcs = tuple(sorted((a, c) for a, c in arc_counts.items() if c < len(runs)))
        if not lines and not arcs:
            continue
        moving = {number for number, _ in lines} | {
            point for (start, end), _ in arcs for point in (start, end) if point > 0
        }
        tests: set[str] = set()
        for run in runs:
            by_line = run.tests.get(path, {})
            for number in moving:
                tests |= by_line.get(number, frozenset())
        found.append(CoverageJitter(path, lines, arcs, tuple(sorted(tests))))
    return tuple(found), (min(totals), max(totals))
