"""What of the suite ``covgap run`` was told to run: the paths and options after ``--`` that
select tests (``-k``, ``-m``, ``--deselect``, ``--lf``, ``--ignore``), read from the arguments
the user gave, never from the project's ``addopts`` (its own way of running the whole suite).

Which arguments are paths only pytest knows (an option of a plugin may take a value that looks
like one): covgap's pytest plugin logs ``config.args`` and where they came from, and the paths
are those of them that are among the user's arguments.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Sequence
from typing import NoReturn

from covgap.model import TestSelection

__all__ = ["read_selection"]


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises instead of printing to stderr and exiting."""

    def error(self, message: str) -> NoReturn:
        raise ValueError(message)


def _parser() -> argparse.ArgumentParser:
    """pytest's options that select tests, as pytest spells them (no abbreviations)."""
    parser = _Parser(add_help=False, allow_abbrev=False)
    parser.add_argument("-k", dest="keyword", action="append", default=[])
    parser.add_argument("-m", dest="markexpr", action="append", default=[])
    parser.add_argument("--deselect", action="append", default=[])
    parser.add_argument("--ignore", action="append", default=[])
    parser.add_argument("--ignore-glob", action="append", default=[])
    parser.add_argument("--lf", "--last-failed", dest="last_failed", action="store_true")
    return parser


def _options(pytest_args: Sequence[str]) -> tuple[str, ...]:
    """The selecting options among ``pytest_args``, as a user would type them again."""
    try:
        known, _ = _parser().parse_known_args(list(pytest_args))
    except ValueError:  # an option without its value: pytest itself refused it
        return ()
    found: list[str] = []
    found += [f"-k {shlex.quote(value)}" for value in known.keyword[-1:]]  # the last one counts
    found += [f"-m {shlex.quote(value)}" for value in known.markexpr[-1:]]
    found += [f"--deselect {shlex.quote(value)}" for value in known.deselect]
    found += [f"--ignore {shlex.quote(value)}" for value in known.ignore]
    found += [f"--ignore-glob {shlex.quote(value)}" for value in known.ignore_glob]
    found += ["--lf"] if known.last_failed else []
    return tuple(found)


def read_selection(
    pytest_args: Sequence[str],
    logged_args: Sequence[str] | None,
    args_source: str | None,
    deselected: int | None,
) -> TestSelection:
    """The selection the user gave ``covgap run`` (``pytest_args``: what followed ``--``).

    ``logged_args`` and ``args_source``: pytest's ``config.args`` and ``config.args_source``
    as the plugin logged them (None when not logged); ``deselected``: tests pytest deselected.
    """
    given = set(pytest_args)
    paths: tuple[str, ...] = ()
    if logged_args is not None and args_source in ("args", None):
        paths = tuple(arg for arg in logged_args if arg in given)
    return TestSelection(paths=paths, options=_options(pytest_args), deselected=deselected)
