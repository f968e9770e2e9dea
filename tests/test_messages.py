"""Bad input at the edges, through the command line: one line naming the file, a documented
exit code, and nothing written or lost."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import coverage_json, read_only, small_filesystem
from test_cli import assert_one_error_line, run

from covgap.errors import ExitCode


@pytest.mark.parametrize("name", ["setup.cfg", "tox.ini"])
def test_a_config_file_that_is_not_utf8_stops_the_plan(basic_copy: Path, name: str) -> None:
    """A non-UTF-8 setup.cfg or tox.ini (coverage.py reads it) is exit 2 naming it."""
    (basic_copy / name).write_bytes(b"[flake8]\nmax-line-length = 100\n# caf\xe9\n")
    code, _, err = run("plan", str(basic_copy))
    assert code == ExitCode.USAGE_ERROR
    assert_one_error_line(err, f"{name}: not valid UTF-8 (byte 0xe9 on line 3)", "save")
    assert not (basic_copy / "covgap-report").exists()


def test_too_deep_toml_stops_every_command(basic_copy: Path) -> None:
    """A pyproject.toml nested 5,000 deep is 'not valid TOML' for plan and check, a finding for
    audit."""
    pyproject = basic_copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.x]\ny = " + "[" * 5000 + "]" * 5000)
    for command in ("plan", "check"):
        code, _, err = run(command, str(basic_copy))
        assert code == ExitCode.USAGE_ERROR, command
        assert_one_error_line(err, "pyproject.toml: not valid TOML: ", "nested too deeply")
    code, out, err = run("audit", str(basic_copy))
    assert code == ExitCode.OK, err
    assert "nested too deeply" in out


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        pytest.param("--precision", "100000", "precision must be a whole number from 0 to 10"),
        pytest.param("--top", "1" + "0" * 21, "top must be a whole number from 1 to 10000"),
        pytest.param(
            "--churn-window",
            "99999999999999999999 days",
            "churn-window must be from 1 to 36500 days",
        ),
    ],
)
def test_huge_numbers_are_usage_errors(
    measured_basic: Path, tmp_path: Path, option: str, value: str, fragment: str
) -> None:
    """A number beyond its range is exit 2 with its range, and no report is written."""
    output = tmp_path / "out"
    code, _, err = run("plan", str(measured_basic), option, value, "--output", str(output))
    assert code == ExitCode.USAGE_ERROR
    assert_one_error_line(err, f"command line: {fragment}")
    assert not output.exists()


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        pytest.param("--parallel", "1" + "0" * 21, "a number of workers from 1 to 1024"),
        pytest.param("--parallel", "0", "a number of workers from 1 to 1024"),
        pytest.param("--timeout", "inf", "at most 31536000 (a year)"),
        pytest.param("--timeout", "nan", "at most 31536000 (a year)"),
        pytest.param("--test-timeout", "1e308", "at most 31536000 (a year)"),
    ],
)
def test_huge_run_options_are_usage_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str, value: str, fragment: str
) -> None:
    """covgap run's --parallel, --timeout and --test-timeout have ranges: beyond them, the
    argument parser's error (exit 2) before any suite starts."""
    (tmp_path / "test_one.py").write_text("def test_one():\n    pass\n")
    code, out, _ = run("run", str(tmp_path), option, value)
    assert code == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert fragment in err and option in err
    assert not (tmp_path / ".covgap").exists() and out == ""


def test_a_pyproject_folder_is_a_usage_error(measured_basic: Path, tmp_path: Path) -> None:
    """A folder named pyproject.toml is reported, not silently taken for no settings."""
    project = shutil.copytree(measured_basic, tmp_path / "project")
    (project / "pyproject.toml").unlink()
    (project / "pyproject.toml").mkdir()
    code, _, err = run("plan", str(project))
    assert code == ExitCode.USAGE_ERROR
    assert_one_error_line(err, "pyproject.toml: is a folder, not a file")


def test_an_edited_json_summary_cannot_pass_a_gate(measured_basic: Path, tmp_path: Path) -> None:
    """`num_statements = 10**300` in a coverage.json made `check --fail-under 99` pass: now it is
    exit 3 naming the file and the field."""
    report = coverage_json(measured_basic)
    name = next(path for path, entry in report["files"].items() if entry["missing_lines"])
    report["files"][name]["summary"]["num_statements"] = 10**300
    data = tmp_path / "coverage.json"
    data.write_text(json.dumps(report))
    code, out, err = run("check", str(measured_basic), "--data", str(data), "--fail-under", "99")
    assert code == ExitCode.DATA_ERROR
    assert_one_error_line(err, f"{data}: ", f"files[{name!r}]: summary num_statements is 1000")
    assert "passed" not in out


def _unreadable(path: Path, how: str) -> None:
    if how == "folder":
        path.unlink()
        path.mkdir()
    else:
        path.chmod(0)


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        pytest.param("folder", "Is a directory", id="a-folder-in-its-place"),
        pytest.param(
            "permissions",
            "Permission denied",
            id="no-read-permission",
            marks=pytest.mark.skipif(
                not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads every file"
            ),
        ),
    ],
)
def test_an_unreadable_source_is_not_called_missing(
    basic_copy: Path, how: str, reason: str
) -> None:
    """A measured source that is there but cannot be read says so (it said "not found on this
    disk", and pointed at [paths]); under ignore_errors it is skipped with a note."""
    source = basic_copy / "src" / "inventory" / "pricing.py"
    _unreadable(source, how)
    try:
        code, _, err = run("plan", str(basic_copy), "--no-cache")
        assert code == ExitCode.DATA_ERROR
        assert_one_error_line(err, f"pricing.py: source cannot be read ({reason})", "readable")
        assert "not found on this disk" not in err
        (basic_copy / ".coveragerc").write_text(
            "[run]\nbranch = true\n[report]\nignore_errors = true\n"
        )
        code, out, err = run("plan", str(basic_copy), "--format", "json", "--output", "-")
        assert code == ExitCode.OK, err
        notes = json.loads(out)["notes"]
        assert any(f"source cannot be read ({reason}); skipped" in note for note in notes), notes
    finally:
        if how == "permissions":
            source.chmod(0o644)


def test_a_read_only_history(basic_copy: Path, tmp_path: Path) -> None:
    """A read-only .covgap/: `covgap history` and check's ratchet read the history; `plan
    --record` writes the reports, then exits 4 with one line (it said exit 3, and nothing could
    be read)."""
    for _ in range(2):
        code, _, err = run("plan", str(basic_copy), "--record", "--no-cache", "--format", "md")
        assert code == ExitCode.OK, err
    history = basic_copy / ".covgap" / "history.db"
    before = history.read_bytes()
    # Sources that differ from the snapshots': the ratchet then compares with the last one.
    with (basic_copy / "src" / "inventory" / "stock.py").open("a") as source:
        source.write("# edited since\n")
    output = tmp_path / "out"
    with read_only(basic_copy / ".covgap"):
        code, out, err = run("history", str(basic_copy))
        assert code == ExitCode.OK, err
        assert "2 snapshots" in out
        code, out, err = run("check", str(basic_copy), "--no-cache")
        assert code == ExitCode.OK, err
        assert "ratchet" in out and "no baseline" not in out
        code, out, err = run("plan", str(basic_copy), "--record", "--output", str(output))
        assert code == ExitCode.OUTPUT_ERROR
        assert_one_error_line(err, "history.db: snapshot not recorded: ", "read-only")
        assert (output / "plan.json").exists()
    assert history.read_bytes() == before


# -- a full disk under the cache -----------------------------------------------------------------

#: covgap's main() in a child whose files cannot grow beyond a size: RLIMIT_FSIZE, with SIGXFSZ
#: ignored so that a write past it fails (EFBIG) instead of killing the process.
_LIMITED_CHILD = """
import resource, signal, sys
from covgap.cli import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
sys.exit(main(sys.argv[2:]))
"""


def _plan_json(project: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run("plan", str(project), "--format", "json", "--output", "-", *args)
    return code, (json.loads(out) if out else {}), err


def _plan_json_with_file_size_limit(
    project: Path, limit: int, *args: str
) -> tuple[int, dict[str, Any], str]:
    """The plan from a child process that may write no file beyond ``limit`` bytes (stdout is a
    pipe, which the limit does not touch)."""
    argv = ["plan", str(project), "--format", "json", "--output", "-", *args]
    child = subprocess.run(
        [sys.executable, "-c", _LIMITED_CHILD, str(limit), *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=False,
    )
    return child.returncode, (json.loads(child.stdout) if child.stdout else {}), child.stderr


def _same_plan(view: dict[str, Any], expected: dict[str, Any]) -> bool:
    return all(view[key] == expected[key] for key in ("totals", "files", "plan", "top_functions"))


def test_a_full_disk_while_the_cache_is_written_is_a_note(basic_copy: Path) -> None:
    """The disk under .covgap/ is full when new entries go into the cache: the plan is the same
    as without a cache, and a note says the cache was not updated. The disk is a real 1 MB
    filesystem, filled up, when this process may mount one (root); otherwise the full disk is
    simulated by a file size limit (RLIMIT_FSIZE) at the cache's present size."""
    covgap_dir = basic_copy / ".covgap"
    code, _, err = _plan_json(basic_copy)  # fills the cache
    assert code == ExitCode.OK, err
    cache = (covgap_dir / "cache.sqlite3").read_bytes()
    pyproject = basic_copy / "pyproject.toml"  # new risk assessments to cache in the last run
    pyproject.write_text(
        pyproject.read_text() + '[tool.covgap]\nextend-critical-patterns = ["stock"]\n'
    )
    code, expected, err = _plan_json(basic_copy, "--no-cache")
    assert code == ExitCode.OK, err
    shutil.rmtree(covgap_dir)
    with small_filesystem(covgap_dir, "1m") as mounted:
        (covgap_dir / "cache.sqlite3").write_bytes(cache)
        if mounted:
            with contextlib.suppress(OSError), (covgap_dir / "filler").open("wb", 0) as filler:
                while True:  # until the disk is full: ENOSPC
                    filler.write(b"\0" * 4096)
            code, view, err = _plan_json(basic_copy)
        else:
            code, view, err = _plan_json_with_file_size_limit(basic_copy, len(cache))
    assert code == ExitCode.OK, err
    assert err == ""
    assert _same_plan(view, expected)
    notes = [*view["notes"], *view["risk"]["notes"]]
    assert any("cache.sqlite3: cache not updated (" in note for note in notes), notes


def test_a_cache_cut_short_by_a_full_disk_is_not_taken_for_another_programs(
    basic_copy: Path,
) -> None:
    """A disk that fills while the cache is created leaves no half-made file that later runs
    call "not a covgap cache": the creation is one transaction. (A real 24 kB filesystem when
    this process may mount one; otherwise a 24 kB file size limit, simulated.)"""
    covgap_dir = basic_copy / ".covgap"
    with small_filesystem(covgap_dir, "24k") as mounted:
        if mounted:
            code, view, err = _plan_json(basic_copy)
        else:
            code, view, err = _plan_json_with_file_size_limit(basic_copy, 24 * 1024)
        assert code == ExitCode.OK, err
        assert any("cache unusable" in note for note in view["notes"]), view["notes"]
        left = (covgap_dir / "cache.sqlite3").read_bytes()
    (covgap_dir / "cache.sqlite3").write_bytes(left)  # now on a disk with room
    code, view, err = _plan_json(basic_copy)
    assert code == ExitCode.OK, err
    assert view["notes"] == []  # no "not a covgap cache; left untouched"
    with contextlib.closing(sqlite3.connect(covgap_dir / "cache.sqlite3")) as database:
        assert database.execute("SELECT count(*) FROM result").fetchone() == (4,)


# -- standard output -----------------------------------------------------------------------------


def _covgap(*args: str, **popen: Any) -> subprocess.Popen[str]:
    """covgap in a child process of its own, with this process's import path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **popen.pop("env", {})}
    return subprocess.Popen(
        [sys.executable, "-m", "covgap", *args], text=True, env=env, stderr=subprocess.PIPE, **popen
    )


def test_a_reader_that_stops_reading_ends_covgap_quietly(measured_basic: Path) -> None:
    """`covgap plan --format json --output - | head -c1`: no traceback, no message, and the exit
    status of a process stopped by SIGPIPE (141); it was "internal error: BrokenPipeError"."""
    child = _covgap(
        "plan", str(measured_basic), "--format", "json", "--output", "-", stdout=subprocess.PIPE
    )
    assert child.stdout is not None
    child.stdout.close()  # the reader is gone before covgap writes
    _, err = child.communicate(timeout=120)
    assert child.returncode == 141
    assert err == ""


def test_a_closed_stdout_is_one_line(measured_basic: Path) -> None:
    """Started with standard output closed (`>&-`): exit 4 and one line, before any work."""
    child = _covgap(
        "plan",
        str(measured_basic),
        "--format",
        "json",
        "--output",
        "-",
        preexec_fn=lambda: os.close(1),  # in the child, before Python starts there
    )
    _, err = child.communicate(timeout=120)
    assert child.returncode == ExitCode.OUTPUT_ERROR
    assert_one_error_line(err, "standard output is closed")


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "PYTHONUNBUFFERED"])
def test_stdout_on_a_full_disk(measured_basic: Path, tmp_path: Path, unbuffered: str) -> None:
    """plan.json to a file on a disk that fills (16 kB free, the report is larger): exit 4 and
    one line; it was exit 0 with the report cut short when Python's stdout was unbuffered. A real
    16 kB filesystem when this process may mount one; otherwise (simulated) a 16 kB file size
    limit (RLIMIT_FSIZE) on the child."""
    args = ["plan", str(measured_basic), "--no-cache", "--format", "json", "--output", "-"]
    env = {"PYTHONUNBUFFERED": unbuffered}
    disk = tmp_path / "disk"
    with small_filesystem(disk, "16k") as mounted, (disk / "plan.json").open("w") as target:
        if mounted:
            child = _covgap(*args, stdout=target, env=env)
        else:
            child = subprocess.Popen(
                [sys.executable, "-c", _LIMITED_CHILD, str(16 * 1024), *args],
                text=True,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **env},
                stdout=target,
                stderr=subprocess.PIPE,
            )
        _, err = child.communicate(timeout=120)
    assert child.returncode == ExitCode.OUTPUT_ERROR, err
    assert_one_error_line(err, "standard output: cannot write: ")


# -- option typos and out-of-range arguments ------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["run", "--paralel", "4"], "(did you mean `--parallel`?)", id="run"),
        pytest.param(["check", "--fail-undr", "80"], "(did you mean `--fail-under`?)", id="check"),
        pytest.param(["plan", "--targt=90"], "(did you mean `--target`?)", id="with-value"),
        pytest.param(
            ["run", "--paralel", "--timout", "5"],
            "(did you mean `--parallel` or `--timeout`?)",
            id="two-typos",
        ),
        pytest.param(["--verison"], "(did you mean `--version`?)", id="no-command"),
        pytest.param(
            ["plan", "--zzzzzz"], "unrecognized arguments: --zzzzzz\n", id="nothing-close"
        ),
    ],
)
def test_an_option_typo_gets_the_option_meant(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    """An unknown option is the command's own usage error (exit 2), with the option meant when
    one is close."""
    code, _, _ = run(*argv)
    assert code == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert expected in err
    command = argv[0] if not argv[0].startswith("-") else ""
    assert f"usage: covgap {command}".rstrip() in err


def test_a_huge_history_limit_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`covgap history --limit 10**21` was "internal error: OverflowError"."""
    code, _, _ = run("history", str(tmp_path), "--limit", "1" + "0" * 21)
    assert code == ExitCode.USAGE_ERROR
    assert "--limit: must be a whole number from 1 to 1000000000" in capsys.readouterr().err


def test_no_usable_temporary_folder_is_one_line(
    measured_basic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When tempfile finds no folder to write in (every candidate full or read-only), one line
    and exit 4, not an internal error. Simulated: the standard library's own error is raised
    by its folder lookup, as a machine whose TMPDIR, /tmp, /var/tmp and working folder are all
    full would make it (that machine cannot be made here without hiding /tmp from every test)."""
    import tempfile

    def no_folder() -> str:
        raise FileNotFoundError(2, "No usable temporary directory found in ['/tmp', '/var/tmp']")

    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setattr(tempfile, "_get_default_tempdir", no_folder)
    code, _, err = run("plan", str(measured_basic), "--output", str(tmp_path / "out"))
    assert code == ExitCode.OUTPUT_ERROR
    assert_one_error_line(err, "no usable temporary folder: TMPDIR, /tmp, /var/tmp and the")
    assert not (tmp_path / "out").exists()
