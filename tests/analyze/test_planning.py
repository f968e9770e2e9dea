"""The plan's arithmetic: milestones, fail_under values and exact projections."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
from coverage.results import should_fail_under

from covgap.analyze.planning import compute_milestones, fail_under_for, folder_of, make_plan
from covgap.analyze.ranking import rank
from covgap.config import DEFAULT_TIERS
from covgap.errors import UsageError
from covgap.model import FileCoverage, Numbers, ProjectCoverage, Region, Risk


def region(
    name: str,
    start: int,
    statements: int,
    missing: int,
    branches: int = 0,
    missing_branches: int = 0,
) -> Region:
    return Region(
        name=name,
        start_line=start,
        end_line=start + statements,
        numbers=Numbers(statements, missing, branches, missing_branches),
    )


def project_of(*files: tuple[str, list[Region]], precision: int = 0) -> ProjectCoverage:
    built = []
    for path, regions in files:
        total = Numbers()
        for r in regions:
            total = total + r.numbers
        built.append(FileCoverage(path=path, numbers=total, regions=tuple(regions)))
    return ProjectCoverage(
        files=tuple(built),
        branch_measured=True,
        input_kind="coverage-json",
        input_path="t.json",
        coverage_precision=precision,
    )


@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [
        pytest.param(31.4, 80, [40, 50, 60, 70, 80], id="seed-000: 31% to 80% in tens"),
        pytest.param(
            22.9, 90, [45, 60, 75, 90], id="long way: steps of 15; 30 is closer than half a step"
        ),
        pytest.param(46, 50, [50], id="short way: one phase"),
        pytest.param(
            38, 60, [45, 50, 55, 60], id="a milestone closer than half a step is skipped (40)"
        ),
        pytest.param(0, 100, [20, 40, 60, 80, 100], id="from nothing"),
        pytest.param(70, 70, [], id="target already reached"),
        pytest.param(12, 47.5, [20, 30, 40, 47.5], id="a target that is not round stays as it is"),
    ],
)
def test_compute_milestones(current: float, target: float, expected: list[float]) -> None:
    """Computed milestones are round, at most five, and end at the target."""
    got = compute_milestones(Fraction(str(current)), Fraction(str(target)))
    assert got == [Fraction(str(m)) for m in expected]


@pytest.mark.parametrize(
    ("covered", "units", "precision", "expected"),
    [
        pytest.param(473, 1000, 0, Fraction(47), id="47.3% at precision 0"),
        pytest.param(479, 1000, 0, Fraction(48), id="47.9% rounds up, as coverage's check does"),
        pytest.param(4736, 10000, 1, Fraction(474, 10), id="47.36% at precision 1"),
        pytest.param(10, 10, 0, Fraction(100), id="exactly 100%"),
        pytest.param(9999, 10000, 2, Fraction(9999, 100), id="99.99% at precision 2"),
        pytest.param(
            99996, 100000, 2, Fraction(9999, 100), id="rounds to 100 but is not: the step below"
        ),
        pytest.param(996, 1000, 0, Fraction(99), id="99.6% at precision 0 is not 100"),
        pytest.param(0, 10, 0, Fraction(0), id="nothing covered"),
    ],
)
def test_fail_under_for(covered: int, units: int, precision: int, expected: Fraction) -> None:
    """The ratchet value is the highest that the projected total passes in coverage.py."""
    got = fail_under_for(covered, units, precision)
    assert got == expected
    total = 100.0 * covered / units
    assert not should_fail_under(total, float(got), precision)
    step = Fraction(1, 10**precision)
    if got + step <= 100:
        assert should_fail_under(total, float(got + step), precision), (
            "not the highest passing value"
        )


@pytest.mark.parametrize(
    ("path", "folder"),
    [
        pytest.param("src/app/auth.py", "src/app", id="nested"),
        pytest.param("setup.py", "(top level)", id="top level"),
    ],
)
def test_folder_of(path: str, folder: str) -> None:
    """Gains are grouped by the file's folder."""
    assert folder_of(path) == folder


def test_projection_is_exact() -> None:
    """Each phase's projected total is the covered units plus the gaps it closes, exactly."""
    project = project_of(
        ("a.py", [region("", 1, 10, 0), region("f", 20, 30, 30, 10, 10), region("g", 60, 10, 5)]),
        ("b.py", [region("", 1, 5, 5), region("h", 10, 45, 10, 6, 3)]),
    )
    _, ranked = rank(project, DEFAULT_TIERS, 80)
    plan = make_plan(project, ranked, target=95)
    covered = project.totals.covered_units
    for phase in plan.phases:
        covered += sum(item.region.numbers.gap for item in phase.items)
        assert phase.projected_covered_units == covered
        assert phase.projected_percent == 100.0 * covered / project.totals.units
        assert phase.projected_ratio * 100 >= phase.milestone
    assert plan.phases[-1].projected_ratio * 100 >= 95


def test_phases_follow_priority_then_score() -> None:
    """The plan takes regions in ranking order: biggest share of the gap first."""
    project = project_of(
        ("a.py", [region("small", 1, 10, 2), region("big", 20, 50, 40), region("mid", 80, 20, 10)])
    )
    _, ranked = rank(project, DEFAULT_TIERS, 80)
    plan = make_plan(project, ranked, target=100)
    order = [item.region.name for phase in plan.phases for item in phase.items]
    assert order == ["big", "mid", "small"]


def test_unreachable_target_stops_at_the_maximum() -> None:
    """With files left out, a too-high target is said to be unreachable and the maximum planned."""
    project = project_of(
        ("app/a.py", [region("f", 1, 50, 40)]), ("scripts/run.py", [region("main", 1, 50, 50)])
    )
    _, ranked = rank(project, DEFAULT_TIERS, 80)
    plan = make_plan(project, ranked, target=90, skip=["scripts/*"])
    assert not plan.reachable
    assert plan.maximum == Fraction(50)
    assert plan.phases[-1].projected_ratio * 100 == plan.maximum
    assert any("cannot be reached" in note and "50.00%" in note for note in plan.notes)


def test_explicit_target_below_current_is_a_usage_error() -> None:
    """Asking for less than the current total on the command line is refused."""
    project = project_of(("a.py", [region("f", 1, 10, 1)]))
    _, ranked = rank(project, DEFAULT_TIERS, 80)
    with pytest.raises(UsageError) as error:
        make_plan(project, ranked, target=50, target_is_explicit=True)
    assert "below the current total 90.00%" in error.value.message


def test_configured_target_already_reached_plans_nothing() -> None:
    """A target from the config that the project already passes gives no phases and a note."""
    project = project_of(("a.py", [region("f", 1, 10, 1)]))
    _, ranked = rank(project, DEFAULT_TIERS, 80)
    plan = make_plan(project, ranked, target=50)
    assert plan.phases == ()
    assert any("already reaches" in note for note in plan.notes)


def test_given_milestones() -> None:
    """Given milestones are used as they are, reached ones dropped, the target appended."""
    project = project_of(("a.py", [region(f"f{i}", i * 10, 10, 10) for i in range(1, 11)]))
    _, ranked = rank(project, DEFAULT_TIERS, 80)
    plan = make_plan(project, ranked, target=60, milestones=[0, 25, 45])
    assert [p.milestone for p in plan.phases] == [25, 45, 60]
    assert plan.milestones_source == "given"
    assert [p.projected_ratio * 100 for p in plan.phases] == [30, 50, 60]


def test_overshooting_phase_takes_the_last_milestone_it_reaches() -> None:
    """One big function that passes two milestones makes one phase, labelled with the higher."""
    project = project_of(
        ("a.py", [region("", 1, 40, 0), region("big", 50, 50, 50), region("small", 200, 10, 10)])
    )
    _, ranked = rank(project, DEFAULT_TIERS, 80)
    plan = make_plan(project, ranked, target=100, milestones=[50, 60, 80])
    assert [(p.milestone, [i.region.name for i in p.items]) for p in plan.phases] == [
        (Fraction(80), ["big"]),
        (Fraction(100), ["small"]),
    ]


def test_gains_add_up() -> None:
    """Per-folder gains add up to the plan's total gain in units."""
    project = project_of(
        ("x/a.py", [region("f", 1, 40, 30)]),
        ("y/b.py", [region("g", 1, 40, 20)]),
        ("c.py", [region("h", 1, 20, 5)]),
    )
    _, ranked = rank(project, DEFAULT_TIERS, 80)
    plan = make_plan(project, ranked, target=90)
    gained = sum(g.now.gap - g.after.gap for g in plan.gains)
    assert gained == sum(p.gap_closed for p in plan.phases)


def test_high_risk_functions_past_the_target_join_the_last_phase() -> None:
    """A plan does not leave known high-risk code untested: a high-risk function the order puts
    after the last milestone joins the last phase (its projection still exact), with a note;
    a low-risk one stays out."""
    project = project_of(
        ("a.py", [region("big", 1, 100, 90), region("risky", 200, 5, 5), region("dull", 300, 5, 5)])
    )
    _, ranked = rank(project, DEFAULT_TIERS, 80)
    levels = {"risky": "high", "dull": "low"}
    ranked = [
        dataclasses.replace(g, risk=Risk(0.9, levels[g.region.name], ()))
        if g.region.name in levels
        else g
        for g in ranked
    ]
    plan = make_plan(project, ranked, target=85)
    names = [item.region.name for phase in plan.phases for item in phase.items]
    assert "risky" in names and "dull" not in names
    last = plan.phases[-1]
    assert last.items[-1].region.name == "risky"
    covered = project.totals.covered_units + sum(
        item.region.numbers.gap for phase in plan.phases for item in phase.items
    )
    assert last.projected_covered_units == covered
    assert any("1 high-risk function the order left" in note for note in plan.notes)
