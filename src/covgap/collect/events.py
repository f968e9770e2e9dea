"""Read covgap's test event log: pytest's outcomes, known even when pytest was killed.

The log is written by covgap's tiny pytest plugin (which must not import covgap), so this
docstring is the format's definition. Version ``EVENTS_FORMAT`` = 1:

* The file is UTF-8 text, one JSON object per line, each line ended by "\\n" and flushed as it
  is written (appended: the log is read even when the process was killed mid-write).
* Every object has ``"event"``. An object may carry ``"format": 1``; a reader refuses a log
  with a higher format. Unknown events and unknown keys are ignored, so new ones can be added.
* The events, in the order pytest's hooks produce them:

  ``{"event": "collected", "count": N}``
      collection is over: N tests were selected to run (``pytest_collection_finish``).
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

import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covgap.collect.inputs import read_input
from covgap.errors import DataError
from covgap.model import Outcome, TestOutcome

__all__ = ["EVENTS_FORMAT", "read_events", "read_xpassed"]

#: The version of the event log's format described above.
EVENTS_FORMAT = 1

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


def _lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """The log's JSON objects with their line numbers, without a truncated last line."""
    data = read_input(path, "test event log", "no-events")
    raw_lines = data.split(b"\n")
    # The text after the last "\n" is "" for a complete log; anything else was being written.
    last = len(raw_lines) - 1
    objects: list[tuple[int, dict[str, Any]]] = []
    for index, raw in enumerate(raw_lines):
        number = index + 1
        if not raw.strip():
            continue
        try:
            value = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            if index == last:  # killed mid-write: the last line has no end
                break
            raise _bad(path, number, f"not a JSON line ({exc})") from None
        if not isinstance(value, dict) or not isinstance(value.get("event"), str):
            raise _bad(path, number, 'not an event: a JSON object with an "event" is expected')
        version = value.get("format", EVENTS_FORMAT)
        if not isinstance(version, int) or version > EVENTS_FORMAT:
            raise _bad(path, number, f"format {version!r}: this covgap reads {EVENTS_FORMAT}")
        objects.append((number, value))
    return objects


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


def read_events(path: Path) -> tuple[tuple[TestOutcome, ...], str | None]:
    """The tests in covgap's event log, and the node id of the test left running (or None).

    One outcome per test, folded from its phase reports, in the order the tests started, after
    the collection errors and skips. A test that started but has no teardown report is not
    among them: it is the one returned as running (the last such test). After a "finish" event
    nothing is running, and such a test counts with what its reports said. A truncated last
    line is ignored; any other bad line is a DataError.
    """
    collected: dict[str, TestOutcome] = {}
    tests: dict[str, _Test] = {}
    started = itertools.count()
    finished_session = False
    for number, event in _lines(path):
        kind = event["event"]
        if kind == "collect_error":
            nodeid = _nodeid(path, number, event)
            message = _clip(_text(path, number, event, "message"))
            collected[nodeid] = TestOutcome(nodeid, "error", 0.0, message, "collect")
        elif kind == "collect_skip":
            nodeid = _nodeid(path, number, event)
            message = _REASON_PREFIX.sub("", _clip(_text(path, number, event, "message")))
            collected[nodeid] = TestOutcome(nodeid, "skipped", 0.0, message, "")
        elif kind == "start":
            nodeid = _nodeid(path, number, event)
            tests[nodeid] = _Test(nodeid, order=next(started))
        elif kind == "report":
            nodeid = _nodeid(path, number, event)
            when, outcome = event.get("when"), event.get("outcome")
            if when not in _WHENS:
                raise _bad(path, number, f"'when' is {when!r}, not one of {', '.join(_WHENS)}")
            if outcome not in _OUTCOMES:
                raise _bad(
                    path, number, f"'outcome' is {outcome!r}, not one of {', '.join(_OUTCOMES)}"
                )
            duration = event.get("duration", 0.0)
            if (
                isinstance(duration, bool)
                or not isinstance(duration, (int, float))
                or not math.isfinite(duration)
            ):
                raise _bad(path, number, f"'duration' is {duration!r}, not a number of seconds")
            test = tests.get(nodeid)
            if test is None:  # a report without a start: count it all the same
                test = tests[nodeid] = _Test(nodeid, order=next(started))
            test.duration += max(float(duration), 0.0)
            wasxfail = event.get("wasxfail", False) is True
            message = _clip(_text(path, number, event, "message"))
            if outcome != "failed":
                message = _REASON_PREFIX.sub("", message)
            _fold(test, when, outcome, wasxfail, message)
        elif kind == "finish":
            finished_session = True
    unfinished = [test for test in tests.values() if not test.finished]
    running = None
    if unfinished and not finished_session:
        running = max(unfinished, key=lambda test: test.order).nodeid
    outcomes = tuple(
        TestOutcome(test.nodeid, test.outcome, test.duration, test.message, test.phase, test.also)
        for test in sorted(tests.values(), key=lambda test: test.order)
        if test.outcome is not None and (test.finished or running is None)
    )
    return (*collected.values(), *outcomes), running


def read_xpassed(path: Path) -> tuple[TestOutcome, ...]:
    """The tests that passed although marked xfail (lenient XPASS), which JUnit XML counts as
    passed. Only a log with an expected failure in it is parsed: a suite's log holds thousands
    of lines, and most suites mark nothing xfail."""
    data = read_input(path, "test event log", "no-events")
    if b'"wasxfail": true' not in data and b'"wasxfail":true' not in data:
        return ()
    return tuple(test for test in read_events(path)[0] if test.outcome == "xpassed")
