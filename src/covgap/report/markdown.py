"""Render the view as ``plan.md``, through the Jinja2 template in templates/."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import jinja2

from covgap.analyze.effort import RISK_WEIGHT
from covgap.markup import code_block, code_span, inline, plain_text

__all__ = [
    "MAX_LINES",
    "render_audit_markdown",
    "render_markdown",
    "template_environment",
    "work_layout",
]

#: plan.md's length at most, on any project (at the default ``top``): the phases' units of work
#: take the lines the other sections leave.
MAX_LINES = 240
#: Lines the phases' details may take at most, however short the rest.
WORK_LINES = 90
#: A phase's units of work listed at most, and functions listed per unit.
UNITS_PER_PHASE = 8
FUNCTIONS_PER_UNIT = 5
#: Units named in a later phase's one line.
UNITS_PER_LINE = 4
#: Rows of the phases table (the rest: plan.json and index.html).
PHASE_ROWS = 8
#: The riskiest functions on the first screen.
TOP_RISKS = 5
#: Causes of failure, and tests per cause, in phase 0.
FAILURE_GROUPS = 8
FAILURES_PER_GROUP = 1
#: Findings of the audit listed, notes, and slowest tests.
FINDINGS = 5
NOTES = 5
SLOWEST = 5
#: Flaky tests and tests that became slow in "Flaky and slow" (the rest: plan.json).
FLAKY = 5
REGRESSIONS = 2
#: Test modules that did not run listed before the rest is left to plan.json.
UNRUN_TEST_MODULES = 10
#: A phase's detail beyond its units: its heading, the sentence under it, blank lines, and the
#: line "… and N more units".
_PHASE_LINES = 6


def _text(message: Any, width: int | None = None) -> str:
    """One of covgap's messages (project strings in its code spans), in running text."""
    return inline(message, width=width)


def _cell(message: Any, width: int | None = None) -> str:
    """One of covgap's messages in a table cell, shortened to ``width`` characters."""
    return inline(message, table=True, width=width)


def _plain(text: Any, width: int | None = None) -> str:
    """Project text shown as it is (a failure message, a tier's name), in or out of a table."""
    value = str(text)
    if width is not None and len(value) > width:
        value = value[: width - 1].rstrip(", ") + "…"
    return plain_text(value)


@functools.cache
def template_environment() -> jinja2.Environment:
    """The Markdown templates' environment: one a process, so each template compiles once."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("covgap.report", "templates"),
        autoescape=False,  # Markdown, not HTML: project text goes through the filters below
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    # Every project string goes through one of these (covgap.markup says how each is safe):
    env.filters["code"] = code_span  # a path, a name, a test id: a code span
    env.filters["cell_code"] = functools.partial(code_span, table=True)  # the same, in a table
    env.filters["text"] = _text  # a covgap message, its project strings in code spans
    env.filters["cell"] = _cell  # the same, in a table
    env.filters["plain"] = _plain  # project text shown as text: messages, names of tiers
    env.filters["code_block"] = code_block
    env.globals["risk_weight"] = f"{RISK_WEIGHT:g}"  # the plan order's weight of risk
    env.filters["number"] = "{:,}".format  # a whole number with thousands separators
    return env


def warm() -> None:
    """Compile the plan's templates (the first render's biggest cost)."""
    for name in ("plan.md.j2", "audit.md.j2", "_suite_scope.md.j2", "_strategy.md.j2"):
        template_environment().get_template(name)


def work_layout(phases: Sequence[Mapping[str, Any]], budget: int) -> list[dict[str, Any]]:
    """Which units and functions of each phase plan.md lists, in at most ``budget`` lines.

    Phases are detailed in order while lines are left (a heading, a sentence, a line per unit
    and per function); the phases after that get one line each, naming their first units.
    """
    layout: list[dict[str, Any]] = []
    for phase in phases[:PHASE_ROWS]:
        units = phase["units"]
        detailed = budget >= _PHASE_LINES + 2 and not (layout and not layout[-1]["detailed"])
        if detailed:
            budget -= _PHASE_LINES
        shown: list[dict[str, Any]] = []
        for unit in units[: UNITS_PER_PHASE if detailed else UNITS_PER_LINE]:
            count = len(unit["items"])
            if not detailed:
                shown.append({"unit": unit, "shown": [], "hidden": count})
                continue
            listed = min(count, FUNCTIONS_PER_UNIT, budget - 1)
            if listed < count:  # the "… and N more" line takes one of the unit's lines
                listed = min(listed, budget - 2)
            if listed < 1:
                break
            budget -= 1 + listed + (listed < count)
            shown.append({"unit": unit, "shown": unit["items"][:listed], "hidden": count - listed})
        hidden = units[len(shown) :]
        layout.append(
            {
                "phase": phase,
                "detailed": detailed,
                "units": shown,
                "hidden_units": len(hidden),
                "hidden_functions": sum(len(unit["items"]) for unit in hidden),
            }
        )
    return layout


def render_markdown(view: dict[str, Any], *, audit_file: bool = False) -> str:
    """The plan as Markdown a lead reads in two minutes: the summary on the first screen, then
    the phases as units of work, then the long tables, shortened; under MAX_LINES lines.

    ``audit_file``: audit.md is written next to plan.md (the full audit is there).
    """
    top = view["settings"].get("top", 10)
    # Test code is run, not tested: the suite's scope lists what of it did not run.
    with_gaps = [
        f
        for f in view["files"]
        if (f["missing_statements"] or f["missing_branches"]) and not f["test_code"]
    ]
    risk = view.get("risk")
    riskiest = (
        [*risk["functions"]["high"], *risk["functions"]["medium"], *risk["functions"]["low"]][:top]
        if risk
        else []
    )
    template = template_environment().get_template("plan.md.j2")

    def render(budget: int) -> str:
        return template.render(
            v=view,
            work=work_layout(view["plan"]["phases"], budget),
            files=with_gaps[:top],
            more_files=max(0, len(with_gaps) - top),
            riskiest=riskiest,
            count_labels=COUNT_LABELS,
            phase_rows=PHASE_ROWS,
            top_risks=TOP_RISKS,
            group_limit=FAILURE_GROUPS,
            failure_limit=FAILURES_PER_GROUP,
            finding_limit=FINDINGS,
            note_limit=NOTES,
            slowest_limit=SLOWEST,
            audit_file=audit_file,
            scope_limit=UNRUN_TEST_MODULES,
            flaky_limit=FLAKY,
            regression_limit=REGRESSIONS,
        )

    # The phases take what the rest leaves: render, then give back the lines over the limit.
    budget = WORK_LINES
    text = render(budget)
    while (excess := text.count("\n") - MAX_LINES) > 0 and budget > 0:
        budget = max(0, budget - excess)
        text = render(budget)
    return text


#: The suite's counts as the first screen names them: (key, one, several).
COUNT_LABELS = (
    ("passed", "passed", "passed"),
    ("failed", "failed", "failed"),
    ("error", "error", "errors"),
    ("skipped", "skipped", "skipped"),
    ("xfailed", "xfailed", "xfailed"),
    ("xpassed", "xpassed", "xpassed"),
)


def render_audit_markdown(view: dict[str, Any]) -> str:
    """``covgap audit``'s report (the view of ``view_audit.build_audit_view``)."""
    return template_environment().get_template("audit.md.j2").render(v=view)
