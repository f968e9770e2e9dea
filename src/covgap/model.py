"""The data covgap works on: frozen dataclasses for coverage, gaps and plans; no I/O here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from covgap.config import Settings

__all__ = [
    "MODULE_REGION",
    "Assessment",
    "CaseFolder",
    "ExistingTest",
    "ExistingTests",
    "FailureGroup",
    "FileCoverage",
    "FileGap",
    "FolderGain",
    "FunctionGap",
    "Harness",
    "Isolation",
    "Numbers",
    "Phase",
    "Plan",
    "PlanResult",
    "ProjectCoverage",
    "ProjectTests",
    "Region",
    "Risk",
    "RiskFactor",
    "RiskInfo",
    "RiskLevel",
    "RunInfo",
    "RunVerdict",
    "StrategyItem",
    "Suggestion",
    "SuiteFacts",
    "SuiteHealth",
    "SuiteScope",
    "TestAdvice",
    "TestOutcome",
    "TestSelection",
    "TestStrategy",
    "UnrunTests",
]

#: The name coverage.py's JSON report gives the code outside every function: module-level code.
MODULE_REGION = ""

Priority = Literal["P0", "P1", "P2", "P3"]
Outcome = Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed"]
RiskLevel = Literal["high", "medium", "low"]
InputKind = Literal["coverage-data", "coverage-json", "cobertura-xml", "lcov"]


@dataclass(frozen=True)
class Numbers:
    """Counts in coverage.py's units: statements and branches, measured and missing.

    The percentage follows coverage.py exactly: (covered statements + covered branches) /
    (statements + branches), 100 when there is nothing to cover.
    """

    statements: int = 0
    missing_statements: int = 0
    branches: int = 0
    missing_branches: int = 0

    @property
    def covered_statements(self) -> int:
        return self.statements - self.missing_statements

    @property
    def covered_branches(self) -> int:
        return self.branches - self.missing_branches

    @property
    def units(self) -> int:
        """Statements plus branches: the denominator of the percentage."""
        return self.statements + self.branches

    @property
    def covered_units(self) -> int:
        return self.covered_statements + self.covered_branches

    @property
    def gap(self) -> int:
        """Missing statements plus missing branches: what full coverage would add."""
        return self.missing_statements + self.missing_branches

    @property
    def ratio(self) -> Fraction:
        """The covered fraction, exact; 1 when there is nothing to cover."""
        return Fraction(self.covered_units, self.units) if self.units else Fraction(1)

    @property
    def percent_covered(self) -> float:
        """The percentage as coverage.py computes it, to the same float."""
        if self.units > 0:
            return (100.0 * self.covered_units) / self.units
        return 100.0

    def __add__(self, other: Numbers) -> Numbers:
        return Numbers(
            self.statements + other.statements,
            self.missing_statements + other.missing_statements,
            self.branches + other.branches,
            self.missing_branches + other.missing_branches,
        )

    def fully_covered(self) -> Numbers:
        """These numbers with nothing missing."""
        return Numbers(self.statements, 0, self.branches, 0)


@dataclass(frozen=True)
class Region:
    """A function or method (qualified name, ``Session.valid``), or a file's module-level code.

    ``name`` is the key coverage.py's JSON report uses, so the two can be compared directly:
    ``MODULE_REGION`` ("") for module-level code, ``name@line`` for a repeated name.
    ``missing_arcs`` are (line, destination) pairs; a negative destination is an exit from the
    function, and 0 means the destination is unknown (Cobertura and LCOV inputs only count).
    """

    name: str
    start_line: int
    end_line: int
    numbers: Numbers
    statement_lines: tuple[int, ...] = ()
    missing_lines: tuple[int, ...] = ()
    missing_arcs: tuple[tuple[int, int], ...] = ()
    #: Tests (pytest node ids, without parameters) that ran its lines, most lines first, at
    #: most a few (from per-test contexts; empty when they were not measured).
    tested_by: tuple[str, ...] = ()

    @property
    def kind(self) -> Literal["function", "module"]:
        return "module" if self.name == MODULE_REGION else "function"

    @property
    def display_name(self) -> str:
        return "(module level)" if self.name == MODULE_REGION else self.name


@dataclass(frozen=True)
class FileCoverage:
    """One measured file: its numbers and its regions.

    ``regions`` partitions the file: the functions plus the module-level region add up to the
    file's numbers. When the functions are unknown (a report without them and no source to find
    them in) the whole file is one region, ``regions_known`` is False and ``regions_note`` says
    why; the note may also qualify known regions (taken from a report's line ranges).
    """

    path: str
    numbers: Numbers
    statement_lines: tuple[int, ...] = ()
    missing_lines: tuple[int, ...] = ()
    missing_arcs: tuple[tuple[int, int], ...] = ()
    regions: tuple[Region, ...] = ()
    #: False when the functions could not be found: the file is then one region.
    regions_known: bool = True
    regions_note: str | None = None
    #: Test modules that ran this file's lines, with how many lines each ran, most first
    #: (from per-test contexts; empty when they were not measured).
    tested_by: tuple[tuple[str, int], ...] = ()
    #: The file is outside the project folder (a coverage file can name any file): reports
    #: give its numbers and line numbers only, never text from its source, nor tests to write.
    outside: bool = False


@dataclass(frozen=True)
class ProjectCoverage:
    """Everything measured: the files, their total, and where it came from."""

    files: tuple[FileCoverage, ...]
    branch_measured: bool
    input_kind: InputKind
    input_path: str
    #: coverage.py's ``[report] precision``: the digits its own reports and ``fail_under`` use.
    coverage_precision: int = 0
    notes: tuple[str, ...] = ()
    #: Files parsed in this run, and files whose analysis came from covgap's cache.
    parsed_files: int = 0
    cached_files: int = 0
    #: Files whose source changed since they were measured (the data names lines that cannot be
    #: code now), files written after the data was, and files outside the project folder
    #: (``collect/coverage/staleness.py``); each also has a note.
    changed_files: tuple[str, ...] = ()
    modified_files: tuple[str, ...] = ()
    outside_files: tuple[str, ...] = ()
    #: The pytest node ids of the per-test contexts in the data (covgap's and pytest-cov's,
    #: without pytest-cov's "|run" suffix), sorted; empty when contexts were not recorded.
    test_contexts: tuple[str, ...] = ()

    @property
    def totals(self) -> Numbers:
        total = Numbers()
        for file in self.files:
            total = total + file.numbers
        return total


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
class FunctionGap:
    """A region with its place in the ranking."""

    path: str
    region: Region
    #: Points of total coverage gained if this region were fully covered (exact fraction × 100).
    impact: Fraction
    #: The score that ordered the ranking (higher first): impact, risk and effort together.
    score: float
    priority: Priority | None
    missing_ranges: str
    #: None when risk was not assessed (``risk = false``).
    risk: Risk | None = None
    #: Cyclomatic complexity, when the source could be read and parsed.
    complexity: int | None = None
    #: Estimated tests to write (1 when there is no advice to count from): an estimate.
    effort: int = 1
    #: Makes the advice (see ``Assessment``); the advice is None without risk analysis.
    advice_source: Callable[[], TestAdvice | None] = field(
        default=_no_advice, compare=False, repr=False
    )
    #: The distinct things its tests must check (``analyze/effort.py``).
    checks: int = 1
    #: The project's functions it calls, (path, qualified name): a test of it runs them too.
    callees: tuple[tuple[str, str], ...] = ()
    #: For module-level code the plan folds into its module's first planned function: that
    #: function's display name (its first test imports the module and runs these lines, so they
    #: cost no test of their own). "" otherwise.
    runs_with: str = ""

    @property
    def advice(self) -> TestAdvice | None:
        """The tests to write; None when the source was not available to derive them from."""
        return self.advice_source()


@dataclass(frozen=True)
class FileGap:
    """A file with its tier, impact and ranked regions."""

    file: FileCoverage
    tier: str
    #: Points of total coverage gained if the file were fully covered.
    impact: Fraction
    #: Points of total coverage gained if the file reached its target (0 when it already does).
    impact_to_target: Fraction
    file_target: float
    missing_ranges: str
    functions: tuple[FunctionGap, ...]


@dataclass(frozen=True)
class Phase:
    """One step of the plan: cover these regions fully and the total becomes ``projected``."""

    number: int
    milestone: Fraction
    items: tuple[FunctionGap, ...]
    #: Covered units of the whole project once this phase and all earlier ones are done.
    projected_covered_units: int
    total_units: int
    #: The ``fail_under`` to set when the phase is done (a ratchet), at coverage's precision.
    fail_under: Fraction
    #: Estimated tests to write, module by module (``analyze/effort.phase_tests``): an estimate.
    estimated_tests: int = 0
    #: The same per module (file path): they add up to ``estimated_tests``.
    tests_by_module: Mapping[str, int] = field(default_factory=dict)

    @property
    def projected_ratio(self) -> Fraction:
        return (
            Fraction(self.projected_covered_units, self.total_units)
            if self.total_units
            else Fraction(1)
        )

    @property
    def projected_percent(self) -> float:
        """The total coverage.py would report, computed with its own float formula."""
        if self.total_units > 0:
            return (100.0 * self.projected_covered_units) / self.total_units
        return 100.0

    @property
    def gap_closed(self) -> int:
        return sum(item.region.numbers.gap for item in self.items)


@dataclass(frozen=True)
class FolderGain:
    """A folder's share of the plan: its numbers now and once every phase is done."""

    folder: str
    now: Numbers
    after: Numbers


@dataclass(frozen=True)
class Plan:
    """The whole plan: from the current total to the target, in phases."""

    target: Fraction
    current: Numbers
    phases: tuple[Phase, ...]
    #: The highest total the plan can reach (100 unless files are left out of the plan).
    maximum: Fraction
    reachable: bool
    milestones_source: Literal["given", "computed"]
    gains: tuple[FolderGain, ...] = ()
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class TestOutcome:
    """One test's result, as pytest reported it (JUnit XML, or covgap's event log)."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    nodeid: str
    outcome: Outcome
    #: Seconds, as pytest measured them (setup + call + teardown).
    duration: float = 0.0
    #: The first line of the failure or error ("AssertionError: assert 1 == 2"), or "".
    message: str = ""
    #: Where it failed: "setup", "call", "teardown" or "collect"; "" when it did not fail.
    phase: str = ""
    #: A second outcome pytest's summary counts for the same test: its teardown failed too
    #: ("error" beside a failed call), or failed after a call that had passed ("passed" beside
    #: an error in teardown). None for most tests.
    also: Outcome | None = None


@dataclass(frozen=True)
class FailureGroup:
    """Failing tests that share a cause ("import error", "exception: KeyError", …)."""

    cause: str
    #: What to do about this kind of failure, in one sentence.
    advice: str
    tests: tuple[TestOutcome, ...]


@dataclass(frozen=True)
class SuiteHealth:
    """What running the suite said about the suite itself."""

    tests: tuple[TestOutcome, ...]
    groups: tuple[FailureGroup, ...]
    #: Where the outcomes came from: pytest's JUnit XML (``covgap plan --junit``), or pytest's
    #: test reports as covgap's plugin logged them (``covgap run``).
    source: Literal["junit-xml", "events"]
    #: Why the run did not finish by itself ("timed out after 60 s while running X"), or None.
    stopped: str | None = None

    def count(self, outcome: Outcome) -> int:
        """Outcomes as pytest's summary counts them: a test whose teardown failed after its call
        passed counts as passed and as an error."""
        return sum((test.outcome == outcome) + (test.also == outcome) for test in self.tests)

    def slowest(self, limit: int = 10) -> tuple[TestOutcome, ...]:
        return tuple(sorted(self.tests, key=lambda t: (-t.duration, t.nodeid))[:limit])


@dataclass(frozen=True)
class TestSelection:
    """What ``covgap run`` was told to run of the suite: what followed ``--`` that selects tests.

    Empty when the whole suite was asked for (``addopts`` and ``testpaths`` are the project's
    own selection, not this run's).
    """

    __test__ = False  # not a test class, whatever pytest thinks of the name

    #: Paths and node ids given to pytest, as given ("tests/test_a.py", "tests/t.py::test_x").
    paths: tuple[str, ...] = ()
    #: Options that select tests, as given: "-k 'not slow'", "-m db", "--deselect X", "--lf".
    options: tuple[str, ...] = ()
    #: Tests pytest deselected when it collected (None when not known: pytest-xdist, old logs).
    deselected: int | None = None

    @property
    def given(self) -> bool:
        return bool(self.paths or self.options)


@dataclass(frozen=True)
class RunInfo:
    """How ``covgap run`` measured: what a reader needs to trust (or question) the numbers."""

    python: str
    python_version: str
    coverage_version: str
    #: coverage.py's measurement core ("ctrace", "sysmon", "pytrace") and why it was chosen.
    core: str
    core_reason: str
    branch: bool
    #: What ``source`` was measured, and whether covgap detected it.
    source: tuple[str, ...]
    source_detected: bool
    subprocesses: bool
    workers: int
    contexts: bool
    pytest_exit_code: int | None
    seconds: float
    data_file: str
    notes: tuple[str, ...] = ()
    #: The run was cut by ``--timeout`` (``pytest_exit_code`` is then None).
    timed_out: bool = False
    #: What of the suite pytest was told to run (nothing given: the whole suite).
    selection: TestSelection = field(default_factory=TestSelection)


@dataclass(frozen=True)
class RunVerdict:
    """What ``covgap run``'s exit code says of the suite, and why (docs/messages.md)."""

    #: The exit code: 0 passed, 1 tests failed, 5 no test collected, 124 cut by ``--timeout``.
    exit_code: int
    #: Why, in words: "2 failed, 1 error", "pytest ran no tests (…)".
    reason: str
    #: Tests failed, but ``allow-failures`` made the exit code 0.
    failures_allowed: bool = False


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


Severity = Literal["high", "medium", "low", "info"]
AuditArea = Literal["suite", "ci", "settings", "target", "health", "docs"]


@dataclass(frozen=True)
class Evidence:
    """Where a finding was seen: a file, a line when there is one, and what is there."""

    path: str
    line: int | None
    text: str = ""


@dataclass(frozen=True)
class Finding:
    """One thing the audit says to fix, with the proof and the change to make."""

    #: The rule that found it ("pytest-strict-markers"); docs/audit.md lists every rule.
    rule: str
    area: AuditArea
    severity: Severity
    #: One line: what is wrong, with the numbers ("coverage gate 25% is 37.4 points below …").
    title: str
    evidence: tuple[Evidence, ...]
    #: Why it matters, in a sentence or two.
    why: str
    #: The change to make, as text to paste; "" when there is nothing to paste.
    fix: str
    #: Where the fix goes ("pyproject.toml"), or None.
    fix_path: str | None
    #: Points of its area's score this finding costs (docs/audit.md: the scoring).
    points: float


@dataclass(frozen=True)
class AreaScore:
    """One part of the audit score; not measured areas are not scored (``possible`` is 0)."""

    area: AuditArea
    label: str
    earned: float
    possible: float
    #: Why the area was not scored ("no coverage data"), or None when it was.
    unmeasured: str | None = None


@dataclass(frozen=True)
class InventoryFacts:
    """The test suite's inventory in numbers (from the test files' AST, nothing run)."""

    test_files: int
    test_functions: int
    #: Tests as pytest collects them (parametrized cases counted); ``unknown_cases`` test
    #: functions have parameters that are not literal and count as 1.
    tests: int
    unknown_cases: int
    test_classes: int
    fixtures: int
    categories: tuple[tuple[str, int], ...]
    markers_used: tuple[str, ...]
    markers_declared: tuple[str, ...]
    empty_folders: tuple[str, ...]
    uncollected: tuple[str, ...]
    no_project_import: tuple[str, ...]
    unparsable: tuple[str, ...]


@dataclass(frozen=True)
class CiFacts:
    """What the CI files say, in short: for the report's overview of the CI audit."""

    files: tuple[str, ...]
    jobs: int
    #: Commands that run the tests: (file:line, command as written).
    test_runs: tuple[tuple[str, str], ...]
    #: The coverage thresholds enforced (total), lowest first.
    gates: tuple[float, ...]
    python_versions: tuple[str, ...]


@dataclass(frozen=True)
class AuditResult:
    """The audit of the suite, its configuration and its CI: findings and the score."""

    findings: tuple[Finding, ...]
    areas: tuple[AreaScore, ...]
    inventory: InventoryFacts | None
    ci: CiFacts | None
    notes: tuple[str, ...] = ()

    @property
    def earned(self) -> float:
        return sum(area.earned for area in self.areas)

    @property
    def possible(self) -> float:
        return sum(area.possible for area in self.areas)

    def count(self, severity: Severity) -> int:
        return sum(finding.severity == severity for finding in self.findings)


@dataclass(frozen=True)
class Baseline:
    """What the ratchet and the phase gate compare with."""

    #: Where it came from: "covgap-baseline.json (commit 1a2b3c4)", "history snapshot 12 …".
    source: str
    commit: str | None
    numbers: Numbers
    #: path -> (uncovered statements, statements).
    files: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: The ``fail_under`` of each phase of the plan when the baseline was taken, lowest first.
    phases: tuple[float, ...] = ()


@dataclass(frozen=True)
class SuiteFacts:
    """What is known of the project's tests besides the coverage data: what ``analyze`` needs
    to tell test code from the code under test, and which tests did not run."""

    #: The test modules pytest collects (the inventory, from the test files' AST), with the
    #: tests each holds (parametrized cases counted, an unknown count as 1), by path.
    test_modules: tuple[tuple[str, int], ...] = ()
    #: ``covgap run``'s outcomes (every test that ran has one): None for ``covgap plan``.
    health: SuiteHealth | None = None
    #: What ``covgap run`` was told to run; None for ``covgap plan``.
    selection: TestSelection | None = None
    #: The command that runs the whole suite and plans again.
    command: str = "covgap run"


@dataclass(frozen=True)
class UnrunTests:
    """A test module none of whose tests ran."""

    __test__ = False

    path: str
    #: Tests the inventory counts in it (0 when it is test code the inventory does not collect).
    tests: int
    #: Its statements and branches, and those that did not run, when the data measures it.
    numbers: Numbers | None
    #: Why, when known: "not selected", "collection error: …", "skipped: …", "no line ran".
    reason: str


@dataclass(frozen=True)
class SuiteScope:
    """What of the suite ran: the test code among the measured files (never planned: it is run,
    not tested), the test modules that did not run, and whether the run was partial."""

    #: Measured files that are test code: test modules, conftest.py, helpers in test folders.
    test_files: tuple[str, ...] = ()
    #: Their numbers: coverage.py counts them in the total when its ``source`` holds them.
    test_numbers: Numbers = field(default_factory=Numbers)
    #: How the tests that ran are known: "events" (``covgap run``'s log of pytest's reports),
    #: "contexts" (per-test contexts in the data), "lines" (the test modules' measured lines);
    #: None when they cannot be told (tests neither measured nor in contexts).
    evidence: Literal["events", "contexts", "lines"] | None = None
    #: Test modules (the inventory's that hold tests; without an inventory, the measured files
    #: named like test modules), and the inventory's tests in them (None without one).
    test_modules: int = 0
    tests: int | None = None
    #: Tests that ran (events: outcomes; contexts: test node ids); None when not known.
    tests_run: int | None = None
    not_run: tuple[UnrunTests, ...] = ()
    #: ``covgap run``'s selection, when one was given.
    selection: TestSelection | None = None
    #: Only part of the suite ran: a selection left tests out (``covgap run``), or test modules
    #: of the inventory are absent from the data (``covgap plan``). Run the whole suite first.
    partial: bool = False
    #: The command that runs the whole suite.
    command: str = "covgap run"


@dataclass(frozen=True)
class PlanResult:
    """Everything a report shows: the coverage, the ranked gaps, the plan and the settings."""

    project: ProjectCoverage
    files: tuple[FileGap, ...]
    functions: tuple[FunctionGap, ...]
    plan: Plan
    settings: Settings
    #: Only for ``covgap run``: how the suite was measured, and its health.
    run: RunInfo | None = None
    health: SuiteHealth | None = None
    #: How risk was assessed; None when it was turned off.
    risk: RiskInfo | None = None
    #: The audit of the suite, configuration and CI; None when it was turned off.
    audit: AuditResult | None = None
    #: Only for ``covgap run``: the exit code the suite's outcome asks for.
    verdict: RunVerdict | None = None
    #: The test code measured, the tests that did not run, whether the run was partial.
    scope: SuiteScope = field(default_factory=SuiteScope)
    #: What to set up once for the planned tests; None without risk analysis.
    strategy: TestStrategy | None = None
