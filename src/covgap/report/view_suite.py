"""The view of the suite: how a run measured it, its health, and what of it ran (part of the
view)."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from covgap.model import (
    Numbers,
    RunInfo,
    RunVerdict,
    SuiteHealth,
    SuiteScope,
    TestHistory,
    TestOutcome,
)

__all__ = ["health_view", "run_view", "scope_view", "tests_history_view"]


#: How many of the slowest tests the health section lists.
SLOWEST = 10


def run_view(run: RunInfo | None, verdict: RunVerdict | None = None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "python": run.python,
        "python_version": run.python_version,
        "coverage_version": run.coverage_version,
        "core": run.core,
        "core_reason": run.core_reason,
        "branch": run.branch,
        "source": list(run.source),
        "source_detected": run.source_detected,
        "subprocesses": run.subprocesses,
        "workers": run.workers,
        "contexts": run.contexts,
        "pytest_exit_code": run.pytest_exit_code,
        "timed_out": run.timed_out,
        "seconds": round(run.seconds, 2),
        "data_file": run.data_file,
        "notes": list(run.notes),
        "verdict": None
        if verdict is None
        else {
            "exit_code": verdict.exit_code,
            "reason": verdict.reason,
            "failures_allowed": verdict.failures_allowed,
        },
    }


def _test(test: TestOutcome) -> dict[str, Any]:
    return {
        "nodeid": test.nodeid,
        "outcome": test.outcome,
        "phase": test.phase,
        "duration": round(test.duration, 3),
        "message": test.message,
    }


def health_view(health: SuiteHealth | None) -> dict[str, Any] | None:
    if health is None:
        return None
    counts = {
        outcome: health.count(outcome)
        for outcome in ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
    }
    return {
        "source": health.source,
        "stopped": health.stopped,
        "counts": {**counts, "total": len(health.tests)},
        # The tests to fix before writing new ones: the plan's phase 0.
        "failing": sum(len(group.tests) for group in health.groups),
        "seconds": round(sum(t.duration for t in health.tests), 2),
        # Tests under 5 ms are not worth a row among the slowest.
        "slowest": [_test(t) for t in health.slowest(SLOWEST) if t.duration >= 0.005],
        "groups": [
            {
                "cause": group.cause,
                "advice": group.advice,
                "count": len(group.tests),
                "tests": [_test(t) for t in group.tests],
            }
            for group in health.groups
        ],
    }


def _numbers(numbers: Numbers) -> dict[str, int]:
    return {
        "statements": numbers.statements,
        "missing_statements": numbers.missing_statements,
        "branches": numbers.branches,
        "missing_branches": numbers.missing_branches,
    }


def scope_view(
    scope: SuiteScope, total_units: int, points: Callable[[Fraction], str]
) -> dict[str, Any]:
    """The test code measured, the test modules that did not run and whether the run was
    partial; ``points`` shows a share of the total in points."""
    code = scope.test_numbers
    selection = scope.selection
    return {
        "partial": scope.partial,
        "evidence": scope.evidence,
        "command": scope.command,
        "selection": None
        if selection is None
        else {
            "paths": list(selection.paths),
            "options": list(selection.options),
            "deselected": selection.deselected,
        },
        "test_modules": scope.test_modules,
        "tests": scope.tests,
        "tests_run": scope.tests_run,
        "not_run_tests": None if scope.tests is None else sum(test.tests for test in scope.not_run),
        "not_run": [
            {
                "path": test.path,
                "tests": test.tests,
                "reason": test.reason,
                "numbers": None if test.numbers is None else _numbers(test.numbers),
            }
            for test in scope.not_run
        ],
        "test_code": {
            "files": len(scope.test_files),
            **_numbers(code),
            "units": code.units,
            "gap": code.gap,
            # Points of the total that the test code holds, and that running it all would add.
            "share_display": points(Fraction(100 * code.units, total_units or 1)),
            "gap_display": points(Fraction(100 * code.gap, total_units or 1)),
        },
    }


def tests_history_view(history: TestHistory | None) -> dict[str, Any] | None:
    """The flaky and slow tests of the recorded test runs (``covgap history --tests --json``'s
    facts), each flaky test with its likely cause and fix (the audit's)."""
    if history is None:
        return None
    from covgap.analyze.audit.flaky import likely_cause
    from covgap.analyze.slow_tests import histogram
    from covgap.analyze.suite_time import budget_text, workers_needed
    from covgap.report.suite_history import flaky_json, mark_json, regression_json, timing_json

    timing = history.timing
    estimate = history.estimate
    flaky = []
    for record in history.flaky:
        cause, fix = likely_cause(record)
        flaky.append({**flaky_json(record), "cause": cause, "fix": fix})
    return {
        "runs": history.runs,
        "first": None if history.first is None else mark_json(history.first),
        "last": None if history.last is None else mark_json(history.last),
        "flaky": flaky,
        "timing": {
            "runs": timing.runs,
            "tests": timing.tests,
            "total_seconds": timing.total,
            "slowest": [timing_json(test) for test in timing.slowest],
            "slowest_tenth": {"tests": timing.tenth_count, "share": timing.tenth_share},
            "regressions": [regression_json(item) for item in timing.regressions],
            "histogram": [
                {"low": b.low, "high": b.high, "tests": b.tests, "seconds": b.seconds}
                for b in histogram(timing.medians)
            ],
        },
        "estimate": None
        if estimate is None
        else {
            "run": mark_json(estimate.run),
            "workers": [
                {"workers": item.workers, "seconds": item.seconds} for item in estimate.estimates
            ],
            "budget_seconds": history.budget,
            "workers_needed": workers_needed(estimate, history.budget),
            "text": budget_text(estimate, history.budget),
        },
    }
