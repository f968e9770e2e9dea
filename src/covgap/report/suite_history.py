"""What ``covgap history --tests`` prints: the flaky tests, the slowest tests and the tests that
became slow, and the suite's wall time for 1, 2, 4, 8 workers; as text or JSON."""

from __future__ import annotations

import json
from typing import Any

from covgap import __version__
from covgap.analyze.suite_time import XDIST_WORKER_START, budget_text, duration_text, workers_needed
from covgap.config import Settings
from covgap.model import FlakyRecord, RunMark, SlowRegression, TestHistory, TestTiming

__all__ = ["flaky_json", "mark_json", "regression_json", "tests_json", "tests_text", "timing_json"]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _where(mark: RunMark) -> str:
    commit = (mark.commit or "no commit")[:10] + ("+" if mark.dirty else "")
    return f"{mark.recorded_at} on {commit} (run #{mark.run_id})"


def _flaky_lines(history: TestHistory) -> list[str]:
    if not history.flaky:
        return [
            f"No flaky test: none both passed and failed on the same code in "
            f"{_plural(history.runs, 'run')}."
        ]
    lines = [
        f"Flaky tests: {len(history.flaky)} passed and failed on the same code "
        f"(a commit, or runs recorded together)"
    ]
    for record in history.flaky:
        lines.append(
            f"  {record.frequency:>4.0%}  failed {record.failures} of {record.runs} runs  "
            f"{record.nodeid}"
        )
        lines.append(f"        first seen {_where(record.first_seen)}")
        if record.last_seen != record.first_seen:
            lines.append(f"        last seen  {_where(record.last_seen)}")
        if record.message:
            lines.append(f"        last failure: {record.message}")
    return lines


def _slow_lines(history: TestHistory) -> list[str]:
    timing = history.timing
    if not timing.tests:
        return ["No test durations in the last runs."]
    lines = [
        f"Slowest tests: median over the last {_plural(timing.runs, 'run')} "
        f"({_plural(timing.tests, 'test')}, {duration_text(timing.total)} in all)"
    ]
    for test in timing.slowest:
        lines.append(f"  {duration_text(test.median):>10} {test.share:>4.0%}  {test.nodeid}")
    lines.append(
        f"  The slowest 10% ({_plural(timing.tenth_count, 'test')}) take "
        f"{timing.tenth_share:.0%} of the time."
    )
    if timing.regressions:
        lines.append(
            f"Slower than before: {_plural(len(timing.regressions), 'test')} at least 2× their "
            "median before"
        )
        for item in timing.regressions:
            lines.append(
                f"  {item.nodeid}: {duration_text(item.seconds)}, {item.ratio:.1f}× its median "
                f"of {duration_text(item.median_before)}, slow since {_where(item.since)}"
            )
    else:
        lines.append("No test became 2× slower than its median.")
    return lines


def _estimate_lines(history: TestHistory) -> list[str]:
    estimate = history.estimate
    if estimate is None:
        return ["No run of the whole suite recorded: no wall time to estimate."]
    run = estimate.run
    lines = [
        f"Suite wall time, estimated from {_where(run)}: {_plural(estimate.tests, 'test')}, "
        f"{duration_text(estimate.test_seconds)} of tests, "
        f"{duration_text(estimate.overhead)} outside them"
    ]
    for item in estimate.estimates:
        label = "no xdist" if item.workers == 1 else _plural(item.workers, "worker")
        lines.append(f"  {label:>10}  {duration_text(item.seconds)}")
    if estimate.calibrated_by is not None:
        lines.append(
            f"  With workers: as fast as {_where(estimate.calibrated_by)} ran with xdist, "
            f"{estimate.efficiency:.0%} of one free core per worker on this machine."
        )
    source = "max-suite-seconds" if history.budget_set else "the default; max-suite-seconds sets it"
    lines.append(
        f"  Budget {duration_text(history.budget)} ({source}): "
        f"{budget_text(estimate, history.budget)}."
    )
    return lines


def tests_text(history: TestHistory, settings: Settings) -> str:
    if not history.runs and history.estimate is None:
        return (
            f"No test runs in {settings.history} yet: `covgap run`, or `covgap plan --junit "
            "FILE --record`, records one.\n"
        )
    span = ""
    if history.first is not None and history.last is not None:
        span = f", {history.first.recorded_at} to {history.last.recorded_at}"
    lines = [f"{_plural(history.runs, 'test run')} in {settings.history}{span}", ""]
    lines += _flaky_lines(history)
    lines.append("")
    lines += _slow_lines(history)
    lines.append("")
    lines += _estimate_lines(history)
    return "\n".join(lines) + "\n"


def mark_json(mark: RunMark) -> dict[str, Any]:
    return {
        "run": mark.run_id,
        "recorded_at": mark.recorded_at,
        "commit": mark.commit,
        "dirty": mark.dirty,
    }


def flaky_json(record: FlakyRecord) -> dict[str, Any]:
    return {
        "nodeid": record.nodeid,
        "runs": record.runs,
        "failures": record.failures,
        "frequency": record.frequency,
        "first_seen": mark_json(record.first_seen),
        "last_seen": mark_json(record.last_seen),
        "message": record.message,
        "commits": list(record.commits),
    }


def timing_json(test: TestTiming) -> dict[str, Any]:
    return {
        "nodeid": test.nodeid,
        "median_seconds": test.median,
        "latest_seconds": test.latest,
        "runs": test.runs,
        "share": test.share,
    }


def regression_json(item: SlowRegression) -> dict[str, Any]:
    return {
        "nodeid": item.nodeid,
        "seconds": item.seconds,
        "median_before_seconds": item.median_before,
        "ratio": item.ratio,
        "slow_runs": item.slow_runs,
        "since": mark_json(item.since),
    }


def tests_json(history: TestHistory) -> str:
    timing = history.timing
    estimate = history.estimate
    document = {
        "format_version": 1,
        "generator": {"name": "covgap", "version": __version__},
        "runs": history.runs,
        "first": None if history.first is None else mark_json(history.first),
        "last": None if history.last is None else mark_json(history.last),
        "flaky": [flaky_json(record) for record in history.flaky],
        "timing": {
            "runs": timing.runs,
            "window": history.window,
            "tests": timing.tests,
            "total_seconds": timing.total,
            "slowest": [timing_json(test) for test in timing.slowest],
            "slowest_tenth": {"tests": timing.tenth_count, "share": timing.tenth_share},
            "regressions": [regression_json(item) for item in timing.regressions],
        },
        "estimate": None
        if estimate is None
        else {
            "run": mark_json(estimate.run),
            "tests": estimate.tests,
            "test_seconds": estimate.test_seconds,
            "overhead_seconds": estimate.overhead,
            "worker_start_seconds": XDIST_WORKER_START,
            "workers": [
                {"workers": item.workers, "seconds": item.seconds} for item in estimate.estimates
            ],
            "budget_seconds": history.budget,
            "budget_set": history.budget_set,
            "workers_needed": workers_needed(estimate, history.budget),
            "text": budget_text(estimate, history.budget),
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"
