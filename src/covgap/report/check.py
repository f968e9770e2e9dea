"""What ``covgap check`` prints and writes: the verdicts, a pull-request comment in Markdown,
GitHub annotations for uncovered changed lines, an SVG badge, and JSON for machines.

Project text (paths, function names) goes into code spans with backticks and pipes neutralised,
and into annotation properties with GitHub's escapes, so a file name cannot break the comment or
forge a workflow command.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import jinja2

from covgap import __version__
from covgap.analyze.gates import CheckResult, GateResult
from covgap.report.markdown import template_environment

__all__ = [
    "ANNOTATIONS_CAP",
    "annotation_lines",
    "badge_svg",
    "check_json",
    "check_markdown",
    "check_text",
    "line_ranges",
]

#: GitHub shows at most 10 warning annotations per step and 50 per job; covgap writes at most
#: this many, the rest summed up in the last one.
ANNOTATIONS_CAP = 10
#: Failures listed per gate in the terminal (the comment and the JSON list them all).
FAILURES_SHOWN = 10

_MARK = {"pass": "PASS", "fail": "FAIL", "skip": "skip"}
_EMOJI = {"pass": "✅", "fail": "❌", "skip": "➖"}


def line_ranges(lines: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive line numbers as (first, last) ranges."""
    ranges: list[tuple[int, int]] = []
    for line in sorted(set(lines)):
        if ranges and line == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], line)
        else:
            ranges.append((line, line))
    return ranges


def check_text(result: CheckResult) -> str:
    """One line per gate, the failures under each failed gate, then the overall verdict."""
    out: list[str] = []
    for gate in result.gates:
        out.append(f"{_MARK[gate.verdict]:4} {gate.summary}")
        if gate.verdict == "fail":
            for failure in gate.failures[:FAILURES_SHOWN]:
                out.append(f"       {failure.path}: {failure.text}")
            if len(gate.failures) > FAILURES_SHOWN:
                out.append(f"       … and {len(gate.failures) - FAILURES_SHOWN} more")
    for note in result.notes:
        out.append(f"note: {note}")
    failed = result.failed
    out.append(
        f"covgap check: {len(failed)} gate{'s' if len(failed) != 1 else ''} failed"
        if failed
        else "covgap check: every gate passed"
    )
    return "\n".join(out) + "\n"


def _gate_dict(gate: GateResult) -> dict[str, Any]:
    return {
        "gate": gate.gate,
        "verdict": gate.verdict,
        "summary": gate.summary,
        "actual": gate.actual,
        "threshold": gate.threshold,
        "failures": [
            {"path": f.path, "text": f.text, "lines": list(f.lines)} for f in gate.failures
        ],
    }


def _diff_dict(result: CheckResult) -> dict[str, Any] | None:
    diff = result.diff
    if diff is None:
        return None
    files: list[dict[str, Any]] = []
    for f in diff.files:
        files.append(
            {
                "path": f.path,
                "added": f.added,
                "measured": f.measured,
                "excluded": f.excluded,
                "changed_statements": len(f.changed_statements),
                "uncovered_lines": list(f.uncovered),
                "uncovered_display": f.uncovered_ranges,
                "by_function": [
                    {"function": name, "lines": list(lines), "display": f.ranges(lines)}
                    for name, lines in f.by_function
                ],
            }
        )
    changed = sum(len(f.changed_statements) for f in diff.files if f.measured)
    uncovered = sum(len(f.uncovered) for f in diff.files if f.measured)
    return {
        "base": diff.diff.base,
        "base_commit": diff.diff.base_commit,
        "how": diff.diff.how,
        "changed_statements": changed,
        "covered_statements": changed - uncovered,
        "percent": 100.0 * (changed - uncovered) / changed if changed else 100.0,
        "files": files,
    }


def check_json(result: CheckResult) -> str:
    totals = result.project.totals
    baseline = result.baseline
    document = {
        "format_version": 1,
        "generator": {"name": "covgap", "version": __version__},
        "passed": result.passed,
        "totals": {
            "statements": totals.statements,
            "missing_statements": totals.missing_statements,
            "branches": totals.branches,
            "missing_branches": totals.missing_branches,
            "percent": totals.percent_covered,
        },
        "baseline": None
        if baseline is None
        else {
            "source": baseline.source,
            "commit": baseline.commit,
            "percent": baseline.numbers.percent_covered,
        },
        "gates": [_gate_dict(gate) for gate in result.gates],
        "diff": _diff_dict(result),
        "notes": list(result.notes),
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def _comment_view(result: CheckResult) -> dict[str, Any]:
    totals = result.project.totals
    now = totals.percent_covered
    baseline = result.baseline
    return {
        "passed": result.passed,
        "total": f"{now:.1f}",
        "covered_units": totals.covered_units,
        "units": totals.units,
        "baseline": None
        if baseline is None
        else {
            "source": baseline.source,
            "total": f"{baseline.numbers.percent_covered:.1f}",
            "delta": f"{now - baseline.numbers.percent_covered:+.1f}",
        },
        "gates": [
            {**_gate_dict(g), "emoji": _EMOJI[g.verdict], "mark": _MARK[g.verdict]}
            for g in result.gates
        ],
        "failed": len(result.failed),
        "diff": _diff_dict(result),
        "notes": list(result.notes),
        "version": __version__,
    }


def check_markdown(result: CheckResult) -> str:
    """The pull-request comment (``--format github`` / ``--comment FILE``)."""
    env: jinja2.Environment = template_environment()
    return env.get_template("check.md.j2").render(c=_comment_view(result))


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation_lines(result: CheckResult, cap: int = ANNOTATIONS_CAP) -> str:
    """``::warning`` workflow commands for uncovered changed lines, one per range, capped."""
    diff = result.diff
    if diff is None:
        return ""
    found: list[tuple[str, int, int, str]] = []
    for f in diff.files:
        if f.flagged:
            found.append((f.path, 1, 1, "changed, but absent from the coverage data"))
            continue
        for name, lines in f.by_function:
            for first, last in line_ranges(lines):
                span = f"line {first}" if first == last else f"lines {first}-{last}"
                found.append((f.path, first, last, f"{span} of {name} changed and not covered"))
    out = []
    for path, first, last, message in found[:cap]:
        out.append(
            f"::warning file={_escape_property(path)},line={first},endLine={last},"
            f"title={_escape_property('covgap: uncovered change')}::{_escape_data(message)}"
        )
    if len(found) > cap:
        rest = found[cap:]
        out.append(
            f"::warning title={_escape_property('covgap: uncovered change')}::"
            + _escape_data(
                f"{len(rest)} more uncovered changed ranges in "
                f"{len({p for p, *_ in rest})} files (see the check's output)"
            )
        )
    return "\n".join(out) + ("\n" if out else "")


def _badge_colour(percent: float) -> str:
    for low, colour in (
        (90, "#4c1"),
        (80, "#97ca00"),
        (70, "#a4a61d"),
        (60, "#dfb317"),
        (50, "#fe7d37"),
    ):
        if percent >= low:
            return colour
    return "#e05d44"


def badge_svg(percent: float, label: str = "coverage") -> str:
    """A flat badge, "coverage | 82%", coloured by the total; self-contained SVG."""
    value = f"{int(percent)}%" if percent == int(percent) else f"{percent:.1f}%"
    # Verdana 11px: about 7 px per character, plus 10 px of padding on each side.
    left, right = 10 + 7 * len(label), 10 + 7 * len(value)
    width = left + right
    colour = _badge_colour(percent)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{label}: {value}">'
        f"<title>{label}: {value}</title>"
        f'<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        f'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<rect width="{width}" height="20" fill="url(#s)"/></g>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        f'font-size="11"><text x="{left / 2}" y="14">{label}</text>'
        f'<text x="{left + right / 2}" y="14">{value}</text></g></svg>\n'
    )
