"""How good is covgap's plan order and effort estimate? Measured against each project's own suite.

For each project (``ranking/projects.py``: sdists from the package index, pinned):

1. the full suite is measured with coverage.py (branch coverage, ``source_pkgs`` = the package)
   and per-test contexts (``ranking/covgap_bench_contexts.py``: one context per pytest node id,
   and one per test module's import);
2. "today" is a partial suite, every fourth test file (sorted; index % 4 == 0), measured the
   same way;
3. covgap, imported from this tree's ``src``, plans from today's data with its default settings
   (target 80%, or 100% when today already passes 80%): its ranked functions, each with its
   estimated tests, and its phases;
4. the oracle: for each real test of the other test files (a test function, its parametrized
   cases together), the units (statements and branches, as coverage.py counts them) it covers
   that today misses;
5. orders of functions are followed with real tests (``ranking/simulate.py``): covgap's plan
   order, "most missing first", and the greedy sequence (the test adding the most units first);
6. the report: points of total coverage gained after 5/10/20 real tests, covgap / greedy after
   10, real tests to covgap's first milestone, covgap's estimated tests against the real tests
   each function and each phase needed;
7. testrisk 1.1.0's top 10 on the same data beside covgap's, as the oracle sees both.

Measurements are kept under ``--work`` (default ``<tempdir>/bench/ranking``); a later run measures
only what is missing. ``--replan`` never measures: it re-runs covgap's planning (seconds) on the
kept data, the way to see what a change to covgap does. ``--json PATH`` writes every figure and
every function's data (estimated tests, real tests, which real tests cover it and how much).

Run::

    python benchmarks/bench_ranking.py --json /tmp/bench/ranking.json      # first: ~30 min
    python benchmarks/bench_ranking.py --replan --json out.json              # after a change
    python benchmarks/bench_ranking.py --replan --project sqlparse

Any Python 3.11+ with covgap's dependencies runs it (``.ci/venv/bin/python``); the projects get
their own venvs (``--python``, default ``python3``), testrisk its own (``--testrisk-python``,
Python 3.12+). Exit 0, or a one-line error naming the log to read.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ranking.evaluate import evaluate
from ranking.measure import (
    Paths,
    interpreter,
    measure,
    partial_selection,
    prepare,
    read_measured,
    test_files,
)
from ranking.oracle import cached_oracle
from ranking.peer import ensure_testrisk, testrisk_top
from ranking.planning import CovgapPlan, plan_today
from ranking.projects import PROJECTS, TOOLS, Project
from ranking.report import overall, render

#: The JSON's layout; bump on a change of meaning.
FORMAT_VERSION = 1
#: covgap's default target, and the target used when today already passes it.
DEFAULT_TARGET = 80.0
HIGH_TARGET = 100.0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "bench" / "ranking"
    )
    parser.add_argument("--project", action="append", choices=[p.name for p in PROJECTS])
    parser.add_argument("--replan", action="store_true", help="only plan again from kept data")
    parser.add_argument("--remeasure", action="store_true", help="measure both suites again")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument(
        "--unit",
        choices=("function", "case"),
        default="function",
        help="a real test: a test function (parametrized cases together) or each case",
    )
    parser.add_argument("--python", default="python3", help="makes the projects' venvs")
    parser.add_argument("--testrisk-python", default="PYENV_VERSION=3.12.1 python3.12")
    parser.add_argument("--no-testrisk", action="store_true")
    return parser.parse_args(argv)


def _measured(project: Project, paths: Paths, args: argparse.Namespace) -> dict[str, Any]:
    """The project measured (or what was kept), and what the report says of it."""
    folder = paths.source / project.folder
    runs = {kind: read_measured(paths, kind) for kind in ("full", "partial")}
    if args.replan:
        if None in runs.values():
            raise SystemExit(
                f"{project.name}: nothing measured in {paths.root}; run without --replan"
            )
    else:
        folder = prepare(project, paths, interpreter(args.python))
        files = test_files(folder, project)
        for kind, selection in (("full", files), ("partial", partial_selection(files))):
            if args.remeasure or runs[kind] is None or list(runs[kind].files) != selection:  # type: ignore[union-attr]
                print(
                    f"measuring {project.name} ({kind}, {len(selection)} test files)…",
                    file=sys.stderr,
                )
                runs[kind] = measure(project, paths, folder, kind, selection)
    full, partial = runs["full"], runs["partial"]
    assert full is not None and partial is not None
    return {
        "folder": folder,
        "version": project.version,
        "test_files": len(full.files),
        "partial_files": len(partial.files),
        "partial_selection": list(partial.files),
        "full_run": full.to_json(),
        "partial_run": partial.to_json(),
        "partial": partial,
    }


def _plan(folder: Path, data: Path) -> tuple[CovgapPlan, float]:
    """covgap's plan with its default target (80%) or, when today is there already, 100%."""
    plan = plan_today(folder, data)
    percent = 100.0 * plan.covered_units / plan.total_units if plan.total_units else 100.0
    if percent < DEFAULT_TARGET:
        return plan, DEFAULT_TARGET
    return plan_today(folder, data, HIGH_TARGET), HIGH_TARGET


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    chosen = [p for p in PROJECTS if not args.project or p.name in args.project]
    testrisk = None
    if not args.no_testrisk:
        testrisk = ensure_testrisk(args.work, interpreter(args.testrisk_python))
    metas: dict[str, dict[str, Any]] = {}
    results: dict[str, dict[str, Any]] = {}
    for project in chosen:
        paths = Paths.of(args.work, project)
        meta = _measured(project, paths, args)
        folder, partial = meta.pop("folder"), meta.pop("partial")
        data = paths.data("partial")
        plan, target = _plan(folder, data)
        oracle = cached_oracle(
            paths.root / f"oracle-{args.unit}.json",
            folder,
            paths.data("full"),
            data,
            partial.files,
            args.unit,
        )
        peer, note = None, "not run (--no-testrisk)"
        if testrisk is not None:
            peer, note = testrisk_top(
                testrisk, paths.venv_python, folder, data, paths.root / "testrisk.json"
            )
        meta.update(target=target, covgap_version=plan.version)
        metas[project.name] = meta
        results[project.name] = evaluate(plan, oracle, peer, note)
    total = overall(results)
    print(render(metas, results, total))
    if args.json:
        document = {
            "format_version": FORMAT_VERSION,
            "unit": args.unit,
            "tools": list(TOOLS),
            "projects": {name: {**metas[name], **results[name]} for name in results},
            "overall": total,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        temporary = args.json.with_suffix(args.json.suffix + ".tmp")
        temporary.write_text(json.dumps(document, indent=1, default=str) + "\n")
        temporary.replace(args.json)
        print(f"Wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
