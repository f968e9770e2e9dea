"""The project's test modules, by pytest's default file names, without importing anything."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from covgap.collect.files import FolderGuard, is_link

__all__ = ["find_test_files"]

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


def find_test_files(project_dir: Path) -> tuple[str, ...]:
    """``test_*.py`` and ``*_test.py`` under the project, as sorted POSIX paths relative to it.

    Links to folders are followed as pytest follows them, each linked folder once and never
    into a folder the walk is inside (``tests/self -> ..``); FIFOs and devices are left out."""
    found: list[str] = []
    guard = FolderGuard()

    def walk(folder: Path, relative: PurePosixPath) -> None:
        identity = guard.enter(folder, is_link(folder))
        if identity is None:
            return
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            entries = []
        try:
            for entry in entries:
                name = entry.name
                if _is_dir(entry):
                    if (
                        name not in _SKIPPED
                        and not name.startswith(".")
                        and not (Path(entry.path) / "pyvenv.cfg").exists()
                    ):
                        walk(Path(entry.path), relative / name)
                elif (
                    name.endswith(".py")
                    and (name.startswith("test_") or name.endswith("_test.py"))
                    and _is_file(entry)
                ):
                    found.append((relative / name).as_posix())
        finally:
            guard.leave(identity)

    walk(project_dir, PurePosixPath())
    return tuple(sorted(found))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False
