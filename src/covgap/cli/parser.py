"""The command line's grammar: the subcommands, their options and checks, and usage errors."""

from __future__ import annotations

import argparse
import difflib
from typing import NoReturn

from covgap import __version__
from covgap.config import FORMATS

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
  covgap draft --top 5                 write the first tests for the plan's top 5 functions
  covgap flaky                         re-run the suite in random orders: flaky tests, polluters

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
        help="evaluate the coverage gates (total, floors, diff, ratchet, flaky tests, suite "
        "time) for CI",
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
    check.add_argument(
        "--fail-on-flaky",
        action="store_true",
        help="fail when a test is known flaky on this commit or in the last recorded test runs "
        "(flaky-window, default 20)",
    )
    check.add_argument(
        "--max-suite-seconds",
        metavar="SECONDS",
        help="the suite's estimated wall time with suite-workers (default 1) from the latest "
        "recorded run",
    )
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
    history.add_argument(
        "--limit",
        metavar="N",
        type=_snapshots,
        help="the last N snapshots (with --tests: the last N test runs)",
    )
    history.add_argument(
        "--tests",
        action="store_true",
        help="the recorded test runs instead: flaky tests, slowest tests and slow-downs, the "
        "suite's wall time for 1, 2, 4, 8 xdist workers",
    )
    history.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or JSON"
    )

    from covgap.cli.draft import add_draft_parser
    from covgap.draft.engines import ENGINES

    add_draft_parser(commands, _seconds, tuple(ENGINES))

    from covgap.cli.flaky import add_flaky_parser

    add_flaky_parser(commands, _seconds, _workers)

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
