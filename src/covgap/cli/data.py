"""The handlers of covgap combine and covgap history: data files merged, snapshots shown."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from covgap import api
from covgap.config import load_settings
from covgap.errors import ExitCode, UsageError


def _run_combine(args: argparse.Namespace, stdout: TextIO) -> int:
    output = Path(args.output)
    count = api.combine(Path(args.project), [Path(item) for item in args.data], output)
    stdout.write(f"Combined {count} data file{'s' if count != 1 else ''} into {output}\n")
    return ExitCode.OK


def _run_history(args: argparse.Namespace, stdout: TextIO) -> int:
    project_dir = Path(args.project)
    if not project_dir.is_dir():
        raise UsageError("project folder not found", path=args.project, slug="no-project")
    settings = load_settings(project_dir, {})
    if args.tests:
        from covgap.report.suite_history import tests_json, tests_text

        tests = api.read_test_history(project_dir, settings, args.limit)
        stdout.write(tests_json(tests) if args.format == "json" else tests_text(tests, settings))
        return ExitCode.OK
    summaries, deltas = api.history(project_dir, settings, args.limit)
    from covgap.report.history import history_json, history_text

    render = history_json if args.format == "json" else history_text
    stdout.write(render(summaries, deltas, settings))
    return ExitCode.OK
