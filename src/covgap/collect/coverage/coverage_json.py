"""Load a ``coverage json`` report; format 3 (coverage.py 7.6+) carries the function regions.

The report's summary counts are checked against its line lists before they are used: a count
that is not a whole number of at least 0, or that its lists contradict, is refused with the
file and the field (a summary edited to ``num_statements = 10**300`` would pass any gate).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from coverage.parser import PythonParser
from coverage.regions import code_regions

from covgap.collect.coverage.line_data import LAST_LINE, BranchInfo, file_from_lines, read_source
from covgap.errors import DataError
from covgap.files import NotRegularFileError, read_bytes
from covgap.inputs import WIDE_BOMS, not_regular
from covgap.model import MODULE_REGION, FileCoverage, Numbers, ProjectCoverage, Region

__all__ = ["load_coverage_json"]

#: The JSON formats of coverage.py that covgap reads ("Version 1" had no format number at all;
#: 2 added ``meta.format``; 3, coverage.py 7.6, the regions).
FORMATS = (1, 2, 3)


#: A percentage as coverage.py displays it: its ``[report] precision`` digits after the point.
_DISPLAY = re.compile(r"\d{1,3}(\.\d{1,20})?")


class _Inconsistent(ValueError):
    """A summary count that is not a count, or that the report's line lists contradict."""


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _count(summary: dict[str, Any], field: str, where: str, *, required: bool = True) -> int:
    if field not in summary and not required:
        return 0
    value = summary[field]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Inconsistent(f"{where}: summary {field} is {_shown(value)}, not a count")
    return value


def _numbers(entry: dict[str, Any], where: str, destinations: int | None = None) -> Numbers:
    """The summary's counts, checked against the entry's line lists.

    Always true of what coverage.py writes: the missing counts are the lengths of the missing
    lists; the statements are the missing ones and some of the executed lines (before 7.x the
    executed list could also hold excluded lines that ran); covered branches are the branches
    less the missing ones. A branch is an exit of a statement to a statement or out of a code
    object, so a statement has at most ``destinations`` (twice the file's statements, plus one)
    exits.
    """
    summary = entry["summary"]
    if not isinstance(summary, dict):
        raise _Inconsistent(f"{where}: summary is not an object")
    statements = _count(summary, "num_statements", where)
    missing = _count(summary, "missing_lines", where)
    branches = _count(summary, "num_branches", where, required=False)
    missing_branches = _count(summary, "missing_branches", where, required=False)
    executed_lines, missing_lines = len(entry["executed_lines"]), len(entry["missing_lines"])
    if missing != missing_lines:
        raise _Inconsistent(
            f"{where}: summary missing_lines is {missing} but missing_lines lists {missing_lines}"
        )
    if not missing <= statements <= executed_lines + missing_lines:
        raise _Inconsistent(
            f"{where}: summary num_statements is {_shown(statements)} but the line lists hold "
            f"{executed_lines + missing_lines} statements"
        )
    arcs = entry.get("missing_branches")
    if arcs is None and branches:
        raise _Inconsistent(
            f"{where}: summary num_branches is {_shown(branches)} but the report has no branch data"
        )
    if arcs is not None and missing_branches != len(arcs):
        raise _Inconsistent(
            f"{where}: summary missing_branches is {_shown(missing_branches)} but "
            f"missing_branches lists {len(arcs)}"
        )
    most = statements * (destinations if destinations is not None else 2 * statements + 1)
    if not missing_branches <= branches <= most:
        raise _Inconsistent(
            f"{where}: summary num_branches is {_shown(branches)}, not from {missing_branches} "
            f"(the missing ones) to {most} (what {statements} statements can have)"
        )
    if "covered_branches" in summary:
        covered = _count(summary, "covered_branches", where)
        if covered != branches - missing_branches:
            raise _Inconsistent(
                f"{where}: summary covered_branches is {_shown(covered)} but num_branches less "
                f"missing_branches is {branches - missing_branches}"
            )
    return Numbers(
        statements=statements,
        missing_statements=missing,
        branches=branches,
        missing_branches=missing_branches,
    )


def _line(value: Any, where: str, field: str, *, exit_allowed: bool = False) -> int:
    """A line number of the report (an arc's destination may be an exit: negative)."""
    valid = isinstance(value, int) and not isinstance(value, bool)
    if valid and not (1 <= value <= LAST_LINE or (exit_allowed and -LAST_LINE <= value < 0)):
        valid = False
    if not valid:
        raise _Inconsistent(f"{where}: {field} has {_shown(value)}, not a line number")
    return int(value)


def _lines(entry: dict[str, Any], field: str, where: str, *, required: bool = True) -> list[int]:
    values = entry[field] if required else entry.get(field, [])
    if not isinstance(values, list):
        raise _Inconsistent(f"{where}: {field} is not a list")
    return [_line(value, where, field) for value in values]


def _executed(
    entry: dict[str, Any], where: str, statements: frozenset[int] | None = None
) -> list[int]:
    """The executed statements. coverage.py before 7.14 listed every line that ran: excluded
    lines, docstrings, line 1 of a module with no statement (an empty ``__init__.py`` runs it on
    Python 3.10 and before). Those are not statements: left out here, as 7.14 leaves them out
    (``statements``: the file's, parsed when its counts show such lines)."""
    executed = _lines(entry, "executed_lines", where)
    summary = entry.get("summary")
    if isinstance(summary, dict) and summary.get("num_statements") == 0:
        return []
    excluded = set(_lines(entry, "excluded_lines", where, required=False))
    return [
        line
        for line in executed
        if line not in excluded and (statements is None or line in statements)
    ]


def _function_lines(source_path: Path) -> list[tuple[int, frozenset[int]]]:
    """Each function of the source as coverage.py's region finder sees it: its def line and
    its lines; none when the source is not here or does not parse."""
    source, _ = read_source(source_path)
    if source is None:
        return []
    try:
        found = code_regions(source)
    except Exception:  # not Python
        return []
    return [(r.start, frozenset(r.lines)) for r in found if r.kind == "function"]


def _parsed_statements(
    entry: dict[str, Any], where: str, project_dir: Path, path: str
) -> frozenset[int] | None:
    """The file's statements by coverage.py's parser, when the report lists more executed and
    missing lines than it counts statements (a report before 7.14); None otherwise, or when the
    source is not here to parse."""
    summary = entry.get("summary")
    listed = len(_executed(entry, where)) + len(_lines(entry, "missing_lines", where))
    if not isinstance(summary, dict) or listed <= summary.get("num_statements", listed):
        return None
    source, _ = read_source(project_dir / path)
    if source is None:
        return None
    try:
        parser = PythonParser(text=source, filename=path)
        parser.parse_source()
    except Exception:  # not Python: the lines stay as the report lists them
        return None
    return frozenset(parser.statements)


def _arc_list(entry: dict[str, Any], field: str, where: str) -> list[tuple[int, int]]:
    values = entry.get(field, [])
    if not isinstance(values, list):
        raise _Inconsistent(f"{where}: {field} is not a list")
    arcs: list[tuple[int, int]] = []
    for value in values:
        if not isinstance(value, list) or len(value) != 2:
            raise _Inconsistent(f"{where}: {field} has {_shown(value)}, not [line, destination]")
        arcs.append(
            (_line(value[0], where, field), _line(value[1], where, field, exit_allowed=True))
        )
    return arcs


def _region(
    name: str,
    entry: dict[str, Any],
    num_lines: int | None,
    where: str,
    destinations: int,
    statements: frozenset[int] | None = None,
    starts: Sequence[tuple[int, frozenset[int]]] = (),
) -> Region:
    where = f"{where} function {name!r}"
    executed = _executed(entry, where, statements)
    missing = _lines(entry, "missing_lines", where)
    excluded = _lines(entry, "excluded_lines", where, required=False)
    if "start_line" in entry:
        start = _line(entry["start_line"], where, "start_line")
    else:
        # Format 3 from coverage.py 7.6 to 7.13 gives no start line: the def line of the
        # innermost function of the source that holds the region's first line, as coverage.py
        # finds it; without the source, that first line (the def line is its parent's).
        lines = [*executed, *missing, *excluded]
        start = 1 if name == MODULE_REGION or not lines else min(lines)
        if name != MODULE_REGION and lines and starts:
            holding = [(len(held), first) for first, held in starts if start in held]
            start = min(holding)[1] if holding else start
    if name == MODULE_REGION and num_lines is not None:
        end = num_lines
    else:
        end = max([start, *executed, *missing, *excluded])
    return Region(
        name=name,
        start_line=start,
        end_line=end,
        numbers=_numbers(entry, where, destinations),
        statement_lines=tuple(sorted(executed + missing)),
        missing_lines=tuple(sorted(missing)),
        missing_arcs=tuple(sorted(_arc_list(entry, "missing_branches", where))),
    )


def _file_without_regions(path: str, entry: dict[str, Any], project_dir: Path) -> FileCoverage:
    """A file from a report older than format 3: regions from the source, when it is here."""
    where = f"files[{path!r}]"
    parsed = _parsed_statements(entry, where, project_dir, path)
    statements = dict.fromkeys(_executed(entry, where, parsed), 1)
    statements.update(dict.fromkeys(_lines(entry, "missing_lines", where), 0))
    exits: dict[int, list[int]] = {}
    missing: dict[int, list[int]] = {}
    for line, destination in _arc_list(entry, "executed_branches", where):
        exits.setdefault(line, []).append(destination)
    for line, destination in _arc_list(entry, "missing_branches", where):
        exits.setdefault(line, []).append(destination)
        missing.setdefault(line, []).append(destination)
    branches = {
        line: BranchInfo(
            len(ends), len(ends) - len(missing.get(line, [])), tuple(missing.get(line, []))
        )
        for line, ends in exits.items()
    }
    numbers = _numbers(entry, where)
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
    return dataclasses.replace(file, numbers=numbers)


def _file(path: str, entry: dict[str, Any], project_dir: Path) -> FileCoverage:
    functions = entry.get("functions")
    if functions is None:
        return _file_without_regions(path, entry, project_dir)
    where = f"files[{path!r}]"
    parsed = _parsed_statements(entry, where, project_dir, path)
    executed = _executed(entry, where, parsed)
    missing = _lines(entry, "missing_lines", where)
    numbers = _numbers(entry, where)
    destinations = 2 * numbers.statements + 1
    last_line = max(
        [1, *executed, *missing, *_lines(entry, "excluded_lines", where, required=False)]
    )
    starts = (
        _function_lines(project_dir / path)
        if any(isinstance(f, dict) and "start_line" not in f for f in functions.values())
        else ()
    )
    regions = tuple(
        sorted(
            (
                _region(name, region, last_line, where, destinations, parsed, starts)
                for name, region in functions.items()
            ),
            key=lambda r: (r.name != MODULE_REGION, r.start_line),
        )
    )
    return FileCoverage(
        path=path,
        numbers=numbers,
        statement_lines=tuple(sorted(executed + missing)),
        missing_lines=tuple(sorted(missing)),
        missing_arcs=tuple(sorted(_arc_list(entry, "missing_branches", where))),
        regions=regions,
    )


def load_coverage_json(path: Path, project_dir: Path, shown: str | None = None) -> ProjectCoverage:
    """Read a JSON report written by ``coverage json``; ``shown`` is the path as given."""
    shown = shown or str(path)
    document = _parse(path, shown)
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
    version = _format(meta, shown)
    try:
        files = tuple(
            _file(name, entry, project_dir) for name, entry in sorted(document["files"].items())
        )
    except _Inconsistent as exc:
        raise DataError(
            f"coverage JSON report with impossible values: {exc}",
            path=shown,
            hint="produce it again with `coverage json`",
            slug="bad-data-file",
        ) from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(
            f"malformed coverage JSON report (format {version}): bad or missing {exc}",
            path=shown,
            slug="bad-data-file",
        ) from exc
    if not files:
        raise DataError(
            "the JSON report lists no files (empty data set)", path=shown, slug="empty-data"
        )
    display = str(totals.get("percent_covered_display", ""))
    if display and not _DISPLAY.fullmatch(display):
        raise DataError(
            f"totals.percent_covered_display is {_shown(display)}, not a percentage as "
            "coverage.py shows it",
            path=shown,
            slug="bad-data-file",
        )
    return ProjectCoverage(
        files=files,
        branch_measured=bool(meta.get("branch_coverage", False)),
        input_kind="coverage-json",
        input_path=shown,
        # The report's own display string shows the precision it was written with.
        coverage_precision=len(display.partition(".")[2]),
    )


def _parse(path: Path, shown: str) -> Any:
    """The JSON document; NaN, infinities and nesting beyond the parser's recursion are errors."""
    try:
        data = read_bytes(path)
    except NotRegularFileError as exc:
        raise not_regular(exc, shown) from exc
    except FileNotFoundError as exc:
        raise DataError("coverage JSON report not found", path=shown, slug="no-data-file") from exc
    except OSError as exc:
        raise DataError(
            f"not a readable JSON file ({exc.strerror})", path=shown, slug="bad-data-file"
        ) from exc
    if data.startswith(WIDE_BOMS) or b"\x00" in data[:1024]:
        raise DataError(
            "JSON in UTF-16 or UTF-32 is not supported: write it in UTF-8",
            path=shown,
            slug="bad-data-file",
        )
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_not_a_number, parse_float=_finite)
    except RecursionError:
        problem = "arrays or objects nested too deeply to be read"
    except ValueError as exc:  # also UnicodeDecodeError, JSONDecodeError, too many digits
        problem = str(exc)
    raise DataError(f"not a readable JSON file ({problem})", path=shown, slug="bad-data-file")


def _not_a_number(text: str) -> float:
    raise ValueError(f"{text} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _format(meta: dict[str, Any], shown: str) -> int:
    """The report's format (1 when it has none); one this covgap does not read is refused."""
    version = meta.get("format", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise DataError(
            f"meta.format is {_shown(version)}, not a format number (coverage.py writes 2 or 3)",
            path=shown,
            slug="bad-data-file",
        )
    if version not in FORMATS:
        raise DataError(
            f"written in JSON format {version}; this covgap reads formats up to {FORMATS[-1]}",
            path=shown,
            hint="give covgap the .coverage file, or a report of coverage.py 7.6 to 7.x",
            slug="bad-data-file",
        )
    return version
