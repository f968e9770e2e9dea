"""The view: one versioned dict that every output format renders; ``plan.json`` is this dict.

Every number a report shows is computed here, once. Where parts of a table must add up to a
total that is shown (the gains per folder), the parts are rounded with the largest-remainder
method so that they add up to the displayed total to the last digit.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from coverage.results import format_lines

from covgap import __version__
from covgap.analyze.planning import format_percent
from covgap.model import (
    FileCoverage,
    FileGap,
    FolderGain,
    FunctionGap,
    Numbers,
    Phase,
    PlanResult,
    Region,
    Risk,
    TestAdvice,
    TestStrategy,
)
from covgap.report.view_audit import audit_view
from covgap.report.view_suite import health_view, run_view, scope_view, tests_history_view
from covgap.report.view_work import advice_summary, function_names, work_units

__all__ = ["FORMAT_VERSION", "apportion", "build_view"]

# The version of the view dict, and so of plan.json (schema: docs/plan.schema.json).
# 1: first version.
# 2: risk, complexity, effort and test advice per planned function (items); estimated tests
#    per phase; the "risk" section (levels, the riskiest functions, how risk was measured).
# 3: the "audit" section (findings, score by area, inventory and CI in numbers).
# 4: input.changed_files, modified_files and outside_files (sources that no longer match the
#    data, files measured outside the project); run.timed_out and run.verdict (covgap run's exit
#    code for the suite's outcome, and why).
# 5: issue 14: settings.tests_per_day; plan.estimated_tests and estimated_days(_display), per
#    phase the same and units (units of work), estimated module by module; advice.summary,
#    existing, harness, constructor, isolation[].inject; items' runs_with (module-level code
#    folded into its module's first function); risk.functions[].phase; health.failing;
#    suite_scope (test code, the tests that did not run, a partial run); test_strategy.
# 6: tests_history (issue 17): the flaky tests of the recorded test runs with their likely cause
#    and fix, the slowest tests and their share, the tests that became slow, the workers needed.
FORMAT_VERSION = 6

#: How many folders the gains table lists before it folds the rest into one row.
GAINS_ROWS = 15
#: Digits after the decimal point of an estimated number of days.
DAYS_PRECISION = 1


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


def estimated_days(tests: Sequence[int], tests_per_day: float) -> tuple[list[str], str]:
    """Each phase's estimated days and the plan's, as displayed: tests / ``tests_per_day`` at
    DAYS_PRECISION digits (half up), the phases' shares apportioned to add up to the total."""
    rate = Fraction(tests_per_day)
    exact = Fraction(sum(tests)) / rate
    total = (Decimal(exact.numerator) / exact.denominator).quantize(
        Decimal(1).scaleb(-DAYS_PRECISION), rounding=ROUND_HALF_UP
    )
    shown = _fixed(total, DAYS_PRECISION)
    return apportion([Fraction(count) / rate for count in tests], shown, DAYS_PRECISION), shown


def _arc_text(arc: tuple[int, int]) -> str:
    line, destination = arc
    if destination < 0:
        return f"{line}->exit"
    if destination == 0:
        return f"{line}->?"
    return f"{line}->{destination}"


@dataclass(frozen=True)
class _Formatter:
    """Turns model objects into view dicts at the run's precision."""

    precision: int
    coverage_precision: int
    #: Files whose functions are unknown: their one region is the whole file.
    whole_files: frozenset[str]
    #: Files that are test code (never planned).
    test_files: frozenset[str] = frozenset()

    @property
    def impact_digits(self) -> int:
        return max(self.precision, 2)

    def percent(self, value: Fraction | float) -> str:
        return format_percent(value, self.precision)

    def points(self, value: Fraction) -> str:
        """A number of points (not a percentage, so no clamping), rounded like round()."""
        return f"{round(float(value), self.impact_digits):.{self.impact_digits}f}"

    def difference(self, later: str, earlier: str) -> str:
        return _fixed(Decimal(later) - Decimal(earlier), self.precision)

    def display_name(self, path: str, region: Region) -> str:
        return "(whole file)" if path in self.whole_files else region.display_name

    def numbers(self, numbers: Numbers) -> dict[str, Any]:
        return {
            "statements": numbers.statements,
            "missing_statements": numbers.missing_statements,
            "branches": numbers.branches,
            "missing_branches": numbers.missing_branches,
            "percent_covered": numbers.percent_covered,
            "percent_covered_display": self.percent(numbers.percent_covered),
        }

    def region(self, path: str, region: Region, gap: FunctionGap | None) -> dict[str, Any]:
        return {
            "name": region.name,
            "display_name": self.display_name(path, region),
            "kind": region.kind,
            "start_line": region.start_line,
            "end_line": region.end_line,
            **self.numbers(region.numbers),
            "missing_ranges": format_lines(region.statement_lines, region.missing_lines),
            "missing_branch_arcs": [_arc_text(arc) for arc in region.missing_arcs],
            "impact": float(gap.impact) if gap else 0.0,
            "impact_display": self.points(gap.impact if gap else Fraction(0)),
            "priority": gap.priority if gap else None,
        }

    def file(self, file_gap: FileGap, gaps: dict[tuple[str, str], FunctionGap]) -> dict[str, Any]:
        file = file_gap.file
        return {
            "path": file.path,
            "test_code": file.path in self.test_files,
            **self.numbers(file.numbers),
            "tier": file_gap.tier,
            "impact": float(file_gap.impact),
            "impact_display": self.points(file_gap.impact),
            "impact_to_target": float(file_gap.impact_to_target),
            "impact_to_target_display": self.points(file_gap.impact_to_target),
            "missing_ranges": file_gap.missing_ranges,
            "regions_known": file.regions_known,
            "regions_note": file.regions_note,
            "tested_by": [{"module": module, "lines": lines} for module, lines in file.tested_by],
            "functions": [
                self.region(file.path, region, gaps.get((file.path, region.name)))
                for region in file.regions
            ],
        }

    def which(self, item: FunctionGap) -> dict[str, Any]:
        """The keys that name a ranked region, in every list of them."""
        return {
            "path": item.path,
            "function": item.region.name,
            "display_name": self.display_name(item.path, item.region),
            "start_line": item.region.start_line,
            "priority": item.priority,
        }

    def item(self, item: FunctionGap) -> dict[str, Any]:
        numbers = item.region.numbers
        return {
            **self.which(item),
            "gap": numbers.gap,
            "missing_statements": numbers.missing_statements,
            "missing_branches": numbers.missing_branches,
            "percent_covered_display": self.percent(numbers.percent_covered),
            "impact": float(item.impact),
            "impact_display": self.points(item.impact),
            "missing_ranges": item.missing_ranges,
            "risk": _risk(item.risk),
            "complexity": item.complexity,
            "effort": item.effort,
            "runs_with": item.runs_with,
            "advice": _advice(item.advice),
        }

    def risk_section(
        self, result: PlanResult, phase_of: Mapping[tuple[str, str], int]
    ) -> dict[str, Any] | None:
        info = result.risk
        if info is None:
            return None
        levels = dict(info.levels)
        riskiest = sorted(
            (g for g in result.functions if g.risk is not None),
            key=lambda g: (-(g.risk.score if g.risk else 0), g.path, g.region.start_line),
        )
        return {
            "complexity_library": info.complexity_library,
            "churn_window": info.churn_window,
            "churn_absent": info.churn_absent,
            "weights": dict(info.weights),
            "levels": {level: levels.get(level, 0) for level in ("high", "medium", "low")},
            "functions": {
                level: [
                    self.risky(g, phase_of.get((g.path, g.region.name)))
                    for g in itertools.islice(
                        (g for g in riskiest if g.risk and g.risk.level == level),
                        result.settings.top,
                    )
                ]
                for level in ("high", "medium", "low")
            },
            "notes": list(info.notes),
        }

    def risky(self, item: FunctionGap, phase: int | None) -> dict[str, Any]:
        return {
            **self.which(item),
            "percent_covered_display": self.percent(item.region.numbers.percent_covered),
            "risk": _risk(item.risk),
            "phase": phase,
        }

    def phase(
        self,
        phase: Phase,
        previous_display: str,
        days_display: str,
        tests_per_day: float,
        functions: Mapping[str, frozenset[str]],
    ) -> dict[str, Any]:
        projected_display = self.percent(phase.projected_percent)
        fail_under = Decimal(phase.fail_under.numerator) / phase.fail_under.denominator
        return {
            "number": phase.number,
            "milestone": float(phase.milestone),
            "milestone_display": self.percent(phase.milestone),
            "projected_percent": phase.projected_percent,
            "projected_percent_display": projected_display,
            "gain_display": self.difference(projected_display, previous_display),
            "fail_under": float(phase.fail_under),
            "fail_under_display": _fixed(fail_under, self.coverage_precision),
            "functions": len(phase.items),
            "gap_closed": phase.gap_closed,
            "estimated_tests": phase.estimated_tests,
            "estimated_days": round(phase.estimated_tests / tests_per_day, 2),
            "estimated_days_display": days_display,
            "units": work_units(phase.items, functions, phase.tests_by_module),
            "items": [self.item(item) for item in phase.items],
        }

    def gains(
        self, gains: Sequence[FolderGain], total_units: int, now_display: str, after_display: str
    ) -> dict[str, Any]:
        """Folder rows whose points columns add up to the displayed totals."""
        rows = [(g.folder, g.now, g.after) for g in gains[:GAINS_ROWS]]
        rest = gains[GAINS_ROWS:]
        if rest:
            now = sum((g.now for g in rest), Numbers())
            after = sum((g.after for g in rest), Numbers())
            rows.append((f"({len(rest)} other folders)", now, after))
        if not total_units:
            return {"rows": [], "total": {}}

        now_points = apportion(
            [Fraction(100 * now.covered_units, total_units) for _, now, _ in rows],
            now_display,
            self.precision,
        )
        # Gains are apportioned on their own (never below zero) and "after" is now + gain, so
        # all three columns add up to their displayed totals.
        gain_display = self.difference(after_display, now_display)
        gain_points = apportion(
            [Fraction(100 * (a.covered_units - n.covered_units), total_units) for _, n, a in rows],
            gain_display,
            self.precision,
        )
        after_points = [
            _fixed(Decimal(now_pt) + Decimal(gain_pt), self.precision)
            for now_pt, gain_pt in zip(now_points, gain_points, strict=True)
        ]
        return {
            "rows": [
                {
                    "folder": folder,
                    "units": now.units,
                    "percent_now_display": self.percent(now.percent_covered),
                    "percent_after_display": self.percent(after.percent_covered),
                    "points_now_display": now_pt,
                    "points_after_display": after_pt,
                    "gain_display": gain_pt,
                }
                for (folder, now, after), now_pt, after_pt, gain_pt in zip(
                    rows, now_points, after_points, gain_points, strict=True
                )
            ],
            "total": {
                "units": total_units,
                "points_now_display": now_display,
                "points_after_display": after_display,
                "gain_display": gain_display,
            },
        }


def build_view(result: PlanResult) -> dict[str, Any]:
    """The versioned dict behind every report."""
    settings = result.settings
    project = result.project
    totals = project.totals
    plan = result.plan
    fmt = _Formatter(
        precision=settings.precision,
        coverage_precision=project.coverage_precision,
        whole_files=frozenset(f.path for f in project.files if not f.regions_known),
        test_files=frozenset(result.scope.test_files),
    )
    gaps = {(g.path, g.region.name): g for g in result.functions}
    current_display = fmt.percent(totals.percent_covered)
    target_display = fmt.percent(plan.target)

    tests = [phase.estimated_tests for phase in plan.phases]
    days_displays, total_days_display = estimated_days(tests, settings.tests_per_day)
    planned = {item.path for phase in plan.phases for item in phase.items}
    functions = function_names([f for f in project.files if f.path in planned])
    phases = []
    previous = current_display
    for phase, days_display in zip(plan.phases, days_displays, strict=True):
        phases.append(fmt.phase(phase, previous, days_display, settings.tests_per_day, functions))
        previous = phases[-1]["projected_percent_display"]
    final_display = previous
    phase_of = {
        (item.path, item.region.name): phase.number for phase in plan.phases for item in phase.items
    }

    return {
        "format_version": FORMAT_VERSION,
        "generator": {"name": "covgap", "version": __version__},
        "input": {
            "kind": project.input_kind,
            "path": project.input_path,
            "branch_measured": project.branch_measured,
            "coverage_precision": project.coverage_precision,
            "changed_files": list(project.changed_files),
            "modified_files": list(project.modified_files),
            "outside_files": list(project.outside_files),
        },
        "settings": {
            "target": settings.target,
            "milestones": list(settings.milestones),
            "file_target": settings.effective_file_target,
            "skip": list(settings.skip),
            "precision": settings.precision,
            "top": settings.top,
            "tests_per_day": settings.tests_per_day,
            "tiers": [{"name": name, "from": low} for name, low in settings.tiers],
        },
        "totals": {
            **fmt.numbers(totals),
            "covered_units": totals.covered_units,
            "units": totals.units,
            "files": len(project.files),
        },
        "suite_scope": scope_view(result.scope, totals.units, fmt.points),
        "files": [fmt.file(f, gaps) for f in result.files],
        "top_functions": [fmt.item(g) for g in result.functions[: settings.top]],
        "tier_counts": {
            name: sum(1 for f in result.files if f.tier == name) for name, _ in settings.tiers
        },
        "plan": {
            "target": float(plan.target),
            "target_display": target_display,
            "current_display": current_display,
            "gap_display": fmt.difference(
                max(target_display, current_display, key=Decimal), current_display
            ),
            "reachable": plan.reachable,
            "maximum_percent": float(plan.maximum),
            "maximum_display": fmt.percent(plan.maximum),
            "milestones_source": plan.milestones_source,
            "final_display": final_display,
            "estimated_tests": sum(tests),
            "estimated_days_display": total_days_display,
            "phases": phases,
            "notes": list(plan.notes),
        },
        "gains": fmt.gains(plan.gains, totals.units, current_display, final_display),
        "run": run_view(result.run, result.verdict),
        "health": health_view(result.health),
        "contexts_measured": any(f.tested_by for f in project.files),
        "risk": fmt.risk_section(result, phase_of),
        "test_strategy": _strategy(result.strategy),
        "audit": audit_view(result.audit),
        "tests_history": tests_history_view(result.tests_history),
        "notes": [
            *project.notes,
            *_unknown_regions_note(project.files),
        ],
    }


@lru_cache(maxsize=65536)
def _risk(risk: Risk | None) -> dict[str, Any] | None:
    """A risk as a view dict (cached: an item may be shown in several sections)."""
    if risk is None:
        return None
    return {
        "level": risk.level,
        "score": round(risk.score, 4),
        "factors": [
            {
                "name": f.name,
                "value": round(f.value, 2),
                "score": round(f.score, 4),
                "weight": round(f.weight, 4),
                "reason": f.reason,
            }
            for f in risk.factors
        ],
    }


def _advice(advice: TestAdvice | None) -> dict[str, Any] | None:
    if advice is None:
        return None
    return {
        "test_file": advice.test_file,
        "test_file_exists": advice.test_file_exists,
        "test_file_reason": advice.test_file_reason,
        "runner": advice.runner,
        "effort": advice.effort,
        "summary": advice_summary(advice),
        "suggestions": [
            {"kind": s.kind, "line": s.line, "text": s.text, "test_name": s.test_name}
            for s in advice.suggestions
        ],
        "isolation": [
            {
                "dependency": i.dependency,
                "via": list(i.via),
                "fake": i.fake,
                "how": i.how,
                "inject": i.inject,
            }
            for i in advice.isolation
        ],
        "harness": _harness(advice),
        "existing": _existing(advice),
        "constructor": advice.constructor,
    }


def _harness(advice: TestAdvice) -> dict[str, Any] | None:
    harness = advice.harness
    if harness is None:
        return None
    return {
        "kind": harness.kind,
        "framework": harness.framework,
        "text": harness.text,
        "fixture": harness.fixture,
        "packages": list(harness.packages),
    }


def _existing(advice: TestAdvice) -> dict[str, Any] | None:
    existing = advice.existing
    if existing is None:
        return None
    cases = existing.cases
    return {
        "action": existing.action,
        "target": existing.target,
        "text": existing.text,
        "tests": [
            {"nodeid": t.nodeid, "evidence": t.evidence, "ran": t.ran} for t in existing.tests
        ],
        "more": existing.more,
        "cases": None
        if cases is None
        else {
            "nodeid": cases.nodeid,
            "folder": cases.folder,
            "pattern": cases.pattern,
            "how": cases.how,
            "examples": list(cases.examples),
        },
    }


def _strategy(strategy: TestStrategy | None) -> dict[str, Any] | None:
    if strategy is None:
        return None
    return {
        "items": [
            {
                "kind": item.kind,
                "name": item.name,
                "text": item.text,
                "where": item.where,
                "functions": list(item.functions),
                "more": item.more,
                "exists": item.exists,
            }
            for item in strategy.items
        ],
        "dependency_file": strategy.dependency_file,
        "dependency_snippet": strategy.dependency_snippet,
        "notes": list(strategy.notes),
    }


def plural(count: int, noun: str) -> str:
    """ "1 file", "2 files", "3 branches"."""
    suffix = "" if count == 1 else ("es" if noun.endswith(("s", "sh", "ch", "x")) else "s")
    return f"{count:,} {noun}{suffix}"


def _unknown_regions_note(files: Sequence[FileCoverage]) -> list[str]:
    """One note for the files planned as wholes because their functions are unknown."""
    unknown = [f for f in files if not f.regions_known]
    if not unknown:
        return []
    first = unknown[0]
    return [
        f"functions unknown for {plural(len(unknown), 'file')}, planned as whole files "
        f"(e.g. {first.path}: {first.regions_note})"
    ]
