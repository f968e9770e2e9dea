"""``covgap draft``: its options, and its handler (engines, runs, limits, output)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from covgap.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from covgap.config import Settings
    from covgap.draft.session import DraftOptions

__all__ = ["add_draft_parser", "run_draft_command"]

_EPILOG = """\
examples:
  covgap draft                          tests for the plan's first phase, with the engines installed
  covgap draft --top 5 --dry-run        the plan's first five functions; show, write nothing
  covgap draft --function src/shop/text.py::camelize --engine crosshair
  covgap draft --engine llm             with a model (COVGAP_LLM_BASE_URL, COVGAP_LLM_MODEL)

Kept tests go to new files beside the tests of their module (tests/test_x_generated.py), starter
tests to finish to tests/test_x_todo.py; nothing else in the project changes (docs/draft.md).

exit codes: 0 done (kept tests or not), 1 findings with --fail-on-findings, 2 usage or
configuration error, 3 data error, 4 a file could not be written
"""

#: The most runs per candidate, and the most targets.
_MOST = 1000


def _count(text: str) -> int:
    if text.isascii() and text.isdigit() and 1 <= int(text) <= _MOST:
        return int(text)
    raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {_MOST}, not {text!r}")


def add_draft_parser(commands: Any, seconds: Any, engines: tuple[str, ...]) -> None:
    """The ``draft`` subcommand (``seconds`` checks a number of seconds)."""
    draft = commands.add_parser(
        "draft",
        help="write the first tests for the planned functions; keep those that pass and add "
        "coverage",
        description="Generate candidate tests for the planned functions with the engines "
        "(CrossHair, the Hypothesis ghostwriter, Pynguin, a model), run each candidate several "
        "times in random order in a sandboxed copy of the project, keep the tests that always "
        "pass and add coverage, report the inputs that raise as findings, and write starter "
        "tests for the rest.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    draft.add_argument("project", nargs="?", default=".", help="the project folder (default: .)")
    which = draft.add_mutually_exclusive_group()
    which.add_argument("--top", metavar="N", type=_count, help="the plan's first N functions")
    which.add_argument("--phase", metavar="K", type=_count, help="the functions of phase K")
    which.add_argument(
        "--function",
        metavar="PATH::QUALNAME",
        action="append",
        help="this function (repeatable): src/shop/cart.py::Cart.add",
    )
    draft.add_argument(
        "--engine",
        action="append",
        choices=engines,
        help="use this engine (repeatable; default: [tool.covgap] draft-engines, else "
        "crosshair, hypothesis and skeleton; pynguin and llm only when named)",
    )
    draft.add_argument(
        "--runs",
        metavar="N",
        type=_count,
        help="runs of every candidate (default 5, or [tool.covgap] draft-runs)",
    )
    draft.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=seconds,
        default=60.0,
        help="wall time per engine and function (default 60)",
    )
    draft.add_argument(
        "--run-timeout",
        metavar="SECONDS",
        type=seconds,
        default=120.0,
        help="wall time of one run of the candidates; a hanging test is cut and fails "
        "(default 120)",
    )
    draft.add_argument(
        "--per-condition-timeout",
        metavar="SECONDS",
        type=seconds,
        default=4.0,
        help="CrossHair's time per path condition (default 4)",
    )
    draft.add_argument("--seed", metavar="N", type=int, default=0, help="the first run's seed")
    draft.add_argument(
        "--python",
        metavar="PATH",
        help="the interpreter of the project's environment (default: the project's .venv or "
        "venv, else the one running covgap)",
    )
    draft.add_argument("--dry-run", action="store_true", help="write nothing; show what would be")
    draft.add_argument(
        "--with-suite",
        action="store_true",
        help="run the kept tests once more with the whole suite, and leave out any that fail "
        "beside it (costs one run of the suite)",
    )
    draft.add_argument(
        "--fail-on-findings", action="store_true", help="exit 1 when an input raises (a finding)"
    )
    draft.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or JSON"
    )
    draft.add_argument("--data", metavar="PATH", help="the coverage data (as for covgap plan)")
    draft.add_argument("--target", metavar="PERCENT", help="the plan's target (default 80)")
    draft.add_argument(
        "--skip", action="append", metavar="GLOB", help="leave files matching GLOB out"
    )
    draft.add_argument(
        "--no-cache", action="store_true", help="do not read or write .covgap/cache.sqlite3"
    )


def _options(args: argparse.Namespace, python: str, settings: Settings) -> DraftOptions:
    from covgap.draft.engines import DEFAULT_ENGINES
    from covgap.draft.engines.base import LlmSettings
    from covgap.draft.session import DraftOptions
    from covgap.draft.targets import Selection

    if args.engine:
        engines = tuple(dict.fromkeys(args.engine))
    else:
        engines = settings.draft_engines or DEFAULT_ENGINES
    llm = LlmSettings(base_url=settings.llm_base_url, model=settings.llm_model)
    if "llm" in engines:
        from covgap.draft.engines.llm import llm_settings_from

        llm = llm_settings_from(os.environ, llm)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "covgap"
    return DraftOptions(
        selection=Selection(top=args.top, phase=args.phase, functions=tuple(args.function or ())),
        engines=engines,
        runs=args.runs or settings.draft_runs,
        engine_timeout=args.timeout,
        run_timeout=args.run_timeout,
        per_condition_timeout=args.per_condition_timeout,
        dry_run=args.dry_run,
        seed=args.seed,
        python=python,
        llm=llm,
        cache_dir=cache,
        with_suite=args.with_suite,
    )


def run_draft_command(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from covgap import api
    from covgap.cli.options import _data_path
    from covgap.cli.plan import project_interpreter
    from covgap.config import load_settings

    project_dir = Path(args.project)
    if not project_dir.is_dir():
        raise UsageError("project folder not found", path=args.project, slug="no-project")
    overrides = {
        "data-file": _data_path(args.data, project_dir),
        "target": args.target,
        "skip": args.skip,
        "cache": False if args.no_cache else None,
    }
    settings = load_settings(project_dir, overrides)
    python, found = project_interpreter(args.python, project_dir)
    options = _options(args, python, settings)
    if found is not None:
        stderr.write(
            f"covgap: the project's code runs with {found.as_posix()} (--python: another)\n"
        )

    def say(line: str) -> None:
        stderr.write(f"covgap: {line}\n")
        stderr.flush()

    result = api.draft(project_dir, settings, options, say)
    from covgap.report.draft import draft_json, render_draft

    if args.format == "json":
        stdout.write(json.dumps(draft_json(result), indent=2) + "\n")
    else:
        stdout.write(render_draft(result))
    if args.fail_on_findings and result.findings:
        return int(ExitCode.GATE_FAILED)
    return int(ExitCode.OK)
