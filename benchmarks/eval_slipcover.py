"""Evaluate slipcover as a branch-coverage engine for covgap, against coverage.py.

covgap plans from coverage.py data. slipcover (``pip install slipcover``) measures line and
branch coverage faster, but writes its own JSON. This script answers one question: *written as
coverage.py data, are slipcover's numbers the same as coverage.py's on a real test suite?*

For one project and one interpreter (``evaluate``) it:

1. runs the suite three ways, ``--repeat`` times each, interleaved (plain, coverage, slipcover)::

       PY -m pytest -q -p no:cacheprovider TESTS...
       PY -m coverage run --rcfile=RC --branch --source=PKG,... -m pytest ...   (COVERAGE_FILE)
       PY -m slipcover --branch --json --out slip.json --source DIR,... -m pytest ...

   where ``RC`` is a neutral rcfile written to ``--out`` (``branch = True``, default
   exclusions), so no project configuration (``parallel``, ``exclude_lines``...) takes part;
2. converts every slipcover JSON to a coverage.py data file (``convert``, run by ``PY`` so that
   coverage.py parses the sources with the same Python as the measured run):

   - the statements and possible arcs are coverage.py's own (``PythonFileReporter`` with the
     rcfile's exclusions); slipcover's idea of statements and missing lines is ignored;
   - an executed line is translated to the first line of its statement and kept when it is a
     coverage.py statement; it is stored as the arc ``(-L, L)`` (coverage.py derives executed
     lines from the arcs' positive ends; arcs that are not possible count for nothing);
   - an executed branch ``(a, b)`` is kept when it is a possible arc; slipcover's exit
     ``(a, 0)`` becomes coverage.py's exit ``(a, -S)`` when ``a`` has exactly one possible arc
     to a negative line (``-S``: leaving the code object that starts at ``S``);
   - a branch to a decorated ``def``/``class`` goes to its first decorator's line, and one
     to a ``global``/``nonlocal`` declaration to the statement after it (as coverage.py has it);
   - everything else is counted and listed in ``convert-RUN.json`` (lines dropped, branches
     unmapped);

3. runs ``coverage json`` on coverage.py's data and on the converted data, and compares every
   file (statements, missing statements, branches, missing branches) and every function of
   ``coverage json``'s ``functions`` (the same four numbers); as a control, it also compares
   coverage.py's runs with each other and slipcover's runs with each other (a suite that is not
   deterministic shows up there, not as a slipcover difference);
4. compares the pytest outcome counts (and failing test ids) of the three ways, and takes the
   median wall time of each, as a ratio to plain pytest.

The result goes to ``OUT/result.json``; ``table`` prints a Markdown table of several results.

Run it (``PY`` needs pytest, coverage, slipcover and the project's test dependencies; the script
itself needs only the standard library, plus coverage.py for ``convert``)::

    python benchmarks/eval_slipcover.py evaluate --python VENV/bin/python \\
        --project /tmp/slip/attrs-26.1.0 --package attr --package attrs \\
        --slip-source src --tests tests --out /tmp/slip/out/attrs-py311 --repeat 3 \\
        --pytest-arg=--hypothesis-seed=0
    python benchmarks/eval_slipcover.py table /tmp/slip/out/*/result.json

``--skip-runs`` converts and compares again from the files of an earlier ``evaluate`` with the
same ``--out`` (no test is run; the times are taken from its ``result.json``).
``--slip-source`` is relative to ``--project`` (slipcover takes directories, coverage.py takes
``--package`` names). ``--repeat 1`` skips the timing medians and the control comparisons.
Exit status: 0 when slipcover's converted numbers equal coverage.py's everywhere and no test
outcome changed, 1 otherwise, 2 when a command failed.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FOUR = ("num_statements", "missing_lines", "num_branches", "missing_branches")
RCFILE_TEXT = "[run]\nbranch = True\n\n[report]\n# coverage.py's default exclusions only\n"
#: How many differing lines / branches to keep per file in result.json.
DETAIL_CAP = 40

Json = dict[str, Any]


class CommandFailed(Exception):
    """A command that must succeed did not."""


# --------------------------------------------------------------------------------------------
# convert: slipcover JSON -> coverage.py data (runs under the measured interpreter)


def match_cases(source: str) -> dict[int, list[tuple[int, int]]]:
    """For each ``match`` line: its cases as (pattern line, first body line), in order."""
    found: dict[int, list[tuple[int, int]]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Match):
            found[node.lineno] = [(c.pattern.lineno, c.body[0].lineno) for c in node.cases]
    return found


def retargets(source: str) -> dict[int, int]:
    """Lines that slipcover names as a branch target, and the line coverage.py's arc goes to.

    - a decorated ``def`` / ``class``: slipcover names the ``def`` line (``node.lineno``), but
      the decorators run first, so coverage.py's arc goes to the first decorator's line;
    - ``global`` / ``nonlocal``: a declaration with no code, not a coverage.py statement; the
      arc goes to the statement after it.
    """
    found: dict[int, int] = {}
    for node in ast.walk(ast.parse(source)):
        decorated = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        if isinstance(node, decorated) and node.decorator_list:
            found[node.lineno] = min(d.lineno for d in node.decorator_list)
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                for stmt, after in itertools.pairwise(block):
                    if isinstance(stmt, (ast.Global, ast.Nonlocal)):
                        found[stmt.lineno] = after.lineno
    return found


def map_branch(
    a: int,
    b: int,
    possible: set[tuple[int, int]],
    exits: dict[int, list[int]],
    matches: dict[int, list[tuple[int, int]]],
    retarget: dict[int, int],
) -> tuple[str, list[tuple[int, int]]]:
    """coverage.py's arcs for slipcover's executed branch ``(a, b)``, and how they were found.

    The kind is ``kept`` (the same arc), ``exit`` (``(a, 0)`` to the one exit of ``a``),
    ``match`` (a ``match`` arc rebuilt as coverage.py's case-to-case arcs), ``retarget``
    (the target moved as :func:`retargets` says), or one of
    ``exit_no_candidate``, ``exit_ambiguous``, ``not_possible`` (nothing was written).
    """

    def exit_of(line: int) -> int | None:
        targets = exits.get(line, [])
        return targets[0] if len(targets) == 1 else None

    def moved(line: int) -> int:
        seen = set()
        while line in retarget and line not in seen:
            seen.add(line)
            line = retarget[line]
        return line

    if a in matches:
        # slipcover: match line -> body of the case taken, or -> after the match (no case
        # taken). coverage.py: case line -> next case line (pattern failed), case line -> body.
        cases = matches[a]
        chain: list[tuple[int, int]] = []
        for i, (case_line, body_line) in enumerate(cases):
            if body_line == b:
                chain.append((case_line, moved(body_line)))
                break
            if i + 1 < len(cases):
                chain.append((case_line, cases[i + 1][0]))
            else:
                target = exit_of(case_line) if b == 0 else moved(b)
                if target is None:
                    return "exit_ambiguous", []
                chain.append((case_line, target))
        if all(arc in possible for arc in chain):
            return "match", chain
        return "not_possible", []
    if b == 0:
        targets = exits.get(a, [])
        if len(targets) == 1:
            return "exit", [(a, targets[0])]
        return ("exit_no_candidate" if not targets else "exit_ambiguous"), []
    if (a, b) in possible:
        return "kept", [(a, b)]
    if (a, moved(b)) in possible:
        return "retarget", [(a, moved(b))]
    return "not_possible", []


def convert(slip_json: Path, base: Path, rcfile: Path, data_file: Path, report: Path) -> None:
    """Write slipcover's executed lines and branches as a coverage.py data file."""
    from coverage import Coverage, CoverageData
    from coverage.python import PythonFileReporter

    cov = Coverage(config_file=str(rcfile), data_file=None)
    slip = json.loads(slip_json.read_text())
    arcs_by_file: dict[str, set[tuple[int, int]]] = {}
    details: dict[str, Json] = {}
    unmapped_kinds = ("exit_no_candidate", "exit_ambiguous", "not_possible")
    totals = dict.fromkeys(("lines_kept", "lines_dropped", "kept", "exit", "match", "retarget"), 0)
    totals.update(dict.fromkeys(unmapped_kinds, 0))
    for rel, fdata in sorted(slip["files"].items()):
        path = str((base / rel).resolve())
        reporter = PythonFileReporter(path, coverage=cov)
        statements = reporter.lines()
        possible = reporter.arcs()
        exits: dict[int, list[int]] = {}
        for a, b in possible:
            if b < 0:
                exits.setdefault(a, []).append(b)
        matches = match_cases(reporter.source())
        retarget = retargets(reporter.source())
        arcs: set[tuple[int, int]] = set()
        dropped: list[int] = []
        for line in fdata.get("executed_lines", []):
            first = min(reporter.translate_lines([line]), default=line)
            if first in statements:
                arcs.add((-first, first))
                totals["lines_kept"] += 1
            else:
                dropped.append(line)
        totals["lines_dropped"] += len(dropped)
        unmapped: dict[str, list[list[int]]] = {k: [] for k in unmapped_kinds}
        for a, b in fdata.get("executed_branches", []):
            kind, mapped = map_branch(a, b, possible, exits, matches, retarget)
            totals[kind] += 1
            arcs.update(mapped)
            if kind in unmapped:
                unmapped[kind].append([a, b])
        arcs_by_file[path] = arcs
        if dropped or any(unmapped.values()):
            details[rel] = {"lines_dropped": dropped, **{k: v for k, v in unmapped.items() if v}}

    data = CoverageData(basename=str(data_file))
    data.erase()
    data.add_arcs({path: arcs for path, arcs in arcs_by_file.items() if arcs})
    data.touch_files(sorted(arcs_by_file))
    data.write()
    report.write_text(json.dumps({"totals": totals, "files": details}, indent=1))


# --------------------------------------------------------------------------------------------
# comparing two `coverage json` outputs


def _four(summary: Json) -> tuple[int, ...]:
    return tuple(int(summary.get(k, 0)) for k in FOUR)


def compare(ref: Json, other: Json) -> Json:
    """Compare two ``coverage json`` documents file by file and function by function."""
    files_ref: dict[str, Json] = ref["files"]
    files_other: dict[str, Json] = other["files"]
    out: Json = {
        "files": len(files_ref),
        "files_only_in_one": sorted(set(files_ref) ^ set(files_other)),
        "files_matching_lines": 0,
        "files_matching_branches": 0,
        "files_matching_all": 0,
        "functions": 0,
        "functions_matching": 0,
        "totals_ref": _four(ref["totals"]),
        "totals_other": _four(other["totals"]),
        "mismatched_files": {},
        "mismatched_functions": [],
    }
    for name, fref in sorted(files_ref.items()):
        foth = files_other.get(name)
        if foth is None:
            continue
        a, b = _four(fref["summary"]), _four(foth["summary"])
        lines_ok = a[:2] == b[:2] and fref["missing_lines"] == foth["missing_lines"]
        branches_ok = a[2:] == b[2:] and fref.get("missing_branches") == foth.get(
            "missing_branches"
        )
        out["files_matching_lines"] += lines_ok
        out["files_matching_branches"] += branches_ok
        out["files_matching_all"] += lines_ok and branches_ok
        if not (lines_ok and branches_ok):
            out["mismatched_files"][name] = _file_detail(fref, foth)
        funcs_ref: dict[str, Json] = fref.get("functions", {})
        funcs_other: dict[str, Json] = foth.get("functions", {})
        for fname, func in funcs_ref.items():
            out["functions"] += 1
            other_func = funcs_other.get(fname)
            fa = _four(func["summary"])
            fb = _four(other_func["summary"]) if other_func else None
            if fa == fb:
                out["functions_matching"] += 1
            else:
                out["mismatched_functions"].append([name, fname, fa, fb])
    return out


def _file_detail(fref: Json, foth: Json) -> Json:
    def arcs(f: Json, key: str) -> set[tuple[int, int]]:
        return {(int(x), int(y)) for x, y in f.get(key, [])}

    ref_lines, oth_lines = set(fref["executed_lines"]), set(foth["executed_lines"])
    ref_br, oth_br = arcs(fref, "executed_branches"), arcs(foth, "executed_branches")
    return {
        "summary_ref": _four(fref["summary"]),
        "summary_other": _four(foth["summary"]),
        "lines_only_ref": sorted(ref_lines - oth_lines)[:DETAIL_CAP],
        "lines_only_other": sorted(oth_lines - ref_lines)[:DETAIL_CAP],
        "branches_only_ref": sorted(ref_br - oth_br)[:DETAIL_CAP],
        "branches_only_other": sorted(oth_br - ref_br)[:DETAIL_CAP],
    }


# --------------------------------------------------------------------------------------------
# evaluate: run the three ways, convert, compare


_OUTCOME = re.compile(r"(\d+) ((?:subtests )?(?:passed|failed|skipped|xfailed|xpassed|errors?))")


def pytest_outcome(output: str) -> Json:
    """Counts from pytest's closing line, and the FAILED / ERROR test ids."""
    counts: dict[str, int] = {}
    for line in reversed(output.splitlines()):
        found = _OUTCOME.findall(line)
        if found and (" in " in line or line.startswith("=")):
            counts = {kind.replace("errors", "error"): int(n) for n, kind in found}
            break
    bad = sorted(
        line.split(" - ")[0]
        for line in output.splitlines()
        if line.startswith(("FAILED ", "ERROR "))
    )
    return {"counts": counts, "failed_ids": bad}


def run_timed(cmd: Sequence[str], cwd: Path, log: Path, env: dict[str, str] | None) -> float:
    """Run a command, keep its output, return its wall time in seconds."""
    full_env = dict(os.environ)
    for var in ("COVERAGE_FILE", "COVERAGE_RCFILE", "COVERAGE_PROCESS_START"):
        full_env.pop(var, None)
    full_env.update(env or {})
    start = time.perf_counter()
    proc = subprocess.run(
        list(cmd), cwd=cwd, env=full_env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    log.write_text(proc.stdout + proc.stderr)
    # pytest: 0 all passed, 1 some tests failed; anything else is not a test result
    if proc.returncode not in (0, 1):
        raise CommandFailed(f"{' '.join(cmd)} exited {proc.returncode}; see {log}")
    return elapsed


def checked(cmd: Sequence[str], cwd: Path) -> str:
    proc = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CommandFailed(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc.stdout


def coverage_json(py: str, project: Path, rcfile: Path, data: Path, out: Path) -> Json:
    checked(
        [py, "-m", "coverage", "json", f"--rcfile={rcfile}", f"--data-file={data}", "-o", str(out)],
        project,
    )
    result: Json = json.loads(out.read_text())
    return result


def project_version(project: Path) -> str:
    pkg_info = project / "PKG-INFO"
    if pkg_info.exists():
        for line in pkg_info.read_text().splitlines():
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
    return "?"


def evaluate(args: argparse.Namespace) -> int:
    py: str = args.python
    project: Path = args.project.resolve()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    rcfile = out / "coveragerc"
    rcfile.write_text(RCFILE_TEXT)
    pytest_args = ["-q", "-p", "no:cacheprovider", *args.tests, *args.pytest_arg]
    plain = [py, "-m", "pytest", *pytest_args]
    cov_run = [py, "-m", "coverage", "run", f"--rcfile={rcfile}", "--branch"]
    cov_run += [f"--source={','.join(args.package)}", "-m", "pytest", *pytest_args]
    slip_run = [py, "-m", "slipcover", "--branch", "--json", "--out", "SLIP"]
    slip_run += ["--source", ",".join(args.slip_source), "-m", "pytest", *pytest_args]

    times: dict[str, list[float]] = {"plain": [], "coverage": [], "slipcover": []}
    outcomes: dict[str, list[Json]] = {"plain": [], "coverage": [], "slipcover": []}
    if args.skip_runs:  # convert and compare again, from the runs' files of an earlier call
        times = json.loads((out / "result.json").read_text())["times"]
    for i in range(1, args.repeat + 1):
        if args.skip_runs:
            for way in outcomes:
                outcomes[way].append(pytest_outcome((out / f"{way}{i}.log").read_text()))
            continue
        slip_cmd = [str(out / f"slip{i}.json") if c == "SLIP" else c for c in slip_run]
        cov_env = {"COVERAGE_FILE": str(out / f"cov{i}.coverage")}
        ways: list[tuple[str, list[str], dict[str, str] | None]] = [
            ("plain", plain, None),
            ("coverage", cov_run, cov_env),
            ("slipcover", slip_cmd, None),
        ]
        for way, cmd, env in ways:
            log = out / f"{way}{i}.log"
            times[way].append(run_timed(cmd, project, log, env))
            outcomes[way].append(pytest_outcome(log.read_text()))
            print(f"  run {i} {way}: {times[way][-1]:.1f}s {outcomes[way][-1]['counts']}")

    cov_jsons: list[Json] = []
    slip_jsons: list[Json] = []
    conversions: list[Json] = []
    for i in range(1, args.repeat + 1):
        cov_jsons.append(
            coverage_json(py, project, rcfile, out / f"cov{i}.coverage", out / f"cov{i}.json")
        )
        converted = out / f"slip{i}.coverage"
        report = out / f"convert{i}.json"
        convert_cmd = [py, str(Path(__file__).resolve()), "convert"]
        convert_cmd += ["--slip", str(out / f"slip{i}.json"), "--base", str(project)]
        convert_cmd += ["--rcfile", str(rcfile), "--data-file", str(converted)]
        checked([*convert_cmd, "--report", str(report)], project)
        conversions.append(json.loads(report.read_text()))
        slip_jsons.append(
            coverage_json(py, project, rcfile, converted, out / f"slip{i}-as-coverage.json")
        )

    main = compare(cov_jsons[0], slip_jsons[0])
    controls = {
        "coverage_runs_agree": all(_agree(compare(cov_jsons[0], other)) for other in cov_jsons[1:]),
        "slipcover_runs_agree": all(
            _agree(compare(slip_jsons[0], other)) for other in slip_jsons[1:]
        ),
    }
    medians = {way: statistics.median(ts) for way, ts in times.items()}
    python_version = checked([py, "-c", "import sys; print(sys.version.split()[0])"], project)
    result: Json = {
        "project": project.name.rsplit("-", 1)[0],
        "version": project_version(project),
        "python": python_version.strip(),
        "slipcover": checked([py, "-m", "slipcover", "--version"], project).split()[-1],
        "coverage": checked(
            [py, "-c", "import coverage; print(coverage.__version__)"], project
        ).strip(),
        "commands": {"plain": plain, "coverage": cov_run, "slipcover": slip_run},
        "comparison": main,
        "controls": controls,
        "conversion": conversions[0],
        "outcomes": outcomes,
        "tests_changed": {
            way: outcomes[way][0] != outcomes["plain"][0] for way in ("coverage", "slipcover")
        },
        "times": times,
        "medians": medians,
        "ratios": {way: medians[way] / medians["plain"] for way in medians},
    }
    (out / "result.json").write_text(json.dumps(result, indent=1))
    print(render_table([result]))
    same = _agree(main) and not result["tests_changed"]["slipcover"]
    return 0 if same else 1


def _agree(comparison: Json) -> bool:
    return bool(
        comparison["files_matching_all"] == comparison["files"]
        and comparison["functions_matching"] == comparison["functions"]
        and not comparison["files_only_in_one"]
    )


# --------------------------------------------------------------------------------------------
# table


def render_table(results: Sequence[Json]) -> str:
    head = (
        "| project | version | python | files | files matching lines | files matching branches"
        " | functions matching | tests changed by slipcover | coverage / plain"
        " | slipcover / plain |\n|" + " --- |" * 10
    )
    rows = [head]
    for r in results:
        c = r["comparison"]
        plain, slip = r["outcomes"]["plain"][0]["counts"], r["outcomes"]["slipcover"][0]["counts"]
        changed = [f"{k} {plain.get(k, 0)}→{slip.get(k, 0)}" for k in sorted({*plain, *slip})]
        broke = (
            "no"
            if not r["tests_changed"]["slipcover"]
            else "yes: "
            + ", ".join(
                c for c in changed if c.split()[-1].split("→")[0] != c.split()[-1].split("→")[1]
            )
        )
        rows.append(
            f"| {r['project']} | {r['version']} | {r['python']} | {c['files']}"
            f" | {c['files_matching_lines']} | {c['files_matching_branches']}"
            f" | {c['functions_matching']} / {c['functions']} | {broke}"
            f" | {r['ratios']['coverage']:.2f} | {r['ratios']['slipcover']:.2f} |"
        )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else "")
    sub = parser.add_subparsers(dest="command", required=True)

    p_conv = sub.add_parser("convert", help="slipcover JSON -> coverage.py data file")
    p_conv.add_argument("--slip", type=Path, required=True)
    p_conv.add_argument("--base", type=Path, required=True, help="where slipcover ran")
    p_conv.add_argument("--rcfile", type=Path, required=True)
    p_conv.add_argument("--data-file", type=Path, required=True)
    p_conv.add_argument("--report", type=Path, required=True)

    p_eval = sub.add_parser("evaluate", help="measure one project both ways and compare")
    p_eval.add_argument("--python", default=sys.executable)
    p_eval.add_argument("--project", type=Path, required=True)
    p_eval.add_argument("--package", action="append", required=True)
    p_eval.add_argument("--slip-source", action="append", required=True)
    p_eval.add_argument("--tests", action="append", required=True)
    p_eval.add_argument("--pytest-arg", action="append", default=[])
    p_eval.add_argument("--out", type=Path, required=True)
    p_eval.add_argument("--repeat", type=int, default=3)
    p_eval.add_argument(
        "--skip-runs", action="store_true", help="reuse the runs (and times) already in --out"
    )

    p_table = sub.add_parser("table", help="Markdown table of result.json files")
    p_table.add_argument("results", type=Path, nargs="+")

    args = parser.parse_args(argv)
    try:
        if args.command == "convert":
            convert(args.slip, args.base, args.rcfile, args.data_file, args.report)
            return 0
        if args.command == "evaluate":
            return evaluate(args)
        print(render_table([json.loads(p.read_text()) for p in args.results]))
        return 0
    except CommandFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
