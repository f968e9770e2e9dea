"""``covgap demo``: measure the bundled example service and show its plan."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from covgap import api
from covgap.collect.measure import measure
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
    """Copy, measure, plan, report; the copy stays so the user can look at it."""
    workdir = Path(tempfile.mkdtemp(prefix="covgap-demo-"))
    project = copy_example(workdir / "shopapp")
    stdout.write(
        f"Measuring the example project in {project} (pytest under coverage, branch on)…\n"
    )
    stdout.flush()
    measurement = measure(project)
    stdout.write(f"pytest: {measurement.summary}\n\n")
    overrides: dict[str, object] = {"format": list(formats) if formats else None}
    overrides["output"] = output if output is not None else str(project / "covgap-report")
    settings = load_settings(project, overrides)
    result = api.plan(project, settings)
    code = emit(result, str(settings.output), stdout)
    stdout.write(f"\nThe example project and its reports stay in {workdir}\n")
    return code
