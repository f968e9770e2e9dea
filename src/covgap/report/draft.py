"""``covgap draft``'s output: the funnel per engine, findings, flaky tests, coverage, files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from covgap.model import Numbers
    from covgap.model.draft import DraftedTest, DraftResult, EngineFunnel

__all__ = ["draft_json", "render_draft"]

#: TestGen-LLM's funnel at Meta (Alshahwan et al., FSE 2024, Reels and Stories): of the
#: candidate tests, 75% built, 57% passed reliably, 25% increased coverage.
META_FUNNEL = (75, 57, 25)
#: Bumped on a change of the JSON's meaning.
DRAFT_FORMAT = 1


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _funnel_line(funnel: EngineFunnel, width: int) -> str:
    name = funnel.engine.ljust(width)
    if not funnel.candidates and funnel.note:
        note = funnel.note if funnel.note.startswith("not run") else f"no candidate: {funnel.note}"
        return f"  {name}  {note}"
    counts = (
        f"{funnel.candidates} → {funnel.built} ({_percent(funnel.built, funnel.candidates)}) → "
        f"{funnel.passed} ({_percent(funnel.passed, funnel.candidates)}) → "
        f"{funnel.kept} ({_percent(funnel.kept, funnel.candidates)})"
    )
    extra = f", {funnel.findings} finding(s)" if funnel.findings else ""
    note = f"; {funnel.note}" if funnel.note else ""
    return f"  {name}  {counts}{extra}  [{funnel.seconds:.1f} s]{note}"


def _coverage(numbers: Numbers) -> str:
    return f"{numbers.percent_covered:.1f}%"


def render_draft(result: DraftResult) -> str:
    """The terminal summary."""
    out: list[str] = []
    if not result.targets:
        out.append("covgap draft: " + "; ".join(result.notes or ("nothing to draft",)))
        return "\n".join(out) + "\n"
    out.append(f"covgap draft: {len(result.targets)} function(s)")
    for target in result.targets:
        out.append(f"  {target.key}")
    if result.funnels:
        meta = "/".join(f"{n}%" for n in META_FUNNEL)
        out += [
            "",
            f"Engines: candidate tests → built → passed {result.runs}/{result.runs} runs → kept "
            f"(TestGen-LLM at Meta: {meta})",
        ]
        width = max(len(f.engine) for f in result.funnels)
        out += [_funnel_line(funnel, width) for funnel in result.funnels]
    findings = result.findings
    if findings:
        out += ["", "Findings (suspected bugs: an input that raises):"]
        groups: dict[tuple[str, str], list[DraftedTest]] = {}
        for test in findings:
            kind = test.failure.split(":", 1)[0].split(" ", 1)[0]
            groups.setdefault((test.target, kind), []).append(test)
        for (key, _), same in groups.items():
            # a failing run's own message and input first, then a test's expectation
            first = min(same, key=lambda t: ("the test expects it" in t.failure, not t.call))
            call = f"`{first.call}` " if first.call else ""
            engines = ", ".join(sorted({t.engine for t in same}))
            more = f" (and {len(same) - 1} more input(s))" if len(same) > 1 else ""
            private = key.rsplit("::", 1)[-1].rsplit(".", 1)[-1]
            helper = (
                "; a private helper: check whether its callers can pass this"
                if private.startswith("_") and not private.startswith("__")
                else ""
            )
            out.append(f"  {key}: {call}raises {first.failure}{more}  [{engines}{helper}]")
    if result.flaky:
        out += ["", "Flaky (passed in some runs, failed in others; not kept):"]
        for test in result.flaky:
            out.append(
                f"  {test.target}: {test.name} passed {test.passes}/{test.runs}: {test.failure}"
            )
    polluting = [t for t in result.tests if t.status == "pollutes"]
    if polluting:
        out += ["", "Left out (they change state the project's other tests read):"]
        alike: dict[tuple[str, str], list[DraftedTest]] = {}
        for test in polluting:
            alike.setdefault((test.target, test.failure), []).append(test)
        for (key, failure), tests in alike.items():
            if len(tests) == 1:
                out.append(f"  {key}: {tests[0].name} {failure}")
            else:
                out.append(f"  {key}: {len(tests)} tests {failure.replace('leaves', 'leave', 1)}")
    out.append("")
    if result.after is not None:
        gain = result.after.percent_covered - result.before.percent_covered
        out.append(
            f"Coverage: {_coverage(result.before)} → {_coverage(result.after)} ({gain:+.2f} "
            f"points; coverage.py's total of the suite's data with the {len(result.kept)} kept "
            "test(s) run)"
        )
        for gain_item in result.functions:
            if gain_item.kept or gain_item.after != gain_item.before:
                how = f"{gain_item.kept} test(s)" if gain_item.kept else "by the others' tests"
                out.append(
                    f"  {gain_item.target}: {_coverage(gain_item.before)} → "
                    f"{_coverage(gain_item.after)} ({how})"
                )
    else:
        out.append(f"Coverage: {_coverage(result.before)}; no test kept")
    for note in result.notes:
        out.append(f"Note: {note}")
    if result.files:
        out.append("")
        verb = "Would write" if result.dry_run else "Wrote"
        for file in result.files:
            what = (
                f"{len(file.tests)} starter test(s) to finish, marked skipped"
                if file.skeleton
                else f"{len(file.tests)} kept test(s)"
            )
            out.append(f"{verb} {file.path} ({what})")
        if result.dry_run:
            for file in result.files:
                out += ["", f"--- {file.path} ---", file.source.rstrip("\n")]
    return "\n".join(out) + "\n"


def _numbers(numbers: Numbers | None) -> dict[str, Any] | None:
    if numbers is None:
        return None
    return {
        "statements": numbers.statements,
        "missing_statements": numbers.missing_statements,
        "branches": numbers.branches,
        "missing_branches": numbers.missing_branches,
        "percent_covered": numbers.percent_covered,
    }


def draft_json(result: DraftResult) -> dict[str, Any]:
    """Everything, for programs (format ``DRAFT_FORMAT``)."""
    return {
        "format_version": DRAFT_FORMAT,
        "dry_run": result.dry_run,
        "runs": result.runs,
        "targets": [t.key for t in result.targets],
        "funnels": [
            {
                "engine": f.engine,
                "candidates": f.candidates,
                "built": f.built,
                "passed": f.passed,
                "kept": f.kept,
                "findings": f.findings,
                "seconds": round(f.seconds, 3),
                "note": f.note,
            }
            for f in result.funnels
        ],
        "tests": [
            {
                "engine": t.engine,
                "target": t.target,
                "name": t.name,
                "status": t.status,
                "runs": t.runs,
                "passes": t.passes,
                "failure": t.failure,
                "call": t.call,
                "new_lines": {path: list(lines) for path, lines in t.new_lines},
                "new_arcs": {path: [list(a) for a in arcs] for path, arcs in t.new_arcs},
                "written_to": t.written_to,
            }
            for t in result.tests
        ],
        "findings": [
            {
                "engine": t.engine,
                "target": t.target,
                "call": t.call,
                "exception": t.failure,
                "test": t.name,
            }
            for t in result.findings
        ],
        "files": [
            {"path": f.path, "tests": list(f.tests), "skeleton": f.skeleton} for f in result.files
        ],
        "before": _numbers(result.before),
        "after": _numbers(result.after),
        "functions": [
            {
                "target": g.target,
                "kept": g.kept,
                "before": _numbers(g.before),
                "after": _numbers(g.after),
            }
            for g in result.functions
        ],
        "notes": list(result.notes),
    }
