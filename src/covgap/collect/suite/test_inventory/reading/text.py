"""The text searches that point the reader at the lines worth walking (``mark.``, ``yield``…)."""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable, Iterator

_MARK_TEXT = re.compile(rb"\bmark\b")
#: ``mark.NAME`` in the text: as many as there are mark uses, unless some are in comments.
_MARK_USE_TEXT = re.compile(rb"\bmark\s*\.\s*[A-Za-z_]")
_IMPORT_TEXT = re.compile(rb"\bimport\b")
_YIELD_TEXT = re.compile(rb"\byield\b")
_DYNAMIC_TEXT = re.compile(rb"getfixturevalue")
_NEWLINE = re.compile(rb"\n")
_SERVER_TEXT = re.compile(
    rb"localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|selenium|playwright|requests|httpx|urlopen"
    rb"|aiohttp|socket|websocket|HTTPS?Connection|live_server|LiveServer|urllib3"
)
_DYNAMIC_IMPORT = re.compile(
    rb"""(?:import_module|__import__|importorskip)\(\s*(?:name\s*=\s*|modname\s*=\s*)?"""
    rb"""['"]([A-Za-z_][\w.]*)['"]"""
)


class _Newlines:
    """The offsets of a source's line ends, computed once, when needed."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self._offsets: list[int] | None = None

    def offsets(self) -> list[int]:
        if self._offsets is None:
            self._offsets = [m.start() for m in _NEWLINE.finditer(self.source)]
        return self._offsets


class _Lines:
    """The lines of a source where a pattern matches, to walk only the nodes on them."""

    def __init__(self, source: bytes, pattern: re.Pattern[bytes], newlines: _Newlines) -> None:
        self.lines: list[int] = []
        if pattern.search(source):
            offsets = newlines.offsets()
            self.lines = sorted(
                {bisect.bisect_right(offsets, m.start()) + 1 for m in pattern.finditer(source)}
            )

    def __bool__(self) -> bool:
        return bool(self.lines)

    def hit(self, start: int, end: int) -> bool:
        index = bisect.bisect_left(self.lines, start)
        return index < len(self.lines) and self.lines[index] <= end

    def walk(self, roots: Iterable[ast.AST], nested: bool = True) -> Iterator[ast.AST]:
        """The nodes under ``roots`` whose lines hold a match (and the nodes without lines on
        the way); ``nested=False`` does not enter nested functions, lambdas and classes."""
        skipped = (
            () if nested else (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
        )
        stack = [root for root in roots if not isinstance(root, skipped)]
        while stack:
            node = stack.pop()
            start = getattr(node, "lineno", None)
            decorators = getattr(node, "decorator_list", None)
            if decorators:  # they are above the def's line
                start = decorators[0].lineno
            if start is not None and not self.hit(
                start, getattr(node, "end_lineno", None) or start
            ):
                continue
            yield node
            stack.extend(
                child for child in ast.iter_child_nodes(node) if not isinstance(child, skipped)
            )
