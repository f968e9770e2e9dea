"""The test suite: its outcomes and health, what a run selected and measured, what of it ran."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from covgap.model.coverage import Numbers

__all__ = [
    "FailureGroup",
    "Outcome",
    "RunInfo",
    "RunVerdict",
    "SuiteFacts",
    "SuiteHealth",
    "SuiteScope",
    "TestOutcome",
    "TestSelection",
    "UnrunTests",
]


Outcome = Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed"]


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
