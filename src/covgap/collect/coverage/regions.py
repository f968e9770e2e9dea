"""Split coverage.py's analysis of a file into function regions exactly as ``coverage json``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import coverage
from coverage.plugin import CodeRegion
from coverage.results import Analysis, AnalysisNarrower, format_lines

from covgap.model import MODULE_REGION, FileCoverage, Numbers, Region

__all__ = ["file_from_analysis", "json_names", "missing_ranges", "numbers_from_analysis"]

#: coverage.py 7.17.3 gave repeated function names a suffix in its JSON report; before, a later
#: function of the same name replaced the earlier one there.
_FIRST_KEEPS_THE_NAME = coverage.version_info >= (7, 17, 3)


def json_names(functions: Sequence[tuple[str, int, bool]]) -> list[str]:
    """The keys ``coverage json`` (of the installed coverage.py) gives these functions.

    ``functions`` are (name, start line, has statements) in source order. Since coverage.py
    7.17.3 the first same-named function with statements keeps the name and the others get
    ``@start``; before, the last one kept it (the others were lost from its report; covgap keeps
    them as ``name@start``).
    """
    if not _FIRST_KEEPS_THE_NAME:
        last = {name: index for index, (name, _, _) in enumerate(functions)}
        return [
            name if last[name] == index else f"{name}@{start}"
            for index, (name, start, _) in enumerate(functions)
        ]
    with_statements = {name for name, _, has_statements in functions if has_statements}
    names: list[str] = []
    used: set[str] = set()
    for name, start, has_statements in functions:
        if name in used or (name in with_statements and not has_statements):
            name = f"{name}@{start}"
        used.add(name)
        names.append(name)
    return names


def numbers_from_analysis(analysis: Analysis) -> Numbers:
    nums = analysis.numbers
    return Numbers(
        statements=nums.n_statements,
        missing_statements=nums.n_missing,
        branches=nums.n_branches,
        missing_branches=nums.n_missing_branches,
    )


def missing_ranges(statement_lines: Iterable[int], missing_lines: Iterable[int]) -> str:
    """Missing lines as compact ranges ("12-18, 25"), joined across non-statement lines."""
    return format_lines(statement_lines, missing_lines)


def _missing_arcs(analysis: Analysis) -> tuple[tuple[int, int], ...]:
    return tuple(
        (line, destination)
        for line, destinations in sorted(analysis.missing_branch_arcs().items())
        for destination in sorted(destinations)
    )


def _region(name: str, start: int, end: int, analysis: Analysis) -> Region:
    return Region(
        name=name,
        start_line=start,
        end_line=end,
        numbers=numbers_from_analysis(analysis),
        statement_lines=tuple(sorted(analysis.statements)),
        missing_lines=tuple(sorted(analysis.missing)),
        missing_arcs=_missing_arcs(analysis) if analysis.has_arcs else (),
    )


def file_from_analysis(
    path: str,
    analysis: Analysis,
    code_regions: Iterable[CodeRegion],
    num_lines: int,
) -> FileCoverage:
    """A FileCoverage whose regions are coverage.py's "functions" plus the module-level code.

    This mirrors coverage.py's JsonReporter.report_one_file for the "function" kind, so names
    (``Class.method``, ``name@line`` for repeats, "" for module level) and every count equal the
    "functions" section of ``coverage json``.
    """
    functions = sorted((r for r in code_regions if r.kind == "function"), key=lambda r: r.start)
    outside_lines = set(range(1, num_lines + 1))
    for region in functions:
        outside_lines -= region.lines

    narrower = AnalysisNarrower(analysis)
    narrower.add_regions(r.lines for r in functions)
    narrower.add_regions([outside_lines])

    narrowed = [(r, narrower.narrow(r.lines)) for r in functions]
    names = json_names([(r.name, r.start, bool(a.numbers.n_statements)) for r, a in narrowed])
    regions: list[Region] = []
    for (code_region, region_analysis), name in zip(narrowed, names, strict=True):
        end = max(code_region.lines, default=code_region.start)
        regions.append(_region(name, code_region.start, end, region_analysis))

    module_analysis = narrower.narrow(outside_lines)
    module = _region(
        MODULE_REGION, min(outside_lines, default=1), max(num_lines, 1), module_analysis
    )
    return FileCoverage(
        path=path,
        numbers=numbers_from_analysis(analysis),
        statement_lines=tuple(sorted(analysis.statements)),
        missing_lines=tuple(sorted(analysis.missing)),
        missing_arcs=_missing_arcs(analysis) if analysis.has_arcs else (),
        regions=(module, *regions),
    )
