"""Loading ``coverage json`` reports: format 3 carries regions; older formats use the source."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import coverage_json

from covgap.collect.coverage_data import LoadOptions, load_coverage_data
from covgap.collect.coverage_json import load_coverage_json


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
