"""What changed since a base, as data: the diff, its changed files and their changed lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Literal

Status = Literal["added", "modified", "renamed"]


@dataclass(frozen=True)
class ChangedFile:
    """A file that differs from the base, and its lines that are new or changed."""

    #: POSIX, relative to the project folder.
    path: str
    #: Line numbers in the current file that are new or changed, ascending.
    added_lines: tuple[int, ...]
    status: Status
    #: The name at the base, for a renamed file.
    old_path: str | None = None


@dataclass(frozen=True)
class Diff:
    """Everything that changed since the base, in the project folder."""

    #: The base as given or detected ("origin/main").
    base: str
    #: The merge base of the base and HEAD: the commit compared with (full sha).
    base_commit: str
    #: How the base was found, in words: "merge base of HEAD and origin/main (origin/HEAD
    #: points to it)", "merge base of HEAD and v2 (--base)".
    how: str
    #: Every changed file (not only Python files), by path.
    files: tuple[ChangedFile, ...]
    #: HEAD's full sha.
    head_commit: str = ""
    #: Files present at the base and deleted since, by their name at the base.
    deleted: tuple[str, ...] = ()
    #: Whether staged and unstaged changes were included, and untracked files.
    include_uncommitted: bool = True
    include_untracked: bool = False
    #: The git commands that produced the diffs, as run (without the pinned ``-c`` settings).
    commands: tuple[str, ...] = field(default=(), compare=False)

    def file(self, path: str) -> ChangedFile | None:
        """The changed file at ``path`` (relative to the project folder), or None."""
        wanted = PurePath(path).as_posix()
        return next((f for f in self.files if f.path == wanted), None)
