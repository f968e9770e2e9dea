"""Render the view as ``plan.md``, through the Jinja2 template in templates/."""

from __future__ import annotations

import functools
from typing import Any

import jinja2

from covgap.markup import code_block, code_span, inline, plain_text

__all__ = ["render_audit_markdown", "render_markdown", "template_environment"]

#: Functions listed per phase before the rest is left to plan.json.
ITEMS_PER_PHASE = 40
#: Functions per phase whose suggested tests are written out, and suggestions per function.
ADVICE_PER_PHASE = 10
SUGGESTIONS_PER_FUNCTION = 6


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
    return env


def warm() -> None:
    """Compile the plan's templates (the first render's biggest cost)."""
    for name in ("plan.md.j2", "_audit.md.j2", "_strategy.md.j2"):  # included by the first
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
