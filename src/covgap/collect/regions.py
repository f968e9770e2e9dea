"""Split coverage.py's analysis of a file into function regions exactly as ``coverage json``."""

from __future__ import annotations

from collections.abc import Iterable

from coverage.plugin import CodeRegion
from coverage.results import Analysis, AnalysisNarrower, format_lines

from covgap.model import MODULE_REGION, FileCoverage, Numbers, Region

__all__ = ["file_from_analysis", "missing_ranges", "numbers_from_analysis"]


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
    # Like coverage's JSON and LCOV reports: the first same-named region with statements keeps
    # the plain name, the others get "@start".
    names_with_statements = {r.name for r, a in narrowed if a.numbers.n_statements}
    regions: list[Region] = []
    used: set[str] = set()
    for code_region, region_analysis in narrowed:
        name = code_region.name
        if name in used or (
            name in names_with_statements and not region_analysis.numbers.n_statements
        ):
            name += f"@{code_region.start}"
        used.add(name)
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
