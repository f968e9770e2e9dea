"""The project's test modules, by pytest's default file names, without importing anything."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from covgap.files import FolderGuard, entry_is_dir, entry_is_file, is_link

__all__ = ["find_test_files", "has_python_file"]

#: Folders never searched: version control, environments, caches, build output, covgap's own.
_SKIPPED = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        "env",
        "node_modules",
        "__pycache__",
        "build",
        "dist",
        "site-packages",
        ".covgap",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)


def _walk(project_dir: Path) -> Iterator[tuple[PurePosixPath, list[str]]]:
    """Each folder of the project (relative, POSIX) and its files' names, without the folders
    never searched. Links to folders are followed as pytest follows them, each linked folder
    once and never into a folder the walk is inside (``tests/self -> ..``); FIFOs, devices and
    sockets are not files here."""
    guard = FolderGuard()

    def visit(folder: Path, relative: PurePosixPath) -> Iterator[tuple[PurePosixPath, list[str]]]:
        identity = guard.enter(folder, is_link(folder))
        if identity is None:
            return
        try:
            try:
                entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
            except OSError:
                return
            yield relative, [entry.name for entry in entries if entry_is_file(entry)]
            for entry in entries:
                name = entry.name
                if (
                    entry_is_dir(entry)
                    and name not in _SKIPPED
                    and not name.startswith(".")
                    and not (Path(entry.path) / "pyvenv.cfg").exists()
                ):
                    yield from visit(Path(entry.path), relative / name)
        finally:
            guard.leave(identity)

    yield from visit(project_dir, PurePosixPath())


def find_test_files(project_dir: Path) -> tuple[str, ...]:
    """``test_*.py`` and ``*_test.py`` under the project, as sorted POSIX paths relative to it."""
    found: list[str] = []
    for relative, files in _walk(project_dir):
        for name in files:
            if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
                found.append((relative / name).as_posix())
    return tuple(sorted(found))


def has_python_file(project_dir: Path) -> bool:
    """Whether the project holds any Python file: ``covgap run`` has nothing to run without
    one. Stops at the first found."""
    return any(name.endswith(".py") for _, files in _walk(project_dir) for name in files)
