"""Run a project's pytest suite under coverage.py (branch on) and combine the data it wrote."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from covgap.errors import DataError

__all__ = ["Measurement", "measure"]


@dataclass(frozen=True)
class Measurement:
    """What running the suite said: pytest's exit code and its last line."""

    pytest_exit_code: int
    summary: str


def measure(
    project_dir: Path, *, python: str = sys.executable, timeout: float = 300.0
) -> Measurement:
    """Run ``coverage run -m pytest`` then ``coverage combine`` in ``project_dir``.

    The project's own coverage configuration applies (it should set branch, source and, for
    subprocesses, ``patch = subprocess`` with ``parallel = true``); ``--branch`` is forced on.
    Failing tests do not stop anything: the data they wrote is still analysed.
    """
    command = [
        python,
        "-m",
        "coverage",
        "run",
        "--branch",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    try:
        run = subprocess.run(
            command, cwd=project_dir, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise DataError(
            f"the test suite did not finish in {timeout:.0f} s",
            path=str(project_dir),
            slug="suite-timeout",
        ) from exc
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    summary = (
        lines[-1] if lines else run.stderr.strip().splitlines()[-1] if run.stderr.strip() else ""
    )
    if run.returncode not in (0, 1):  # 1 is "some tests failed": the data is still good
        raise DataError(
            f"pytest under coverage exited with {run.returncode}: {summary or 'no output'}",
            path=str(project_dir),
            slug="suite-crashed",
        )
    if list(project_dir.glob(".coverage.*")):
        combine = subprocess.run(
            [python, "-m", "coverage", "combine", "-q"],
            cwd=project_dir,
            capture_output=True,
            text=True,
            check=False,
        )
        if combine.returncode != 0:
            raise DataError(
                f"coverage combine failed: {combine.stderr.strip()}", path=str(project_dir)
            )
    return Measurement(pytest_exit_code=run.returncode, summary=summary)
