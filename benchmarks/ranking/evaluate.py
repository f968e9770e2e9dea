"""One project's figures: covgap's plan, the orders followed with real tests, the calibration."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from coverage.results import should_fail_under

from ranking.oracle import OracleData
from ranking.peer import PeerItem
from ranking.planning import CovgapPlan
from ranking.simulate import (
    Run,
    best_function_order,
    follow_order,
    greedy,
    index_tests,
    median,
    spearman,
    tests_alone,
)

__all__ = ["CHECKPOINTS", "evaluate"]

#: Real tests after which the coverage gained is reported.
CHECKPOINTS = (5, 10, 20)


def _points(units: int, total: int) -> float:
    return 100.0 * units / total if total else 0.0


def tests_to_reach(
    run: Run, covered: int, total: int, fail_under: float, precision: int
) -> int | None:
    """Real tests after which coverage.py's ``fail_under`` passes; None if the run never does."""
    if not should_fail_under(_points(covered, total), fail_under, precision):
        return 0
    for count, step in enumerate(run.steps, 1):
        covered += step.gained
        if not should_fail_under(_points(covered, total), fail_under, precision):
            return count
    return None


def _check(plan: CovgapPlan, oracle: OracleData) -> None:
    """covgap's numbers and the oracle's are coverage.py's, so they must agree exactly."""
    if (plan.total_units, plan.covered_units) != (oracle.total_units, oracle.covered_today):
        raise SystemExit(
            f"covgap's totals {plan.covered_units}/{plan.total_units} differ from the oracle's "
            f"{oracle.covered_today}/{oracle.total_units}"
        )
    planned = frozenset().union(*(f.units for f in plan.functions))
    if planned != oracle.missing:
        raise SystemExit(
            f"covgap's regions miss {len(oracle.missing - planned)} units the oracle has, and "
            f"have {len(planned - oracle.missing)} it has not"
        )


def _order_view(
    run: Run, total: int, covered: int, fail_under: float | None, precision: int
) -> dict[str, Any]:
    return {
        "gained_points": {str(k): _points(run.gained_after(k), total) for k in CHECKPOINTS},
        "tests": len(run.steps),
        "gained_points_all": _points(run.gained_after(len(run.steps)), total),
        "tests_to_first_milestone": (
            tests_to_reach(run, covered, total, fail_under, precision)
            if fail_under is not None
            else None
        ),
        "steps": [
            {
                "test": s.test,
                "function": list(s.function) if isinstance(s.function, tuple) else s.function,
                "gained": s.gained,
            }
            for s in run.steps
        ],
    }


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _top_view(units: frozenset[Hashable], oracle: OracleData, index: Any) -> dict[str, int]:
    reachable = units & index.by_unit.keys()
    return {
        "missing_units": len(units),
        "reachable_units": len(reachable),
        "real_tests_alone": tests_alone(frozenset(reachable), oracle.tests, index),
    }


def _following(
    name: str, items: Sequence[frozenset[Hashable]], oracle: OracleData, index: Any
) -> dict[str, Any]:
    """Follow a top-10 list with real tests: tests used, points gained."""
    run = follow_order(name, list(range(len(items))), dict(enumerate(items)), oracle.tests, index)
    return {
        "tests": len(run.steps),
        "gained_points": _points(run.gained_after(len(run.steps)), oracle.total_units),
    }


def evaluate(
    plan: CovgapPlan,
    oracle: OracleData,
    peer: list[PeerItem] | None,
    peer_note: str,
) -> dict[str, Any]:
    """Every figure of one project, and the per-function data behind them."""
    _check(plan, oracle)
    total, covered = oracle.total_units, oracle.covered_today
    functions = {f.key: f.units for f in plan.functions}
    index = index_tests(oracle.tests)
    covgap_order = [f.key for f in plan.functions]
    most_missing = sorted(
        plan.functions,
        key=lambda f: (-(f.missing_statements + f.missing_branches), f.key[0], f.key[2]),
    )
    runs = {
        "covgap": follow_order("covgap", covgap_order, functions, oracle.tests, index),
        "most_missing": follow_order(
            "most_missing", [f.key for f in most_missing], functions, oracle.tests, index
        ),
        "greedy": greedy(oracle.tests),
        "best_functions": best_function_order(functions, oracle.tests, index),
    }
    first = plan.phases[0].fail_under if plan.phases else None
    orders = {
        name: _order_view(run, total, covered, first, plan.precision) for name, run in runs.items()
    }

    reachable_all = frozenset().union(*oracle.tests.values()) if oracle.tests else frozenset()
    per_function = []
    for f in plan.functions:
        reachable = f.units & reachable_all
        covering = {name for unit in f.units for name in index.by_unit.get(unit, ())}
        by_test = {name: len(oracle.tests[name] & f.units) for name in covering}
        per_function.append(
            {
                **f.to_json(),
                "missing_units": len(f.units),
                "reachable_units": len(reachable),
                "real_tests_alone": tests_alone(reachable, oracle.tests, index),
                "real_tests_in_covgap_order": runs["covgap"].tests_for.get(f.key, 0),
                "real_tests_in_most_missing_order": runs["most_missing"].tests_for.get(f.key, 0),
                "tests_covering": dict(sorted(by_test.items(), key=lambda kv: (-kv[1], kv[0]))),
            }
        )
    calibrated = [row for row in per_function if row["reachable_units"]]
    estimated = [row["estimated_tests"] for row in calibrated]
    alone = [row["real_tests_alone"] for row in calibrated]
    in_order = [row["real_tests_in_covgap_order"] for row in calibrated]
    calibration = {
        "functions": len(calibrated),
        "functions_not_reachable": len(per_function) - len(calibrated),
        "spearman_alone": spearman(estimated, alone),
        "median_ratio_alone": median([e / a for e, a in zip(estimated, alone, strict=True)]),
        "spearman_in_order": spearman(estimated, in_order),
        "median_ratio_in_order": median(
            [e / r for e, r in zip(estimated, in_order, strict=True) if r]
        ),
        "zero_in_order": sum(1 for r in in_order if r == 0),
    }
    phases = []
    for phase in plan.phases:
        units = frozenset().union(*(functions[k] for k in phase.functions))
        real = sum(runs["covgap"].tests_for.get(k, 0) for k in phase.functions)
        phases.append(
            {
                "number": phase.number,
                "milestone": phase.milestone,
                "fail_under": phase.fail_under,
                "functions": len(phase.functions),
                "estimated_tests": phase.estimated_tests,
                "real_tests": real,
                "ratio": _ratio(phase.estimated_tests, real),
                "missing_units": len(units),
                "reachable_units": len(units & reachable_all),
            }
        )
    greedy10 = orders["greedy"]["gained_points"]["10"]
    top_covgap = [
        {
            "name": f"{f.key[0]}::{f.key[1] or '(module level)'}",
            "estimated_tests": f.effort,
            **_top_view(f.units, oracle, index),
        }
        for f in plan.functions[:10]
    ]
    top = {
        "covgap": top_covgap,
        "covgap_following": _following(
            "covgap10", [f.units for f in plan.functions[:10]], oracle, index
        ),
        "testrisk_input": peer_note,
    }
    if peer is not None:
        top["testrisk"] = [
            {"name": f"{p.path}::{p.name}", **_top_view(p.units, oracle, index)} for p in peer
        ]
        top["testrisk_following"] = _following("testrisk10", [p.units for p in peer], oracle, index)
    return {
        "total_units": total,
        "covered_today": covered,
        "percent_today": _points(covered, total),
        "reachable_units": len(reachable_all),
        "percent_full_suite_reachable": _points(covered + len(reachable_all), total),
        "candidate_tests": len(oracle.tests),
        # What each real test not run today adds to today's coverage, alone (units).
        "real_tests": {name: len(units) for name, units in oracle.tests.items()},
        "today_tests": oracle.today_tests,
        "first_milestone": first,
        "orders": orders,
        "covgap_over_greedy_at_10": _ratio(orders["covgap"]["gained_points"]["10"], greedy10),
        "best_functions_over_greedy_at_10": _ratio(
            orders["best_functions"]["gained_points"]["10"], greedy10
        ),
        "calibration": calibration,
        "phases": phases,
        "top10": top,
        "functions": per_function,
        "notes": list(oracle.notes),
        "covgap_seconds": plan.seconds,
    }
