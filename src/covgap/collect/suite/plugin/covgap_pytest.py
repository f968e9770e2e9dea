"""covgap's pytest plugin: an event log of the run, and per-test coverage contexts.

Loaded by ``covgap run`` with ``-p covgap_pytest``; it imports nothing from covgap, so it works in
any environment the suite runs in. Environment variables:

- ``COVGAP_EVENTS``: a file to append JSON lines to (format: covgap/collect/events.py). Written
  by the controlling process only (with pytest-xdist, the workers' reports reach it anyway), and
  flushed at every test's start and every failure, so that the log survives a killed run.
- ``COVGAP_START_FD``: a pipe on which ``covgap run`` sends, as one JSON object, ``"rcfile"``:
  the path of the coverage settings it layered, and ``"contexts"``: whether to switch
  coverage.py's context to each test's node id, for setup, call and teardown, so the data says
  which test ran which line; then it closes the pipe (nothing sent: the run was called off).
  The plugin starts coverage.py with them the moment pytest imports it (``-p`` plugins come
  before entry-point plugins and conftest files), as pytest-cov does, so that pytest's own
  start-up is not traced. Should a file or package coverage.py is to measure be imported
  already (by pytest itself, a ``.pth`` file, or a plugin named earlier with ``-p``), the process
  starts over as ``python -m coverage run -m pytest`` with the same settings, which measures
  from the first line: the event log then says why (``{"event": "coverage", "started":
  "coverage run", "reason": …}``; coverage.py's own check finds measured files, covgap's the
  measured packages of ``source_pkgs``).
- ``COVGAP_CONTEXTS``: set by the plugin for pytest-xdist's workers ("1": switch contexts).
"""

from __future__ import annotations

import json
import os
import re
import sys
import warnings
from collections.abc import Generator
from pathlib import Path
from typing import IO, Any

import pytest

_log: IO[str] | None = None
#: Why coverage.py was started over under ``coverage run``, for the event log (None: it was not).
_RESTARTED = os.environ.pop("COVGAP_RESTARTED", None)


def _packages_imported_early(cov: Any) -> list[str]:
    """Measured packages already imported, named by ``source_pkgs`` (or a ``source`` that is not
    a folder): coverage.py's own check looks at files, and misses them (pytest imports
    ``packaging`` to check ``minversion``, say)."""
    names = list(cov.get_option("run:source_pkgs") or [])
    names += [name for name in cov.get_option("run:source") or [] if not Path(name).is_dir()]
    return [
        module
        for module in sorted(sys.modules)
        if any(module == name or module.startswith(name + ".") for name in names)
    ]


def _start_coverage() -> bool:
    """Start coverage.py in this process with the settings covgap sends, or start over under
    ``coverage run`` when a file it measures was imported before (see the module's docstring).
    Whether to switch contexts per test."""
    fd_text = os.environ.pop("COVGAP_START_FD", None)
    if fd_text is None:  # not the suite covgap started (a worker, a subprocess, a restart)
        return os.environ.get("COVGAP_CONTEXTS") == "1"
    fd = int(fd_text)
    chunks = []
    while chunk := os.read(fd, 4096):
        chunks.append(chunk)
    os.close(fd)
    if not chunks:
        raise SystemExit("covgap: the run was called off before coverage.py started")
    settings = json.loads(b"".join(chunks))
    rcfile, contexts = str(settings["rcfile"]), bool(settings["contexts"])
    os.environ["COVGAP_CONTEXTS"] = "1" if contexts else "0"  # for pytest-xdist's workers
    execv = os.execv  # before coverage.py's `patch = execv` can wrap it

    import coverage

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cov = coverage.Coverage(config_file=rcfile, auto_data=True, check_preimported=True)
        cov.start()
    early = [
        str(w.message).split(" (already-imported)")[0].rpartition(": ")[2]
        for w in caught
        if "(already-imported)" in str(w.message)
    ]
    early += _packages_imported_early(cov)
    if early:
        cov.stop()
        # The settings coverage.py just passed on for subprocesses must not start one here.
        os.environ.pop("COVERAGE_PROCESS_CONFIG", None)
        os.environ["COVGAP_RESTARTED"] = (
            f"{early[0]} was imported before pytest loaded covgap's plugin"
        )
        sys.stdout.flush()
        sys.stderr.flush()
        command = ["-m", "coverage", "run", f"--rcfile={rcfile}", "-m", "pytest", *sys.argv[1:]]
        execv(sys.executable, [sys.executable, *command])
    for warning in caught:
        warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    return contexts


_CONTEXTS = _start_coverage()


#: The event log's format (covgap/collect/events.py), written on its first line.
_FORMAT = 2
#: Per running test: the seconds of its passed phases not written yet. A test whose setup, call
#: and teardown all pass (most tests) makes one "passed" line instead of three reports.
_unwritten: dict[str, float] = {}
#: The running tests that have a report line written (their teardown is written too).
_reported: set[str] = set()
#: Tests deselected so far (``-k``, ``-m``, ``--deselect``, ``--lf``, a plugin's hook).
_deselected = 0


def _write(line: str, flush: bool) -> None:
    if _log is not None:
        _log.write(line)
        if flush:
            _log.flush()


def _event(flush: bool = True, **fields: Any) -> None:
    """Append one line; flushed at once unless ``flush`` is false (a passing test's lines, which
    the next test's "start" flushes: a killed run still has every line up to the test that was
    running, at a fraction of the system calls)."""
    _write(json.dumps(fields) + "\n", flush)


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


#: The ``--cov`` sources pytest-cov was given (by the project's ``addopts``, say) and covgap
#: turned off: None when it was not asked to measure.
_PYTEST_COV: list[str] | None = None


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> Generator[None, None, None]:
    """covgap measures the run: pytest-cov, turned on by the project's own options (``--cov``
    in ``addopts``), would start a second coverage.py that stops covgap's and writes its own
    data over the project's ``.coverage``. It starts in this hook only when ``--cov`` gave it
    sources, so the wrapper, which runs before every implementation, takes them away; its
    options still parse, and its reports are not written."""
    global _PYTEST_COV
    namespace = early_config.known_args_namespace
    sources = getattr(namespace, "cov_source", None)
    if sources:
        _PYTEST_COV = [str(source) for source in sources if source is not True]
        namespace.cov_source = None
    return (yield)


def pytest_configure(config: pytest.Config) -> None:
    global _log
    path = os.environ.get("COVGAP_EVENTS")
    if path and not os.environ.get("PYTEST_XDIST_WORKER"):
        _log = Path(path).open("a", encoding="utf-8")  # noqa: SIM115 - open for the whole run
        _event(event="begin", format=_FORMAT)
        if _PYTEST_COV is not None:
            _event(event="pytest-cov", sources=_PYTEST_COV)
        # What pytest was told to collect: the paths given on its command line (or added by
        # addopts), else testpaths, else the folder it was started in (pytest 7.2+ says which).
        source = getattr(getattr(config, "args_source", None), "name", None)
        _event(
            event="selection",
            args=[str(arg) for arg in config.args],
            source=source.lower() if isinstance(source, str) else None,
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    global _log
    if _log is not None:
        _log.close()
        _log = None


def pytest_sessionstart(session: pytest.Session) -> None:
    if _RESTARTED is not None:
        _event(event="coverage", started="coverage run", reason=_RESTARTED)


def pytest_deselected(items: list[pytest.Item]) -> None:
    global _deselected
    _deselected += len(items)


def pytest_collection_finish(session: pytest.Session) -> None:
    _event(event="collected", count=len(session.items), deselected=_deselected)


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
    # Written by hand, as the "passed" line below: json.dumps of a dict, four times a test,
    # added a tenth of a millisecond a test, a tenth of the run on suites of quick tests.
    _write('{"event": "start", "nodeid": ' + json.dumps(nodeid) + "}\n", flush=True)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _log is None:
        return
    nodeid = report.nodeid
    duration = _unwritten.pop(nodeid, 0.0) + report.duration
    if report.passed and not hasattr(report, "wasxfail"):
        if report.when != "teardown":
            _unwritten[nodeid] = duration
            return
        if nodeid not in _reported:
            line = '{"event": "passed", "nodeid": %s, "duration": %r}\n'
            _write(line % (json.dumps(nodeid), duration), flush=False)
            return
    if report.when == "teardown":
        _reported.discard(nodeid)
    else:
        _reported.add(nodeid)
    _event(
        flush=not report.passed,
        event="report",
        nodeid=nodeid,
        when=report.when,
        outcome=report.outcome,
        duration=duration,
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


if _CONTEXTS:  # defined only when asked: two hook wrappers per test cost time on big suites

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
        _switch(item.nodeid)
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
        yield
        _switch("")
