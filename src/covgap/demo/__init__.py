"""``covgap demo``: ``covgap run`` on the bundled example service, and its plan."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from covgap import api
from covgap.config import load_settings
from covgap.report.render import emit

__all__ = ["PROJECT", "copy_example", "run_demo"]

#: The example project shipped inside the package.
PROJECT = Path(__file__).parent / "project"


def copy_example(destination: Path) -> Path:
    """Copy the example project to ``destination`` (which must not exist) and return it."""
    shutil.copytree(
        PROJECT,
        destination,
        ignore=shutil.ignore_patterns("__pycache__", ".coverage*", ".pytest_cache"),
    )
    return destination


def run_demo(*, output: str | None, formats: Sequence[str] | None, stdout: TextIO) -> int:
    """Copy the example, ``covgap run`` it, report; the copy stays so the user can look at it."""
    workdir = Path(tempfile.mkdtemp(prefix="covgap-demo-"))
    project = copy_example(workdir / "shopapp")
    stdout.write(f"Running the example's tests under coverage in {project}…\n\n")
    stdout.flush()
    overrides: dict[str, object] = {"format": list(formats) if formats else None}
    overrides["output"] = output if output is not None else str(project / "covgap-report")
    settings = load_settings(project, overrides)
    result = api.run(settings, api.RunOptions(project_dir=project, python=sys.executable))
    code = emit(result, str(settings.output), stdout, project)
    stdout.write(f"\nThe example project and its reports stay in {workdir}\n")
    return code
