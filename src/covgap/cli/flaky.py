"""``covgap flaky``: its options, and its handler (runs, experiments, output, exit code)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from covgap.errors import UsageError

if TYPE_CHECKING:
    from covgap.model.flaky import FlakyReport

__all__ = ["add_flaky_parser", "run_flaky_command"]

_EPILOG = """\
examples:
  covgap flaky                          the suite 10 times in random orders, in its own .venv
  covgap flaky --runs 20 --parallel auto --budget 600
  covgap flaky --coverage               also: the lines and branches covered in some runs only
  covgap flaky --tests failing.txt      only these node ids (one a line)
  covgap flaky -- tests/unit -m "not slow"

Each run has its seed (the order, and random.seed() before each test); a test that did not
always pass is run again in the same order, alone, and the tests before it are bisected to
the one that makes it fail, with a command that reproduces it (docs/flaky.md).

exit codes: 0 no test flaky, order-dependent or timing-sensitive (always failing tests may be
listed), 1 some are, 2 usage error (pytest's too), 3 data error, 4 .covgap/flaky/ not
writable, 5 no test collected, 124 the --budget ran out before one run finished
"""

#: The most runs.
_MOST_RUNS = 10_000


def _runs(text: str) -> int:
    if text.isascii() and text.isdigit() and 1 <= int(text) <= _MOST_RUNS:
        return int(text)
    raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {_MOST_RUNS}, not {text!r}")


def _seed(text: str) -> int:
    if text.isascii() and text.isdigit() and int(text) < 2**32:
        return int(text)
    raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 2**32 - 1, not {text!r}")


def add_flaky_parser(commands: Any, seconds: Any, workers: Any) -> None:
    """The ``flaky`` subcommand (``seconds`` and ``workers`` check those values)."""
    flaky = commands.add_parser(
        "flaky",
        help="re-run the suite in random orders; find flaky, order-dependent and "
        "timing-sensitive tests, with the test that pollutes each",
        description="Run the project's pytest suite (or a selection) several times, each in a "
        "random order with a recorded seed, then tell each test that did not always pass what "
        "it is: flaky, order-dependent (with the smallest set of tests that makes it fail, "
        "found by bisection, and a command that reproduces it), timing-sensitive or always "
        "failing, with its likely cause. Arguments after -- go to pytest.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    flaky.add_argument("project", nargs="?", default=".", help="the project folder (default: .)")
    flaky.add_argument(
        "--runs", metavar="N", type=_runs, default=10, help="runs of the suite (default 10)"
    )
    flaky.add_argument(
        "--budget",
        metavar="SECONDS",
        type=seconds,
        help="stop after this long (the runs, then the experiments); the runs done are used",
    )
    flaky.add_argument(
        "--parallel",
        metavar="N|auto",
        type=workers,
        help="run with N pytest-xdist workers (or auto), when pytest-xdist is installed",
    )
    flaky.add_argument(
        "--coverage",
        action="store_true",
        help="measure each run under coverage with per-test contexts, and list the lines and "
        "branches covered in some runs and not others",
    )
    flaky.add_argument(
        "--tests", metavar="FILE", help="run only the node ids in FILE (one a line, # comments)"
    )
    flaky.add_argument(
        "--seed",
        metavar="N",
        type=_seed,
        help="the first run's seed (the next runs take N+1, N+2…; default: a random one)",
    )
    flaky.add_argument(
        "--python",
        metavar="PATH",
        help="the interpreter of the project's environment (default: the project's .venv or "
        "venv, else the one running covgap)",
    )
    flaky.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or JSON"
    )
    flaky.add_argument(
        "--no-record",
        action="store_true",
        help="do not store the runs' outcomes in the history database (.covgap/history.db)",
    )


def _read_tests(path: str) -> tuple[str, ...]:
    """The node ids of ``--tests FILE`` (blank lines and ``#`` comments left out)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(
            f"cannot read the list of tests: {reason}", path=path, slug="flaky-tests-file"
        ) from exc
    tests = tuple(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )
    if not tests:
        raise UsageError(
            "the list of tests is empty (one node id a line)", path=path, slug="flaky-tests-file"
        )
    return tests


def run_flaky_command(
    args: argparse.Namespace, pytest_args: list[str], stdout: TextIO, stderr: TextIO
) -> int:
    from covgap.api.flakiness import FlakyOptions, flaky
    from covgap.cli.plan import project_interpreter

    project_dir = Path(args.project)
    if not project_dir.is_dir():
        raise UsageError("project folder not found", path=args.project, slug="no-project")
    selection = tuple(pytest_args) + (_read_tests(args.tests) if args.tests else ())
    python, found = project_interpreter(args.python, project_dir)
    options = FlakyOptions(
        project_dir=project_dir,
        python=python,
        runs=args.runs,
        budget=args.budget,
        parallel=args.parallel,
        coverage=args.coverage,
        pytest_args=selection,
        seed=args.seed,
    )
    with_python = f" with {found.as_posix()} (the project's)" if found else ""
    stderr.write(f"Running the suite of {project_dir.resolve()} {args.runs} times{with_python}…\n")
    stderr.flush()

    def say(line: str) -> None:
        stderr.write(f"covgap: {line}\n")
        stderr.flush()

    from covgap.store.history import git_state

    state = git_state(project_dir.resolve())  # the code the runs ran, taken before they start
    report = flaky(options, say)
    from covgap.report.flaky import flaky_exit_code, flaky_json, render_flaky

    if args.format == "json":
        stdout.write(json.dumps(flaky_json(report), indent=2) + "\n")
    else:
        stdout.write(render_flaky(report))
    stdout.flush()
    if not args.no_record:
        _record(project_dir, report, state, partial=bool(selection), stderr=stderr)
    return flaky_exit_code(report)


def _record(
    project_dir: Path,
    report: FlakyReport,
    state: tuple[str | None, str | None, bool],
    *,
    partial: bool,
    stderr: TextIO,
) -> None:
    """The runs' outcomes in the history, as one batch, so that a test that passed and failed
    on this commit stays known flaky (``covgap history --tests``, ``check --fail-on-flaky``).
    A history that cannot be written is one line; the report stands."""
    from covgap import api
    from covgap.config import load_settings
    from covgap.errors import CovgapError
    from covgap.store.history import TestRunInput

    commit, branch, dirty = state
    runs = [
        TestRunInput(
            "covgap flaky",
            tuple(test.outcome for test in run.tests),
            seed=run.seed,
            workers=run.workers,
            seconds=run.seconds,
            partial=partial,
            commit=commit,
            branch=branch,
            dirty=dirty,
        )
        for run in report.run_records
    ]
    try:
        ids = api.record_test_runs(project_dir, load_settings(project_dir), runs)
    except CovgapError as error:
        stderr.write(f"covgap: runs not recorded: {error}\n")
        return
    if ids:
        stderr.write(
            f"covgap: recorded {len(ids)} run(s) in the history (runs {ids[0]}-{ids[-1]})\n"
        )
