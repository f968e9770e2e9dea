"""Recorded test runs, and what they show across runs: flaky tests, slow tests, the suite's time.

The history (``covgap.store.history``) keeps every recorded run's per-test outcomes; the pure
functions of ``covgap.analyze`` (``known_flaky``, ``slow_tests``, ``suite_time``) read these
types and return the others. docs/history.md says how each is computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from covgap.model.suite import TestOutcome

__all__ = [
    "TEST_RUN_SOURCES",
    "DurationBin",
    "FlakyRecord",
    "RunMark",
    "SlowRegression",
    "SuiteEstimate",
    "SuiteTiming",
    "TestEvidence",
    "TestHistory",
    "TestRun",
    "TestRunSource",
    "TestTiming",
    "WorkerEstimate",
]


#: What recorded a run: ``covgap run``'s event log, ``covgap flaky``'s re-runs, or a JUnit XML
#: report given to ``covgap plan --junit FILE --record``.
TestRunSource = Literal["covgap run", "covgap flaky", "junit"]
TEST_RUN_SOURCES: tuple[TestRunSource, ...] = ("covgap run", "covgap flaky", "junit")


@dataclass(frozen=True)
class RunMark:
    """Which run, when, and on what code: how a finding names the run it comes from."""

    run_id: int
    #: UTC, ISO 8601 (``2026-08-23T09:41:07Z``).
    recorded_at: str
    commit: str | None
    #: The work tree differed from the commit (see ``git_state``).
    dirty: bool = False


@dataclass(frozen=True)
class TestRun:
    """One recorded run of the suite (or of part of it) with every test's outcome."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    id: int
    commit: str | None
    branch: str | None
    dirty: bool
    recorded_at: str
    covgap_version: str
    source: TestRunSource
    #: The seed the tests were ordered (or randomised) with, when one was set.
    seed: int | None
    #: pytest-xdist workers (1: a serial run); None when not known (JUnit XML).
    workers: int | None
    #: The run's wall time, start-up and collection included; None when not known.
    seconds: float | None
    #: Only part of the suite ran (a selection: paths, ``-k``, ``-m``…).
    partial: bool
    #: Runs recorded together (``History.record_test_runs``: one ``covgap flaky``) ran the same
    #: code, even on a work tree with changes not committed: the first one's id; None alone.
    batch: int | None
    #: The snapshot recorded with it (``covgap run``, ``covgap plan --record``), if any.
    snapshot_id: int | None
    #: Every test's outcome, by node id; empty when read without them.
    outcomes: tuple[TestOutcome, ...] = ()
    #: How many outcomes the run has (also when read without them).
    test_count: int = 0

    @property
    def mark(self) -> RunMark:
        return RunMark(self.id, self.recorded_at, self.commit, self.dirty)

    @property
    def code_key(self) -> tuple[str, str | int]:
        """Runs with the same key ran the same code: the same commit with a clean work tree,
        or runs recorded together (one batch); any other run is alone with its code."""
        if self.commit is not None and not self.dirty:
            return ("commit", self.commit)
        if self.batch is not None:
            return ("batch", self.batch)
        return ("run", self.id)


@dataclass(frozen=True)
class FlakyRecord:
    """A test that both passed and failed (or errored) on the same code, across recorded runs."""

    nodeid: str
    #: Runs of that code (every code it flaked on) in which it passed, failed or errored.
    runs: int
    #: Of those, the runs in which it failed or errored.
    failures: int
    #: The first and the last run in which it failed, on code it also passed on.
    first_seen: RunMark
    last_seen: RunMark
    #: The first line of its last failure.
    message: str
    #: The commits it flaked on (clean work trees), oldest first; empty when it flaked only
    #: within a batch on uncommitted work.
    commits: tuple[str, ...] = ()

    @property
    def frequency(self) -> float:
        """The share of its runs (on code it flaked on) that failed: 0 < frequency < 1."""
        return self.failures / self.runs if self.runs else 0.0


@dataclass(frozen=True)
class TestTiming:
    """One test's durations over the runs read."""

    __test__ = False

    nodeid: str
    #: The median of its durations, in seconds (setup + call + teardown, as pytest times them).
    median: float
    #: Its duration in the last run it ran in.
    latest: float
    #: How many runs it ran in (skipped ones are not counted: they take no time).
    runs: int
    #: Its median's share of the sum of every test's median, 0 to 1.
    share: float


@dataclass(frozen=True)
class SlowRegression:
    """A test that became slow: its recent durations are at least ``factor`` times its median
    before them."""

    nodeid: str
    #: Its latest duration, and the median of its durations before it became slow.
    seconds: float
    median_before: float
    #: How many of its latest runs were slow, and the first of them (the commit that made it
    #: slow, as far as the recorded runs tell).
    slow_runs: int
    since: RunMark

    @property
    def ratio(self) -> float:
        return self.seconds / self.median_before if self.median_before else float("inf")


@dataclass(frozen=True)
class SuiteTiming:
    """The suite's durations over the last runs: the slowest tests and the regressions."""

    #: Runs read, and the tests that ran in them.
    runs: int
    tests: int
    #: The sum of every test's median duration, in seconds.
    total: float
    #: The slowest tests by median, slowest first.
    slowest: tuple[TestTiming, ...]
    #: The slowest tenth of the tests (at least one): how many, and their share of ``total``.
    tenth_count: int
    tenth_share: float
    regressions: tuple[SlowRegression, ...] = ()
    #: Every test's median, slowest first (what the duration histogram counts).
    medians: tuple[float, ...] = ()


@dataclass(frozen=True)
class DurationBin:
    """The tests whose median duration is at least ``low`` and under ``high`` seconds (no
    upper bound when ``high`` is None): how many, and their medians' sum."""

    low: float
    high: float | None
    tests: int
    seconds: float


@dataclass(frozen=True)
class WorkerEstimate:
    """The suite's wall time estimated for a number of pytest-xdist workers."""

    workers: int
    seconds: float


@dataclass(frozen=True)
class SuiteEstimate:
    """The suite's wall time for 1, 2, 4, 8… workers, from one whole run's durations."""

    #: The run whose durations are used: the latest that ran the whole suite.
    run: RunMark
    tests: int
    #: The sum of its tests' durations.
    test_seconds: float
    #: What the run spent outside its tests (start-up, collection, coverage's saving),
    #: measured as its wall time less its tests' schedule; 0 when its wall time is not known.
    overhead: float
    estimates: tuple[WorkerEstimate, ...]
    #: The share of the ideal schedule a recorded run with xdist workers achieved on this
    #: machine (1: none recorded, or one core per worker); the estimates with workers are
    #: divided by it.
    efficiency: float = 1.0
    #: That run, when it lowered the estimates.
    calibrated_by: RunMark | None = None

    def seconds(self, workers: int) -> float | None:
        for estimate in self.estimates:
            if estimate.workers == workers:
                return estimate.seconds
        return None


@dataclass(frozen=True)
class TestEvidence:
    """What ``covgap check``'s test gates judge: the flaky tests among the recorded runs read
    (the last ``window`` and every run of the commit checked), and the suite's estimate."""

    __test__ = False

    #: Recorded test runs read (0: none recorded).
    runs: int
    window: int
    #: The commit checked out, whose runs were all read.
    head: str | None
    flaky: tuple[FlakyRecord, ...] = ()
    estimate: SuiteEstimate | None = None
    #: The slowest tests of the run the estimate is from, slowest first (a few).
    slowest: tuple[TestOutcome, ...] = ()


@dataclass(frozen=True)
class TestHistory:
    """What ``covgap history --tests`` shows: the flaky tests among the runs read, the timing
    of the last runs, and the suite's estimate from the latest whole run."""

    __test__ = False

    #: Recorded test runs read for flaky tests (all, or the last ``--limit``), and the first
    #: and last of them.
    runs: int
    first: RunMark | None
    last: RunMark | None
    flaky: tuple[FlakyRecord, ...]
    #: Over the last runs (``window`` of them at most).
    timing: SuiteTiming
    window: int
    estimate: SuiteEstimate | None
    #: The time budget the estimate is read against, in seconds (``max-suite-seconds``, or
    #: five minutes), and whether it was configured.
    budget: float
    budget_set: bool = False
