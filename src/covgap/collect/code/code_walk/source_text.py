"""The source as written at an AST node: whitespace runs collapsed, long texts cut with "…"."""

from __future__ import annotations

import ast

#: Texts longer than this are cut, with "…".
MAX_TEXT = 80


class _SourceText:
    """Source segments by AST position; ast's column offsets count UTF-8 bytes."""

    def __init__(self, source: str) -> None:
        self._lines = [line.encode() for line in source.splitlines(keepends=True)]

    def of(self, node: ast.AST) -> str:
        start = getattr(node, "lineno", None)
        end = getattr(node, "end_lineno", None)
        if start is None or end is None or end > len(self._lines):
            return _short(ast.unparse(node))
        first, last = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
        if start == end:
            raw = self._lines[start - 1][first:last]
        else:
            parts = [self._lines[start - 1][first:]]
            parts.extend(self._lines[start : end - 1])
            parts.append(self._lines[end - 1][:last])
            raw = b"".join(parts)
        return _short(raw.decode(errors="replace"))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1].rstrip() + "…"
