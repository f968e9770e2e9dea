"""The phased plan: milestones from the current total to the target, and what to cover in each.

All arithmetic is exact (integers and fractions of coverage.py units), so a phase's projected
total is exactly what ``coverage report`` would say if its functions, and those of the phases
before it, were fully covered.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import deque
from collections.abc import Sequence
from fnmatch import fnmatch
from fractions import Fraction
from pathlib import PurePath
from typing import Literal

from coverage.results import display_covered

from covgap.analyze.effort import module_tests
from covgap.errors import UsageError
from covgap.model import FolderGain, FunctionGap, Numbers, Phase, Plan, ProjectCoverage

__all__ = [
    "compute_milestones",
    "fail_under_for",
    "folder_of",
    "format_percent",
    "make_plan",
]

#: Step sizes tried for computed milestones, smallest first; the first that needs at most
#: MAX_COMPUTED_PHASES phases wins.
MILESTONE_STEPS = (5, 10, 15, 20, 25)
MAX_COMPUTED_PHASES = 5


def format_percent(value: Fraction | float, precision: int) -> str:
    """A percentage as coverage.py displays it: never "0" or "100" unless exactly so."""
    return display_covered(float(value), precision)


def compute_milestones(current: Fraction, target: Fraction) -> list[Fraction]:
    """Round-numbered steps from ``current`` (percent) to ``target``, at most five phases.

    The step is the smallest of 5, 10, 15, 20, 25 points that needs no more than five phases; a
    milestone closer to the current total than half a step is skipped.
    """
    if target <= current:
        return []
    for step in MILESTONE_STEPS:
        first = (math.floor(current / step) + 1) * step
        milestones = [
            Fraction(m)
            for m in range(first, math.ceil(target), step)
            if m - current >= Fraction(step, 2)
        ]
        milestones.append(target)
        if len(milestones) <= MAX_COMPUTED_PHASES:
            return milestones
    return milestones


def fail_under_for(covered_units: int, total_units: int, precision: int) -> Fraction:
    """The highest ``fail_under`` at ``precision`` digits that this total passes in coverage.py.

    coverage.py fails when round(total, precision) < fail_under, computing the total with the
    same float formula as here, so the rounded total itself passes; but fail_under = 100 demands
    exactly 100%, so a total that only rounds to 100 gets the step below.
    """
    total = (100.0 * covered_units) / total_units if total_units else 100.0
    rounded = Fraction(f"{round(total, precision):.{precision}f}")
    if rounded == 100 and total != 100.0:
        rounded -= Fraction(1, 10**precision)
    return rounded


@functools.lru_cache(maxsize=65536)
def folder_of(path: str) -> str:
    """The folder a file is in, for the gains by folder (cached: asked once per planned item)."""
    parent = PurePath(path).parent.as_posix()
    return parent if parent != "." else "(top level)"


def _skipped(path: str, patterns: Sequence[str]) -> bool:
    return any(
        fnmatch(path, pattern) or fnmatch(PurePath(path).as_posix(), pattern)
        for pattern in patterns
    )


def make_plan(
    project: ProjectCoverage,
    ranked: Sequence[FunctionGap],
    *,
    target: float,
    milestones: Sequence[float] = (),
    skip: Sequence[str] = (),
    target_is_explicit: bool = False,
    test_code_gap: int = 0,
) -> Plan:
    """Phases that reach each milestone by fully covering regions in ``ranked`` order.

    ``test_code_gap``: the statements and branches of test code that did not run. They are
    not in ``ranked`` (test code is run, not tested) but they count in the total, as in
    coverage.py: every projection keeps them in its denominator, and a target only running
    them would reach is beyond the plan's maximum.
    """
    current = project.totals
    total_units = current.units
    target_fraction = Fraction(str(target))
    current_percent = current.ratio * 100
    notes: list[str] = []

    if target_fraction < current_percent and target_is_explicit:
        raise UsageError(
            f"target {format_percent(target_fraction, 2)}% is below the current total "
            f"{format_percent(current_percent, 2)}%: nothing to plan",
            hint="give a higher --target; to guard the current total, set fail_under in the "
            "coverage configuration",
            slug="target-below-current",
        )

    plannable = [item for item in ranked if not _skipped(item.path, skip)]
    left_out_gap = sum(item.region.numbers.gap for item in ranked) - sum(
        item.region.numbers.gap for item in plannable
    )
    maximum_units = current.covered_units + sum(item.region.numbers.gap for item in plannable)
    maximum = Fraction(100 * maximum_units, total_units) if total_units else Fraction(100)

    if milestones:
        given = sorted({Fraction(str(m)) for m in milestones})
        chosen = [m for m in given if m > current_percent and m < target_fraction]
        dropped = [m for m in given if m <= current_percent]
        if dropped:
            notes.append(
                "milestones already reached and dropped: "
                + ", ".join(f"{format_percent(m, 2)}%" for m in dropped)
            )
        beyond = [m for m in given if m > target_fraction]
        if beyond:
            notes.append(
                "milestones above the target dropped: "
                + ", ".join(f"{format_percent(m, 2)}%" for m in beyond)
            )
        if target_fraction > current_percent:
            chosen.append(target_fraction)
        source: Literal["given", "computed"] = "given"
    else:
        chosen = compute_milestones(current_percent, target_fraction)
        source = "computed"

    reachable = target_fraction <= maximum
    if not reachable:
        outside = []
        if test_code_gap:
            outside.append(
                f"{test_code_gap:,} statements and branches are test code that did not run "
                "(running the whole suite covers them)"
            )
        if left_out_gap:
            outside.append(
                f"{left_out_gap:,} statements and branches are in files left out of the plan "
                f"(skip = {', '.join(skip)})"
            )
        notes.append(
            f"the target {format_percent(target_fraction, 2)}% cannot be reached: "
            f"{' and '.join(outside)}; the highest reachable total is "
            f"{format_percent(maximum, 2)}%"
        )
        chosen = [m for m in chosen if m < maximum] + [maximum]
    if target_fraction <= current_percent:
        notes.append(
            f"the current total {format_percent(current_percent, 2)}% already reaches the "
            f"target {format_percent(target_fraction, 2)}%"
        )

    phases: list[Phase] = []
    covered = current.covered_units
    queue = deque(plannable)
    remaining = list(chosen)
    while remaining and queue:
        items: list[FunctionGap] = []
        while queue and Fraction(100 * covered, total_units) < remaining[0]:
            item = queue.popleft()
            items.append(item)
            covered += item.region.numbers.gap
        projected = Fraction(100 * covered, total_units)
        reached = [m for m in remaining if m <= projected]
        remaining = [m for m in remaining if m > projected]
        if not items:
            continue
        phases.append(
            Phase(
                number=len(phases) + 1,
                # A phase that overshoots later milestones is labelled with the last it reaches.
                milestone=reached[-1] if reached else projected,
                items=tuple(items),
                projected_covered_units=covered,
                total_units=total_units,
                fail_under=fail_under_for(covered, total_units, project.coverage_precision),
            )
        )
    if phases and queue:
        phases[-1], added = _with_high_risk(phases[-1], list(queue), project.coverage_precision)
        if added:
            notes.append(
                f"{added} high-risk function{'s' if added != 1 else ''} the order left past the "
                f"last milestone {'are' if added != 1 else 'is'} in phase {phases[-1].number}: "
                "a plan does not leave known high-risk code untested"
            )
    estimates = module_tests([phase.items for phase in phases])
    phases = [
        dataclasses.replace(phase, estimated_tests=sum(tests.values()), tests_by_module=tests)
        for phase, tests in zip(phases, estimates, strict=True)
    ]
    return Plan(
        target=target_fraction,
        current=current,
        phases=tuple(phases),
        maximum=maximum,
        reachable=reachable,
        milestones_source=source,
        gains=tuple(_gains(project, phases)),
        notes=tuple(notes),
    )


def _with_high_risk(last: Phase, left: Sequence[FunctionGap], precision: int) -> tuple[Phase, int]:
    """``last`` with the high-risk functions the order left after it (and the module-level
    code that runs with them), and how many functions that adds."""
    risky = [i for i in left if i.risk is not None and i.risk.level == "high"]
    if not risky:
        return last, 0
    names = {(i.path, i.region.display_name) for i in risky}
    chosen = {id(i) for i in risky}
    added = [i for i in left if id(i) in chosen or (i.path, i.runs_with) in names]
    covered = last.projected_covered_units + sum(i.region.numbers.gap for i in added)
    phase = dataclasses.replace(
        last,
        items=(*last.items, *added),
        projected_covered_units=covered,
        fail_under=fail_under_for(covered, last.total_units, precision),
    )
    return phase, len(risky)


def _gains(project: ProjectCoverage, phases: Sequence[Phase]) -> list[FolderGain]:
    """Each folder's numbers now and after every phase, largest gain first."""
    now: dict[str, Numbers] = {}
    closed: dict[str, Numbers] = {}
    for file in project.files:
        folder = folder_of(file.path)
        now[folder] = now.get(folder, Numbers()) + file.numbers
    for phase in phases:
        for item in phase.items:
            folder = folder_of(item.path)
            n = item.region.numbers
            closed[folder] = closed.get(folder, Numbers()) + Numbers(
                0, n.missing_statements, 0, n.missing_branches
            )
    gains = []
    for folder, numbers in now.items():
        fill = closed.get(folder, Numbers())
        after = Numbers(
            numbers.statements,
            numbers.missing_statements - fill.missing_statements,
            numbers.branches,
            numbers.missing_branches - fill.missing_branches,
        )
        gains.append(FolderGain(folder=folder, now=numbers, after=after))
    gains.sort(key=lambda g: (-(g.now.gap - g.after.gap), g.folder))
    return gains
