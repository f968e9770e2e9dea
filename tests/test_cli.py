"""The command line: every exit code, its one-line message, and nothing half-written."""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECTS, measure_copy

from covgap.cli import main
from covgap.errors import ExitCode


def run(*argv: str) -> tuple[int, str, str]:
    """Run covgap in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def assert_one_error_line(stderr: str, *fragments: str) -> None:
    lines = stderr.splitlines()
    assert lines and lines[0].startswith("covgap: error: "), stderr
    assert all(line.startswith("covgap: ") for line in lines), stderr
    assert len(lines) <= 2, stderr  # the error, and at most one hint
    for fragment in fragments:
        assert fragment in stderr, stderr
    assert "Traceback" not in stderr


def test_plan_writes_reports(measured_basic: Path, tmp_path: Path) -> None:
    """`covgap plan` writes plan.md and plan.json and prints the summary; exit 0."""
    output = tmp_path / "out"
    code, out, err = run("plan", str(measured_basic), "--output", str(output), "--target", "90")
    assert code == ExitCode.OK, err
    assert (output / "plan.md").read_text().startswith("# Coverage plan: ")
    view = json.loads((output / "plan.json").read_text())
    assert view["plan"]["target"] == 90.0
    assert "Coverage 42.2% → target 90.0%" in out
    assert f"Wrote {output / 'plan.json'}" in out
    assert not list(output.glob(".*.tmp")), "temporary files left behind"


def test_plan_takes_the_health_from_a_junit_report(tmp_path: Path) -> None:
    """`covgap plan --junit FILE`: the health of a suite measured elsewhere (CI's own
    `pytest --junitxml`), with a Fix first section when tests fail; a missing report is one
    error line naming it."""
    project = shutil.copytree(PROJECTS / "sick", tmp_path / "sick")
    measure = [sys.executable, "-m", "coverage", "run", "--branch", "--source=sick", "-m"]
    pytest_args = ["-q", "-p", "no:cacheprovider", "-p", "no:timeout", "--junitxml=report.xml"]
    subprocess.run(
        [
            *measure,
            "pytest",
            *pytest_args,
            "--continue-on-collection-errors",
            "--deselect",
            "tests/test_hang.py",
        ],
        cwd=project,
        capture_output=True,
        check=False,
    )
    code, _, err = run("plan", str(project), "--junit", str(project / "report.xml"))
    assert code == 0, err
    view = json.loads((project / "covgap-report" / "plan.json").read_text())
    assert view["health"]["source"] == "junit-xml"
    assert view["health"]["counts"]["failed"] == 8 and view["health"]["counts"]["error"] == 6
    causes = [group["cause"] for group in view["health"]["groups"]]
    assert "import error" in causes and "fixture or setup error" in causes
    assert "## Phase 0: fix first" in (project / "covgap-report" / "plan.md").read_text()
    code, _, err = run("plan", str(project), "--junit", str(project / "nope.xml"))
    assert code == ExitCode.DATA_ERROR
    assert_one_error_line(err, "nope.xml")


def test_default_output_is_inside_the_project(basic_copy: Path) -> None:
    """Without --output the reports go to covgap-report/ in the project."""
    code, _, err = run("plan", str(basic_copy), "--format", "md")
    assert code == 0, err
    assert (basic_copy / "covgap-report" / "plan.md").exists()
    assert not (basic_copy / "covgap-report" / "plan.json").exists()


def test_json_to_stdout(measured_basic: Path) -> None:
    """`--format json --output -` prints plan.json and nothing else."""
    code, out, _ = run("plan", str(measured_basic), "--format", "json", "--output", "-")
    assert code == 0
    view = json.loads(out)
    assert view["format_version"] == 6
    assert view["totals"]["percent_covered"] == pytest.approx(42.168674698795186)


def test_settings_from_pyproject(basic_copy: Path) -> None:
    """[tool.covgap] sets the target and milestones; the command line overrides it."""
    pyproject = basic_copy / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + "\n[tool.covgap]\ntarget = 70\nmilestones = [50]\n"
    )
    code, out, _ = run("plan", str(basic_copy), "--format", "json", "--output", "-")
    assert code == 0
    plan = json.loads(out)["plan"]
    assert [p["milestone"] for p in plan["phases"]] == [50.0, 70.0]
    code, out, _ = run(
        "plan",
        str(basic_copy),
        "--format",
        "json",
        "--output",
        "-",
        "--target",
        "75",
        "--milestones",
        "45",
    )
    plan = json.loads(out)["plan"]
    # the first function alone takes the total from 42.2% past 45% to 60.2%
    assert [p["milestone"] for p in plan["phases"]] == [45.0, 75.0]


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        pytest.param(
            ["plan", "--target", "150"],
            ["target must be a number from 0 to 100"],
            id="target over 100",
        ),
        pytest.param(
            ["plan", "--target", "-1"],
            ["target must be a number from 0 to 100"],
            id="negative target",
        ),
        pytest.param(
            ["plan", "--target", "lots"], ["target must be a number"], id="target not a number"
        ),
        pytest.param(
            ["plan", "--target", "10"],
            ["below the current total 42.17%"],
            id="target below current",
        ),
        pytest.param(["plan", "--milestones", "50", "x"], ["milestones"], id="bad milestone"),
        pytest.param(
            ["plan", "--top", "0"], ["top must be a whole number from 1 to 10000"], id="bad top"
        ),
        pytest.param(
            ["plan", "--format", "md,json", "--output", "-"],
            ["one file format"],
            id="two formats to stdout",
        ),
    ],
)
def test_usage_errors(measured_basic: Path, argv: list[str], fragments: list[str]) -> None:
    """Impossible requests exit 2 with one line that says what is wrong."""
    argv = [argv[0], str(measured_basic), *argv[1:]]
    code, _, err = run(*argv)
    assert code == ExitCode.USAGE_ERROR
    assert_one_error_line(err, *fragments)


def test_argparse_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown option is a usage error (exit 2)."""
    code, _, _ = run("plan", "--no-such-option")
    assert code == ExitCode.USAGE_ERROR
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_unknown_format(capsys: pytest.CaptureFixture[str]) -> None:
    """--format takes only term, md and json."""
    code, _, _ = run("plan", "--format", "pdf")
    assert code == ExitCode.USAGE_ERROR
    assert "unknown format pdf" in capsys.readouterr().err


def test_no_command_prints_help() -> None:
    """`covgap` alone shows the help and exits 2."""
    code, out, _ = run()
    assert code == ExitCode.USAGE_ERROR
    assert "covgap demo" in out and "exit codes" in out


def test_missing_project_folder(tmp_path: Path) -> None:
    """A project folder that does not exist is a usage error."""
    code, _, err = run("plan", str(tmp_path / "nope"))
    assert code == ExitCode.USAGE_ERROR
    assert_one_error_line(err, "nope: project folder not found")


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        pytest.param(
            "[tool.covgap\ntarget = 1\n", ["pyproject.toml: not valid TOML"], id="broken TOML"
        ),
        pytest.param("[tool.covgap]\ntargte = 90\n", ["unknown key 'targte'"], id="unknown key"),
        pytest.param(
            "[tool.covgap]\ntarget = true\nformat = ['pdf']\n",
            ["target must be a number", "format must be some of"],
            id="all problems at once",
        ),
    ],
)
def test_broken_configuration(basic_copy: Path, content: str, fragments: list[str]) -> None:
    """A broken [tool.covgap] exits 2 naming the file and every problem in it."""
    pyproject = basic_copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n" + content)
    code, _, err = run("plan", str(basic_copy))
    assert code == ExitCode.USAGE_ERROR
    assert_one_error_line(err, *fragments)
    assert not (basic_copy / "covgap-report").exists()


def test_no_data_file(tmp_path: Path) -> None:
    """No coverage data: exit 3, and a hint that says how to measure."""
    code, _, err = run("plan", str(tmp_path))
    assert code == ExitCode.DATA_ERROR
    assert_one_error_line(err, ".coverage: coverage data file not found", "coverage run -m pytest")
    assert not (tmp_path / "covgap-report").exists()


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        pytest.param("data.txt", b"hello\n", "not coverage data", id="text file"),
        pytest.param(
            "coverage.json",
            b'{"meta": {}, "files": "oops"}',
            "malformed coverage JSON",
            id="bad json report",
        ),
        pytest.param("coverage.json", b"{not json", "not a readable JSON file", id="not json"),
        pytest.param(
            "coverage.json", b'{"hello": 1}', "not a coverage.py JSON report", id="other json"
        ),
    ],
)
def test_bad_data_files(tmp_path: Path, name: str, content: bytes, fragment: str) -> None:
    """A file that is not coverage data: exit 3 naming it."""
    (tmp_path / name).write_bytes(content)
    code, _, err = run("plan", str(tmp_path), "--data", str(tmp_path / name))
    assert code == ExitCode.DATA_ERROR
    assert_one_error_line(err, f"error: {name}: ", fragment)  # shown relative to the project


def test_corrupt_coverage_file(tmp_path: Path) -> None:
    """A .coverage that is not SQLite: exit 3, and the file is left as it was."""
    (tmp_path / ".coverage").write_bytes(b"\x00garbage")
    code, _, err = run("plan", str(tmp_path))
    assert code == ExitCode.DATA_ERROR
    assert_one_error_line(err, ".coverage: not a coverage.py data file")
    assert (tmp_path / ".coverage").read_bytes() == b"\x00garbage"


def test_paths_from_another_machine(tmp_path: Path) -> None:
    """Data whose files do not exist here: exit 3, pointing at [paths]."""
    measured = measure_copy("basic", tmp_path / "elsewhere")
    moved = Path(shutil.copytree(measured, tmp_path / "here"))
    shutil.rmtree(measured)
    code, _, err = run("plan", str(moved))
    assert code == ExitCode.DATA_ERROR
    assert_one_error_line(err, "not found on this disk", "[paths]")


def test_syntax_error_in_source(basic_copy: Path) -> None:
    """A source that no longer parses: exit 3 naming it."""
    (basic_copy / "src" / "inventory" / "stock.py").write_text("class :\n")
    code, _, err = run("plan", str(basic_copy))
    assert code == ExitCode.DATA_ERROR
    assert_one_error_line(err, "stock.py: cannot be parsed as Python")


def test_empty_data_set(tmp_path: Path) -> None:
    """A data file that measured nothing: exit 3."""
    from coverage import CoverageData

    data = CoverageData(basename=str(tmp_path / ".coverage"))
    data.add_lines({})
    data.write()
    code, _, err = run("plan", str(tmp_path))
    assert code == ExitCode.DATA_ERROR
    assert_one_error_line(err, "empty data set")


def test_unwritable_output(measured_basic: Path, tmp_path: Path) -> None:
    """An output folder that cannot be made: exit 4 and no report anywhere."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, _, err = run("plan", str(measured_basic), "--output", str(blocker / "report"))
    assert code == ExitCode.OUTPUT_ERROR
    assert_one_error_line(err, "cannot write the report")
    code, _, err = run("plan", str(measured_basic), "--output", str(blocker))
    assert code == ExitCode.OUTPUT_ERROR
    assert_one_error_line(err, "exists and is not a folder")
    assert blocker.read_text() == "not a folder"


def test_failed_write_keeps_the_previous_report(measured_basic: Path, tmp_path: Path) -> None:
    """When plan.json cannot be replaced, the old one stays whole and no temporary file is left."""
    output = tmp_path / "out"
    assert run("plan", str(measured_basic), "--output", str(output))[0] == 0
    old_md = (output / "plan.md").read_text()
    (output / "plan.json").unlink()
    (output / "plan.json").mkdir()  # os.replace onto a folder fails
    code, _, err = run("plan", str(measured_basic), "--output", str(output), "--target", "95")
    assert code == ExitCode.OUTPUT_ERROR
    assert_one_error_line(err, "plan.json: cannot write the report")
    assert sorted(p.name for p in output.iterdir()) == [
        "audit.md",
        "index.html",
        "plan.json",
        "plan.md",
    ]
    assert (output / "plan.md").read_text() != old_md  # rewritten whole, before the failure


def test_console_script_version() -> None:
    """The installed `covgap` entry point answers --version."""
    result = subprocess.run(
        [sys.executable, "-m", "covgap", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.startswith("covgap ")


def test_data_path_is_a_folder(measured_basic: Path, tmp_path: Path) -> None:
    """--data naming a folder: exit 3, one line."""
    folder = tmp_path / "data"
    folder.mkdir()
    code, _, err = run("plan", str(measured_basic), "--data", str(folder))
    assert code == ExitCode.DATA_ERROR
    assert_one_error_line(err, "data: cannot be read")


def test_relative_paths_from_another_folder(
    measured_basic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PROJECT, --data and --output given relative to the working folder all resolve from it;
    the cache goes into the project's own .covgap/."""
    workdir = tmp_path / "work"
    project = Path(shutil.copytree(measured_basic, workdir / "proj"))
    monkeypatch.chdir(workdir)
    code, _, err = run(
        "plan", "proj", "--data", "proj/.coverage", "--output", "out", "--format", "json"
    )
    assert code == 0, err
    assert (workdir / "out" / "plan.json").exists()
    assert json.loads((workdir / "out" / "plan.json").read_text())["input"]["path"] == ".coverage"
    assert (project / ".covgap" / "cache.sqlite3").exists()
    assert not (project / "proj").exists()


def test_reports_get_ordinary_permissions(measured_basic: Path, tmp_path: Path) -> None:
    """Reports are written with the usual permissions, not the private ones of a temporary file."""
    import os

    output = tmp_path / "out"
    assert run("plan", str(measured_basic), "--output", str(output), "--format", "md")[0] == 0
    mask = os.umask(0o022)
    os.umask(mask)
    assert (output / "plan.md").stat().st_mode & 0o777 == 0o666 & ~mask


def test_no_risk_ranks_by_impact_alone(measured_basic: Path) -> None:
    """--no-risk: no risk section, no advice; items rank by impact."""
    code, out, _ = run(
        "plan", str(measured_basic), "--no-risk", "--format", "json", "--output", "-"
    )
    assert code == 0
    view = json.loads(out)
    assert view["risk"] is None
    items = view["top_functions"]
    assert all(item["risk"] is None and item["advice"] is None for item in items)
    for first, second in itertools.pairwise(items):
        # priority first, then impact within a priority
        assert (first["priority"], -first["impact"]) <= (second["priority"], -second["impact"])


def test_bad_churn_window_on_the_command_line(measured_basic: Path) -> None:
    """A churn window that is neither days nor commits is a usage error."""
    code, _, err = run("plan", str(measured_basic), "--churn-window", "last week")
    assert code == ExitCode.USAGE_ERROR
    assert_one_error_line(err, "churn-window")


# --- covgap audit ------------------------------------------------------------------------------


def test_audit_without_coverage_data(basic_copy: Path, tmp_path: Path) -> None:
    """`covgap audit` needs no data: it reads the repository and prints every finding."""
    for data in basic_copy.glob(".coverage*"):
        data.unlink()
    code, out, err = run("audit", str(basic_copy))
    assert code == ExitCode.OK, err
    assert f"audit of {basic_copy.resolve()}" in out
    assert "Audit score" in out and "Coverage vs target" in out and "no coverage data" in out
    assert "fix in" in out
    assert not (basic_copy / "covgap-report").exists()  # the terminal only, unless asked


def test_audit_writes_md_and_json(basic_copy: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    code, out, err = run("audit", str(basic_copy), "--format", "md,json", "--output", str(output))
    assert code == ExitCode.OK, err
    view = json.loads((output / "audit.json").read_text())
    assert view["format_version"] == 1
    text = (output / "audit.md").read_text()
    assert text.startswith("# Test suite audit")
    for finding in view["audit"]["findings"]:
        assert finding["title"].replace("|", "\\|").replace("`", "'") in text
    assert f"Wrote {output / 'audit.md'}" in out


@pytest.mark.parametrize("fail_on", ["high", "medium", "low"])
def test_audit_fail_on(basic_copy: Path, fail_on: str) -> None:
    """--fail-on SEVERITY: exit 1 exactly when a finding is that severe or more."""
    severities = {"high": 0, "medium": 1, "low": 2, "info": 3}
    _, out, _ = run("audit", str(basic_copy), "--format", "json", "--output", "-")
    found = {f["severity"] for f in json.loads(out)["audit"]["findings"]}
    worst = min((severities[s] for s in found), default=9)
    code, _, err = run(
        "audit", str(basic_copy), "--fail-on", fail_on, "--format", "json", "--output", "-"
    )
    assert code == (ExitCode.GATE_FAILED if worst <= severities[fail_on] else ExitCode.OK), err


def test_audit_fail_on_a_project_without_tests(tmp_path: Path) -> None:
    """A project with code but no tests is audited: no tests and no CI are high findings."""
    (tmp_path / "CONTRIBUTING.md").write_text("Run `pytest`.\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    code, out, err = run(
        "audit", str(tmp_path), "--fail-on", "high", "--format", "json", "--output", "-"
    )
    assert code == ExitCode.GATE_FAILED
    assert err == ""
    rules = {f["rule"]: f for f in json.loads(out)["audit"]["findings"]}
    assert rules["suite-no-tests"]["fix_path"] == "tests/test_imports.py"


@pytest.mark.parametrize("fail_on", [None, "high"])
def test_audit_of_a_folder_without_python_is_nothing_to_audit(
    tmp_path: Path, fail_on: str | None
) -> None:
    """A folder with no Python file nor project file gets no score, but a usage error (exit 2,
    with or without --fail-on), and nothing is written."""
    (tmp_path / "project" / "docs").mkdir(parents=True)
    (tmp_path / "project" / "README.md").write_text("Run `pytest`.\n")
    output = tmp_path / "out"
    extra = ["--fail-on", fail_on] if fail_on else []
    code, out, err = run(
        "audit", str(tmp_path / "project"), "--format", "md,json", "--output", str(output), *extra
    )
    assert code == ExitCode.USAGE_ERROR
    assert_one_error_line(err, "nothing to audit", "covgap audit PATH")
    assert out == "" and not output.exists()


def test_audit_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("audit", str(tmp_path / "nowhere"))
    assert code == ExitCode.USAGE_ERROR
    assert_one_error_line(err, "project folder not found")


def test_plan_carries_the_audit_unless_told_not_to(measured_basic: Path, tmp_path: Path) -> None:
    code, out, err = run("plan", str(measured_basic), "--format", "json", "--output", "-")
    assert code == ExitCode.OK, err
    view = json.loads(out)
    assert view["audit"] is not None
    target = next(a for a in view["audit"]["areas"] if a["area"] == "target")
    assert target["possible"] == 20 and target["unmeasured"] is None
    code, out, err = run(
        "plan", str(measured_basic), "--no-audit", "--format", "json", "--output", "-"
    )
    assert code == ExitCode.OK, err
    assert json.loads(out)["audit"] is None


def test_audit_of_a_broken_pyproject_is_a_finding(tmp_path: Path) -> None:
    """A pyproject.toml that is not TOML stops `covgap plan` (exit 2) but is a finding of
    `covgap audit`, which goes on with covgap's defaults."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = = "x"\n')
    code, out, err = run("audit", str(tmp_path), "--format", "json", "--output", "-")
    assert code == ExitCode.OK, err
    rules = {f["rule"]: f for f in json.loads(out)["audit"]["findings"]}
    assert rules["project-config-broken"]["evidence"][0] == {
        "path": "pyproject.toml",
        "line": 2,
        "text": rules["project-config-broken"]["evidence"][0]["text"],
    }
    code, _, err = run("plan", str(tmp_path))
    assert code == ExitCode.USAGE_ERROR
    assert_one_error_line(err, "pyproject.toml", "not valid TOML")


# --- inputs that would block or loop ---------------------------------------------------------

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


@needs_fifo
@pytest.mark.timeout(60)
@pytest.mark.parametrize("option", ["--data", "--junit"])
def test_a_fifo_as_an_input_is_one_error_line(
    measured_basic: Path, tmp_path: Path, option: str
) -> None:
    """A FIFO given as --data or --junit is refused unopened (reading it waits for a writer
    forever): exit 3, one line naming it, nothing written."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    output = tmp_path / "out"
    code, _, err = run("plan", str(measured_basic), option, str(pipe), "--output", str(output))
    assert code == ExitCode.DATA_ERROR
    assert_one_error_line(err, f"{pipe}: not a regular file (a FIFO)")
    assert not output.exists()


@needs_fifo
@pytest.mark.timeout(60)
def test_a_fifo_as_the_coverage_configuration(basic_copy: Path, tmp_path: Path) -> None:
    """A .coveragerc that is a FIFO (coverage.py would wait on it): `covgap plan` exits 2 with one
    line naming it; `covgap audit` makes it the finding coverage-config-broken."""
    os.mkfifo(basic_copy / ".coveragerc")
    code, _, err = run("plan", str(basic_copy), "--output", str(tmp_path / "out"))
    assert code == ExitCode.USAGE_ERROR
    assert_one_error_line(err, ".coveragerc: not a regular file (a FIFO)")
    code, out, err = run("audit", str(basic_copy), "--format", "json", "--output", "-")
    assert code == ExitCode.OK, err
    assert "coverage-config-broken" in {f["rule"] for f in json.loads(out)["audit"]["findings"]}


@pytest.mark.timeout(120)
def test_links_to_an_ancestor_do_not_hang_plan_or_audit(basic_copy: Path) -> None:
    """Two links to the project folder under tests/ made `plan` and `audit` walk forever: both
    end, and count the tests as without the links."""
    code, out, err = run("audit", str(basic_copy), "--format", "json", "--output", "-")
    assert code == ExitCode.OK, err
    before = json.loads(out)["audit"]["inventory"]
    for name in ("self", "self2"):
        try:
            (basic_copy / "tests" / name).symlink_to("..", target_is_directory=True)
        except OSError as exc:  # Windows without the privilege
            pytest.skip(f"cannot make a symbolic link here: {exc}")
    code, out, err = run("audit", str(basic_copy), "--format", "json", "--output", "-")
    assert code == ExitCode.OK, err
    assert json.loads(out)["audit"]["inventory"] == before
    code, out, err = run("plan", str(basic_copy), "--format", "json", "--output", "-")
    assert code == ExitCode.OK, err
    assert json.loads(out)["audit"]["inventory"] == before


@pytest.mark.parametrize(
    ("log", "unmeasured", "rules"),
    [
        pytest.param("hello\n", "events.jsonl cannot be read: line 1", set(), id="not-a-log"),
        pytest.param('{"event": "begin", "format": 2}\n', "ran no test", set(), id="no-test"),
        pytest.param(
            '{"event": "begin", "format": 2}\n{"event": "start", "nodeid": "tests/test_a.py::'
            'test_a"}\n',
            None,
            {"health-stopped", "health-failures"},
            id="killed-while-running",
        ),
    ],
)
def test_audit_reads_the_last_runs_log_without_failing(
    tmp_path: Path, log: str, unmeasured: str | None, rules: set[str]
) -> None:
    """A last run's log that is broken or holds no test leaves health unscored, saying why; a
    run killed mid-test is scored with the test that was running (exit 0 in every case)."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    events = tmp_path / ".covgap" / "run" / "events.jsonl"
    events.parent.mkdir(parents=True)
    events.write_text(log)
    code, out, err = run("audit", str(tmp_path), "--format", "json", "--output", "-")
    assert code == ExitCode.OK, err
    audit = json.loads(out)["audit"]
    health = next(area for area in audit["areas"] if area["area"] == "health")
    if unmeasured:
        assert unmeasured in health["unmeasured"] and health["possible"] == 0
    else:
        assert health["unmeasured"] is None and health["possible"] == 20
    assert {f["rule"] for f in audit["findings"] if f["area"] == "health"} == rules
