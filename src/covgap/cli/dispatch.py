"""Running one command: parse, call its handler, turn each error into a line and an exit code."""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import signal
import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import TextIO, cast

from covgap.cli.data import _run_combine, _run_history
from covgap.cli.gates import _run_audit, _run_check
from covgap.cli.parser import _parser, _reject_unknown
from covgap.cli.plan import _run_demo, _run_plan, _run_run
from covgap.errors import CovgapError, ExitCode, Terminated, UsageError
from covgap.stdout import GuardedStdout, ReaderGone


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
    if pytest_args and args.command not in ("run", "flaky"):
        raise UsageError(
            "arguments after -- are for pytest, and only `covgap run` and `covgap flaky` take them"
        )
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
    if args.command == "draft":
        from covgap.cli.draft import run_draft_command

        return run_draft_command(args, stdout, stderr)
    if args.command == "flaky":
        from covgap.cli.flaky import run_flaky_command

        return run_flaky_command(args, pytest_args, stdout, stderr)
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
