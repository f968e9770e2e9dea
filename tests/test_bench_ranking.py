"""The ranking benchmark's simulation and oracle (benchmarks/ranking/), which the effort model,
the risk order and the plan are measured with."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from ranking import simulate  # noqa: E402
from ranking.simulate import (  # noqa: E402
    best_function_order,
    follow_order,
    greedy,
    median,
    spearman,
)

FIXTURE = Path(__file__).parent / "fixtures" / "ranking"


def units(*values: int) -> frozenset[int]:
    return frozenset(values)


#: Real tests of a small example: A covers most, B and C split the rest with A.
TESTS = {"A": units(1, 2, 3, 4), "B": units(1, 2, 5), "C": units(3, 4, 6), "D": units(7)}


def test_greedy_takes_the_best_test_first_and_gains_less_each_step() -> None:
    """Greedy's first test adds the most units of any test; its gains never grow."""
    run = greedy(TESTS)
    assert run.steps[0].test == "A"
    gains = [step.gained for step in run.steps]
    assert gains == sorted(gains, reverse=True)
    assert sum(gains) == len(frozenset().union(*TESTS.values()))


def test_greedy_is_not_a_theorem() -> None:
    """An order can beat greedy after some number of tests (B then C: 6 units in 2 tests,
    greedy 5): the benchmark reports ratios above 1 as they are."""
    order = follow_order("f", ["f", "g"], {"f": units(1, 2, 5), "g": units(3, 4, 6)}, TESTS)
    assert order.gained_after(2) == 6
    assert greedy(TESTS).gained_after(2) == 5


@pytest.mark.parametrize(
    ("order", "tests_for", "steps"),
    [
        # A adds the most of f's six units, then B and C one each; g's are covered already.
        pytest.param(["f", "g"], {"f": 3, "g": 0}, ["A", "B", "C"], id="shared-test-is-free"),
        # g first takes A (its 4 units); f then still needs B and C for 5 and 6.
        pytest.param(["g", "f"], {"g": 1, "f": 2}, ["A", "B", "C"], id="order-matters"),
        # h's unit 8 no test covers: no test is added for it.
        pytest.param(["h"], {"h": 0}, [], id="unreachable"),
    ],
)
def test_follow_order_counts_tests_per_function(
    order: list[str], tests_for: dict[str, int], steps: list[str]
) -> None:
    """Each function's turn adds the real tests its missing units need; a test already added
    is free; the counts add up to the steps."""
    functions = {"f": units(1, 2, 3, 4, 5, 6), "g": units(1, 3), "h": units(8)}
    run = follow_order("order", order, functions, TESTS)
    assert dict(run.tests_for) == tests_for
    assert [step.test for step in run.steps] == steps
    assert sum(run.tests_for.values()) == len(run.steps)
    assert run.gained_after(len(run.steps)) == len(
        frozenset().union(*(functions[f] for f in order)) & frozenset().union(*TESTS.values())
    )


def test_the_best_function_order_takes_the_most_units_per_test_first() -> None:
    """The oracle's order of functions: g (A alone adds 4 units) before f (needs A, B and C
    for 6), h (no test covers it) never; it is at least every order of the same functions."""
    functions = {"f": units(1, 2, 3, 4, 5, 6), "g": units(1, 3), "h": units(8)}
    run = best_function_order(functions, TESTS)
    assert [step.function for step in run.steps] == ["g", "f", "f"]
    assert dict(run.tests_for) == {"g": 1, "f": 2}
    for order in (["f", "g"], ["g", "f"]):
        other = follow_order("o", order, functions, TESTS)
        for n in (1, 2, 3):
            assert run.gained_after(n) >= other.gained_after(n)
    assert len(best_function_order(functions, TESTS, max_tests=1).steps) == 1


def test_tests_alone_and_reaching_a_number_of_units() -> None:
    """A function's real tests alone is a greedy cover from nothing; ``tests_to_gain`` counts
    the steps until the units are reached, None when never."""
    assert simulate.tests_alone(units(1, 2, 5, 6), TESTS) == 2
    run = greedy(TESTS)
    assert run.tests_to_gain(4) == 1
    assert run.tests_to_gain(7) == 4
    assert run.tests_to_gain(8) is None


@pytest.mark.parametrize(
    ("xs", "ys", "expected"),
    [
        pytest.param([1, 2, 3], [10, 20, 30], 1.0, id="same-order"),
        pytest.param([1, 2, 3], [3, 2, 1], -1.0, id="reversed"),
        pytest.param([1, 1, 2, 3], [1, 2, 3, 4], 0.9486833, id="ties-average-ranks"),
        pytest.param([1, 1, 1], [1, 2, 3], None, id="constant"),
        pytest.param([1, 2], [1, 2], None, id="too-few"),
    ],
)
def test_spearman(xs: list[float], ys: list[float], expected: float | None) -> None:
    """Spearman's correlation on average ranks; None when undefined."""
    result = spearman(xs, ys)
    assert result == pytest.approx(expected) if expected is not None else result is None


def test_median() -> None:
    """The middle value, or the mean of the two middle values; None for none."""
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 2, 3]) == 2.5
    assert median([]) is None


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture library measured twice, as the benchmark does: all five test files, and
    every fourth (test_area.py, test_triangle.py), with per-test contexts."""
    from ranking.measure import Paths, measure, partial_selection, test_files
    from ranking.projects import Project

    root = tmp_path_factory.mktemp("ranking")
    folder = root / "src" / "shapes-0"
    shutil.copytree(FIXTURE, folder)
    project = Project("shapes", "0", ("shapes",))
    paths = Paths(root)
    files = test_files(folder, project)
    python = Path(sys.executable)
    measure(project, paths, folder, "full", files, python=python)
    measure(project, paths, folder, "partial", partial_selection(files), python=python)
    return root


@pytest.mark.slow
def test_the_oracle_and_the_orders_on_a_measured_project(measured: Path) -> None:
    """On real coverage.py data: the oracle's units are coverage.py's and covgap's; only tests
    not run today are candidates; a test module's import goes with its tests; every order gains
    what the full suite can add, greedy at least as much as the others at each checkpoint."""
    from ranking.evaluate import CHECKPOINTS, evaluate
    from ranking.oracle import read_oracle
    from ranking.planning import plan_today

    folder = measured / "src" / "shapes-0"
    partial = ["tests/test_area.py", "tests/test_triangle.py"]
    oracle = read_oracle(
        folder, measured / "full.coverage", measured / "partial.coverage", partial, "function"
    )
    assert oracle.today_tests == 2
    # test_circle's two cases are one real test; test_area's and test_triangle's ran today.
    assert sorted(oracle.tests) == [
        "tests/test_circle.py::test_circle",
        "tests/test_circle.py::test_unknown",
        "tests/test_convert.py::test_negative",
        "tests/test_convert.py::test_parse_default_unit",
        "tests/test_convert.py::test_parse_km",
        "tests/test_convert.py::test_unknown_unit",
        "tests/test_perimeter.py::test_square",
        "tests/test_perimeter.py::test_unknown",
    ]
    # convert.py was never imported today: its module-level lines go with each of its tests.
    module_lines = {("shapes/convert.py", 1), ("shapes/convert.py", 4), ("shapes/convert.py", 10)}
    for name, covered in oracle.tests.items():
        assert (module_lines <= covered) == name.startswith("tests/test_convert.py")

    plan = plan_today(folder, measured / "partial.coverage")  # checked against the oracle
    result = evaluate(plan, oracle, None, "not run")
    orders = result["orders"]
    reachable = result["reachable_units"]
    assert reachable == len(frozenset().union(*oracle.tests.values()))
    for name in ("covgap", "most_missing", "greedy"):
        assert round(orders[name]["gained_points_all"], 9) == round(
            100 * reachable / result["total_units"], 9
        )
        assert sum(step["gained"] for step in orders[name]["steps"]) == reachable
    for checkpoint in map(str, CHECKPOINTS):
        for name in ("covgap", "most_missing"):
            assert (
                orders["greedy"]["gained_points"][checkpoint]
                >= (orders[name]["gained_points"][checkpoint])
            )
    rows = result["functions"]
    assert sum(row["real_tests_in_covgap_order"] for row in rows) == orders["covgap"]["tests"]
    assert (
        sum(row["missing_units"] for row in rows)
        == result["total_units"] - (result["covered_today"])
    )
