"""Exit codes and the errors covgap reports to its user, each with a slug for docs/messages.md."""

from __future__ import annotations

import enum

__all__ = [
    "BudgetSpent",
    "ConfigError",
    "CovgapError",
    "DataError",
    "ExitCode",
    "NoTestsError",
    "OutputError",
    "Terminated",
    "UsageError",
]


class ExitCode(enum.IntEnum):
    """What a covgap process's exit status means; CI can tell a failed gate from a broken run."""

    #: Everything asked for was done.
    OK = 0
    #: A gate failed (reserved for ``covgap check``): the tool worked, the project fell short.
    GATE_FAILED = 1
    #: The command line or the configuration is wrong (unknown option, target out of range, …).
    USAGE_ERROR = 2
    #: The input data or the sources could not be used (missing, corrupt, moved, unparsable),
    #: or covgap itself failed.
    DATA_ERROR = 3
    #: The report could not be written (folder not writable, disk full); nothing half-written stays.
    OUTPUT_ERROR = 4
    #: ``covgap run``: pytest collected no test (pytest's own code 5); the plan is still written
    #: when there is code to plan for.
    NO_TESTS = 5
    #: ``covgap run``: the run was cut by ``--timeout`` (the code of coreutils' ``timeout``); the
    #: plan is written from the data saved until then. ``covgap flaky``: its ``--budget`` ran
    #: out before one run of the suite finished.
    TIMED_OUT = 124
    #: Stopped by Ctrl-C (128 + SIGINT), as shells report it.
    INTERRUPTED = 130
    #: The reader of standard output stopped reading (``covgap … | head``): covgap stops
    #: quietly, with the status of a process stopped by SIGPIPE (128 + SIGPIPE).
    READER_GONE = 141
    #: Stopped by SIGTERM (128 + SIGTERM: what CI sends when a job times out); ``covgap run``
    #: stops the suite first and keeps the data measured so far.
    TERMINATED = 143

    #: ``covgap run``: a test failed or errored, or pytest could not finish the suite (pytest's
    #: own code 1); the plan is still written. ``--allow-failures`` makes it 0.
    TESTS_FAILED = 1


class CovgapError(Exception):
    """An error meant for the user: one line, no traceback.

    ``path`` names the file at fault when there is one; ``hint`` is a second, optional line that
    says what to do; ``slug`` names the entry in docs/messages.md.
    """

    exit_code: ExitCode = ExitCode.DATA_ERROR
    slug: str = "error"

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        hint: str | None = None,
        slug: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.hint = hint
        if slug is not None:
            self.slug = slug

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class UsageError(CovgapError):
    """The command line asks for something impossible."""

    exit_code = ExitCode.USAGE_ERROR
    slug = "usage"


class ConfigError(CovgapError):
    """The configuration (``[tool.covgap]`` or coverage's own) is broken."""

    exit_code = ExitCode.USAGE_ERROR
    slug = "config"


class DataError(CovgapError):
    """Coverage data or a source file cannot be used."""

    exit_code = ExitCode.DATA_ERROR
    slug = "data"


class OutputError(CovgapError):
    """A report could not be written."""

    exit_code = ExitCode.OUTPUT_ERROR
    slug = "output"


class NoTestsError(CovgapError):
    """``covgap run`` found no test to run and no code to measure: there is nothing to plan."""

    exit_code = ExitCode.NO_TESTS
    slug = "no-tests"


class BudgetSpent(CovgapError):
    """``covgap flaky``: its ``--budget`` ran out before one run of the suite finished."""

    exit_code = ExitCode.TIMED_OUT
    slug = "flaky-budget"


class Terminated(BaseException):
    """covgap received SIGTERM (or SIGHUP): raised from the signal handler so that a running
    suite is stopped and its data kept, like KeyboardInterrupt for Ctrl-C."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.signal_number = signal_number
