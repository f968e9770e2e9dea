"""Render the view as ``plan.md``, through the Jinja2 template in templates/."""

from __future__ import annotations

import functools
from typing import Any

import jinja2

__all__ = ["render_audit_markdown", "render_markdown", "template_environment"]

#: Functions listed per phase before the rest is left to plan.json.
ITEMS_PER_PHASE = 40
#: Functions per phase whose suggested tests are written out, and suggestions per function.
ADVICE_PER_PHASE = 10
SUGGESTIONS_PER_FUNCTION = 6


def _code(text: Any) -> str:
    """Text for inside a Markdown code span in a table: no backticks, pipes escaped."""
    return str(text).replace("`", "'").replace("|", "\\|").replace("\n", " ")


def _cell(text: Any, width: int) -> str:
    """A table cell, shortened to ``width`` characters."""
    value = _code(text)
    return value if len(value) <= width else value[: width - 1].rstrip(", ") + "…"


@functools.cache
def template_environment() -> jinja2.Environment:
    """The Markdown templates' environment: one a process, so each template compiles once."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("covgap.report", "templates"),
        autoescape=False,  # Markdown, not HTML; project text goes through the filters above
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["code"] = _code
    env.filters["cell"] = _cell
    env.filters["code_span"] = lambda text: f"`{_code(text)}`"
    return env


def warm() -> None:
    """Compile the plan's templates (the first render's biggest cost)."""
    for name in ("plan.md.j2", "_audit.md.j2"):  # the second is included by the first
        template_environment().get_template(name)


def render_markdown(view: dict[str, Any]) -> str:
    """The plan as Markdown that reads like a hand-written coverage plan."""
    top = view["settings"].get("top", 10)
    with_gaps = [f for f in view["files"] if f["missing_statements"] or f["missing_branches"]]
    template = template_environment().get_template("plan.md.j2")
    return template.render(
        v=view,
        files=with_gaps[:top],
        more_files=max(0, len(with_gaps) - top),
        item_limit=ITEMS_PER_PHASE,
        advice_limit=ADVICE_PER_PHASE,
        suggestion_limit=SUGGESTIONS_PER_FUNCTION,
    )


def render_audit_markdown(view: dict[str, Any]) -> str:
    """``covgap audit``'s report (the view of ``view_audit.build_audit_view``)."""
    return template_environment().get_template("audit.md.j2").render(v=view)
