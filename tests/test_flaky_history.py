"""Test outcomes in the history, end to end: real `covgap run`s and JUnit XML reports of a tiny
project in a real git repository, read back by `covgap history --tests` and judged by `covgap
check --fail-on-flaky` and `--max-suite-seconds`."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from covgap import api
from covgap.cli import main
from covgap.config import load_settings
from covgap.errors import ExitCode
from covgap.model import TestOutcome
from covgap.store.history import History, TestRunInput

LIB = "def double(x):\n    return 2 * x\n"

TESTS = """\
import os
import time

from lib import double


def test_good():
    assert double(2) == 4


def test_flip():
    assert os.environ.get("FLIP") != "1", "flipped"


def test_slow():
    time.sleep(float(os.environ.get("SLOW", "0.2")))
"""

PYPROJECT = """\
[project]
name = "tiny"
version = "1"

[tool.pytest.ini_options]
pythonpath = ["."]
"""

FLIP = "tests/test_lib.py::test_flip"


def covgap(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


@pytest.fixture
def tiny(tmp_path: Path, plain_git: None) -> Path:
    project = tmp_path / "tiny"
    (project / "tests").mkdir(parents=True)
    (project / "lib.py").write_text(LIB)
    (project / "tests" / "test_lib.py").write_text(TESTS)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / ".gitignore").write_text(
        ".covgap/\ncovgap-report/\n.coverage*\n*.xml\n__pycache__/\nout/\n"
    )
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "start")
    return project


def junit_run(project: Path, name: str, **variables: str) -> Path:
    """The suite under coverage.py, with pytest's JUnit XML report: what CI has."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "PYTEST_"))}
    env.pop("FLIP", None)
    env.update(variables)
    report = project / name
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--branch", "--source=lib", "-m", "pytest",
         "-q", "-p", "no:cacheprovider", "-p", "no:randomly", f"--junitxml={report}"],
        cwd=project,
        check=False,
        capture_output=True,
        env=env,
    )  # fmt: skip
    assert report.exists()
    return report


def plan_record(project: Path, junit: Path) -> str:
    code, out, err = covgap(
        "plan", str(project), "--junit", str(junit), "--record", "--format", "json",
        "--output", str(project / "out"), "--no-risk", "--no-audit",
    )  # fmt: skip
    assert code == ExitCode.OK, err
    return out


def check(project: Path, *options: str) -> tuple[int, str, str]:
    return covgap("check", str(project), "--no-diff", *options)


def test_two_covgap_runs_of_one_commit_one_failing_make_a_test_flaky(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's check: two recorded runs of one commit, one failing a test, make it flaky in
    `covgap history --tests` and fail `covgap check --fail-on-flaky`."""
    monkeypatch.delenv("FLIP", raising=False)
    code, out, err = covgap("run", str(tiny), "--format", "json", "--no-risk", "--no-audit")
    assert code == ExitCode.OK, err
    assert "and the outcomes of 3 tests in .covgap/history.db" in out
    monkeypatch.setenv("FLIP", "1")
    code, _, err = covgap("run", str(tiny), "--format", "json", "--no-risk", "--no-audit")
    assert code == ExitCode.TESTS_FAILED, err

    with History(tiny / ".covgap" / "history.db", writing=False) as history:
        first, second = history.test_runs()
        (snapshot, _) = history.snapshots()
    assert first.source == second.source == "covgap run"
    assert first.commit == second.commit and first.commit is not None and not first.dirty
    assert first.snapshot_id == snapshot.id and first.recorded_at == snapshot.recorded_at
    assert (first.workers, first.partial) == (1, False)
    assert first.seconds is not None and first.seconds > 0.2
    outcomes = {outcome.nodeid: outcome for outcome in second.outcomes}
    assert outcomes[FLIP].outcome == "failed" and "flipped" in outcomes[FLIP].message
    assert outcomes["tests/test_lib.py::test_slow"].duration >= 0.2

    code, out, err = covgap("history", str(tiny), "--tests")
    assert code == ExitCode.OK, err
    assert "2 test runs in .covgap/history.db" in out
    assert "Flaky tests: 1 passed and failed on the same code" in out
    assert f" 50%  failed 1 of 2 runs  {FLIP}" in out
    assert f"first seen {second.recorded_at} on {second.commit[:10]} (run #{second.id})" in out
    assert "last failure: AssertionError: flipped" in out
    assert "tests/test_lib.py::test_slow" in out.split("Slowest tests")[1]
    assert "Suite wall time, estimated from" in out
    code, out, err = covgap("history", str(tiny), "--tests", "--format", "json")
    (flaky,) = json.loads(out)["flaky"]
    assert (flaky["nodeid"], flaky["runs"], flaky["failures"]) == (FLIP, 2, 1)
    assert flaky["commits"] == [first.commit]

    data = str(tiny / ".covgap" / "run" / ".coverage")
    comment = tmp_path / "comment.md"
    code, out, err = check(tiny, "--data", data, "--fail-on-flaky", "--comment", str(comment))
    assert code == ExitCode.GATE_FAILED, out + err
    assert "FAIL flaky tests: 1 passed and failed on the same code, 1 on this commit" in out
    assert f"{FLIP}: failed 1 of 2 runs of the same code (50%), last on" in out
    assert "| ❌ | flaky | flaky tests: 1 passed and failed" in comment.read_text()
    assert f"`{FLIP}`: failed 1 of 2 runs" in comment.read_text()
    code, out, _ = check(tiny, "--data", data, "--fail-on-flaky", "--format", "json")
    gate = {gate["gate"]: gate for gate in json.loads(out)["gates"]}["flaky"]
    assert gate["verdict"] == "fail" and gate["failures"][0]["path"] == FLIP


def test_junit_reports_are_recorded_and_judged(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`covgap plan --junit X --record`: the same through CI's JUnit XML; a new commit where
    the test passes leaves the flaky window of 1 run clean; the suite-time gate reads the
    latest durations."""
    monkeypatch.delenv("FLIP", raising=False)
    plan_record(tiny, junit_run(tiny, "junit-1.xml"))
    plan_record(tiny, junit_run(tiny, "junit-2.xml", FLIP="1"))
    with History(tiny / ".covgap" / "history.db", writing=False) as history:
        runs = history.test_runs()
    assert [run.source for run in runs] == ["junit", "junit"]
    assert runs[0].workers is None and runs[0].seconds is None and not runs[0].partial

    code, out, _ = check(tiny, "--fail-on-flaky")
    assert code == ExitCode.GATE_FAILED, out
    code, out, _ = covgap("history", str(tiny), "--tests")
    assert f"failed 1 of 2 runs  {FLIP}" in out

    (tiny / "lib.py").write_text(LIB + "\n\ndef triple(x):\n    return 3 * x\n")
    git(tiny, "commit", "-qam", "triple")
    plan_record(tiny, junit_run(tiny, "junit-3.xml", SLOW="0.5"))
    code, out, _ = check(tiny, "--fail-on-flaky")
    assert code == ExitCode.GATE_FAILED, out  # the window (20 runs) still holds the flaky runs
    covgap_table = "\n[tool.covgap]\nratchet = false\n"  # triple is not tested
    (tiny / "pyproject.toml").write_text(PYPROJECT + covgap_table + "flaky-window = 1\n")
    code, out, err = check(tiny, "--fail-on-flaky")
    assert code == ExitCode.OK, out + err
    head = runs[0].commit
    assert "PASS flaky tests: none in 1 recorded run (the last 1 and those of" in out
    assert head is not None and head[:10] not in out  # the new commit's, not the flaky one's

    code, out, _ = check(tiny, "--max-suite-seconds", "60")
    assert code == ExitCode.OK, out
    assert "PASS suite time: estimated " in out and "without xdist ≤ 1 min" in out
    code, out, _ = check(tiny, "--max-suite-seconds", "0.3")
    assert code == ExitCode.GATE_FAILED, out
    # durations are measured: on a loaded machine they grow, so only their order is asserted
    assert "FAIL suite time: estimated " in out and "> 0.30 s (run 3, 3 tests)" in out
    assert "over 0.30 s even with 8 workers" in out
    assert re.search(r"tests/test_lib\.py::test_slow: \d+\.\d", out), out
    (tiny / "pyproject.toml").write_text(
        PYPROJECT + covgap_table + "max-suite-seconds = 60\nsuite-workers = 2\n"
    )
    code, out, _ = check(tiny)
    assert code == ExitCode.OK, out
    assert "with 2 xdist workers ≤ 1 min" in out


def test_the_test_gates_fail_when_nothing_is_recorded(tiny: Path) -> None:
    """Asked for with no test run recorded, the gates fail in one line each: nothing shows
    the suite meets them."""
    junit_run(tiny, "junit.xml")  # coverage data, no history
    code, out, _ = check(tiny, "--fail-on-flaky", "--max-suite-seconds", "100")
    assert code == ExitCode.GATE_FAILED, out
    lines = out.splitlines()
    assert (
        "FAIL flaky tests: no test outcomes recorded in the history, so nothing shows it "
        "(`covgap run` records them, and `covgap plan --junit FILE --record`; keep the history "
        "between CI runs)"
    ) in lines
    assert any(
        line.startswith("FAIL suite time: no run of the whole suite recorded") for line in lines
    )
    code, out, _ = check(tiny)
    assert code == ExitCode.OK, out
    assert "skip flaky tests: not asked for (fail-on-flaky)" in out
    assert "skip suite time: no threshold set" in out
    code, out, _ = covgap("history", str(tiny), "--tests")
    assert out.startswith("No test runs in .covgap/history.db yet")


def test_record_test_runs_is_one_batch_on_the_projects_git_state(tiny: Path) -> None:
    """What `covgap flaky` calls: runs without a git state get the project's, and runs recorded
    together are compared even on a work tree with changes."""
    (tiny / "tests" / "test_new.py").write_text("def test_new():\n    pass\n")  # dirty now
    settings = load_settings(tiny, {})
    runs = [
        TestRunInput("covgap flaky", (TestOutcome(FLIP, outcome, 0.01),), seed=seed)
        for seed, outcome in ((1, "passed"), (2, "failed"), (3, "passed"))
    ]
    ids = api.record_test_runs(tiny, settings, runs)
    assert len(ids) == 3
    with History(tiny / ".covgap" / "history.db", writing=False) as history:
        recorded = history.test_runs()
    assert {(run.dirty, run.batch, run.branch) for run in recorded} == {(True, ids[0], "main")}
    assert [run.seed for run in recorded] == [1, 2, 3]
    (flaky,) = api.read_test_history(tiny, settings).flaky
    assert (flaky.nodeid, flaky.runs, flaky.failures, flaky.commits) == (FLIP, 3, 1, ())
