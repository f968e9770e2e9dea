"""Loading ``coverage json`` reports: format 3 carries regions; older formats use the source."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import coverage_json

from covgap.collect.coverage.coverage_data import LoadOptions, load_coverage_data
from covgap.collect.coverage.coverage_json import load_coverage_json
from covgap.errors import DataError


def test_format_3_equals_coverage_json(measured_basic: Path, equals_coverage_json) -> None:
    """Every number of a format-3 report is taken as coverage.py wrote it."""
    report = coverage_json(measured_basic)
    path = measured_basic / "report.json"
    path.write_text(json.dumps(report))
    project = load_coverage_json(path, measured_basic)
    equals_coverage_json(project, report)
    assert project.coverage_precision == 0
    assert all(f.regions_known for f in project.files)


def test_json_and_data_file_agree(measured_basic: Path) -> None:
    """The JSON report and the .coverage file it came from give the same regions and numbers."""
    report = coverage_json(measured_basic)
    path = measured_basic / "report.json"
    path.write_text(json.dumps(report))
    from_json = load_coverage_json(path, measured_basic)
    from_data = load_coverage_data(LoadOptions(project_dir=measured_basic))
    for a, b in zip(from_json.files, from_data.files, strict=True):
        assert a.path == b.path and a.numbers == b.numbers
        assert [
            (r.name, r.start_line, r.numbers, r.missing_lines, r.missing_arcs) for r in a.regions
        ] == [(r.name, r.start_line, r.numbers, r.missing_lines, r.missing_arcs) for r in b.regions]


def test_format_3_before_start_lines(measured_basic: Path, tmp_path: Path) -> None:
    """coverage.py 7.6 to 7.13 wrote format 3 without the functions' start lines: the same
    regions and numbers, each function starting at its def line as coverage.py's region finder
    gives it (its first line without the source), the module at 1."""
    report = coverage_json(measured_basic)
    starts = {
        (path, name): data["start_line"]
        for path, entry in report["files"].items()
        for name, data in entry["functions"].items()
    }
    for entry in report["files"].values():
        for data in [*entry["functions"].values(), *entry["classes"].values()]:
            data.pop("start_line", None)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(report))
    project = load_coverage_json(path, measured_basic)
    assert len(project.files) > 1
    for file in project.files:
        functions = report["files"][file.path]["functions"]
        for region in file.regions:
            assert region.start_line == starts[file.path, region.name], (file.path, region.name)
            assert region.numbers.statements == functions[region.name]["summary"]["num_statements"]
    elsewhere = tmp_path / "no-sources"
    elsewhere.mkdir()
    for file in load_coverage_json(path, elsewhere).files:
        functions = report["files"][file.path]["functions"]
        for region in file.regions:
            data = functions[region.name]
            lines = data["executed_lines"] + data["missing_lines"] + data["excluded_lines"]
            assert region.start_line == (min(lines) if region.name and lines else 1)


def test_lines_that_ran_but_are_not_statements(measured_basic: Path, tmp_path: Path) -> None:
    """coverage.py before 7.14 listed an excluded line that ran, and line 1 of an empty module
    (Python 3.10 and before run it), among the executed lines: they are not statements, and
    not counted as such; the file is not taken for one changed since measurement."""
    report = coverage_json(measured_basic)
    init = report["files"]["src/inventory/__init__.py"]
    assert init["summary"]["num_statements"] == 0
    init["executed_lines"] = [1]
    init["functions"][""]["executed_lines"] = [1]
    pricing = report["files"]["src/inventory/pricing.py"]
    line = pricing["executed_lines"][0]
    pricing["excluded_lines"].append(line)
    pricing["functions"][""]["excluded_lines"].append(line)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(report))
    loaded = {f.path: f for f in load_coverage_json(path, measured_basic).files}
    assert loaded["src/inventory/__init__.py"].statement_lines == ()
    assert line not in loaded["src/inventory/pricing.py"].statement_lines
    assert all(
        sum(r.numbers.statements for r in f.regions) == f.numbers.statements
        for f in loaded.values()
    )


def _format_2(report: dict) -> dict:
    report = json.loads(json.dumps(report))
    report["meta"]["format"] = 2
    for entry in report["files"].values():
        entry.pop("functions")
        entry.pop("classes")
    return report


def test_format_2_finds_regions_in_the_source(
    measured_basic: Path, tmp_path: Path, equals_coverage_json
) -> None:
    """A report without regions gets coverage.py's regions from the source next to it."""
    report = coverage_json(measured_basic)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(_format_2(report)))
    project = load_coverage_json(path, measured_basic)
    equals_coverage_json(project, report)
    assert project.notes == ()


def test_format_2_without_source_is_one_region_per_file(
    measured_basic: Path, tmp_path: Path
) -> None:
    """No regions and no source: each file is one region, and the report says why."""
    report = _format_2(coverage_json(measured_basic))
    path = tmp_path / "old.json"
    path.write_text(json.dumps(report))
    project = load_coverage_json(path, tmp_path)
    assert all(not f.regions_known and len(f.regions) == 1 for f in project.files)
    assert project.totals.percent_covered == report["totals"]["percent_covered"]
    assert all(
        "predates format 3 and the source not found" in (f.regions_note or "")
        for f in project.files
    )


def _first_file_with_gaps(report: dict) -> dict:
    return next(entry for entry in report["files"].values() if entry["missing_lines"])


def _set(field: str, value: object) -> Callable[[dict], None]:
    def edit(report: dict) -> None:
        _first_file_with_gaps(report)["summary"][field] = value

    return edit


def _set_consistent_branches(report: dict) -> None:
    """num_branches and covered_branches edited together: bounded by the statements."""
    summary = _first_file_with_gaps(report)["summary"]
    summary["num_branches"] = 10**300
    summary["covered_branches"] = 10**300 - summary["missing_branches"]


def _set_line(report: dict) -> None:
    _first_file_with_gaps(report)["missing_lines"][0] = -4


def _set_function_start(report: dict) -> None:
    entry = _first_file_with_gaps(report)
    next(iter(entry["functions"].values()))["start_line"] = 10**30


def _set_format(value: object) -> Callable[[dict], None]:
    def edit(report: dict) -> None:
        report["meta"]["format"] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        # passed `check --fail-under 99` before covgap checked the counts
        pytest.param(
            _set("num_statements", 10**300),
            "summary num_statements is 1000000000000000000000000000000000000... but the line "
            "lists hold",
            id="huge-statements",
        ),
        # printed "total -46.0%"
        pytest.param(_set("num_statements", -5), "summary num_statements is -5, not a count"),
        pytest.param(
            _set("missing_lines", 0), "summary missing_lines is 0 but missing_lines lists"
        ),
        pytest.param(_set("num_statements", 7.5), "summary num_statements is 7.5, not a count"),
        pytest.param(_set("num_statements", True), "summary num_statements is True, not a count"),
        pytest.param(_set("missing_branches", 99), "summary missing_branches is 99 but"),
        pytest.param(_set_consistent_branches, "(what", id="branches-beyond-the-statements"),
        pytest.param(_set("covered_branches", 0), "summary covered_branches is 0 but"),
        pytest.param(_set_line, "missing_lines has -4, not a line number", id="negative-line"),
        pytest.param(_set_function_start, "start_line has 10000", id="function-start"),
        pytest.param(
            _set_format(99), "written in JSON format 99; this covgap reads formats up to 3"
        ),
        pytest.param(_set_format("three"), "meta.format is 'three', not a format number"),
    ],
)
def test_impossible_reports_are_refused(
    measured_basic: Path, tmp_path: Path, edit: Callable[[dict], None], fragment: str
) -> None:
    """A report whose counts are not counts, or contradict its line lists, or of an unknown
    format, is a DataError naming the file and the field (exit 3)."""
    report = coverage_json(measured_basic)
    edit(report)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    with pytest.raises(DataError) as raised:
        load_coverage_json(path, measured_basic)
    assert fragment in raised.value.message
    assert raised.value.path == str(path)
    assert raised.value.exit_code == 3


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param(b'{"meta": {"x": NaN}, "files": {}}', "NaN is not a JSON number", id="nan"),
        pytest.param(
            b'{"meta": {"x": -Infinity}, "files": {}}', "-Infinity is not a JSON number", id="inf"
        ),
        pytest.param(b'{"meta": {"x": 1e400}, "files": {}}', "1e400 is out of range", id="1e400"),
        pytest.param(
            b'{"meta": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
            "nested too deeply to be read",
            id="200000-deep",
        ),
        pytest.param(
            '{"meta": {}, "files": {}}'.encode("utf-16"),
            "JSON in UTF-16 or UTF-32 is not supported",
            id="utf-16",
        ),
    ],
)
def test_unreadable_json_is_refused(tmp_path: Path, text: bytes, fragment: str) -> None:
    """What is not JSON as coverage.py writes it is one DataError naming the file."""
    path = tmp_path / "report.json"
    path.write_bytes(text)
    with pytest.raises(DataError, match=re.escape(fragment)) as raised:
        load_coverage_json(path, tmp_path)
    assert raised.value.path == str(path)
