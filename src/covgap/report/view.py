"""The view: one versioned dict that every output format renders; ``plan.json`` is this dict.

Every number a report shows is computed here, once. Where parts of a table must add up to a
total that is shown (the gains per folder), the parts are rounded with the largest-remainder
method so that they add up to the displayed total to the last digit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from coverage.results import format_lines

from covgap import __version__
from covgap.analyze.planning import format_percent
from covgap.model import FileGap, FolderGain, FunctionGap, Numbers, Phase, PlanResult, Region

__all__ = ["FORMAT_VERSION", "apportion", "build_view"]

# The version of the view dict, and so of plan.json (schema: docs/plan.schema.json).
# 1: first version.
FORMAT_VERSION = 1

#: How many folders the gains table lists before it folds the rest into one row.
GAINS_ROWS = 15


def apportion(values: Sequence[Fraction], total: str, precision: int) -> list[str]:
    """Round ``values`` to ``precision`` digits so that they add up to ``total`` exactly.

    Largest-remainder rounding: floor every value, then give the missing last-digit units to
    the values that lost the most. ``total`` is the already displayed sum.
    """
    scale = 10**precision
    scaled = [value * scale for value in values]
    units = [math.floor(value) for value in scaled]
    wanted = int((Decimal(total) * scale).to_integral_value())
    shortfall = wanted - sum(units)
    order = sorted(range(len(values)), key=lambda i: (-(scaled[i] - units[i]), -scaled[i], i))
    index = 0
    while shortfall > 0 and order:
        units[order[index % len(order)]] += 1
        shortfall -= 1
        index += 1
    for i in reversed(order):  # the displayed total was clamped below the exact sum
        while shortfall < 0 and units[i] > 0:
            units[i] -= 1
            shortfall += 1
    return [_fixed(Decimal(unit) / scale, precision) for unit in units]


def _fixed(value: Decimal, precision: int) -> str:
    return f"{value:.{precision}f}"


def _points(value: Fraction, precision: int) -> str:
    """A number of points (not a percentage, so no clamping), rounded half-even like round()."""
    return f"{round(float(value), precision):.{precision}f}"


def _numbers(numbers: Numbers, precision: int) -> dict[str, Any]:
    return {
        "statements": numbers.statements,
        "missing_statements": numbers.missing_statements,
        "branches": numbers.branches,
        "missing_branches": numbers.missing_branches,
        "percent_covered": numbers.percent_covered,
        "percent_covered_display": format_percent(numbers.percent_covered, precision),
    }


def _arc_text(arc: tuple[int, int]) -> str:
    line, destination = arc
    if destination < 0:
        return f"{line}->exit"
    if destination == 0:
        return f"{line}->?"
    return f"{line}->{destination}"


def _region(
    region: Region, gap: FunctionGap | None, precision: int, impact_digits: int
) -> dict[str, Any]:
    return {
        "name": region.name,
        "display_name": region.display_name,
        "kind": region.kind,
        "start_line": region.start_line,
        "end_line": region.end_line,
        **_numbers(region.numbers, precision),
        "missing_ranges": gap.missing_ranges
        if gap
        else format_lines(region.statement_lines, region.missing_lines),
        "missing_branch_arcs": [_arc_text(arc) for arc in region.missing_arcs],
        "impact": float(gap.impact) if gap else 0.0,
        "impact_display": _points(gap.impact, impact_digits)
        if gap
        else _points(Fraction(0), impact_digits),
        "priority": gap.priority if gap else None,
    }


def _file(
    file_gap: FileGap, gaps: dict[tuple[str, str], FunctionGap], precision: int, impact_digits: int
) -> dict[str, Any]:
    file = file_gap.file
    return {
        "path": file.path,
        **_numbers(file.numbers, precision),
        "tier": file_gap.tier,
        "impact": float(file_gap.impact),
        "impact_display": _points(file_gap.impact, impact_digits),
        "impact_to_target": float(file_gap.impact_to_target),
        "impact_to_target_display": _points(file_gap.impact_to_target, impact_digits),
        "missing_ranges": file_gap.missing_ranges,
        "regions_known": file.regions_note is None,
        "regions_note": file.regions_note,
        "functions": [
            _region(region, gaps.get((file.path, region.name)), precision, impact_digits)
            for region in file.regions
        ],
    }


def _item(item: FunctionGap, precision: int, impact_digits: int) -> dict[str, Any]:
    return {
        "path": item.path,
        "function": item.region.name,
        "display_name": item.region.display_name,
        "start_line": item.region.start_line,
        "priority": item.priority,
        "gap": item.region.numbers.gap,
        "missing_statements": item.region.numbers.missing_statements,
        "missing_branches": item.region.numbers.missing_branches,
        "percent_covered_display": format_percent(item.region.numbers.percent_covered, precision),
        "impact": float(item.impact),
        "impact_display": _points(item.impact, impact_digits),
        "missing_ranges": item.missing_ranges,
    }


def _phase(
    phase: Phase, previous_display: str, precision: int, coverage_precision: int, impact_digits: int
) -> dict[str, Any]:
    projected_display = format_percent(phase.projected_percent, precision)
    return {
        "number": phase.number,
        "milestone": float(phase.milestone),
        "milestone_display": format_percent(phase.milestone, precision),
        "projected_percent": phase.projected_percent,
        "projected_percent_display": projected_display,
        "gain_display": _fixed(Decimal(projected_display) - Decimal(previous_display), precision),
        "fail_under": float(phase.fail_under),
        "fail_under_display": _fixed(
            Decimal(phase.fail_under.numerator) / phase.fail_under.denominator, coverage_precision
        ),
        "functions": len(phase.items),
        "gap_closed": phase.gap_closed,
        "items": [_item(item, precision, impact_digits) for item in phase.items],
    }


def _gains(
    gains: Sequence[FolderGain],
    total_units: int,
    now_display: str,
    after_display: str,
    precision: int,
) -> dict[str, Any]:
    rows: list[tuple[str, Numbers, Numbers]] = [
        (g.folder, g.now, g.after) for g in gains[:GAINS_ROWS]
    ]
    rest = gains[GAINS_ROWS:]
    if rest:
        now = sum((g.now for g in rest), Numbers())
        after = sum((g.after for g in rest), Numbers())
        rows.append((f"({len(rest)} other folders)", now, after))
    if not total_units:
        return {"rows": [], "total": {}}
    now_points = apportion(
        [Fraction(100 * n.covered_units, total_units) for _, n, _ in rows], now_display, precision
    )
    after_points = apportion(
        [Fraction(100 * a.covered_units, total_units) for _, _, a in rows], after_display, precision
    )
    out_rows = []
    for (folder, now, after), now_pt, after_pt in zip(rows, now_points, after_points, strict=True):
        out_rows.append(
            {
                "folder": folder,
                "units": now.units,
                "percent_now_display": format_percent(now.percent_covered, precision),
                "percent_after_display": format_percent(after.percent_covered, precision),
                "points_now_display": now_pt,
                "points_after_display": after_pt,
                "gain_display": _fixed(Decimal(after_pt) - Decimal(now_pt), precision),
            }
        )
    return {
        "rows": out_rows,
        "total": {
            "units": total_units,
            "points_now_display": now_display,
            "points_after_display": after_display,
            "gain_display": _fixed(Decimal(after_display) - Decimal(now_display), precision),
        },
    }


def build_view(result: PlanResult) -> dict[str, Any]:
    """The versioned dict behind every report."""
    settings = result.settings
    precision = settings.precision
    impact_digits = max(precision, 2)
    project = result.project
    totals = project.totals
    plan = result.plan
    gaps = {(g.path, g.region.name): g for g in result.functions}
    current_display = format_percent(totals.percent_covered, precision)

    phases = []
    previous = current_display
    for phase in plan.phases:
        phases.append(_phase(phase, previous, precision, project.coverage_precision, impact_digits))
        previous = phases[-1]["projected_percent_display"]
    final_display = previous

    return {
        "format_version": FORMAT_VERSION,
        "generator": {"name": "covgap", "version": __version__},
        "input": {
            "kind": project.input_kind,
            "path": project.input_path,
            "branch_measured": project.branch_measured,
            "coverage_precision": project.coverage_precision,
        },
        "settings": {
            "target": settings.target,
            "milestones": list(settings.milestones),
            "file_target": settings.effective_file_target,
            "skip": list(settings.skip),
            "precision": precision,
            "top": settings.top,
            "tiers": [{"name": name, "from": low} for name, low in settings.tiers],
        },
        "totals": {
            **_numbers(totals, precision),
            "covered_units": totals.covered_units,
            "units": totals.units,
            "files": len(project.files),
        },
        "files": [_file(f, gaps, precision, impact_digits) for f in result.files],
        "top_functions": [
            _item(g, precision, impact_digits) for g in result.functions[: settings.top]
        ],
        "tier_counts": {
            name: sum(1 for f in result.files if f.tier == name) for name, _ in settings.tiers
        },
        "plan": {
            "target": float(plan.target),
            "target_display": format_percent(plan.target, precision),
            "current_display": current_display,
            "gap_display": _fixed(
                max(
                    Decimal(0),
                    Decimal(format_percent(plan.target, precision)) - Decimal(current_display),
                ),
                precision,
            ),
            "reachable": plan.reachable,
            "maximum_percent": float(plan.maximum),
            "maximum_display": format_percent(plan.maximum, precision),
            "milestones_source": plan.milestones_source,
            "final_display": final_display,
            "phases": phases,
            "notes": list(plan.notes),
        },
        "gains": _gains(plan.gains, totals.units, current_display, final_display, precision),
        "notes": list(project.notes),
    }
