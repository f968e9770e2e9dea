"""Joining the committed, staged and unstaged diffs: changed lines in each file's newest version."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from covgap.collect.git.git_diff.changes import ChangedFile
from covgap.collect.git.git_diff.parse import _Patch
from covgap.collect.git.hunks import Hunk
from covgap.files import read_bytes


@dataclass
class _State:
    #: The file's name at the base; None when it did not exist there.
    base_path: str | None
    lines: set[int]


@dataclass
class _Joined:
    """The changed files so far, by current path, with lines numbered in the newest version."""

    current: dict[str, _State]
    deleted: set[str]

    @classmethod
    def start(cls, committed: list[_Patch]) -> _Joined:
        joined = cls({}, set())
        joined.apply(committed)
        return joined

    def apply(self, patches: list[_Patch]) -> None:
        """Carry the lines found so far through one more diff, and add its lines."""
        # Take every old side out first: a rename's target may be another file's old name.
        before: list[tuple[_Patch, _State | None]] = []
        for patch in patches:
            state: _State | None = None
            if patch.old_path is not None:
                state = self.current.pop(patch.old_path, None)
                if state is None:  # unchanged until now: as it is at the base
                    state = _State(patch.old_path, set())
            elif patch.new_path in self.deleted:  # deleted, then created again
                self.deleted.discard(patch.new_path)
                state = _State(patch.new_path, set())
            before.append((patch, state))
        for patch, state in before:
            if patch.new_path is None:
                if state is not None and state.base_path is not None:
                    self.deleted.add(state.base_path)
                continue
            lines = _carry(state.lines, patch.hunks) if state is not None else set()
            lines.update(patch.added)
            base_path = state.base_path if state is not None else None
            self.current[patch.new_path] = _State(base_path, lines)

    def add_untracked(self, project_dir: Path, names: Iterable[str]) -> None:
        for name in names:
            count = _count_lines(project_dir / name)
            path = PurePath(name).as_posix()
            base_path = path if path in self.deleted else None
            self.deleted.discard(path)
            self.current[path] = _State(base_path, set(range(1, count + 1)))

    def files(self) -> tuple[ChangedFile, ...]:
        files = []
        for path, state in sorted(self.current.items()):
            lines = tuple(sorted(state.lines))
            if state.base_path is None:
                files.append(ChangedFile(path, lines, "added"))
            elif state.base_path != path:
                files.append(ChangedFile(path, lines, "renamed", state.base_path))
            else:
                files.append(ChangedFile(path, lines, "modified"))
        return tuple(files)


def _carry(lines: Iterable[int], hunks: Sequence[Hunk]) -> set[int]:
    """Lines of a diff's old side, renumbered on its new side; those it deletes are dropped.

    Hunks are git's (old_start, old_count, new_start, new_count), each start counting the lines
    before the hunk: the hunk deletes old lines old_start+1 .. old_start+old_count, and every
    old line after them moves by new_count - old_count.
    """
    carried: set[int] = set()
    ordered = sorted(hunks)
    for line in lines:
        shift = 0
        deleted = False
        for old_start, old_count, _, new_count in ordered:
            if line <= old_start:
                break
            if line <= old_start + old_count:
                deleted = True
                break
            shift += new_count - old_count
        if not deleted:
            carried.add(line + shift)
    return carried


def _count_lines(file: Path) -> int:
    """Lines as diff-cover counts an untracked file's: Python's universal newlines."""
    try:
        data = read_bytes(file)
    except OSError:
        return 0
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape")
    return len(text.readlines())
