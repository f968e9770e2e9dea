"""Check covgap's exactness claims against coverage.py's own reports, on one measured project.

covgap claims that, for a ``.coverage`` data file:

1. its total equals ``coverage report``'s, and every file's and every function's statements,
   missing statements, branches and missing branches equal those of ``coverage json``;
2. for every phase of its plan, fully covering exactly the phase's functions (plus those of the
   earlier phases) gives exactly the phase's ``projected_percent``.

This script checks both claims from the outside. In the project folder (``--project``, where the
``.coverage`` file and the project's coverage configuration are) it runs, with ``--python``, in
this order:

- ``python -m covgap plan --format json --output - --target T``   (covgap's plan.json)
- ``python -m coverage json -o <tmp>/cov.json``        (coverage.py's numbers)
- ``python -m coverage report --format=total``          (coverage.py's displayed total)

covgap runs first because, since coverage.py 7.14, every reporting command first combines any
parallel pieces (``.coverage.*``) into the data file (deleting them unless ``--keep-combined``,
which this script passes when pieces exist and coverage.py has it). Run after them, covgap would
see data that the user never had. A note is printed when pieces were there.

``T`` is ``--target`` (default 90), or 100 when the current total already reaches it (covgap
is then run again). Then it compares, with exact (float and integer) equality:

- the totals' ``percent_covered``; ``coverage report --format=total`` against plan.json's total
  rounded the way coverage.py displays it at its ``[report] precision``;
- for every file of cov.json: a plan.json file with the same ``path`` and the same statements,
  missing statements, branches and missing branches (and no plan.json file that cov.json lacks);
- for every function of cov.json's ``functions`` (``""`` is the module-level code): an entry
  with that ``name`` in the plan.json file's ``functions``, with the same four numbers and
  ``start_line`` (and no entry that cov.json lacks);
- every phase, recomputed from cov.json alone: start from the covered units (statements and
  branches) of all files, add the missing statements and branches of each phase item's function
  as given by cov.json, and compare ``100.0 * covered / units`` with ``projected_percent``;
  no item may appear twice in the plan.

It prints a summary and every mismatch, and exits 0 when everything matched, 1 on any mismatch,
2 when a command failed (its stderr is shown, including any covgap traceback).

Run it (standard library only, Python 3.10+)::

    python benchmarks/verify_exact.py --project /path/to/measured/project
    python benchmarks/verify_exact.py --project DIR --python DIR/venv/bin/python --target 80
    python benchmarks/verify_exact.py --project DIR --keep /tmp/out   # keep cov.json, plan.json

``--python`` must have both coverage.py and covgap installed; it defaults to the interpreter that
runs this script.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Variables that would send coverage.py to another data or configuration file.
COVERAGE_VARIABLES = ("COVERAGE_FILE", "COVERAGE_RCFILE", "COVERAGE_PROCESS_START")

#: coverage.py's exit code when a report ran but the total is below ``fail_under``.
COVERAGE_FAIL_UNDER_EXIT = 2

FOUR = ("statements", "missing_statements", "branches", "missing_branches")


class CommandFailed(Exception):
    """A command exited with an unexpected status."""


@dataclass
class Result:
    """What was compared and what did not match."""

    files_compared: int = 0
    functions_compared: int = 0
    phases_checked: int = 0
    items_checked: int = 0
    mismatches: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def mismatch(self, text: str) -> None:
        self.mismatches.append(text)


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in COVERAGE_VARIABLES}
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def run(command: Sequence[str], cwd: Path, ok_codes: Sequence[int] = (0,)) -> str:
    """Run ``command`` in ``cwd``; return its stdout, or raise CommandFailed with its stderr."""
    proc = subprocess.run(
        list(command), cwd=cwd, env=_environment(), capture_output=True, text=True, check=False
    )
    if proc.returncode not in ok_codes:
        raise CommandFailed(
            f"command failed (exit {proc.returncode}): {' '.join(command)}\n"
            f"--- stdout (tail) ---\n{proc.stdout[-3000:]}\n"
            f"--- stderr ---\n{proc.stderr[-20000:]}"
        )
    return proc.stdout


def run_covgap(python: str, project: Path, target: float, extra: Sequence[str]) -> str:
    """plan.json, as ``covgap plan`` prints it."""
    command = [python, "-m", "covgap", "plan", "--format", "json", "--output", "-"]
    return run([*command, "--target", f"{target:g}", *extra], project)


def display_covered(pc: float, precision: int) -> str:
    """coverage.py's ``results.display_covered``: never "0" or "100" unless exactly so."""
    near0 = 1.0 / 10**precision
    if 0 < pc < near0:
        pc = near0
    elif (100.0 - near0) < pc < 100:
        pc = 100.0 - near0
    else:
        pc = round(pc, precision)
    return f"{pc:.{precision}f}"


def percent(covered: int, units: int) -> float:
    """coverage.py's ``Numbers.pc_covered`` formula."""
    if units > 0:
        return (100.0 * covered) / units
    return 100.0


def four_from_summary(summary: dict[str, Any]) -> tuple[int, int, int, int]:
    """statements, missing statements, branches, missing branches of a coverage json summary."""
    return (
        int(summary["num_statements"]),
        int(summary["missing_lines"]),
        int(summary.get("num_branches", 0)),
        int(summary.get("missing_branches", 0)),
    )


def four_from_plan(entry: dict[str, Any]) -> tuple[int, int, int, int]:
    return tuple(int(entry[key]) for key in FOUR)  # type: ignore[return-value]


def _describe(four: tuple[int, int, int, int]) -> str:
    return ", ".join(f"{key}={value}" for key, value in zip(FOUR, four, strict=True))


def compare(cov: dict[str, Any], total_text: str, plan: dict[str, Any]) -> Result:
    """Every comparison; the mismatches are collected, never raised."""
    result = Result()
    cov_files: dict[str, Any] = cov["files"]
    cov_totals = cov["totals"]

    # --- totals -------------------------------------------------------------------------
    plan_totals = plan["totals"]
    if plan_totals["percent_covered"] != cov_totals["percent_covered"]:
        result.mismatch(
            f"totals.percent_covered: covgap {plan_totals['percent_covered']!r} "
            f"!= coverage json {cov_totals['percent_covered']!r}"
        )
    if four_from_plan(plan_totals) != four_from_summary(cov_totals):
        result.mismatch(
            f"totals: covgap ({_describe(four_from_plan(plan_totals))}) != coverage json "
            f"({_describe(four_from_summary(cov_totals))})"
        )
    precision = int(plan["input"]["coverage_precision"])
    shown = display_covered(float(plan_totals["percent_covered"]), precision)
    if shown != total_text:
        result.mismatch(
            f"coverage report --format=total says {total_text!r}; covgap's total "
            f"{plan_totals['percent_covered']!r} at precision {precision} displays as {shown!r}"
        )
    pc = float(plan_totals["percent_covered"])
    if precision == 0 and not (0 < pc < 1 or 99 < pc < 100) and round(pc) != float(total_text):
        # The brief's plain check; display_covered above also covers the near-0/100 rules.
        result.mismatch(f"round(covgap total {pc!r}) = {round(pc)} != report's {total_text!r}")
    if cov_totals.get("percent_covered_display") != total_text:
        result.notes.append(
            f"coverage json's percent_covered_display {cov_totals.get('percent_covered_display')!r}"
            f" differs from coverage report's {total_text!r}"
        )

    # --- files and functions ------------------------------------------------------------
    plan_files: dict[str, Any] = {}
    for entry in plan["files"]:
        if entry["path"] in plan_files:
            result.mismatch(f"plan.json lists file {entry['path']!r} twice")
        plan_files[entry["path"]] = entry
    for path in sorted(set(plan_files) - set(cov_files)):
        result.mismatch(f"file {path!r} is in plan.json but not in coverage json")

    for path, cov_file in sorted(cov_files.items()):
        result.files_compared += 1
        plan_file = plan_files.get(path)
        if plan_file is None:
            result.mismatch(f"file {path!r} is in coverage json but not in plan.json")
            continue
        cov_four = four_from_summary(cov_file["summary"])
        if four_from_plan(plan_file) != cov_four:
            result.mismatch(
                f"{path}: covgap ({_describe(four_from_plan(plan_file))}) != coverage json "
                f"({_describe(cov_four)})"
            )
        if plan_file["percent_covered"] != cov_file["summary"]["percent_covered"]:
            result.mismatch(
                f"{path}: percent_covered covgap {plan_file['percent_covered']!r} != "
                f"coverage json {cov_file['summary']['percent_covered']!r}"
            )
        plan_functions: dict[str, Any] = {}
        for function in plan_file.get("functions", []):
            if function["name"] in plan_functions:
                result.mismatch(f"{path}: plan.json lists function {function['name']!r} twice")
            plan_functions[function["name"]] = function
        cov_functions: dict[str, Any] = cov_file.get("functions", {})
        if not cov_functions:
            result.notes.append(f"{path}: coverage json has no 'functions' (format < 3?)")
        for name in sorted(set(plan_functions) - set(cov_functions)):
            result.mismatch(f"{path}: function {name!r} is in plan.json but not in coverage json")
        for name, cov_function in cov_functions.items():
            result.functions_compared += 1
            plan_function = plan_functions.get(name)
            if plan_function is None:
                result.mismatch(
                    f"{path}: function {name!r} is in coverage json but not in plan.json"
                )
                continue
            cov_four = four_from_summary(cov_function["summary"])
            if four_from_plan(plan_function) != cov_four:
                result.mismatch(
                    f"{path}::{name or '(module level)'}: covgap "
                    f"({_describe(four_from_plan(plan_function))}) != coverage json "
                    f"({_describe(cov_four)})"
                )
            if plan_function["start_line"] != cov_function["start_line"]:
                result.mismatch(
                    f"{path}::{name or '(module level)'}: start_line covgap "
                    f"{plan_function['start_line']} != coverage json {cov_function['start_line']}"
                )

    # --- phases, recomputed from coverage json alone ------------------------------------
    covered = 0
    units = 0
    for cov_file in cov_files.values():
        stmts, miss, branches, miss_br = four_from_summary(cov_file["summary"])
        covered += stmts - miss + branches - miss_br
        units += stmts + branches
    if percent(covered, units) != cov_totals["percent_covered"]:
        result.mismatch(
            f"recomputed total {percent(covered, units)!r} != coverage json's "
            f"{cov_totals['percent_covered']!r} (sum of files)"
        )
    seen: set[tuple[str, str]] = set()
    for phase in plan["plan"]["phases"]:
        result.phases_checked += 1
        for item in phase["items"]:
            result.items_checked += 1
            key = (item["path"], item["function"])
            label = f"phase {phase['number']}: {item['path']}::{item['function'] or '(module)'}"
            if key in seen:
                result.mismatch(f"{label} appears twice in the plan")
                continue
            seen.add(key)
            cov_function = (
                cov_files.get(item["path"], {}).get("functions", {}).get(item["function"])
            )
            if cov_function is None:
                result.mismatch(f"{label} is not a function of coverage json")
                continue
            _s, miss, _b, miss_br = four_from_summary(cov_function["summary"])
            if (item["missing_statements"], item["missing_branches"]) != (miss, miss_br):
                result.mismatch(
                    f"{label}: item says missing {item['missing_statements']}+"
                    f"{item['missing_branches']}, coverage json {miss}+{miss_br}"
                )
            if miss + miss_br == 0:
                result.notes.append(f"{label}: nothing missing (gap 0) but listed")
            covered += miss + miss_br
        expected = percent(covered, units)
        if phase["projected_percent"] != expected:
            result.mismatch(
                f"phase {phase['number']}: projected_percent {phase['projected_percent']!r} != "
                f"recomputed {expected!r} ({covered}/{units} units)"
            )
    phases = plan["plan"]["phases"]
    if (
        phases
        and plan["plan"].get("reachable")
        and phases[-1]["projected_percent"] < float(plan["plan"]["target"])
    ):
        result.notes.append(
            f"last phase projects {phases[-1]['projected_percent']!r}, below the target "
            f"{plan['plan']['target']!r} though the plan says reachable"
        )
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", required=True, type=Path, help="folder with .coverage")
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter with coverage and covgap"
    )
    parser.add_argument("--target", type=float, default=90.0, help="plan target (default 90)")
    parser.add_argument("--keep", type=Path, help="copy cov.json and plan.json to this folder")
    parser.add_argument(
        "--covgap-arg",
        action="append",
        default=[],
        help="extra argument for covgap plan (repeatable), e.g. --covgap-arg=--no-cache",
    )
    args = parser.parse_args(argv)
    project: Path = args.project.resolve()
    python: str = args.python
    if os.sep in python:  # relative to here, not to the project; keep venv symlinks as they are
        python = str(Path(python).absolute())
    pre_notes: list[str] = []

    with tempfile.TemporaryDirectory(prefix="verify-exact-") as tmp:
        cov_path = Path(tmp) / "cov.json"
        try:
            # covgap runs first: since coverage.py 7.14 every reporting command (json, report)
            # first combines parallel pieces (DATAFILE.*) into the data file and deletes them,
            # so covgap must see the project as the user left it.
            plan_text = run_covgap(python, project, args.target, args.covgap_arg)
            plan = json.loads(plan_text)
            target = args.target
            if float(plan["totals"]["percent_covered"]) >= args.target:
                target = 100.0
                plan_text = run_covgap(python, project, target, args.covgap_arg)
                plan = json.loads(plan_text)
            data_file = project / plan["input"]["path"]
            pieces = sorted(data_file.parent.glob(glob.escape(data_file.name) + ".*"))
            coverage_json = [python, "-m", "coverage", "json", "-q", "-o", str(cov_path)]
            coverage_report = [python, "-m", "coverage", "report", "--format=total"]
            if pieces:
                pre_notes.append(
                    f"{len(pieces)} parallel piece(s) beside {plan['input']['path']}"
                    f"{' (which exists)' if data_file.exists() else ''}: coverage.py's "
                    "reporting commands combine them into the data file"
                )
                help_text = run([python, "-m", "coverage", "json", "--help"], project)
                if "--keep-combined" in help_text:
                    coverage_json.append("--keep-combined")
                    coverage_report.append("--keep-combined")
            ok = (0, COVERAGE_FAIL_UNDER_EXIT)  # a report below fail_under is still a report
            run(coverage_json, project, ok)
            # Below fail_under, coverage adds a "Coverage failure: ..." line after the total.
            total_text = run(coverage_report, project, ok).strip().splitlines()[0].strip()
            cov = json.loads(cov_path.read_text(encoding="utf-8"))
        except CommandFailed as exc:
            print(exc, file=sys.stderr)
            return 2
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / "cov.json").write_text(json.dumps(cov, indent=1), encoding="utf-8")
            (args.keep / "plan.json").write_text(plan_text, encoding="utf-8")

    result = compare(cov, total_text, plan)
    result.notes[:0] = pre_notes
    meta = cov.get("meta", {})
    print(f"project:            {project}")
    print(
        f"coverage.py:        {meta.get('version')} (json format {meta.get('format')}, "
        f"branch={meta.get('branch_coverage')})"
    )
    print(f"covgap:             {plan['generator']['version']}")
    print(
        f"total:              {cov['totals']['percent_covered']!r} "
        f"(report --format=total: {total_text})"
    )
    print(f"target:             {target:g}")
    print(f"files compared:     {result.files_compared}")
    print(f"functions compared: {result.functions_compared}")
    print(f"phases checked:     {result.phases_checked} ({result.items_checked} items)")
    for phase in plan["plan"]["phases"]:
        print(
            f"  phase {phase['number']}: {phase['functions']} functions -> "
            f"{phase['projected_percent']!r}"
        )
    for note in result.notes:
        print(f"note: {note}")
    print(f"mismatches:         {len(result.mismatches)}")
    for text in result.mismatches[:200]:
        print(f"  MISMATCH {text}")
    if len(result.mismatches) > 200:
        print(f"  ... and {len(result.mismatches) - 200} more")
    print("RESULT: " + ("all matched" if not result.mismatches else "MISMATCHES"))
    return 1 if result.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
