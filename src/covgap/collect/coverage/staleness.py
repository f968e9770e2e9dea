"""Whether coverage data still describes the sources on disk, and whether it is this project's.

Coverage data names lines, not code: a source edited after it was measured gets wrong numbers
silently (coverage.py's own reports too). Three signals, strongest first:

- **changed**: the data names a line that cannot be code in the source as it is now (blank,
  a comment, or past the file's end). Certain: the file changed since it was measured.
- **modified**: the source was written after the data was (its modification time is later by
  2 s or more). Likely: its code may have changed (or it was only touched, by a checkout say).
- **outside**: the file is outside the project folder: data measured in another checkout (a
  ``.coverage`` copied from CI, say) that ``[paths]`` can map onto this one.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePath

from covgap.files import open_regular
from covgap.inputs import inside_project
from covgap.model import ProjectCoverage

__all__ = ["cannot_be_code", "outside_note", "source_notes", "with_source_checks"]

#: How many files a note names; plan.json lists them all.
NAMED = 5
#: A source counts as written after the data when it is this much newer: files written together
#: (a fresh clone of a repository that holds both) are not told apart by their order.
MARGIN_NS = 2_000_000_000


def cannot_be_code(source: bytes, lines: Iterable[int]) -> bool:
    """Whether any of ``lines`` is blank, a comment or past the end in ``source``: no line event
    and no statement can be there, so data naming it was measured on other code.

    Lines are split as Python numbers them (``\\n``, ``\\r\\n``, ``\\r``). One exception:
    Python 3.10 and before run line 1 of a module with no code at all (an empty
    ``__init__.py``, or comments only), and coverage.py records it.
    """
    text = source.splitlines()
    no_code = [not (stripped := row.strip()) or stripped.startswith(b"#") for row in text]
    for line in lines:
        if line < 1 or (line == 1 and all(no_code)):
            continue
        if line > len(text) or no_code[line - 1]:
            return True
    return False


def _named(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:NAMED])
    more = len(paths) - NAMED
    return shown + (f" and {more} more (plan.json lists them all)" if more > 0 else "")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def source_notes(changed: Sequence[str], modified: Sequence[str]) -> list[str]:
    """The notes that say which sources no longer match their data."""
    notes = []
    if changed:
        one = len(changed) == 1
        notes.append(
            f"{_plural(len(changed), 'file')} changed since {'it was' if one else 'they were'} "
            f"measured (the data names lines that are blank or comments now): {_named(changed)}; "
            f"{'its' if one else 'their'} numbers are wrong: measure again"
        )
    if modified:
        notes.append(
            f"{_plural(len(modified), 'file')} written after the coverage data was: "
            f"{_named(modified)}; if {'their' if len(modified) != 1 else 'its'} code changed, "
            "the numbers are wrong: measure again"
        )
    return notes


def _other_root(path: PurePath, project_dir: Path) -> tuple[str, str] | None:
    """For a file measured outside the project, the folder pair ``[paths]`` would map: its
    nearest ancestor whose tail exists in this project (``/ci/work/src/pkg/a.py`` with
    ``src/pkg/a.py`` here gives ("src/", "/ci/work/src/")), or None."""
    parts = path.parts
    for start in range(1, len(parts) - 1):
        tail = PurePath(*parts[start:])
        if (project_dir / tail).is_file():
            top = parts[start]
            return f"{top}/", f"{PurePath(*parts[: start + 1])}/"
    return None


def outside_note(paths: Sequence[str], project_dir: Path) -> str | None:
    """The note for files measured outside the project folder: where, and the ``[paths]``
    remapping that maps them onto this checkout when they are this project's files."""
    if not paths:
        return None
    folders = sorted({str(PurePath(p).parent) for p in paths})
    try:
        common = os.path.commonpath(folders) if len(folders) > 1 else folders[0]
    except ValueError:  # absolute and relative paths (../) together
        common = "several folders"
    pairs = sorted({pair for p in paths if (pair := _other_root(PurePath(p), project_dir))})
    note = (
        f"{_plural(len(paths), 'measured file')} {'are' if len(paths) != 1 else 'is'} outside "
        f"this project folder, measured in {common}: {_named(list(paths))}; reported by "
        "numbers only (no text from their source, no tests suggested)"
    )
    if pairs:
        entries = "; ".join(
            f'{local.rstrip("/")} = ["{local}", "{measured}"]' for local, measured in pairs
        )
        return (
            f"{note}. If that is another checkout of this project, map it onto this one in the "
            f"coverage configuration ([tool.coverage.paths] in pyproject.toml, [paths] in "
            f".coveragerc): {entries}"
        )
    return f"{note}. No file of that name is in this project: is the data another project's?"


def with_source_checks(
    project: ProjectCoverage,
    project_dir: Path,
    data_files: Iterable[Path],
    changed: Iterable[str] = (),
) -> ProjectCoverage:
    """``project`` with the files outside the project folder marked (``FileCoverage.outside``:
    reports give their numbers only), and the notes and lists of those files and of files whose
    sources no longer match the data. Every loader's last step.

    ``changed``: files the loader found changed from the measured lines themselves (a
    ``.coverage`` file's executed lines); report formats are checked here from the statement
    lines they list. ``data_files``: the data's files, whose last write dates the measurement.
    """
    written = [path.stat().st_mtime_ns for path in data_files if path.is_file()]
    measured_at = max(written, default=None)
    found_changed = set(changed)
    modified: list[str] = []
    outside: list[str] = []
    files = []
    for file in project.files:
        if not inside_project(project_dir, file.path):
            files.append(dataclasses.replace(file, outside=True))
            outside.append(file.path)
            continue
        files.append(file)
        source = project_dir / file.path
        try:
            status = source.stat()
            if file.path not in found_changed and project.input_kind != "coverage-data":
                with open_regular(source) as handle:  # never a FIFO: it would block
                    if cannot_be_code(handle.read(), file.statement_lines):
                        found_changed.add(file.path)
        except OSError:
            continue  # a missing source has its own note
        if (
            file.path not in found_changed
            and measured_at is not None
            and status.st_mtime_ns > measured_at + MARGIN_NS
        ):
            modified.append(file.path)
    changed_files = tuple(sorted(found_changed))
    notes = source_notes(changed_files, modified)
    note = outside_note(outside, project_dir)
    if note is not None:
        notes.append(note)
    return dataclasses.replace(
        project,
        files=tuple(files),
        notes=(*project.notes, *notes),
        changed_files=changed_files,
        modified_files=tuple(modified),
        outside_files=tuple(outside),
    )
