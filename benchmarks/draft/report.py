"""The benchmark's tables (Markdown, to stdout); the JSON is the dict they are made from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from draft.projects import META

__all__ = ["CHECKS", "funnel_rows", "group_findings", "overall_funnel", "render", "render_project"]

#: The checks, in order, and what each one holds to.
CHECKS = (
    ("a", "git status: only new `*_generated*.py` / `*_todo*.py` files"),
    ("b", "each kept test passes 10/10 random-order runs of the generated files"),
    ("c", "whole suite ± the written files, same seeds: failing only with them = 0"),
    ("d", "coverage.py's total (partial suite + generated files) = covgap's after"),
)


FUNNEL_HEAD = ("engine", "candidates", "built", "passed", "kept", "findings", "seconds")


def _share(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.0f}%" if whole else "–"


def _percent(numbers: Mapping[str, Any] | None) -> str:
    return "–" if numbers is None else f"{numbers['percent_covered']:.2f}%"


def funnel_rows(funnels: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """One row per engine (and "all" when several): candidates, built, passed, kept with their
    share of the candidates, findings, seconds; then TestGen-LLM's shares."""
    rows = []
    for f in funnels:
        name = f["engine"] + (" (probes, never kept)" if f["engine"] == "hypothesis" else "")
        rows.append(_row(name, f))
    if len(funnels) > 1:
        total = {
            key: sum(f[key] for f in funnels)
            for key in ("candidates", "built", "passed", "kept", "findings", "seconds")
        }
        rows.append(_row("all engines", total))
    rows.append(
        [
            "TestGen-LLM at Meta",
            "",
            *(f"{META[k]:.0f}%" for k in ("built", "passed", "kept")),
            "",
            "",
        ]
    )
    return rows


def _row(name: str, f: Mapping[str, Any]) -> list[str]:
    whole = f["candidates"]
    return [
        name,
        str(whole),
        f"{f['built']} ({_share(f['built'], whole)})",
        f"{f['passed']} ({_share(f['passed'], whole)})",
        f"{f['kept']} ({_share(f['kept'], whole)})",
        str(f["findings"]),
        f"{f['seconds']:.1f}",
    ]


def group_findings(findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Findings of one function, engine and exception together, with their calls."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for finding in findings:
        key = (finding["target"], finding["engine"], finding["exception"])
        group = groups.setdefault(
            key,
            {
                "target": finding["target"],
                "engine": finding["engine"],
                "exception": finding["exception"],
                "calls": [],
            },
        )
        group["calls"].append(finding["call"])
    return list(groups.values())


def _calls(calls: Sequence[str]) -> str:
    shown = ", ".join(f"`{c}`" for c in calls[:3])
    return shown + (f" (+{len(calls) - 3} more)" if len(calls) > 3 else "")


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], right: int = 0) -> list[str]:
    """A Markdown table; the columns after the first ``right`` ones are right-aligned."""
    align = ["---" if i < right or right == 0 else "---:" for i in range(len(head))]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return lines


def render_project(record: Mapping[str, Any]) -> str:
    """One project's tables: funnel, coverage, functions, checks, findings."""
    draft = record["draft"]["result"]
    out = [
        f"## {record['name']} {record['version']}",
        "",
        f"Partial suite: `{' '.join(record['partial'])}` ({record['run']['summary']}); "
        f"`covgap draft --top 5` took {record['draft']['seconds']:.1f} s "
        f"(engines: {', '.join(record['draft']['engines'])}).",
        "",
    ]
    out += _table(
        [*FUNNEL_HEAD[:3], f"passed {draft['runs']}/{draft['runs']}", *FUNNEL_HEAD[4:]],
        funnel_rows(draft["funnels"]),
        right=1,
    )
    notes = [f"{f['engine']}'s note: {f['note']}" for f in draft["funnels"] if f.get("note")]
    out += ["", *notes] if notes else []
    before, after = draft["before"], draft["after"]
    gain = (
        f" ({after['percent_covered'] - before['percent_covered']:+.2f} points)"
        if after is not None
        else " (no test kept)"
    )
    out += [
        "",
        f"Coverage: {_percent(before)} → {_percent(after)}{gain}; covgap run's total "
        f"{_percent(record['run']['totals'])}.",
        "",
    ]
    out += [f"covgap's note: {note}" for note in draft.get("notes", [])]
    out += [""] if draft.get("notes") else []
    rows = []
    for g in draft["functions"]:
        points = g["after"]["percent_covered"] - g["before"]["percent_covered"]
        rows.append(
            [
                f"`{g['target']}`",
                _percent(g["before"]),
                _percent(g["after"]),
                f"{points:+.2f}",
                str(g["kept"]),
            ]
        )
    out += _table(["function", "before", "after", "gain (points)", "kept tests"], rows, right=1)
    out += [""]
    checks = record["checks"]
    rows = [
        [f"({key}) {what}", "yes" if checks[key]["ok"] else "**NO**", checks[key]["summary"]]
        for key, what in CHECKS
        if key in checks
    ]
    out += _table(["check", "holds", "numbers"], rows)
    for key, _ in CHECKS:
        for problem in checks.get(key, {}).get("problems", []):
            out.append(f"\n**({key}) fails**: {problem}")
    groups = group_findings(draft["findings"])
    out += ["", f"Findings ({len(draft['findings'])}, {len(groups)} distinct):", ""]
    if groups:
        rows = [
            [f"`{g['target']}`", g["engine"], g["exception"], _calls(g["calls"]), ""]
            for g in groups
        ]
        out += _table(["function", "engine", "exception", "calls", "real bug?"], rows)
    else:
        out.append("none")
    return "\n".join(out) + "\n"


def overall_funnel(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each engine's funnel added up over the projects."""
    engines: dict[str, dict[str, Any]] = {}
    for record in records:
        for f in record["draft"]["result"]["funnels"]:
            total = engines.setdefault(
                f["engine"],
                {"engine": f["engine"], "candidates": 0, "built": 0, "passed": 0, "kept": 0}
                | {"findings": 0, "seconds": 0.0, "note": ""},
            )
            for key in ("candidates", "built", "passed", "kept", "findings", "seconds"):
                total[key] += f[key]
    return list(engines.values())


def render(records: Sequence[Mapping[str, Any]], header: str) -> str:
    """Every project's tables, then one summary table and the funnel over all projects."""
    out = [header, ""]
    for record in records:
        out.append(render_project(record))
    out += ["## All projects", ""]
    rows = []
    for record in records:
        draft = record["draft"]["result"]
        funnel = " · ".join(
            f"{f['engine']} {f['candidates']}→{f['built']}→{f['passed']}→{f['kept']}"
            for f in draft["funnels"]
        )
        checks = record["checks"]
        rows.append(
            [
                f"{record['name']} {record['version']}",
                funnel,
                str(len(draft["findings"])),
                f"{_percent(draft['before'])} → {_percent(draft['after'])}",
                f"{record['draft']['seconds']:.0f}",
                *("yes" if checks[k]["ok"] else "**NO**" for k, _ in CHECKS if k in checks),
            ]
        )
    out += _table(
        ["project", "candidates→built→passed→kept", "findings", "coverage", "draft s"]
        + [f"({k})" for k, _ in CHECKS],
        rows,
    )
    out += ["", "Over all projects:", ""]
    out += _table(
        FUNNEL_HEAD,
        funnel_rows(overall_funnel(records)),
        right=1,
    )
    return "\n".join(out) + "\n"
