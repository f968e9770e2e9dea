"""Does ``covgap draft`` keep what it says on real projects? Checked with their own suites.

For each project (``draft/projects.py``: sdists from the package index, pinned):

1. the sdist is unpacked into ``<work>/NAME/project``, committed to a new git repository
   (``.venv/`` and ``.covgap/`` excluded in ``.git/info/exclude``, not in the project's files),
   and given a ``.venv`` (pinned pytest, coverage.py, crosshair-tool, hypothesis[ghostwriter],
   black, pytest-randomly; the project ``pip install -e``); what installing changed (an
   egg-info's file list) is a second commit, so the tree is clean;
2. the partial suite is measured: ``covgap run --no-record -- PARTIAL`` (reports outside the
   project, in ``<work>/NAME/report``);
3. ``covgap draft --top 5 --format json`` (the default engines: crosshair, hypothesis,
   skeleton; pynguin too with ``--pynguin``), timed;
4. four checks with the benchmark's own commands, never covgap's word:
   (a) ``git status --porcelain`` names only new ``*_generated*.py`` / ``*_todo*.py`` files
   (and ``--ignored`` shows nothing new either);
   (b) the generated files alone, ``pytest -p randomly --randomly-seed=N`` for N = 1..10: each
   kept test passes 10 of 10, and the files hold exactly the tests covgap listed;
   (c) the whole suite with the written files and without them, seeds 1..3: no test fails
   only with them;
   (d) coverage.py's total of the partial suite and the generated files in one run, with
   covgap run's rcfile (``.covgap/run/coverage.rc``; data_file elsewhere, parallel off), equals
   covgap draft's ``after.percent_covered`` (and its four counts);
5. a Markdown report (per project: the funnel per engine beside TestGen-LLM at Meta's
   75/57/25%, coverage before → after and per function, the checks with their numbers, the
   findings with a "real bug?" column left for a person), and ``--json PATH`` with everything.

Every run starts from the committed tree (``git clean``; covgap's folder removed); the
sdists, repositories and venvs are kept under ``--work`` (default ``<tempdir>/bench/draft``).
covgap is this tree's: ``--covgap-python`` (default ``.ci/venv/bin/python``) runs
``-m covgap``.

Run::

    .ci/venv/bin/python benchmarks/bench_draft.py --json /tmp/bench/draft.json
    .ci/venv/bin/python benchmarks/bench_draft.py --project titlecase --pynguin
    .ci/venv/bin/python benchmarks/bench_draft.py --from-json /tmp/bench/draft.json  # tables

Exit 0 when every command ran and every check held; else 1, the last line naming what failed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from draft.checks import (
    check_coverage,
    check_git_status,
    check_repeated,
    check_with_suite,
    parse_summary,
)
from draft.prepare import Paths, clean_env, git, prepare, reset, run_logged
from draft.projects import META, PROJECTS, TOOLS, Project
from draft.report import CHECKS, render

#: The JSON's layout; bump on a change of meaning.
FORMAT_VERSION = 1
TREE = Path(__file__).resolve().parents[1]
#: ``covgap draft``'s default engines, named when pynguin is added.
DEFAULT_ENGINES = ("crosshair", "hypothesis", "skeleton")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "bench" / "draft"
    )
    parser.add_argument("--project", action="append", choices=[p.name for p in PROJECTS])
    parser.add_argument("--json", type=Path, help="write everything here")
    parser.add_argument("--pynguin", action="store_true", help="add --engine pynguin")
    parser.add_argument(
        "--covgap-python",
        default=str(TREE / ".ci" / "venv" / "bin" / "python"),
        help="runs -m covgap (default: this tree's .ci/venv)",
    )
    parser.add_argument("--python", default="python3", help="makes the projects' venvs")
    parser.add_argument("--repeat", type=int, default=10, help="runs of check (b) (seeds 1..N)")
    parser.add_argument("--suite-seeds", type=int, default=3, help="seeds of check (c)")
    parser.add_argument(
        "--from-json", type=Path, help="run nothing: print the tables of a JSON written before"
    )
    return parser.parse_args(argv)


def _covgap_identity(python: str) -> dict[str, Any]:
    """Which covgap runs: its version, where it is imported from, this tree's commit."""
    done = subprocess.run(
        [python, "-c", "import covgap, sys; print(covgap.__version__); print(covgap.__file__)"],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{python} cannot import covgap: {done.stderr.strip()[-300:]}")
    version, where = done.stdout.split("\n")[:2]
    commit = subprocess.run(
        ["git", "-C", str(TREE), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(TREE), "status", "--porcelain", "--untracked-files=no", "--", "src"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    from_tree = Path(where).resolve().is_relative_to(TREE / "src")
    if not from_tree:
        print(f"warning: {python} imports covgap from {where}, not this tree", file=sys.stderr)
    return {
        "python": python,
        "version": version,
        "imported_from": where,
        "from_this_tree": from_tree,
        "commit": commit,
        "src_changed": bool(dirty),
    }


def _covgap_run(project: Project, paths: Paths, covgap: list[str]) -> dict[str, Any]:
    """The partial suite measured by ``covgap run``; its plan's total."""
    log = paths.logs / "covgap-run.log"
    log.unlink(missing_ok=True)
    command = [*covgap, "run", "--no-record", "--format", "json", "--output", str(paths.report)]
    command += ["--", *project.partial]
    started = time.perf_counter()
    done = run_logged(command, log, cwd=paths.project, timeout=1800)
    seconds = time.perf_counter() - started
    plan = json.loads((paths.report / "plan.json").read_text())
    pytest_log = paths.project / ".covgap" / "run" / "pytest.log"
    summary = parse_summary(pytest_log.read_text()) if pytest_log.is_file() else {}
    return {
        "command": shlex.join(command),
        "exit_code": done.returncode,
        "seconds": round(seconds, 2),
        "counts": summary,
        "summary": ", ".join(f"{n} {k}" for k, n in summary.items()) or "no summary line",
        "totals": plan["totals"],
    }


def _covgap_draft(paths: Paths, covgap: list[str], engines: list[str]) -> dict[str, Any]:
    """``covgap draft --top 5 --format json``, timed; its JSON."""
    log = paths.logs / "covgap-draft.log"
    log.unlink(missing_ok=True)
    command = [*covgap, "draft", "--top", "5", "--format", "json"]
    command += [word for name in engines for word in ("--engine", name)]
    started = time.perf_counter()
    done = run_logged(command, log, cwd=paths.project, timeout=3600)
    seconds = time.perf_counter() - started
    return {
        "command": shlex.join(command),
        "exit_code": done.returncode,
        "seconds": round(seconds, 2),
        "engines": engines or list(DEFAULT_ENGINES),
        "result": json.loads(done.stdout),
    }


def _kept_ids(result: dict[str, Any]) -> list[str]:
    """``path::name`` of every test covgap says it wrote to a kept-tests file."""
    return [
        f"{file['path']}::{name}"
        for file in result["files"]
        if not file["skeleton"]
        for name in file["tests"]
    ]


def run_project(project: Project, args: argparse.Namespace, covgap: list[str]) -> dict[str, Any]:
    paths = Paths.of(args.work, project)
    print(f"{project.name}: setting up in {paths.root}…", file=sys.stderr)
    prepare(project, paths, args.python)
    reset(paths)
    print(f"{project.name}: covgap run -- {' '.join(project.partial)}", file=sys.stderr)
    run = _covgap_run(project, paths, covgap)
    log = paths.logs / "check-a.log"
    log.unlink(missing_ok=True)
    baseline = git(paths.project, "status", "--porcelain", "--untracked-files=all", log=log)
    baseline_ignored = git(paths.project, "status", "--porcelain", "--ignored", log=log)
    engines = [*DEFAULT_ENGINES, "pynguin"] if args.pynguin else []
    print(f"{project.name}: covgap draft --top 5…", file=sys.stderr)
    draft = _covgap_draft(paths, covgap, engines)
    result = draft["result"]
    checks: dict[str, Any] = {}
    print(f"{project.name}: checks (a) to (d)…", file=sys.stderr)
    checks["a"] = check_git_status(paths, baseline, baseline_ignored)
    generated = [f["path"] for f in result["files"] if not f["skeleton"]]
    written = [f["path"] for f in result["files"]]
    checks["b"] = check_repeated(paths, generated, _kept_ids(result), range(1, args.repeat + 1))
    checks["c"] = check_with_suite(paths, project.suite, written, range(1, args.suite_seeds + 1))
    after = result["after"] if generated else result["before"]
    checks["d"] = check_coverage(paths, project.partial, generated, after)
    return {
        "name": project.name,
        "version": project.version,
        "partial": list(project.partial),
        "suite": list(project.suite),
        "work": str(paths.root),
        "run": run,
        "draft": draft,
        "checks": checks,
        "failures": [
            f"{project.name} ({key}): {problem}"
            for key, _ in CHECKS
            for problem in checks[key]["problems"]
        ],
    }


def _header(identity: dict[str, Any], args: argparse.Namespace) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return "\n".join(
        [
            "# covgap draft against the projects' own suites",
            "",
            f"{datetime.date.today().isoformat()}, covgap {identity['version']} "
            f"(commit {identity['commit']}{', src changed' if identity['src_changed'] else ''}), "
            f"Python {platform.python_version()} (covgap), {os.cpu_count()} cores, "
            f"load {load:.1f} at the start; projects' tools: {', '.join(TOOLS)}.",
            f"Check (b): {args.repeat} runs; check (c): seeds 1–{args.suite_seeds}. "
            f"TestGen-LLM at Meta: {META['built']:.0f}% built, {META['passed']:.0f}% passed, "
            f"{META['kept']:.0f}% kept.",
        ]
    )


def _from_json(path: Path) -> int:
    """The tables of a run written with ``--json``, and its exit code."""
    document = json.loads(path.read_text())
    identity, records = document["covgap"], list(document["projects"].values())
    header = [
        "# covgap draft against the projects' own suites",
        "",
        f"{document['date']}, covgap {identity['version']} (commit {identity['commit']}); "
        f"projects' tools: {', '.join(document['tools'])}.",
    ]
    print(render(records, "\n".join(header)))
    if document["failures"]:
        print(f"bench_draft: FAILED: {'; '.join(document['failures'])}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.from_json:
        return _from_json(args.from_json)
    args.work = args.work.resolve()
    identity = _covgap_identity(args.covgap_python)
    covgap = [args.covgap_python, "-m", "covgap"]
    chosen = [p for p in PROJECTS if not args.project or p.name in args.project]
    records: list[dict[str, Any]] = []
    errors: list[str] = []
    for project in chosen:
        try:
            records.append(run_project(project, args, covgap))
        except (SystemExit, subprocess.TimeoutExpired, json.JSONDecodeError) as error:
            errors.append(f"{project.name}: {error}")
            print(f"{project.name}: {error}", file=sys.stderr)
    print(render(records, _header(identity, args)))
    failures = [line for record in records for line in record["failures"]] + errors
    if args.json:
        document = {
            "format_version": FORMAT_VERSION,
            "date": datetime.date.today().isoformat(),
            "covgap": identity,
            "tools": list(TOOLS),
            "meta_testgen_llm": META,
            "projects": {record["name"]: record for record in records},
            "errors": errors,
            "failures": failures,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        temporary = args.json.with_suffix(args.json.suffix + ".tmp")
        temporary.write_text(json.dumps(document, indent=1, default=str) + "\n")
        temporary.replace(args.json)
        print(f"Wrote {args.json}", file=sys.stderr)
    if failures:
        print(f"bench_draft: FAILED: {'; '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
