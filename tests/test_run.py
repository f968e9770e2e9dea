"""`covgap run`: real suites measured under real coverage.py, compared with coverage's own runs."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PROJECTS, read_only, run_coverage

from covgap.cli import main
from covgap.collect.suite.events import EventLog
from covgap.collect.suite.interpreter import Interpreter, choose_core
from covgap.collect.suite.rcfile import detect_source
from covgap.collect.suite.run import Progress, _progress, _read_events, pytest_error_line
from covgap.errors import ExitCode


def covgap(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def tree(folder: Path) -> dict[str, bytes]:
    """Every file of a project, but covgap's own folders."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not {".covgap", "covgap-report", "__pycache__"} & set(p.parts)
    }


def plan_json(project: Path) -> dict:
    return json.loads((project / "covgap-report" / "plan.json").read_text())


def test_run_equals_coverage_run_and_report(tmp_path: Path) -> None:
    """covgap run's total is coverage run --branch --source=PKG -m pytest + coverage report's."""
    ours = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "ours"))
    theirs = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "theirs"))
    before = tree(ours)
    code, out, err = covgap("run", str(ours), "--format", "json,term")
    assert code == 0, err
    run_coverage(
        theirs,
        "run",
        "--branch",
        "--source=inventory",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
    )
    total = run_coverage(theirs, "report", "--format=total", "--precision=6").stdout.strip()
    view = plan_json(ours)
    assert f"{view['totals']['percent_covered']:.6f}" == total
    assert view["health"]["counts"] == {
        "passed": 4,
        "failed": 0,
        "error": 0,
        "skipped": 0,
        "xfailed": 0,
        "xpassed": 0,
        "total": 4,
    }
    assert view["run"]["branch"] and view["run"]["subprocesses"]
    assert "Tests: 4 passed" in out
    assert tree(ours) == before, "covgap run changed the project's files"


def test_end_to_end_service_is_measured(tmp_path: Path) -> None:
    """A service that only a test's subprocess runs is measured; plain pytest --cov sees 0%."""
    project = Path(shutil.copytree(PROJECTS / "service", tmp_path / "service"))
    code, _, err = covgap("run", str(project), "--format", "json")
    assert code == 0, err
    app = next(f for f in plan_json(project)["files"] if f["path"] == "svc/app.py")
    assert app["percent_covered"] > 70
    plain = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--cov=svc",
            "--cov-report=term",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    app_line = next(line for line in plain.stdout.splitlines() if line.startswith("svc/app.py"))
    assert app_line.split()[-1] == "0%", plain.stdout


@pytest.mark.parametrize(
    "measured",
    [
        # A folder: coverage.py's own check finds the file imported early.
        'source = ["src", "earlypkg"]',
        # A package by name: covgap's check finds the module (coverage.py's misses it).
        'source = ["src"]\nsource_pkgs = ["earlypkg"]',
    ],
    ids=["source-folder", "source-pkgs"],
)
def test_code_imported_before_the_plugin_is_measured_from_the_start(
    tmp_path: Path, measured: str
) -> None:
    """A measured module that pytest imports before covgap's plugin can start coverage.py (a
    plugin named earlier with -p): the suite starts over under `coverage run`, the plan says so,
    and the totals are coverage run's."""
    ours = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "ours"))
    theirs = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "theirs"))
    for project in (ours, theirs):
        (project / "earlypkg").mkdir()
        (project / "earlypkg" / "__init__.py").write_text(
            "LIMIT = 3\n\n\ndef pytest_report_header(config):\n    return 'early'\n"
        )
        pyproject = project / "pyproject.toml"
        pyproject.write_text(
            pyproject.read_text()
            .replace('source = ["inventory"]', measured)
            .replace('pythonpath = ["src"]', 'pythonpath = ["src"]\naddopts = "-p earlypkg"')
        )
    code, _, err = covgap("run", str(ours), "--format", "json")
    assert code == 0, err
    # Without -q, as covgap runs it: pytest asks the plugin for its report header.
    run_coverage(theirs, "run", "-m", "pytest", "-p", "no:cacheprovider")
    total = run_coverage(theirs, "report", "--format=total", "--precision=6").stdout.strip()
    view = plan_json(ours)
    assert f"{view['totals']['percent_covered']:.6f}" == total
    early = next(f for f in view["files"] if f["path"] == "earlypkg/__init__.py")
    assert early["missing_statements"] == 0  # its import-time lines ran before pytest's plugins
    (note,) = [n for n in view["run"]["notes"] if "coverage run" in n]
    assert "earlypkg" in note and "before pytest loaded covgap's plugin" in note
    assert view["health"]["counts"]["passed"] == 4


def test_broken_coverage_settings_call_the_started_suite_off(tmp_path: Path) -> None:
    """The suite starts while covgap reads the coverage settings; when they are broken, it is
    stopped before coverage.py or any test runs: exit 2, one line naming the problem, no data."""
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "basic"))
    (project / ".coveragerc").write_text("[run]\nbranch = maybe\n")
    code, _, err = covgap("run", str(project), "--format", "json")
    assert code == 2
    (line,) = [line for line in err.splitlines() if line.startswith("covgap:")]
    assert "coverage configuration is broken" in line and ".coveragerc" in line, err
    run_folder = project / ".covgap" / "run"
    assert not list(run_folder.glob(".coverage*"))
    assert "test_stock.py" not in (run_folder / "pytest.log").read_text()
    assert not (project / "covgap-report").exists()


def test_source_is_detected_so_unimported_files_count(tmp_path: Path) -> None:
    """Without [run] source, src/ is measured and a module no test imports counts as 0%."""
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "basic"))
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('source = ["inventory"]\n', ""))
    code, _, err = covgap("run", str(project), "--format", "json")
    assert code == 0, err
    view = plan_json(project)
    assert view["run"]["source"] == ["src"] and view["run"]["source_detected"]
    shipping = next(f for f in view["files"] if f["path"].endswith("shipping.py"))
    assert shipping["percent_covered"] == 0


def test_parallel_workers_give_the_same_numbers(tmp_path: Path) -> None:
    """With pytest-xdist workers the combined data equals a serial run's."""
    pytest.importorskip("xdist")
    serial = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "serial"))
    parallel = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "parallel"))
    assert covgap("run", str(serial), "--format", "json")[0] == 0
    assert covgap("run", str(parallel), "--format", "json", "--parallel", "2")[0] == 0
    a, b = plan_json(serial), plan_json(parallel)
    assert b["run"]["workers"] == 2
    assert a["totals"] == b["totals"]
    assert b["health"]["counts"]["passed"] == 4


def test_contexts_name_the_test_modules(tmp_path: Path) -> None:
    """--contexts records which test module ran each file's lines."""
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "basic"))
    assert covgap("run", str(project), "--format", "json,md", "--contexts")[0] == 0
    files = {f["path"]: f for f in plan_json(project)["files"]}
    assert [t["module"] for t in files["src/inventory/stock.py"]["tested_by"]] == [
        "tests/test_stock.py"
    ]
    assert files["src/inventory/shipping.py"]["tested_by"] == []
    assert "`tests/test_stock.py`" in (project / "covgap-report" / "plan.md").read_text()


def test_pytest_arguments_after_double_dash(tmp_path: Path) -> None:
    """Arguments after -- reach pytest: here, only one test module runs."""
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "basic"))
    code, _, err = covgap("run", str(project), "--format", "json", "--", "tests/test_stock.py")
    assert code == 0, err
    assert plan_json(project)["health"]["counts"]["total"] == 2


def test_interpreter_without_pytest(tmp_path: Path) -> None:
    """--python naming an environment without pytest: exit 2 with the install command."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True
    )
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "basic"))
    code, _, err = covgap(
        "run", str(project), "--python", str(tmp_path / "venv" / "bin" / "python")
    )
    assert code == 2
    assert "pytest is not installed" in err and "pip install pytest" in err


def test_the_projects_own_venv_runs_the_suite(tmp_path: Path) -> None:
    """With no --python, a project's ``.venv`` (pytest and coverage.py reach it through a .pth
    file here) runs the suite, and stderr says so; --python still chooses."""
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "basic"))
    venv = project / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    [site] = (venv / "lib").glob("python3.*/site-packages")
    here = [p for p in sys.path if p.endswith("site-packages")]
    (site / "covgap-test.pth").write_text("\n".join(here) + "\n")
    code, _, err = covgap("run", str(project), "--format", "json")
    assert code == ExitCode.OK, err
    assert "under coverage with .venv/bin/python (the project's; --python chooses another)" in err
    assert plan_json(project)["run"]["python"] == str(venv.absolute() / "bin" / "python")
    code, _, err = covgap("run", str(project), "--format", "json", "--python", sys.executable)
    assert code == ExitCode.OK, err
    assert "the project's" not in err
    assert plan_json(project)["run"]["python"] == sys.executable


def test_missing_interpreter(tmp_path: Path) -> None:
    """--python naming nothing: exit 2."""
    code, _, err = covgap("run", str(tmp_path), "--python", str(tmp_path / "nope"))
    assert code == 2
    assert "covgap: error: " in err and "cannot run this interpreter" in err


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        pytest.param(["src/pkg/__init__.py", "tests/test_x.py"], ["src"], id="src layout"),
        pytest.param(
            ["pkg/__init__.py", "other/__init__.py", "tests/__init__.py", "docs/conf.py"],
            ["other", "pkg"],
            id="flat packages",
        ),
        pytest.param(
            ["mod.py", "setup.py", "conftest.py", "test_mod.py"], ["mod"], id="single module"
        ),
        pytest.param(["tests/test_x.py"], [], id="nothing"),
    ],
)
def test_detect_source(tmp_path: Path, layout: list[str], expected: list[str]) -> None:
    """Source is src/ in a src layout, else the top-level packages and modules that are code."""
    for name in layout:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert detect_source(tmp_path) == expected


def _interpreter(version: tuple[int, int, int], ctracer: bool = True) -> Interpreter:
    return Interpreter("python", version, (7, 17, 3), "7.17.3", "9.0", False, False, ctracer)


@pytest.mark.parametrize(
    ("version", "branch", "ctracer", "core"),
    [
        pytest.param((3, 11, 7), True, True, "ctrace", id="3.11 branch: C tracer"),
        pytest.param(
            (3, 11, 7), False, True, "ctrace", id="3.11 lines: no sys.monitoring before 3.12"
        ),
        pytest.param((3, 12, 1), False, True, "sysmon", id="3.12 lines (--fast): sysmon"),
        pytest.param((3, 13, 0), True, True, "ctrace", id="3.13 branch: sysmon cannot yet"),
        pytest.param((3, 14, 0), True, True, "sysmon", id="3.14 branch: sysmon"),
        pytest.param((3, 11, 7), True, False, "pytrace", id="no C extension"),
    ],
)
def test_choose_core(version: tuple[int, int, int], branch: bool, ctracer: bool, core: str) -> None:
    """The fastest core that measures what is asked."""
    assert choose_core(_interpreter(version, ctracer), branch)[0] == core


def test_progress_from_events(tmp_path: Path) -> None:
    """Progress counts done and failed tests from the event log as it grows; a half-written
    line is read once its end is written."""
    events = tmp_path / "events.jsonl"
    lines = [
        {"event": "collected", "count": 3},
        {"event": "start", "nodeid": "t.py::a"},
        {"event": "report", "nodeid": "t.py::a", "when": "call", "outcome": "failed"},
        {"event": "report", "nodeid": "t.py::a", "when": "teardown", "outcome": "passed"},
        {"event": "start", "nodeid": "t.py::b"},
        {"event": "report", "nodeid": "t.py::b", "when": "setup", "outcome": "failed"},
        {"event": "report", "nodeid": "t.py::b", "when": "teardown", "outcome": "passed"},
        {"event": "start", "nodeid": "t.py::c"},
    ]
    events.write_text("".join(json.dumps(line) + "\n" for line in lines) + '{"event": "pas')
    log = EventLog(events)
    offset = _read_events(events, 0, log)
    assert _progress(log) == Progress(collected=3, done=2, failed=2, running="t.py::c")
    assert offset == len(events.read_bytes())
    with events.open("a") as handle:
        handle.write('sed", "nodeid": "t.py::c", "duration": 0.5}\n')
    assert _read_events(events, offset, log) == len(events.read_bytes())
    assert _progress(log) == Progress(collected=3, done=3, failed=2, running="t.py::c")


def test_unhealthy_suite_is_grouped_and_still_planned(tmp_path: Path) -> None:
    """A failing fixture, an assertion, an import error and a hang land in their groups; the
    plan is still written from the coverage measured."""
    pytest.importorskip("pytest_timeout")
    project = Path(shutil.copytree(PROJECTS / "sick", tmp_path / "sick"))
    code, _out, err = covgap("run", str(project), "--format", "json,md", "--timeout", "60")
    assert code == ExitCode.TESTS_FAILED, err
    assert "covgap: exit 1: 9 failed, 6 errors (--allow-failures exits 0)" in err
    view = plan_json(project)
    assert view["run"]["verdict"] == {
        "exit_code": 1,
        "reason": "9 failed, 6 errors",
        "failures_allowed": False,
    }
    groups = {g["cause"]: [t["nodeid"] for t in g["tests"]] for g in view["health"]["groups"]}
    assert "tests/test_fixtures.py::test_uses_broken_fixture" in groups["fixture or setup error"]
    assert "tests/test_outcomes.py::test_assertion_fails" in groups["assertion failure"]
    assert groups["import error"] == ["tests/test_imports.py"]
    assert groups["timeout"] == ["tests/test_hang.py::test_hangs"]
    assert view["health"]["source"] == "events"
    assert view["totals"]["percent_covered"] > 0
    plan_md = (project / "covgap-report" / "plan.md").read_text()
    assert "## Phase 0: fix first" in plan_md and "- **Import error (1)**" in plan_md
    assert "- **Exception: KeyError (1)**" in plan_md  # the type's name as it is spelled


def test_whole_run_timeout_stops_a_hang_and_keeps_the_data(tmp_path: Path) -> None:
    """A test that hangs past --timeout stops the run; what was measured is still planned, and
    the plan names the test that was running."""
    project = tmp_path / "hang"
    (project / "tests").mkdir(parents=True)
    (project / "lib.py").write_text(
        "def double(x):\n    return 2 * x\n\n\ndef never():\n    return 0\n"
    )
    (project / "tests" / "test_a.py").write_text(
        "from lib import double\n\ndef test_double():\n    assert double(2) == 4\n"
    )
    (project / "tests" / "test_b.py").write_text(
        "import time\n\ndef test_forever():\n    time.sleep(120)\n"
    )
    (project / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    code, _out, err = covgap(
        "run", str(project), "--format", "json", "--timeout", "4", "--test-timeout", "600"
    )
    assert code == ExitCode.TIMED_OUT, err
    assert "covgap: not recorded in the history: the run was cut by --timeout" in err
    assert not (project / ".covgap" / "history.db").exists()
    view = plan_json(project)
    assert view["run"]["timed_out"] and view["run"]["verdict"]["exit_code"] == 124
    assert view["health"]["source"] == "events"
    assert view["health"]["stopped"].startswith(
        "stopped after the --timeout of 4 s while running tests/test_b.py::test_forever"
    )
    assert [g["cause"] for g in view["health"]["groups"]] == ["timeout"]
    assert view["health"]["counts"]["passed"] == 1
    lib = next(f for f in view["files"] if f["path"] == "lib.py")
    assert lib["missing_statements"] == 1  # double() ran before the hang; never() did not


def test_fast_is_line_coverage(tmp_path: Path) -> None:
    """--fast measures lines only, with sys.monitoring from Python 3.12; totals equal coverage's."""
    ours = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "ours"))
    theirs = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "theirs"))
    pyproject = theirs / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("branch = true", "branch = false"))
    assert covgap("run", str(ours), "--format", "json", "--fast")[0] == 0
    run_coverage(theirs, "run", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    total = run_coverage(theirs, "report", "--format=total", "--precision=6").stdout.strip()
    view = plan_json(ours)
    assert not view["input"]["branch_measured"] and not view["run"]["branch"]
    assert f"{view['totals']['percent_covered']:.6f}" == total
    assert view["run"]["core"] == ("sysmon" if sys.version_info >= (3, 12) else "ctrace")


@pytest.mark.parametrize("in_xdist_worker", [False, True], ids=["plain", "inside-xdist-worker"])
def test_crashing_suite_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_xdist_worker: bool
) -> None:
    """A test that kills pytest: exit 3 and one line naming the signal and the test (also when
    covgap itself runs inside a pytest-xdist worker, whose variables the suite must not see)."""
    if in_xdist_worker:
        monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw7")
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "8")
    else:
        monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    project = tmp_path / "crash"
    (project / "tests").mkdir(parents=True)
    (project / "lib.py").write_text("def one():\n    return 1\n")
    (project / "tests" / "test_crash.py").write_text(
        "import os, signal\nfrom lib import one\n\n"
        "def test_crash():\n    assert one() == 1\n    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    (project / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    code, _, err = covgap("run", str(project), "--format", "json")
    assert code == 3
    assert "the suite wrote no coverage data (pytest was killed by SIGKILL while running " in err
    assert "tests/test_crash.py::test_crash" in err
    assert not (project / "covgap-report").exists()


def test_a_test_that_ends_pytest_with_exit_0_is_not_a_pass(tmp_path: Path) -> None:
    """A test that calls os._exit(0) ends pytest with a passing status before the suite is
    done: covgap says so, names the test, and does not exit 0."""
    project = tmp_path / "exits"
    (project / "tests").mkdir(parents=True)
    (project / "lib.py").write_text("def one():\n    return 1\n")
    (project / "tests" / "test_exit.py").write_text(
        "import os\nfrom lib import one\n\n"
        "def test_one():\n    assert one() == 1\n\n"
        "def test_exit():\n    os._exit(0)\n\n"
        "def test_never():\n    assert False\n"
    )
    (project / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    code, _, err = covgap("run", str(project), "--format", "json")
    assert code != ExitCode.OK
    assert (
        "pytest ended with exit code 0 before the suite did while running "
        "tests/test_exit.py::test_exit"
    ) in err


def test_cache_plugin_off_with_strict_config(tmp_path: Path) -> None:
    """`-p no:cacheprovider` after -- works even under --strict-config (no cache_dir given)."""
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "basic"))
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'pythonpath = ["src"]', 'pythonpath = ["src"]\naddopts = "--strict-config"'
        )
    )
    code, _, err = covgap("run", str(project), "--format", "json", "--", "-p", "no:cacheprovider")
    assert code == 0, err
    assert plan_json(project)["health"]["counts"]["passed"] == 4


def test_pytest_usage_error_is_an_error(tmp_path: Path) -> None:
    """When pytest cannot run the suite at all (a usage error), covgap shows pytest's own line,
    not coverage.py's warning printed after it, and exits 2."""
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "basic"))
    code, _, err = covgap("run", str(project), "--format", "json", "--", "--no-such-pytest-option")
    assert code == ExitCode.USAGE_ERROR
    assert (
        "pytest was given a usage error (exit code 4): "
        "unrecognized arguments: --no-such-pytest-option\n"
    ) in err
    assert "No data was collected" not in err
    assert not (project / "covgap-report").exists()


def test_conftest_that_raises_is_named(tmp_path: Path) -> None:
    """A conftest.py that raises stops pytest before any test: covgap shows its exception and
    the conftest, and exits 2."""
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "basic"))
    (project / "conftest.py").write_text('raise RuntimeError("broken conftest")\n')
    code, _, err = covgap("run", str(project), "--format", "json")
    assert code == ExitCode.USAGE_ERROR
    assert "RuntimeError: broken conftest (while loading conftest " in err
    assert "conftest.py" in err and len(err.strip().splitlines()) == 3  # status, error, hint


@pytest.mark.parametrize(
    ("output", "line"),
    [
        pytest.param(
            "ERROR: usage: python -m pytest [options]\n"
            "python -m pytest: error: unrecognized arguments: --bogus\n  inifile: None\n"
            "/x/coverage/control.py:981: CoverageWarning: No data was collected.\n"
            '  self._warn("No data was collected.", slug="no-data-collected")\n',
            "unrecognized arguments: --bogus",
            id="argument-parser",
        ),
        pytest.param(
            "ERROR: usage: __main__.py [options] [file_or_dir] [file_or_dir] [...]\n"
            "__main__.py: error: unrecognized arguments: --bogus\n  inifile: None\n",
            "unrecognized arguments: --bogus",
            id="argument-parser-pytest-7",
        ),
        pytest.param(
            "ImportError while loading conftest '/p/conftest.py'.\n"
            "conftest.py:1: in <module>\n    raise RuntimeError('x')\nE   RuntimeError: x\n",
            "RuntimeError: x (while loading conftest '/p/conftest.py')",
            id="conftest",
        ),
        pytest.param(
            "ERROR: file or directory not found: nope\n\n",
            "file or directory not found: nope",
            id="missing-path",
        ),
        pytest.param(
            "INTERNALERROR> Traceback\nINTERNALERROR>   File x\nINTERNALERROR> ValueError: bad\n",
            "ValueError: bad",
            id="internal-error",
        ),
        pytest.param("", "no output", id="nothing"),
    ],
)
def test_pytest_error_line(output: str, line: str) -> None:
    """pytest's own error line is found among its output and coverage.py's warnings."""
    assert pytest_error_line(output) == line


def _failing_project(tmp_path: Path) -> Path:
    project = tmp_path / "failing"
    (project / "tests").mkdir(parents=True)
    (project / "lib.py").write_text("def double(x):\n    return 2 * x\n")
    (project / "tests" / "test_lib.py").write_text(
        "from lib import double\n\n"
        "def test_good():\n    assert double(2) == 4\n\n"
        "def test_bad():\n    assert double(2) == 5\n"
    )
    (project / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    return project


def test_failing_tests_exit_1_and_the_plan_is_written(tmp_path: Path) -> None:
    """A red suite is red through covgap run: exit 1, the plan and the snapshot written anyway."""
    project = _failing_project(tmp_path)
    code, _, err = covgap("run", str(project), "--format", "json,md")
    assert code == ExitCode.TESTS_FAILED
    assert err.rstrip().endswith("covgap: exit 1: 1 failed (--allow-failures exits 0)")
    assert plan_json(project)["run"]["verdict"]["reason"] == "1 failed"
    plan_md = (project / "covgap-report" / "plan.md").read_text()
    assert "Outcome: 1 failed, so `covgap run` exits 1." in plan_md
    # The health of a run that ended by itself is pytest's reports, never "stopped".
    assert "pytest's test reports, as covgap's plugin logged them during the run" in plan_md
    assert "stopped" not in plan_md
    assert (project / ".covgap" / "history.db").exists()


@pytest.mark.parametrize(
    "how",
    [
        pytest.param(["--allow-failures"], id="option"),
        pytest.param(["[tool.covgap]\nallow-failures = true\n"], id="setting"),
    ],
)
def test_allow_failures_exits_0(tmp_path: Path, how: list[str]) -> None:
    """--allow-failures (or allow-failures in [tool.covgap]) makes failed tests exit 0, and
    says so."""
    project = _failing_project(tmp_path)
    options = how
    if how[0].startswith("["):
        pyproject = project / "pyproject.toml"
        pyproject.write_text(pyproject.read_text() + how[0])
        options = []
    code, _, err = covgap("run", str(project), "--format", "json", *options)
    assert code == ExitCode.OK
    assert "covgap: exit 0: 1 failed, allowed by allow-failures" in err
    assert plan_json(project)["run"]["verdict"]["failures_allowed"]


def test_no_tests_collected_exit_5(tmp_path: Path) -> None:
    """A package without tests: pytest collects nothing, covgap exits 5 with the plan written
    (every file at 0%) and no snapshot recorded."""
    project = tmp_path / "untested"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "__init__.py").write_text("def one():\n    return 1\n")
    code, _, err = covgap("run", str(project), "--format", "json")
    assert code == ExitCode.NO_TESTS
    assert "covgap: exit 5: pytest ran no tests (none collected, or all deselected)" in err
    view = plan_json(project)
    assert [f["path"] for f in view["files"]] == ["pkg/__init__.py"]
    assert view["totals"]["percent_covered"] == 0
    assert not (project / ".covgap" / "history.db").exists()


def test_empty_folder_is_one_line_and_nothing_written(tmp_path: Path) -> None:
    """An empty folder: one line, exit 5, nothing written there (covgap is never measured)."""
    code, out, err = covgap("run", str(tmp_path), "--format", "json")
    assert code == ExitCode.NO_TESTS
    assert "nothing to run: no Python file here (no test, no package or module)" in err
    assert list(tmp_path.iterdir()) == [] and out == ""


def test_no_test_and_nothing_measured_is_one_line(tmp_path: Path) -> None:
    """A folder whose only Python file is a setup.py: pytest runs no test and coverage.py
    measures nothing; one line, exit 5, no plan and no snapshot."""
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    code, out, err = covgap("run", str(tmp_path), "--format", "json")
    assert code == ExitCode.NO_TESTS
    assert "pytest ran no tests (none collected, or all deselected), and no code was " in err
    assert "Traceback" not in err and out == ""
    assert not (tmp_path / "covgap-report").exists()
    assert not (tmp_path / ".covgap" / "history.db").exists()


def test_covgap_is_never_measured(tmp_path: Path) -> None:
    """With nothing detected as the project's code (a test module alone), covgap's own plugin,
    which the suite imports, is not in the plan."""
    project = tmp_path / "tests-only"
    project.mkdir()
    (project / "test_alone.py").write_text("def test_alone():\n    assert True\n")
    code, _, err = covgap("run", str(project), "--format", "json")
    assert code == ExitCode.OK, err
    paths = [f["path"] for f in plan_json(project)["files"]]
    assert not any("covgap" in path for path in paths), paths


def test_relative_python_is_taken_from_where_covgap_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--python given as a relative path works when the project is another folder."""
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "deeper" / "basic"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    relative = os.path.relpath(sys.executable, elsewhere)
    assert not Path(relative).is_absolute() and not (project / relative).exists()
    code, _, err = covgap("run", str(project), "--format", "json", "--python", relative)
    assert code == ExitCode.OK, err
    assert plan_json(project)["run"]["python"] == str(elsewhere / relative)


def test_unwritable_run_folder_is_exit_4(tmp_path: Path) -> None:
    """When covgap's folder in the project cannot be written, one line naming it, exit 4."""
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "basic"))
    (project / ".covgap").write_text("a file where covgap's folder goes\n")
    code, _, err = covgap("run", str(project), "--format", "json")
    assert code == ExitCode.OUTPUT_ERROR
    assert f"{project / '.covgap' / 'run'}: covgap run's folder cannot be written" in err
    assert not (project / "covgap-report").exists()


def test_read_only_run_folder_is_exit_4(tmp_path: Path) -> None:
    """A read-only .covgap/ (for real: permissions, or a read-only mount for root): one line
    naming covgap run's folder, exit 4, no suite started and no report."""
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "basic"))
    (project / ".covgap").mkdir()
    with read_only(project / ".covgap"):
        code, _, err = covgap("run", str(project), "--format", "json")
    assert code == ExitCode.OUTPUT_ERROR
    assert f"{project / '.covgap' / 'run'}: covgap run's folder cannot be written: " in err
    assert "Traceback" not in err and "internal error" not in err
    assert not (project / "covgap-report").exists()


def test_sigterm_stops_the_suite_and_keeps_its_data(tmp_path: Path) -> None:
    """SIGTERM to covgap run (a CI job's timeout) stops the suite's process group too: covgap
    exits 143, no pytest is left running, and the data measured until then stays."""
    project = _failing_project(tmp_path)
    (project / "tests" / "test_slow.py").write_text(
        "import time\n\ndef test_slow():\n    time.sleep(120)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "covgap", "run", str(project), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    events = project / ".covgap" / "run" / "events.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "test_slow" not in _text(events):
        time.sleep(0.1)
    assert "test_slow" in _text(events), "the suite did not reach the slow test"
    suite = [
        path.parent
        for path in Path("/proc").glob("[0-9]*/cmdline")
        if "covgap_pytest" in _text(path) and str(events.parent) in _text(path)
    ]
    assert suite, "the suite's process is not running"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == ExitCode.TERMINATED
    assert "covgap: stopped by SIGTERM" in err and "Traceback" not in err
    for process_dir in suite:
        assert not process_dir.exists() or "zombie" in _text(process_dir / "status")
    assert list((project / ".covgap" / "run").glob(".coverage*"))


def _text(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def test_audit_after_a_run_scores_its_health(tmp_path: Path) -> None:
    """`covgap audit` after `covgap run` scores the suite's health from the run's event log and
    says which run it was; once a test file changed, it says the run is stale instead."""
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "basic"))
    code, _out, err = covgap("run", str(project), "--format", "json")
    assert code == 0, err
    code, out, err = covgap("audit", str(project), "--format", "json", "--output", "-")
    assert code == 0, err
    audit = json.loads(out)["audit"]
    health = next(area for area in audit["areas"] if area["area"] == "health")
    assert (health["possible"], health["unmeasured"]) == (20, None)
    assert any(
        note.startswith("suite health from the last covgap run (.covgap/run/events.jsonl, ended ")
        and note.endswith("; 4 tests)")
        for note in audit["notes"]
    ), audit["notes"]
    code, out, err = covgap("audit", str(project))
    assert code == 0, err
    assert "note: suite health from the last covgap run" in out

    test = project / "tests" / "test_stock.py"
    test.write_text(test.read_text() + "\n")
    later = (project / ".covgap" / "run" / "events.jsonl").stat().st_mtime + 5
    os.utime(test, (later, later))
    code, out, err = covgap("audit", str(project), "--format", "json", "--output", "-")
    assert code == 0, err
    health = next(a for a in json.loads(out)["audit"]["areas"] if a["area"] == "health")
    assert health["possible"] == 0
    assert "is older than tests/test_stock.py: run covgap run again" in health["unmeasured"]
