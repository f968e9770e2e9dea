"""Tiers, impact and priority: which files and functions matter most (pure functions).

Regions are ranked by a score: their impact alone, or, with risk assessed (``advise.py``),
coverage points per estimated test weighted by risk. Priorities P0-P3 then follow the ranking
by cumulative share of the gap.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Mapping, Sequence
from fractions import Fraction

from covgap.analyze.advise import RegionKey, risk_score
from covgap.analyze.effort import RISK_WEIGHT, fold_module_code, plan_order
from covgap.collect.coverage.regions import missing_ranges
from covgap.model import (
    Assessment,
    FileCoverage,
    FileGap,
    FunctionGap,
    Priority,
    ProjectCoverage,
    Region,
)

__all__ = [
    "PRIORITY_SHARES",
    "assign_priorities",
    "impact",
    "rank",
    "tier_for",
]

#: Ranked by score, regions take P0 while the gap ranked above them is under 25% of the total
#: gap, P1 under 50%, P2 under 80%, P3 after that.
PRIORITY_SHARES: tuple[tuple[Priority, Fraction], ...] = (
    ("P0", Fraction(1, 4)),
    ("P1", Fraction(1, 2)),
    ("P2", Fraction(4, 5)),
)
_LEVELS: tuple[Priority, ...] = ("P0", "P1", "P2", "P3")


def tier_for(percent: float, tiers: Sequence[tuple[str, float]]) -> str:
    """The name of the highest tier whose lower bound ``percent`` reaches."""
    name = tiers[0][0]
    for tier_name, lowest in tiers:
        if percent >= lowest:
            name = tier_name
    return name


def impact(gap: int, total_units: int) -> Fraction:
    """Points of total coverage that ``gap`` missing units are worth: gap / total units × 100."""
    return Fraction(100 * gap, total_units) if total_units else Fraction(0)


def _units_to_reach(covered: int, units: int, target_percent: float) -> int:
    """Covered units a file needs to reach ``target_percent`` (exactly, no float rounding)."""
    needed = math.ceil(Fraction(str(target_percent)) * units / 100)
    return max(0, needed - covered)


def assign_priorities(regions: Sequence[Region]) -> list[Priority]:
    """P0–P3 for regions already in the plan's order, from their cumulative share of the gap:
    so priorities never go up along the plan."""
    total_gap = sum(region.numbers.gap for region in regions)
    priorities: list[Priority] = []
    gap_above = 0
    level = 0
    for region in regions:
        # share = gap_above / total_gap, compared with each limit in whole numbers (exact, and
        # without a Fraction per region); the share only grows, so the level only goes down.
        while (
            level < len(PRIORITY_SHARES)
            and total_gap
            and (
                gap_above * PRIORITY_SHARES[level][1].denominator
                >= PRIORITY_SHARES[level][1].numerator * total_gap
            )
        ):
            level += 1
        priorities.append(_LEVELS[level])
        gap_above += region.numbers.gap
    return priorities


def rank(
    project: ProjectCoverage,
    tiers: Sequence[tuple[str, float]],
    file_target: float,
    assessments: Mapping[RegionKey, Assessment] | None = None,
    test_files: Collection[str] = frozenset(),
) -> tuple[list[FileGap], list[FunctionGap]]:
    """Files ordered by impact, and every region with a gap in the order the plan follows.

    Without ``assessments``, regions go by impact. With them, in the order that gains the most
    risk-weighted coverage per estimated test, a module's functions sharing its tests
    (``effort.plan_order``); each region's ``score`` is its own value per estimated test
    (``advise.risk_score``). Priorities follow that order (``assign_priorities``).
    ``test_files`` (``analyze/suite_scope.py``) are test code: run, not tested, so none of
    their regions is ranked, and they come after the code under test in the files' order. Every
    impact is still a share of the whole total, test code included, as coverage.py counts it.
    """
    total_units = project.totals.units
    gaps: list[FunctionGap] = []
    for file in project.files:
        if file.path in test_files:
            continue
        for region in file.regions:
            if not region.numbers.gap:
                continue
            region_impact = impact(region.numbers.gap, total_units)
            assessment = _assessment(assessments, file.path, region)
            gaps.append(
                FunctionGap(
                    path=file.path,
                    region=region,
                    impact=region_impact,
                    score=(
                        risk_score(region_impact, assessment)
                        if assessments is not None
                        else float(region_impact)
                    ),
                    priority=None,
                    missing_ranges=missing_ranges(region.statement_lines, region.missing_lines),
                    risk=assessment.risk if assessment else None,
                    complexity=assessment.complexity if assessment else None,
                    effort=assessment.effort if assessment else 1,
                    advice_source=assessment.advice_source if assessment else _no_advice,
                    checks=assessment.checks if assessment else 1,
                    callees=assessment.callees if assessment else (),
                )
            )
    if assessments is None:
        # Impact is the gap over the same total: ordering by the gap orders by impact.
        gaps.sort(key=lambda g: (-g.region.numbers.gap, g.path, g.region.start_line))
    else:
        gaps.sort(key=lambda g: (g.path, g.region.start_line))  # plan_order's ties: stable
        gaps = fold_module_code(plan_order(gaps, _value))
    priorities = assign_priorities([g.region for g in gaps])
    functions = [
        dataclasses.replace(gap, priority=priority)
        for gap, priority in zip(gaps, priorities, strict=True)
    ]
    by_file: dict[str, list[FunctionGap]] = {}
    for function in functions:
        by_file.setdefault(function.path, []).append(function)
    files = [
        _file_gap(f, by_file.get(f.path, []), tiers, file_target, total_units)
        for f in project.files
    ]
    files.sort(key=lambda g: (g.file.path in test_files, -g.file.numbers.gap, g.file.path))
    return files, functions


def _value(gap: FunctionGap) -> float:
    """What covering a region is worth in the plan's order: its missing units, weighted by
    risk (``effort.RISK_WEIGHT``)."""
    risk = gap.risk.score if gap.risk is not None else 0.0
    return gap.region.numbers.gap * (1 + RISK_WEIGHT * risk)


def _no_advice() -> None:
    return None


def _assessment(
    assessments: Mapping[RegionKey, Assessment] | None, path: str, region: Region
) -> Assessment | None:
    if assessments is None:
        return None
    return assessments.get((path, region.start_line, region.name))


def _file_gap(
    file: FileCoverage,
    functions: list[FunctionGap],
    tiers: Sequence[tuple[str, float]],
    file_target: float,
    total_units: int,
) -> FileGap:
    numbers = file.numbers
    return FileGap(
        file=file,
        tier=tier_for(numbers.percent_covered, tiers),
        impact=impact(numbers.gap, total_units),
        impact_to_target=impact(
            _units_to_reach(numbers.covered_units, numbers.units, file_target), total_units
        ),
        file_target=file_target,
        missing_ranges=missing_ranges(file.statement_lines, file.missing_lines),
        functions=tuple(functions),
    )
