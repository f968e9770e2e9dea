"""Tests for the JUnit XML and event-log readers, against real pytest runs of the 'sick' suite."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from covgap.collect.suite.events import EVENTS_FORMAT, EventLog, read_events
from covgap.collect.suite.junit import MESSAGE_LIMIT, nodeid_from, read_junit
from covgap.collect.suite.plugin import PLUGIN_DIR, PLUGIN_NAME
from covgap.errors import DataError
from covgap.model import TestOutcome

#: A suite that fails in every way a suite can (see its tests/); test_hang.py is run apart.
SICK = Path(__file__).parents[2] / "fixtures" / "projects" / "sick"
HANG = "tests/test_hang.py"

#: What every test of the sick suite (less test_hang.py) comes to: outcome, phase, message.
#: Read from the JUnit XML, both flavours, and from the event log alike, except where noted.
SICK_EXPECTED: dict[str, tuple[str, str, str]] = {
    "tests/test_imports.py": (
        "error",
        "collect",
        "ModuleNotFoundError: No module named 'sick_plugin_not_installed'",
    ),
    "tests/test_syntax.py": ("error", "collect", "SyntaxError: invalid syntax"),
    "tests/test_platform.py": ("skipped", "", "needs the other platform"),
    "tests/test_fixtures.py::test_uses_broken_fixture": (
        "error",
        "setup",
        "ConnectionError: database is down",
    ),
    "tests/test_fixtures.py::test_uses_missing_fixture": (
        "error",
        "setup",
        "fixture 'no_such_fixture' not found",
    ),
    "tests/test_fixtures.py::test_teardown_fails": (
        "error",
        "teardown",
        "RuntimeError: could not clean up",
    ),
    "tests/test_fixtures.py::test_fails_then_teardown_fails": ("failed", "call", "assert 1 == 2"),
    "tests/test_outcomes.py::test_passes": ("passed", "", ""),
    "tests/test_outcomes.py::test_slow_passes": ("passed", "", ""),
    "tests/test_outcomes.py::test_assertion_fails": ("failed", "call", "assert 2 == 3"),
    "tests/test_outcomes.py::test_key_error": ("failed", "call", "KeyError: 'missing'"),
    "tests/test_outcomes.py::test_custom_exception": (
        "failed",
        "call",
        "sick.core.InventoryError: no item 'widget'",
    ),
    "tests/test_outcomes.py::test_skipped": ("skipped", "", "not on this platform"),
    "tests/test_outcomes.py::test_xfail": ("xfailed", "", "known bug"),
    "tests/test_outcomes.py::test_xpass_strict": ("failed", "call", "[XPASS(strict)] was fixed"),
    # pytest's XML writes a non-strict XPASS as a plain pass; the event log tells.
    "tests/test_outcomes.py::test_xpass_lenient": ("xpassed", "", "maybe fixed"),
    "tests/test_outcomes.py::test_async_without_plugin": (
        "failed",
        "call",
        "Failed: async def functions are not natively supported.",
    ),
    "tests/test_outcomes.py::test_add_cases[1-2-3]": ("passed", "", ""),
    "tests/test_outcomes.py::test_add_cases[2-2-5]": ("failed", "call", "assert 4 == 5"),
    "tests/unit/test_classes.py::TestAdd::test_method": ("passed", "", ""),
    "tests/unit/test_classes.py::TestAdd::test_method_fails": ("failed", "call", "assert 0 == 1"),
}
XPASS_LENIENT = "tests/test_outcomes.py::test_xpass_lenient"
#: JUnit XML of both families; the event log as the sick suite's events_probe writes it
#: (format 1, by its own code), and as covgap's plugin writes it (``plugin``).
FLAVOURS = ("xunit2", "xunit1", "events", "plugin")


@dataclass(frozen=True)
class SickRun:
    """One pytest run of the sick suite: what covgap read, and what pytest said."""

    outcomes: tuple[TestOutcome, ...]
    #: pytest's closing counts ("8 failed, 5 passed, …"), by covgap's outcome names.
    counts: Counter[str]
    #: The -rA short summary: (word, node id or location, message) per line.
    summary: tuple[tuple[str, str, str], ...]


def pytest_env(project: Path, **extra: str) -> dict[str, str]:
    """A child pytest's environment: wide lines (no cut messages), the probe importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COVGAP_"))}
    return {**env, "COLUMNS": "500", "PYTHONPATH": str(project), **extra}


def writer(project: Path, events: Path, plugin: bool) -> tuple[list[str], dict[str, str]]:
    """pytest's options and environment for an event log written by the sick suite's
    events_probe, or by covgap's own plugin."""
    if plugin:
        env = pytest_env(project, COVGAP_EVENTS=str(events))
        env["PYTHONPATH"] = os.pathsep.join([str(PLUGIN_DIR), str(project)])
        return ["-p", PLUGIN_NAME], env
    return ["-p", "events_probe"], pytest_env(project, SICK_EVENTS=str(events))


def sick_pytest(
    project: Path, events: Path, *args: str, plugin: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run pytest on the sick suite in ``project``, an event log written to ``events``."""
    options, env = writer(project, events, plugin)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *options]
    return subprocess.run(
        [*command, "-rA", "--continue-on-collection-errors", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


_COUNT_NAMES = {"error": "error", "errors": "error", "xfailed": "xfailed", "xpassed": "xpassed"}


def pytest_counts(stdout: str) -> Counter[str]:
    """The closing line's counts, as outcome names ("errors" → "error"); deselected left out."""
    last = stdout.strip().splitlines()[-1]
    assert re.search(r" in [\d.]+s", last), last
    counts: Counter[str] = Counter()
    for number, word in re.findall(r"(\d+) (\w+)", last.split(" in ")[0]):
        if word in ("passed", "failed", "skipped", *_COUNT_NAMES):
            counts[_COUNT_NAMES.get(word, word)] += int(number)
    return counts


def short_summary(stdout: str) -> tuple[tuple[str, str, str], ...]:
    """The lines of pytest's -rA short summary as (word, node id or location, message)."""
    section = stdout.split("short test summary info")[1]
    lines: list[tuple[str, str, str]] = []
    for line in section.splitlines():
        skipped = re.match(r"^SKIPPED \[\d+\] (\S+?:\d+): (.*)$", line)
        if skipped is not None:
            lines.append(("SKIPPED", skipped.group(1), skipped.group(2)))
            continue
        match = re.match(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS) (\S+)(?: - (.*))?$", line)
        if match is not None:
            lines.append((match.group(1), match.group(2), match.group(3) or ""))
    return tuple(lines)


@pytest.fixture(scope="module")
def sick_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SickRun]:
    """The sick suite run three times: xunit2 XML plus the probe's event log, xunit1 XML, and
    covgap's plugin's event log."""
    project = tmp_path_factory.mktemp("junit") / "sick"
    shutil.copytree(SICK, project)
    runs: dict[str, SickRun] = {}
    for family in ("xunit2", "xunit1"):
        xml, events = project / f"{family}.xml", project / f"{family}.jsonl"
        result = sick_pytest(
            project, events, f"--junitxml={xml}", "-o", f"junit_family={family}", "--deselect", HANG
        )
        assert result.returncode == 1, result.stdout + result.stderr
        counts, summary = pytest_counts(result.stdout), short_summary(result.stdout)
        runs[family] = SickRun(read_junit(xml), counts, summary)
        if family == "xunit2":
            outcomes, running = read_events(events)
            assert running is None
            runs["events"] = SickRun(outcomes, counts, summary)
    events = project / "plugin.jsonl"
    result = sick_pytest(project, events, "--deselect", HANG, plugin=True)
    assert result.returncode == 1, result.stdout + result.stderr
    outcomes, running = read_events(events)
    assert running is None
    runs["plugin"] = SickRun(outcomes, pytest_counts(result.stdout), short_summary(result.stdout))
    return runs


def expected_for(flavour: str, nodeid: str) -> tuple[str, str, str]:
    if nodeid == XPASS_LENIENT and flavour.startswith("xunit"):
        return ("passed", "", "")
    return SICK_EXPECTED[nodeid]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("nodeid", sorted(SICK_EXPECTED))
def test_sick_outcome(sick_runs: dict[str, SickRun], flavour: str, nodeid: str) -> None:
    """Each test of the sick suite has the outcome, phase and message it should have."""
    ours = {test.nodeid: test for test in sick_runs[flavour].outcomes}
    test = ours[nodeid]
    assert (test.outcome, test.phase, test.message) == expected_for(flavour, nodeid)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_sick_tests_are_all_there_once(sick_runs: dict[str, SickRun], flavour: str) -> None:
    """One outcome per test, none missing, none extra (a test written twice is merged)."""
    nodeids = [test.nodeid for test in sick_runs[flavour].outcomes]
    assert sorted(nodeids) == sorted(SICK_EXPECTED)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_counts_equal_pytest_summary(sick_runs: dict[str, SickRun], flavour: str) -> None:
    """Our counts are pytest's closing counts, to the number.

    pytest counts reports, not tests: a test that fails in teardown is counted under its call's
    outcome and as an error; covgap keeps the second as the test's ``also``. Only the XML has no
    trace of a non-strict XPASS, which it writes as a pass (the event log knows it).
    """
    run = sick_runs[flavour]
    expected = Counter(run.counts)
    if flavour.startswith("xunit"):
        expected["xpassed"] -= 1
        expected["passed"] += 1
    ours = Counter(test.outcome for test in run.outcomes)
    ours.update(test.also for test in run.outcomes if test.also is not None)
    assert ours == +expected
    doubles = sorted(test.nodeid for test in run.outcomes if test.also is not None)
    assert doubles == [
        "tests/test_fixtures.py::test_fails_then_teardown_fails",
        "tests/test_fixtures.py::test_teardown_fails",
    ]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_each_test_is_in_pytest_short_summary(sick_runs: dict[str, SickRun], flavour: str) -> None:
    """Every outcome and message agrees with a line of pytest's own -rA short summary."""
    run = sick_runs[flavour]
    words = {
        "passed": "PASSED",
        "failed": "FAILED",
        "error": "ERROR",
        "xfailed": "XFAIL",
        "xpassed": "XPASS",
    }
    lines = set(run.summary)
    for test in run.outcomes:
        if test.outcome == "skipped":  # pytest shows a skip by place: "tests/test_x.py:3"
            path = test.nodeid.split("::")[0]
            assert any(
                word == "SKIPPED" and where.startswith(path + ":") and message == test.message
                for word, where, message in lines
            ), test
            continue
        if flavour.startswith("xunit") and test.nodeid == XPASS_LENIENT:  # a pass in the XML
            assert any(line[:2] == ("XPASS", test.nodeid) for line in lines)
            continue
        word = words[test.outcome]
        # pytest names no message for a collection error or a missing fixture.
        assert (word, test.nodeid, test.message) in lines or (word, test.nodeid, "") in lines, test
    named = {where for word, where, _ in lines if word != "SKIPPED"}
    assert named <= {test.nodeid for test in run.outcomes}


def test_durations_are_the_tests_own(sick_runs: dict[str, SickRun]) -> None:
    """The slow test's time (setup + call + teardown) is read from every flavour."""
    for flavour in FLAVOURS:
        durations = {test.nodeid: test.duration for test in sick_runs[flavour].outcomes}
        assert 0.1 <= durations["tests/test_outcomes.py::test_slow_passes"] < 5, flavour


@pytest.mark.parametrize(
    ("classname", "name", "file", "nodeid"),
    [
        ("tests.test_x", "test_a", None, "tests/test_x.py::test_a"),
        (
            "tests.unit.test_auth.TestLogin",
            "test_a",
            None,
            "tests/unit/test_auth.py::TestLogin::test_a",
        ),
        ("tests.test_x.TestA.TestB", "test_a", None, "tests/test_x.py::TestA::TestB::test_a"),
        ("tests.test_x", "test_p[1.5-a.b]", None, "tests/test_x.py::test_p[1.5-a.b]"),
        ("tests.Unit.test_x.TestA", "test_a", None, "tests/Unit/test_x.py::TestA::test_a"),
        ("tests.checks.Suite", "test_a", None, "tests/checks.py::Suite::test_a"),
        ("tests.checks", "test_a", None, "tests/checks.py::test_a"),
        ("src.pkg.mod", "pkg.mod.func", None, "src/pkg/mod.py::pkg.mod.func"),
        ("", "tests.test_imports", None, "tests/test_imports.py"),
        ("", "tests.test_imports", "tests/test_imports.py", "tests/test_imports.py"),
        (
            "Tests.Unit.checks.TestA",
            "test_a",
            "Tests/Unit/checks.py",
            "Tests/Unit/checks.py::TestA::test_a",
        ),
        ("tests.test_b.TestB", "test_a", "tests/base.py", "tests/test_b.py::TestB::test_a"),
        ("tests.test_x", "test_a", "tests\\test_x.py", "tests/test_x.py::test_a"),
    ],
    ids=[
        "function",
        "class-in-folders",
        "nested-classes",
        "parameters-with-dots",
        "uppercase-folder",
        "uppercase-class-non-test-module",
        "non-test-module",
        "doctest",
        "collection-error",
        "collection-error-xunit1",
        "xunit1-file-decides",
        "xunit1-file-of-a-base-class-ignored",
        "xunit1-windows-file",
    ],
)
def test_nodeid_from(classname: str, name: str, file: str | None, nodeid: str) -> None:
    """pytest's node id is rebuilt from classname, name and (xunit1) file."""
    assert nodeid_from(classname, name, file) == nodeid


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def suite_of(*cases: str) -> str:
    return f'<testsuite name="pytest" tests="{len(cases)}">{"".join(cases)}</testsuite>'


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ('<testcase classname="t.test_a" name="test_x" time="1.5"/>', ("passed", 1.5, "", "")),
        (
            '<testcase classname="t.test_a" name="test_x" time="0.1">'
            '<skipped message="xfail-marked test passes unexpectedly"/></testcase>',
            ("xpassed", 0.1, "", ""),
        ),
        (
            '<testcase classname="t.test_a" name="test_x" time="">'
            "<failure>def test_x():\n&gt;       f()\nE       ValueError: bad value\nE   more"
            "</failure></testcase>",
            ("failed", 0.0, "ValueError: bad value", "call"),
        ),
        (
            '<testcase classname="t.test_a" name="test_x"><failure message="assert 1 == 2&#10;'
            ' +  where 1 = f()"/><system-out>noise</system-out></testcase>',
            ("failed", 0.0, "assert 1 == 2", "call"),
        ),
        (
            '<testcase classname="t.test_a" name="test_x"><error message="failed on setup with '
            '&quot;ValueError: bad&#10;second line&quot;"/></testcase>',
            ("error", 0.0, "ValueError: bad", "setup"),
        ),
        (
            '<testcase classname="t.test_a" name="test_x"><error message="failed to collect">'
            "E   ImportError: cannot import name 'x'</error></testcase>",
            ("error", 0.0, "ImportError: cannot import name 'x'", "collect"),
        ),
        (
            '<testcase classname="" name="t.test_a"><skipped message="collection skipped">'
            "('/p/t/test_a.py', 3, 'Skipped: no database')</skipped></testcase>",
            ("skipped", 0.0, "no database", ""),
        ),
        (
            '<testcase classname="t.test_a" name="test_x"><failure message="boom">text</failure>'
            '<error message="failed on teardown with &quot;OSError: x&quot;"/></testcase>',
            ("failed", 0.0, "boom", "call"),
        ),
        (
            f'<testcase classname="t.test_a" name="test_x"><failure message="{"x" * 400}"/>'
            "</testcase>",
            ("failed", 0.0, "x" * (MESSAGE_LIMIT - 1) + "…", "call"),
        ),
    ],
    ids=[
        "pass",
        "old-style-xpass",
        "no-message-e-line",
        "first-line-only",
        "setup-reason-first-line",
        "failed-to-collect",
        "module-skipped",
        "failure-before-error",
        "long-message-cut",
    ],
)
def test_read_hand_written_testcase(
    tmp_path: Path, case: str, expected: tuple[str, float, str, str]
) -> None:
    """Testcases pytest 9 does not write but other versions or tools may are read as well."""
    (test,) = read_junit(write(tmp_path / "r.xml", suite_of(case)))
    assert (test.outcome, test.duration, test.message, test.phase) == expected


def test_nested_suites_and_a_test_written_twice(tmp_path: Path) -> None:
    """Every testcase of nested suites is read; one written twice is merged, durations added."""
    xml = (
        '<?xml version="1.0"?><testsuites><testsuite name="a"><testsuite name="b">'
        '<testcase classname="t.test_a" name="test_x" time="0.25"><failure message="assert 0"/>'
        '</testcase><testcase classname="t.test_a" name="test_x" time="0.5">'
        '<error message="failed on teardown with &quot;OSError: gone&quot;"/></testcase>'
        '</testsuite></testsuite><testsuite name="c">'
        '<testcase classname="t.test_a" name="test_y" time="0"/></testsuite></testsuites>'
    )
    assert read_junit(write(tmp_path / "r.xml", xml)) == (
        TestOutcome("t/test_a.py::test_x", "failed", 0.75, "assert 0", "call", also="error"),
        TestOutcome("t/test_a.py::test_y", "passed", 0.0, "", ""),
    )


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"<testsuite><testcase", "not well-formed XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><testsuite/>',
            "DOCTYPE or ENTITY",
        ),
        (b"<coverage/>", "root element is <coverage>"),
        ("<testsuite/>".encode("utf-16"), "UTF-16"),
        (b'<testsuite><testcase classname="a.test_b"/></testsuite>', "has no name"),
        (b'<testsuite><testcase name="t" time="soon"/></testsuite>', "'soon' is not a number"),
        (b'<testsuite><testcase name="t" time="-1"/></testsuite>', "out of range"),
    ],
    ids=["truncated", "entities", "not-junit", "utf-16", "no-name", "bad-time", "negative-time"],
)
def test_bad_report_is_a_data_error(tmp_path: Path, content: bytes, words: str) -> None:
    """A report covgap cannot read is a one-line DataError naming the file."""
    path = tmp_path / "junit.xml"
    path.write_bytes(content)
    with pytest.raises(DataError) as caught:
        read_junit(path)
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"{path}: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("what", ["missing", "folder"], ids=["missing", "folder"])
def test_unreadable_report_is_a_data_error(tmp_path: Path, what: str) -> None:
    """A missing report, or a folder in its place, is a DataError naming it."""
    path = tmp_path / "junit.xml"
    if what == "folder":
        path.mkdir()
    with pytest.raises(DataError, match=r"junit\.xml"):
        read_junit(path)


# --- the event log -------------------------------------------------------------------------


def log(*events: dict[str, Any], tail: str = "") -> str:
    return "".join(json.dumps(event) + "\n" for event in events) + tail


def report(nodeid: str, when: str, outcome: str, **fields: Any) -> dict[str, Any]:
    return {"event": "report", "nodeid": nodeid, "when": when, "outcome": outcome, **fields}


def phases(
    nodeid: str,
    setup: str = "passed",
    call: str | None = "passed",
    teardown: str = "passed",
    **call_fields: Any,
) -> list[dict[str, Any]]:
    """A test's start and reports: setup, call (None: none, as after a failed setup), teardown."""
    events = [{"event": "start", "nodeid": nodeid}, report(nodeid, "setup", setup, duration=0.5)]
    if call is not None:
        events.append(report(nodeid, "call", call, duration=1.0, **call_fields))
    events.append(report(nodeid, "teardown", teardown, duration=0.25))
    return events


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        (phases("t.py::a"), ("passed", 1.75, "", "")),
        (
            phases("t.py::a", call="failed", message="KeyError: 'k'"),
            ("failed", 1.75, "KeyError: 'k'", "call"),
        ),
        (
            [
                {"event": "start", "nodeid": "t.py::a"},
                report("t.py::a", "setup", "failed", message="fixture 'db' not found"),
                report("t.py::a", "teardown", "passed"),
            ],
            ("error", 0.0, "fixture 'db' not found", "setup"),
        ),
        (
            [
                report("t.py::a", "setup", "skipped", message="Skipped: no db"),
                report("t.py::a", "teardown", "passed"),
            ],
            ("skipped", 0.0, "no db", ""),
        ),
        (
            phases("t.py::a", call="skipped", message="Skipped: later"),
            ("skipped", 1.75, "later", ""),
        ),
        (
            phases("t.py::a", call="skipped", message="reason: known bug", wasxfail=True),
            ("xfailed", 1.75, "known bug", ""),
        ),
        (
            phases("t.py::a", message="maybe fixed", wasxfail=True),
            ("xpassed", 1.75, "maybe fixed", ""),
        ),
        (
            phases("t.py::a", call="failed", message="[XPASS(strict)] fixed"),
            ("failed", 1.75, "[XPASS(strict)] fixed", "call"),
        ),
        (
            [
                *phases("t.py::a", teardown="failed")[:-1],
                report("t.py::a", "teardown", "failed", message="OSError: busy\nmore"),
            ],
            ("error", 0.0 + 0.5 + 1.0, "OSError: busy", "teardown"),
        ),
        (
            [
                *phases("t.py::a", call="failed", message="assert 0")[:-1],
                report("t.py::a", "teardown", "failed", message="OSError: busy"),
            ],
            ("failed", 1.5, "assert 0", "call"),
        ),
        (
            [{"event": "collect_error", "nodeid": "t.py", "message": "SyntaxError: bad"}],
            ("error", 0.0, "SyntaxError: bad", "collect"),
        ),
        (
            [{"event": "collect_skip", "nodeid": "t.py", "message": "Skipped: not here"}],
            ("skipped", 0.0, "not here", ""),
        ),
        (
            [
                {"event": "collected", "count": 1, "format": EVENTS_FORMAT},
                {"event": "later-kind", "x": 1},
                *phases("t.py::a", extra="ignored"),
                {"event": "finish", "exitstatus": 0},
            ],
            ("passed", 1.75, "", ""),
        ),
    ],
    ids=[
        "passed",
        "failed-in-call",
        "error-in-setup",
        "skipped-in-setup",
        "skipped-in-call",
        "xfailed",
        "xpassed",
        "strict-xpass",
        "error-in-teardown",
        "failed-then-teardown-error",
        "collect-error",
        "collect-skip",
        "unknown-events-and-keys-ignored",
    ],
)
def test_events_fold_like_pytest(
    tmp_path: Path, events: list[dict[str, Any]], expected: tuple[str, float, str, str]
) -> None:
    """A test's phase reports fold into the outcome pytest's summary gives it."""
    (test,), running = read_events(write(tmp_path / "events.jsonl", log(*events)))
    assert (test.outcome, test.duration, test.message, test.phase) == expected
    assert running is None


@pytest.mark.parametrize(
    ("tail", "finish"),
    [
        ("", False),
        ('{"event": "report", "nodeid": "t.py::b", "wh', False),
        ('{"event": "report", "message": "caf\xc3', False),
        ("", True),
    ],
    ids=["complete-lines", "truncated-json", "truncated-utf8", "finished"],
)
def test_events_running_test(tmp_path: Path, tail: str, finish: bool) -> None:
    """The test with a start and no teardown is the one left running; a cut last line is ignored."""
    events = [
        *phases("t.py::a"),
        {"event": "start", "nodeid": "t.py::b"},
        report("t.py::b", "setup", "passed"),
    ]
    if finish:
        events.append({"event": "finish", "exitstatus": 2})
    path = tmp_path / "events.jsonl"
    path.write_bytes(log(*events).encode() + tail.encode("latin-1"))
    outcomes, running = read_events(path)
    assert [test.nodeid for test in outcomes] == ["t.py::a"]  # b has no outcome yet
    if finish:
        assert running is None
    else:
        assert running == "t.py::b"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('not json\n{"event": "finish"}\n', "line 1: not a JSON line"),
        ("[1, 2]\n", "line 1: not an event"),
        ('{"event": "start"}\n', "line 1: a 'start' event without a nodeid"),
        (
            '{"event": "report", "nodeid": "a", "when": "call", "outcome": "odd"}\n',
            "'outcome' is 'odd'",
        ),
        (
            '{"event": "report", "nodeid": "a", "when": "later", "outcome": "passed"}\n',
            "'when' is 'later'",
        ),
        (
            '{"event": "report", "nodeid": "a", "when": "call", "outcome": "passed", '
            '"duration": "1"}\n',
            "'duration'",
        ),
        (f'{{"event": "collected", "count": 1, "format": {EVENTS_FORMAT + 1}}}\n', "format 3"),
        ('{"event": "collect_error", "nodeid": "a", "message": 3}\n', "'message' is 3"),
        ('{"event": "selection", "args": "tests", "source": "args"}\n', "not a list of strings"),
    ],
    ids=[
        "bad-line-before-the-end",
        "not-an-object",
        "no-nodeid",
        "bad-outcome",
        "bad-when",
        "bad-duration",
        "newer-format",
        "bad-message",
        "bad-selection",
    ],
)
def test_bad_event_log_is_a_data_error(tmp_path: Path, text: str, words: str) -> None:
    """A malformed line that is not the cut last one is a one-line DataError naming the file."""
    path = write(tmp_path / "events.jsonl", text)
    with pytest.raises(DataError) as caught:
        read_events(path)
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"{path}: ")


def test_missing_event_log_is_a_data_error(tmp_path: Path) -> None:
    """No event log at all is a DataError naming it."""
    with pytest.raises(DataError, match=r"events\.jsonl"):
        read_events(tmp_path / "events.jsonl")


@pytest.mark.parametrize("plugin", [False, True], ids=["probe", "plugin"])
def test_events_of_a_killed_run(tmp_path: Path, plugin: bool) -> None:
    """pytest killed while a test runs: its log names that test, and nothing else ran."""
    project = tmp_path / "sick"
    shutil.copytree(SICK, project)
    events = project / "events.jsonl"
    options, env = writer(project, events, plugin)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *options]
    process = subprocess.Popen(
        [*command, "-p", "no:timeout", HANG],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # The probe writes the passed setup; the plugin writes the test's start, flushed.
    written = '"when": "setup"' if not plugin else f'"start", "nodeid": "{HANG}::test_hangs"'
    try:
        deadline = time.monotonic() + 20
        while written not in (events.read_text() if events.exists() else ""):
            assert process.poll() is None and time.monotonic() < deadline, "the test never ran"
            time.sleep(0.05)
        time.sleep(0.2 if plugin else 0)  # the setup has run (and was not written)
    finally:
        process.kill()
        process.wait()
    assert not (project / "junit.xml").exists()
    assert read_events(events) == ((), f"{HANG}::test_hangs")


def test_setup_message_cut_by_pytest_9_2(tmp_path: Path) -> None:
    """pytest 9.2 cuts a long setup message before its closing quote; the cause is still found."""
    message = (
        'failed on setup with "file /p/tests/test_f.py, line 3\n  def test_x(nope):\n'
        "E       fixture 'nope' not found\n>       available fixtures: a, b\n"
        "[+3 more lines; full report in element text]"
    )
    xml = tmp_path / "junit.xml"
    xml.write_text(
        '<testsuites><testsuite><testcase classname="tests.test_f" name="test_x" time="0">'
        f'<error message="{message.replace(chr(34), "&quot;").replace(chr(10), "&#10;")}">'
        "text</error></testcase></testsuite></testsuites>"
    )
    (outcome,) = read_junit(xml)
    assert (outcome.outcome, outcome.phase, outcome.message) == (
        "error",
        "setup",
        "fixture 'nope' not found",
    )


def compact_log() -> str:
    """A format-2 log as covgap's plugin writes it: passing tests as one "passed" line."""
    return log(
        {"event": "begin", "format": EVENTS_FORMAT},
        {"event": "collected", "count": 4},
        {"event": "start", "nodeid": "t.py::a"},
        {"event": "passed", "nodeid": "t.py::a", "duration": 1.75},
        {"event": "start", "nodeid": "t.py::b"},
        report("t.py::b", "call", "failed", duration=1.5, message="assert 1 == 2"),
        report("t.py::b", "teardown", "passed", duration=0.25),
        {"event": "start", "nodeid": "t.py::c"},
        report("t.py::c", "teardown", "failed", duration=2.0, message="RuntimeError: x"),
        {"event": "start", "nodeid": "t.py::d"},
    )


def test_compact_log_reads_as_its_phase_reports(tmp_path: Path) -> None:
    """A "passed" line is a test whose three phases passed; the durations of passed phases not
    written count in the next line written."""
    outcomes, running = read_events(write(tmp_path / "events.jsonl", compact_log()))
    assert running == "t.py::d"
    assert [(t.nodeid, t.outcome, t.duration, t.phase, t.also) for t in outcomes] == [
        ("t.py::a", "passed", 1.75, "", None),
        ("t.py::b", "failed", 1.75, "call", None),
        ("t.py::c", "error", 2.0, "teardown", "passed"),
    ]


def test_event_log_fed_in_pieces_reads_as_the_whole(tmp_path: Path) -> None:
    """``covgap run`` feeds the log as the suite writes it: cut anywhere, even inside a line or a
    character, it folds to what the whole file gives, and its progress counts as it goes."""
    path = write(tmp_path / "events.jsonl", compact_log().replace("t.py::c", "t.py::ç"))
    whole = read_events(path)
    data = path.read_bytes()
    for cut in range(len(data) + 1):
        log_ = EventLog(path)
        log_.feed(data[:cut])
        log_.feed(data[cut:])
        assert log_.outcomes() == whole
    log_ = EventLog(path)
    for line in data.splitlines(keepends=True)[:6]:
        log_.feed(line)
    assert (log_.collected, log_.done, log_.failed, log_.running) == (4, 1, 1, "t.py::b")
    log_.feed(data[len(b"".join(data.splitlines(keepends=True)[:6])) :])
    assert (log_.done, log_.failed, log_.running) == (3, 2, "t.py::d")
    assert not log_.finished


def test_bad_line_fed_during_a_run_is_raised_at_the_end(tmp_path: Path) -> None:
    """A bad line never stops the run that feeds the log; reading the outcomes names it."""
    log_ = EventLog(tmp_path / "events.jsonl")
    log_.feed(b'{"event": "start", "nodeid": "a"}\nnot json\n{"event": "start", "nodeid": "b"}\n')
    assert log_.running == "a"  # nothing after the bad line is read
    with pytest.raises(DataError, match="line 2: not a JSON line"):
        log_.outcomes()


def test_event_log_says_what_pytest_was_told_to_run(tmp_path: Path) -> None:
    """The "selection" event gives pytest's ``config.args`` and their source; "collected" the
    tests deselected. A log without them (an older plugin) leaves both unknown."""
    log_ = EventLog(tmp_path / "events.jsonl")
    log_.feed(
        b'{"event": "begin", "format": 2}\n'
        b'{"event": "selection", "args": ["tests/test_a.py"], "source": "args"}\n'
        b'{"event": "collected", "count": 3, "deselected": 2}\n'
    )
    assert (log_.args, log_.args_source, log_.collected, log_.deselected) == (
        ("tests/test_a.py",),
        "args",
        3,
        2,
    )
    older = EventLog(tmp_path / "events.jsonl")
    older.feed(b'{"event": "collected", "count": 3}\n')
    assert (older.args, older.args_source, older.deselected) == (None, None, None)
