"""The history: a plan's snapshot recorded, and the recorded snapshots read back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from covgap.config import Settings

if TYPE_CHECKING:
    from covgap.analyze.deltas import Delta
    from covgap.model import PlanResult
    from covgap.store.history import SnapshotSummary


def record(project_dir: Path, result: PlanResult) -> int:
    """Store a snapshot of ``result`` (and its suite health) in the history database."""
    from covgap.store.history import History, SnapshotInput

    snapshot = SnapshotInput.measured(
        result.project,
        project_dir.resolve(),
        result.health,
        result.run.seconds if result.run is not None else None,
    )
    from covgap.analyze.trend import history_path

    with History(history_path(project_dir, result.settings)) as database:
        return database.record(snapshot)


def history(
    project_dir: Path, settings: Settings, limit: int | None = None, explain: int | None = None
) -> tuple[list[SnapshotSummary], list[Delta]]:
    """The recorded snapshots, oldest first, and each one's delta from the one before it (only
    the last ``explain`` deltas when given: explaining loads both snapshots' files)."""
    from covgap.analyze.trend import history as read_history

    return read_history(project_dir, settings, limit, explain)
