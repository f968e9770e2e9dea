"""Laws of the plan, for any project: checked with hypothesis."""

from __future__ import annotations

from fractions import Fraction

from coverage.results import should_fail_under
from hypothesis import given, settings
from hypothesis import strategies as st

from covgap.analyze.planning import make_plan
from covgap.analyze.ranking import rank
from covgap.config import DEFAULT_TIERS
from covgap.model import FileCoverage, Numbers, ProjectCoverage, Region
from covgap.report.view import apportion


@st.composite
def numbers(draw: st.DrawFn) -> Numbers:
    statements = draw(st.integers(0, 60))
    branches = draw(st.integers(0, 20))
    return Numbers(
        statements, draw(st.integers(0, statements)), branches, draw(st.integers(0, branches))
    )


@st.composite
def projects(draw: st.DrawFn) -> ProjectCoverage:
    files = []
    for index in range(draw(st.integers(1, 6))):
        regions = tuple(
            Region(name if name else "", line * 10 + 1, line * 10 + 9, n)
            for line, (name, n) in enumerate(
                draw(
                    st.lists(
                        st.tuples(st.sampled_from(["", "f", "g", "C.m", "h"]), numbers()),
                        min_size=1,
                        max_size=5,
                        unique_by=lambda t: t[0],
                    )
                )
            )
        )
        total = Numbers()
        for r in regions:
            total = total + r.numbers
        folder = draw(st.sampled_from(["", "pkg/", "pkg/sub/", "other/", "tests/"]))
        # Test modules, and helpers beside them: test code, counted in the total, never planned.
        name = draw(st.sampled_from(["m", "test_m"])) if folder == "tests/" else "m"
        files.append(FileCoverage(path=f"{folder}{name}{index}.py", numbers=total, regions=regions))
    return ProjectCoverage(
        files=tuple(files),
        branch_measured=True,
        input_kind="coverage-json",
        input_path="x",
        coverage_precision=draw(st.integers(0, 2)),
    )


@settings(max_examples=300, deadline=None)
@given(project=projects(), target=st.integers(0, 100), skip=st.booleans())
def test_plan_laws(project: ProjectCoverage, target: int, skip: bool) -> None:
    """Projections are exact and never decrease; sums hold; the end is the target or the maximum."""
    totals = project.totals
    if not totals.units:
        return
    # file sums equal totals; region sums equal files
    assert sum((f.numbers for f in project.files), Numbers()) == totals
    for file in project.files:
        assert sum((r.numbers for r in file.regions), Numbers()) == file.numbers
    _, ranked = rank(project, DEFAULT_TIERS, 80)
    current = totals.ratio * 100
    plan = make_plan(project, ranked, target=target, skip=["other/*"] if skip else [])
    previous = totals.covered_units
    for phase in plan.phases:
        closed = sum(item.region.numbers.gap for item in phase.items)
        assert phase.projected_covered_units == previous + closed  # exact
        assert phase.projected_covered_units >= previous  # never decreases
        assert phase.projected_ratio * 100 >= phase.milestone or phase.milestone == plan.maximum
        # the ratchet passes in coverage.py once the phase is done
        assert not should_fail_under(
            phase.projected_percent, float(phase.fail_under), project.coverage_precision
        )
        previous = phase.projected_covered_units
    if Fraction(target) > current:
        end = plan.phases[-1].projected_ratio * 100 if plan.phases else current
        if plan.reachable:
            assert end >= target
        else:
            assert end == plan.maximum
    # No region is planned twice.
    planned = [(i.path, i.region.name) for p in plan.phases for i in p.items]
    assert len(planned) == len(set(planned))


@settings(max_examples=300, deadline=None)
@given(project=projects(), target=st.integers(0, 100), skip=st.booleans())
def test_test_code_counts_in_the_total_and_is_never_planned(
    project: ProjectCoverage, target: int, skip: bool
) -> None:
    """Test code is never ranked nor planned, yet every projection keeps its units in the
    denominator as coverage.py does: a phase's total is what `coverage report` would say."""
    from covgap.api import analyze
    from covgap.config import Settings

    totals = project.totals
    if not totals.units:
        return
    result = analyze(project, Settings(target=float(target), skip=("other/*",) if skip else ()))
    test_files = set(result.scope.test_files)
    # A helper in tests/ is test code once a test module is there with it.
    in_tests = {f.path for f in project.files if f.path.startswith("tests/")}
    has_module = any(path.startswith("tests/test_") for path in in_tests)
    assert test_files == (in_tests if has_module else set())
    assert not any(item.path in test_files for item in result.functions)
    # The test files come after the code under test in the files' order.
    order = [gap.file.path in test_files for gap in result.files]
    assert order == sorted(order)
    test_gap = sum(f.numbers.gap for f in project.files if f.path in test_files)
    assert result.scope.test_numbers.gap == test_gap
    plan = result.plan
    previous = totals.covered_units
    for phase in plan.phases:
        assert not any(item.path in test_files for item in phase.items)
        assert phase.total_units == totals.units  # test code stays in the denominator
        assert phase.projected_covered_units == previous + phase.gap_closed
        # What coverage.py would report once the phase's functions are fully covered.
        covered_after = {
            (i.path, i.region.name) for p in plan.phases[: phase.number] for i in p.items
        }
        reported = sum(
            (
                region.numbers.fully_covered()
                if (file.path, region.name) in covered_after
                else region.numbers
                for file in project.files
                for region in file.regions
            ),
            Numbers(),
        )
        assert reported.covered_units == phase.projected_covered_units
        assert reported.units == phase.total_units
        previous = phase.projected_covered_units
    # The test code that did not run is beyond the plan: its maximum leaves it missing.
    assert plan.maximum <= Fraction(100 * (totals.units - test_gap), totals.units)
    if test_gap and not plan.reachable and not skip:
        assert any("test code that did not run" in note for note in plan.notes)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.integers(0, 1000), min_size=1, max_size=12), precision=st.integers(0, 3))
def test_apportioned_parts_add_up_to_the_displayed_total(parts: list[int], precision: int) -> None:
    """Rounded shares always add up to the rounded total, digit for digit."""
    total_units = sum(parts) + 7
    values = [Fraction(100 * p, total_units) for p in parts]
    exact_total = sum(values, Fraction(0))
    shown_total = f"{round(float(exact_total), precision):.{precision}f}"
    shown = apportion(values, shown_total, precision)
    scale = 10**precision
    assert sum(round(float(s) * scale) for s in shown) == round(float(shown_total) * scale)
    for value, text in zip(values, shown, strict=True):
        assert abs(Fraction(text) - value) < Fraction(
            1, scale
        )  # each part is off by under one digit


@settings(max_examples=200, deadline=None)
@given(project=projects(), target=st.integers(1, 100), precision=st.integers(0, 2))
def test_gains_table_adds_up_to_the_last_digit(
    project: ProjectCoverage, target: int, precision: int
) -> None:
    """Every column of the gains table sums to its displayed total, and no gain is negative."""
    from decimal import Decimal

    from covgap.api import analyze
    from covgap.config import Settings
    from covgap.report.view import build_view

    if not project.totals.units or Fraction(target) < project.totals.ratio * 100:
        return
    view = build_view(analyze(project, Settings(target=float(target), precision=precision)))
    gains = view["gains"]
    for column in ("points_now_display", "points_after_display", "gain_display"):
        assert sum(Decimal(row[column]) for row in gains["rows"]) == Decimal(gains["total"][column])
    assert all(Decimal(row["gain_display"]) >= 0 for row in gains["rows"])
    assert gains["total"]["points_now_display"] == view["plan"]["current_display"]
    assert gains["total"]["points_after_display"] == view["plan"]["final_display"]
