"""The project's test modules, by pytest's default file names, without importing anything."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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


def _walk(project_dir: Path) -> Iterator[tuple[str, list[str]]]:
    """Each folder of the project and its file names, without the folders never searched."""
    for folder, dirs, files in os.walk(project_dir):
        dirs[:] = [
            d
            for d in dirs
            if d not in _SKIPPED
            and not d.startswith(".")
            and not (Path(folder, d) / "pyvenv.cfg").exists()
        ]
        yield folder, files


def find_test_files(project_dir: Path) -> tuple[str, ...]:
    """``test_*.py`` and ``*_test.py`` under the project, as sorted POSIX paths relative to it."""
    found: list[str] = []
    for folder, files in _walk(project_dir):
        relative = Path(folder).relative_to(project_dir)
        for name in files:
            if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
                found.append((relative / name).as_posix())
    return tuple(sorted(found))


def has_python_file(project_dir: Path) -> bool:
    """Whether the project holds any Python file: ``covgap run`` has nothing to run without
    one. Stops at the first found."""
    return any(name.endswith(".py") for _, files in _walk(project_dir) for name in files)
