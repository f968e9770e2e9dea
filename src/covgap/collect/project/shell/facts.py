"""What a script's analysis finds: its commands, test runs, coverage gates and uploads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """One simple command of a script."""

    #: The logical line it is on, as written (continuation lines joined with a space).
    text: str
    #: 0-based index into ``script.split("\\n")`` of the line where the command starts.
    offset_line: int
    #: The program and its arguments, environment assignments left out, quotes removed.
    argv: tuple[str, ...]
    #: ``NAME=value`` assignments written before the program.
    env: tuple[str, ...]
    #: Why its failure does not fail the script (``"|| true"``, ``"set +e"``…), or None.
    may_fail: str | None


@dataclass(frozen=True)
class TestRun:
    """One command line in a script that runs the test suite."""

    __test__ = False  # a name pytest would collect

    #: The command as written (continuation lines joined).
    text: str
    #: 0-based line within the script where it starts (see ``Command.offset_line``).
    offset_line: int
    #: ``"pytest"``, ``"coverage run"``, ``"covgap run"``, ``"tox"``, ``"nox"``,
    #: ``"hatch test"``, ``"unittest"``, ``"nose2"``, ``"nosetests"``, ``"setup.py test"``,
    #: ``"manage.py test"``, ``"make"``, ``"hatch run"``, ``"pixi run"``, ``"script"``.
    runner: str
    #: Whether the run measures coverage itself: ``--cov``, ``coverage run``, ``covgap run``,
    #: ``hatch test --cover``, ``nosetests --with-coverage``. A tox or nox run is False here:
    #: what its environment runs is in the tox or nox configuration.
    measures_coverage: bool
    #: The threshold written on the command line (``--cov-fail-under``), or None.
    gate: float | None
    #: The parallelism flags as written (``"-n auto"``, ``"--numprocesses 4 --dist loadfile"``,
    #: ``"-p auto"`` for tox, ``"--parallel 4"`` for covgap), or None.
    parallel: str | None
    #: The timeout as written (``"--timeout=30"``, ``"--timeout 30"``, ``"timeout 20m"``), or None.
    timeout: str | None
    #: Why its failure may not fail the script, or None (see ``Command.may_fail``).
    may_fail: str | None
    #: The program and its arguments (wrappers included), environment assignments left out.
    argv: tuple[str, ...]
    #: ``NAME=value`` assignments written before the command (``COVERAGE_CORE=sysmon``).
    env: tuple[str, ...]
    #: The tox environments (``-e``), nox sessions (``-s``), make targets or task names named.
    targets: tuple[str, ...]


@dataclass(frozen=True)
class CoverageGate:
    """A command that fails when coverage is under a threshold."""

    text: str
    offset_line: int
    #: ``"coverage report"`` (or ``html``, ``xml``, ``json``, ``lcov``), ``"pytest-cov"``,
    #: ``"covgap check"``, ``"diff-cover"``.
    tool: str
    #: The threshold on the command line; None: the coverage configuration's ``fail_under``
    #: decides (no gate if it sets none).
    threshold: float | None
    #: ``"total"`` or ``"diff"`` (only the changed lines).
    kind: str
    may_fail: str | None


@dataclass(frozen=True)
class CoverageUpload:
    """A command that sends coverage to a service."""

    text: str
    offset_line: int
    #: ``"codecov"`` or ``"coveralls"``.
    service: str
    may_fail: str | None


@dataclass(frozen=True)
class ScriptFacts:
    """What a script does for testing."""

    commands: tuple[Command, ...]
    test_runs: tuple[TestRun, ...]
    gates: tuple[CoverageGate, ...]
    uploads: tuple[CoverageUpload, ...]
    #: 0-based lines whose quotes did not balance: split on whitespace instead.
    unparsed_lines: tuple[int, ...]

    @property
    def masked(self) -> tuple[Command, ...]:
        """The commands whose failure is ignored."""
        return tuple(command for command in self.commands if command.may_fail)
