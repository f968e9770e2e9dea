"""Reading ``git diff -U0`` output: each file's names on both sides, its hunks and added lines."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from covgap.collect.git.hunks import Hunk, diff_header_path, parse_hunk_header, unquote_path
from covgap.errors import DataError


@dataclass
class _Patch:
    """One file of a diff: its names on both sides (None: absent) and its lines."""

    old_path: str | None = None
    new_path: str | None = None
    #: From the ``diff --git`` line, used when no other header names the file.
    header_path: str | None = None
    created: bool = False
    removed: bool = False
    renamed: bool = False
    #: Its hunks, as covgap.collect.git.hunks reads them (starts count the lines before).
    hunks: list[Hunk] = field(default_factory=list)
    added: list[int] = field(default_factory=list)

    def finish(self) -> _Patch:
        name = self.header_path
        if self.created:
            self.old_path = None
            self.new_path = self.new_path or name
        elif self.removed:
            self.new_path = None
            self.old_path = self.old_path or name
        else:
            self.old_path = self.old_path or name
            self.new_path = self.new_path or name
        if (self.old_path is None and not self.created) or (
            self.new_path is None and not self.removed
        ):
            raise DataError("cannot read a file name in `git diff` output", slug="git-output")
        return self


def _path(text: bytes, prefix: bytes) -> str | None:
    """A path from a header line: C-quoted or not, its ``a/`` or ``b/`` prefix removed."""
    # git ends a ---/+++ name holding a space with a tab; a tab in a name is always quoted.
    raw = unquote_path(text[:-1] if text.endswith(b"\t") else text)
    if raw == b"/dev/null":
        return None
    if prefix:
        if not raw.startswith(prefix):
            raise DataError("unexpected path prefix in `git diff` output", slug="git-output")
        raw = raw[len(prefix) :]
    return os.fsdecode(raw)


def _parse_diff(output: bytes) -> list[_Patch]:
    """The files of a ``git diff -U0`` patch with covgap's options, with their added lines.

    Lines are read as diff-cover reads them: ``+`` lines inside a hunk are added lines of the
    new side; a hunk ends when its header's counts are used up, so no content line is ever
    taken for a header.
    """
    patches: list[_Patch] = []
    current: _Patch | None = None
    old_left = new_left = new_line = 0
    in_header = False
    for line in output.split(b"\n"):
        if old_left > 0 or new_left > 0:
            mark = line[:1]
            if mark == b"+" and new_left > 0:
                assert current is not None
                current.added.append(new_line)
                new_line += 1
                new_left -= 1
                continue
            if mark == b"-" and old_left > 0:
                old_left -= 1
                continue
            if mark in (b" ", b"") and old_left > 0 and new_left > 0:
                new_line += 1
                old_left -= 1
                new_left -= 1
                continue
            if mark == b"\\":
                continue
            raise DataError("unexpected line inside a hunk of `git diff` output", slug="git-output")
        if line.startswith(b"diff --git "):
            if current is not None:
                patches.append(current.finish())
            current = _Patch(header_path=diff_header_path(line))
            in_header = True
        elif line.startswith((b"diff --cc ", b"diff --combined ")):
            name = os.fsdecode(unquote_path(line.split(b" ", 2)[2]))
            raise DataError(
                f"the work tree has unmerged files ({name}): finish the merge first",
                slug="unmerged",
            )
        elif current is None or line.startswith(b"\\"):
            continue
        elif line.startswith(b"@@ "):
            hunk = parse_hunk_header(line)
            if hunk is None:
                raise DataError("unreadable hunk header in `git diff` output", slug="git-output")
            _, old_left, new_start, new_left = hunk
            new_line = new_start + 1
            current.hunks.append(hunk)
            in_header = False
        elif in_header:
            _read_header_line(current, line)
    if current is not None:
        patches.append(current.finish())
    return patches


def _read_header_line(patch: _Patch, line: bytes) -> None:
    if line.startswith(b"new file mode "):
        patch.created = True
    elif line.startswith(b"deleted file mode "):
        patch.removed = True
    elif line.startswith(b"rename from "):
        patch.renamed = True
        patch.old_path = _path(line[len(b"rename from ") :], b"")
    elif line.startswith(b"rename to "):
        patch.renamed = True
        patch.new_path = _path(line[len(b"rename to ") :], b"")
    elif line.startswith(b"--- "):
        name = _path(line[4:], b"a/")
        if name is not None and not patch.renamed:
            patch.old_path = name
    elif line.startswith(b"+++ "):
        name = _path(line[4:], b"b/")
        if name is not None and not patch.renamed:
            patch.new_path = name
