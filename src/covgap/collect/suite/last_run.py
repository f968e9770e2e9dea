"""What the last ``covgap run`` left of the suite in ``.covgap/run/``, for ``covgap audit``.

``covgap audit`` runs nothing; when ``covgap run`` ran the suite here before, its event log
(``events.jsonl``, see ``events.py``) says how the suite did. Its outcomes are only the suite's
health while nothing it ran has changed: the log's last write (the run's end) is compared with
the files the caller watches (the test modules, conftest files, sources and settings).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from covgap.collect.suite.events import EventLog
from covgap.collect.suite.run import RUN_FOLDER
from covgap.inputs import read_input
from covgap.model import TestOutcome

__all__ = ["EVENTS", "LastRun", "read_last_run"]

#: The event log ``covgap run`` writes, relative to the project.
EVENTS = (RUN_FOLDER / "events.jsonl").as_posix()


@dataclass(frozen=True)
class LastRun:
    """The outcomes of the last ``covgap run``'s suite, and what changed since."""

    #: When the run ended (the log's last write), local time to the minute: "2025-12-07 16:40".
    ended: str
    outcomes: tuple[TestOutcome, ...]
    #: The test that was running when the run ended before pytest did, or None.
    running: str | None
    #: Whether pytest ended the session by itself.
    finished: bool
    #: The watched files changed after the run ended, in the order given.
    changed: tuple[str, ...]


def read_last_run(project_dir: Path, watched: Iterable[str]) -> LastRun | None:
    """The last run's outcomes, or None when covgap never ran the suite in ``project_dir``.

    ``watched``: files of the project (relative paths) whose change after the run makes its
    outcomes stale; missing ones are skipped. A log that is not covgap's raises DataError
    (``bad-events``).
    """
    path = project_dir / EVENTS
    try:
        ended = path.stat().st_mtime
    except OSError:
        return None
    log = EventLog(path)
    log.feed(read_input(path, "test event log", "no-events"))
    outcomes, running = log.outcomes()
    changed = []
    for name in watched:
        try:
            if (project_dir / name).stat().st_mtime > ended:
                changed.append(name)
        except OSError:
            continue
    return LastRun(
        ended=datetime.datetime.fromtimestamp(ended).strftime("%Y-%m-%d %H:%M"),
        outcomes=outcomes,
        running=running,
        finished=log.finished,
        changed=tuple(changed),
    )
