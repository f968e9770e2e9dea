"""`covgap combine`: CI shards measured in other checkouts become one data file for the plan."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from conftest import PROJECTS, coverage_json, run_coverage

from covgap.cli import main


def shard(tmp_path: Path, name: str, test: str) -> Path:
    """One CI shard: the project checked out in its own folder, one test module measured."""
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / name / "basic"))
    run_coverage(project, "run", "-m", "pytest", "-q", "-p", "no:cacheprovider", test)
    return project / ".coverage"


def test_shards_from_other_checkouts(tmp_path: Path) -> None:
    """Two shards measured elsewhere, remapped with [paths], equal one full run here."""
    first = shard(tmp_path, "runner-1", "tests/test_pricing.py")
    second = shard(tmp_path, "runner-2", "tests/test_stock.py")
    here = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "here" / "basic"))
    pyproject = here / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + "\n[tool.coverage.paths]\n"
        + 'source = ["src/", "*/runner-1/basic/src/", "*/runner-2/basic/src/"]\n'
    )
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "combine",
            str(first),
            str(second),
            "--project",
            str(here),
            "--output",
            str(here / ".coverage"),
        ],
        stdout=out,
        stderr=err,
    )
    assert code == 0, err.getvalue()
    assert "Combined 2 data files" in out.getvalue()
    assert first.exists() and second.exists(), "inputs are kept"

    full = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "full" / "basic"))
    run_coverage(full, "run", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert coverage_json(here)["totals"] == coverage_json(full)["totals"]


def test_combine_errors(tmp_path: Path) -> None:
    """A missing input or a file that is not coverage data: exit 3, nothing written."""
    out, err = io.StringIO(), io.StringIO()
    assert (
        main(
            [
                "combine",
                str(tmp_path / "nope"),
                "--project",
                str(tmp_path),
                "--output",
                str(tmp_path / "c"),
            ],
            stdout=out,
            stderr=err,
        )
        == 3
    )
    assert "nope: not found" in err.getvalue()
    (tmp_path / "junk").write_text("junk")
    err = io.StringIO()
    assert (
        main(
            [
                "combine",
                str(tmp_path / "junk"),
                "--project",
                str(tmp_path),
                "--output",
                str(tmp_path / "c"),
            ],
            stdout=out,
            stderr=err,
        )
        == 3
    )
    assert "not a coverage.py data file" in err.getvalue()
    assert not (tmp_path / "c").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.timeout(60)
def test_a_fifo_is_refused_unopened(tmp_path: Path) -> None:
    """A FIFO named as an input (coverage.py would wait on it for a writer): exit 3, one line
    naming it, nothing written."""
    os.mkfifo(tmp_path / "pipe")
    out, err = io.StringIO(), io.StringIO()
    argv = ["combine", str(tmp_path / "pipe"), "--project", str(tmp_path)]
    code = main([*argv, "--output", str(tmp_path / "c")], stdout=out, stderr=err)
    assert code == 3
    assert err.getvalue() == f"covgap: error: {tmp_path / 'pipe'}: not a regular file (a FIFO)\n"
    assert not (tmp_path / "c").exists()
