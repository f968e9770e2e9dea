"""Run a project's pytest suite under coverage.py, branch coverage on."""

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
    """Run ``coverage run -m pytest`` in ``project_dir``.

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
    output = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()]
    summary = next(
        (line for line in reversed(output) if " in " in line), output[-1] if output else ""
    )
    if run.returncode not in (0, 1):  # 1 is "some tests failed": the data is still good
        raise DataError(
            f"pytest under coverage exited with {run.returncode}: {summary or 'no output'}",
            path=str(project_dir),
            slug="suite-crashed",
        )
    # Parallel data files (the project's `parallel = true`, subprocesses) are left for the loader,
    # which combines them the way coverage.py's reports do.
    return Measurement(pytest_exit_code=run.returncode, summary=summary)
