"""covgap.markup: project text in Markdown renders as itself, read back by a CommonMark parser
(markdown-it-py with GFM tables): code spans show their text exactly, plain text stays text,
and nothing becomes HTML or a mention."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from covgap.markup import code_block, code_span, inline, plain_text, segments

MARKDOWN = MarkdownIt("commonmark").enable("table")
ZERO_WIDTH_SPACE = "\u200b"
#: A mention or an issue reference, as GitHub links them in text.
MENTION = re.compile(r"@[A-Za-z0-9]|#[0-9]")

#: Text as hostile as a project can write it.
hostile_text = st.text(
    alphabet=st.sampled_from(list("`|<>&@#*_[]()!\\~-+=. \n\r\tax1é/")), max_size=40
) | st.sampled_from(
    [
        "</details>",
        '<img src=x onerror="alert(1)">',
        "@org/team",
        "fixes #123",
        "`tick`",
        "``",
        " ` ",
        "a\nb",
        "# heading",
        "1. item",
        "- item",
        "&lt;b&gt;",
        "<!-- comment -->",
        "[link](javascript:alert(1))",
        "\\|",
    ]
)


def inline_tokens(markdown: str) -> list[Token]:
    """The inline tokens of ``markdown``, flattened."""
    found: list[Token] = []
    for token in MARKDOWN.parse(markdown):
        found.append(token)
        found.extend(token.children or ())
    return found


def paragraph(markdown: str) -> list[Token]:
    """The inline children of the single paragraph ``markdown`` renders to."""
    tokens = MARKDOWN.parse(markdown)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"], markdown
    return list(tokens[1].children or ())


def cell(markdown: str) -> list[Token]:
    """The inline children of the one body cell of a table holding ``markdown``."""
    tokens = MARKDOWN.parse(f"| a |\n|---|\n| {markdown} |\n")
    cells = [t for t in tokens if t.type == "inline"]
    assert len(cells) == 2, markdown  # the header's and the body's
    return list(cells[1].children or ())


def one_line(text: str) -> str:
    return re.sub(r"\r\n|\r|\n", " ", text)


def text_of(children: list[Token]) -> str:
    return "".join(t.content for t in children if t.type in ("text", "code_inline", "softbreak"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("pkg/mod.py", "`pkg/mod.py`", id="plain"),
        pytest.param("a`b", "``a`b``", id="a backtick inside: a longer fence"),
        pytest.param("x``y`", "``` x``y` ```", id="runs of two, and one at the end: padded"),
        pytest.param("`x", "`` `x ``", id="a backtick first: padded"),
        pytest.param(" a ", "`  a  `", id="spaces at both ends: padded, so they stay"),
        pytest.param("a\r\nb\nc", "`a b c`", id="newlines become spaces"),
        pytest.param("", "` `", id="empty"),
    ],
)
def test_code_span_table(text: str, expected: str) -> None:
    """The fence is one longer than the longest run of backticks inside, padded when needed."""
    assert code_span(text) == expected


@given(hostile_text)
def test_a_code_span_shows_its_text_exactly(text: str) -> None:
    """Any text, in running text or in a table cell, is one code span holding exactly it."""
    for children in (paragraph(f"see {code_span(text)} here"), cell(code_span(text, table=True))):
        codes = [t for t in children if t.type == "code_inline"]
        assert len(codes) == 1, children
        assert codes[0].content == (one_line(text) or " ")  # an empty span cannot be written
        assert all(t.type in ("text", "code_inline") for t in children)


@given(hostile_text)
def test_plain_text_stays_text(text: str) -> None:
    """Plain text renders as itself (a zero-width space after an @ or # that would link), with
    no HTML, markup or mention, in running text, as a block's first words and in a table."""
    wanted = MENTION.sub(lambda m: m.group()[0] + ZERO_WIDTH_SPACE + m.group()[1:], text)
    wanted = one_line(wanted).strip()
    for markdown, read in (
        (f"see {plain_text(text)}", lambda md: paragraph(md)),
        (f"{plain_text(text) or 'x'}", lambda md: paragraph(md)),
        (f"- {plain_text(text) or 'x'}", lambda md: inline_tokens(md)),
        (plain_text(text), lambda md: cell(md)),
    ):
        if not plain_text(text):
            continue
        children = [t for t in read(markdown) if t.type not in _BLOCK_TOKENS]
        assert all(t.type == "text" for t in children), (markdown, children)
        shown = text_of(children)
        assert shown.endswith(wanted), (markdown, shown, wanted)
        assert not MENTION.search(shown)


_BLOCK_TOKENS = {
    "bullet_list_open",
    "bullet_list_close",
    "list_item_open",
    "list_item_close",
    "paragraph_open",
    "paragraph_close",
    "inline",
}


@given(st.lists(st.tuples(st.booleans(), hostile_text), max_size=5), st.booleans())
def test_a_message_keeps_its_code_spans_and_nothing_else(
    parts: list[tuple[bool, str]], table: bool
) -> None:
    """A covgap message made of words and code spans (``code_span``) renders as those spans,
    whatever the words and the project strings hold: no HTML, no link, no mention outside code."""
    message = " ".join(code_span(t) if is_code else t for is_code, t in parts)
    markdown = inline(message, table=table)
    children = cell(markdown) if table else paragraph(f"x {markdown}")
    assert {t.type for t in children} <= {"text", "code_inline"}, (markdown, children)
    for token in children:
        if token.type == "text":
            assert not MENTION.search(token.content), markdown
    if not any("`" in t for is_code, t in parts if not is_code):  # covgap's words have none
        codes = [t.content for t in children if t.type == "code_inline"]
        assert codes == [one_line(t) or " " for is_code, t in parts if is_code]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param("`a` and `b`", [(True, "a"), (False, " and "), (True, "b")], id="spans"),
        pytest.param("``a`b`` c", [(True, "a`b"), (False, " c")], id="a longer fence"),
        pytest.param("`` ` ``", [(True, "`")], id="padded"),
        pytest.param("a `b", [(False, "a `b")], id="no closing run: text"),
        pytest.param("``a` b", [(False, "``a` b")], id="runs of other lengths: text"),
    ],
)
def test_segments(message: str, expected: list[tuple[bool, str]]) -> None:
    """A message is cut into words and code spans by CommonMark's backtick rule."""
    assert segments(message) == expected


def test_a_shortened_message_stays_well_formed() -> None:
    """Shortening cuts inside a span or the words, and ends with an ellipsis."""
    message = f"{code_span('Stock.add')} raises {code_span('ValueError(`bad`)')} when …"
    assert inline(message, width=15) == "`Stock.add` rais…"  # 15 characters shown
    assert inline(message, width=28) == "`Stock.add` raises `ValueError`…"
    assert inline(message, width=31) == "`Stock.add` raises ``ValueError(`b``…"


@given(hostile_text)
def test_a_code_block_holds_any_text(text: str) -> None:
    """A fenced block nothing in the text can close: one block, holding the text."""
    tokens: list[Any] = MARKDOWN.parse(code_block(text))
    assert [t.type for t in tokens] == ["fence"]
    assert tokens[0].content == text.replace("\r\n", "\n").replace("\r", "\n") + "\n"
