"""Turn a PlanResult into the requested outputs: the view once, then each renderer."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from covgap.errors import ExitCode, UsageError
from covgap.model import AuditResult, PlanResult
from covgap.report import html as html_report
from covgap.report import markdown
from covgap.report.html import HtmlExtras, collect_extras, render_html
from covgap.report.jsonout import render_json
from covgap.report.markdown import render_audit_markdown, render_markdown
from covgap.report.terminal import render_audit_terminal, render_terminal
from covgap.report.view import build_view
from covgap.report.view_audit import build_audit_view
from covgap.report.write import write_reports

if TYPE_CHECKING:
    from covgap.config import Settings

__all__ = [
    "AUDIT_FILE_NAMES",
    "FILE_NAMES",
    "emit",
    "emit_audit",
    "render_files",
    "render_terminal_text",
    "warm",
]

#: The file each file format is written to.
FILE_NAMES = {"md": "plan.md", "json": "plan.json", "html": "index.html"}
#: The full audit, written beside plan.md (whose audit section is a summary).
PLAN_AUDIT_FILE = "audit.md"
#: ``covgap audit``'s files.
AUDIT_FILE_NAMES = {"md": "audit.md", "json": "audit.json"}


def render_files(
    view: dict[str, Any],
    formats: Sequence[str],
    html_extras: HtmlExtras | None = None,
    *,
    audit_file: bool = True,
) -> dict[str, str]:
    """File name → text for every file format asked for (the terminal is not a file).

    ``html_extras``: what only index.html shows (sources, trend), read from the project folder.
    ``audit_file``: with Markdown, the full audit goes to audit.md beside plan.md (whose audit
    section is a summary); not when one file is written to stdout.
    """
    with_audit = audit_file and view.get("audit") is not None

    def html(v: dict[str, Any]) -> str:
        return render_html(v, html_extras)

    def md(v: dict[str, Any]) -> str:
        return render_markdown(v, audit_file=with_audit)

    renderers = {"md": md, "json": render_json, "html": html}
    files = {FILE_NAMES[f]: renderers[f](view) for f in formats if f in renderers}
    if with_audit and "md" in formats:
        files[PLAN_AUDIT_FILE] = render_audit_markdown(
            {"generator": view["generator"], "audit": view["audit"], "plan": True}
        )
    return files


def warm(settings: Settings, project_dir: Path) -> None:
    """Do ahead of ``emit`` what does not depend on the result: compile the templates of the
    formats asked for, explain the trend recorded so far (``covgap run`` does it while the suite
    runs: on a small project that is most of the reports' time)."""
    if "md" in settings.formats:
        markdown.warm()
    if "html" in settings.formats:
        html_report.warm(project_dir, settings)


def render_terminal_text(view: dict[str, Any], width: int = 100) -> str:
    """The terminal summary as plain text (for tests and logs)."""
    buffer = io.StringIO()
    render_terminal(view, buffer, width=width)
    return buffer.getvalue()


def emit(result: PlanResult, output: str, stdout: TextIO, project_dir: Path | None = None) -> int:
    """Render every requested format, write the files, then print the terminal summary.

    ``project_dir``: where index.html reads the functions' sources and the history from; without
    it the page has neither.
    """
    formats = result.settings.formats
    view = build_view(result)
    extras = collect_extras(result, view, project_dir) if "html" in formats else None
    files = render_files(view, formats, extras, audit_file=output != "-")
    _one_format_for_stdout(files, output)
    written = write_reports(files, output, stdout)
    if "term" in formats and (output != "-" or not files):
        render_terminal(view, stdout)
    for path in written:
        stdout.write(f"Wrote {path}\n")
    return ExitCode.OK


def emit_audit(
    audit: AuditResult, project: str, formats: Sequence[str], output: str, stdout: TextIO
) -> None:
    """``covgap audit``'s outputs: audit.md, audit.json, the terminal summary."""
    view = build_audit_view(audit, project)
    renderers = {"md": render_audit_markdown, "json": render_json}
    files = {AUDIT_FILE_NAMES[f]: renderers[f](view) for f in formats if f in renderers}
    _one_format_for_stdout(files, output)
    written = write_reports(files, output, stdout)
    if "term" in formats and (output != "-" or not files):
        render_audit_terminal(view, stdout)
    for path in written:
        stdout.write(f"Wrote {path}\n")


def _one_format_for_stdout(files: dict[str, str], output: str) -> None:
    if output == "-" and len(files) > 1:
        raise UsageError(
            "--output - writes one file format to stdout; "
            "choose it with --format md or --format json",
            slug="stdout-one-format",
        )
