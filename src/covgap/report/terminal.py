"""Render the view as a terminal summary with rich: status, top gaps, phases."""

from __future__ import annotations

from typing import Any, TextIO

from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.table import Table

from covgap.report.view import plural

__all__ = ["render_audit_terminal", "render_terminal"]

_TIER_STYLES = {
    "critical": "red",
    "low": "dark_orange",
    "medium": "yellow",
    "good": "green",
    "excellent": "bold green",
}


def _table(title: str, columns: list[tuple[str, JustifyMethod]], no_wrap: str = "") -> Table:
    table = Table(title=title, title_justify="left")
    for header, justify in columns:
        table.add_column(header, justify=justify, no_wrap=header == no_wrap, overflow="ellipsis")
    return table


def render_terminal(view: dict[str, Any], stream: TextIO, *, width: int | None = None) -> None:
    """Print the summary to ``stream`` (colour only when it is a terminal)."""
    console = Console(file=stream, width=width, highlight=False, soft_wrap=False)
    if width is None and not console.is_terminal:
        console.width = 120  # logs and pipes: rich's 80 columns would cut the function names
    plan = view["plan"]
    totals = view["totals"]
    branch = "on" if view["input"]["branch_measured"] else "off"
    console.print(
        f"[bold]covgap[/bold] plan for [cyan]{escape(view['input']['path'])}[/cyan] "
        f"({plural(totals['files'], 'file')}, {plural(totals['statements'], 'statement')}, "
        f"{plural(totals['branches'], 'branch')}; branch coverage {branch})"
    )
    console.print(
        f"Coverage [bold]{plan['current_display']}%[/bold] → "
        f"target [bold]{plan['target_display']}%[/bold]"
        f"  (gap {plan['gap_display']} points)"
    )

    _suite_scope(console, view["suite_scope"])
    _run_and_health(console, view)

    top = view["settings"].get("top", 10)
    files = [
        f
        for f in view["files"]
        if (f["missing_statements"] or f["missing_branches"]) and not f["test_code"]
    ][:top]
    if files:
        table = _table(
            "Files by impact",
            [
                ("File", "left"),
                ("Cover", "right"),
                ("Missing", "right"),
                ("Tier", "left"),
                ("Impact", "right"),
            ],
        )
        for f in files:
            style = _TIER_STYLES.get(f["tier"], "")
            table.add_row(
                escape(f["path"]),
                f"{f['percent_covered_display']}%",
                str(f["missing_statements"] + f["missing_branches"]),
                f"[{style}]{f['tier']}[/]" if style else f["tier"],
                f"+{f['impact_display']}",
            )
        console.print(table)

    if view["top_functions"]:
        _top_functions(console, view)

    if plan["phases"]:
        with_tests = view.get("risk") is not None
        headers = ["Reach", "Projected", "Gain", "Functions"]
        headers += ["Tests (est.)"] if with_tests else []
        headers += ["Then set fail_under"]
        table = _table("Phased plan", [("Phase", "left"), *((h, "right") for h in headers)])
        for phase in plan["phases"]:
            tests = [str(phase["estimated_tests"])] if with_tests else []
            table.add_row(
                str(phase["number"]),
                f"{phase['milestone_display']}%",
                f"{phase['projected_percent_display']}%",
                f"+{phase['gain_display']}",
                str(phase["functions"]),
                *tests,
                phase["fail_under_display"],
            )
        console.print(table)
    if view.get("audit"):
        _audit(console, view["audit"], limit=AUDIT_SHOWN)
    for note in [*plan["notes"], *view["notes"]]:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")


#: Test modules that did not run, named in the summary (plan.md and plan.json list more).
UNRUN_SHOWN = 5


def _suite_scope(console: Console, scope: dict[str, Any]) -> None:
    """A partial run first, with "run the whole suite"; the test modules that did not run; how
    the totals count test code."""
    not_run = scope["not_run"]
    if scope["partial"]:
        selection = scope["selection"]
        given = (selection["paths"] + selection["options"]) if selection else []
        tests = scope["tests"]
        if not_run:
            counts = f"({scope['not_run_tests']} of {plural(tests, 'test')}) " if tests else ""
            what = f"{len(not_run)} of {plural(scope['test_modules'], 'test module')} {counts}"
            what += "did not run"
        else:
            what = f"{scope['tests_run']}{f' of {tests}' if tests else ''} tests ran"
        console.print(
            "[bold yellow]Only part of the suite ran:[/bold yellow] "
            + (f"pytest was given {escape(' '.join(given))}; " if given else "")
            + what
        )
        console.print(f"[bold]First, run the whole suite:[/bold] {escape(scope['command'])}")
    if not_run:
        counted = scope["tests"] is not None
        shown = ", ".join(
            f"{t['path']} ({t['tests']})" if counted else t["path"] for t in not_run[:UNRUN_SHOWN]
        )
        more = f" and {len(not_run) - UNRUN_SHOWN} more" if len(not_run) > UNRUN_SHOWN else ""
        console.print(
            f"Tests that did not run: {escape(shown)}{more}", overflow="ellipsis", no_wrap=True
        )
    code = scope["test_code"]
    if code["files"]:
        console.print(
            f"[dim]Totals count {plural(code['files'], 'test-code file')} "
            f"({code['share_display']} points), as coverage.py's source holds the tests; "
            "the plan never lists test code.[/dim]"
        )


#: Findings the plan's terminal summary lists (plan.md and plan.json have them all).
AUDIT_SHOWN = 8
_SEVERITY_STYLES = {"high": "bold red", "medium": "yellow", "low": "", "info": "dim"}


def render_audit_terminal(
    view: dict[str, Any], stream: TextIO, *, width: int | None = None
) -> None:
    """``covgap audit``'s summary: the score by area and every finding with its fix."""
    console = Console(file=stream, width=width, highlight=False, soft_wrap=False)
    if width is None and not console.is_terminal:
        console.width = 120
    console.print(f"[bold]covgap[/bold] audit of [cyan]{escape(view['project'])}[/cyan]")
    _audit(console, view["audit"], limit=None)
    for note in view["audit"]["notes"]:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")


def _audit(console: Console, audit: dict[str, Any], limit: int | None) -> None:
    """The score, the areas, the inventory in a line, and the findings (the first ``limit``)."""
    counts = audit["counts"]
    console.print(
        f"Audit score [bold]{audit['score']['display']}[/bold] "
        f"({counts['high']} high, {counts['medium']} medium, {counts['low']} low)"
    )
    table = _table("Audit by area", [("Area", "left"), ("Score", "right"), ("Findings", "left")])
    for area in audit["areas"]:
        shown = area["display"] + (f" ({area['unmeasured']})" if area["unmeasured"] else "")
        table.add_row(area["label"], shown, escape(", ".join(area["findings"]) or "-"))
    console.print(table)
    inventory = audit["inventory"]
    if inventory:
        kinds = ", ".join(f"{c['name']} {c['tests']}" for c in inventory["categories"])
        console.print(
            f"Tests: {inventory['tests']} in {plural(inventory['test_files'], 'file')}"
            f" ({plural(inventory['test_functions'], 'function')}, "
            f"{plural(inventory['fixtures'], 'fixture')}){f'; {kinds}' if kinds else ''}"
        )
    findings = audit["findings"] if limit is None else audit["findings"][:limit]
    for number, finding in enumerate(findings, start=1):
        style = _SEVERITY_STYLES[finding["severity"]]
        label = f"[{style}]{finding['severity']}[/]" if style else finding["severity"]
        console.print(
            f"{number:>2}. {label} {escape(finding['title'])}"
            f"  [dim]{escape(finding['where_display'])}[/dim]",
            overflow="ellipsis",
            no_wrap=limit is not None,
        )
        if limit is None and finding["fix"]:
            where = f" in {finding['fix_path']}" if finding["fix_path"] else ""
            console.print(f"    [dim]fix{escape(where)}:[/dim]")
            for line in finding["fix"].splitlines():
                console.print(f"      {escape(line)}", overflow="ellipsis", no_wrap=True)
    if limit is not None and len(audit["findings"]) > limit:
        console.print(
            f"    … and {len(audit['findings']) - limit} more findings, "
            "with their fixes, in plan.md"
        )


def _top_functions(console: Console, view: dict[str, Any]) -> None:
    """The first functions of the ranking, with their risk and first suggested tests."""
    with_risk = view.get("risk") is not None
    columns: list[tuple[str, JustifyMethod]] = [
        ("Pri", "left"),
        ("Function", "left"),
        ("Cover", "right"),
        ("Gap", "right"),
        ("Impact", "right"),
    ]
    if with_risk:
        columns += [("Risk", "left"), ("Tests", "right")]
    table = _table(
        "Functions to cover first", [*columns, ("Missing lines", "left")], "Missing lines"
    )
    for item in view["top_functions"]:
        risk = item.get("risk")
        extra = [risk["level"] if risk else "", str(item["effort"])] if with_risk else []
        table.add_row(
            item["priority"] or "",
            f"{escape(item['path'])}:[bold]{escape(item['display_name'])}[/bold]",
            f"{item['percent_covered_display']}%",
            str(item["gap"]),
            f"+{item['impact_display']}",
            *(f"[{_RISK_STYLES[e]}]{e}[/]" if e in _RISK_STYLES else e for e in extra),
            escape(item["missing_ranges"]),
        )
    console.print(table)
    if not with_risk:
        return
    risk = view["risk"]
    levels = risk["levels"]
    churn = risk["churn_window"] or risk["churn_absent"]
    console.print(
        f"Risk: [red]{levels['high']} high[/], [yellow]{levels['medium']} medium[/], "
        f"{levels['low']} low ({escape(risk['complexity_library'])}; {escape(churn)})"
    )
    console.print("[bold]Tests to write first[/bold]")
    for item in view["top_functions"][:TESTS_SHOWN]:
        advice = item.get("advice")
        if not advice or not advice["suggestions"] or item.get("runs_with"):
            continue
        first = advice["suggestions"][0]
        more = len(advice["suggestions"]) - 1
        console.print(
            f"  {escape(advice['test_file'])}::[bold]{escape(first['test_name'])}[/bold]"
            f"{f' (+{more} more)' if more else ''}",
            overflow="ellipsis",
            no_wrap=True,
        )
        console.print(f"    [dim]{escape(first['text'])}[/dim]", overflow="ellipsis", no_wrap=True)


#: Functions whose first suggested test the terminal shows.
TESTS_SHOWN = 5

_RISK_STYLES = {"high": "red", "medium": "yellow"}


def _run_and_health(console: Console, view: dict[str, Any]) -> None:
    """How ``covgap run`` measured, the suite's counts, and what to fix first."""
    run, health = view.get("run"), view.get("health")
    if run:
        source = ", ".join(run["source"]) or "not set"
        workers = f"; {run['workers']} workers" if run["workers"] > 1 else ""
        console.print(
            f"Measured with Python {run['python_version']}, coverage.py {run['coverage_version']}, "
            f"core [bold]{run['core']}[/bold] ({escape(run['core_reason'])}); "
            f"branch {'on' if run['branch'] else 'off'}; source {escape(source)}"
            f"{' (detected)' if run['source_detected'] else ''}; subprocesses measured"
            f"{workers}"
            f"{'; per-test contexts' if run['contexts'] else ''}; {run['seconds']:.1f} s"
        )
    if not health:
        return
    counts = health["counts"]
    parts = [f"{counts[key]} {label}" for key, label in _COUNT_LABELS if counts[key]]
    console.print(f"Tests: {', '.join(parts) or 'none ran'}")
    if health["stopped"]:
        console.print(f"[bold red]The run was stopped:[/bold red] {escape(health['stopped'])}")
    if health["groups"]:
        console.print("[bold]Fix first[/bold]")
        for group in health["groups"]:
            first = group["tests"][0]
            console.print(
                f"  {escape(group['cause'])} ({group['count']}): {escape(first['nodeid'])}"
                f"  [dim]{escape(first['message'])}[/dim]",
                overflow="ellipsis",
                no_wrap=True,
            )


_COUNT_LABELS = (
    ("passed", "passed"),
    ("failed", "failed"),
    ("error", "errors"),
    ("skipped", "skipped"),
    ("xfailed", "xfailed"),
    ("xpassed", "xpassed"),
)
