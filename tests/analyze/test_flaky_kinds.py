"""Telling flaky tests apart, without running anything: the steps, the kinds, the causes, the
bisection and the coverage that moves (analyze/flaky.py)."""

from __future__ import annotations

import dataclasses
import math

from covgap.analyze.flaky import (
    Evidence,
    History,
    classify,
    coverage_jitter,
    guess_cause,
    histories,
    minimal_subset,
    next_step,
    same_tests,
    start_evidence,
)
from covgap.collect.suite.flaky_runs import RunCoverage
from covgap.model import FlakyRun, Outcome, RunTest, TestOutcome
from covgap.report.flaky import _ranges

A, B, C, T = "t.py::test_a", "t.py::test_b", "t.py::test_c", "t.py::test_target"


def result(
    nodeid: str,
    outcome: Outcome = "passed",
    duration: float = 0.01,
    *,
    message: str = "",
    exc_type: str = "",
    worker: str = "",
    timeout: float | None = None,
) -> RunTest:
    phase = "call" if outcome == "failed" else ""
    return RunTest(
        TestOutcome(nodeid, outcome, duration, message, phase),
        exc_type=exc_type,
        worker=worker,
        timeout=timeout,
    )


def run(seed: int, *tests: RunTest, workers: int = 1) -> FlakyRun:
    return FlakyRun(seed, workers, 1.0, tests, 1 if any(t.failed for t in tests) else 0)


def test_only_tests_that_failed_somewhere_have_a_history() -> None:
    runs = [
        run(1, result(A), result(T, "failed")),
        run(2, result(T), result(A, "skipped")),
    ]
    found = histories(runs)
    assert [history.nodeid for history in found] == [T]
    assert len(found[0].failing) == 1 and len(found[0].passing) == 1


def test_the_tests_before_a_test_are_those_of_its_worker() -> None:
    one = run(
        1,
        result(A, worker="gw0"),
        result(B, worker="gw1"),
        result(C, worker="gw0"),
        result(T, worker="gw0"),
        workers=2,
    )
    assert one.before(T) == (A, C)
    assert one.before(B) == ()
    assert one.before("missing") == ()


def test_a_test_that_never_passed_always_fails() -> None:
    history = histories([run(1, result(T, "failed")), run(2, result(T, "failed"))])[0]
    evidence = start_evidence(history)
    assert next_step(history, evidence) is None
    test = classify(history, evidence, {})
    assert test.kind == "always-failing" and test.failures == 2 and test.seeds == (1, 2)


def test_near_its_timeout_is_timing_sensitive_without_experiments() -> None:
    """Each failure at 80% or more of its pytest-timeout limit, or cut by it."""
    history = histories(
        [
            run(1, result(T, duration=0.1, timeout=1.0)),
            run(2, result(T, "failed", 0.85, timeout=1.0, message="assert False")),
            run(3, result(T, "failed", 1.0, message="Failed: Timeout (>1.0s) from pytest-timeout")),
        ]
    )[0]
    assert next_step(history, start_evidence(history)) is None
    test = classify(history, start_evidence(history), {})
    assert test.kind == "timing-sensitive" and test.cause == "time"
    # a failure well under the limit needs the experiments
    early = histories(
        [run(1, result(T, timeout=1.0)), run(2, result(T, "failed", 0.2, timeout=1.0))]
    )[0]
    assert next_step(early, start_evidence(early)) == "same-order"


def test_the_steps_of_an_order_dependent_test() -> None:
    """Fails again in the same order, passes alone: bisect; the smallest set is its polluter."""
    history = histories([run(1, result(A), result(B), result(T, "failed")), run(2, result(T))])[0]
    evidence = start_evidence(history)
    assert evidence.before == (A, B) and evidence.seed == 1 and evidence.passing_seed == 2
    assert next_step(history, evidence) == "same-order"
    evidence = dataclasses.replace(evidence, same_order_failed=True)
    assert next_step(history, evidence) == "alone"
    evidence = dataclasses.replace(evidence, alone_failed=False)
    assert next_step(history, evidence) == "bisect-polluters"
    evidence = dataclasses.replace(evidence, polluters=(B,))
    assert next_step(history, evidence) is None
    sources = {
        T: "def test_target():\n    assert config.MODE == 'safe'\n",
        B: "def test_b():\n    config.MODE = 'fast'\n",
    }
    test = classify(history, evidence, sources)
    assert test.kind == "order-dependent" and test.polluters == (B,) and not test.brittle
    assert test.cause == "shared state" and "`config.MODE`" in test.cause_evidence


def test_a_test_that_passes_in_the_same_order_is_flaky() -> None:
    history = histories([run(1, result(A), result(T, "failed")), run(2, result(T))])[0]
    evidence = dataclasses.replace(start_evidence(history), same_order_failed=False)
    assert next_step(history, evidence) is None
    test = classify(history, evidence, {T: "def test_target():\n    assert fetch('x')\n"})
    assert test.kind == "flaky" and test.confirmed
    assert "passes and fails in the same order" in test.detail
    assert test.cause == "unknown"


def test_a_test_that_follows_the_seed_is_flaky_from_randomness() -> None:
    """Fails alone with the failing run's seed, passes alone with a passing run's."""
    history = histories([run(1, result(T, "failed")), run(2, result(T))])[0]
    evidence = start_evidence(history)
    assert evidence.before == ()  # nothing before it: the same-order run is the alone run
    evidence = dataclasses.replace(evidence, same_order_failed=True)
    assert next_step(history, evidence) == "other-seed"
    evidence = dataclasses.replace(evidence, other_seed_failed=False)
    test = classify(history, evidence, {})
    assert test.kind == "flaky" and test.cause == "randomness"
    assert "seed 1" in test.cause_evidence and "seed 2" in test.cause_evidence


def test_a_test_that_fails_alone_whatever_the_seed_is_brittle() -> None:
    """It needs a test before it to pass: order-dependent, brittle, with its state-setter."""
    history = histories([run(1, result(T, "failed")), run(2, result(A), result(T))])[0]
    evidence = dataclasses.replace(
        start_evidence(history), same_order_failed=True, other_seed_failed=True
    )
    assert evidence.passing_before == (A,)
    assert next_step(history, evidence) == "bisect-setters"
    evidence = dataclasses.replace(evidence, setters=(A,))
    test = classify(history, evidence, {})
    assert test.kind == "order-dependent" and test.brittle and test.polluters == (A,)


def test_failing_only_in_parallel_runs_when_slower_is_timing_sensitive() -> None:
    history = histories(
        [
            run(1, result(T, "failed", 0.9, worker="gw0"), workers=2),
            run(2, result(T, duration=0.2, worker="gw1"), workers=2),
        ]
    )[0]
    evidence = dataclasses.replace(start_evidence(history), same_order_failed=False)
    test = classify(history, evidence, {})
    assert test.kind == "timing-sensitive" and "only in parallel runs" in test.cause_evidence


def test_a_budget_that_ran_out_leaves_the_test_unconfirmed() -> None:
    history = histories([run(1, result(A), result(T, "failed")), run(2, result(T))])[0]
    evidence = dataclasses.replace(start_evidence(history), stopped="the budget ran out")
    assert next_step(history, evidence) is None
    test = classify(history, evidence, {})
    assert test.kind == "flaky" and not test.confirmed and "budget" in test.detail


def _history_failing_with(exc_type: str) -> tuple[History, Evidence]:
    history = histories([run(1, result(T, "failed", exc_type=exc_type)), run(2, result(T))])[0]
    return history, dataclasses.replace(start_evidence(history), same_order_failed=False)


def test_causes_from_the_exception_then_the_code() -> None:
    history, evidence = _history_failing_with("requests.exceptions.ConnectionError")
    assert guess_cause("flaky", history, evidence, "")[0] == "network"
    history, evidence = _history_failing_with("TimeoutError")
    assert guess_cause("flaky", history, evidence, "")[0] == "time"
    network_code = "def test_x():\n    socket.create_connection(('h', 1))\n"
    cause = guess_cause("flaky", history, evidence, network_code)
    assert cause[0] == "network"
    history, evidence = _history_failing_with("AssertionError")
    for code, expected in [
        ("def test_x():\n    assert datetime.now().second % 2\n", "time"),
        ("def test_x():\n    assert uuid4() != uuid4()\n", "randomness"),
        ("def test_x():\n    os.environ['A'] = '1'\n", "shared state"),
        ("def test_x():\n    assert 1\n", "unknown"),
    ]:
        cause, why = guess_cause("flaky", history, evidence, code)
        assert cause == expected, code
        assert expected == "unknown" or "its code uses" in why


def test_the_bisection_finds_one_polluter_in_few_runs() -> None:
    items = tuple(f"t.py::test_{n}" for n in range(32))
    calls: list[tuple[str, ...]] = []

    def fails(subset: tuple[str, ...]) -> bool:
        calls.append(subset)
        return "t.py::test_21" in subset

    found, done = minimal_subset(items, fails)
    assert found == ("t.py::test_21",) and done
    assert len(calls) <= 2 * math.log2(len(items))


def test_the_bisection_finds_two_polluters_needed_together() -> None:
    items = tuple(f"t.py::test_{n}" for n in range(12))
    needed = {"t.py::test_2", "t.py::test_9"}
    found, done = minimal_subset(items, lambda subset: needed <= set(subset))
    assert set(found) == needed and done


def test_the_bisection_stops_when_it_cannot_tell() -> None:
    items = tuple(f"t.py::test_{n}" for n in range(8))
    answers = iter([False, True, None])
    found, done = minimal_subset(items, lambda subset: next(answers))
    assert not done and found == items[4:]


def test_coverage_that_moves_between_runs() -> None:
    def covered(lines: set[int], arcs: set[tuple[int, int]]) -> RunCoverage:
        return RunCoverage(
            lines={"pkg/a.py": frozenset(lines), "pkg/b.py": frozenset({1})},
            arcs={"pkg/a.py": frozenset(arcs)},
            tests={"pkg/a.py": {6: frozenset({"t.py::test_low"})}},
        )

    runs = [
        covered({1, 5, 6}, {(5, 6), (6, -1)}),
        covered({1, 5, 7}, {(5, 7), (7, -1)}),
        covered({1, 5, 6}, {(5, 6), (6, -1)}),
    ]
    found, totals = coverage_jitter(runs)
    assert totals == (4, 4)
    assert [jitter.path for jitter in found] == ["pkg/a.py"]
    assert found[0].lines == ((6, 2), (7, 1))
    assert ((5, 7), 1) in found[0].arcs and found[0].tests == ("t.py::test_low",)
    assert coverage_jitter([]) == ((), None)


def test_line_ranges() -> None:
    assert _ranges([7, 1, 2, 3, 5, 9, 10]) == "1-3, 5, 7, 9-10"


def test_ids_made_from_a_sets_order_are_one_test() -> None:
    """pytest names a parameter it cannot print by its index ("expected7"); when the values
    come from a set, the index follows PYTHONHASHSEED: such ids are matched by their other
    parameters, unless the name would stand for two tests."""
    runs = [
        run(1, result("t.py::test_f[1-expected0]"), result("t.py::test_f[2-expected1]", "failed")),
        run(2, result("t.py::test_f[2-expected0]"), result("t.py::test_f[1-expected1]")),
        run(3, result("t.py::test_g[a0]"), result("t.py::test_g[a1]"), result(A)),
        run(4, result("t.py::test_g[a1]"), result("t.py::test_g[a0]"), result(A)),
    ]
    names, changing = same_tests(runs[:2])
    assert changing == 4
    assert names["t.py::test_f[2-expected1]"] == names["t.py::test_f[2-expected0]"]
    found = histories(runs[:2], names)
    assert [(h.nodeid, len(h.results)) for h in found] == [("t.py::test_f[2-expected#]", 2)]
    evidence = start_evidence(found[0])
    assert evidence.target == "t.py::test_f[2-expected1]"
    assert evidence.passing_target == "t.py::test_f[2-expected0]"
    # test_g[a#] would name both of a run's tests: not matched (and these ids do not change)
    assert same_tests(runs[2:]) == ({}, 0)
