"""The history's test runs: recorded (``covgap flaky``'s re-runs), and read back as flaky tests,
slow tests and the suite's estimate (``covgap history --tests``, ``covgap check``'s gates)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from covgap.config import Settings

if TYPE_CHECKING:
    from covgap.model import TestEvidence, TestHistory, TestOutcome, TestRun
    from covgap.store.history import History, TestRunInput

#: Recorded runs the slow tests are judged over by default (``covgap history --tests``).
TIMING_WINDOW = 20
#: The budget the estimate is read against when ``max-suite-seconds`` is not set.
DEFAULT_BUDGET = 300.0
#: The slowest tests a failed suite-time gate names.
SLOWEST_NAMED = 5


def record_test_runs(
    project_dir: Path, settings: Settings, runs: Sequence[TestRunInput]
) -> list[int]:
    """Store runs of the project's suite on the same code (``covgap flaky``'s re-runs) in the
    history, in one transaction, as one batch; their ids, in order.

    Runs without a git state (no commit, no branch, not dirty) are given the project's now:
    make them with ``TestRunInput.measured`` before the tests run to record the state they ran
    on. docs/history.md.
    """
    from covgap.analyze.trend import history_path
    from covgap.store.history import History, git_state

    if not runs:
        return []
    if not all(run.has_git_state for run in runs):
        commit, branch, dirty = git_state(project_dir.resolve())
        runs = [
            run
            if run.has_git_state
            else dataclasses.replace(run, commit=commit, branch=branch, dirty=dirty)
            for run in runs
        ]
    with History(history_path(project_dir, settings)) as database:
        return database.record_test_runs(runs)


def _with_outcomes(
    database: History, bare: Sequence[TestRun], latest: TestRun | None = None
) -> list[TestRun]:
    """The runs whose code another run also ran, with their outcomes: all that flakiness can
    be seen in (a run alone with its code is never read); ``latest``, not recorded, among them
    when another run ran its code."""
    keys = Counter(run.code_key for run in [*bare, *([latest] if latest else [])])
    found = database.load_test_runs(run.id for run in bare if keys[run.code_key] > 1)
    if latest is not None and keys[latest.code_key] > 1:
        found.append(latest)
    return found


def _unrecorded(run: TestRunInput) -> TestRun:
    """``run`` as the history would read it back once recorded (its id set by the caller)."""
    from datetime import datetime, timezone

    from covgap.model import TestRun

    when = run.recorded_at or datetime.now(timezone.utc)  # as History stores it (naive: local)
    return TestRun(
        id=0,
        commit=run.commit,
        branch=run.branch,
        dirty=run.dirty,
        recorded_at=when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        covgap_version=run.covgap_version,
        source=run.source,
        seed=run.seed,
        workers=run.workers,
        seconds=run.seconds,
        partial=run.partial,
        batch=None,
        snapshot_id=None,
        outcomes=run.outcomes,
        test_count=len(run.outcomes),
    )


def _latest_whole(database: History) -> TestRun | None:
    """The latest run of the whole suite without xdist workers (their durations are the tests'
    own; with workers they share cores), else the latest run of the whole suite."""
    found = database.test_runs(limit=_PARALLEL_LOOKBACK, whole=True, outcomes=False)
    serial = [run for run in found if (run.workers or 1) == 1]
    chosen = (serial or found)[-1:]
    loaded = database.load_test_runs([run.id for run in chosen]) if chosen else []
    return loaded[0] if loaded else None


#: Recent whole runs searched for one with pytest-xdist workers, to calibrate the estimate.
_PARALLEL_LOOKBACK = 20


def _latest_parallel(database: History) -> TestRun | None:
    """The latest recorded run of the whole suite with xdist workers and a wall time: what
    workers really gain on this machine (``suite_time.suite_estimate``)."""
    found = database.test_runs(limit=_PARALLEL_LOOKBACK, whole=True, outcomes=False)
    for run in reversed(found):
        if (run.workers or 1) > 1 and run.seconds:
            loaded = database.load_test_runs([run.id])
            return loaded[0] if loaded else None
    return None


def read_test_history(
    project_dir: Path,
    settings: Settings,
    limit: int | None = None,
    current: TestRunInput | None = None,
) -> TestHistory:
    """``covgap history --tests``: the flaky tests among the recorded runs (all, or the last
    ``limit``), the slow tests over the last ``limit`` (default 20), and the suite's estimate
    from the latest run of the whole suite. docs/history.md.

    ``current``: a run not recorded yet (``covgap run``'s own, recorded after its reports), read
    as the newest run."""
    from covgap.analyze.known_flaky import find_flaky
    from covgap.analyze.slow_tests import suite_timing
    from covgap.analyze.suite_time import WORKER_COUNTS, suite_estimate
    from covgap.analyze.trend import history_path
    from covgap.model import TestHistory
    from covgap.store.history import History

    window = limit if limit is not None else TIMING_WINDOW
    bare: list[TestRun] = []
    paired: list[TestRun] = []
    recent: list[TestRun] = []
    whole: TestRun | None = None
    parallel: TestRun | None = None
    path = history_path(project_dir, settings)
    latest = _unrecorded(current) if current is not None else None
    if path.exists():
        with History(path, writing=False) as database:
            bare = database.test_runs(limit=limit, outcomes=False)
            if latest is not None:  # newer than every recorded run, and one of the last `limit`
                latest = dataclasses.replace(latest, id=max((r.id for r in bare), default=0) + 1)
                if limit is not None and len(bare) >= limit:
                    bare = bare[len(bare) - limit + 1 :]
            paired = _with_outcomes(database, bare, latest)
            recent = database.test_runs(limit=window)
            whole = _latest_whole(database)
            parallel = _latest_parallel(database)
    if latest is not None:
        bare = [*bare, latest]
        recent = [*recent[max(0, len(recent) - window + 1) :], latest]
        whole = latest if not latest.partial else whole
    workers = {*WORKER_COUNTS, settings.suite_workers}
    return TestHistory(
        runs=len(bare),
        first=bare[0].mark if bare else None,
        last=bare[-1].mark if bare else None,
        flaky=find_flaky(paired),
        timing=suite_timing(recent),
        window=window,
        estimate=suite_estimate(whole, workers, parallel=parallel) if whole is not None else None,
        budget=settings.max_suite_seconds or DEFAULT_BUDGET,
        budget_set=settings.max_suite_seconds is not None,
    )


def plan_test_history(
    project_dir: Path, settings: Settings, current: TestRunInput | None = None
) -> tuple[TestHistory | None, str | None]:
    """The plan's flaky and slow tests: ``read_test_history`` over every recorded run (and
    ``current``, ``covgap run``'s own), or None when the history has no test run; never an
    error: a history that cannot be read gives None and a note saying why (the plan goes on
    without it)."""
    import sqlite3

    from covgap.analyze.trend import history_path
    from covgap.errors import CovgapError

    if not history_path(project_dir, settings).exists():
        return None, None
    try:
        history = read_test_history(project_dir, settings, current=current)
    except (CovgapError, sqlite3.Error, OSError, ValueError) as error:
        reason = error.message if isinstance(error, CovgapError) else str(error)
        return None, f"the history's test runs could not be read ({settings.history}): {reason}"
    if not history.runs and history.estimate is None:
        return None, None
    return history, None


def read_test_evidence(project_dir: Path, settings: Settings, head: str | None) -> TestEvidence:
    """What ``covgap check``'s test gates judge: the flaky tests among the last
    ``flaky-window`` recorded runs and every run of ``head``, and the estimate from the latest
    run of the whole suite. A history that is missing has no runs."""
    from covgap.analyze.known_flaky import find_flaky
    from covgap.analyze.suite_time import WORKER_COUNTS, suite_estimate
    from covgap.analyze.trend import history_path
    from covgap.model import TestEvidence
    from covgap.store.history import History

    window = settings.flaky_window
    path = history_path(project_dir, settings)
    if not path.exists():
        return TestEvidence(runs=0, window=window, head=head)
    with History(path, writing=False) as database:
        bare = {run.id: run for run in database.test_runs(limit=window, outcomes=False)}
        if head is not None:
            bare.update((run.id, run) for run in database.test_runs(commit=head, outcomes=False))
        read = sorted(bare.values(), key=lambda run: run.id)
        paired = _with_outcomes(database, read)
        whole = _latest_whole(database)
        parallel = _latest_parallel(database)
    estimate = None
    slowest: tuple[TestOutcome, ...] = ()
    if whole is not None:
        estimate = suite_estimate(
            whole, {*WORKER_COUNTS, settings.suite_workers}, parallel=parallel
        )
        slowest = tuple(
            sorted(whole.outcomes, key=lambda o: (-o.duration, o.nodeid))[:SLOWEST_NAMED]
        )
    return TestEvidence(
        runs=len(read),
        window=window,
        head=head,
        flaky=find_flaky(paired),
        estimate=estimate,
        slowest=slowest,
    )
