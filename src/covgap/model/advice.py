"""Risk and test advice: risk, suggested tests, isolation, harnesses, existing tests, strategy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Assessment",
    "CaseFolder",
    "ExistingTest",
    "ExistingTests",
    "Harness",
    "Isolation",
    "ProjectTests",
    "Risk",
    "RiskFactor",
    "RiskInfo",
    "RiskLevel",
    "StrategyItem",
    "Suggestion",
    "TestAdvice",
    "TestStrategy",
]


RiskLevel = Literal["high", "medium", "low"]


@dataclass(frozen=True, slots=True)
class RiskFactor:
    """One measured reason a function is risky: its raw value, and its part in the risk."""

    #: "criticality", "exposure", "complexity", "churn" or "crap".
    name: str
    #: The measurement itself: a complexity, a number of commits, a CRAP score, the fan-in for
    #: exposure; for criticality, its score (from effects, or 0.3/0.15 for a name/path match).
    value: float
    #: The value mapped to 0..1 (docs/risk.md gives each formula).
    score: float
    #: Its share: of the likelihood for complexity, churn and crap (summing to 1), of the impact
    #: for criticality and exposure (weight / (1 + their weights)); docs/risk.md.
    weight: float
    #: Why, in words: "name matches `password*`", "changed in 4 commits in the last 90 days".
    reason: str


@dataclass(frozen=True, slots=True)
class Risk:
    """A function's risk: the weighted factors, their sum (0..1) and its level."""

    score: float
    level: RiskLevel
    factors: tuple[RiskFactor, ...]

    def factor(self, name: str) -> RiskFactor | None:
        return next((f for f in self.factors if f.name == name), None)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One test to write: what it must make happen, and at which line of the function."""

    #: "import", "call", "raise", "except", "branch", "loop", "case", "return", "lines", or
    #: "run" for test code that did not run.
    kind: str
    line: int
    text: str
    #: The name of the test function to create for it.
    test_name: str


@dataclass(frozen=True, slots=True)
class Isolation:
    """An outside dependency the function touches, and what fakes it well in a test."""

    #: What it is, in words: "HTTP (requests)", "time and dates", "environment variables".
    dependency: str
    #: The names in the function's code that reach it ("requests.get", "self.session").
    via: tuple[str, ...]
    #: The library or fixture to use ("responses", "monkeypatch", "unittest.mock").
    fake: str
    #: How, in one line.
    how: str
    #: Where the fake goes in, when the function does not create the client itself: "replace
    #: `shop.cache.r` (a module global)", "pass it as `conn`", "set `self.conn`"; "" otherwise.
    inject: str = ""


@dataclass(frozen=True, slots=True)
class Harness:
    """How a test reaches a function at the right level: a route through its framework's test
    client, a command through its CLI runner, an async function through an async runner."""

    #: "route", "command", "main" (an argparse entry point) or "async".
    kind: str
    #: "FastAPI", "Flask", "Django", "click", "typer", "argparse", "asyncio", "anyio"…
    framework: str
    #: One line: how the test drives it.
    text: str
    #: How the "call" suggestion says to call it ("request it (`client.get("/x")`) …").
    call: str
    #: The fixture to write once for every function reached this way ("client",
    #: "cli_runner"; "" when none is needed), and what it holds.
    fixture: str
    fixture_how: str
    #: Distributions a test needs for it (``httpx`` for FastAPI's TestClient).
    packages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExistingTest:
    """A test of the project that already targets a function."""

    __test__ = False

    #: "tests/test_x.py::TestY::test_z" (without parameters).
    nodeid: str
    #: How it is known: "contexts" (per-test contexts: it ran lines of the function), "calls"
    #: (its code, its helpers' or its fixtures' use the function), "name" (its name mentions
    #: the function, and its module imports the function's module), "imports" (its module
    #: imports the function's module: for module-level code, and a data-driven suite).
    evidence: str
    #: Whether it ran in the measured run: True, False, or None when the data does not say.
    ran: bool | None


@dataclass(frozen=True, slots=True)
class CaseFolder:
    """The folder a data-driven test reads its cases from: where a new case goes."""

    #: The parametrized test ("tests/test_cases.py::test_case").
    nodeid: str
    #: POSIX, relative to the project ("" when it could not be worked out).
    folder: str
    pattern: str
    #: The expression that lists the files, as written.
    how: str
    #: A few existing case files, as models for a new one.
    examples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExistingTests:
    """The tests that already target a function, and what to do with them."""

    #: "extend": add the new tests to ``target`` (a class or module whose tests run the
    #: function); "run": ``target``'s tests exercise it but were not in the measured run;
    #: "add-case": add a case file to a data-driven suite's folder.
    action: str
    #: "tests/test_x.py::TestY", "tests/test_x.py", or a case folder.
    target: str
    #: The advice in one line.
    text: str
    #: The tests, most telling first (at most a few; ``more`` counts the others).
    tests: tuple[ExistingTest, ...]
    more: int = 0
    cases: CaseFolder | None = None


@dataclass(frozen=True, slots=True)
class TestAdvice:
    """How to close a function's gap: where to write the tests, which ones, and with what."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    #: The test module to extend or create, relative to the project folder.
    test_file: str
    test_file_exists: bool
    #: Why that module: "runs 12 of this file's lines (per-test contexts)", "named after it",
    #: "new: mirrors src/shop/auth.py".
    test_file_reason: str
    suggestions: tuple[Suggestion, ...]
    isolation: tuple[Isolation, ...]
    #: Estimated number of tests to write (docs/risk.md gives the formula): an estimate.
    effort: int
    #: For async functions: how to run them in a test; "" otherwise.
    runner: str = ""
    #: The distinct things the tests must check (``analyze/effort.py``): what ``effort`` and a
    #: module's shared tests are estimated from.
    checks: int = 1
    #: How a test reaches it when a plain call is not the right level (a route, a command).
    harness: Harness | None = None
    #: The tests that already target it (None: none found).
    existing: ExistingTests | None = None
    #: For a method: how its object is built, from ``__init__`` ("NoteRepository(conn)").
    constructor: str = ""


def _no_advice() -> TestAdvice | None:
    return None


@dataclass(frozen=True, slots=True)
class Assessment:
    """What risk analysis says of one region with a gap: its risk, complexity and test advice.

    The advice is made on demand (``advice``): a big project has tens of thousands of regions
    with a gap, and only those its reports list need their suggested tests spelled out.
    """

    risk: Risk
    complexity: int | None
    #: Estimated tests to write (docs/risk.md gives the formula): an estimate.
    effort: int = 1
    advice_source: Callable[[], TestAdvice | None] = field(default=_no_advice, compare=False)
    #: The distinct things its tests must check (``analyze/effort.py``).
    checks: int = 1
    #: The project's functions it calls, (path, qualified name) (``analyze/exposure.py``).
    callees: tuple[tuple[str, str], ...] = ()

    @property
    def advice(self) -> TestAdvice | None:
        return self.advice_source()


@dataclass(frozen=True)
class RiskInfo:
    """How risk was assessed for this plan: what was measured, and what could not be."""

    #: The complexity library and its version ("radon 6.0.1").
    complexity_library: str
    #: The churn window actually used ("the 90 days before the last commit, …"), or None.
    churn_window: str | None
    #: Why churn is absent ("not a git repository"), or None when it was measured.
    churn_absent: str | None
    #: The configured weight of each factor (before those absent are left out).
    weights: tuple[tuple[str, float], ...]
    #: Functions per level, over every function with a gap.
    levels: tuple[tuple[RiskLevel, int], ...] = ()
    notes: tuple[str, ...] = ()
    #: What the test strategy needs to know of the project's tests (None: not read).
    tests: ProjectTests | None = None


@dataclass(frozen=True)
class ProjectTests:
    """The project's test set-up, as the test strategy needs it: the development dependencies
    already declared and where a new one goes, the fixtures already written, the conftest.py
    where shared fixtures go."""

    __test__ = False

    #: Distributions already declared for development or tests (normalised names).
    dev_dependencies: frozenset[str] = frozenset()
    #: Where a new development dependency goes: (file, list) as ``("pyproject.toml",
    #: "dependency-groups.test")``, ``("requirements-dev.txt", "")``; None when unknown.
    dependency_home: tuple[str, str] | None = None
    #: (fixture name, "path:line") for the fixtures already written.
    fixtures: tuple[tuple[str, str], ...] = ()
    #: The conftest.py for fixtures shared by the tests, and whether it exists.
    conftest: str = "tests/conftest.py"
    conftest_exists: bool = False
    #: Most of the tests are ``unittest.TestCase`` methods: set-up goes in a base class's
    #: ``setUp``, not in pytest fixtures.
    unittest: bool = False


@dataclass(frozen=True)
class StrategyItem:
    """One thing to set up once for the tests to come: a fake to install, a fixture or a
    factory to write, and the planned functions it unlocks."""

    #: "dependency" (a distribution for the development dependencies), "fixture" or "factory".
    kind: str
    #: The distribution or fixture name ("fakeredis", "client", "note_repository").
    name: str
    #: What it is for, in one line.
    text: str
    #: Where it goes: the file (and list) for a dependency, the conftest.py for a fixture.
    where: str
    #: The planned functions it unlocks (display names), in plan order; ``more`` counts the
    #: others.
    functions: tuple[str, ...]
    more: int = 0
    #: The fixture exists already ("path:line"), or the dependency is declared already.
    exists: str = ""


@dataclass(frozen=True)
class TestStrategy:
    """The project-level test strategy: what to set up once before writing the planned tests,
    derived from the planned functions' code (their dependencies, how tests reach them)."""

    __test__ = False

    items: tuple[StrategyItem, ...]
    #: The dependencies to add, as a snippet for the file that lists them ("" when none).
    dependency_file: str = ""
    dependency_snippet: str = ""
    notes: tuple[str, ...] = ()
