"""Sources changed since they were measured, and data measured in another folder: found in every
input format from real coverage.py data, and said in the plan, plan.json and covgap check."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import run_coverage

from covgap.cli import main
from covgap.collect.coverage.staleness import cannot_be_code

PRICING = "src/inventory/pricing.py"


def covgap(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def plan_json(project: Path, *options: str) -> dict:
    code, out, err = covgap(
        "plan", str(project), "--format", "json", "--output", "-", "--no-audit", *options
    )
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize(
    ("source", "lines", "expected"),
    [
        pytest.param(b"x = 1\ny = 2\n", [1, 2], False, id="code"),
        pytest.param(b"x = 1\n\ny = 2\n", [2], True, id="blank"),
        pytest.param(b"x = 1\n   # note\n", [2], True, id="comment"),
        pytest.param(b"x = 1\n", [2], True, id="past-the-end"),
        pytest.param(b"x = (\n  1,\n)\n", [1, 2, 3], False, id="multi-line-statement"),
        pytest.param(b"x = 1\r\n\r\ny = 2\r\n", [3], False, id="crlf"),
        pytest.param(b"x = 1\r\n\r\ny = 2\r\n", [2], True, id="crlf-blank"),
        pytest.param(b"x = 1\n", [0, -1], False, id="entry-and-exit-arcs"),
        # Python 3.10 and before run line 1 of a module without code, and coverage.py records it.
        pytest.param(b"", [1], False, id="empty-module-line-1"),
        pytest.param(b"# only a comment\n", [1], False, id="comment-only-module-line-1"),
        pytest.param(b"# only a comment\n\n", [2], True, id="comment-only-module-line-2"),
        pytest.param(b"", [2], True, id="empty-module-line-2"),
    ],
)
def test_cannot_be_code(source: bytes, lines: list[int], expected: bool) -> None:
    """A line the data names cannot be blank, a comment or past the end of the code it ran."""
    assert cannot_be_code(source, lines) is expected


@pytest.fixture
def measured(tmp_path: Path) -> Path:
    """The basic project measured in its own folder, with its JSON report beside the data."""
    project = Path(shutil.copytree(Path(__file__).parents[2] / "fixtures/projects/basic",
                                   tmp_path / "basic"))  # fmt: skip
    run_coverage(project, "run", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    run_coverage(project, "json", "-q", "-o", "coverage.json")
    return project


def _prepend_blank_lines(path: Path, count: int) -> None:
    path.write_text("\n" * count + path.read_text())


@pytest.mark.parametrize("data", [None, "coverage.json"], ids=["dot-coverage", "json"])
def test_blank_lines_added_after_measurement(measured: Path, data: str | None) -> None:
    """30 blank lines added on top of a measured file: the file is named as changed in the
    notes and in plan.json, and covgap check says so too."""
    before = plan_json(measured, *(["--data", str(measured / data)] if data else []))
    assert before["input"]["changed_files"] == [] and before["input"]["modified_files"] == []
    _prepend_blank_lines(measured / PRICING, 30)
    view = plan_json(measured, *(["--data", str(measured / data)] if data else []))
    assert view["input"]["changed_files"] == [PRICING]
    assert any(
        note.startswith("1 file changed since it was measured") and PRICING in note
        for note in view["notes"]
    ), view["notes"]
    code, out, err = covgap(
        "check", str(measured), "--no-diff", *(["--data", str(measured / data)] if data else [])
    )
    assert code == 0, err
    assert "1 file changed since it was measured" in out


def test_source_written_after_the_data(measured: Path) -> None:
    """A source edited after the data was written, its lines still plausible: named as written
    after the data (a likely change), not as certainly changed."""
    pricing = measured / PRICING
    pricing.write_text(pricing.read_text().replace("return 50", "return 51"))
    later = (measured / ".coverage").stat().st_mtime + 10
    os.utime(pricing, (later, later))
    view = plan_json(measured)
    assert view["input"]["modified_files"] == [PRICING]
    assert view["input"]["changed_files"] == []
    assert any("written after the coverage data was" in note for note in view["notes"])


def test_data_from_another_checkout(measured: Path, tmp_path: Path) -> None:
    """A .coverage copied from another checkout: its files are named as outside the project,
    with the folder they were measured in and the [paths] entry that maps them; churn is not
    asked of git for them; with that entry the same data is this project's."""
    other = Path(shutil.copytree(measured, tmp_path / "other-checkout"))
    (other / "coverage.json").unlink()
    view = plan_json(other)
    assert view["input"]["outside_files"] and all(
        path.startswith(str(measured)) for path in view["input"]["outside_files"]
    )
    note = next(n for n in view["notes"] if "outside this project folder" in n)
    assert f"measured in {measured / 'src' / 'inventory'}" in note
    entry = f'src = ["src/", "{measured / "src"}/"]'
    assert entry in note
    assert "failed" not in json.dumps(view["risk"])  # no `git log` error for outside files
    pyproject = other / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + f"\n[tool.coverage.paths]\n{entry}\n")
    mapped = plan_json(other)
    assert mapped["input"]["outside_files"] == []
    assert {f["path"] for f in mapped["files"]} == {f["path"] for f in plan_json(measured)["files"]}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.timeout(60)
def test_a_source_that_is_a_fifo_is_not_opened(measured: Path) -> None:
    """A measured source replaced by a FIFO is not opened to look for changed lines (it would
    wait for a writer forever): the plan from the JSON report is written all the same."""
    pricing = measured / PRICING
    pricing.unlink()
    os.mkfifo(pricing)
    view = plan_json(measured, "--data", str(measured / "coverage.json"))
    assert PRICING in [file["path"] for file in view["files"]]
    assert view["input"]["changed_files"] == []
