"""Validate covgap's risk order against defect history: do later bug fixes land in its top?

For each library (``PROJECTS``), at a release two to three years old:

1. a clone of the repository is checked out at the release (its history up to there is what
   covgap's churn sees);
2. a partial suite, every fourth test file (``test_*.py`` under the tests folder, sorted by
   path, the 1st, 5th, 9th…), runs under ``coverage run --branch --source=<package>`` with the
   release's package first on ``sys.path``; test failures do not matter;
3. covgap assesses the risk of every function with a gap, in process, with its default
   settings (``covgap.api.load`` and ``assess_risk``), as ``covgap plan`` would;
4. the functions later changed by bug-fix commits are found: every non-merge commit after the
   release (``git log <release>..<end>``, committed after the release's own date) whose
   message says it fixes something (``BUG_FIX`` below: ``fix``/``bug`` words or "closes /
   fixes / resolves #N", less ``NOT_A_FIX``: typos, docs, linters, typing, CI) and that
   changes the package's code; each changed line of the commit's parent (``git diff -U0``,
   old side; an insertion counts for the line before it) is mapped to the innermost function
   that holds it in the parent, by its qualified name (``Class.method``), and that name to the
   function of the same file and name at the release;
5. the population is the functions covgap ranks (those with a gap, outside the tests); the
   orders compared are covgap's risk order (risk score, high first), cyclomatic complexity
   alone (high first), each risk factor alone (for insight), and random. For each order and k in
   10/20/50: how many later-fixed functions are among the first k. Ties are broken at random,
   and the expected value is reported (so a coarse order gets no credit for luck); for random
   the expected value is k × fixed / population.

Run it (a venv whose python runs the libraries' suites, with pytest, coverage and the test
dependencies; this script itself runs with covgap importable, e.g. ``PYTHONPATH=src``)::

    python3 -m venv /tmp/riskeval/venv
    /tmp/riskeval/venv/bin/pip install pytest==9.2.0 coverage==7.18.0 cryptography freezegun
    PYTHONPATH=src python benchmarks/eval_risk_history.py --python /tmp/riskeval/venv/bin/python \\
        --work /tmp/riskeval/work [--repos DIR] [--only sqlparse] [--weights exposure=0.3,…]

``--repos DIR``: where clones of the repositories are (``DIR/<owner>+<name>/repo`` or
``DIR/<name>``); without it, each is cloned from GitHub into the work folder. ``--weights``
tries other risk weights (the config key ``risk-weights``) without changing covgap. The
measured coverage data is kept in the work folder and reused (``--fresh`` measures again).
Prints one table per library and a summary; writes ``<work>/results.json``. Exit status 0.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

#: A commit subject that says it fixes a bug.
BUG_FIX = re.compile(
    r"\b(fix(e[sd])?|fixing|bug(s|fix)?|regression|crash(es)?)\b"
    r"|\b(close[sd]?|fixe?[sd]?|resolve[sd]?)\s+(issue\s*)?#\d+"
    r"|\bissue[\s_]*#?\d+",
    re.IGNORECASE,
)
#: A commit body that names the issue it fixes.
ISSUE_FIXED = re.compile(r"\b(fixe?[sd]?|close[sd]?|resolve[sd]?)\s+(issue\s*)?#\d+", re.IGNORECASE)
#: …unless it is about something other than the code's behaviour.
NOT_A_FIX = re.compile(
    r"\b(typos?|docs?|documentation|docstrings?|changelog|readme|lint|linter|flake8|ruff|mypy"
    r"|pyright|typing|type hints?|annotations?|pre-commit|ci|tox|workflow|spelling|grammar"
    r"|formatting|style|test suite|tests?|type coverage|variance)\b",
    re.IGNORECASE,
)
#: The top-k cut-offs reported.
TOPS = (10, 20, 50)


@dataclass(frozen=True)
class Project:
    name: str
    repo: str  # owner/name on GitHub
    release: str  # the tag of the release assessed
    package: str  # the package folder, relative to the repository root
    tests: str = "tests"
    #: Folder to put first on sys.path (the release's package, not an installed one).
    path_root: str = "."
    #: Extra pytest arguments.
    pytest_args: tuple[str, ...] = ()


PROJECTS = (
    # A SQL parser and formatter: every function handles tokens (the "token" case).
    Project("sqlparse", "andialbrecht/sqlparse", "0.4.4", "sqlparse"),
    # JSON Web Tokens: HMAC, RSA and EC signatures, claims validation.
    Project("pyjwt", "jpadilla/pyjwt", "2.8.0", "jwt"),
    # A command-line interface toolkit: parsing, terminal I/O, shells out to pagers and editors.
    Project("click", "pallets/click", "8.1.7", "src/click", path_root="src"),
    # A WSGI toolkit: routing, HTTP parsing, password hashing, the debugger, a dev server.
    Project(
        "werkzeug",
        "pallets/werkzeug",
        "3.0.1",
        "src/werkzeug",
        path_root="src",
        pytest_args=("-p", "no:randomly", "--timeout=60"),
    ),
)


def run(cmd: Sequence[str], cwd: Path, **kwargs: Any) -> str:
    done = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0 and kwargs.get("check_errors", True):
        pass
    return done.stdout


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


# -- the checkout and the measured partial suite ---------------------------------------------


def checkout(project: Project, work: Path, repos: Path | None) -> Path:
    """A clone of the repository at the release (history up to it), in ``work``."""
    target = work / project.name
    if (target / ".git").exists():
        return target
    source: str
    if repos is not None:
        owner, name = project.repo.split("/")
        candidates = [repos / f"{owner}+{name}" / "repo", repos / name, repos / project.name]
        found = next((c for c in candidates if c.exists()), None)
        if found is None:
            raise SystemExit(f"{project.name}: no clone under {repos}")
        source = str(found)
    else:
        source = f"https://github.com/{project.repo}.git"
    subprocess.run(["git", "clone", "--quiet", source, str(target)], check=True)
    subprocess.run(["git", "-C", str(target), "checkout", "--quiet", project.release], check=True)
    return target


def partial_tests(tree: Path, project: Project) -> list[str]:
    files = sorted(
        p.relative_to(tree).as_posix() for p in (tree / project.tests).rglob("test_*.py")
    )
    return files[::4]


def measure(project: Project, tree: Path, python: str, fresh: bool) -> list[str]:
    """Run the partial suite under coverage (unless its data is there already)."""
    chosen = partial_tests(tree, project)
    data = tree / ".coverage"
    if data.exists() and not fresh:
        return chosen
    data.unlink(missing_ok=True)
    env_path = str(tree / project.path_root)
    rcfile = tree / ".covgap-eval.coveragerc"
    rcfile.write_text(f"[run]\nbranch = True\nsource = {project.package}\n")
    subprocess.run(
        [
            python,
            "-m",
            "coverage",
            "run",
            f"--rcfile={rcfile}",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-x" if False else "-q",
            *project.pytest_args,
            *chosen,
        ],
        cwd=tree,
        env={**_clean_env(), "PYTHONPATH": env_path},
        capture_output=True,
        text=True,
        check=False,
    )
    # covgap reads the coverage configuration of the project: keep ours beside the data.
    (tree / ".coveragerc").write_text(rcfile.read_text())
    return chosen


def _clean_env() -> dict[str, str]:
    import os

    return {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COVERAGE_PROCESS_START")
    }


# -- covgap's assessment ---------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    path: str
    name: str
    risk: float
    complexity: int
    factors: dict[str, float]
    gap: int
    #: CRAP's score, measured even when its weight leaves it out of the risk.
    crap: float


def assess(
    tree: Path, weights: dict[str, float] | None, churn_window: str | None = None
) -> list[Ranked]:
    """covgap's risk of every function with a gap (not test code), with its defaults."""
    from covgap.analyze.placement import is_test_module
    from covgap.analyze.risk import CRAP_HALF, crap_score
    from covgap.api import assess_risk, load
    from covgap.config import Settings

    settings = Settings(cache=False, data_file=tree / ".coverage")
    if weights:
        known = dict(settings.risk_weights)
        known.update(weights)
        settings = replace(settings, risk_weights=tuple(known.items()))
    if churn_window:
        settings = replace(settings, churn_window=churn_window)
    project = load(tree, settings)
    assessments, _info = assess_risk(tree, project, settings)
    by_region = {(f.path, r.start_line, r.name): r for f in project.files for r in f.regions}
    ranked = []
    for (path, start, name), assessment in assessments.items():
        region = by_region[(path, start, name)]
        if region.kind != "function" or is_test_module(path):
            continue
        ranked.append(
            Ranked(
                path,
                name,
                assessment.risk.score,
                assessment.complexity or 1,
                {f.name: f.score for f in assessment.risk.factors},
                region.numbers.gap,
                _saturating(
                    crap_score(assessment.complexity or 1, float(region.numbers.ratio)) - 1,
                    CRAP_HALF,
                ),
            )
        )
    return ranked


def _saturating(value: float, half: float) -> float:
    return value / (value + half)


# -- functions changed by later bug fixes ----------------------------------------------------


def function_spans(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function, named as coverage.py's
    regions are (``Class.method``, ``outer.inner``), decorators included in the span."""
    spans: list[tuple[int, int, str]] = []

    def visit(body: Sequence[ast.stmt], names: list[str]) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qualified = [*names, node.name]
                if not isinstance(node, ast.ClassDef):
                    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                    spans.append((first, node.end_lineno or node.lineno, ".".join(qualified)))
                visit(node.body, qualified)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    inner = getattr(node, field, None)
                    if isinstance(inner, list):
                        visit([n for n in inner if isinstance(n, ast.stmt)], names)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body, names)

    try:
        visit(ast.parse(source).body, [])
    except SyntaxError:
        return []
    return spans


def innermost(spans: list[tuple[int, int, str]], line: int, *, inside: bool = False) -> str | None:
    """The innermost function holding ``line`` (strictly before its last line with ``inside``)."""
    best: tuple[int, str] | None = None
    for first, last, name in spans:
        held = first <= line <= last and not (inside and line == last)
        if held and (best is None or last - first < best[0]):
            best = (last - first, name)
    return best[1] if best else None


@dataclass(frozen=True)
class Fix:
    commit: str
    subject: str
    functions: tuple[tuple[str, str], ...]


def bug_fixes(tree: Path, project: Project, end: str) -> list[Fix]:
    """The later bug-fix commits and the functions (path, name at the parent) each changed."""
    release_date = git(tree, "log", "-1", "--format=%ct", project.release).strip()
    log = git(
        tree,
        "log",
        "--no-merges",
        f"--since={release_date}",
        "--format=%H%x00%s%x00%b%x01",
        f"{project.release}..{end}",
        "--",
        project.package,
    )
    fixes = []
    for entry in log.split("\x01"):
        if not entry.strip():
            continue
        commit, subject, body = entry.strip("\n").split("\x00")
        if not (BUG_FIX.search(subject) or ISSUE_FIXED.search(body)) or NOT_A_FIX.search(subject):
            continue
        changed = set(_changed_functions(tree, project, commit))
        if changed:
            fixes.append(Fix(commit[:10], subject, tuple(sorted(changed))))
    return fixes


def _changed_functions(tree: Path, project: Project, commit: str) -> Iterator[tuple[str, str]]:
    diff = git(
        tree,
        "diff",
        "-U0",
        "--no-renames",
        f"{commit}^",
        commit,
        "--",
        f"{project.package}/*.py",
        f"{project.package}/**/*.py",
    )
    path: str | None = None
    spans: list[tuple[int, int, str]] = []
    for line in diff.splitlines():
        if line.startswith("--- "):
            old = line[4:]
            path = old[2:] if old.startswith("a/") else None
            spans = []
            if path is not None:
                try:
                    spans = function_spans(git(tree, "show", f"{commit}^:{path}"))
                except subprocess.CalledProcessError:
                    spans = []
        elif line.startswith("@@") and path is not None:
            match = re.match(r"@@ -(\d+)(?:,(\d+))? ", line)
            if not match:
                continue
            start, count = int(match.group(1)), int(match.group(2) or "1")
            if count == 0:  # an insertion after line `start`
                name = innermost(spans, start, inside=True)
                if name:
                    yield path, name
                continue
            for changed in range(start, start + count):
                name = innermost(spans, changed)
                if name:
                    yield path, name


# -- the comparison --------------------------------------------------------------------------


def expected_hits(scores: list[tuple[float, bool]], k: int) -> float:
    """Hits among the first ``k`` when sorted by score (high first), ties broken at random:
    the expected value (the tied group at the cut counts in proportion)."""
    groups: dict[float, list[bool]] = {}
    for score, hit in scores:
        groups.setdefault(score, []).append(hit)
    taken, hits = 0, 0.0
    for score in sorted(groups, reverse=True):
        group = groups[score]
        room = k - taken
        if room <= 0:
            break
        if len(group) <= room:
            hits += sum(group)
            taken += len(group)
        else:
            hits += sum(group) * room / len(group)
            taken = k
    return hits


def evaluate(ranked: list[Ranked], fixed: set[tuple[str, str]]) -> dict[str, Any]:
    population = len(ranked)
    hits = [(r.path, r.name) in fixed for r in ranked]
    in_population = sum(hits)
    orders: dict[str, list[float]] = {
        "covgap risk": [r.risk for r in ranked],
        "complexity alone": [float(r.complexity) for r in ranked],
    }
    for factor in ("criticality", "exposure", "churn"):
        orders[f"{factor} alone"] = [r.factors.get(factor, 0.0) for r in ranked]
    orders["crap alone"] = [r.crap for r in ranked]
    orders["missing units alone"] = [float(r.gap) for r in ranked]
    table: dict[str, dict[int, float]] = {}
    for label, scores in orders.items():
        paired = list(zip(scores, hits, strict=True))
        table[label] = {k: expected_hits(paired, k) for k in TOPS}
    table["random (expected)"] = {
        k: (min(k, population) * in_population / population if population else 0.0) for k in TOPS
    }
    return {"population": population, "fixed_in_population": in_population, "table": table}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="runs the libraries' suites")
    parser.add_argument("--work", type=Path, default=Path("/tmp/covgap-risk-eval"))
    parser.add_argument("--repos", type=Path, default=None)
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--weights", default="", help="factor=weight,… (risk-weights)")
    parser.add_argument("--churn-window", default=None, help="churn-window, e.g. '365 days'")
    parser.add_argument("--fresh", action="store_true", help="measure the suites again")
    parser.add_argument("--show", type=int, default=0, help="list the top N of covgap's order")
    args = parser.parse_args(argv)
    weights = {
        name: float(value)
        for name, _, value in (part.partition("=") for part in args.weights.split(",") if part)
    }
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    for project in PROJECTS:
        if args.only and project.name not in args.only:
            continue
        tree = checkout(project, args.work, args.repos)
        end = git(tree, "rev-parse", "origin/HEAD").strip() if _has_origin_head(tree) else "HEAD"
        chosen = measure(project, tree, args.python, args.fresh)
        ranked = assess(tree, weights, args.churn_window)
        fixes = bug_fixes(tree, project, end)
        fixed = {f for fix in fixes for f in fix.functions}
        outcome = evaluate(ranked, fixed)
        outcome.update(
            release=project.release,
            test_files_run=len(chosen),
            fix_commits=len(fixes),
            fixed_functions=len(fixed),
        )
        results[project.name] = outcome
        _print(project, outcome)
        if args.show:
            by_risk = sorted(ranked, key=lambda r: -r.risk)[: args.show]
            for i, r in enumerate(by_risk, 1):
                mark = "FIXED" if (r.path, r.name) in fixed else ""
                factors = " ".join(f"{k[:4]}={v:.2f}" for k, v in r.factors.items())
                print(
                    f"  {i:3} {r.risk:.3f} cc={r.complexity:3} {r.path}::{r.name} {factors} {mark}"
                )
    (args.work / "results.json").write_text(json.dumps(results, indent=2))
    return 0


def _has_origin_head(tree: Path) -> bool:
    done = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--verify", "-q", "origin/HEAD"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _print(project: Project, outcome: dict[str, Any]) -> None:
    print(
        f"\n{project.name} {project.release}: {outcome['test_files_run']} test files run, "
        f"{outcome['population']} functions ranked, {outcome['fix_commits']} bug-fix commits "
        f"changed {outcome['fixed_functions']} functions, {outcome['fixed_in_population']} of "
        "them ranked"
    )
    print(f"  {'order':<22}" + "".join(f"{'top ' + str(k):>9}" for k in TOPS))
    for label, row in outcome["table"].items():
        print(f"  {label:<22}" + "".join(f"{row[k]:>9.1f}" for k in TOPS))


if __name__ == "__main__":
    random.seed(0)
    sys.exit(main())
