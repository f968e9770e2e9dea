"""Every gate at its boundaries: just above, exactly at, just below its threshold.

The projects are built from numbers (the gates are pure); the CLI's exit codes for the same
boundaries are checked on really measured projects in tests/test_check.py.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from coverage.results import should_fail_under

from covgap.analyze.gates import evaluate
from covgap.config import Settings
from covgap.model import (
    Baseline,
    FileCoverage,
    FlakyRecord,
    Numbers,
    ProjectCoverage,
    RunMark,
    SuiteEstimate,
    TestEvidence,
    TestOutcome,
    WorkerEstimate,
)


def project(*files: tuple[str, Numbers], precision: int = 2) -> ProjectCoverage:
    return ProjectCoverage(
        files=tuple(FileCoverage(path, numbers) for path, numbers in files),
        branch_measured=True,
        input_kind="coverage-data",
        input_path=".coverage",
        coverage_precision=precision,
    )


def verdict(result_gates: tuple, name: str) -> str:  # type: ignore[type-arg]
    return next(g.verdict for g in result_gates if g.gate == name)


# 1,000 statements and no branches: each missing statement is 0.1 point.
ABOVE, AT, BELOW = (Numbers(1000, 199), Numbers(1000, 200), Numbers(1000, 201))


@pytest.mark.parametrize(("numbers", "expected"), [(ABOVE, "pass"), (AT, "pass"), (BELOW, "fail")])
def test_total_gate_boundaries(numbers: Numbers, expected: str) -> None:
    result = evaluate(project(("a.py", numbers)), Settings(fail_under=80.0))
    assert verdict(result.gates, "total") == expected
    gate = next(g for g in result.gates if g.gate == "total")
    assert gate.actual == numbers.percent_covered
    assert f"({numbers.covered_units:,} of 1,000 statements and branches covered)" in gate.summary
    assert result.passed is (expected == "pass")


@pytest.mark.parametrize(
    ("lines", "expected_lines", "expected_branches"),
    [
        # statements 90.0% exactly, branches 70.0% exactly: both at their thresholds
        (Numbers(100, 10, 10, 3), "pass", "pass"),
        (Numbers(100, 11, 10, 3), "fail", "pass"),
        (Numbers(100, 9, 10, 4), "pass", "fail"),
        (Numbers(100, 9, 10, 2), "pass", "pass"),
    ],
)
def test_line_and_branch_thresholds_are_separate(
    lines: Numbers, expected_lines: str, expected_branches: str
) -> None:
    settings = Settings(fail_under_lines=90.0, fail_under_branches=70.0)
    result = evaluate(project(("a.py", lines)), settings)
    assert verdict(result.gates, "lines") == expected_lines
    assert verdict(result.gates, "branches") == expected_branches


def test_precision_follows_coverage_py() -> None:
    """At precision 0, 79.6% passes fail_under = 80, as `coverage report --fail-under` says."""
    numbers = Numbers(1000, 204)  # 79.6%
    assert not should_fail_under(numbers.percent_covered, 80, 0)
    assert (
        verdict(
            evaluate(project(("a.py", numbers), precision=0), Settings(fail_under=80.0)).gates,
            "total",
        )
        == "pass"
    )
    assert (
        verdict(
            evaluate(project(("a.py", numbers), precision=1), Settings(fail_under=80.0)).gates,
            "total",
        )
        == "fail"
    )


def test_100_means_100() -> None:
    numbers = Numbers(100000, 1)  # 99.999%
    gates = evaluate(project(("a.py", numbers), precision=0), Settings(fail_under=100.0)).gates
    assert verdict(gates, "total") == "fail"


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [(Numbers(100, 39), "pass"), (Numbers(100, 40), "pass"), (Numbers(100, 41), "fail")],
)
def test_file_floor_boundaries_with_exclusion(numbers: Numbers, expected: str) -> None:
    settings = Settings(
        file_floors=(("src/billing/*", 60.0), ("src/*", 10.0)),
        file_floor_exclude=("src/billing/generated_*",),
    )
    result = evaluate(
        project(
            ("src/billing/invoice.py", numbers),
            ("src/billing/generated_pb2.py", Numbers(100, 100)),
            ("src/util.py", Numbers(100, 90)),
        ),
        settings,
    )
    gate = next(g for g in result.gates if g.gate == "file-floor")
    assert gate.verdict == expected
    assert [f.path for f in gate.failures] == (
        [] if expected == "pass" else ["src/billing/invoice.py"]
    )
    assert "2 files" in gate.summary or "1 of 2" in gate.summary


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [(Numbers(50, 4), "pass"), (Numbers(50, 5), "pass"), (Numbers(50, 6), "fail")],
)
def test_critical_floor(numbers: Numbers, expected: str) -> None:
    result = evaluate(
        project(("shop/auth/tokens.py", numbers), ("shop/catalog.py", Numbers(50, 50))),
        Settings(critical_floor=90.0),
    )
    gate = next(g for g in result.gates if g.gate == "critical-floor")
    assert gate.verdict == expected
    if expected == "fail":
        assert "path matches" in gate.failures[0].text


def baseline(
    numbers: Numbers,
    files: dict[str, tuple[int, int]] | None = None,
    phases: tuple[float, ...] = (),
) -> Baseline:
    return Baseline("covgap-baseline.json", "abc", numbers, files or {}, phases)


@pytest.mark.parametrize(
    ("now", "tolerance", "expected"),
    [
        (Numbers(1000, 199), 0.0, "pass"),
        (Numbers(1000, 200), 0.0, "pass"),
        (Numbers(1000, 201), 0.0, "fail"),
        (Numbers(1000, 205), 0.5, "pass"),
        (Numbers(1000, 206), 0.5, "fail"),
    ],
)
def test_ratchet_total(now: Numbers, tolerance: float, expected: str) -> None:
    settings = Settings(ratchet_tolerance=tolerance)
    result = evaluate(project(("a.py", now)), settings, baseline=baseline(Numbers(1000, 200)))
    assert verdict(result.gates, "ratchet") == expected


@pytest.mark.parametrize(("missing", "expected"), [(9, "pass"), (10, "pass"), (11, "fail")])
def test_ratchet_files(missing: int, expected: str) -> None:
    result = evaluate(
        project(("a.py", Numbers(100, missing)), ("new.py", Numbers(10, 10))),
        Settings(),
        baseline=baseline(Numbers(100, 10), {"a.py": (10, 100)}),
    )
    gate = next(g for g in result.gates if g.gate == "ratchet-files")
    assert gate.verdict == expected  # new.py, absent from the baseline, is not judged here


def test_no_baseline_skips_the_ratchet() -> None:
    result = evaluate(project(("a.py", Numbers(10, 10))), Settings())
    assert verdict(result.gates, "ratchet") == "skip"
    assert result.passed


@pytest.mark.parametrize(
    ("now", "expected"),
    [(Numbers(100, 29), "pass"), (Numbers(100, 30), "pass"), (Numbers(100, 31), "fail")],
)
def test_phase_gate(now: Numbers, expected: str) -> None:
    """The baseline (75%) completed the 60 and 70 phases; the gate is 70."""
    result = evaluate(
        project(("a.py", now)),
        Settings(ratchet=False),
        baseline=baseline(Numbers(100, 25), phases=(60.0, 70.0, 80.0)),
    )
    gate = next(g for g in result.gates if g.gate == "phase")
    assert gate.verdict == expected
    assert gate.threshold == 70.0
    assert "phase 2" in gate.summary


def test_unset_gates_are_skipped_and_say_why() -> None:
    result = evaluate(
        project(("a.py", Numbers(10, 0))), replace(Settings(), ratchet=False, phase_gate=False)
    )
    assert all(g.verdict == "skip" for g in result.gates)
    assert all(g.summary for g in result.gates)
    assert result.passed


# -- the test gates: flaky tests and the suite's time (recorded test runs) ----------------------


def evidence(*, flaky: bool = False, seconds: float | None = 10.0) -> TestEvidence:
    mark = RunMark(7, "2026-01-07T10:00:00Z", "c" * 40)
    records = (
        (FlakyRecord("t.py::test_x", 4, 1, mark, mark, "AssertionError: late", ("c" * 40,)),)
        if flaky
        else ()
    )
    estimate = None
    if seconds is not None:
        estimate = SuiteEstimate(
            mark, 3, seconds, 0.0, (WorkerEstimate(1, seconds), WorkerEstimate(2, seconds / 2))
        )
    slowest = (
        TestOutcome("t.py::test_slow", "passed", 9.0),
        TestOutcome("t.py::test_x", "passed", 0.05),
    )
    return TestEvidence(5, 20, "c" * 40, records, estimate, slowest)


def test_the_test_gates_are_skipped_unless_asked_for() -> None:
    result = evaluate(project(("a.py", ABOVE)), Settings(), tests=None)
    assert verdict(result.gates, "flaky") == verdict(result.gates, "suite-time") == "skip"
    assert result.passed


def test_the_test_gates_fail_without_recorded_runs() -> None:
    settings = Settings(fail_on_flaky=True, max_suite_seconds=60.0)
    for tests in (None, TestEvidence(0, 20, None)):
        result = evaluate(project(("a.py", ABOVE)), settings, tests=tests)
        flaky, suite = (g for g in result.gates if g.gate in {"flaky", "suite-time"})
        assert flaky.verdict == suite.verdict == "fail"
        assert flaky.summary.startswith("flaky tests: no test outcomes recorded in the history")
        assert suite.summary.startswith("suite time: no run of the whole suite recorded")


def test_the_flaky_gate() -> None:
    settings = Settings(fail_on_flaky=True)
    clean = evaluate(project(("a.py", ABOVE)), settings, tests=evidence())
    gate = next(g for g in clean.gates if g.gate == "flaky")
    assert gate.verdict == "pass"
    assert (
        gate.summary == "flaky tests: none in 5 recorded runs (the last 20 and those of cccccccccc)"
    )
    flaky = evaluate(project(("a.py", ABOVE)), settings, tests=evidence(flaky=True))
    gate = next(g for g in flaky.gates if g.gate == "flaky")
    assert gate.verdict == "fail" and not flaky.passed
    assert gate.summary.startswith("flaky tests: 1 passed and failed on the same code, 1 on this")
    (failure,) = gate.failures
    assert failure.path == "t.py::test_x"
    assert failure.text == (
        "failed 1 of 4 runs of the same code (25%), last on cccccccccc at 2026-01-07T10:00:00Z: "
        "AssertionError: late"
    )


@pytest.mark.parametrize(
    ("limit", "workers", "expected"),
    [(10.0, 1, "pass"), (9.99, 1, "fail"), (5.0, 2, "pass"), (4.99, 2, "fail")],
)
def test_the_suite_time_gate_at_its_boundary(limit: float, workers: int, expected: str) -> None:
    settings = Settings(max_suite_seconds=limit, suite_workers=workers)
    result = evaluate(project(("a.py", ABOVE)), settings, tests=evidence(seconds=10.0))
    gate = next(g for g in result.gates if g.gate == "suite-time")
    assert gate.verdict == expected
    assert gate.actual == 10.0 / workers and gate.threshold == limit
    if expected == "fail":
        # the slowest tests that matter are named; 0.05 s of 10 s is under 1%
        assert [f.path for f in gate.failures] == ["t.py::test_slow"]
        assert gate.failures[0].text == "9.0 s, 90% of the tests' time"
