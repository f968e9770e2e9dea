"""What the benchmark verifies after ``covgap draft``, with commands of its own: git, pytest and
coverage.py, never covgap's word. Each check is a dict: ``ok``, its numbers, one line saying
what it found (``summary``), and what failed (``problems``)."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath
from typing import Any

from draft.prepare import Paths, clean_env, git, run_logged

__all__ = [
    "PytestRun",
    "check_coverage",
    "check_git_status",
    "check_repeated",
    "check_with_suite",
    "classify_status",
    "collected_ids",
    "parse_outcomes",
    "parse_summary",
    "rewrite_rcfile",
    "status_entries",
]

#: A line of pytest's short summary with ``-rA``: "PASSED tests/t.py::test_a[x y]",
#: "FAILED tests/t.py::test_b - AssertionError: ...", "ERROR tests/t.py - ImportError: ...",
#: "SUBFAILED(<subtest>) tests/t.py::T::test_c" (a failed ``subTest`` of a test pytest then
#: lists as PASSED). The node id ends at " - " (the message) or at the line's end; a parameter
#: id in brackets may hold spaces. SKIPPED lines name a location, not a test, and are not read.
_OUTCOME = re.compile(
    r"^(PASSED|FAILED|ERROR|XFAIL|XPASS|SUBPASSED|SUBFAILED|SUBSKIPPED)(?:\(.*?\))? "
    r"(\S+?(?:\[.*?\])?)(?= - |$)"
)
#: A count in pytest's closing line: "1 failed, 33 passed, 2 warnings in 1.70s".
_COUNT = re.compile(
    r"(\d+) ((?:subtests )?(?:passed|failed|errors?|skipped|deselected|xfailed|xpassed|warnings?))"
)
_CLOSING = re.compile(r"^=*\s*(?:no tests ran|\d+ \w+.*) in [\d.]+s(?: \([\d:]+\))?\s*=*$")

#: The files covgap draft writes: kept tests and starter tests (``test_x_generated_2.py``).
GENERATED = ("*_generated.py", "*_generated_[0-9]*.py")
TODO = ("*_todo.py", "*_todo_[0-9]*.py")


def parse_outcomes(output: str) -> dict[str, str]:
    """Each test's outcome from pytest's ``-rA`` short summary: node id → PASSED, FAILED,
    ERROR, XFAIL or XPASS. A failure wins: a test with an error in its teardown after it
    passed is ERROR, a test with a failed subtest is FAILED."""
    outcomes: dict[str, str] = {}
    for line in output.splitlines():
        found = _OUTCOME.match(line)
        if found is None:
            continue
        outcome, nodeid = found.groups()
        if outcome == "SUBFAILED":
            outcome = "FAILED"
        elif outcome.startswith("SUB"):  # a subtest that passed or was skipped says nothing
            outcomes.setdefault(nodeid, "PASSED")
            continue
        if outcomes.get(nodeid) in ("FAILED", "ERROR"):
            continue
        outcomes[nodeid] = outcome
    return outcomes


def parse_summary(output: str) -> dict[str, int]:
    """The counts of pytest's closing line ("2 failed, 33 passed in 1.70s" → failed 2,
    passed 33); "error" and "warning" counted as their plurals. Empty when there is none."""
    closing = [line for line in output.splitlines() if _CLOSING.match(line.strip())]
    if not closing:
        return {}
    counts: dict[str, int] = {}
    for number, word in _COUNT.findall(closing[-1]):
        key = {"error": "errors", "warning": "warnings"}.get(word, word)
        counts[key] = counts.get(key, 0) + int(number)
    return counts


def collected_ids(output: str) -> list[str]:
    """The node ids ``pytest --collect-only -q`` lists (one a line, before the blank line)."""
    ids: list[str] = []
    for line in output.splitlines():
        if not line.strip():
            break
        if "::" in line:
            ids.append(line.strip())
    return ids


@dataclass(frozen=True)
class PytestRun:
    """One pytest run: its command, exit code, outcome per test and closing counts."""

    command: tuple[str, ...]
    exit_code: int
    outcomes: Mapping[str, str]
    counts: Mapping[str, int]

    @property
    def failing(self) -> frozenset[str]:
        return frozenset(n for n, o in self.outcomes.items() if o in ("FAILED", "ERROR"))

    def to_json(self) -> dict[str, Any]:
        return {
            "command": shlex.join(self.command),
            "exit_code": self.exit_code,
            "counts": dict(self.counts),
            "failing": sorted(self.failing),
        }


def _pytest(paths: Paths) -> list[str]:
    """pytest in the project's venv, its cache off (nothing written into the project)."""
    return [str(paths.python), "-m", "pytest", "-p", "no:cacheprovider"]


def run_pytest(
    paths: Paths, args: Sequence[str], log: Path, *, seed: int | None = None
) -> PytestRun:
    """pytest in the project's venv and folder; in pytest-randomly's order of ``seed``, or in
    file order (randomly off) when None."""
    order = ["-p", "no:randomly"] if seed is None else ["-p", "randomly", f"--randomly-seed={seed}"]
    command = [*_pytest(paths), "-rA", *order, *args]
    # a fixed hash seed: parameter ids made from a set's order stay the same between runs
    env = clean_env(PYTHONHASHSEED="0")
    done = run_logged(command, log, cwd=paths.project, env=env, timeout=1800, check=False)
    output = done.stdout + done.stderr
    return PytestRun(tuple(command), done.returncode, parse_outcomes(output), parse_summary(output))


def status_entries(porcelain: str) -> list[tuple[str, str]]:
    """``git status --porcelain`` as (the two-letter code, path) pairs."""
    entries = []
    for line in porcelain.splitlines():
        if len(line) > 3:
            entries.append((line[:2], line[3:].strip().strip('"')))
    return entries


def _matches(path: str, patterns: Iterable[str]) -> bool:
    name = PurePosixPath(path).name
    return any(fnmatch(name, pattern) for pattern in patterns)


def classify_status(now: str, ignored: str, baseline: str, baseline_ignored: str) -> dict[str, Any]:
    """Check (a) from ``git status`` texts: ``now`` (``--porcelain --untracked-files=all``
    after covgap draft), ``ignored`` (``--porcelain --ignored`` after it), and the same two
    before it. Only new ``*_generated*.py`` / ``*_todo*.py`` files may appear."""
    generated, todo, other = [], [], []
    for code, path in status_entries(now):
        if code == "??" and _matches(path, GENERATED):
            generated.append(path)
        elif code == "??" and _matches(path, TODO):
            todo.append(path)
        else:
            other.append(f"{code} {path}")
    before = set(status_entries(baseline))
    earlier = set(status_entries(baseline_ignored))
    new_ignored = [
        f"{code} {path}"
        for code, path in status_entries(ignored)
        if code == "!!" and (code, path) not in earlier
    ]
    problems = []
    if before:
        problems.append(f"the tree was not clean before covgap draft: {sorted(before)}")
    if other:
        problems.append(f"{len(other)} other change(s): {', '.join(other[:5])}")
    if new_ignored:
        problems.append(f"{len(new_ignored)} new ignored path(s): {', '.join(new_ignored[:5])}")
    return {
        "ok": not problems,
        "generated_files": sorted(generated),
        "todo_files": sorted(todo),
        "other_changes": other,
        "new_ignored": new_ignored,
        "summary": (
            f"{len(generated)} new *_generated file(s), {len(todo)} new *_todo file(s), "
            f"{len(other)} other change(s), {len(new_ignored)} new ignored path(s)"
        ),
        "problems": problems,
    }


def check_git_status(paths: Paths, baseline: str, baseline_ignored: str) -> dict[str, Any]:
    """(a) After covgap draft, ``git status`` names new ``*_generated*.py`` / ``*_todo*.py``
    files and nothing else: no file modified or deleted, no other new file, no new ignored
    file or folder (``--ignored``: what the project's .gitignore hides, ``.venv`` and
    ``.covgap`` by the benchmark's exclude) beside those the run before it left."""
    log = paths.logs / "check-a.log"
    now = git(paths.project, "status", "--porcelain", "--untracked-files=all", log=log)
    ignored = git(paths.project, "status", "--porcelain", "--ignored", log=log)
    return {
        **classify_status(now, ignored, baseline, baseline_ignored),
        "git_status": now.splitlines(),
    }


def check_repeated(
    paths: Paths, files: Sequence[str], expected: Sequence[str], seeds: Sequence[int]
) -> dict[str, Any]:
    """(b) The generated files alone, once per seed in pytest-randomly's order: every kept test
    (``expected``, ``path::name`` as covgap's JSON lists them) passes in every run, and the
    files hold no test covgap did not list."""
    log = paths.logs / "check-b.log"
    log.unlink(missing_ok=True)
    if not files:  # pytest without a file would run the whole suite
        return {
            "ok": not expected,
            "seeds": list(seeds),
            "tests": 0,
            "kept_listed": len(expected),
            "passed_every_run": 0,
            "passes": {},
            "runs": [],
            "summary": "no generated file: nothing to run",
            "problems": [f"{len(expected)} kept test(s) but no file"] if expected else [],
        }
    passes: dict[str, int] = {}
    runs = []
    for seed in seeds:
        run = run_pytest(paths, files, log, seed=seed)
        runs.append({"seed": seed, **run.to_json()})
        for nodeid, outcome in run.outcomes.items():
            passes[nodeid] = passes.get(nodeid, 0) + (outcome == "PASSED")
    want = set(expected)
    seen = set(passes)
    not_always = {n: p for n, p in sorted(passes.items()) if p < len(seeds)}
    problems = []
    if not_always:
        problems.append(
            f"{len(not_always)} test(s) passed fewer than {len(seeds)} of {len(seeds)} runs: "
            + ", ".join(f"{n} {p}/{len(seeds)}" for n, p in list(not_always.items())[:5])
        )
    if want - seen:
        problems.append(f"{len(want - seen)} kept test(s) not run: {sorted(want - seen)[:5]}")
    if seen - want:
        problems.append(
            f"{len(seen - want)} test(s) covgap did not list: {sorted(seen - want)[:5]}"
        )
    always = sum(1 for p in passes.values() if p == len(seeds))
    return {
        "ok": not problems,
        "seeds": list(seeds),
        "tests": len(seen),
        "kept_listed": len(want),
        "passed_every_run": always,
        "passes": passes,
        "runs": runs,
        "summary": (
            f"{always} of {len(seen)} test(s) passed {len(seeds)}/{len(seeds)} runs "
            f"(covgap lists {len(want)} kept)"
        ),
        "problems": problems,
    }


def check_with_suite(
    paths: Paths, suite: Sequence[str], written: Sequence[str], seeds: Sequence[int]
) -> dict[str, Any]:
    """(c) The whole suite with the written files and without them, with the same seeds: the
    tests that fail only with them (the suite's own tests, and the generated ones)."""
    log = paths.logs / "check-c.log"
    log.unlink(missing_ok=True)
    ignore = [f"--ignore={path}" for path in written]
    rows: list[dict[str, Any]] = []
    problems = []
    for seed in seeds:
        alone = run_pytest(paths, [*suite, *ignore], log, seed=seed)
        together = run_pytest(paths, [*suite, *written], log, seed=seed)
        only_with = sorted(together.failing - alone.failing)
        rows.append(
            {
                "seed": seed,
                "alone": alone.to_json(),
                "with": together.to_json(),
                "tests_alone": len(alone.outcomes),
                "tests_with": len(together.outcomes),
                "failing_alone": len(alone.failing),
                "failing_with": len(together.failing),
                "failing_only_with": only_with,
            }
        )
        if only_with:
            problems.append(f"seed {seed}: {len(only_with)} fail only with them: {only_with[:5]}")
        for name, run in (("alone", alone), ("with", together)):
            if run.exit_code not in (0, 1) or not run.outcomes:
                problems.append(f"seed {seed}, suite {name}: pytest exit {run.exit_code}")
    only = sum(len(r["failing_only_with"]) for r in rows)
    return {
        "ok": not problems,
        "seeds": list(seeds),
        "rows": rows,
        "failing_only_with": only,
        "summary": (
            "seeds "
            + ", ".join(str(s) for s in seeds)
            + ": tests "
            + "/".join(f"{r['tests_alone']}→{r['tests_with']}" for r in rows)
            + ", failing alone "
            + "/".join(str(r["failing_alone"]) for r in rows)
            + ", with "
            + "/".join(str(r["failing_with"]) for r in rows)
            + f"; failing only with the generated files: {only}"
        ),
        "problems": problems,
    }


_RUN_SECTIONS = ("run", "coverage:run", "tool.coverage.run")


def rewrite_rcfile(text: str, data_file: str, *, toml: bool) -> str:
    """covgap run's rcfile (INI or TOML) with another ``data_file`` and ``parallel`` off, all
    else as it was. (coverage.py turns ``parallel`` back on when ``patch`` has ``subprocess``,
    as covgap run's has: the check combines the data files then.)"""
    values = {
        "data_file": json.dumps(data_file) if toml else data_file,
        "parallel": "false",
    }
    out: list[str] = []
    section = ""
    done: set[str] = set()

    def close() -> None:
        if section in _RUN_SECTIONS:
            out.extend(f"{key} = {value}" for key, value in values.items() if key not in done)
            done.update(values)

    for line in text.splitlines():
        header = re.fullmatch(r"\s*\[([^\]]+)\]\s*", line)
        if header is not None:
            close()
            section = header.group(1).strip()
        elif section in _RUN_SECTIONS:
            option = re.match(r"\s*(data_file|parallel)\s*=", line)
            if option is not None:
                out.append(f"{option.group(1)} = {values[option.group(1)]}")
                done.add(option.group(1))
                continue
        out.append(line)
    close()
    if not done:  # no run section at all
        out += ["[tool.coverage.run]" if toml else "[run]"]
        out += [f"{key} = {value}" for key, value in values.items()]
    return "\n".join(out) + "\n"


def _totals(report: Mapping[str, Any]) -> dict[str, Any]:
    totals = report["totals"]
    return {
        "statements": totals["num_statements"],
        "missing_statements": totals["missing_lines"],
        "branches": totals.get("num_branches", 0),
        "missing_branches": totals.get("missing_branches", 0),
        "percent_covered": totals["percent_covered"],
    }


def check_coverage(
    paths: Paths, partial: Sequence[str], generated: Sequence[str], after: Mapping[str, Any] | None
) -> dict[str, Any]:
    """(d) coverage.py's total of the partial suite and the generated files, in one run with
    covgap run's settings (its rcfile, data_file elsewhere, parallel off), against covgap
    draft's ``after`` (its ``before`` when it kept no test: the caller passes that). A partial
    suite that selects with ``-k`` or ``-m`` (which would deselect the generated tests too) is
    given as the node ids it selects, collected with the same hash seed as the run (isodate's
    parameter ids follow a set's order)."""
    log = paths.logs / "check-d.log"
    log.unlink(missing_ok=True)
    found = [
        p
        for p in (
            paths.project / ".covgap/run/coverage.rc",
            paths.project / ".covgap/run/coverage-rc.toml",
        )
        if p.is_file()
    ]
    if not found:
        return {"ok": False, "summary": "no rcfile", "problems": ["covgap run wrote no rcfile"]}
    source = found[0]
    check_dir = paths.root / "check-d"
    run_logged(["rm", "-rf", str(check_dir)], log)
    check_dir.mkdir(parents=True)
    data = check_dir / ".coverage"
    rcfile = check_dir / source.name
    rcfile.write_text(rewrite_rcfile(source.read_text(), str(data), toml=source.suffix == ".toml"))
    env = clean_env(PYTHONHASHSEED="0")
    selects = any(word in ("-k", "-m") or word.startswith(("-k=", "-m=")) for word in partial)
    tests = list(partial)
    if selects:
        listed = run_logged(
            [*_pytest(paths), "--collect-only", "-q", "-p", "no:randomly", *partial],
            log,
            cwd=paths.project,
            env=env,
        )
        tests = collected_ids(listed.stdout)
    coverage = [str(paths.python), "-m", "coverage"]
    measured_run = [*coverage, "run", f"--rcfile={rcfile}", *_pytest(paths)[1:], "-q"]
    run = run_logged(
        [*measured_run, "-p", "no:randomly", *tests, *generated],
        log,
        cwd=paths.project,
        env=env,
        timeout=1800,
        check=False,
    )
    if list(check_dir.glob(".coverage.*")):  # [run] patch = subprocess makes it parallel
        run_logged([*coverage, "combine", f"--rcfile={rcfile}"], log, cwd=paths.project)
    report = check_dir / "coverage.json"
    run_logged(
        [*coverage, "json", f"--rcfile={rcfile}", "-q", "-o", str(report)],
        log,
        cwd=paths.project,
    )
    measured = _totals(json.loads(report.read_text()))
    problems = []
    outcome = parse_summary(run.stdout)
    if run.returncode != 0:
        problems.append(f"the partial suite with the generated files: pytest exit {run.returncode}")
    difference = None
    if after is None:
        problems.append("covgap draft reported no coverage after")
    else:
        difference = measured["percent_covered"] - after["percent_covered"]
        counts = ("statements", "missing_statements", "branches", "missing_branches")
        unequal = [f"{k} {measured[k]} ≠ {after[k]}" for k in counts if measured[k] != after[k]]
        if unequal or abs(difference) > 1e-9:
            problems.append(
                f"coverage.py {measured['percent_covered']!r} ≠ covgap "
                f"{after['percent_covered']!r} ({'; '.join(unequal) or 'percent'})"
            )
    return {
        "ok": not problems,
        "rcfile": str(rcfile),
        "partial_arguments": tests,
        "generated_files": list(generated),
        "pytest": outcome,
        "coverage_py": measured,
        "covgap": dict(after) if after is not None else None,
        "difference": difference,
        "summary": (
            f"coverage.py {measured['percent_covered']:.4f}%, covgap "
            + (f"{after['percent_covered']:.4f}%" if after is not None else "none")
            + (f", difference {difference:.2g} points" if difference is not None else "")
        ),
        "problems": problems,
    }
