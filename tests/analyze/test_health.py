"""Tests for the suite's health: failing tests grouped by cause, from real and hand-made runs."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from covgap.analyze.health import (
    ASSERTION,
    ASYNC,
    COLLECTION,
    IMPORT,
    OTHER,
    SETUP,
    TEARDOWN,
    TIMEOUT,
    UNEXPECTED_PASS,
    advice_for,
    assess,
    cause_of,
    exception_type,
)
from covgap.collect.suite.events import read_events
from covgap.collect.suite.junit import read_junit
from covgap.model import TestOutcome

SICK = Path(__file__).parents[1] / "fixtures" / "projects" / "sick"

#: Where each failing test of the sick suite (less test_hang.py) belongs.
SICK_GROUPS = {
    ASSERTION: [
        "tests/test_fixtures.py::test_fails_then_teardown_fails",
        "tests/test_outcomes.py::test_add_cases[2-2-5]",
        "tests/test_outcomes.py::test_assertion_fails",
        "tests/unit/test_classes.py::TestAdd::test_method_fails",
    ],
    SETUP: [
        "tests/test_fixtures.py::test_uses_broken_fixture",
        "tests/test_fixtures.py::test_uses_missing_fixture",
    ],
    ASYNC: ["tests/test_outcomes.py::test_async_without_plugin"],
    COLLECTION: ["tests/test_syntax.py"],
    "exception: InventoryError": ["tests/test_outcomes.py::test_custom_exception"],
    "exception: KeyError": ["tests/test_outcomes.py::test_key_error"],
    IMPORT: ["tests/test_imports.py"],
    TEARDOWN: ["tests/test_fixtures.py::test_teardown_fails"],
    UNEXPECTED_PASS: ["tests/test_outcomes.py::test_xpass_strict"],
}


def run_sick(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest on a copy of the sick suite, in a subprocess, without inherited options."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COVGAP_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def sick_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("health") / "sick"
    shutil.copytree(SICK, project)
    return project


def test_sick_suite_groups(sick_project: Path) -> None:
    """Every failing test of a real run lands in the group of its cause, and only there."""
    xml = sick_project / "junit.xml"
    result = run_sick(
        sick_project,
        f"--junitxml={xml}",
        "--continue-on-collection-errors",
        "--deselect",
        "tests/test_hang.py",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    health = assess(read_junit(xml), source="junit-xml")
    assert {g.cause: [t.nodeid for t in g.tests] for g in health.groups} == SICK_GROUPS
    assert [g.cause for g in health.groups] == list(SICK_GROUPS)  # most tests first, then name
    assert health.source == "junit-xml"
    assert health.stopped is None
    # pytest's own summary: "8 failed, 5 passed, …, 1 xpassed, 6 errors" (a test whose teardown
    # fails after its call failed counts as failed and as an error). From the XML alone the
    # lenient XPASS reads as a pass; covgap run's event log tells it apart.
    assert health.count("failed") == 8
    assert health.count("error") == 6
    assert health.count("passed") == 6


def test_pytest_timeout_is_a_timeout(sick_project: Path) -> None:
    """A test cut by pytest-timeout (when installed) is grouped as a timeout."""
    pytest.importorskip("pytest_timeout")
    xml = sick_project / "hang.xml"
    result = run_sick(sick_project, f"--junitxml={xml}", "tests/test_hang.py")
    assert result.returncode == 1, result.stdout + result.stderr
    (test,) = read_junit(xml)
    assert test.outcome == "failed"
    assert test.message.startswith("Failed: Timeout (>1.0s)")
    assert test.duration >= 0.9  # about the 1 s limit (the timer and pytest's clock start apart)
    (group,) = assess([test], source="junit-xml").groups
    assert group.cause == TIMEOUT
    assert group.tests == (test,)


def test_running_test_of_a_stopped_run(tmp_path: Path) -> None:
    """The test running when the run was stopped is a timeout error with the reason as message."""
    lines = [
        {"event": "collected", "count": 3},
        {"event": "start", "nodeid": "t.py::fast"},
        {"event": "report", "nodeid": "t.py::fast", "when": "setup", "outcome": "passed"},
        {"event": "report", "nodeid": "t.py::fast", "when": "call", "outcome": "passed"},
        {"event": "report", "nodeid": "t.py::fast", "when": "teardown", "outcome": "passed"},
        {"event": "start", "nodeid": "t.py::hangs"},
        {"event": "report", "nodeid": "t.py::hangs", "when": "setup", "outcome": "passed"},
    ]
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(line) + "\n" for line in lines) + '{"event": "rep')
    tests, running = read_events(events)
    stopped = "timed out after 60 s while running t.py::hangs"
    health = assess(tests, source="events", stopped=stopped, running=running)
    assert health.tests == (
        TestOutcome("t.py::fast", "passed"),
        TestOutcome("t.py::hangs", "error", 0.0, stopped, "call"),
    )
    (group,) = health.groups
    assert (group.cause, [t.nodeid for t in group.tests]) == (TIMEOUT, ["t.py::hangs"])
    assert health.stopped == stopped
    assert health.source == "events"


def test_running_test_replaces_its_outcome() -> None:
    """A running test already among the outcomes is replaced, not counted twice."""
    tests = [TestOutcome("t.py::a", "failed", 1.0, "assert 0", "call")]
    health = assess(tests, source="events", running="t.py::a")
    assert health.tests == (
        TestOutcome(
            "t.py::a", "error", 0.0, "the run was stopped while this test was running", "call"
        ),
    )
    assert [g.cause for g in health.groups] == [TIMEOUT]


def outcome(message: str, phase: str) -> TestOutcome:
    """A failure in the call, an error in any other phase."""
    return TestOutcome("t.py::x", "failed" if phase == "call" else "error", 0.0, message, phase)


@pytest.mark.parametrize(
    ("message", "phase", "cause"),
    [
        ("Failed: Timeout (>1.0s) from pytest-timeout.", "call", TIMEOUT),
        ("Failed: Timeout >5.0s", "call", TIMEOUT),
        ("Failed: Timeout (>2s) from pytest-timeout.", "setup", TIMEOUT),
        ("Failed: async def functions are not natively supported.", "call", ASYNC),
        ("RuntimeWarning: coroutine 'test_x' was never awaited", "call", ASYNC),
        ("PytestUnhandledCoroutineWarning: async def functions are not natively", "call", ASYNC),
        ("RuntimeError: no running event loop", "call", ASYNC),
        ("DeprecationWarning: There is no current event loop", "setup", ASYNC),
        ("[XPASS(strict)] was fixed", "call", UNEXPECTED_PASS),
        ("ModuleNotFoundError: No module named 'requests'", "collect", IMPORT),
        ("ImportError: cannot import name 'x' from 'y'", "collect", IMPORT),
        ("ModuleNotFoundError: No module named 'yaml'", "call", IMPORT),
        ("ImportError: libfoo.so: cannot open shared object file", "setup", IMPORT),
        ("SyntaxError: invalid syntax", "collect", COLLECTION),
        ("NameError: name 'x' is not defined", "collect", COLLECTION),
        ("fixture 'db' not found", "setup", SETUP),
        ("ConnectionError: database is down", "setup", SETUP),
        ("RuntimeError: could not clean up", "teardown", TEARDOWN),
        ("assert 2 == 3", "call", ASSERTION),
        ("AssertionError: totals differ", "call", ASSERTION),
        ("AssertionError", "call", ASSERTION),
        ("KeyError: 'missing'", "call", "exception: KeyError"),
        ("E   KeyError: 'x'", "call", "exception: KeyError"),
        ("sick.core.InventoryError: no item 'widget'", "call", "exception: InventoryError"),
        ("ValueError", "call", "exception: ValueError"),
        ("Failed: explicit failure", "call", "exception: Failed"),
        ("something odd happened", "call", OTHER),
        ("", "call", OTHER),
    ],
    ids=[
        "pytest-timeout",
        "pytest-timeout-old",
        "timeout-in-setup",
        "async-no-plugin",
        "never-awaited",
        "unhandled-coroutine-warning",
        "no-running-loop",
        "no-current-loop",
        "strict-xpass",
        "collect-module-not-found",
        "collect-import-error",
        "lazy-import-in-call",
        "import-in-fixture",
        "collect-syntax-error",
        "collect-other-error",
        "missing-fixture",
        "fixture-raises",
        "teardown",
        "assert",
        "assertion-error-message",
        "bare-assertion-error",
        "key-error",
        "e-line",
        "dotted-custom-exception",
        "bare-exception",
        "pytest-fail",
        "unparsable",
        "empty",
    ],
)
def test_cause_of(message: str, phase: str, cause: str) -> None:
    """A failure's cause comes from its message, then its phase, then its exception type."""
    assert cause_of(outcome(message, phase)) == cause


@pytest.mark.parametrize(
    ("message", "name"),
    [
        ("ValueError: x", "ValueError"),
        ("pkg.mod.Error: x", "Error"),
        ("KeyError", "KeyError"),
        ("StopIteration", "StopIteration"),
        ("Hello", None),
        ("hello: world", None),
        ("assert x", None),
    ],
    ids=["plain", "dotted", "bare-error", "bare-iteration", "bare-word", "lowercase", "assert"],
)
def test_exception_type(message: str, name: str | None) -> None:
    """The exception's class name is read from "Type: message" or a bare exception name."""
    assert exception_type(message) == name


def test_groups_are_deterministic() -> None:
    """Whatever the order of the tests, the groups are the same: by size, then cause; by node id."""
    tests = [
        TestOutcome("b.py::t1", "failed", 0.0, "assert 0", "call"),
        TestOutcome("a.py::t2", "failed", 0.0, "assert 1", "call"),
        TestOutcome("c.py::t3", "failed", 0.0, "KeyError: 'k'", "call"),
        TestOutcome("a.py::t4", "failed", 0.0, "IndexError: list index", "call"),
        TestOutcome("a.py::t5", "error", 0.0, "fixture 'x' not found", "setup"),
        TestOutcome("a.py::t6", "error", 0.0, "fixture 'y' not found", "setup"),
        TestOutcome("a.py::t7", "passed"),
        TestOutcome("a.py::t8", "xfailed", 0.0, "known"),
        TestOutcome("a.py::t9", "skipped", 0.0, "later"),
        TestOutcome("a.py::t10", "xpassed"),
    ]
    seen = {assess(order, source="junit-xml").groups for order in itertools.permutations(tests[:6])}
    (groups,) = seen
    assert [(g.cause, [t.nodeid for t in g.tests]) for g in groups] == [
        (ASSERTION, ["a.py::t2", "b.py::t1"]),
        (SETUP, ["a.py::t5", "a.py::t6"]),
        ("exception: IndexError", ["a.py::t4"]),
        ("exception: KeyError", ["c.py::t3"]),
    ]
    assert assess(tests, source="junit-xml").groups == groups  # passes and skips are not grouped


def test_healthy_suite_has_no_groups() -> None:
    """A suite with no failure has no groups."""
    health = assess([TestOutcome("a.py::t", "passed")], source="junit-xml")
    assert health.groups == ()
    assert health.tests == (TestOutcome("a.py::t", "passed"),)


@pytest.mark.parametrize(
    "cause",
    [
        IMPORT,
        COLLECTION,
        SETUP,
        TEARDOWN,
        TIMEOUT,
        ASYNC,
        ASSERTION,
        UNEXPECTED_PASS,
        OTHER,
        "exception: KeyError",
        "no such cause",
    ],
    ids=lambda cause: cause.replace(" ", "-"),
)
def test_advice_is_one_sentence(cause: str) -> None:
    """Every cause has advice: one sentence, ending with a full stop."""
    advice = advice_for(cause)
    assert advice[0].isupper() and advice.endswith(".")
    assert ". " not in advice and "\n" not in advice
    if cause.startswith("exception: "):
        assert "KeyError" in advice


def test_unknown_source_is_refused() -> None:
    """The source is one of the two covgap knows."""
    with pytest.raises(ValueError, match="source"):
        assess([], source="xml")
