"""Read covgap's test event log: pytest's outcomes, known even when pytest was killed.

The log is written by covgap's tiny pytest plugin (which must not import covgap), so this
docstring is the format's definition. Version ``EVENTS_FORMAT`` = 2 (2 added "begin",
"passed" and "coverage"; a version 1 log, which has none of them, reads the same; "selection"
and the "deselected" count came later within version 2, as optional additions):

* The file is UTF-8 text, one JSON object per line, each line ended by "\\n"; appended, and
  flushed at every test's start and every failure, so that the log is read even when the
  process was killed mid-write.
* Every object has ``"event"``. An object may carry ``"format": N``; a reader refuses a log
  with a higher format. Unknown events and unknown keys are ignored, so new ones can be added.
* The events, in the order pytest's hooks produce them:

  ``{"event": "begin", "format": 2}``
      the plugin opened the log (``pytest_configure``).
  ``{"event": "coverage", "started": "coverage run", "reason": TEXT}``
      coverage.py was started over under ``coverage run`` because a file it measures was
      imported before the plugin could start it; TEXT is coverage.py's warning.
  ``{"event": "pytest-cov", "sources": [SOURCE, ...]}``
      the project's options turned pytest-cov on (``--cov`` in ``addopts``); the plugin turned
      it off, as a second coverage.py would replace covgap's measurement (optional).
  ``{"event": "selection", "args": [ARG, ...], "source": "args"|"testpaths"|"invocation_dir"}``
      what pytest was told to collect (``pytest_configure``): ``config.args``, the paths and
      node ids given on its command line (or by ``addopts``), else ``testpaths``, else the
      folder it started in; ``source`` says which (``config.args_source``; null before
      pytest 7.2). Optional: a log without it reads as one whose selection is unknown.
  ``{"event": "collected", "count": N, "deselected": D}``
      collection is over: N tests were selected to run (``pytest_collection_finish``); D were
      deselected (``-k``, ``-m``, ``--deselect``, ``--lf``, a plugin; optional, not written
      with pytest-xdist, whose workers deselect).
  ``{"event": "collect_error", "nodeid": ID, "message": FIRST_LINE}``
      a collector (usually a test module) failed (``pytest_collectreport`` with
      ``report.failed``); ID is its node id ("tests/test_x.py").
  ``{"event": "collect_skip", "nodeid": ID, "message": REASON}``
      a whole module was skipped (``pytest.skip(..., allow_module_level=True)``:
      ``pytest_collectreport`` with ``report.skipped``); pytest counts it as one skipped test.
  ``{"event": "start", "nodeid": ID}``
      a test is about to run its setup (``pytest_runtest_logstart``).
  ``{"event": "report", "nodeid": ID, "when": "setup"|"call"|"teardown",``
  ``"outcome": "passed"|"failed"|"skipped", "duration": SECONDS, "message": FIRST_LINE,``
  ``"wasxfail": BOOL}``
      one phase's report (``pytest_runtest_logreport``): ``report.when``, ``report.outcome``,
      ``report.duration``; ``wasxfail`` is ``hasattr(report, "wasxfail")``. ``message`` is
      one line: with ``wasxfail``, the xfail reason (``report.wasxfail``); for a skip, its
      reason (``longrepr[2]``); for a failure, ``longrepr.reprcrash.message``'s first line, or
      (no reprcrash) the first "E   " line that names an exception ("SyntaxError: …"), else the
      first "E   " line; "" for a pass. A leading "Skipped: " or "reason: " is dropped when
      read. ``duration``, ``message`` and ``wasxfail`` may be left out (0, "" and false).
  ``{"event": "passed", "nodeid": ID, "duration": SECONDS}``
      a test whose setup, call and teardown all passed (none with ``wasxfail``), written at
      its teardown in place of its three reports; SECONDS is their durations' sum. A test
      with any other report has every report written from that one on, its teardown included;
      the durations of passed reports not written are added to the next one written.
  ``{"event": "finish", "exitstatus": N}``
      the session ended normally (``pytest_sessionfinish``).

The reader folds a test's phase reports into one outcome, as pytest's terminal summary counts
them: a failed setup is an error (phase "setup"); a skipped setup is skipped (xfailed with
``wasxfail``); a failed call is failed (phase "call"; a strict XPASS is such a failure); a
skipped call is skipped, or xfailed with ``wasxfail``; a passed call is passed, or xpassed with
``wasxfail``; a failed teardown turns a test that had not failed into an error (phase
"teardown"), and pytest's summary counts such a test twice, as passed (or skipped…) and as
error: the first is kept as ``also``; after a failed call, the teardown's error is the ``also``.
Durations add up. A test is complete once its teardown report is read: a test that started
without one is the test that was running when pytest was stopped.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covgap.errors import DataError
from covgap.inputs import read_input
from covgap.model import Outcome, TestOutcome

__all__ = ["EVENTS_FORMAT", "EventLog", "read_events"]

#: The version of the event log's format described above.
EVENTS_FORMAT = 2

_WHENS = ("setup", "call", "teardown")
_OUTCOMES = ("passed", "failed", "skipped")
#: Messages longer than this are cut (as in the JUnit reader).
_MESSAGE_LIMIT = 300
#: What pytest puts before a skip's or an xfail's reason.
_REASON_PREFIX = re.compile(r"^(?:Skipped: |reason: )")


@dataclass
class _Test:
    """One test's reports so far."""

    nodeid: str
    duration: float = 0.0
    outcome: Outcome | None = None
    message: str = ""
    phase: str = ""
    finished: bool = False
    order: int = 0
    also: Outcome | None = None


def _bad(path: Path, number: int, message: str) -> DataError:
    return DataError(
        f"line {number}: {message}",
        path=str(path),
        hint="the event log is written by covgap's pytest plugin; run `covgap run` again",
        slug="bad-events",
    )


def _clip(text: str) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= _MESSAGE_LIMIT else line[: _MESSAGE_LIMIT - 1] + "…"


def _object(path: Path, number: int, raw: bytes) -> dict[str, Any]:
    """One line's event; DataError for anything else (``json.JSONDecodeError`` is left to the
    caller when the line may be a truncated last one)."""
    value = json.loads(raw.decode("utf-8"))
    if not isinstance(value, dict) or not isinstance(value.get("event"), str):
        raise _bad(path, number, 'not an event: a JSON object with an "event" is expected')
    version = value.get("format", EVENTS_FORMAT)
    if not isinstance(version, int) or version > EVENTS_FORMAT:
        raise _bad(path, number, f"format {version!r}: this covgap reads {EVENTS_FORMAT}")
    return value


def _text(path: Path, number: int, event: Mapping[str, Any], key: str) -> str:
    value = event.get(key, "")
    if not isinstance(value, str):
        raise _bad(path, number, f"{key!r} is {value!r}, not a string")
    return value


def _nodeid(path: Path, number: int, event: Mapping[str, Any]) -> str:
    nodeid = _text(path, number, event, "nodeid")
    if not nodeid:
        raise _bad(path, number, f"a {event['event']!r} event without a nodeid")
    return nodeid


def _duration(path: Path, number: int, event: Mapping[str, Any]) -> float:
    duration = event.get("duration", 0.0)
    if (
        isinstance(duration, bool)
        or not isinstance(duration, (int, float))
        or not math.isfinite(duration)
    ):
        raise _bad(path, number, f"'duration' is {duration!r}, not a number of seconds")
    return max(float(duration), 0.0)


def _fold(test: _Test, when: str, outcome: str, wasxfail: bool, message: str) -> None:
    """Add one phase's report to a test, as pytest's terminal summary would count it."""
    if when == "teardown":
        test.finished = True
        if outcome == "failed" and test.outcome in ("failed", "error"):
            test.also = "error"  # pytest counts the teardown's error as well
        elif outcome == "failed":
            test.also = test.outcome or "passed"
            test.outcome, test.message, test.phase = "error", message, "teardown"
        elif test.outcome is None:  # no setup report was seen: count what is known
            test.outcome = "passed"
        return
    if test.outcome in ("failed", "error"):
        return
    if outcome == "failed":
        test.outcome, test.message = ("error", message) if when == "setup" else ("failed", message)
        test.phase = when
    elif outcome == "skipped":
        test.outcome, test.message = ("xfailed" if wasxfail else "skipped"), message
    elif when == "call":
        test.outcome = "xpassed" if wasxfail else "passed"
        test.message = message if wasxfail else ""


class EventLog:
    """The log folded as it is read: ``covgap run`` feeds it what the suite has written so far
    at every poll (its progress), and has the outcomes as soon as the suite ends.

    ``feed`` takes the bytes appended since the last call; a line is read once it is ended.
    ``outcomes`` folds what was fed: a last line without its end (killed mid-write) is ignored
    when it is not whole JSON; any other bad line is a DataError (raised by ``outcomes``, so
    that a bad line never stops the run that is feeding the log).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        #: Tests selected (the "collected" event), or None before collection ends.
        self.collected: int | None = None
        #: Tests with an outcome, and failures (failed reports and collection errors).
        self.done = 0
        self.failed = 0
        #: The last test started.
        self.running: str | None = None
        #: Why coverage.py was started over under ``coverage run`` (a "coverage" event).
        self.restarted: str | None = None
        #: The ``--cov`` sources of a pytest-cov the plugin turned off (a "pytest-cov" event).
        self.pytest_cov: list[str] | None = None
        #: What pytest was told to collect, and where that came from (a "selection" event):
        #: ``config.args`` and "args", "testpaths" or "invocation_dir"; None when not logged.
        self.args: tuple[str, ...] | None = None
        self.args_source: str | None = None
        #: Tests deselected at collection, when logged.
        self.deselected: int | None = None
        self._rest = b""
        self._number = 0
        self._error: DataError | None = None
        self._collected_outcomes: dict[str, TestOutcome] = {}
        self._tests: dict[str, _Test] = {}
        self._started = itertools.count()
        #: Whether pytest's session ended by itself (a "finish" event).
        self.finished = False

    def feed(self, data: bytes) -> None:
        """Read the complete lines of ``data`` (after what was left of the last call)."""
        *lines, self._rest = (self._rest + data).split(b"\n")
        for raw in lines:
            self._number += 1
            if self._error is None and raw.strip():
                try:
                    self._event(_object(self.path, self._number, raw))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    self._error = _bad(self.path, self._number, f"not a JSON line ({exc})")
                except DataError as exc:
                    self._error = exc

    def _test(self, nodeid: str) -> _Test:
        test = self._tests.get(nodeid)
        if test is None:  # a report without a start: count it all the same
            test = self._tests[nodeid] = _Test(nodeid, order=next(self._started))
        return test

    def _event(self, event: dict[str, Any]) -> None:
        path, number, kind = self.path, self._number, event["event"]
        if kind == "start":
            nodeid = self.running = _nodeid(path, number, event)
            self._tests[nodeid] = _Test(nodeid, order=next(self._started))
        elif kind == "passed":
            test = self._test(_nodeid(path, number, event))
            test.duration += _duration(path, number, event)
            _fold(test, "call", "passed", False, "")
            _fold(test, "teardown", "passed", False, "")
            self.done += 1
        elif kind == "report":
            test = self._test(_nodeid(path, number, event))
            when, outcome = event.get("when"), event.get("outcome")
            if when not in _WHENS:
                raise _bad(path, number, f"'when' is {when!r}, not one of {', '.join(_WHENS)}")
            if outcome not in _OUTCOMES:
                raise _bad(
                    path, number, f"'outcome' is {outcome!r}, not one of {', '.join(_OUTCOMES)}"
                )
            test.duration += _duration(path, number, event)
            wasxfail = event.get("wasxfail", False) is True
            message = _clip(_text(path, number, event, "message"))
            if outcome != "failed":
                message = _REASON_PREFIX.sub("", message)
            _fold(test, when, outcome, wasxfail, message)
            self.done += when == "teardown"
            self.failed += outcome == "failed"
        elif kind == "collected":
            count = event.get("count")
            if isinstance(count, int) and not isinstance(count, bool):
                self.collected = count
            deselected = event.get("deselected")
            if isinstance(deselected, int) and not isinstance(deselected, bool):
                self.deselected = deselected
        elif kind == "selection":
            args = event.get("args")
            if not isinstance(args, list) or not all(isinstance(arg, str) for arg in args):
                raise _bad(path, number, f"'args' is {args!r}, not a list of strings")
            self.args = tuple(args)
            source = event.get("source")
            self.args_source = source if isinstance(source, str) else None
        elif kind == "collect_error":
            nodeid = _nodeid(path, number, event)
            message = _clip(_text(path, number, event, "message"))
            self._collected_outcomes[nodeid] = TestOutcome(nodeid, "error", 0.0, message, "collect")
            self.failed += 1
        elif kind == "collect_skip":
            nodeid = _nodeid(path, number, event)
            message = _REASON_PREFIX.sub("", _clip(_text(path, number, event, "message")))
            self._collected_outcomes[nodeid] = TestOutcome(nodeid, "skipped", 0.0, message, "")
        elif kind == "coverage":
            self.restarted = _text(path, number, event, "reason")
        elif kind == "pytest-cov":
            sources = event.get("sources")
            self.pytest_cov = [str(s) for s in sources] if isinstance(sources, list) else []
        elif kind == "finish":
            self.finished = True

    def outcomes(self) -> tuple[tuple[TestOutcome, ...], str | None]:
        """The tests, and the node id of the test left running (or None): see ``read_events``."""
        rest, self._rest = self._rest, b""
        if self._error is None and rest.strip():
            # The text after the last "\n" is "" for a complete log; anything else was being
            # written when the process stopped, and counts only when it is whole.
            self._number += 1
            with contextlib.suppress(UnicodeDecodeError, json.JSONDecodeError):
                self._event(_object(self.path, self._number, rest))
        if self._error is not None:
            raise self._error
        tests = self._tests.values()
        unfinished = [test for test in tests if not test.finished]
        running = None
        if unfinished and not self.finished:
            running = max(unfinished, key=lambda test: test.order).nodeid
        outcomes = tuple(
            TestOutcome(
                test.nodeid, test.outcome, test.duration, test.message, test.phase, test.also
            )
            for test in sorted(tests, key=lambda test: test.order)
            if test.outcome is not None and (test.finished or running is None)
        )
        return (*self._collected_outcomes.values(), *outcomes), running


def read_events(path: Path) -> tuple[tuple[TestOutcome, ...], str | None]:
    """The tests in covgap's event log, and the node id of the test left running (or None).

    One outcome per test, folded from its phase reports, in the order the tests started, after
    the collection errors and skips. A test that started but has no teardown report is not
    among them: it is the one returned as running (the last such test). After a "finish" event
    nothing is running, and such a test counts with what its reports said. A truncated last
    line is ignored; any other bad line is a DataError.
    """
    log = EventLog(path)
    log.feed(read_input(path, "test event log", "no-events"))
    return log.outcomes()
