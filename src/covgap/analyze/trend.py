"""The history's trend: the recorded snapshots, and each change of the total explained."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from covgap.analyze.deltas import Delta
from covgap.config import Settings

if TYPE_CHECKING:
    from covgap.store.history import SnapshotSummary

__all__ = ["history", "history_path"]


def history_path(project_dir: Path, settings: Settings) -> Path:
    """The history database's path (``history`` setting), absolute."""
    path = settings.history
    return path if path.is_absolute() else project_dir.resolve() / path


#: (database, id and time of the snapshot before, of the one after, drop alert).
_DeltaKey: TypeAlias = "tuple[str, int, str, int, str, float]"
#: Deltas explained in this process. A recorded snapshot never changes, so ``covgap run`` can
#: explain the history's trend while the suite runs (``report.html.warm``), and the page written
#: after it explains only the change the run made.
_EXPLAINED: dict[_DeltaKey, Delta] = {}


def history(
    project_dir: Path, settings: Settings, limit: int | None = None, explain: int | None = None
) -> tuple[list[SnapshotSummary], list[Delta]]:
    """The recorded snapshots, oldest first, and each one's delta from the one before it (only
    the last ``explain`` deltas when given: explaining loads both snapshots' files)."""
    from covgap.analyze.deltas import explain as explain_change
    from covgap.store.history import History

    path = history_path(project_dir, settings)
    if not path.exists():
        return [], []

    def key(before: SnapshotSummary, after: SnapshotSummary) -> _DeltaKey:
        ends = (before.id, before.recorded_at, after.id, after.recorded_at)
        return (str(path), *ends, settings.drop_alert)

    with History(path, writing=False) as database:
        summaries = sorted(database.snapshots(limit=limit), key=lambda s: s.id)
        explained = summaries if explain is None else summaries[-(explain + 1) :]
        pairs = list(itertools.pairwise(explained)) if explain != 0 else []
        wanted = {s.id for pair in pairs if key(*pair) not in _EXPLAINED for s in pair}
        loaded = {id_: database.load(id_) for id_ in sorted(wanted)}
    for before, after in pairs:
        if key(before, after) not in _EXPLAINED:
            delta = explain_change(loaded[before.id], loaded[after.id], settings.drop_alert)
            _EXPLAINED[key(before, after)] = delta
    return summaries, [_EXPLAINED[key(*pair)] for pair in pairs]
