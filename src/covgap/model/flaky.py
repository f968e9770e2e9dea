"""``covgap flaky``: the suite's runs in varied orders, and the tests that did not always pass.

docs/flaky.md defines the kinds, how each is told, and the causes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from covgap.model.suite import TestOutcome

__all__ = [
    "CoverageJitter",
    "FlakyKind",
    "FlakyReport",
    "FlakyRun",
    "FlakyTest",
    "RunTest",
    "SuspectedCause",
]

#: What a test that did not always pass is (docs/flaky.md, "Kinds").
FlakyKind = Literal["flaky", "order-dependent", "timing-sensitive", "always-failing"]
#: The likely cause, guessed from what the runs showed, the exception and the test's code.
SuspectedCause = Literal["shared state", "time", "randomness", "network", "unknown"]

#: The kinds in the order they are reported, and whether each makes ``covgap flaky`` exit 1.
KINDS: tuple[FlakyKind, ...] = ("order-dependent", "flaky", "timing-sensitive", "always-failing")
UNSTABLE_KINDS = frozenset({"order-dependent", "flaky", "timing-sensitive"})


@dataclass(frozen=True)
class RunTest:
    """One test in one run, as covgap's flaky plugin logged it."""

    __test__ = False

    outcome: TestOutcome
    #: The exception's type ("AssertionError", "requests.exceptions.ConnectionError"), or "".
    exc_type: str = ""
    #: The pytest-xdist worker that ran it ("gw0"), or "" in a serial run.
    worker: str = ""
    #: Its pytest-timeout limit in seconds, or None when it has none.
    timeout: float | None = None

    @property
    def nodeid(self) -> str:
        return self.outcome.nodeid

    @property
    def failed(self) -> bool:
        return self.outcome.outcome in ("failed", "error")


@dataclass(frozen=True)
class FlakyRun:
    """One whole run of the suite (or of the selection) in the order its seed gives."""

    seed: int
    #: pytest-xdist workers (1: a serial run).
    workers: int
    seconds: float
    #: The tests in the order they ended (a worker's tests in the order it ran them).
    tests: tuple[RunTest, ...]
    #: pytest's exit code.
    exit_code: int

    def before(self, nodeid: str) -> tuple[str, ...]:
        """The tests that ran before ``nodeid`` in this run, on its worker."""
        found = next((test for test in self.tests if test.nodeid == nodeid), None)
        if found is None:
            return ()
        earlier: list[str] = []
        for test in self.tests:
            if test.nodeid == nodeid:
                return tuple(earlier)
            if test.worker == found.worker and "::" in test.nodeid:
                earlier.append(test.nodeid)
        return tuple(earlier)


@dataclass(frozen=True)
class FlakyTest:
    """A test that did not pass in every run, with what it is and why."""

    __test__ = False

    nodeid: str
    kind: FlakyKind
    #: Runs it ran in, and runs it failed (or errored) in.
    runs: int
    failures: int
    #: The seeds of the runs it failed in.
    seeds: tuple[int, ...]
    #: The likely cause, and what it was guessed from.
    cause: SuspectedCause
    cause_evidence: str
    #: The first failure's first line ("assert 0 == 1"), and its exception's type.
    message: str
    exc_type: str = ""
    #: Order-dependent: the smallest set of tests found that, run before it, make it fail (or,
    #: when it is ``brittle``, make it pass); in the order they ran.
    polluters: tuple[str, ...] = ()
    #: Order-dependent: it fails when run alone, and passes only after the ``polluters`` (which
    #: set up the state it needs).
    brittle: bool = False
    #: A shell command, run in ``reproduce_dir``, that makes the test fail (empty when none).
    reproduce: str = ""
    reproduce_dir: str = ""
    #: How it was told: the experiments run and what they showed, in one or two sentences.
    detail: str = ""
    #: Whether the experiments confirmed the kind (False: the budget ran out before they did,
    #: or they could not run).
    confirmed: bool = True


@dataclass(frozen=True)
class CoverageJitter:
    """A file whose covered lines or branches changed from run to run (``--coverage``)."""

    path: str
    #: Lines covered in some runs and not in others, with the runs that covered each.
    lines: tuple[tuple[int, int], ...]
    #: Branches (coverage.py arcs; a negative end is an exit) covered in some runs only, with
    #: the runs that covered each.
    arcs: tuple[tuple[tuple[int, int], int], ...]
    #: The tests whose coverage context ran these lines in some run.
    tests: tuple[str, ...]


@dataclass(frozen=True)
class FlakyReport:
    """What ``covgap flaky`` found."""

    project: str
    python: str
    #: Runs asked for (``--runs``); ``run_records`` holds those that finished.
    runs_asked: int
    run_records: tuple[FlakyRun, ...]
    #: The tests that did not pass in every run, most failures first within each kind.
    tests: tuple[FlakyTest, ...]
    #: The most tests one run ran (collection errors included).
    tests_per_run: int
    seconds: float
    #: ``--budget`` (None: no limit), and whether it ran out before the runs asked were done.
    budget: float | None = None
    budget_spent: bool = False
    #: pytest-xdist workers of the runs (1: serial).
    workers: int = 1
    #: ``--coverage``: the files whose coverage moved (None: coverage was not measured), and
    #: the lowest and highest number of lines covered in a run.
    coverage: tuple[CoverageJitter, ...] | None = None
    covered_lines: tuple[int, int] | None = None
    #: Seconds spent re-running tests alone, in the same order, and bisecting.
    experiment_seconds: float = 0.0
    experiments: int = 0
    #: Node ids not seen in every run (parametrize ids built in a set's order, say): each such
    #: test is compared only across the runs that gave it the same id.
    changing_ids: int = 0
    notes: tuple[str, ...] = ()

    @property
    def runs(self) -> tuple[tuple[int, tuple[TestOutcome, ...]], ...]:
        """Each finished run's seed and its tests' outcomes (what the history records)."""
        return tuple(
            (run.seed, tuple(test.outcome for test in run.tests)) for run in self.run_records
        )

    def of_kind(self, kind: FlakyKind) -> tuple[FlakyTest, ...]:
        return tuple(test for test in self.tests if test.kind == kind)

    @property
    def unstable(self) -> tuple[FlakyTest, ...]:
        """The flaky, order-dependent and timing-sensitive tests: what makes the exit code 1."""
        return tuple(test for test in self.tests if test.kind in UNSTABLE_KINDS)
