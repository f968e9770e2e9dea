"""The project's test modules, by pytest's default file names, without importing anything."""

from __future__ import annotations

import os
from pathlib import Path

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
    """``test_*.py`` and ``*_test.py`` under the project, as sorted POSIX paths relative to it."""
    found: list[str] = []
    for folder, dirs, files in os.walk(project_dir):
        dirs[:] = [
            d
            for d in dirs
            if d not in _SKIPPED
            and not d.startswith(".")
            and not (Path(folder, d) / "pyvenv.cfg").exists()
        ]
        relative = Path(folder).relative_to(project_dir)
        for name in files:
            if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
                found.append((relative / name).as_posix())
    return tuple(sorted(found))
