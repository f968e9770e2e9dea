"""The last ``covgap run``'s outcomes, read from the event log it left in .covgap/run/, and the
files changed since it ended."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from covgap.collect.suite.last_run import EVENTS, read_last_run
from covgap.errors import DataError

#: A run in the event log's format (collect/suite/events.py): one pass, one failure, pytest
#: finished.
LOG = (
    '{"event": "begin", "format": 2}\n'
    '{"event": "collected", "count": 2}\n'
    '{"event": "start", "nodeid": "tests/test_a.py::test_ok"}\n'
    '{"event": "passed", "nodeid": "tests/test_a.py::test_ok", "duration": 0.25}\n'
    '{"event": "start", "nodeid": "tests/test_a.py::test_bad"}\n'
    '{"event": "report", "nodeid": "tests/test_a.py::test_bad", "when": "setup", '
    '"outcome": "passed", "duration": 0.01}\n'
    '{"event": "report", "nodeid": "tests/test_a.py::test_bad", "when": "call", '
    '"outcome": "failed", "duration": 0.5, "message": "AssertionError: assert 1 == 2"}\n'
    '{"event": "report", "nodeid": "tests/test_a.py::test_bad", "when": "teardown", '
    '"outcome": "passed", "duration": 0.0}\n'
    '{"event": "finish", "exitstatus": 1}\n'
)


def project(root: Path, log: str | None = LOG, age: float = 0.0) -> Path:
    """A project with one test module, and a run's log ``age`` seconds older than it."""
    (root / "tests").mkdir()
    test = root / "tests" / "test_a.py"
    test.write_text("def test_ok():\n    pass\n")
    if log is not None:
        events = root / EVENTS
        events.parent.mkdir(parents=True)
        events.write_text(log)
        written = test.stat().st_mtime - age
        os.utime(events, (written, written))
    return root


def test_no_run_is_none(tmp_path: Path) -> None:
    """A project covgap never ran has no last run."""
    assert read_last_run(project(tmp_path, log=None), ["tests/test_a.py"]) is None


def test_outcomes_of_a_finished_run(tmp_path: Path) -> None:
    """The outcomes are pytest's, folded as events.py folds them; nothing changed since."""
    last = read_last_run(project(tmp_path, age=-60), ["tests/test_a.py", "missing.py"])
    assert last is not None
    assert [(t.nodeid, t.outcome) for t in last.outcomes] == [
        ("tests/test_a.py::test_ok", "passed"),
        ("tests/test_a.py::test_bad", "failed"),
    ]
    assert (last.finished, last.running, last.changed) == (True, None, ())
    assert len(last.ended) == len("2025-12-07 16:40")


def test_files_changed_since_the_run(tmp_path: Path) -> None:
    """A watched file written after the run ended is named: the outcomes are stale."""
    last = read_last_run(project(tmp_path, age=60), ["tests/test_a.py"])
    assert last is not None and last.changed == ("tests/test_a.py",)


def test_run_that_did_not_finish(tmp_path: Path) -> None:
    """A log without its "finish" event names the test that was running."""
    log = LOG.split('{"event": "start", "nodeid": "tests/test_a.py::test_bad"}')[0]
    log += '{"event": "start", "nodeid": "tests/test_a.py::test_hangs"}\n'
    last = read_last_run(project(tmp_path, log=log, age=-60), [])
    assert last is not None
    assert (last.finished, last.running) == (False, "tests/test_a.py::test_hangs")


def test_a_log_that_is_not_covgaps_is_a_data_error(tmp_path: Path) -> None:
    """A log that is not an event log is reported (bad-events), not read as no run."""
    with pytest.raises(DataError, match="line 1") as raised:
        read_last_run(project(tmp_path, log="hello\n"), [])
    assert raised.value.slug == "bad-events"
