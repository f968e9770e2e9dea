"""Project text in Markdown: code spans that hold any text, and plain text that stays text.

Paths, function names, test ids, conditions, failure and exception messages come from the
project (or from a crafted coverage file), and covgap's Markdown (plan.md, audit.md, the
pull-request comment) is read on GitHub. Every such string goes through this module, so none can
end a table, open a ``<details>``, write HTML, or mention a person or a team:

- ``code_span(text)``: an inline code span (CommonMark): its backtick fence is one longer than
  the longest run of backticks in the text, padded with a space on each side when the text
  starts or ends with a backtick (or with a space on both sides), so the span shows the text
  exactly. GitHub neither renders HTML nor links mentions inside code.
- ``plain_text(text)``: text outside code: the characters that start inline markup or HTML are
  escaped with a backslash (``\\ ` * _ [ ] < > & ~ |``; not an underscore inside a word), and
  so is a first character that would start a block (a heading, a quote, a list). Mentions and
  references are neutralised as Dependabot does: a zero-width space, written ``&#8203;``, after
  the ``@`` of ``@org/team`` and the ``#`` of ``#123``, so GitHub neither notifies anyone nor
  links an issue.
- ``inline(text)``: one of covgap's own messages, whose code spans (CommonMark's backtick rule)
  hold the project strings: each span is written again with ``code_span``, the words between
  with ``plain_text``. Whatever the message holds, the result is well-formed.
- ``code_block(text)``: a fenced code block whose fence is longer than any run of backticks in
  the text.

Newlines (``\\r\\n``, ``\\r``, ``\\n``) become spaces in inline text. With ``table=True`` a pipe is
written ``\\|``, which a GFM table cell needs even inside a code span (the table, not the span,
removes the backslash). covgap's messages put project strings in code spans with ``code_span``
(``suggest.py``, ``risk.py``, the gates…), so they read the same in every output; the HTML page
shows the same spans (``report.js``'s ``rich`` follows the same backtick rule).
"""

from __future__ import annotations

import re

__all__ = ["code_block", "code_span", "inline", "plain_text", "segments"]

_NEWLINES = re.compile(r"\r\n|\r|\n")
_BACKTICKS = re.compile(r"`+")
#: Characters that can start inline markup or HTML, escaped wherever they are; an underscore
#: between two letters or digits cannot (``python_files``), and is left as it is.
_INLINE = re.compile(r"([\\`*\[\]<>&~|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
#: A first character that would start a block: heading, quote, list, thematic break, setext.
_BLOCK_START = re.compile(r"^([#>+=-])|^(\d+)([.)])")
#: ``@name`` (a user or a team) and ``#123`` (an issue): GitHub links and notifies them.
_MENTION = re.compile(r"@(?=[A-Za-z0-9])|#(?=[0-9])")
#: What goes between the ``@`` or ``#`` and the name: a zero-width space, as an entity.
_BREAK = "&#8203;"
#: What ends a shortened text.
_ELLIPSIS = "…"


def _one_line(text: object) -> str:
    return _NEWLINES.sub(" ", str(text))


def _longest_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def code_span(text: object, *, table: bool = False) -> str:
    """``text`` as an inline code span that shows it exactly (newlines as spaces)."""
    content = _one_line(text)
    fence = "`" * (_longest_run(content) + 1)
    if (
        content.startswith("`")
        or content.endswith("`")
        or (content.startswith(" ") and content.endswith(" ") and content.strip(" "))
    ):
        content = f" {content} "  # CommonMark strips one space from each side
    elif not content:
        content = " "
    if table:
        content = content.replace("|", "\\|")
    return f"{fence}{content}{fence}"


def plain_text(text: object) -> str:
    """``text`` as Markdown text that renders as itself: no markup, no HTML, no mention, and
    no block (heading, quote, list) where it starts a line. Surrounding spaces are dropped.

    A pipe is escaped too, which is right in and out of tables.
    """
    return _plain(_one_line(text).strip(), first=True)


def _plain(text: str, *, first: bool) -> str:
    escaped = _INLINE.sub(r"\\\1", text)
    if first:
        escaped = _BLOCK_START.sub(
            lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}",
            escaped,
        )
    return _MENTION.sub(lambda m: m.group() + _BREAK, escaped)


def segments(text: object) -> list[tuple[bool, str]]:
    """``text`` cut into (is code, content) by CommonMark's rule for code spans: a run of
    backticks opens one, the next run of the same length closes it; a run with no closing run
    is text. A span's content loses one space at each end when it has one at both."""
    source = _one_line(text)
    found: list[tuple[bool, str]] = []
    position = 0
    start = 0
    while (opening := _BACKTICKS.search(source, position)) is not None:
        fence = opening.group()
        closing = next(
            (
                run
                for run in _BACKTICKS.finditer(source, opening.end())
                if len(run.group()) == len(fence)
            ),
            None,
        )
        if closing is None:
            position = opening.end()  # no closing run: these backticks are text
            continue
        if opening.start() > start:
            found.append((False, source[start : opening.start()]))
        content = source[opening.end() : closing.start()]
        if content.startswith(" ") and content.endswith(" ") and content.strip(" "):
            content = content[1:-1]
        found.append((True, content))
        position = start = closing.end()
    if start < len(source):
        found.append((False, source[start:]))
    return found


def inline(text: object, *, table: bool = False, width: int | None = None) -> str:
    """One of covgap's messages (code spans holding project strings) as safe Markdown; with
    ``width``, shortened to about that many visible characters, ending with "…"."""
    parts = segments(text)
    if width is not None:
        parts = _shortened(parts, width)
    out: list[str] = []
    for index, (is_code, content) in enumerate(parts):
        if is_code:
            out.append(code_span(content, table=table))
        else:
            out.append(_plain(content.lstrip() if index == 0 else content, first=index == 0))
    return "".join(out).strip()


def _shortened(parts: list[tuple[bool, str]], width: int) -> list[tuple[bool, str]]:
    if sum(len(content) for _, content in parts) <= width:
        return parts
    kept: list[tuple[bool, str]] = []
    room = width - 1
    for is_code, content in parts:
        if len(content) <= room:
            kept.append((is_code, content))
            room -= len(content)
            continue
        cut = content[:room].rstrip(", ")
        if cut:
            kept.append((is_code, cut))
        break
    return [*kept, (False, _ELLIPSIS)]


def code_block(text: object, info: str = "") -> str:
    """``text`` in a fenced code block (no trailing newline) that nothing in it can close."""
    content = re.sub(r"\r\n?", "\n", str(text))
    fence = "`" * max(3, _longest_run(content) + 1)
    return f"{fence}{info}\n{content}\n{fence}"
