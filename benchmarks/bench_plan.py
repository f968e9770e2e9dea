"""Time ``covgap plan``, with and without risk, against ``coverage json`` on sympy's data.

What each round measures, in the work folder that holds sympy's ``.coverage``:

1. ``python -m coverage json -o <tmp>/coverage.json``: coverage.py's own full report of the data;
2. ``python -m covgap plan --data .coverage --format json --output <tmp>/out`` after removing
   ``<workdir>/.covgap`` (covgap's per-file analysis cache): the *cold* run, risk analysis on
   (complexity, code facts, git churn, test suggestions: covgap's default);
3. the same covgap command again on unchanged sources: the *warm* run;
4. and 5. the same two, cold (after removing ``<workdir>/.covgap`` again) then warm, with
   ``--no-risk`` added: the core plan alone, the baseline the risk step is judged against.

It prints the seconds of each step (and their medians over ``--repeat`` rounds) and four ratios
of the medians, with the targets they are judged against:

- cold / json: covgap's first plan must cost no more than ``coverage json`` (target <= 1.0);
- cold / warm: the cache must make a second plan at least five times faster (target >= 5);
- risk cold / no-risk cold and risk warm / no-risk warm: analysis with risk on must stay within
  twice the time of the core plan on the same data, with an empty and with a filled cache
  (target <= 2).

It also prints ``totals.percent_covered`` from ``coverage.json`` and from each of covgap's
``plan.json``, which must be the same number. Nothing here asserts a timing: the exit code is 0
unless a command failed, and then 1 after naming the command and the tail of its stderr.

The data (about 1,516 measured files, 347k statements, 85k branches): sympy, installed from the
package index, measured with branch coverage over the whole installed package (files never
imported are there at 0%) while a modest subset of sympy's own tests runs, ``sympy.core.tests``
and ``sympy.sets.tests`` (about 70 s plain, under 4 minutes under coverage on 2 cores).
``--setup`` makes all of it from nothing, with exactly these commands::

    python3 -m venv VENV
    VENV/bin/python -m pip install sympy==1.14.0 coverage==7.17.3 pytest==9.2.0 \
        hypothesis==6.170.15          # sympy's conftest.py refuses to run without hypothesis
    VENV/bin/python -m pip install COVGAP_REPO_ROOT
    cd WORKDIR && printf '[run]\\nbranch = True\\nsource_pkgs = sympy\\n' > .coveragerc
    cd WORKDIR && VENV/bin/python -m coverage run -m pytest -q -p no:cacheprovider \
        --pyargs sympy.core.tests sympy.sets.tests    # test failures do not matter

Run it::

    python benchmarks/bench_plan.py --setup             # first time: venv + data, then measure
    python benchmarks/bench_plan.py --setup --repeat 3  # again; --setup reinstalls covgap from
                                                        # this tree into its venv, reuses the data
    python benchmarks/bench_plan.py --python /tmp/bench/venv/bin/python --workdir /tmp/bench/work

Each round runs the five commands above in that order (on 2 cores: about 1.5 minutes for
``coverage json``, 2 for a cold plan, well under half a minute for a warm one); the ratios are of
medians over the rounds, so ``--repeat 3`` is worth its time on a machine doing other work.
By default the venv and the work folder are ``<tempdir>/covgap-bench/venv`` and ``.../work``.
Delete ``WORKDIR/.coverage`` to measure the tests again. Standard library only, Python 3.10+.
"""

from __future__ import annotations

import argparse
import json
import math
import operator
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: The repository whose covgap ``--setup`` installs: the parent of this file's folder.
REPO_ROOT = Path(__file__).resolve().parent.parent

#: Pinned so that the data, and so the timings, are the same on every machine.
#: hypothesis is there because sympy's conftest.py will not run the tests without it.
PINNED_PACKAGES = ("sympy==1.14.0", "coverage==7.17.3", "pytest==9.2.0", "hypothesis==6.170.15")

#: What the measured run executes: a modest subset of the tests that sympy ships inside itself.
TEST_MODULES = ("sympy.core.tests", "sympy.sets.tests")

#: The work folder's coverage configuration: branch coverage over the whole installed package,
#: so that files never imported are reported at 0%. ``relative_files`` is left at its default.
COVERAGERC = "[run]\nbranch = True\nsource_pkgs = sympy\n"

#: Variables that would send coverage.py to another data or configuration file.
COVERAGE_VARIABLES = ("COVERAGE_FILE", "COVERAGE_RCFILE", "COVERAGE_PROCESS_START")

#: pytest exit codes that still leave usable data: all passed, or some tests failed.
PYTEST_USABLE_EXIT_CODES = (0, 1)

STDERR_TAIL_LINES = 40


class CommandFailed(Exception):
    """A command of the benchmark or of its setup exited badly; carries what to show."""

    def __init__(self, label: str, command: Sequence[str], returncode: int | None, stderr: str):
        super().__init__(label)
        self.label = label
        self.command = list(command)
        self.returncode = returncode
        self.stderr = stderr


@dataclass
class Round:
    """One repetition: the seconds of each timed step, and the totals the reports gave."""

    json_seconds: float | None = None
    cold_seconds: float | None = None
    warm_seconds: float | None = None
    norisk_cold_seconds: float | None = None
    norisk_warm_seconds: float | None = None
    coverage_totals: dict[str, object] = field(default_factory=dict)
    plan_totals_cold: dict[str, object] = field(default_factory=dict)
    plan_totals_warm: dict[str, object] = field(default_factory=dict)
    plan_totals_norisk_cold: dict[str, object] = field(default_factory=dict)
    plan_totals_norisk_warm: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def child_environment() -> dict[str, str]:
    """The environment for every command: ours, less what would redirect coverage.py."""
    environment = dict(os.environ)
    for name in COVERAGE_VARIABLES:
        environment.pop(name, None)
    return environment


def run(
    label: str,
    command: Sequence[str],
    cwd: Path,
    timeout: float | None,
    *,
    ok_codes: Sequence[int] = (0,),
    stream: bool = False,
) -> float:
    """Run ``command`` in ``cwd``; return its wall-clock seconds or raise CommandFailed.

    ``stream`` lets the output through (setup steps, where progress matters); otherwise it is
    captured, so that printing cannot slow down a timed command.
    """
    log(f"{label}: (cd {shlex.quote(str(cwd))} && {shlex.join(command)})")
    started = time.perf_counter()
    try:
        completed = subprocess.run(
            list(command),
            cwd=cwd,
            env=child_environment(),
            stdin=subprocess.DEVNULL,
            stdout=None if stream else subprocess.PIPE,
            stderr=None if stream else subprocess.PIPE,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        stderr = expired.stderr
        text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr or ""
        raise CommandFailed(f"{label} (timed out after {timeout} s)", command, None, text) from None
    except OSError as error:  # the interpreter itself is missing or not executable
        raise CommandFailed(label, command, None, str(error)) from None
    seconds = time.perf_counter() - started
    if completed.returncode not in ok_codes:
        raise CommandFailed(label, command, completed.returncode, completed.stderr or "")
    log(f"{label}: {seconds:.2f} s")
    return seconds


def probe(python: str, code: str) -> subprocess.CompletedProcess[str]:
    """Run a short ``python -c`` check, untimed, and return what happened."""
    try:
        return subprocess.run(
            [python, "-c", code],
            env=child_environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as error:  # no such interpreter: report it like a failed check
        return subprocess.CompletedProcess([python, "-c", code], 127, "", str(error))


# --------------------------------------------------------------------------------------- setup


def setup(python: str, own_venv: Path | None, workdir: Path, timeout: float | None) -> None:
    """Make what is missing: the venv and its packages, then ``<workdir>/.coverage``.

    In the venv that the benchmark owns, covgap is reinstalled from this tree every time, so that
    the current code is measured. An interpreter given with ``--python`` is the user's: only what
    it cannot import is installed into it.
    """
    if own_venv is not None and not Path(python).exists():
        run("create venv", [sys.executable, "-m", "venv", str(own_venv)], Path.cwd(), timeout)
    test_packages_missing = probe(python, "import sympy, coverage, pytest, hypothesis").returncode
    if own_venv is not None or test_packages_missing:
        pip = [python, "-m", "pip", "install", "--quiet", *PINNED_PACKAGES]
        run("pip install sympy, coverage, pytest", pip, Path.cwd(), timeout, stream=True)
    if own_venv is not None or probe(python, "import covgap.__main__").returncode:
        if (REPO_ROOT / "pyproject.toml").exists():
            pip = [python, "-m", "pip", "install", "--quiet", str(REPO_ROOT)]
            run("pip install covgap", pip, Path.cwd(), timeout, stream=True)
        else:
            log(f"no pyproject.toml in {REPO_ROOT}: covgap not installed")

    workdir.mkdir(parents=True, exist_ok=True)
    rcfile = workdir / ".coveragerc"
    if not rcfile.exists():
        rcfile.write_text(COVERAGERC, encoding="utf-8")
        log(f"wrote {rcfile}")
    if (workdir / ".coverage").exists():
        log(f"{workdir / '.coverage'} exists: not measured again (delete it to re-measure)")
        return
    command = [python, "-m", "coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["--pyargs", *TEST_MODULES]
    label = "measure sympy tests"
    seconds = run(label, command, workdir, timeout, ok_codes=PYTEST_USABLE_EXIT_CODES, stream=True)
    data = workdir / ".coverage"
    if not data.exists():
        raise CommandFailed(f"{label} (no .coverage written)", command, 0, "")
    log(f"measured in {seconds:.0f} s: {data} is {data.stat().st_size:,} bytes")


# ----------------------------------------------------------------------------------- measuring


def read_totals(path: Path) -> tuple[dict[str, object], str | None]:
    """``totals`` from a coverage.json or plan.json, or an empty dict and why."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, f"{path} was not written"
    except (OSError, ValueError) as error:
        return {}, f"{path} unreadable: {error}"
    totals = document.get("totals") if isinstance(document, dict) else None
    if not isinstance(totals, dict):
        return {}, f"{path} has no totals object"
    return totals, None


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def measure_round(
    python: str, workdir: Path, scratch: Path, timeout: float | None, result: Round
) -> None:
    """coverage json, then covgap plan cold and warm, with risk and with ``--no-risk``.

    Fills ``result`` as steps finish, so that a failure still leaves the earlier numbers.
    """
    coverage_json = scratch / "coverage.json"
    remove(coverage_json)
    command = [python, "-m", "coverage", "json", "-o", str(coverage_json)]
    result.json_seconds = run("coverage json", command, workdir, timeout)
    result.coverage_totals, problem = read_totals(coverage_json)
    if problem:
        result.notes.append(problem)

    output = scratch / "out"
    plan = [python, "-m", "covgap", "plan", "--data", ".coverage", "--format", "json"]
    plan += ["--output", str(output)]
    for name, extra in (("covgap plan", []), ("covgap plan --no-risk", ["--no-risk"])):
        remove(workdir / ".covgap")
        for label in (f"{name} cold", f"{name} warm"):
            # Same command both times; only the cache in <workdir>/.covgap differs between them.
            remove(output)
            seconds = run(label, plan + extra, workdir, timeout)
            totals, problem = read_totals(output / "plan.json")
            if problem:
                result.notes.append(f"{label}: {problem}")
            if label == "covgap plan cold":
                result.cold_seconds, result.plan_totals_cold = seconds, totals
            elif label == "covgap plan warm":
                result.warm_seconds, result.plan_totals_warm = seconds, totals
            elif label.endswith("cold"):
                result.norisk_cold_seconds, result.plan_totals_norisk_cold = seconds, totals
            else:
                result.norisk_warm_seconds, result.plan_totals_norisk_warm = seconds, totals


# ------------------------------------------------------------------------------------ printing


def median(values: Sequence[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def seconds_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def as_number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


#: The table's columns after the round number: heading, and the seconds it shows of a round.
COLUMNS: tuple[tuple[str, Callable[[Round], float | None]], ...] = (
    ("coverage json", lambda one: one.json_seconds),
    ("covgap cold", lambda one: one.cold_seconds),
    ("covgap warm", lambda one: one.warm_seconds),
    ("no-risk cold", lambda one: one.norisk_cold_seconds),
    ("no-risk warm", lambda one: one.norisk_warm_seconds),
)


def print_report(rounds: Sequence[Round]) -> None:
    """The table of seconds, the four ratios against their targets, and the totals side by side."""
    print()
    print(f"{'run':>6}" + "".join(f"  {heading:>13}" for heading, _ in COLUMNS))
    for number, one in enumerate(rounds, start=1):
        print(f"{number:>6}" + "".join(f"  {seconds_text(get(one)):>13}" for _, get in COLUMNS))
    json_s, cold_s, warm_s, norisk_cold_s, norisk_warm_s = (
        median([get(one) for one in rounds]) for _, get in COLUMNS
    )
    if len(rounds) > 1:
        medians = (json_s, cold_s, warm_s, norisk_cold_s, norisk_warm_s)
        print(f"{'median':>6}" + "".join(f"  {seconds_text(value):>13}" for value in medians))
    print()
    at_most, at_least = ("<=", operator.le), (">=", operator.ge)
    for name, value, (sign, holds), bound in (
        ("cold / json", ratio(cold_s, json_s), at_most, 1.0),
        ("cold / warm", ratio(cold_s, warm_s), at_least, 5),
        ("risk cold / no-risk cold", ratio(cold_s, norisk_cold_s), at_most, 2),
        ("risk warm / no-risk warm", ratio(warm_s, norisk_warm_s), at_most, 2),
    ):
        shown = "-" if value is None else f"{value:.2f}"
        verdict = "" if value is None else ("  met" if holds(value, bound) else "  NOT met")
        print(f"{name:<24} {shown:>7}   (target {sign} {bound}){verdict}")

    last = rounds[-1]
    print()
    rows = (
        ("coverage.json", last.coverage_totals),
        ("plan.json cold", last.plan_totals_cold),
        ("plan.json warm", last.plan_totals_warm),
        ("plan.json no-risk cold", last.plan_totals_norisk_cold),
        ("plan.json no-risk warm", last.plan_totals_norisk_warm),
    )
    for name, totals in rows:
        value = as_number(totals.get("percent_covered"))
        print(f"{name:<22} totals.percent_covered = {'-' if value is None else repr(value)}")
    expected = as_number(last.coverage_totals.get("percent_covered"))
    got = [as_number(totals.get("percent_covered")) for _, totals in rows[1:]]
    if expected is None or any(value is None for value in got):
        print("totals agree: unknown (a total is missing)")
    else:
        agree = all(math.isclose(expected, value or 0.0, abs_tol=1e-9) for value in got)
        print(f"totals agree: {'yes' if agree else 'NO'}")
    for note in (note for one in rounds for note in one.notes):
        print(f"note: {note}")


def print_failure(failure: CommandFailed) -> None:
    code = "no exit code" if failure.returncode is None else f"exit code {failure.returncode}"
    print(f"\nFAILED: {failure.label} ({code})", file=sys.stderr)
    print(f"command: {shlex.join(failure.command)}", file=sys.stderr)
    tail = failure.stderr.rstrip().splitlines()[-STDERR_TAIL_LINES:]
    if tail:
        print(f"stderr (last {len(tail)} lines):", file=sys.stderr)
        for line in tail:
            print(f"  {line}", file=sys.stderr)
    else:
        print("stderr: none captured (a set-up step's output is shown above)", file=sys.stderr)
    if "No module named covgap" in failure.stderr:
        print(
            f"hint: install covgap into that interpreter (pip install {REPO_ROOT}), "
            "or run with --setup",
            file=sys.stderr,
        )


def describe(python: str) -> None:
    """Which interpreter, coverage.py and covgap are measured: the numbers mean little without."""
    code = (
        "import sys, coverage, importlib.util as u\n"
        "spec = u.find_spec('covgap')\n"
        "where = spec.origin if spec else 'not installed'\n"
        "version = __import__('covgap').__version__ if spec else '-'\n"
        "print(f'python {sys.version.split()[0]}, coverage {coverage.__version__}, "
        "covgap {version} from {where}')\n"
    )
    described = probe(python, code)
    error_lines = described.stderr.strip().splitlines() or ["no output"]
    log(f"{python}: {described.stdout.strip() or error_lines[-1]}")


# ---------------------------------------------------------------------------------------- main


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    default_base = Path(tempfile.gettempdir()) / "covgap-bench"
    parser = argparse.ArgumentParser(
        description="Time covgap plan (cold and warm, with risk and with --no-risk) against "
        "coverage json on sympy's data.",
        epilog="Without --setup the work folder must already hold .coverage (and .coveragerc).",
    )
    parser.add_argument(
        "--python",
        help="interpreter with sympy, coverage and covgap installed "
        "(default: this one; with --setup and no --python, the venv --setup makes)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=default_base / "work",
        help="folder with .coverage and .coveragerc (default: %(default)s, created)",
    )
    parser.add_argument(
        "--venv",
        type=Path,
        default=default_base / "venv",
        help="the venv --setup makes when no --python is given (default: %(default)s)",
    )
    parser.add_argument(
        "--setup",
        action="store_true",
        help="first make what is missing: venv, packages, covgap from this tree, .coverage",
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds to time (default 1)")
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds any one command may take"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary reports")
    arguments = parser.parse_args(argv)
    if arguments.repeat < 1:
        parser.error("--repeat must be at least 1")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    workdir: Path = arguments.workdir.resolve()
    own_venv: Path | None = None
    if arguments.python:
        python = arguments.python
    elif arguments.setup:
        own_venv = arguments.venv.resolve()
        python = str(own_venv / "bin" / "python")
    else:
        python = sys.executable
    workdir.mkdir(parents=True, exist_ok=True)

    rounds: list[Round] = []
    scratch: Path | None = None
    try:
        if arguments.setup:
            setup(python, own_venv, workdir, arguments.timeout)
        if shutil.which(python) is None:
            print(f"no interpreter at {python}", file=sys.stderr)
            return 1
        if not (workdir / ".coverage").exists():
            print(f"no {workdir / '.coverage'}: run with --setup to make it", file=sys.stderr)
            return 1
        describe(python)
        scratch = Path(tempfile.mkdtemp(prefix="covgap-bench-"))
        for _ in range(arguments.repeat):
            rounds.append(Round())
            measure_round(python, workdir, scratch, arguments.timeout, rounds[-1])
    except CommandFailed as failure:
        if rounds:
            print_report(rounds)
        print_failure(failure)
        if scratch is not None:
            print(f"reports so far are in {scratch}", file=sys.stderr)
        return 1
    assert scratch is not None  # made before the first round, and there is at least one
    print_report(rounds)
    if arguments.keep:
        print(f"\nreports kept in {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
