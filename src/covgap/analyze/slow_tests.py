"""Slow tests over the recorded runs: medians, the slowest and their share, regressions (pure).

Each test's durations are its runs' (setup + call + teardown, as pytest times them), in run
order; a skipped outcome takes no time and is left out. A test is a **regression** when its
latest durations are each at least ``factor`` (2) times the median of its durations before
them, and at least ``min_seconds`` (0.1 s, below which timing is noise), with at least
``min_history`` (2) durations before them; the first of those slow runs is the one that made
it slow (its commit). docs/history.md.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence

from covgap.model import DurationBin, RunMark, SlowRegression, SuiteTiming, TestRun, TestTiming

__all__ = [
    "BIN_EDGES",
    "FACTOR",
    "MIN_HISTORY",
    "MIN_SECONDS",
    "durations",
    "histogram",
    "regressions",
    "suite_timing",
]

#: A test is slow again when it takes at least this many times its median before.
FACTOR = 2.0
#: Durations below this are not judged: scheduling and the machine's load move them by as much.
MIN_SECONDS = 0.1
#: Durations a test needs before the slow ones to be judged.
MIN_HISTORY = 2


#: The duration histogram's bins, in seconds: each a tenfold (timing below 1 ms is noise).
BIN_EDGES = (0.0, 0.001, 0.01, 0.1, 1.0, 10.0)


def histogram(
    medians: Sequence[float], edges: Sequence[float] = BIN_EDGES
) -> tuple[DurationBin, ...]:
    """The tests by their median duration, in ``edges``' bins (the last has no upper bound):
    every bin, empty ones too, so that they draw as one axis."""
    bins = []
    for index, low in enumerate(edges):
        high = edges[index + 1] if index + 1 < len(edges) else None
        inside = [m for m in medians if m >= low and (high is None or m < high)]
        bins.append(DurationBin(low, high, len(inside), math.fsum(inside)))
    return tuple(bins)


def durations(runs: Sequence[TestRun]) -> dict[str, list[tuple[RunMark, float]]]:
    """Each test's durations, in run order, with the run each comes from."""
    found: dict[str, list[tuple[RunMark, float]]] = defaultdict(list)
    for run in sorted(runs, key=lambda run: run.id):
        mark = run.mark
        for outcome in run.outcomes:
            if outcome.outcome != "skipped":
                found[outcome.nodeid].append((mark, outcome.duration))
    return dict(found)


def _regression(
    nodeid: str,
    timed: Sequence[tuple[RunMark, float]],
    factor: float,
    min_seconds: float,
    min_history: int,
) -> SlowRegression | None:
    """The longest run of slow durations at the end of ``timed``, if any."""
    values = [seconds for _, seconds in timed]
    slow = 0
    for count in range(1, len(values) - min_history + 1):
        before = statistics.median(values[:-count])
        latest = values[-count:]
        if not all(value >= min_seconds and value >= factor * before for value in latest):
            break
        slow = count
    if not slow:
        return None
    return SlowRegression(
        nodeid=nodeid,
        seconds=values[-1],
        median_before=statistics.median(values[:-slow]),
        slow_runs=slow,
        since=timed[-slow][0],
    )


def regressions(
    runs: Sequence[TestRun],
    *,
    factor: float = FACTOR,
    min_seconds: float = MIN_SECONDS,
    min_history: int = MIN_HISTORY,
) -> tuple[SlowRegression, ...]:
    """The tests that became slow, the most slowed first."""
    found = [
        regression
        for nodeid, timed in durations(runs).items()
        if (regression := _regression(nodeid, timed, factor, min_seconds, min_history))
    ]
    return tuple(sorted(found, key=lambda r: (-r.ratio, -r.seconds, r.nodeid)))


def suite_timing(
    runs: Sequence[TestRun],
    *,
    top: int = 10,
    factor: float = FACTOR,
    min_seconds: float = MIN_SECONDS,
    min_history: int = MIN_HISTORY,
) -> SuiteTiming:
    """The suite's durations over ``runs``: each test's median, the ``top`` slowest and their
    share of the sum of the medians, what the slowest tenth of the tests takes, and the
    regressions."""
    timed = durations(runs)
    medians = {nodeid: statistics.median(s for _, s in values) for nodeid, values in timed.items()}
    total = math.fsum(medians.values())
    ranked = sorted(medians, key=lambda nodeid: (-medians[nodeid], nodeid))
    slowest = tuple(
        TestTiming(
            nodeid=nodeid,
            median=medians[nodeid],
            latest=timed[nodeid][-1][1],
            runs=len(timed[nodeid]),
            share=medians[nodeid] / total if total else 0.0,
        )
        for nodeid in ranked[:top]
    )
    tenth = max(1, math.ceil(len(ranked) / 10)) if ranked else 0
    tenth_seconds = math.fsum(medians[nodeid] for nodeid in ranked[:tenth])
    return SuiteTiming(
        runs=len(runs),
        tests=len(ranked),
        total=total,
        slowest=slowest,
        tenth_count=tenth,
        tenth_share=tenth_seconds / total if total else 0.0,
        regressions=regressions(
            runs, factor=factor, min_seconds=min_seconds, min_history=min_history
        ),
        medians=tuple(medians[nodeid] for nodeid in ranked),
    )
