"""Gates: each a verdict with the numbers behind it (pure; docs/check.md).

A gate passes when the measured value is **at least** its threshold, compared as coverage.py
compares ``fail_under``: the percentage rounded to coverage.py's ``[report] precision`` first
(so ``fail_under = 80`` and a total of 79.96% pass at precision 0, as ``coverage report`` says).

- ``total``, ``lines``, ``branches``: statements and branches together (coverage.py's total),
  statements alone, branches alone.
- ``file-floor``: each file matching a ``file-floors`` glob (the first that matches; ``*``
  matches across folders), unless ``file-floor-exclude`` matches it.
- ``critical-floor``: each file whose path matches a critical pattern (docs/risk.md).
- ``new-file-floor``: each Python file added since the diff base.
- ``diff``: the changed statements since the base that are covered (docs/diff-coverage.md); a
  changed Python file absent from the data fails the gate unless coverage.py's configuration
  leaves it out.
- ``ratchet``: against the baseline, the total may not drop by more than ``ratchet-tolerance``
  points, and no file may have more uncovered statements than it had.
- ``phase``: the total may not fall below the ``fail_under`` of the last phase the baseline had
  completed (its milestones: the baseline's plan, or the configured ``milestones``).
- ``flaky`` (``fail-on-flaky``): no test known flaky on the commit checked or in the last
  ``flaky-window`` recorded test runs (``covgap.analyze.known_flaky``).
- ``suite-time`` (``max-suite-seconds``): the suite's wall time estimated for ``suite-workers``
  from the latest recorded run of the whole suite (``covgap.analyze.suite_time``) is at most
  the threshold.

A gate that has nothing to judge (no threshold set, no baseline, no diff) is skipped, and says
why; skipped gates never fail. The two test gates are the exception: asked for, with no test
run recorded, they fail and say so, since nothing then shows the suite meets them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fnmatch import fnmatch
from typing import TYPE_CHECKING, Literal

from coverage.results import should_fail_under

from covgap.analyze.risk import critical_pattern
from covgap.analyze.suite_time import budget_text, duration_text
from covgap.config import Settings
from covgap.markup import code_span as code
from covgap.model import Baseline, FileCoverage, FlakyRecord, Numbers, ProjectCoverage, TestEvidence

if TYPE_CHECKING:
    from covgap.analyze.diffcov import DiffCoverage, FileDiffCoverage

__all__ = ["CheckResult", "GateFailure", "GateResult", "evaluate"]

Verdict = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class GateFailure:
    """One thing that failed a gate: a file, a function's changed lines, a missing file."""

    path: str
    text: str
    lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class GateResult:
    gate: str
    verdict: Verdict
    #: One line with the numbers: "total 82.3% ≥ 80% (1,234 of 1,500 covered)".
    summary: str
    actual: float | None = None
    threshold: float | None = None
    failures: tuple[GateFailure, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    gates: tuple[GateResult, ...]
    project: ProjectCoverage
    diff: DiffCoverage | None = None
    baseline: Baseline | None = None
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return all(gate.verdict != "fail" for gate in self.gates)

    @property
    def failed(self) -> tuple[GateResult, ...]:
        return tuple(gate for gate in self.gates if gate.verdict == "fail")


def _passes(actual: float, threshold: float, precision: int) -> bool:
    """coverage.py's own test (``coverage report --fail-under``), so the two never disagree."""
    return not should_fail_under(actual, threshold, precision)


def _pct(value: float, precision: int) -> str:
    quantum = Decimal(1).scaleb(-max(precision, 1))
    return f"{Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_EVEN)}%"


def _covered_of(covered: int, total: int, what: str) -> str:
    return f"{covered:,} of {total:,} {what} covered"


def _ratio_gate(
    name: str, label: str, numbers: Numbers, which: str, threshold: float | None, precision: int
) -> GateResult:
    if threshold is None:
        return GateResult(name, "skip", f"{label}: no threshold set")
    if which == "lines":
        covered, total = numbers.covered_statements, numbers.statements
        what = "statements"
    elif which == "branches":
        covered, total = numbers.covered_branches, numbers.branches
        what = "branches"
    else:
        covered, total = numbers.covered_units, numbers.units
        what = "statements and branches"
    if total == 0:
        return GateResult(name, "skip", f"{label}: nothing measured ({what})", None, threshold)
    actual = 100.0 * covered / total
    ok = _passes(actual, threshold, precision)
    sign = "≥" if ok else "<"
    return GateResult(
        name,
        "pass" if ok else "fail",
        f"{label} {_pct(actual, precision)} {sign} {threshold:g}% "
        f"({_covered_of(covered, total, what)})",
        actual,
        threshold,
    )


def _file_percent(file: FileCoverage) -> float:
    return file.numbers.percent_covered


def _floor_gate(
    name: str,
    label: str,
    files: Sequence[tuple[FileCoverage, float, str]],
    precision: int,
    empty: str,
) -> GateResult:
    """Files against their floors: (file, floor, why this floor applies)."""
    if not files:
        return GateResult(name, "skip", f"{label}: {empty}")
    failures = tuple(
        GateFailure(
            file.path,
            f"{_pct(_file_percent(file), precision)} < {floor:g}% ({why}; "
            f"{file.numbers.gap} statements and branches missing)",
        )
        for file, floor, why in files
        if not _passes(_file_percent(file), floor, precision)
    )
    checked = len(files)
    if failures:
        return GateResult(
            name,
            "fail",
            f"{label}: {len(failures)} of {checked} file{'s' if checked != 1 else ''} below "
            "the floor",
            failures=failures,
        )
    return GateResult(
        name, "pass", f"{label}: {checked} file{'s' if checked != 1 else ''} at or above the floor"
    )


def _file_floors(
    project: ProjectCoverage, settings: Settings
) -> list[tuple[FileCoverage, float, str]]:
    found = []
    for file in project.files:
        if any(fnmatch(file.path, glob) for glob in settings.file_floor_exclude):
            continue
        for glob, floor in settings.file_floors:
            if fnmatch(file.path, glob):
                found.append((file, floor, f"floor for {glob}"))
                break
    return found


def _critical_files(
    project: ProjectCoverage, settings: Settings
) -> list[tuple[FileCoverage, float, str]]:
    if settings.critical_floor is None:
        return []
    patterns = settings.all_critical_patterns
    found = []
    for file in project.files:
        if any(fnmatch(file.path, glob) for glob in settings.file_floor_exclude):
            continue
        pattern = critical_pattern(patterns, file.path.removesuffix(".py"))
        if pattern is not None:
            found.append((file, settings.critical_floor, f"path matches {code(pattern)}"))
    return found


def _diff_gate(diff: DiffCoverage | None, threshold: float | None, precision: int) -> GateResult:
    if threshold is None:
        return GateResult("diff", "skip", "diff coverage: no threshold set")
    if diff is None:
        return GateResult("diff", "skip", "diff coverage: no diff base", None, threshold)
    changed = sum(len(f.changed_statements) for f in diff.files if f.measured)
    uncovered = sum(len(f.uncovered) for f in diff.files if f.measured)
    missing_files = [f for f in diff.files if f.flagged]
    failures: list[GateFailure] = [
        GateFailure(f.path, f"{code(name)}: {_lines_text(f, lines)}", lines)
        for f in diff.files
        if f.measured
        for name, lines in f.by_function
    ]
    failures += [
        GateFailure(f.path, "changed, but absent from the coverage data") for f in missing_files
    ]
    actual = 100.0 * (changed - uncovered) / changed if changed else 100.0
    ok = _passes(actual, threshold, precision) and not missing_files
    sign = "≥" if _passes(actual, threshold, precision) else "<"
    summary = (
        f"diff coverage {_pct(actual, precision)} {sign} {threshold:g}% "
        f"({changed - uncovered:,} of {changed:,} changed statements covered, "
        f"since {diff.diff.base})"
        + (f"; {len(missing_files)} changed files not measured" if missing_files else "")
    )
    return GateResult(
        "diff", "pass" if ok else "fail", summary, actual, threshold, () if ok else tuple(failures)
    )


def _lines_text(file: FileDiffCoverage, lines: Sequence[int]) -> str:
    """ "line 12" or "lines 12-14, 20": ranges only of ``lines``, across non-statements."""
    return f"line{'s' if len(lines) != 1 else ''} {file.ranges(lines)}"


def _new_files(
    project: ProjectCoverage, diff: DiffCoverage | None, settings: Settings
) -> tuple[list[tuple[FileCoverage, float, str]], str]:
    if settings.new_file_floor is None:
        return [], "no threshold set"
    if diff is None:
        return [], "no diff base"
    added = {f.path for f in diff.files if f.added}
    found = [
        (file, settings.new_file_floor, f"added since {diff.diff.base}")
        for file in project.files
        if file.path in added
    ]
    return found, "no Python file added since the base"


def _ratchet(
    project: ProjectCoverage, baseline: Baseline | None, settings: Settings, precision: int
) -> list[GateResult]:
    if not settings.ratchet:
        return [GateResult("ratchet", "skip", "ratchet: turned off")]
    if baseline is None:
        return [GateResult("ratchet", "skip", "ratchet: no baseline recorded yet")]
    now = project.totals.percent_covered
    before = baseline.numbers.percent_covered
    floor = before - settings.ratchet_tolerance
    ok = now + 1e-9 >= floor
    tolerance = f", tolerance {settings.ratchet_tolerance:g}" if settings.ratchet_tolerance else ""
    total = GateResult(
        "ratchet",
        "pass" if ok else "fail",
        f"ratchet: total {_pct(now, precision)} {'≥' if ok else '<'} baseline "
        f"{_pct(before, precision)}{tolerance} ({baseline.source})",
        now,
        floor,
    )
    worse = []
    for file in project.files:
        if file.path not in baseline.files:
            continue
        uncovered_before, _ = baseline.files[file.path]
        uncovered_now = file.numbers.missing_statements
        if uncovered_now > uncovered_before:
            worse.append(
                GateFailure(
                    file.path,
                    f"{uncovered_now} uncovered statements, {uncovered_now - uncovered_before} "
                    f"more than the baseline's {uncovered_before}",
                )
            )
    files = GateResult(
        "ratchet-files",
        "fail" if worse else "pass",
        f"ratchet: {len(worse)} file{'s' if len(worse) != 1 else ''} with more uncovered "
        "statements than the baseline"
        if worse
        else "ratchet: no file has more uncovered statements than the baseline",
        failures=tuple(worse),
    )
    return [total, files]


def _phase_gate(
    project: ProjectCoverage, baseline: Baseline | None, settings: Settings, precision: int
) -> GateResult:
    if not settings.phase_gate:
        return GateResult("phase", "skip", "phase gate: turned off")
    if baseline is None:
        return GateResult("phase", "skip", "phase gate: no baseline recorded yet")
    steps = baseline.phases or tuple(float(m) for m in settings.milestones)
    if not steps:
        return GateResult("phase", "skip", "phase gate: no phases recorded with the baseline")
    before = baseline.numbers.percent_covered
    done = [step for step in steps if _passes(before, step, precision)]
    if not done:
        return GateResult("phase", "skip", "phase gate: the baseline had completed no phase")
    threshold = max(done)
    phase = sorted(steps).index(threshold) + 1
    now = project.totals.percent_covered
    ok = _passes(now, threshold, precision)
    return GateResult(
        "phase",
        "pass" if ok else "fail",
        f"phase gate: total {_pct(now, precision)} {'≥' if ok else '<'} {threshold:g}%, the "
        f"fail_under of phase {phase}, the last one completed at the baseline",
        now,
        threshold,
    )


#: What a test gate says when no test run is recorded.
_NO_RUNS = (
    "no test outcomes recorded in the history, so nothing shows it (`covgap run` records "
    "them, and `covgap plan --junit FILE --record`; keep the history between CI runs)"
)


def _short(commit: str | None) -> str:
    return commit[:10] if commit else "no commit"


def _flaky_failure(record: FlakyRecord) -> GateFailure:
    last = record.last_seen
    dirty = "+" if last.dirty else ""
    message = f": {record.message}" if record.message else ""
    return GateFailure(
        record.nodeid,
        f"failed {record.failures} of {record.runs} runs of the same code "
        f"({record.frequency:.0%}), last on {_short(last.commit)}{dirty} at {last.recorded_at}"
        + message,
    )


def _flaky_gate(settings: Settings, tests: TestEvidence | None) -> GateResult:
    if not settings.fail_on_flaky:
        return GateResult("flaky", "skip", "flaky tests: not asked for (fail-on-flaky)")
    if tests is None or not tests.runs:
        return GateResult("flaky", "fail", f"flaky tests: {_NO_RUNS}")
    runs = f"{tests.runs} recorded run{'s' if tests.runs != 1 else ''}"
    read = f"the last {tests.window}" + (
        f" and those of {_short(tests.head)}" if tests.head else ""
    )
    if tests.flaky:
        count = len(tests.flaky)
        on_head = sum(tests.head in record.commits for record in tests.flaky)
        here = f", {on_head} on this commit" if on_head else ""
        return GateResult(
            "flaky",
            "fail",
            f"flaky tests: {count} passed and failed on the same code{here} ({runs}: {read})",
            float(count),
            0.0,
            tuple(_flaky_failure(record) for record in tests.flaky),
        )
    return GateResult("flaky", "pass", f"flaky tests: none in {runs} ({read})", 0.0, 0.0)


def _suite_time_gate(settings: Settings, tests: TestEvidence | None) -> GateResult:
    limit = settings.max_suite_seconds
    if limit is None:
        return GateResult("suite-time", "skip", "suite time: no threshold set")
    estimate = tests.estimate if tests is not None else None
    if estimate is None:
        return GateResult(
            "suite-time",
            "fail",
            "suite time: no run of the whole suite recorded in the history, so nothing "
            "estimates it (`covgap run` records one, and `covgap plan --junit FILE --record`)",
            None,
            limit,
        )
    workers = settings.suite_workers
    seconds = estimate.seconds(workers)
    assert seconds is not None  # the configured workers are always estimated
    ok = seconds <= limit
    how = f"with {workers} xdist workers" if workers > 1 else "without xdist"
    summary = (
        f"suite time: estimated {duration_text(seconds)} {how} {'≤' if ok else '>'} "
        f"{duration_text(limit)} (run {estimate.run.run_id}, {estimate.tests:,} tests)"
    )
    if not ok:
        summary += f"; {budget_text(estimate, limit)}"
    total = estimate.test_seconds
    failures = tuple(
        GateFailure(
            test.nodeid,
            f"{duration_text(test.duration)}, {test.duration / total:.0%} of the tests' time",
        )
        for test in (tests.slowest if tests is not None and not ok else ())
        if total and test.duration >= total / 100  # the tests that matter
    )
    return GateResult("suite-time", "pass" if ok else "fail", summary, seconds, limit, failures)


def evaluate(
    project: ProjectCoverage,
    settings: Settings,
    diff: DiffCoverage | None = None,
    baseline: Baseline | None = None,
    tests: TestEvidence | None = None,
) -> CheckResult:
    """Every gate, in a fixed order, with its verdict. ``tests``: the recorded test runs the
    test gates judge (None: none were read)."""
    precision = project.coverage_precision
    totals = project.totals
    gates = [
        _ratio_gate("total", "total", totals, "total", settings.fail_under, precision),
        _ratio_gate("lines", "lines", totals, "lines", settings.fail_under_lines, precision),
        _ratio_gate(
            "branches", "branches", totals, "branches", settings.fail_under_branches, precision
        ),
        _floor_gate(
            "file-floor",
            "file floors",
            _file_floors(project, settings),
            precision,
            "no file-floors set" if not settings.file_floors else "no file matches a floor",
        ),
        _floor_gate(
            "critical-floor",
            "critical files",
            _critical_files(project, settings),
            precision,
            "no critical-floor set"
            if settings.critical_floor is None
            else "no file matches a critical pattern",
        ),
    ]
    new_files, why_none = _new_files(project, diff, settings)
    gates.append(_floor_gate("new-file-floor", "new files", new_files, precision, why_none))
    gates.append(_diff_gate(diff, settings.diff_fail_under, precision))
    gates += _ratchet(project, baseline, settings, precision)
    gates.append(_phase_gate(project, baseline, settings, precision))
    gates.append(_flaky_gate(settings, tests))
    gates.append(_suite_time_gate(settings, tests))
    return CheckResult(tuple(gates), project, diff, baseline)
