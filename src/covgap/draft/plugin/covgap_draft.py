"""covgap draft's pytest plugin: a seeded random order, a coverage context per test, outcomes.

Loaded with ``-p covgap_draft`` under ``coverage run``; it imports nothing from covgap.
Environment variables:

- ``COVGAP_DRAFT_SEED``: shuffle the collected tests with ``random.Random(seed)``, and seed
  ``random`` with it before each test (as pytest-randomly does).
- ``COVGAP_DRAFT_LOG``: a file to append JSON lines to, flushed at once so a killed run keeps
  them: ``{"start": nodeid}``, then ``{"nodeid", "outcome": "passed"|"failed"|"skipped",
  "exc_type", "exc_message", "origin", "test_line", "falsifying"}`` once a test is done;
  ``{"collect_error": path, "message"}`` for a module that did not import.

- ``COVGAP_DRAFT_ROOT``: the project's copy: a test that leaves a global of one of its modules
  bound to another object after its teardown (``set_small_word_list()`` reassigning the
  module's patterns) is logged with ``"rebinds": ["module.NAME", …]``.

Each test's setup, call and teardown are measured in a coverage.py context named after its node
id (``Coverage.switch_context``), so the data says which test ran which line.
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections.abc import Generator
from pathlib import Path
from typing import IO, Any

import pytest

_LOG: IO[str] | None = None
_RESULTS: dict[str, dict[str, Any]] = {}


def _write(record: dict[str, Any]) -> None:
    global _LOG
    path = os.environ.get("COVGAP_DRAFT_LOG")
    if not path:
        return
    if _LOG is None:
        _LOG = Path(path).open("a", encoding="utf-8")  # noqa: SIM115 - open for the whole run
    _LOG.write(json.dumps(record) + "\n")
    _LOG.flush()


def _coverage() -> Any:
    try:
        import coverage
    except ImportError:
        return None
    return coverage.Coverage.current()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    seed = os.environ.get("COVGAP_DRAFT_SEED")
    if seed is not None:
        random.Random(int(seed)).shuffle(items)


#: Before each test: the project's modules' globals, name -> id of the value.
_STATE: dict[str, dict[str, int]] = {}


def _project_state() -> dict[str, dict[str, int]]:
    """The globals of the project's modules (those under ``COVGAP_DRAFT_ROOT``, test modules
    and conftest files left out), each as the id of the object it is bound to."""
    root = os.environ.get("COVGAP_DRAFT_ROOT")
    if not root:
        return {}
    state: dict[str, dict[str, int]] = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        base = Path(path).name
        if not path.startswith(root) or base == "conftest.py" or base.startswith("test_"):
            continue
        try:
            values = dict(vars(module))
        except TypeError:
            continue
        state[name] = {
            attr: id(value)
            for attr, value in values.items()
            if not attr.startswith("__") and value is not None
        }
    return state


def _rebound(before: dict[str, dict[str, int]]) -> list[str]:
    """Globals bound before the test (to something other than None) and bound to another object
    after it, its teardown done: state the test leaves behind for the tests after it."""
    changed: list[str] = []
    for name, attrs in before.items():
        module = sys.modules.get(name)
        if module is None:
            continue
        now = vars(module)
        changed += [
            f"{name}.{attr}"
            for attr, ident in attrs.items()
            if attr in now and id(now[attr]) != ident
        ]
    return changed


def pytest_runtest_logstart(nodeid: str) -> None:
    global _STATE
    _STATE = _project_state()
    _write({"start": nodeid})
    seed = os.environ.get("COVGAP_DRAFT_SEED")
    if seed is not None:
        random.seed(int(seed))
    cov = _coverage()
    if cov is not None:
        cov.switch_context(nodeid)


def pytest_runtest_logfinish(nodeid: str) -> None:
    cov = _coverage()
    if cov is not None:
        cov.switch_context("")
    result = _RESULTS.pop(nodeid, {"outcome": "passed"})
    rebound = _rebound(_STATE)
    if rebound:
        result["rebinds"] = rebound[:10]
    _write({"nodeid": nodeid, **result})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[Any]:
    outcome: Any = yield
    report = outcome.get_result()
    if report.passed:
        return
    record = _RESULTS.setdefault(item.nodeid, {"outcome": "passed"})
    if report.skipped:
        if record["outcome"] == "passed":
            record["outcome"] = "skipped"
        return
    if record["outcome"] == "failed":
        return  # the first failure tells (a teardown error after a failed call does not)
    record["outcome"] = "failed"
    record["when"] = call.when
    excinfo = call.excinfo
    if excinfo is None:
        return
    kind = excinfo.type
    module = getattr(kind, "__module__", "builtins")
    # re.error, json.JSONDecodeError: the module says what it is; builtins need none
    record["exc_type"] = kind.__name__ if module == "builtins" else f"{module}.{kind.__qualname__}"
    message = str(excinfo.value).strip().splitlines()
    record["exc_message"] = message[0][:300] if message else ""
    test_file = str(Path(str(item.fspath)).resolve())
    origin = ""
    test_line = ""
    for entry in excinfo.traceback:
        path = str(Path(str(entry.path)).resolve())
        origin = path
        if path == test_file:
            try:
                test_line = str(entry.statement).strip()
            except Exception:
                test_line = ""
    record["origin"] = origin
    record["test_line"] = test_line[:300]
    record["falsifying"] = _falsifying(getattr(report, "longreprtext", "") or "")


#: How Hypothesis introduces the input that failed (its wording changed in 2025).
_EXAMPLE_HEADS = ("Falsifying example:", "Falsifying explicit example:", "Failing test case:")


def _falsifying(text: str) -> str:
    """Hypothesis's "Failing test case: test_x(\n    a=1,\n)" as one line ("" when none)."""
    # pytest prefixes an exception's notes with "E   "
    lines = [line[1:] if line.startswith("E ") else line for line in text.splitlines()]
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith(_EXAMPLE_HEADS):
            continue
        found = [stripped]
        depth = stripped.count("(") - stripped.count(")")
        for more in lines[index + 1 : index + 40]:
            if depth <= 0:
                break
            found.append(more.strip())
            depth += more.count("(") - more.count(")")
        return " ".join(found)[:500]
    return ""


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        text = str(report.longrepr or "").strip().splitlines()
        last = next((line for line in reversed(text) if line.strip()), "")
        _write({"collect_error": report.nodeid, "message": last.lstrip("E ").strip()[:300]})
