"""The hunks of ``git log -p -U0`` output, and carrying line ranges back across them.

Pure functions over bytes and numbers: no git, no subprocess (``collect/git/churn.py`` runs
git).

Reading the stream
    Git prints it with the options that ``churn`` pins (``--format=%x01%H``, ``-U0``, ``a/`` and
    ``b/`` prefixes, no renames, C-quoted paths), so three kinds of line are read: a commit line
    (``\\x01`` and the hash), a ``diff --git a/P b/P`` header (P in double quotes when it holds
    odd bytes, whose octal escapes are bytes: a UTF-8 name comes back whole) and a hunk header
    ``@@ -a,b +c,d @@``. A hunk is kept as git's xdiff holds it, each start counting the lines
    before the hunk: the header names a side's first changed line, or for an empty side the
    line before it.

Carrying a range back
    Walking from the newest commit to the oldest, a line range is carried back across each
    commit's diff exactly as git's line-log carries it (``line-log.c``:
    ``range_set_map_across_diff``): a hunk touches the range if it added a line inside it, or
    deleted lines between two of its lines; a touching hunk's old lines join the range, the rest
    of the range shifts by the lines added and removed before it. Lines that are not one run
    are carried back run by run (``line_runs``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

__all__ = [
    "CommitChange",
    "Hunk",
    "PatchCommit",
    "collect_files",
    "diff_header_path",
    "line_runs",
    "parse_hunk_header",
    "parse_patches",
    "pull_back",
    "unquote_path",
]

#: One hunk of a ``-U0`` diff as git's xdiff reports it: (old_start, old_count, new_start,
#: new_count), each start counting the lines *before* the hunk (0-based), so that an insertion
#: after line 3 is (3, 0, 3, n) and a deletion of lines 4-5 is (3, 2, 3, 0).
Hunk = tuple[int, int, int, int]

#: A commit's hunks in one file, newest commit first in FileChurn.changes.
CommitChange = tuple[str, tuple[Hunk, ...]]

_COMMIT_MARK = b"\x01"
_HUNK = re.compile(rb"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = dict(zip(b'abtnvfr"\\', b'\a\b\t\n\v\f\r"\\', strict=True))


# -- line-mapping arithmetic ----------------------------------------------------------------------


def pull_back(start: int, end: int, hunks: Sequence[Hunk]) -> tuple[bool, int, int]:
    """Carry the line range [start, end) of a commit's file back to its parent, as git -L does.

    Returns whether a hunk touched the range and the range in the parent. A hunk touches the
    range when the lines it added overlap it, or when it only deleted lines and did so strictly
    inside it (between two of its lines). A touching hunk's old lines join the range; the rest of
    the range shifts by the lines added and removed before it. An empty result means no older
    commit can touch the range. (git's ``line-log.c``: ``range_set_map_across_diff``.)
    """
    touched = False
    start_shift = end_shift = 0
    new_start = new_end = -1
    for old_start, old_count, first, count in hunks:
        if first >= end:
            break
        if count:
            if start < first + count:
                touched = True
            if first <= start < first + count:
                new_start = old_start
            if end <= first + count:
                new_end = old_start + old_count
        elif start < first:
            touched = True
        if first <= start:
            start_shift += old_count - count
        end_shift += old_count - count
    if new_start < 0:
        new_start = start + start_shift
    if new_end < 0:
        new_end = end + end_shift
    return touched, new_start, new_end


def line_runs(lines: Iterable[int]) -> list[tuple[int, int]]:
    """The runs of consecutive 1-based line numbers, as 0-based [start, end) ranges."""
    runs: list[tuple[int, int]] = []
    for line in sorted(set(lines)):
        if runs and runs[-1][1] == line - 1:
            runs[-1] = (runs[-1][0], line)
        else:
            runs.append((line - 1, line))
    return runs


# -- parsing ``log -p -U0`` output ----------------------------------------------------------------


def parse_hunk_header(line: bytes) -> Hunk | None:
    """The hunk of a unified diff's ``@@ -a,b +c,d @@`` line, with git's 0-based starts."""
    match = _HUNK.match(line)
    if match is None:
        return None
    old_count = 1 if match[2] is None else int(match[2])
    new_count = 1 if match[4] is None else int(match[4])
    # git prints the first changed line, or the line before an empty side.
    old_start = int(match[1]) - (1 if old_count else 0)
    new_start = int(match[3]) - (1 if new_count else 0)
    return old_start, old_count, new_start, new_count


def unquote_path(text: bytes) -> bytes:
    """A path as git wrote it, C-quoted (``"a/caf\\303\\251.py"``) or not, as raw bytes."""
    if not text.startswith(b'"'):
        return text
    out = bytearray()
    body = text[1:-1]
    i = 0
    while i < len(body):
        char = body[i]
        if char != ord("\\"):
            out.append(char)
            i += 1
        elif body[i + 1 : i + 2].isdigit():
            out.append(int(body[i + 1 : i + 4], 8))
            i += 4
        else:
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
    return bytes(out)


def diff_header_path(line: bytes) -> str | None:
    """The path of a ``diff --git a/P b/P`` line (without renames both sides name the same P)."""
    rest = line[len(b"diff --git ") :].rstrip(b"\n")
    half = (len(rest) - 1) // 2
    old, new = unquote_path(rest[:half]), unquote_path(rest[half + 1 :])
    if rest[half : half + 1] != b" " or old[:2] != b"a/" or new != b"b/" + old[2:]:
        return None
    return os.fsdecode(old[2:])


@dataclass
class PatchCommit:
    """One commit of a ``log -p`` stream: its hash and its hunks by path (empty: no lines)."""

    commit: str
    files: dict[str, list[Hunk]] = field(default_factory=dict)


def parse_patches(lines: Iterable[bytes], first: str = "") -> Iterator[PatchCommit]:
    """The commits of a ``git log -p -U0 --format=%x01%H`` stream, one at a time.

    Only three kinds of line matter, and no diff content line can be mistaken for them, since
    content lines start with ``+``, ``-``, a space or a backslash. Output without commit lines
    (``git diff``) is one commit named ``first``.
    """
    current = PatchCommit(first)
    hunks: list[Hunk] | None = None
    for line in lines:
        if line.startswith(_COMMIT_MARK):
            if current.commit or current.files:
                yield current
            current = PatchCommit(line[1:].strip().decode("ascii"))
            hunks = None
        elif line.startswith(b"diff --git "):
            path = diff_header_path(line)
            hunks = None if path is None else current.files.setdefault(path, [])
        elif line.startswith(b"@@ ") and hunks is not None:
            hunk = parse_hunk_header(line)
            if hunk is not None:
                hunks.append(hunk)
    if current.commit or current.files:
        yield current


def collect_files(
    commits: Iterable[PatchCommit], wanted: frozenset[str] | None
) -> tuple[dict[str, int], dict[str, list[CommitChange]]]:
    """Per path: how many commits touched it, and the hunks of those that changed lines."""
    counts: dict[str, int] = {}
    changes: dict[str, list[CommitChange]] = {}
    for patch in commits:
        for path, hunks in patch.files.items():
            if wanted is not None and path not in wanted:
                continue
            counts[path] = counts.get(path, 0) + 1
            if hunks:
                changes.setdefault(path, []).append((patch.commit, tuple(hunks)))
    return counts, changes
