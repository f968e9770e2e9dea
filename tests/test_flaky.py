"""`covgap flaky`: a real suite with one test of each kind, run again and again by real pytest
processes; each test is told right, and the reproduce commands really fail."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECTS

from covgap.api.flakiness import FlakyOptions, flaky
from covgap.cli import main
from covgap.errors import ExitCode
from covgap.model import FlakyReport, TestOutcome
from covgap.report.flaky import flaky_json, render_flaky

pytestmark = pytest.mark.slow

POLLUTER = "tests/test_config.py::test_fast_mode_can_be_set"
VICTIM = "tests/test_settings.py::test_default_mode_is_safe"
RANDOM = "tests/test_luck.py::test_one_in_three"
TIMING = "tests/test_clock.py::test_work_is_quick"
BROKEN = "tests/test_broken.py::test_always_wrong"


@pytest.fixture(autouse=True)
def quick_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each run's pytest loads only the plugins it needs: this environment's others (hypothesis,
    pytest-cov…) take a second to import, ten times a test."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p pytest_timeout -p xdist.plugin")


def covgap(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FlakyReport]:
    """The fixture suite's 10 runs under coverage, seeds 1 to 10 (chosen so that the test that
    fails one time in three fails in some and passes in others, and the polluter runs before
    its victim in some)."""
    project = shutil.copytree(PROJECTS / "flaky", tmp_path_factory.mktemp("flaky") / "flaky")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        patch.setenv("PYTEST_ADDOPTS", "-p pytest_timeout -p xdist.plugin")
        options = FlakyOptions(project, sys.executable, runs=10, coverage=True, seed=1)
        return project, flaky(options)


def _test(report: FlakyReport, nodeid: str) -> dict[str, object]:
    found = [test for test in flaky_json(report)["tests"] if test["nodeid"] == nodeid]
    assert len(found) == 1, [test.nodeid for test in report.tests]
    return found[0]


def _reproduce(test: dict[str, object]) -> subprocess.CompletedProcess[str]:
    """Run the reproduce command as a person would, in a shell, in its folder."""
    assert isinstance(test["reproduce"], str) and isinstance(test["reproduce_dir"], str)
    return subprocess.run(
        ["bash", "-c", test["reproduce"]],
        cwd=test["reproduce_dir"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_each_kind_is_told_right(measured: tuple[Path, FlakyReport]) -> None:
    """The polluted test is order-dependent, with its polluter; the one-in-three test is flaky
    with randomness as its cause; the slow-every-third-time test is timing-sensitive; the
    broken one always fails; no stable test is listed."""
    _, report = measured
    assert len(report.run_records) == 10 and not report.budget_spent
    assert {test.nodeid: test.kind for test in report.tests} == {
        VICTIM: "order-dependent",
        RANDOM: "flaky",
        TIMING: "timing-sensitive",
        BROKEN: "always-failing",
    }
    victim = _test(report, VICTIM)
    assert victim["polluters"] == [POLLUTER] and victim["cause"] == "shared state"
    assert victim["confirmed"] and not victim["brittle"]
    assert 0 < int(str(victim["failures"])) < 10
    assert "passed alone" in str(victim["detail"])
    luck = _test(report, RANDOM)
    assert luck["cause"] == "randomness" and 0 < int(str(luck["failures"])) < 10
    timing = _test(report, TIMING)
    # slow every third time it runs: runs 3, 6 and 9
    assert timing["failures"] == 3 and timing["seeds"] == [3, 6, 9]
    assert timing["cause"] == "time" and "pytest-timeout" in str(timing["cause_evidence"])
    assert _test(report, BROKEN)["failures"] == 10
    text = render_flaky(report)
    assert f"failed {victim['failures']} of 10 runs" in text
    assert "Not stable in 10 runs: 1 order-dependent, 1 flaky, 1 timing-sensitive." in text


def test_the_reproduce_commands_really_fail(measured: tuple[Path, FlakyReport]) -> None:
    """The order-dependent test's command runs its polluter, then it, and it fails; the random
    one's runs it alone with its failing seed, and it fails."""
    _, report = measured
    victim = _reproduce(_test(report, VICTIM))
    assert victim.returncode == 1, victim.stdout
    assert "1 failed, 1 passed" in victim.stdout
    assert "'fast' == 'safe'" in victim.stdout
    luck = _reproduce(_test(report, RANDOM))
    assert luck.returncode == 1 and "1 failed" in luck.stdout, luck.stdout
    assert "-p no:randomly" in str(_test(report, VICTIM)["reproduce"])


def test_coverage_that_moves_is_found(measured: tuple[Path, FlakyReport]) -> None:
    """--coverage: the branch taken by the draw, and the line after the sleep a timeout cuts,
    are covered in some runs only; the tests that ran them are named."""
    _, report = measured
    assert report.coverage is not None
    moving = {jitter.path: jitter for jitter in report.coverage}
    assert set(moving) == {"src/flakypkg/luck.py", "src/flakypkg/clock.py"}
    luck = moving["src/flakypkg/luck.py"]
    assert [number for number, _ in luck.lines] == [6, 7]
    assert tuple(arc for arc, _ in luck.arcs if arc[0] == 5) == ((5, 6), (5, 7))
    assert "tests/test_luck.py::test_label_is_low_or_high" in luck.tests
    clock = moving["src/flakypkg/clock.py"]
    assert clock.lines == ((12, 7),)  # `return count`: cut by the timeout in runs 3, 6 and 9
    assert "Coverage that moves between runs: 2 file(s)" in render_flaky(report)


def test_the_runs_outcomes_are_kept_for_the_history(measured: tuple[Path, FlakyReport]) -> None:
    """`FlakyReport.runs`: each run's seed and its tests' outcomes, in the order they ran."""
    _, report = measured
    assert [seed for seed, _ in report.runs] == list(range(1, 11))
    for _, outcomes in report.runs:
        assert len(outcomes) == 10 and all(isinstance(o, TestOutcome) for o in outcomes)
        by_id = {outcome.nodeid: outcome for outcome in outcomes}
        assert by_id[BROKEN].outcome == "failed" and by_id[BROKEN].phase == "call"
    orders = {tuple(outcome.nodeid for outcome in outcomes) for _, outcomes in report.runs}
    assert len(orders) == 10  # a different order each run
    view = flaky_json(report)
    assert view["runs_done"] == 10 and len(view["runs"]) == 10
    assert view["counts"] == {
        "order-dependent": 1,
        "flaky": 1,
        "timing-sensitive": 1,
        "always-failing": 1,
    }


STABLE = {
    "tests/test_numbers.py": (
        "import random\n\n\n"
        "def test_sum():\n    assert sum(range(4)) == 6\n\n\n"
        "def test_shuffle_keeps_items():\n"
        "    items = list(range(10))\n    random.shuffle(items)\n"
        "    assert sorted(items) == list(range(10))\n"
    ),
    "tests/test_text.py": (
        "import pytest\n\n\n"
        "@pytest.mark.parametrize('word', ['a', 'bc'])\n"
        "def test_upper(word):\n    assert word.upper().lower() == word\n"
    ),
}


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_a_stable_suite_has_nothing_flaky(tmp_path: Path) -> None:
    """10 runs of a stable suite (random orders, random draws): nothing listed, exit 0."""
    project = _write(tmp_path, STABLE)
    code, out, err = covgap("flaky", str(project))
    assert code == ExitCode.OK, out + err
    assert "Nothing flaky in 10 runs of 4 tests." in out
    assert "run 10/10" in err
    code, out, _ = covgap("flaky", str(project), "--runs", "2", "--format", "json")
    view = json.loads(out)
    assert code == 0 and view["tests"] == [] and view["runs_done"] == 2


def test_parallel_runs_use_xdist_workers(tmp_path: Path) -> None:
    """--parallel 2: the runs are spread over two pytest-xdist workers, each test's worker is
    logged (a test's predecessors are its worker's)."""
    project = _write(tmp_path, STABLE)
    options = ("--runs", "2", "--parallel", "2", "--format", "json")
    code, out, err = covgap("flaky", str(project), *options)
    view = json.loads(out)
    assert code == 0, err
    assert view["workers"] == 2
    workers = {test["worker"] for run in view["runs"] for test in run["tests"]}
    assert workers == {"gw0", "gw1"}


def test_workers_that_collect_different_tests_make_the_runs_serial(tmp_path: Path) -> None:
    """A parameter that differs from process to process (a set's order; here the process id)
    makes pytest-xdist's workers disagree: the runs are serial, and say why; the ids that
    change from run to run are counted."""
    project = _write(
        tmp_path,
        {
            "tests/test_pid.py": (
                "import os\n\nimport pytest\n\n\n"
                "@pytest.mark.parametrize('pid', [os.getpid()])\n"
                "def test_pid(pid):\n    assert pid\n"
            )
        },
    )
    options = ("--runs", "2", "--parallel", "2", "--format", "json")
    code, out, err = covgap("flaky", str(project), *options)
    view = json.loads(out)
    assert code == 0, err
    assert view["workers"] == 1 and view["runs_done"] == 2
    assert any("its workers collected different tests" in note for note in view["notes"])
    assert view["tests_per_run"] == 1 and view["changing_ids"] == 2


def test_a_selection_runs_only_those_tests(tmp_path: Path) -> None:
    """--tests FILE and the arguments after -- select what every run runs."""
    project = _write(tmp_path, STABLE)
    listed = tmp_path / "tests.txt"
    listed.write_text("# the numbers\ntests/test_numbers.py::test_sum\n")
    code, out, _ = covgap("flaky", str(project), "--runs", "2", "--tests", str(listed))
    assert code == 0 and "2 runs of 1 test " in out
    code, out, _ = covgap("flaky", str(project), "--runs", "2", "--", "tests/test_text.py")
    assert code == 0 and "2 runs of 2 tests" in out


def test_the_budget_stops_the_runs(tmp_path: Path) -> None:
    """A budget that ends within the first run is exit 124; one that ends later keeps the runs
    done, and says how many."""
    project = _write(
        tmp_path,
        {"tests/test_slow.py": "import time\n\n\ndef test_slow():\n    time.sleep(0.6)\n"},
    )
    code, out, err = covgap("flaky", str(project), "--budget", "0.5")
    assert code == ExitCode.TIMED_OUT and out == ""
    assert "the --budget of 0.5 s ran out before one run of the suite finished" in err
    code, out, err = covgap("flaky", str(project), "--budget", "4", "--format", "json")
    view = json.loads(out)
    assert code == 0, err
    assert view["budget_spent"] and 1 <= view["runs_done"] < 10
    assert view["seconds"] < 6


def test_usage_errors(tmp_path: Path) -> None:
    """A missing list of tests, a bad count, pytest's own usage error: exit 2, one line; no
    test at all: exit 5."""
    _write(tmp_path, STABLE)
    code, _, err = covgap("flaky", str(tmp_path), "--tests", str(tmp_path / "nope.txt"))
    assert code == ExitCode.USAGE_ERROR and "cannot read the list of tests" in err
    code, _, _ = covgap("flaky", str(tmp_path), "--runs", "0")
    assert code == ExitCode.USAGE_ERROR
    code, _, err = covgap("flaky", str(tmp_path), "--runs", "1", "--", "--no-such-option")
    assert code == ExitCode.USAGE_ERROR and "--no-such-option" in err
    empty = tmp_path / "empty"
    _write(empty, {"tests/test_none.py": "X = 1\n"})
    code, _, err = covgap("flaky", str(empty), "--runs", "1")
    assert code == ExitCode.NO_TESTS, err


def test_the_runs_are_recorded_and_the_history_knows_the_flaky_test(tmp_path: Path) -> None:
    """covgap flaky records its runs as one batch: `covgap history --tests` then lists the test
    that passed and failed, and `covgap check --fail-on-flaky` fails, without running again."""
    project = shutil.copytree(PROJECTS / "flaky", tmp_path / "flaky")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        patch.setenv("PYTEST_ADDOPTS", "-p pytest_timeout -p xdist.plugin")
        code, out, err = covgap("flaky", str(project), "--seed", "1", "--runs", "10")
    assert code == ExitCode.GATE_FAILED, out + err
    assert "recorded 10 run(s) in the history" in err
    code, out, _ = covgap("history", str(project), "--tests")
    assert code == 0 and RANDOM in out, out
    with pytest.MonkeyPatch.context() as patch:  # check reads coverage data: measure once
        patch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        patch.setenv("PYTEST_ADDOPTS", "-p pytest_timeout -p xdist.plugin")
        covgap(
            "run", str(project), "--no-record", "--format", "json", "--output", str(tmp_path / "r")
        )
    code, out, err = covgap("check", str(project), "--fail-on-flaky", "--no-diff")
    assert code == ExitCode.GATE_FAILED, out + err
    assert RANDOM in out
    code, _, err = covgap("flaky", str(tmp_path / "flaky"), "--runs", "1", "--no-record")
    assert "in the history" not in err
