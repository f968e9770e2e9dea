"""``covgap flaky``'s output: each kind with its tests, their frequency, cause and reproduce
command; the coverage that moves; the same as JSON (docs/flaky.md)."""

from __future__ import annotations

from typing import Any

from covgap.model.flaky import KINDS, CoverageJitter, FlakyReport, FlakyTest

__all__ = ["FLAKY_FORMAT", "flaky_exit_code", "flaky_json", "render_flaky"]

#: Bumped on a change of the JSON's meaning.
FLAKY_FORMAT = 1

_TITLES = {
    "order-dependent": "Order-dependent",
    "flaky": "Flaky",
    "timing-sensitive": "Timing-sensitive",
    "always-failing": "Always failing",
}


def flaky_exit_code(report: FlakyReport) -> int:
    """1 when a test is flaky, order-dependent or timing-sensitive; else 0 (always failing
    tests are the ordinary test run's to report)."""
    return 1 if report.unstable else 0


def _tests(count: int) -> str:
    return f"{count} test{'s' if count != 1 else ''}"


def _seeds(report: FlakyReport) -> str:
    seeds = [run.seed for run in report.run_records]
    if seeds == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 1:
        return f"seeds {seeds[0]}-{seeds[-1]}"
    return "seed" + ("s " if len(seeds) > 1 else " ") + ", ".join(map(str, seeds))


def _ranges(numbers: list[int]) -> str:
    """1, 2, 3, 5 as "1-3, 5"."""
    groups: list[list[int]] = []
    for number in sorted(numbers):
        if groups and groups[-1][-1] == number - 1:
            groups[-1].append(number)
        else:
            groups.append([number])
    return ", ".join(
        str(group[0]) if len(group) == 1 else f"{group[0]}-{group[-1]}" for group in groups
    )


def _arc(arc: tuple[int, int]) -> str:
    start, end = arc
    return f"{start}->{end if end > 0 else 'exit'}"


def _test_lines(test: FlakyTest, runs: int) -> list[str]:
    seeds = ", ".join(map(str, test.seeds[:6])) + (", …" if len(test.seeds) > 6 else "")
    frequency = f"failed {test.failures} of {test.runs} runs"
    if test.runs != runs:
        frequency += f" it ran in (of {runs})"
    plural = "s" if len(test.seeds) > 1 else ""
    out = [f"  {test.nodeid}", f"    {frequency} (seed{plural} {seeds})"]
    if test.message or test.exc_type:
        message = test.message or test.exc_type
        if test.exc_type and test.exc_type.rpartition(".")[2] not in message:
            message = f"{test.exc_type}: {message}"
        out.append(f"    {message}")
    out.append(f"    why: {test.detail}" + ("" if test.confirmed else " [unconfirmed]"))
    out.append(f"    likely cause: {test.cause} ({test.cause_evidence})")
    if test.reproduce:
        out.append(f"    reproduce, in {test.reproduce_dir}:")
        out.append(f"      {test.reproduce}")
    return out


def _jitter_line(jitter: CoverageJitter, runs: int) -> str:
    parts = []
    if jitter.lines:
        counts = [count for _, count in jitter.lines]
        parts.append(
            f"line{'s' if len(jitter.lines) > 1 else ''} "
            f"{_ranges([number for number, _ in jitter.lines])} "
            f"(covered in {min(counts)}"
            + (f" to {max(counts)}" if max(counts) != min(counts) else "")
            + f" of {runs} runs)"
        )
    if jitter.arcs:
        shown = ", ".join(_arc(arc) for arc, _ in jitter.arcs[:6])
        more = f" and {len(jitter.arcs) - 6} more" if len(jitter.arcs) > 6 else ""
        parts.append(f"branch{'es' if len(jitter.arcs) > 1 else ''} {shown}{more}")
    line = f"  {jitter.path}: {'; '.join(parts)}"
    if jitter.tests:
        tests = ", ".join(jitter.tests[:3])
        more = f" and {len(jitter.tests) - 3} more" if len(jitter.tests) > 3 else ""
        line += f"\n    run by {tests}{more}"
    return line


def render_flaky(report: FlakyReport) -> str:
    """The text for a person."""
    runs = len(report.run_records)
    mode = "serial" if report.workers == 1 else f"{report.workers} pytest-xdist workers"
    out = [
        f"covgap flaky: {runs} run{'s' if runs != 1 else ''} of {_tests(report.tests_per_run)} "
        f"in {report.seconds:.1f} s ({_seeds(report)}, {mode})"
    ]
    if report.budget is not None:
        spent = (
            f": the budget ran out after {runs} of {report.runs_asked} runs"
            if report.budget_spent
            else ""
        )
        out.append(f"  budget {report.budget:g} s{spent}")
    if report.experiments:
        out.append(
            f"  experiments: {report.experiments} runs of a few tests each, "
            f"{report.experiment_seconds:.1f} s"
        )
    for kind in KINDS:
        tests = report.of_kind(kind)
        if not tests:
            continue
        out += ["", f"{_TITLES[kind]}: {len(tests)}"]
        for test in tests:
            out += _test_lines(test, runs)
    if report.coverage is not None:
        out.append("")
        if report.coverage:
            low, high = report.covered_lines or (0, 0)
            out.append(
                f"Coverage that moves between runs: {len(report.coverage)} file(s); a run "
                f"covered {low} to {high} lines"
            )
            out += [_jitter_line(jitter, runs) for jitter in report.coverage]
        else:
            out.append("Coverage: every run covered the same lines and branches")
    for note in report.notes:
        out.append(f"note: {note}")
    out.append("")
    unstable = report.unstable
    if unstable:
        counts = ", ".join(
            f"{len(report.of_kind(kind))} {kind}" for kind in KINDS[:3] if report.of_kind(kind)
        )
        out.append(f"Not stable in {runs} runs: {counts}.")
    else:
        failing = len(report.of_kind("always-failing"))
        also = f" ({failing} always failing)" if failing else ""
        out.append(f"Nothing flaky in {runs} runs of {_tests(report.tests_per_run)}{also}.")
    return "\n".join(out) + "\n"


def _test_json(test: FlakyTest) -> dict[str, Any]:
    return {
        "nodeid": test.nodeid,
        "kind": test.kind,
        "runs": test.runs,
        "failures": test.failures,
        "seeds": list(test.seeds),
        "message": test.message,
        "exc_type": test.exc_type,
        "cause": test.cause,
        "cause_evidence": test.cause_evidence,
        "detail": test.detail,
        "confirmed": test.confirmed,
        "polluters": list(test.polluters),
        "brittle": test.brittle,
        "reproduce": test.reproduce or None,
        "reproduce_dir": test.reproduce_dir or None,
    }


def flaky_json(report: FlakyReport) -> dict[str, Any]:
    """The JSON (docs/flaky.md, "JSON")."""
    coverage = None
    if report.coverage is not None:
        coverage = {
            "covered_lines": list(report.covered_lines) if report.covered_lines else None,
            "files": [
                {
                    "path": jitter.path,
                    "lines": [list(pair) for pair in jitter.lines],
                    "branches": [[start, end, count] for (start, end), count in jitter.arcs],
                    "tests": list(jitter.tests),
                }
                for jitter in report.coverage
            ],
        }
    return {
        "format": FLAKY_FORMAT,
        "project": report.project,
        "python": report.python,
        "runs_asked": report.runs_asked,
        "runs_done": len(report.run_records),
        "seconds": round(report.seconds, 3),
        "budget": report.budget,
        "budget_spent": report.budget_spent,
        "workers": report.workers,
        "tests_per_run": report.tests_per_run,
        "changing_ids": report.changing_ids,
        "counts": {kind: len(report.of_kind(kind)) for kind in KINDS},
        "exit_code": flaky_exit_code(report),
        "tests": [_test_json(test) for test in report.tests],
        "coverage": coverage,
        "experiments": {"runs": report.experiments, "seconds": round(report.experiment_seconds, 3)},
        "runs": [
            {
                "seed": run.seed,
                "seconds": round(run.seconds, 3),
                "workers": run.workers,
                "exit_code": run.exit_code,
                "tests": [
                    {
                        "nodeid": test.nodeid,
                        "outcome": test.outcome.outcome,
                        "duration": round(test.outcome.duration, 6),
                        "phase": test.outcome.phase or None,
                        "message": test.outcome.message or None,
                        "exc_type": test.exc_type or None,
                        "worker": test.worker or None,
                    }
                    for test in run.tests
                ],
            }
            for run in report.run_records
        ],
        "notes": list(report.notes),
    }
