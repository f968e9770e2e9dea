"""A small real project for covgap draft, measured by a real pytest run under real coverage.py."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

TEXT = '''\
"""Text helpers."""


def camelize(s: str, upper: bool = True) -> str:
    """snake_case -> CamelCase."""
    words = s.split("_")
    out = "".join(w.capitalize() for w in words)
    if upper:
        return out
    return out[0].lower() + out[1:]


def grade(score: int) -> str:
    if score < 0:
        raise ValueError("negative score")
    if score >= 90:
        return "A"
    elif score >= 80:
        return "B"
    elif score >= 70:
        return "C"
    return "F"


class Counter:
    def __init__(self, start: int = 0) -> None:
        self.value = start

    def add(self, n: int) -> int:
        if n < 0:
            raise ValueError("n must be >= 0")
        self.value += n
        return self.value
'''

PYPROJECT = """\
[project]
name = "textutil"
version = "0.1"

[tool.pytest.ini_options]
pythonpath = ["src"]
addopts = "-p no:randomly"

[tool.coverage.run]
branch = true
source = ["textutil"]
"""

SUITE = """\
from textutil.text import camelize


def test_camelize():
    assert camelize("a_b") == "AB"
"""


def measure(project: Path) -> None:
    """The project's suite under coverage.py, as a user would run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "PYTEST_"))}
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env={**env, "PYTHONDONTWRITEBYTECODE": "1"},
        check=True,
        capture_output=True,
    )


def tree_digest(project: Path) -> dict[str, str]:
    """Every file of the project with the SHA-256 of its bytes."""
    return {
        path.relative_to(project).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(project.rglob("*"))
        if path.is_file()
    }


def make_text_project(root: Path) -> Path:
    """src/textutil/text.py with one test of camelize, measured (.coverage in the project)."""
    project = root / "textutil"
    (project / "src" / "textutil").mkdir(parents=True)
    (project / "tests").mkdir()
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "src" / "textutil" / "__init__.py").write_text("")
    (project / "src" / "textutil" / "text.py").write_text(TEXT)
    (project / "tests" / "test_text.py").write_text(SUITE)
    measure(project)
    return project
