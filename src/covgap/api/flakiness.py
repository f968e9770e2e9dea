"""``covgap flaky``: run the suite N times in seeded orders, then tell each test that did not
always pass what it is, by experiment (docs/flaky.md)."""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from covgap.analyze.flaky import (
    Evidence,
    History,
    classify,
    coverage_jitter,
    histories,
    minimal_subset,
    next_step,
    order_tests,
    same_tests,
    start_evidence,
)
from covgap.collect.suite.flaky_runs import (
    PytestRun,
    Rerunner,
    check_started,
    source_of_test,
    workers_disagree,
)
from covgap.collect.suite.interpreter import launch_facts, probe
from covgap.collect.suite.run import _signals_raise
from covgap.errors import BudgetSpent
from covgap.model.flaky import FlakyReport, FlakyTest

__all__ = ["FlakyOptions", "flaky"]

#: The most experiment runs one bisection makes.
_MOST_BISECTION_RUNS = 40


@dataclass(frozen=True)
class FlakyOptions:
    """How ``covgap flaky`` runs the suite."""

    project_dir: Path
    python: str
    runs: int = 10
    #: Seconds for everything (the runs, then the experiments); None for no limit.
    budget: float | None = None
    #: pytest-xdist workers for the runs: a number, "auto", or None for serial runs.
    parallel: str | None = None
    coverage: bool = False
    #: pytest's arguments (after ``--``, then the node ids of ``--tests``).
    pytest_args: tuple[str, ...] = ()
    #: The first run's seed (the others follow it); None: a random one.
    seed: int | None = None


class _Experiments:
    """The experiments on the tests that did not always pass, within the budget."""

    def __init__(
        self, rerunner: Rerunner, deadline: float | None, say: Callable[[str], None]
    ) -> None:
        self.rerunner = rerunner
        self.deadline = deadline
        self.say = say
        self.count = 0
        self.seconds = 0.0
        self.spent = False

    def failed(self, nodeid: str, tests: tuple[str, ...], seed: int) -> bool | None:
        """Whether ``nodeid`` fails when ``tests`` run in this order with ``seed``; None when
        the budget ran out or it did not run."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.spent = True
            return None
        self.count += 1
        run = self.rerunner.run(seed, tests=tests, deadline=self.deadline)
        self.seconds += run.seconds
        if run.cut:
            self.spent = True
            return None
        found = run.outcome_of(nodeid)
        return None if found is None else found.failed

    def _bisect(
        self, nodeid: str, before: tuple[str, ...], seed: int, *, fails: bool
    ) -> tuple[tuple[str, ...], bool]:
        """The smallest set of ``before`` after which ``nodeid`` fails (``fails``) or passes."""

        def holds(subset: tuple[str, ...]) -> bool | None:
            failed = self.failed(nodeid, (*subset, nodeid), seed)
            return None if failed is None else failed == fails

        return minimal_subset(before, holds, _MOST_BISECTION_RUNS)

    def _stopped(self) -> str:
        if self.spent:
            return "the budget ran out before the experiments could tell"
        return "the test did not run when run again"

    def examine(self, history: History) -> Evidence:
        """Run the experiments ``next_step`` asks for until the test's kind is known."""
        evidence = start_evidence(history)
        nodeid = evidence.target  # its id in the failing run (the same in its experiments)
        while (step := next_step(history, evidence)) is not None:
            self.say(f"checking {history.nodeid}: {step}")
            before = self.count
            if step == "same-order":
                answer = self.failed(nodeid, (*evidence.before, nodeid), evidence.seed)
                evidence = dataclasses.replace(evidence, same_order_failed=answer)
            elif step == "alone":
                answer = self.failed(nodeid, (nodeid,), evidence.seed)
                evidence = dataclasses.replace(evidence, alone_failed=answer)
            elif step == "other-seed":
                assert evidence.passing_seed is not None
                target = evidence.passing_target
                answer = self.failed(target, (target,), evidence.passing_seed)
                evidence = dataclasses.replace(evidence, other_seed_failed=answer)
            elif step == "bisect-polluters":
                found, done = self._bisect(nodeid, evidence.before, evidence.seed, fails=True)
                evidence = dataclasses.replace(evidence, polluters=found, bisected=done)
                answer = True
            else:  # bisect-setters: the tests before it in a run it passed in make it pass
                seed, target = evidence.passing_seed or 0, evidence.passing_target
                whole = self.failed(target, (*evidence.passing_before, target), seed)
                if whole is False:
                    found, done = self._bisect(target, evidence.passing_before, seed, fails=False)
                else:
                    found, done = (), whole is not None
                evidence = dataclasses.replace(evidence, setters=found, bisected=done)
                answer = True
            evidence = dataclasses.replace(
                evidence, experiments=evidence.experiments + self.count - before
            )
            if answer is None:
                evidence = dataclasses.replace(evidence, stopped=self._stopped())
        return evidence

    def reproduce(self, test: FlakyTest, evidence: Evidence) -> tuple[str, str]:
        """The command that made the test fail in an experiment ("" when none did)."""
        if test.kind == "order-dependent" and not test.brittle:
            return self.rerunner.reproduce(evidence.seed, (*test.polluters, evidence.target))
        if test.kind in ("order-dependent", "flaky") and evidence.alone:
            return self.rerunner.reproduce(evidence.seed, (evidence.target,))
        return "", ""


def _sources(root: Path, nodeids: set[str]) -> dict[str, str]:
    return {nodeid: source_of_test(root, nodeid) for nodeid in nodeids}


def _classify(
    found: tuple[History, ...], experiments: _Experiments, root: Path
) -> tuple[FlakyTest, ...]:
    tests: list[FlakyTest] = []
    for history in found:
        evidence = experiments.examine(history)
        involved = {evidence.target, *(evidence.polluters or ()), *(evidence.setters or ())}
        sources = _sources(root, involved)
        sources[history.nodeid] = sources[evidence.target]
        test = classify(history, evidence, sources)
        where = experiments.reproduce(test, evidence)
        tests.append(dataclasses.replace(test, reproduce=where[0], reproduce_dir=where[1]))
    return order_tests(tests)


def flaky(options: FlakyOptions, say: Callable[[str], None] | None = None) -> FlakyReport:
    """Run the suite ``options.runs`` times in seeded random orders (fewer when the budget runs
    out), then classify every test that did not always pass (docs/flaky.md)."""
    report = say or (lambda _: None)
    started = time.monotonic()
    deadline = None if options.budget is None else started + options.budget
    launch = launch_facts(options.python)
    interpreter = probe(options.python) if options.coverage else None
    notes: list[str] = []
    if options.parallel and not launch.has_xdist:
        notes.append(
            "--parallel asks for pytest-xdist, which is not installed: the runs were serial"
        )
    rerunner = Rerunner(
        options.project_dir,
        options.python,
        options.pytest_args,
        has_xdist=launch.has_xdist,
        interpreter=interpreter,
    )
    first_seed = options.seed if options.seed is not None else secrets.randbelow(1_000_000)
    records: list[PytestRun] = []
    budget_spent = False
    parallel = options.parallel if launch.has_xdist else None
    with _signals_raise():
        for number in range(options.runs):
            now = time.monotonic()
            if deadline is not None and records:
                longest = max(run.seconds for run in records)
                if now + longest > deadline:  # it would not finish: leave the time to check
                    budget_spent = True
                    break
            seed = first_seed + number
            coverage = options.coverage
            run = rerunner.run(seed, parallel=parallel, coverage=coverage, deadline=deadline)
            if parallel and (why := workers_disagree(run)):  # by chance, in some runs
                done = f"the runs from run {number + 1} on were" if records else "the runs were"
                notes.append(f"pytest-xdist could not run this suite ({why}): {done} serial")
                parallel = None
                run = rerunner.run(seed, coverage=coverage, deadline=deadline)
            if run.cut:
                budget_spent = True
                break
            check_started(run, options.project_dir)
            records.append(run)
            failed = sum(test.failed for test in run.tests)
            report(
                f"run {number + 1}/{options.runs} (seed {seed}): {len(run.tests)} tests, "
                f"{failed} failed, {run.seconds:.1f} s"
            )
        if not records:
            assert options.budget is not None
            raise BudgetSpent(
                f"the --budget of {options.budget:g} s ran out before one run of the suite "
                "finished: nothing to compare",
                path=str(options.project_dir),
                hint="give a larger --budget, or select fewer tests (after --, or --tests FILE)",
            )
        runs = tuple(run.as_run() for run in records)
        names, changing = same_tests(runs)
        found = histories(runs, names)
        experiments = _Experiments(rerunner, deadline, report)
        root = rerunner.rootdir or rerunner.project_dir
        tests = _classify(found, experiments, root)
    if experiments.spent:
        notes.append(
            "the budget ran out during the experiments: tests marked unconfirmed were told "
            "from the runs alone"
        )
    measured = [run.coverage for run in records if run.coverage is not None]
    jitter, covered = coverage_jitter(measured) if options.coverage else ((), None)
    if changing:
        matched = (
            "all were matched across runs by their parameters"
            if len(names) == changing
            else f"{len(names)} of them were matched across runs by their parameters, the "
            "others are compared only across the runs that gave them the same id"
        )
        notes.append(
            f"{changing} node ids were not the same in every run: parametrize ids pytest made "
            "from the index of values that come in a set's order, which changes from process "
            f"to process; {matched}"
        )
    return FlakyReport(
        project=str(options.project_dir.resolve()),
        python=options.python,
        runs_asked=options.runs,
        run_records=runs,
        tests=tests,
        tests_per_run=max(len(run.tests) for run in runs),
        seconds=time.monotonic() - started,
        budget=options.budget,
        budget_spent=budget_spent,
        workers=records[0].workers,
        coverage=jitter if options.coverage else None,
        covered_lines=covered,
        experiment_seconds=experiments.seconds,
        experiments=experiments.count,
        changing_ids=changing,
        notes=tuple(notes),
    )
