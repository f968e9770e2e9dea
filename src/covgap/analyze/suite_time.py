"""The suite's wall time for 1, 2, 4, 8 pytest-xdist workers, from measured durations (pure).

For ``n`` workers the estimate is

    overhead + (n × XDIST_WORKER_START when n > 1) + the longest worker's share of the tests

where the tests are shared out longest first, each to the worker with the least so far (LPT:
Graham's longest-processing-time rule, within 4/3 of the best possible schedule), and
``overhead`` is what the measured run spent outside its tests (start-up, collection, coverage
saving its data): its wall time less its own estimate without overhead, 0 when its wall time is
not known. So the estimate for the workers the run had is its wall time. 1 worker is a run
without xdist: no worker to start. docs/history.md says how ``XDIST_WORKER_START`` was measured.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence

from covgap.model import SuiteEstimate, TestRun, WorkerEstimate

__all__ = [
    "WORKER_COUNTS",
    "XDIST_WORKER_START",
    "budget_text",
    "duration_text",
    "estimate_seconds",
    "lpt_makespan",
    "parallel_efficiency",
    "suite_estimate",
    "workers_needed",
]

#: Seconds each pytest-xdist worker adds to a run's wall time before its first test, measured
#: as the median of 5 runs of ``pytest -n N`` less that of ``pytest -p no:xdist`` on a one-test
#: suite, divided by N: 0.43, 0.44 and 0.43 s for N = 2, 4 and 8 (0.62 s for N = 1), with
#: pytest 9.2 and pytest-xdist 3.8 and no other plugin, Python 3.11, 2 cores. It grows with N:
#: the workers are started one after the other. Plugins and a heavy conftest.py raise it (about
#: 1.4 s in covgap's own test environment).
XDIST_WORKER_START = 0.43
#: The worker counts estimated by default.
WORKER_COUNTS = (1, 2, 4, 8)


def lpt_makespan(durations: Iterable[float], workers: int) -> float:
    """The longest worker's load when the durations are shared out longest first, each to the
    worker with the least load so far."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    loads = [0.0] * workers  # a heap: the least loaded worker first
    for duration in sorted(durations, reverse=True):
        heapq.heapreplace(loads, loads[0] + max(duration, 0.0))
    return max(loads)


def estimate_seconds(
    durations: Sequence[float],
    workers: int,
    *,
    overhead: float = 0.0,
    start: float = XDIST_WORKER_START,
) -> float:
    """The suite's wall time with ``workers`` (1: without xdist)."""
    starting = workers * start if workers > 1 else 0.0
    return overhead + starting + lpt_makespan(durations, workers)


def parallel_efficiency(
    parallel: TestRun,
    durations: Sequence[float],
    overhead: float,
    *,
    start: float = XDIST_WORKER_START,
) -> float:
    """How much of the ideal schedule a run with xdist workers achieved: the schedule of
    ``durations`` (a run without workers: durations measured under contention are longer)
    over that run's workers, divided by the wall time it spent on its tests (its wall time
    less ``overhead`` and the workers' start), within [0.2, 1]. 1 on a machine with a free core
    per worker; lower where the workers share cores."""
    workers = parallel.workers or 1
    if workers < 2 or not parallel.seconds:
        return 1.0
    ideal = lpt_makespan(durations, workers)
    spent = parallel.seconds - overhead - workers * start
    if ideal <= 0 or spent <= 0:
        return 1.0
    return min(1.0, max(0.2, ideal / spent))


def suite_estimate(
    run: TestRun,
    workers: Iterable[int] = WORKER_COUNTS,
    *,
    start: float = XDIST_WORKER_START,
    parallel: TestRun | None = None,
) -> SuiteEstimate:
    """The wall time of ``run``'s tests for each number of ``workers`` (and for the run's own),
    from its durations and its overhead; with ``parallel``, a recorded run with xdist workers,
    the schedules with workers are divided by the efficiency that run achieved."""
    durations = [outcome.duration for outcome in run.outcomes]
    overhead = 0.0
    if run.seconds is not None:
        own = estimate_seconds(durations, run.workers or 1, start=start)
        overhead = max(run.seconds - own, 0.0)
    efficiency = 1.0
    if parallel is not None and (run.workers or 1) == 1:
        efficiency = parallel_efficiency(parallel, durations, overhead, start=start)
    counts = sorted(set(workers))
    return SuiteEstimate(
        run=run.mark,
        tests=len(durations),
        test_seconds=math.fsum(durations),
        overhead=overhead,
        estimates=tuple(
            WorkerEstimate(n, _calibrated(durations, n, overhead, start, efficiency))
            for n in counts
        ),
        efficiency=efficiency,
        calibrated_by=parallel.mark if parallel is not None and efficiency < 1.0 else None,
    )


def _calibrated(
    durations: Sequence[float], workers: int, overhead: float, start: float, efficiency: float
) -> float:
    if workers < 2:
        return estimate_seconds(durations, workers, overhead=overhead, start=start)
    return overhead + workers * start + lpt_makespan(durations, workers) / efficiency


def workers_needed(estimate: SuiteEstimate, budget: float) -> int | None:
    """The fewest workers estimated whose wall time is within ``budget`` seconds; None when
    none is."""
    for item in sorted(estimate.estimates, key=lambda item: item.workers):
        if item.seconds <= budget:
            return item.workers
    return None


def duration_text(seconds: float) -> str:
    """ "0.25 s", "12.3 s", "4 min 12 s", "1 h 5 min"."""
    if seconds < 1:
        return f"{seconds:.2f} s"
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, rest = divmod(whole, 3600)
    minutes = round(rest / 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _workers(count: int) -> str:
    return f"{count} worker{'s' if count != 1 else ''}"


def budget_text(estimate: SuiteEstimate, budget: float) -> str:
    """The estimate against a time budget, in words: "under 5 min needs 4 workers (estimated
    4 min 12 s)", "under 5 min without xdist (estimated 3 min 2 s)", "over 5 min even with 8
    workers (estimated 6 min 40 s)"."""
    limit = duration_text(budget)
    needed = workers_needed(estimate, budget)
    if needed is None:
        most = max(estimate.estimates, key=lambda item: item.workers)
        return (
            f"over {limit} even with {_workers(most.workers)} "
            f"(estimated {duration_text(most.seconds)})"
        )
    seconds = estimate.seconds(needed)
    assert seconds is not None
    how = "without xdist" if needed == 1 else f"needs {_workers(needed)}"
    return f"under {limit} {how} (estimated {duration_text(seconds)})"
