"""The command line: parse, call the api, render, exit with a documented code. No analysis here."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import gc
import io
import os
import shutil
import signal
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, cast

from covgap import __version__, api
from covgap.config import FORMATS, Settings, load_settings
from covgap.errors import ConfigError, CovgapError, ExitCode, Terminated, UsageError
from covgap.stdout import GuardedStdout, ReaderGone

if TYPE_CHECKING:
    from covgap.model import PlanResult

__all__ = ["main"]

_EPILOG = """\
examples:
  covgap demo                          run the bundled example project and show its plan
  covgap plan                          plan from ./.coverage (the coverage config's data file)
  covgap plan --target 90              ... to 90% in computed steps
  covgap plan --milestones 50 65 80    ... through these totals
  covgap plan --data coverage.json     ... from a JSON, Cobertura XML or LCOV report
  covgap plan --format json --output - print plan.json to stdout
  covgap run                           run the suite under coverage (set up right), then plan
  covgap combine shard-*/.coverage     merge CI shards' data into ./.coverage
  covgap audit                         audit the suite, its settings and CI, with fixes
  covgap check --fail-under 80 --diff-fail-under 90   gates for CI (docs/check.md)
  covgap history                       the trend, each change of the total explained

exit codes: 0 done, 1 a gate failed (covgap check) or a finding at or above covgap audit
--fail-on, 2 usage or configuration error, 3 data error, 4 output not writable
(docs/messages.md lists every message)
"""


_RUN_EPILOG = """\
examples:
  covgap run                             measure ./ with its own interpreter, then plan
  covgap run --parallel auto --contexts  with pytest-xdist, recording which test ran what
  covgap run --timeout 600 -- -m "not slow"   stop after 10 minutes; pytest gets -m "not slow"
  covgap run --python .venv/bin/python   measure with another environment's interpreter

exit codes (the plan is written for 0, 1, 5 and 124): 0 the suite passed, 1 a test failed or
errored (0 with --allow-failures), 2 usage or configuration error (pytest's too), 3 data error,
4 output not writable, 5 no test ran, 124 cut by --timeout, 130 Ctrl-C, 143 SIGTERM (the
suite is stopped, its data kept in .covgap/run/)
"""


#: The most pytest-xdist workers ``--parallel`` starts.
_MOST_WORKERS = 1024
#: The longest ``--timeout`` and ``--test-timeout``: a year.
_MOST_SECONDS = 365 * 24 * 3600


def _workers(text: str) -> str:
    if text == "auto" or (text.isascii() and text.isdigit() and 1 <= int(text) <= _MOST_WORKERS):
        return text
    raise argparse.ArgumentTypeError(
        f"must be a number of workers from 1 to {_MOST_WORKERS}, or auto, not {text!r}"
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= _MOST_SECONDS:  # NaN and infinity fail this too
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds above 0 and at most {_MOST_SECONDS} (a year), "
            f"not {text!r}"
        )
    return value


#: The most snapshots ``covgap history --limit`` takes (SQLite's LIMIT stops at 2**63 - 1).
_MOST_SNAPSHOTS = 1_000_000_000


def _snapshots(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= _MOST_SNAPSHOTS):
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 1 to {_MOST_SNAPSHOTS}, not {text!r}"
        )
    return int(text)


def _formats(text: str) -> list[str]:
    items = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [item for item in items if item not in FORMATS]
    if unknown or not items:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or '(none)'}; choose from {','.join(FORMATS)}"
        )
    return items


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="covgap",
        description="Find, rank and close the gaps in a Python project's test coverage.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"covgap {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    plan = commands.add_parser(
        "plan",
        help="write the coverage plan from existing coverage data",
        description="Write the coverage plan from existing coverage data "
        "(.coverage, coverage JSON, Cobertura XML or LCOV).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    plan.add_argument("project", nargs="?", default=".", help="the project folder (default: .)")
    _add_plan_options(plan)
    plan.add_argument(
        "--record",
        action="store_true",
        help="store a snapshot in the history database (.covgap/history.db)",
    )
    plan.add_argument(
        "--junit",
        metavar="FILE",
        help="the suite's health from pytest's JUnit XML report (pytest --junitxml=FILE)",
    )

    run = commands.add_parser(
        "run",
        help="run the test suite under coverage, then write the plan",
        description="Run the project's pytest suite under coverage.py, set up right (branch "
        "coverage, source detected, subprocesses and pytest-xdist workers measured, the fastest "
        "core), then write the plan with the suite's health. The project's files are never "
        "changed: covgap works in .covgap/run/. Arguments after -- go to pytest.",
        epilog=_RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("project", nargs="?", default=".", help="the project folder (default: .)")
    run.add_argument(
        "--python",
        metavar="PATH",
        help="the interpreter of the project's environment (default: the one running covgap)",
    )
    run.add_argument(
        "--fast",
        action="store_true",
        help="line coverage only, with sys.monitoring "
        "on Python 3.12+ (near the speed of plain pytest)",
    )
    run.add_argument(
        "--parallel",
        metavar="N|auto",
        type=_workers,
        help="run with N pytest-xdist workers (or auto), when pytest-xdist is installed",
    )
    run.add_argument(
        "--contexts",
        action="store_true",
        help="record which test ran each line, so the plan names the test module to extend",
    )
    run.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_seconds,
        help="stop the whole run after this long; its data is still analysed",
    )
    run.add_argument(
        "--test-timeout",
        metavar="SECONDS",
        type=_seconds,
        help="per test, with pytest-timeout (default: half of --timeout)",
    )
    run.add_argument(
        "--allow-failures",
        action="store_true",
        help="exit 0 when tests fail or error (by default 1); no test collected (5) and "
        "--timeout (124) still fail",
    )
    _add_plan_options(run)
    run.add_argument(
        "--no-record",
        action="store_true",
        help="do not store a snapshot in the history database (covgap run stores one)",
    )

    combine = commands.add_parser(
        "combine",
        help="merge coverage data files from CI shards or other machines",
        description="Combine coverage data files (or folders holding .coverage* files) into one, "
        "with the project's [paths] remapping, so that one plan covers the whole suite. The "
        "inputs are kept.",
    )
    combine.add_argument("data", nargs="+", metavar="DATA", help="data files or folders")
    combine.add_argument(
        "--project",
        default=".",
        help="the project folder whose coverage configuration applies (default: .)",
    )
    combine.add_argument(
        "--output",
        default=".coverage",
        metavar="PATH",
        help="the combined data file (default: .coverage)",
    )

    audit = commands.add_parser(
        "audit",
        help="audit the test suite, its pytest and coverage settings, and CI, with fixes",
        description="Read the project's test files, pytest and coverage.py settings, development "
        "dependencies, docs and CI files (GitHub Actions, GitLab CI, tox, nox), and list what "
        "to fix, each finding with its evidence and the change to paste, and a score. Nothing "
        "is run and no coverage data is needed; the suite's health is the last `covgap run`'s "
        "when nothing it ran has changed since (docs/audit.md).",
        epilog="exit codes: 0 done (findings or not), 1 a finding at or above --fail-on, "
        "2 usage or configuration error (a folder with no Python project: nothing to audit), "
        "4 output not writable",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    audit.add_argument("project", nargs="?", default=".", help="the project folder (default: .)")
    audit.add_argument(
        "--format", type=_formats, metavar="LIST", help="term,md,json (default: term)"
    )
    audit.add_argument(
        "--output",
        metavar="DIR",
        help="folder for audit.md / audit.json, or - for stdout (default: covgap-report)",
    )
    audit.add_argument(
        "--fail-on",
        choices=("high", "medium", "low"),
        help="exit 1 when a finding is this severe or more (for CI)",
    )

    check = commands.add_parser(
        "check",
        help="evaluate the coverage gates (total, floors, diff, ratchet) for CI",
        description="Evaluate the gates set in [tool.covgap] and on the command line against "
        "the coverage data, print each verdict with its numbers, and write a pull-request "
        "comment, annotations and a badge on request (docs/check.md).",
        epilog="exit codes: 0 every gate passed, 1 a gate failed, 2 usage or configuration "
        "error, 3 data error or covgap's own failure, 4 output not writable",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("project", nargs="?", default=".", help="the project folder (default: .)")
    check.add_argument("--data", metavar="PATH", help="the coverage data (as for plan)")
    check.add_argument("--fail-under", metavar="PERCENT", help="the total's minimum")
    check.add_argument("--fail-under-lines", metavar="PERCENT", help="statements alone")
    check.add_argument("--fail-under-branches", metavar="PERCENT", help="branches alone")
    check.add_argument(
        "--diff-fail-under", metavar="PERCENT", help="changed statements since the base"
    )
    check.add_argument(
        "--base",
        metavar="REV",
        help="compare with REV (default: merge base with the default branch)",
    )
    check.add_argument("--no-diff", action="store_true", help="no diff unless a gate needs it")
    check.add_argument("--baseline", metavar="FILE", help="a covgap-baseline.json to compare with")
    check.add_argument(
        "--update-baseline",
        action="store_true",
        help="when every gate passes, write the current numbers as the new baseline",
    )
    check.add_argument(
        "--format",
        choices=("text", "github", "json"),
        default="text",
        help="text verdicts (default), the Markdown comment for a pull request, or JSON",
    )
    check.add_argument("--comment", metavar="FILE", help="also write the Markdown comment here")
    check.add_argument(
        "--annotations",
        action="store_true",
        help="print GitHub ::warning annotations for uncovered changed lines",
    )
    check.add_argument("--badge", metavar="FILE", help="write an SVG badge of the total")
    check.add_argument("--jobs", metavar="N", help="parser processes (default: one per CPU)")
    check.add_argument("--no-cache", action="store_true", help="do not use .covgap/cache.sqlite3")

    history = commands.add_parser(
        "history",
        help="show the coverage trend, each change explained",
        description="Show the snapshots in the history database (covgap run and covgap plan "
        "--record store them), and explain each change of the total: code added covered or "
        "not, code removed, lines that lost or gained coverage (docs/history.md).",
    )
    history.add_argument("project", nargs="?", default=".", help="the project folder (default: .)")
    history.add_argument("--limit", metavar="N", type=_snapshots, help="the last N snapshots")
    history.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or JSON"
    )

    demo = commands.add_parser(
        "demo",
        help="measure the bundled example project and show its plan",
        description="Copy the bundled example service to a new temporary folder, run its tests "
        "under coverage (branch coverage on, subprocesses measured), and show its plan.",
    )
    demo.add_argument(
        "--output",
        metavar="DIR",
        help="where to write the reports "
        "(default: covgap-report/ inside the example's temporary folder)",
    )
    demo.add_argument(
        "--format", type=_formats, metavar="LIST", help="term,md,json,html (default: all)"
    )
    return parser


def _add_plan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        metavar="PATH",
        help="the coverage data: .coverage file, coverage.json, "
        "coverage.xml or an LCOV file (default: the coverage config's data file)",
    )
    parser.add_argument(
        "--target",
        metavar="PERCENT",
        help="the total to reach (default 80, or [tool.covgap] target)",
    )
    parser.add_argument(
        "--milestones", nargs="+", metavar="PERCENT", help="totals to reach on the way"
    )
    parser.add_argument(
        "--skip",
        action="append",
        metavar="GLOB",
        help="leave files matching GLOB out of the plan (repeatable)",
    )
    parser.add_argument(
        "--format", type=_formats, metavar="LIST", help="term,md,json,html (default: all four)"
    )
    parser.add_argument(
        "--output", metavar="DIR", help="report folder, or - for stdout (default: covgap-report)"
    )
    parser.add_argument(
        "--top", metavar="N", help="files and functions in the summaries (default 10)"
    )
    parser.add_argument(
        "--precision", metavar="N", help="digits after the decimal point (default 1)"
    )
    parser.add_argument("--jobs", metavar="N", help="parser processes (default: one per CPU)")
    parser.add_argument(
        "--no-cache", action="store_true", help="do not read or write .covgap/cache.sqlite3"
    )
    parser.add_argument(
        "--no-risk",
        action="store_true",
        help="rank by impact alone: no complexity, churn, criticality or test suggestions",
    )
    parser.add_argument(
        "--churn-window",
        metavar="WINDOW",
        help='how far back churn looks in git: "90 days" (default) or "500 commits"',
    )
    parser.add_argument(
        "--no-audit",
        action="store_true",
        help="leave out the audit of the suite, its configuration and CI",
    )


def _data_path(data: str | None, project_dir: Path) -> str | None:
    """``--data`` is relative to where covgap runs; shown relative to the project when inside."""
    if data is None:
        return None
    path = Path(data).absolute()
    try:
        return str(path.relative_to(project_dir.absolute()))
    except ValueError:
        return str(path)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "data-file": _data_path(args.data, Path(args.project)),
        "target": args.target,
        "milestones": args.milestones,
        "skip": args.skip,
        "format": args.format,
        "output": args.output,
        "top": args.top,
        "precision": args.precision,
        "jobs": args.jobs,
        "cache": False if args.no_cache else None,
        "risk": False if args.no_risk else None,
        "churn-window": args.churn_window,
        "audit": False if args.no_audit else None,
    }


def _output_folder(settings: Settings, project_dir: Path) -> str:
    """``--output`` is relative to where covgap runs; the configured one to the project."""
    if str(settings.output) == "-":
        return "-"
    if settings.output.is_absolute() or settings.origins.get("output") == "command line":
        return str(settings.output)
    return str(project_dir / settings.output)


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
        stdout.write(f"Recorded snapshot {snapshot} in {settings.history}\n")
    return code


def _emit(result: PlanResult, output: str, stdout: TextIO, project_dir: Path) -> int:
    from covgap.report.render import emit  # rich and Jinja2: loaded only to report

    return emit(result, output, stdout, project_dir)


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
    options = api.RunOptions(
        project_dir=project_dir,
        python=_interpreter(args.python) if args.python else sys.executable,
        fast=args.fast,
        parallel=args.parallel,
        contexts=args.contexts,
        timeout=args.timeout,
        test_timeout=args.test_timeout,
        pytest_args=tuple(pytest_args),
    )
    # Status goes to stderr: stdout may be plan.json (--output -).
    stderr.write(f"Running the suite of {project_dir.resolve()} under coverage…\n")
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


def _run_combine(args: argparse.Namespace, stdout: TextIO) -> int:
    output = Path(args.output)
    count = api.combine(Path(args.project), [Path(item) for item in args.data], output)
    stdout.write(f"Combined {count} data file{'s' if count != 1 else ''} into {output}\n")
    return ExitCode.OK


_SEVERITY_ORDER = ("high", "medium", "low", "info")


def _run_check(args: argparse.Namespace, stdout: TextIO) -> int:
    project_dir = Path(args.project)
    if not project_dir.is_dir():
        raise UsageError("project folder not found", path=args.project, slug="no-project")
    overrides = {
        "data-file": _data_path(args.data, project_dir),
        "fail-under": args.fail_under,
        "fail-under-lines": args.fail_under_lines,
        "fail-under-branches": args.fail_under_branches,
        "diff-fail-under": args.diff_fail_under,
        "base": args.base,
        "baseline-file": _data_path(args.baseline, project_dir),
        "jobs": args.jobs,
        "cache": False if args.no_cache else None,
    }
    settings = load_settings(project_dir, overrides)
    result = api.check(project_dir, settings, diff=not args.no_diff)
    from covgap.report.check import (
        annotation_lines,
        badge_svg,
        check_json,
        check_markdown,
        check_text,
    )
    from covgap.report.write import write_reports

    rendered = {"text": check_text, "github": check_markdown, "json": check_json}[args.format]
    stdout.write(rendered(result))
    if args.annotations:
        stdout.write(annotation_lines(result))
    files: dict[Path, str] = {}
    if args.comment:
        files[Path(args.comment)] = check_markdown(result)
    if args.badge:
        files[Path(args.badge)] = badge_svg(result.project.totals.percent_covered)
    if args.update_baseline:
        if result.passed:
            path, text = api.new_baseline(project_dir, settings, result.project)
            files[path] = text
        else:
            stdout.write("covgap check: the baseline was not updated: a gate failed\n")
    for path, text in files.items():
        write_reports({path.name: text}, str(path.parent), stdout)
        stdout.write(f"Wrote {path}\n")
    return ExitCode.OK if result.passed else ExitCode.GATE_FAILED


def _run_history(args: argparse.Namespace, stdout: TextIO) -> int:
    project_dir = Path(args.project)
    if not project_dir.is_dir():
        raise UsageError("project folder not found", path=args.project, slug="no-project")
    settings = load_settings(project_dir, {})
    summaries, deltas = api.history(project_dir, settings, args.limit)
    from covgap.report.history import history_json, history_text

    render = history_json if args.format == "json" else history_text
    stdout.write(render(summaries, deltas, settings))
    return ExitCode.OK


def _run_audit(args: argparse.Namespace, stdout: TextIO) -> int:
    project_dir = Path(args.project)
    if not project_dir.is_dir():
        raise UsageError("project folder not found", path=args.project, slug="no-project")
    overrides = {"format": args.format or ["term"], "output": args.output}
    try:
        settings = load_settings(project_dir, overrides)
    except ConfigError as error:
        if error.slug != "bad-toml":
            raise
        # A pyproject.toml that is not TOML is one of the audit's findings, not a reason to
        # stop: audit with covgap's defaults.
        settings = load_settings(project_dir, overrides, read_project=False)
    result = api.audit(project_dir, settings)
    from covgap.report.render import emit_audit

    emit_audit(
        result,
        str(project_dir.resolve()),
        settings.formats,
        _output_folder(settings, project_dir),
        stdout,
    )
    if args.fail_on is not None:
        worst = _SEVERITY_ORDER.index(args.fail_on)
        if any(_SEVERITY_ORDER.index(f.severity) <= worst for f in result.findings):
            return ExitCode.GATE_FAILED
    return ExitCode.OK


def _run_demo(args: argparse.Namespace, stdout: TextIO) -> int:
    from covgap.demo import run_demo

    return run_demo(output=args.output, formats=args.format, stdout=stdout)


def main(
    argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run covgap with ``argv``; return the exit code. Errors are one line on ``stderr``."""
    # A closed stream is None in sys: errors then go nowhere, but the exit code still tells.
    stderr = stderr or sys.stderr or io.StringIO()
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    pytest_args: list[str] = []
    if "--" in argv:  # everything after -- belongs to pytest (covgap run)
        split = argv.index("--")
        argv, pytest_args = argv[:split], argv[split + 1 :]
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:
            _reject_unknown(parser, args.command, unknown)
    except SystemExit as exit_request:  # --help, --version, or a usage error already printed
        return int(exit_request.code or 0)
    stdout = stdout or sys.stdout
    if stdout is None:  # started with standard output closed (>&-)
        stderr.write(
            "covgap: error: standard output is closed: covgap prints its results there "
            "(redirect it to a file or to /dev/null instead)\n"
        )
        return ExitCode.OUTPUT_ERROR
    guarded = cast(TextIO, GuardedStdout(stdout))
    if args.command is None:
        return _dispatch_help(parser, guarded, stderr)
    with _no_cycle_collection():
        return _dispatch(args, pytest_args, guarded, stderr)


def _reject_unknown(
    parser: argparse.ArgumentParser, command: str | None, unknown: list[str]
) -> NoReturn:
    """argparse's "unrecognized arguments", from the command's own parser (its usage line), with
    the option meant when one is close: ``--paralel`` gets "did you mean `--parallel`?"."""
    owner = parser
    for action in parser._actions:  # argparse has no public way to reach the subparsers
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            owner = action.choices[command]
    options = [option for action in owner._actions for option in action.option_strings]
    meant = [
        close[0]
        for word in unknown
        if word.startswith("-")
        and (close := difflib.get_close_matches(word.partition("=")[0], options, n=1))
    ]
    message = f"unrecognized arguments: {' '.join(unknown)}"
    if meant:
        message += f" (did you mean {' or '.join(f'`{option}`' for option in meant)}?)"
    owner.error(message)


def _dispatch_help(parser: argparse.ArgumentParser, stdout: TextIO, stderr: TextIO) -> int:
    """``covgap`` without a command: the help, and exit 2."""
    try:
        parser.print_help(stdout)
        stdout.flush()
    except ReaderGone:
        return int(ExitCode.READER_GONE)
    except CovgapError as error:
        stderr.write(f"covgap: error: {error}\n")
        return int(error.exit_code)
    return ExitCode.USAGE_ERROR


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off while a command runs.

    covgap builds hundreds of thousands of small objects (regions, facts, suggestions) and
    frees them by reference counting; the collector's full passes over them cost more than a
    third of a plan's time on a big project (sympy: 6.0 s against 3.9 s without them), and a
    command is one short-lived process. Turned back on (if it was) when the command ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: What ``covgap run`` says when it is stopped by a signal.
_KEPT = "; the suite was stopped, and the data it measured is kept in .covgap/run/"


def _command(
    args: argparse.Namespace, pytest_args: list[str], stdout: TextIO, stderr: TextIO
) -> int:
    if pytest_args and args.command != "run":
        raise UsageError("arguments after -- are for pytest, and only `covgap run` takes them")
    if args.command == "demo":
        return _run_demo(args, stdout)
    if args.command == "run":
        return _run_run(args, pytest_args, stdout, stderr)
    if args.command == "combine":
        return _run_combine(args, stdout)
    if args.command == "audit":
        return _run_audit(args, stdout)
    if args.command == "check":
        return _run_check(args, stdout)
    if args.command == "history":
        return _run_history(args, stdout)
    return _run_plan(args, stdout)


def _dispatch(
    args: argparse.Namespace, pytest_args: list[str], stdout: TextIO, stderr: TextIO
) -> int:
    try:
        code = _command(args, pytest_args, stdout, stderr)
        stdout.flush()  # what is still buffered: a full disk shows here, not at exit
        return code
    except ReaderGone:  # `covgap … | head`: nobody reads the rest, and nobody is to be told
        return int(ExitCode.READER_GONE)
    except CovgapError as error:
        stderr.write(f"covgap: error: {error}\n")
        if error.hint:
            stderr.write(f"covgap: hint: {error.hint}\n")
        return int(error.exit_code)
    except KeyboardInterrupt:
        stderr.write("covgap: interrupted; no report was half-written\n")
        return int(ExitCode.INTERRUPTED)
    except Terminated as stop:
        name = signal.Signals(stop.signal_number).name
        stderr.write(
            f"covgap: stopped by {name}; no report was half-written"
            f"{_KEPT if args.command == 'run' else ''}\n"
        )
        return 128 + stop.signal_number
    except FileNotFoundError as error:
        if "No usable temporary directory" not in str(error):
            return _internal_error(error, stderr)
        # tempfile found no folder it can write in: TMPDIR, /tmp, /var/tmp, the working folder.
        stderr.write(
            "covgap: error: no usable temporary folder: TMPDIR, /tmp, /var/tmp and the working "
            "folder are all full or not writable\n"
        )
        return int(ExitCode.OUTPUT_ERROR)
    except Exception as error:  # a bug in covgap: say so plainly, traceback on request
        return _internal_error(error, stderr)


def _internal_error(error: Exception, stderr: TextIO) -> int:
    """A bug in covgap: one line, the traceback with COVGAP_DEBUG=1, exit 3."""
    if os.environ.get("COVGAP_DEBUG"):
        traceback.print_exc(file=stderr)
    stderr.write(
        f"covgap: internal error: {type(error).__name__}: {error} "
        "(set COVGAP_DEBUG=1 for the traceback, and please report it)\n"
    )
    return int(ExitCode.DATA_ERROR)
