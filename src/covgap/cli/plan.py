"""The handlers of covgap plan, run and demo: the plan's settings, reports and snapshot."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from covgap import api
from covgap.cli.options import _output_folder, _overrides
from covgap.collect.suite.interpreter import project_python
from covgap.config import Settings, load_settings
from covgap.errors import CovgapError, ExitCode, UsageError

if TYPE_CHECKING:
    from covgap.model import PlanResult


def _run_plan(args: argparse.Namespace, stdout: TextIO) -> int:
    project_dir = Path(args.project)
    if not project_dir.is_dir():
        raise UsageError("project folder not found", path=args.project, slug="no-project")
    settings = load_settings(project_dir, _overrides(args))
    junit = Path(args.junit).absolute() if args.junit else None  # relative to where covgap runs
    result = api.plan(project_dir, settings, junit=junit)
    return _emit_and_record(result, settings, project_dir, stdout, record=args.record)


def _emit_and_record(
    result: PlanResult, settings: Settings, project_dir: Path, stdout: TextIO, *, record: bool
) -> int:
    """Record the snapshot first (so the HTML page's trend has this run), then write the
    reports; a snapshot that cannot be stored is reported after the reports are written."""
    snapshot: int | None = None
    failure: CovgapError | None = None
    if record:
        try:
            snapshot = api.record(project_dir, result)
        except CovgapError as error:
            failure = error
    output = _output_folder(settings, project_dir)
    code = _emit(result, output, stdout, project_dir)
    if failure is not None:
        raise failure
    if snapshot is not None and output != "-":  # stdout may be plan.json
        tests = len(result.health.tests) if result.health is not None else 0
        outcomes = f" and the outcomes of {tests} test{'s' if tests != 1 else ''}" if tests else ""
        stdout.write(f"Recorded snapshot {snapshot}{outcomes} in {settings.history}\n")
    return code


def _emit(result: PlanResult, output: str, stdout: TextIO, project_dir: Path) -> int:
    from covgap.report.render import emit  # rich and Jinja2: loaded only to report

    return emit(result, output, stdout, project_dir)


def project_interpreter(given: str | None, project_dir: Path) -> tuple[str, Path | None]:
    """The interpreter that runs the project's code: ``--python`` when given, else the project's
    own virtual environment's (``.venv/``, ``venv/``), else the one running covgap; and the
    project's environment when that was the choice (for the status line)."""
    if given:
        return _interpreter(given), None
    found = project_python(project_dir)
    if found is not None:
        return str((project_dir / found).absolute()), found
    return sys.executable, None


def _interpreter(text: str) -> str:
    """``--python``: a path is taken from where covgap runs (the suite runs in the project's
    folder), a bare name is looked up on PATH."""
    if os.sep in text or (os.altsep and os.altsep in text):
        return str(Path(text).absolute())
    found = shutil.which(text)
    if found is None:
        raise UsageError("interpreter not found on PATH", path=text, slug="bad-python")
    return found


#: The runs ``covgap run`` does not record: their data is not the suite's (docs/history.md).
_NOT_RECORDED = {
    ExitCode.NO_TESTS: "pytest ran no tests",
    ExitCode.TIMED_OUT: "the run was cut by --timeout, so its data is partial",
}


def _run_run(
    args: argparse.Namespace, pytest_args: list[str], stdout: TextIO, stderr: TextIO
) -> int:
    project_dir = Path(args.project)
    if not project_dir.is_dir():
        raise UsageError("project folder not found", path=args.project, slug="no-project")
    overrides = {**_overrides(args), "allow-failures": True if args.allow_failures else None}
    settings = load_settings(project_dir, overrides)
    python, found = project_interpreter(args.python, project_dir)
    options = api.RunOptions(
        project_dir=project_dir,
        python=python,
        fast=args.fast,
        parallel=args.parallel,
        contexts=args.contexts,
        timeout=args.timeout,
        test_timeout=args.test_timeout,
        pytest_args=tuple(pytest_args),
    )
    # Status goes to stderr: stdout may be plan.json (--output -).
    with_python = (
        f" with {found.as_posix()} (the project's; --python chooses another)" if found else ""
    )
    stderr.write(f"Running the suite of {project_dir.resolve()} under coverage{with_python}…\n")
    stderr.flush()
    from covgap.report.progress import LiveProgress, wants_live_progress

    # The reporting modules load, and their templates compile, while the suite runs.
    def warm_reports() -> None:
        from covgap.report.render import warm

        warm(settings, project_dir)

    preload = (warm_reports,)
    if wants_live_progress(stderr):
        with LiveProgress(stderr) as live:
            result = api.run(settings, options, on_progress=live, preload=preload)
    else:
        result = api.run(settings, options, preload=preload)
    verdict = result.verdict
    code = ExitCode(verdict.exit_code) if verdict is not None else ExitCode.OK
    unrecorded = _NOT_RECORDED.get(code)
    record = not args.no_record and unrecorded is None
    emitted = _emit_and_record(result, settings, project_dir, stdout, record=record)
    if unrecorded is not None and not args.no_record:
        stderr.write(f"covgap: not recorded in the history: {unrecorded}\n")
    if verdict is not None and (code or verdict.failures_allowed):
        if verdict.failures_allowed:
            stderr.write(f"covgap: exit 0: {verdict.reason}, allowed by allow-failures\n")
        else:
            hint = " (--allow-failures exits 0)" if code == ExitCode.TESTS_FAILED else ""
            stderr.write(f"covgap: exit {int(code)}: {verdict.reason}{hint}\n")
    return emitted or int(code)


def _run_demo(args: argparse.Namespace, stdout: TextIO) -> int:
    from covgap.demo import run_demo

    return run_demo(output=args.output, formats=args.format, stdout=stdout)
