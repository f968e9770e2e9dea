"""The history's test runs: recorded (``covgap flaky``'s re-runs), and read back as flaky tests,
slow tests and the suite's estimate (``covgap history --tests``, ``covgap check``'s gates)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from covgap.config import Settings

if TYPE_CHECKING:
    from covgap.store.history import TestRunInput


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
