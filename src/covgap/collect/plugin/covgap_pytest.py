"""covgap's pytest plugin: an event log of the run, and per-test coverage contexts.

Loaded by ``covgap run`` with ``-p covgap_pytest``; it imports nothing from covgap, so it works in
any environment the suite runs in. Environment variables:

- ``COVGAP_EVENTS``: a file to append JSON lines to (format: covgap/collect/events.py). Written
  by the controlling process only (with pytest-xdist, the workers' reports reach it anyway), and
  flushed at every test's start and every failure, so that the log survives a killed run.
- ``COVGAP_CONTEXTS=1``: switch coverage.py's context to each test's node id, for setup, call
  and teardown, so the data says which test ran which line.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Generator
from pathlib import Path
from typing import IO, Any

import pytest

_log: IO[str] | None = None


def _event(flush: bool = True, **fields: Any) -> None:
    """Append one line; flushed at once unless ``flush`` is false (a passing phase's report,
    which the next test's "start" flushes: a killed run still has every line up to the test
    that was running, at a tenth of the system calls)."""
    if _log is not None:
        _log.write(json.dumps(fields) + "\n")
        if flush:
            _log.flush()


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning|Failed)\b")


def _first_line(report: pytest.TestReport | pytest.CollectReport) -> str:
    """One line for the log (format: covgap/collect/events.py)."""
    if hasattr(report, "wasxfail"):
        text = str(report.wasxfail)
    else:
        longrepr = report.longrepr
        crash = getattr(longrepr, "reprcrash", None)
        if crash is not None and getattr(crash, "message", None):
            text = str(crash.message)
        elif isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
            text = str(longrepr[2])
        else:
            lines = str(longrepr or "").splitlines()
            error_lines = [line[1:].strip() for line in lines if line.startswith("E ")]
            named = [line for line in error_lines if _EXCEPTION_LINE.match(line)]
            last = [line for line in lines if line.strip()][-1:]
            text = (named or error_lines or last or [""])[0]
    return text.strip().splitlines()[0][:300] if text.strip() else ""


def pytest_configure(config: pytest.Config) -> None:
    global _log
    path = os.environ.get("COVGAP_EVENTS")
    if path and not os.environ.get("PYTEST_XDIST_WORKER"):
        _log = Path(path).open("a", encoding="utf-8")  # noqa: SIM115 - open for the whole run


def pytest_unconfigure(config: pytest.Config) -> None:
    global _log
    if _log is not None:
        _log.close()
        _log = None


def pytest_collection_finish(session: pytest.Session) -> None:
    _event(event="collected", count=len(session.items))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    # With pytest-xdist the controller does not collect; every worker reports the same ids.
    _event(event="collected", count=len(ids))


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _event(event="collect_error", nodeid=report.nodeid, message=_first_line(report))
    elif report.skipped:
        _event(event="collect_skip", nodeid=report.nodeid, message=_first_line(report))


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    _event(event="start", nodeid=nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _event(
        flush=not report.passed,
        event="report",
        nodeid=report.nodeid,
        when=report.when,
        outcome=report.outcome,
        duration=report.duration,
        message=_first_line(report)
        if report.failed or report.skipped or hasattr(report, "wasxfail")
        else "",
        wasxfail=hasattr(report, "wasxfail"),
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _event(event="finish", exitstatus=int(exitstatus))


def _switch(context: str) -> None:
    import coverage

    current = coverage.Coverage.current()
    if current is not None:
        current.switch_context(context)


_CONTEXTS = os.environ.get("COVGAP_CONTEXTS") == "1"

if _CONTEXTS:  # defined only when asked: two hook wrappers per test cost time on big suites

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
        _switch(item.nodeid)
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
        yield
        _switch("")
