"""Tiers, impact and priorities."""

from __future__ import annotations

from fractions import Fraction

import pytest

from covgap.analyze.ranking import impact, rank, tier_for
from covgap.config import DEFAULT_TIERS
from covgap.model import FileCoverage, Numbers, ProjectCoverage, Region


@pytest.mark.parametrize(
    ("percent", "tier"),
    [
        pytest.param(0.0, "critical", id="nothing"),
        pytest.param(9.99, "critical", id="just under 10"),
        pytest.param(10.0, "low", id="10 is low"),
        pytest.param(29.9, "low", id="under 30"),
        pytest.param(30.0, "medium", id="30 is medium"),
        pytest.param(50.0, "good", id="50 is good"),
        pytest.param(80.0, "excellent", id="80 is excellent"),
        pytest.param(100.0, "excellent", id="full"),
    ],
)
def test_tier_for(percent: float, tier: str) -> None:
    """Tiers follow the bands: critical < 10 ≤ low < 30 ≤ medium < 50 ≤ good < 80 ≤ excellent."""
    assert tier_for(percent, DEFAULT_TIERS) == tier


@pytest.mark.parametrize(
    ("gap", "total", "points"),
    [
        pytest.param(35, 1000, Fraction(7, 2), id="35 of 1000 units is 3.5 points"),
        pytest.param(1, 3, Fraction(100, 3), id="exact thirds"),
        pytest.param(0, 10, Fraction(0), id="no gap"),
        pytest.param(5, 0, Fraction(0), id="empty project"),
    ],
)
def test_impact(gap: int, total: int, points: Fraction) -> None:
    """Impact is gap / total units × 100, exactly."""
    assert impact(gap, total) == points


def _project(regions_by_file: dict[str, list[tuple[str, int, int]]]) -> ProjectCoverage:
    files = []
    for path, regions in regions_by_file.items():
        built = tuple(
            Region(name, i * 10 + 1, i * 10 + 5, Numbers(st, miss))
            for i, (name, st, miss) in enumerate(regions)
        )
        total = Numbers()
        for r in built:
            total = total + r.numbers
        files.append(FileCoverage(path=path, numbers=total, regions=built))
    return ProjectCoverage(
        files=tuple(files), branch_measured=False, input_kind="coverage-json", input_path="x"
    )


def test_priorities_by_share_of_gap() -> None:
    """P0 holds the first quarter of the gap, P1 to half, P2 to 80%, P3 the rest."""
    project = _project(
        {
            "a.py": [
                ("a", 100, 30),
                ("b", 100, 25),
                ("c", 100, 25),
                ("d", 100, 10),
                ("e", 100, 10),
                ("", 100, 0),
            ]
        }
    )
    _, functions = rank(project, DEFAULT_TIERS, 80)
    assert [(f.region.name, f.priority) for f in functions] == [
        ("a", "P0"),
        ("b", "P1"),
        ("c", "P2"),
        ("d", "P3"),
        ("e", "P3"),
    ]


def test_priorities_never_go_up_along_the_plan() -> None:
    """Priorities follow the plan's order by cumulative share of the gap: P0 first, P3 last."""
    project = _project(
        {"big.py": [("big", 100, 60)], "untested.py": [("x", 20, 20), ("y", 20, 20)]}
    )
    _, functions = rank(project, DEFAULT_TIERS, 80)
    assert [f.region.name for f in functions] == ["big", "x", "y"]
    assert [f.priority for f in functions] == ["P0", "P2", "P3"]


def test_files_ordered_by_impact_with_target_gap() -> None:
    """Files come biggest impact first; impact to target counts only what the file target needs."""
    project = _project({"a.py": [("f", 10, 5)], "b.py": [("g", 100, 10)]})
    files, _ = rank(project, DEFAULT_TIERS, 80)
    assert [f.file.path for f in files] == ["b.py", "a.py"]
    a = files[1]
    assert a.impact == Fraction(500, 110)
    assert a.impact_to_target == Fraction(300, 110)  # 10 units at 80% need 8 covered: 3 more
    assert files[0].impact_to_target == 0  # b.py is at 90%
