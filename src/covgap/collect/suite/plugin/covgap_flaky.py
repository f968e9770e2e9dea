"""covgap flaky's pytest plugin: a seeded order, a seeded ``random`` per test, and each test's
outcome as one JSON line.

Loaded by ``covgap flaky`` with ``-p covgap_flaky`` (its folder put on ``PYTHONPATH``); it
imports nothing from covgap, so it works in any environment the suite runs in, and the
reproduce commands ``covgap flaky`` prints use it too. Its options:

- ``--covgap-seed=N``: shuffle the collected tests with ``random.Random(N)`` (unless
  ``--covgap-keep-order``): the modules, the classes in each, the tests in each, as
  pytest-randomly does; and call ``random.seed(N)`` before each test's setup, so that a test
  that draws random numbers draws the same ones whenever it runs with that seed, alone or
  after other tests.
- ``--covgap-keep-order``: run the tests in the order their node ids are given on the command
  line (what pytest does by itself; kept by the plugin whatever other plugins do).
- ``--covgap-log=FILE``: append the log to FILE. Written by the controlling process only (with
  pytest-xdist, the workers' reports reach it, each with the worker that ran it).

The log's format (read by ``covgap/collect/suite/flaky_runs.py``), one JSON object a line:

``{"event": "begin", "seed": N|null, "rootdir": PATH, "args": [ARG, ...]}``
    the plugin opened the log; ``args`` are pytest's ``config.args`` (the paths and node ids it
    was told to collect), ``rootdir`` the folder node ids are relative to.
``{"event": "collected", "count": N}``
    collection is over (with pytest-xdist: a worker's collection).
``{"event": "collect_error", "nodeid": ID, "message": LINE}``
    a collector (a test module) failed.
``{"event": "test", "nodeid": ID, "outcome": OUTCOME, "duration": SECONDS, "phase": PHASE,``
``"exc_type": NAME, "message": LINE, "also": OUTCOME|null, "worker": ID, "timeout": SECONDS|null}``
    a test is done (at its teardown report). OUTCOME is "passed", "failed", "error", "skipped",
    "xfailed" or "xpassed", as pytest's summary counts it; PHASE is where it failed ("setup",
    "call", "teardown"; "" when it did not); NAME is the exception's type ("AssertionError",
    "requests.exceptions.ConnectionError"); LINE the first line pytest shows of the failure;
    DURATION the sum of its phases; ``also`` a second outcome pytest counts (a teardown error
    after a failed call, say); ``worker`` the pytest-xdist worker ("gw0"; "" when serial);
    ``timeout`` its pytest-timeout limit (null when none). Lines are in the order the tests
    ended; a worker's tests are in the order that worker ran them.
``{"event": "finish", "exitstatus": N}``
    the session ended normally.
"""

from __future__ import annotations

import importlib
import json
import os
import random
from collections.abc import Generator
from pathlib import Path
from typing import IO, Any

import pytest

_log: IO[str] | None = None
_seed: int | None = None
#: Per running test: its outcome so far (the controlling process folds the phases' reports).
_tests: dict[str, dict[str, Any]] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("covgap-flaky", "covgap flaky (random order, seeded random)")
    group.addoption(
        "--covgap-seed",
        type=int,
        default=None,
        help="shuffle the tests with this seed, and random.seed() it before each test",
    )
    group.addoption(
        "--covgap-keep-order",
        action="store_true",
        help="run the tests in the order their node ids are given (no shuffle)",
    )
    group.addoption("--covgap-log", default=None, help="append each test's outcome to this file")


def _write(record: dict[str, Any], flush: bool = False) -> None:
    if _log is not None:
        _log.write(json.dumps(record) + "\n")
        if flush:
            _log.flush()


def pytest_configure(config: pytest.Config) -> None:
    global _log, _seed
    _seed = config.getoption("covgap_seed")
    path = config.getoption("covgap_log")
    if path and not os.environ.get("PYTEST_XDIST_WORKER"):
        _log = Path(path).open("a", encoding="utf-8")  # noqa: SIM115 - open for the whole run
        begin = {"event": "begin", "seed": _seed, "rootdir": str(config.rootpath)}
        _write({**begin, "args": [str(arg) for arg in config.args]}, flush=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    global _log
    if _log is not None:
        _log.close()
        _log = None


def _given_position(config: pytest.Config) -> Any:
    """Each test's place in the command line's node ids (a path given holds all its tests)."""
    args = [str(arg) for arg in config.args]

    def position(item: pytest.Item) -> int:
        for index, arg in enumerate(args):
            if item.nodeid == arg or item.nodeid.startswith((arg + "::", arg.rstrip("/") + "/")):
                return index
        return len(args)

    return position


def _shuffled(items: list[pytest.Item], rng: random.Random) -> list[pytest.Item]:
    """The modules in a random order, the classes in each, the tests in each (as
    pytest-randomly does): a module's tests stay together, so its module-scoped fixtures are
    set up once."""

    def groups(found: list[pytest.Item], depth: int) -> list[list[pytest.Item]]:
        by_key: dict[str, list[pytest.Item]] = {}
        for item in found:
            parts = item.nodeid.split("::")
            by_key.setdefault("::".join(parts[: min(depth, len(parts) - 1)]), []).append(item)
        return list(by_key.values())

    ordered: list[pytest.Item] = []
    modules = groups(items, 1)
    rng.shuffle(modules)
    for module in modules:
        classes = groups(module, 2)
        rng.shuffle(classes)
        for tests in classes:
            rng.shuffle(tests)
            ordered += tests
    return ordered


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("covgap_keep_order"):
        items.sort(key=_given_position(config))  # stable: a file's tests stay in their order
    elif _seed is not None:
        items[:] = _shuffled(items, random.Random(_seed))


def pytest_collection_finish(session: pytest.Session) -> None:
    _write({"event": "collected", "count": len(session.items)})


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    _write({"event": "collected", "count": len(ids)})


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _write(
            {"event": "collect_error", "nodeid": report.nodeid, "message": _first_line(report)},
            flush=True,
        )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if _seed is not None:
        random.seed(_seed)


def _timeout(item: pytest.Item) -> float | None:
    """The test's pytest-timeout limit, when pytest-timeout is on and sets one."""
    manager = item.config.pluginmanager
    if not (manager.hasplugin("timeout") or manager.hasplugin("pytest_timeout")):
        return None
    try:
        plugin: Any = importlib.import_module("pytest_timeout")  # untyped
        seconds = plugin._get_item_settings(item).timeout
    except Exception:
        return None
    return float(seconds) if seconds else None


def _exception_type(kind: type) -> str:
    module = getattr(kind, "__module__", "builtins")
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[Any]:
    """Where the test ran (a pytest-xdist worker too): the exception's type, the worker and the
    timeout go on the report, which pytest-xdist sends to the controlling process."""
    outcome: Any = yield
    report = outcome.get_result()
    report.covgap_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if call.when == "setup":
        report.covgap_timeout = _timeout(item)
    if report.failed and call.excinfo is not None:
        report.covgap_exc = _exception_type(call.excinfo.type)


def _first_line(report: pytest.TestReport | pytest.CollectReport) -> str:
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
            errors = [line[1:].strip() for line in lines if line.startswith("E ")]
            last = [line for line in lines if line.strip()][-1:]
            text = (errors or last or [""])[0]
    return text.strip().splitlines()[0][:300] if text.strip() else ""


def _fail(test: dict[str, Any], report: pytest.TestReport, outcome: str) -> None:
    test["outcome"] = outcome
    test["phase"] = report.when
    test["exc_type"] = getattr(report, "covgap_exc", "") or ""
    test["message"] = _first_line(report)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _log is None:
        return
    test = _tests.setdefault(
        report.nodeid,
        {
            "event": "test",
            "nodeid": report.nodeid,
            "outcome": "passed",
            "duration": 0.0,
            "phase": "",
            "exc_type": "",
            "message": "",
            "also": None,
            "worker": "",
            "timeout": None,
        },
    )
    test["duration"] += report.duration
    test["worker"] = getattr(report, "covgap_worker", "") or test["worker"]
    if report.when == "setup":
        test["timeout"] = getattr(report, "covgap_timeout", None)
    xfail = hasattr(report, "wasxfail")
    if report.when in ("setup", "call"):
        if report.failed:
            _fail(test, report, "error" if report.when == "setup" else "failed")
        elif report.skipped:
            test["outcome"] = "xfailed" if xfail else "skipped"
            test["message"] = _first_line(report)
        elif xfail:
            test["outcome"] = "xpassed"
    else:
        if report.failed:
            previous = test["outcome"]
            if previous in ("failed", "error"):
                test["also"] = "error"
            else:
                test["also"] = previous
                _fail(test, report, "error")
        del _tests[report.nodeid]
        _write(test, flush=test["outcome"] in ("failed", "error"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _write({"event": "finish", "exitstatus": int(exitstatus)}, flush=True)
