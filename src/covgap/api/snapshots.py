"""The history: a plan's snapshot recorded with its tests' outcomes, and the recorded snapshots
read back (test runs: ``suite_history``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from covgap.config import Settings

if TYPE_CHECKING:
    from covgap.analyze.deltas import Delta
    from covgap.model import PlanResult
    from covgap.store.history import SnapshotInput, SnapshotSummary, TestRunInput


def record(project_dir: Path, result: PlanResult) -> int:
    """Store a snapshot of ``result`` (and its suite health) in the history database, with the
    suite's per-test outcomes as a test run when ``result`` has them (``covgap run``'s event
    log: source "covgap run"; ``covgap plan --junit``: "junit"), in one transaction."""
    from covgap.store.history import History, SnapshotInput

    snapshot = SnapshotInput.measured(
        result.project,
        project_dir.resolve(),
        result.health,
        result.run.seconds if result.run is not None else None,
    )
    from covgap.analyze.trend import history_path

    with History(history_path(project_dir, result.settings)) as database:
        return database.record(snapshot, _test_run(result, snapshot))


def _test_run(result: PlanResult, snapshot: SnapshotInput) -> TestRunInput | None:
    """The run's outcomes as the history keeps them, with the snapshot's git state.

    ``covgap run``: its workers, wall time, and whether a selection left tests out. JUnit XML
    tells neither workers nor wall time; it is taken as partial when the coverage data given
    with it is (a CI shard's report and data go together).
    """
    from covgap.store.history import TestRunInput

    health = result.health
    if health is None:
        return None
    if health.source == "events":
        run = result.run
        selected = run is not None and run.selection.given
        tests = TestRunInput(
            "covgap run",
            health.tests,
            workers=run.workers if run is not None else 1,
            seconds=run.seconds if run is not None else None,
            partial=result.scope.partial or selected,
        )
    else:
        tests = TestRunInput("junit", health.tests, workers=None, partial=result.scope.partial)
    return dataclasses.replace(
        tests, commit=snapshot.commit, branch=snapshot.branch, dirty=snapshot.dirty
    )


def history(
    project_dir: Path, settings: Settings, limit: int | None = None, explain: int | None = None
) -> tuple[list[SnapshotSummary], list[Delta]]:
    """The recorded snapshots, oldest first, and each one's delta from the one before it (only
    the last ``explain`` deltas when given: explaining loads both snapshots' files)."""
    from covgap.analyze.trend import history as read_history

    return read_history(project_dir, settings, limit, explain)
