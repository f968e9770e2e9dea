"""Load a ``coverage json`` report; format 3 (coverage.py 7.6+) carries the function regions."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from covgap.collect.files import NotRegularFileError, read_text
from covgap.collect.inputs import not_regular
from covgap.collect.line_data import BranchInfo, file_from_lines, read_source
from covgap.errors import DataError
from covgap.model import MODULE_REGION, FileCoverage, Numbers, ProjectCoverage, Region

__all__ = ["load_coverage_json"]


def _numbers(summary: dict[str, Any]) -> Numbers:
    return Numbers(
        statements=int(summary["num_statements"]),
        missing_statements=int(summary["missing_lines"]),
        branches=int(summary.get("num_branches", 0)),
        missing_branches=int(summary.get("missing_branches", 0)),
    )


def _arcs(entry: dict[str, Any]) -> tuple[tuple[int, int], ...]:
    return tuple(sorted((int(a), int(b)) for a, b in entry.get("missing_branches", [])))


def _region(name: str, entry: dict[str, Any], num_lines: int | None) -> Region:
    executed = [int(n) for n in entry["executed_lines"]]
    missing = [int(n) for n in entry["missing_lines"]]
    excluded = [int(n) for n in entry.get("excluded_lines", [])]
    start = int(entry["start_line"])
    if name == MODULE_REGION and num_lines is not None:
        end = num_lines
    else:
        end = max([start, *executed, *missing, *excluded])
    return Region(
        name=name,
        start_line=start,
        end_line=end,
        numbers=_numbers(entry["summary"]),
        statement_lines=tuple(sorted(executed + missing)),
        missing_lines=tuple(sorted(missing)),
        missing_arcs=_arcs(entry),
    )


def _file_without_regions(path: str, entry: dict[str, Any], project_dir: Path) -> FileCoverage:
    """A file from a report older than format 3: regions from the source, when it is here."""
    statements = {int(n): 1 for n in entry["executed_lines"]}
    statements.update({int(n): 0 for n in entry["missing_lines"]})
    exits: dict[int, list[int]] = {}
    missing: dict[int, list[int]] = {}
    for line, destination in entry.get("executed_branches", []):
        exits.setdefault(int(line), []).append(int(destination))
    for line, destination in entry.get("missing_branches", []):
        exits.setdefault(int(line), []).append(int(destination))
        missing.setdefault(int(line), []).append(int(destination))
    branches = {
        line: BranchInfo(
            len(ends), len(ends) - len(missing.get(line, [])), tuple(missing.get(line, []))
        )
        for line, ends in exits.items()
    }
    source, reason = read_source(project_dir / path)
    file = file_from_lines(
        path,
        statements,
        branches,
        source,
        note_if_unknown=f"functions unknown: the JSON report predates format 3 and the {reason}",
    )
    # The report's own summary stays the file's truth: it also counts the exits of lines marked
    # "no branch" that never ran, which the branch lists leave out.
    return dataclasses.replace(file, numbers=_numbers(entry["summary"]))


def _file(path: str, entry: dict[str, Any], project_dir: Path) -> FileCoverage:
    executed = [int(n) for n in entry["executed_lines"]]
    missing = [int(n) for n in entry["missing_lines"]]
    functions = entry.get("functions")
    if functions is None:
        return _file_without_regions(path, entry, project_dir)
    last_line = max([1, *executed, *missing, *(int(n) for n in entry.get("excluded_lines", []))])
    regions = tuple(
        sorted(
            (_region(name, region, last_line) for name, region in functions.items()),
            key=lambda r: (r.name != MODULE_REGION, r.start_line),
        )
    )
    return FileCoverage(
        path=path,
        numbers=_numbers(entry["summary"]),
        statement_lines=tuple(sorted(executed + missing)),
        missing_lines=tuple(sorted(missing)),
        missing_arcs=_arcs(entry),
        regions=regions,
    )


def load_coverage_json(path: Path, project_dir: Path, shown: str | None = None) -> ProjectCoverage:
    """Read a JSON report written by ``coverage json``; ``shown`` is the path as given."""
    shown = shown or str(path)
    try:
        document = json.loads(read_text(path))
    except NotRegularFileError as exc:
        raise not_regular(exc, shown) from exc
    except FileNotFoundError as exc:
        raise DataError("coverage JSON report not found", path=shown, slug="no-data-file") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(
            f"not a readable JSON file ({exc})", path=shown, slug="bad-data-file"
        ) from exc
    if not isinstance(document, dict) or "files" not in document or "meta" not in document:
        raise DataError(
            "not a coverage.py JSON report (no 'meta' and 'files')",
            path=shown,
            slug="bad-data-file",
        )
    meta, totals = document["meta"], document.get("totals", {})
    if not isinstance(meta, dict) or not isinstance(totals, dict):
        raise DataError(
            "malformed coverage JSON report: 'meta' and 'totals' must be objects",
            path=shown,
            slug="bad-data-file",
        )
    try:
        files = tuple(
            _file(name, entry, project_dir) for name, entry in sorted(document["files"].items())
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(
            f"malformed coverage JSON report (format {meta.get('format', 1)}): "
            f"bad or missing {exc}",
            path=shown,
            slug="bad-data-file",
        ) from exc
    if not files:
        raise DataError(
            "the JSON report lists no files (empty data set)", path=shown, slug="empty-data"
        )
    display = str(totals.get("percent_covered_display", ""))
    return ProjectCoverage(
        files=files,
        branch_measured=bool(meta.get("branch_coverage", False)),
        input_kind="coverage-json",
        input_path=shown,
        # The report's own display string shows the precision it was written with.
        coverage_precision=len(display.partition(".")[2]),
    )
