"""The handlers of covgap check and covgap audit: the verdicts for CI, and their exit codes."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from covgap import api
from covgap.cli.options import _data_path, _output_folder
from covgap.config import load_settings
from covgap.errors import ConfigError, ExitCode, UsageError

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
        "fail-on-flaky": True if args.fail_on_flaky else None,
        "max-suite-seconds": args.max_suite_seconds,
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
