"""Render the view as a terminal summary with rich: status, top gaps, phases."""

from __future__ import annotations

from typing import Any, TextIO

from rich.cells import cell_len
from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from covgap.report.view import plural

__all__ = ["fit_name", "render_audit_terminal", "render_terminal"]

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


def fit_name(where: str, name: str, width: int, separator: str = ":") -> str:
    """``where:name`` in ``width`` cells, or as close as the name allows: the path is cut from the
    left at a folder ("…/urlutils.py:OrderedMultiDict.update"), the name never."""
    full = f"{where}{separator}{name}"
    if cell_len(full) <= width or not where:
        return full
    room = width - cell_len(name) - len(separator) - 1  # 1: the "…"
    if room < 2:
        return name
    tail = where[-room:]
    folder = tail.find("/")
    if 0 <= folder < len(tail) - 1:
        tail = tail[folder:]
    elif len(tail) < 4:  # a few letters of a file's name say nothing
        tail = ""
    return f"…{tail}{separator}{name}"


def _chrome(columns: int) -> int:
    """Cells a table row spends outside its cells' text: a border before each column and one
    after the last, and a space either side of each cell."""
    return columns + 1 + 2 * columns


def _widest(header: str, cells: list[str]) -> int:
    """The widest of a column's header and cells (rich markup), in cells."""
    return max(cell_len(header), *(Text.from_markup(cell).cell_len for cell in cells))


Column = tuple[str, JustifyMethod, list[str]]


def _name_table(
    console: Console,
    title: str,
    columns: tuple[list[Column], list[Column]],
    names: tuple[str, list[tuple[str, str, str]]],
    rest: tuple[str, str, list[str]] | None = None,
) -> Table:
    """A table whose name column shows every name whole: a row too long loses the left of its
    path first, then room in the last column (``rest``: the missing lines, which plan.md and the
    page have), whose header shortens and whose cells are cut at their end; when a name is
    longer than that, the last column goes, and a name longer than the whole row folds onto a
    second line, still whole.

    ``columns``: the columns before and after the name, (header, justify, cells as rich
    markup); ``names``: the name column's header and (where, separator, name) for each row;
    ``rest``: the last column's header, its short header, and its cells.
    """
    before, after = columns
    header, parts = names
    fixed = sum(_widest(h, cells) for h, _, cells in (*before, *after))
    count = len(before) + len(after) + 1
    room = console.width - fixed - _chrome(count)
    longest = max(cell_len(name) for _, _, name in parts)
    last = _chrome(1) - 1 + cell_len(rest[1]) if rest else 0  # the last column at its narrowest
    if rest and longest <= room - last:
        count += 1
        room -= last
    else:
        rest = None
    labels = [fit_name(where, name, room, separator) for where, separator, name in parts]
    name_width = min(_widest(header, [escape(label) for label in labels]), max(room, 1))
    table = Table(title=title, title_justify="left")
    for column_header, justify, _ in before:
        table.add_column(column_header, justify=justify, no_wrap=True)
    table.add_column(header, overflow="fold", min_width=name_width, max_width=max(room, 1))
    for column_header, justify, _ in after:
        table.add_column(column_header, justify=justify, no_wrap=True)
    if rest:
        left = console.width - fixed - name_width - _chrome(count)
        shown = rest[0] if left >= cell_len(rest[0]) else rest[1]
        table.add_column(
            shown, no_wrap=True, overflow="ellipsis", width=max(cell_len(rest[1]), left)
        )
    for index, label in enumerate(labels):
        name = parts[index][2]
        where = label[: len(label) - len(name)]
        table.add_row(
            *(cells[index] for _, _, cells in before),
            f"{escape(where)}[bold]{escape(name)}[/bold]",
            *(cells[index] for _, _, cells in after),
            *([rest[2][index]] if rest else []),
        )
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
        tiers = [f["tier"] for f in files]
        table = _name_table(
            console,
            "Files by impact",
            (
                [],
                [
                    ("Cover", "right", [f"{f['percent_covered_display']}%" for f in files]),
                    (
                        "Missing",
                        "right",
                        [str(f["missing_statements"] + f["missing_branches"]) for f in files],
                    ),
                    (
                        "Tier",
                        "left",
                        [
                            f"[{_TIER_STYLES[t]}]{escape(t)}[/]" if t in _TIER_STYLES else escape(t)
                            for t in tiers
                        ],
                    ),
                    ("Impact", "right", [f"+{f['impact_display']}" for f in files]),
                ],
            ),
            ("File", [_split_path(f["path"]) for f in files]),
        )
        console.print(table)

    if view["top_functions"]:
        _top_functions(console, view)

    if plan["phases"]:
        with_tests = view.get("risk") is not None
        headers = ["Reach", "Projected", "Gain", "Functions"]
        headers += ["Tests (est.)", "Days (est.)"] if with_tests else []
        headers += ["Then set fail_under"]
        table = _table("Phased plan", [("Phase", "left"), *((h, "right") for h in headers)])
        for phase in plan["phases"]:
            tests = (
                [f"{phase['estimated_tests']:,}", phase["estimated_days_display"]]
                if with_tests
                else []
            )
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
        if with_tests:
            console.print(
                f"Estimates: {plan['estimated_tests']:,} tests, "
                f"{plan['estimated_days_display']} days at "
                f"{view['settings']['tests_per_day']:g} tests a day (tests-per-day)"
            )
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


def _split_path(path: str) -> tuple[str, str, str]:
    """(folder, "/", file name), so that a cut path keeps the file's name whole."""
    folder, slash, name = path.rpartition("/")
    return folder, slash, name


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
    items = view["top_functions"]
    after: list[Column] = [
        ("Cover", "right", [f"{i['percent_covered_display']}%" for i in items]),
        ("Gap", "right", [str(i["gap"]) for i in items]),
        ("Impact", "right", [f"+{i['impact_display']}" for i in items]),
    ]
    if with_risk:
        levels = [i["risk"]["level"] if i.get("risk") else "" for i in items]
        after += [
            (
                "Risk",
                "left",
                [f"[{_RISK_STYLES[e]}]{e}[/]" if e in _RISK_STYLES else e for e in levels],
            ),
            ("Tests", "right", [str(i["effort"]) for i in items]),
        ]
    table = _name_table(
        console,
        "Functions to cover first",
        ([("Pri", "left", [i["priority"] or "" for i in items])], after),
        ("Function", [(i["path"], ":", i["display_name"]) for i in items]),
        ("Missing lines", "Missing", [escape(i["missing_ranges"]) for i in items]),
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
        named = [s for s in advice["suggestions"] if s["test_name"]] if advice else []
        if not named or item.get("runs_with"):
            continue  # nothing to write (run the tests, or dead code to remove)
        first = named[0]
        more = len(named) - 1
        extra = f" (+{more} more)" if more else ""
        label = fit_name(
            advice["test_file"], first["test_name"], console.width - 2 - len(extra), "::"
        )
        where = label[: len(label) - len(first["test_name"])]
        console.print(
            f"  {escape(where)}[bold]{escape(first['test_name'])}[/bold]{extra}",
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
            lead = f"  {group['cause']} ({group['count']}): "
            where, separator, name = first["nodeid"].rpartition("::")
            test = fit_name(where, name, console.width - cell_len(lead), separator)
            console.print(
                f"{escape(lead)}{escape(test)}  [dim]{escape(first['message'])}[/dim]",
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
