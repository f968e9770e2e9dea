"""What recorded test runs show: flaky tests across runs, slow tests and regressions, and the
suite's wall time for N workers (longest-first schedules checked against hand-computed ones)."""

from __future__ import annotations

import pytest

from covgap.analyze.known_flaky import find_flaky
from covgap.analyze.slow_tests import regressions, suite_timing
from covgap.analyze.suite_time import (
    budget_text,
    duration_text,
    estimate_seconds,
    lpt_makespan,
    suite_estimate,
    workers_needed,
)
from covgap.model import RunMark, TestOutcome, TestRun

A, B = "a" * 40, "b" * 40


def make_run(
    run_id: int,
    outcomes: dict[str, tuple[str, float] | str],
    *,
    commit: str | None = A,
    dirty: bool = False,
    batch: int | None = None,
    seconds: float | None = None,
    workers: int | None = 1,
) -> TestRun:
    """A run whose outcomes are {nodeid: outcome or (outcome, duration)}; a failure's message
    names its run."""
    tests = []
    for nodeid, given in outcomes.items():
        outcome, duration = (given, 0.0) if isinstance(given, str) else given
        also = None
        if outcome == "passed+error":
            outcome, also = "passed", "error"
        message = f"boom in run {run_id}" if outcome in {"failed", "error"} or also else ""
        tests.append(TestOutcome(nodeid, outcome, duration, message, "", also))  # type: ignore[arg-type]
    return TestRun(
        id=run_id,
        commit=commit,
        branch="main",
        dirty=dirty,
        recorded_at=f"2026-01-{run_id:02d}T10:00:00Z",
        covgap_version="0",
        source="covgap run",
        seed=None,
        workers=workers,
        seconds=seconds,
        partial=False,
        batch=batch,
        snapshot_id=None,
        outcomes=tuple(tests),
        test_count=len(tests),
    )


# -- flaky across runs -------------------------------------------------------------------------


def test_passed_and_failed_on_one_commit_is_flaky() -> None:
    runs = [
        make_run(1, {"t::ok": "passed", "t::flip": "passed"}),
        make_run(2, {"t::ok": "passed", "t::flip": "failed"}),
        make_run(3, {"t::ok": "passed", "t::flip": "passed"}),
    ]
    (record,) = find_flaky(runs)
    assert record.nodeid == "t::flip"
    assert (record.runs, record.failures) == (3, 1)
    assert record.frequency == pytest.approx(1 / 3)
    assert record.first_seen == record.last_seen == RunMark(2, "2026-01-02T10:00:00Z", A)
    assert record.message == "boom in run 2"
    assert record.commits == (A,)


def test_a_change_of_code_is_not_flakiness() -> None:
    """Passing on one commit and failing on the next is a change; so is a run on a work tree
    with uncommitted changes, unless it was recorded with the other (a batch)."""
    assert (
        find_flaky([make_run(1, {"t::x": "passed"}), make_run(2, {"t::x": "failed"}, commit=B)])
        == ()
    )
    assert (
        find_flaky([make_run(1, {"t::x": "passed"}), make_run(2, {"t::x": "failed"}, dirty=True)])
        == ()
    )
    no_git = [
        make_run(1, {"t::x": "passed"}, commit=None),
        make_run(2, {"t::x": "failed"}, commit=None),
    ]
    assert find_flaky(no_git) == ()
    batch = [
        make_run(5, {"t::x": "passed"}, dirty=True, batch=5),
        make_run(6, {"t::x": "failed"}, dirty=True, batch=5),
    ]
    (record,) = find_flaky(batch)
    assert (record.runs, record.failures, record.commits) == (2, 1, ())
    assert record.last_seen == RunMark(6, "2026-01-06T10:00:00Z", A, dirty=True)


def test_what_counts_as_passing_and_failing() -> None:
    """An error in teardown after a passing call fails; skipped, xfailed and xpassed are neither."""
    runs = [
        make_run(1, {"t::teardown": "passed", "t::skip": "skipped", "t::xfail": "xfailed"}),
        make_run(2, {"t::teardown": "passed+error", "t::skip": "failed", "t::xfail": "xpassed"}),
    ]
    (record,) = find_flaky(runs)
    assert record.nodeid == "t::teardown" and record.failures == 1


def test_flaky_on_several_commits_adds_up_and_sorts_by_frequency() -> None:
    runs = [
        make_run(1, {"t::rare": "passed", "t::often": "failed"}),
        make_run(2, {"t::rare": "passed", "t::often": "passed"}),
        make_run(3, {"t::rare": "passed", "t::often": "failed"}, commit=B),
        make_run(4, {"t::rare": "error", "t::often": "passed"}, commit=B),
        make_run(5, {"t::rare": "passed", "t::often": "failed"}, commit=B),
        make_run(6, {"t::rare": "passed"}, commit=B),
    ]
    often, rare = find_flaky(runs)
    assert (often.nodeid, often.runs, often.failures) == ("t::often", 5, 3)
    assert often.first_seen.run_id == 1 and often.last_seen.run_id == 5
    assert often.commits == (A, B)
    assert (rare.nodeid, rare.runs, rare.failures, rare.commits) == ("t::rare", 4, 1, (B,))
    assert rare.message == "boom in run 4"


# -- slow tests ---------------------------------------------------------------------------------


def timed_runs(durations: dict[str, list[float]]) -> list[TestRun]:
    count = max(len(values) for values in durations.values())
    return [
        make_run(
            number + 1,
            {
                nodeid: ("passed", values[number])
                for nodeid, values in durations.items()
                if number < len(values)
            },
            commit=f"{number:040x}",
        )
        for number in range(count)
    ]


def test_medians_shares_and_the_slowest_tenth() -> None:
    durations = {f"t::fast{n}": [0.1, 0.3, 0.2] for n in range(9)}
    durations["t::slow"] = [3.0, 2.0, 10.0]
    runs = timed_runs(durations)
    runs.append(make_run(4, {"t::slow": ("skipped", 0.0)}))  # takes no time: left out
    timing = suite_timing(runs, top=2)
    assert (timing.runs, timing.tests) == (4, 10)
    assert timing.total == pytest.approx(3.0 + 9 * 0.2)
    slow, fast = timing.slowest
    assert (slow.nodeid, slow.median, slow.latest, slow.runs) == ("t::slow", 3.0, 10.0, 3)
    assert slow.share == pytest.approx(3.0 / 4.8)
    assert (fast.nodeid, fast.median) == ("t::fast0", 0.2)
    assert timing.tenth_count == 1 and timing.tenth_share == pytest.approx(3.0 / 4.8)


def test_a_test_twice_as_slow_as_its_median_is_a_regression() -> None:
    runs = timed_runs(
        {
            "t::steady": [1.0, 1.1, 0.9, 1.0, 1.05],
            "t::slowed": [0.2, 0.25, 0.2, 0.2, 0.6],  # 0.6 ≥ 2 × 0.2
            "t::noise": [0.01, 0.01, 0.01, 0.01, 0.09],  # 9× but under 0.1 s
            "t::since": [1.0, 1.0, 1.0, 3.0, 2.5],  # slow for the last 2 runs
            "t::young": [1.0, 5.0],  # one duration before: not judged
        }
    )
    slowed, since = regressions(runs)  # the most slowed first: 3× before 2.5×
    assert (slowed.nodeid, slowed.seconds, slowed.median_before) == ("t::slowed", 0.6, 0.2)
    assert slowed.slow_runs == 1 and slowed.since.run_id == 5
    assert slowed.ratio == pytest.approx(3.0)
    assert (since.nodeid, since.median_before, since.slow_runs) == ("t::since", 1.0, 2)
    assert since.since == RunMark(4, "2026-01-04T10:00:00Z", f"{3:040x}")
    # the default factor is 2: 0.39 s after a median of 0.2 s is not enough
    assert regressions(timed_runs({"t::x": [0.2, 0.2, 0.2, 0.39]})) == ()
    assert regressions(timed_runs({"t::x": [0.2, 0.2, 0.2, 0.31]}), factor=1.5) != ()


# -- the suite's wall time ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("durations", "workers", "makespan"),
    [
        # 5→A, 4→B, 3→B (7), 3→A (8), 3→B (10): LPT's 10, where {5, 4} {3, 3, 3} gives 9
        ([3, 5, 3, 4, 3], 2, 10),
        # 7→A, 6→B, 5→C, 4→C (9), 3→B (9), 2→A (9), 1→A (10)
        ([1, 2, 3, 4, 5, 6, 7], 3, 10),
        # 8→A, 7→B, 6→C, 5→D, 4→D (9), 3→C (9), 2→B (9), 1→A (9)
        ([1, 2, 3, 4, 5, 6, 7, 8], 4, 9),
        ([1, 2, 3, 4], 1, 10),  # one worker: the sum
        ([0.5, 2.5, 1.0], 8, 2.5),  # more workers than tests: the longest test
        ([], 4, 0),
    ],
)
def test_lpt_makespan_matches_the_hand_computed_schedule(
    durations: list[float], workers: int, makespan: float
) -> None:
    assert lpt_makespan(durations, workers) == pytest.approx(makespan)


def test_estimates_add_the_overhead_and_each_workers_start() -> None:
    assert estimate_seconds([3, 5, 3, 4, 3], 1, overhead=1.5, start=0.5) == 19.5
    assert estimate_seconds([3, 5, 3, 4, 3], 2, overhead=1.5, start=0.5) == 1.5 + 1.0 + 10
    with pytest.raises(ValueError, match="at least 1"):
        lpt_makespan([1.0], 0)


def test_the_estimate_for_the_runs_own_workers_is_its_wall_time() -> None:
    durations = {f"t::{i}": ("passed", float(n)) for i, n in enumerate((3, 5, 3, 4, 3))}
    serial = make_run(1, durations, seconds=20.0)
    estimate = suite_estimate(serial, start=0.5)
    assert (estimate.tests, estimate.test_seconds, estimate.overhead) == (5, 18.0, 2.0)
    assert [(e.workers, e.seconds) for e in estimate.estimates] == [
        (1, 20.0),
        (2, 2.0 + 1.0 + 10),  # overhead, 2 starts, LPT's 10
        (4, 2.0 + 2.0 + 6),  # 5 | 4 | 3+3 | 3
        (8, 2.0 + 4.0 + 5),
    ]
    parallel = make_run(2, durations, seconds=14.0, workers=2)
    estimate = suite_estimate(parallel, (1, 2, 3), start=0.5)
    assert estimate.overhead == pytest.approx(14.0 - 1.0 - 10)
    assert estimate.seconds(2) == pytest.approx(14.0)
    assert estimate.seconds(3) == pytest.approx(3.0 + 1.5 + 7)  # 5 | 4+3 | 3+3
    assert estimate.seconds(5) is None
    unknown = suite_estimate(make_run(3, durations, seconds=None, workers=None), start=0.5)
    assert unknown.overhead == 0 and unknown.seconds(1) == 18.0


def test_the_budget_in_words() -> None:
    durations = {f"t::{i}": ("passed", 60.0 * n) for i, n in enumerate((3, 5, 3, 4, 3))}
    estimate = suite_estimate(make_run(1, durations), start=0.5)  # 18, 10, 6, 5 min (+ starts)
    assert workers_needed(estimate, 20 * 60) == 1
    assert workers_needed(estimate, 11 * 60) == 2
    assert workers_needed(estimate, 5 * 60) is None
    assert budget_text(estimate, 20 * 60) == "under 20 min without xdist (estimated 18 min)"
    assert (
        budget_text(estimate, 6.5 * 60) == "under 6 min 30 s needs 4 workers (estimated 6 min 2 s)"
    )
    assert budget_text(estimate, 5 * 60) == "over 5 min even with 8 workers (estimated 5 min 4 s)"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.254, "0.25 s"),
        (12.34, "12.3 s"),
        (59.99, "1 min"),
        (252.4, "4 min 12 s"),
        (3900, "1 h 5 min"),
        (7200, "2 h"),
    ],
)
def test_durations_in_words(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


def test_histogram_counts_every_median_once() -> None:
    from covgap.analyze.slow_tests import histogram

    bins = histogram([0.0005, 0.001, 0.05, 0.05, 2.0, 30.0])
    assert [(b.low, b.high, b.tests) for b in bins] == [
        (0.0, 0.001, 1),
        (0.001, 0.01, 1),
        (0.01, 0.1, 2),
        (0.1, 1.0, 0),
        (1.0, 10.0, 1),
        (10.0, None, 1),
    ]
    assert bins[2].seconds == 0.1


def test_a_run_with_workers_calibrates_the_estimate() -> None:
    """Serial durations of 4 × 1 s, 1 s outside them; a 2-worker run took 4 s of wall time:
    2.0 s of ideal schedule over 4 − 1 − 2 × 0.43 = 2.14 s spent: 93.5% efficiency."""
    from covgap.analyze.suite_time import parallel_efficiency, suite_estimate
    from covgap.model import TestOutcome, TestRun

    def run(run_id: int, workers: int, seconds: float) -> TestRun:
        outcomes = tuple(TestOutcome(f"t.py::test_{i}", "passed", 1.0) for i in range(4))
        return TestRun(
            run_id,
            "abc",
            "main",
            False,
            "2026-12-08T00:00:00Z",
            "0",
            "covgap flaky",
            None,
            workers,
            seconds,
            False,
            None,
            None,
            outcomes,
            len(outcomes),
        )

    serial, parallel = run(1, 1, 5.0), run(2, 2, 4.0)
    assert parallel_efficiency(parallel, [1.0] * 4, 1.0) == pytest.approx(2.0 / 2.14)
    estimate = suite_estimate(serial, (1, 2), parallel=parallel)
    assert estimate.seconds(1) == pytest.approx(5.0)
    assert estimate.seconds(2) == pytest.approx(4.0)  # what the 2-worker run measured
    assert estimate.calibrated_by == parallel.mark
    assert suite_estimate(serial, (1, 2)).seconds(2) == pytest.approx(1.0 + 0.86 + 2.0)
