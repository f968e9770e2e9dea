"""Time ``covgap run`` against plain pytest, ``coverage run`` and pytest-cov on real test suites.

For each interpreter and each project, it times the same test selection run six ways, in the
project's folder:

1. ``plain``: ``python -m pytest -q -p no:cacheprovider SELECTION``;
2. ``coverage``: ``python -m coverage run --branch --source=PKG -m pytest -q -p no:cacheprovider
   SELECTION`` (the usual way);
3. ``pytest-cov``: ``python -m pytest -q -p no:cacheprovider --cov=PKG --cov-branch SELECTION``
   (its default terminal report included: that is what a user of it gets);
4. ``covgap``: ``python -m covgap run --format json --output TMP --no-cache -- -q SELECTION``
   (branch coverage; writing the plan is part of the cost; no ``-p no:cacheprovider``: covgap
   already keeps pytest's cache out of the project, with ``-o cache_dir=``, which pytest
   refuses under ``--strict-config`` when the cache plugin is off);
5. ``covgap-fast``: the same with ``--fast`` (line coverage; sys.monitoring on Python 3.12+);
6. ``covgap-fast-all``: ``--fast`` with covgap's default formats (the terminal summary, plan.md,
   plan.json and index.html), what a user who types ``covgap run --fast`` waits for.

Every variant is run once first, untimed (it compiles bytecode, warms the disk cache, and checks
that every variant counts the same outcomes: pytest's summary line for 1-3, ``health.counts`` of
covgap's ``plan.json`` for 4-6). Then ``--runs`` rounds (default 5): each round runs every variant
once, in an order rotated from round to round, so that machine noise hits all of them alike. Each
variant's time is divided by plain pytest's time *of the same round*; the table shows the median
seconds, the median of those ratios, and their spread (min-max). For the covgap variants it also
shows the seconds covgap itself measured around the suite (``plan.json`` -> ``run.seconds``) and
the rest of its wall time (start-up, probing the interpreter, combining, analysing, writing the
plan). Nothing here asserts a timing: the exit code is 0, or 1 when a command failed or the
variants did not count the same outcomes (it says which). ``PYTHONDONTWRITEBYTECODE`` is dropped
from the variants' environment, so bytecode is cached as on a developer's machine; the 1-minute
load average is printed after each round: anything above 1 means another program shared the CPUs.

The projects (sdists from the package index, which ship their tests) and their selections, chosen
to take 3-6 s plainly on 2 cores; tests that fail here for reasons of the environment are
deselected, and hypothesis is seeded so that every run does the same work:

- attrs 26.1.0: ``tests/test_make.py tests/test_dunders.py tests/test_validators.py
  tests/test_converters.py``;
- pyparsing 3.3.3: ``tests/test_simple_unit.py tests/test_unit.py::Test02_WithoutPackrat``;
- tomlkit 0.15.2: ``tests``;
- python-dateutil 4.0.0 (not run unless named): ``tests/test_parser.py tests/test_rrule.py
  tests/test_relativedelta.py tests/test_isoparser.py tests/test_tz.py``.

``--setup`` makes what is missing under ``--workdir`` (default ``<tempdir>/covgap-bench-run``),
with exactly these commands (LABEL is the interpreter's label, ``3.11`` say)::

    cp SDISTS/NAME-VERSION.tar.gz WORKDIR/sdists/     # when --sdists holds it, else:
    python3 -m pip download --no-deps --no-binary :all: NAME==VERSION -d WORKDIR/sdists
    tar -xzf WORKDIR/sdists/NAME-VERSION.tar.gz -C WORKDIR/src
    INTERPRETER -m venv WORKDIR/venv-LABEL
    WORKDIR/venv-LABEL/bin/python -m pip install pytest==9.2.0 coverage==7.17.3 \\
        pytest-cov==7.1.0 hypothesis==6.170.15 pympler==1.1 cloudpickle==3.1.2 \\
        freezegun==1.5.5 PyYAML==6.0.3
    WORKDIR/venv-LABEL/bin/python -m pip install -e WORKDIR/src/NAME-VERSION   # each project
    WORKDIR/venv-LABEL/bin/python -m pip install -e COVGAP_REPO_ROOT

Run it::

    python3 benchmarks/bench_run.py --setup               # from nothing, then measure (~20 min)
    python3 benchmarks/bench_run.py --setup --sdists /tmp/verify/sdists --runs 7
    python3 benchmarks/bench_run.py --project tomlkit --interpreter 3.12 --runs 3
    python3 benchmarks/bench_run.py --project dateutil --select 'dateutil=tests/test_rrule.py'

The default interpreters are ``3.11=python3`` and ``3.12=PYENV_VERSION=3.12.1 python3.12``
(``LABEL=[VAR=VALUE ...] COMMAND``; only ``--setup`` runs them, to make the venvs; to measure
with a venv already made, its label is enough: ``--interpreter 3.12``). Standard
library only, Python 3.10+.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: The repository whose covgap ``--setup`` installs (editable): the parent of this file's folder.
REPO_ROOT = Path(__file__).resolve().parent.parent

#: Everything the suites and the variants need besides the projects; pinned for comparable runs.
TOOL_PACKAGES = (
    "pytest==9.2.0",
    "coverage==7.17.3",
    "pytest-cov==7.1.0",
    "hypothesis==6.170.15",
    "pympler==1.1",
    "cloudpickle==3.1.2",
    "freezegun==1.5.5",
    "PyYAML==6.0.3",
)

#: Given to pytest by every variant, before the selection.
PYTEST_COMMON = ("-q", "-p", "no:cacheprovider")

#: Variables that would send coverage.py to another data or configuration file.
COVERAGE_VARIABLES = ("COVERAGE_FILE", "COVERAGE_RCFILE", "COVERAGE_PROCESS_START", "COVERAGE_CORE")

VARIANTS = ("plain", "coverage", "pytest-cov", "covgap", "covgap-fast", "covgap-fast-all")

#: The outcomes compared across variants (pytest's summary words, covgap's health counts).
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")


@dataclass(frozen=True)
class Project:
    """A project from the package index, and the tests of it that are timed."""

    name: str
    requirement: str
    #: The sdist's file name and the folder it unpacks to (without ``.tar.gz``).
    stem: str
    #: What ``--source`` / ``--cov`` measure: the same as covgap's (configured or detected).
    packages: tuple[str, ...]
    selection: tuple[str, ...]


PROJECTS: dict[str, Project] = {
    project.name: project
    for project in (
        Project(
            "attrs",
            "attrs==26.1.0",
            "attrs-26.1.0",
            ("attr", "attrs"),
            (
                "--hypothesis-seed=0",
                "tests/test_make.py",
                "tests/test_dunders.py",
                "tests/test_validators.py",
                "tests/test_converters.py",
                # fails with this pytest (an annotation assertion), on every variant alike
                "--deselect",
                "tests/test_converters.py::TestPipe::test_wrapped_annotation",
            ),
        ),
        Project(
            "pyparsing",
            "pyparsing==3.3.3",
            "pyparsing-3.3.3",
            ("pyparsing",),
            ("tests/test_simple_unit.py", "tests/test_unit.py::Test02_WithoutPackrat"),
        ),
        Project("tomlkit", "tomlkit==0.15.2", "tomlkit-0.15.2", ("tomlkit",), ("tests",)),
        Project(
            "dateutil",
            "python-dateutil==4.0.0",
            "python_dateutil-4.0.0",
            ("dateutil",),
            (
                "tests/test_parser.py",
                "tests/test_rrule.py",
                "tests/test_relativedelta.py",
                "tests/test_isoparser.py",
                "tests/test_tz.py",
                # depends on the machine's tzdata
                "--deselect",
                "tests/test_tz.py::test_gettz_link[tzpath-Europe/Monaco-Europe/Paris]",
            ),
        ),
    )
}
DEFAULT_PROJECTS = ("attrs", "pyparsing", "tomlkit")
DEFAULT_INTERPRETERS = ("3.11=python3", "3.12=PYENV_VERSION=3.12.1 python3.12")


class BenchError(Exception):
    """A command failed, or the variants disagree: the message says which."""


@dataclass(frozen=True)
class Interpreter:
    label: str
    command: tuple[str, ...]
    environment: dict[str, str]


@dataclass
class Timing:
    """One variant's timed runs on one project, round by round."""

    seconds: list[float] = field(default_factory=list)
    #: covgap only: ``run.seconds`` from plan.json, the suite's own part of the wall time.
    suite_seconds: list[float] = field(default_factory=list)


def parse_interpreter(text: str) -> Interpreter:
    label, _, command = text.partition("=")
    words = shlex.split(command)
    environment: dict[str, str] = {}
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        key, _, value = words.pop(0).partition("=")
        environment[key] = value
    if not label or (command and not words):
        raise argparse.ArgumentTypeError(f"expected LABEL[=[VAR=VALUE ...] COMMAND], got {text!r}")
    return Interpreter(label, tuple(words), environment)


def run_command(
    command: Sequence[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    log: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``command``, raise BenchError (with the tail of its output) when it cannot start."""
    try:
        result = subprocess.run(
            list(command),
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            check=False,
        )
    except OSError as error:
        raise BenchError(f"cannot run {shlex.join(command)}: {error}") from error
    if log is not None:
        log.write_text(result.stdout)
    return result


def checked(command: Sequence[str], env: dict[str, str] | None = None) -> str:
    """Run ``command``; its output, or BenchError with the tail of it when it failed."""
    result = run_command(command, env=env)
    if result.returncode != 0:
        tail = "\n".join(result.stdout.strip().splitlines()[-15:])
        raise BenchError(f"{shlex.join(command)} exited {result.returncode}:\n{tail}")
    return result.stdout


def venv_python(workdir: Path, label: str) -> Path:
    return workdir / f"venv-{label}" / "bin" / "python"


def setup(
    workdir: Path,
    sdists: Path | None,
    projects: Sequence[Project],
    interpreters: Sequence[Interpreter],
) -> None:
    """Make the sdists' folders and one venv per interpreter, where missing; reinstall covgap."""
    (workdir / "sdists").mkdir(parents=True, exist_ok=True)
    (workdir / "src").mkdir(parents=True, exist_ok=True)
    for project in projects:
        folder = workdir / "src" / project.stem
        if folder.is_dir():
            continue
        archive = workdir / "sdists" / f"{project.stem}.tar.gz"
        if not archive.exists():
            if sdists is not None and (sdists / archive.name).exists():
                shutil.copy2(sdists / archive.name, archive)
            else:
                print(f"setup: downloading {project.requirement}", flush=True)
                checked(
                    [
                        sys.executable,
                        "-m",
                        "pip",
                        "download",
                        "--no-deps",
                        "--no-binary",
                        ":all:",
                        project.requirement,
                        "-d",
                        str(workdir / "sdists"),
                    ]
                )
        with tarfile.open(archive) as tar:
            tar.extractall(workdir / "src", filter="data")
    for interpreter in interpreters:
        python = venv_python(workdir, interpreter.label)
        pip = [str(python), "-m", "pip", "install", "-q"]
        if not python.exists():
            if not interpreter.command:
                raise BenchError(f"no command to make the venv for {interpreter.label} with")
            print(f"setup: making the venv for {interpreter.label}", flush=True)
            environment = {**os.environ, **interpreter.environment}
            checked(
                [*interpreter.command, "-m", "venv", str(python.parent.parent)], env=environment
            )
            checked([*pip, *TOOL_PACKAGES])
            for project in projects:
                checked([*pip, "-e", str(workdir / "src" / project.stem)])
        else:
            for project in projects:  # projects added since the venv was made
                probe = f"import importlib.metadata as m; m.version({project.name!r})"
                if run_command([str(python), "-c", probe]).returncode != 0:
                    checked([*pip, "-e", str(workdir / "src" / project.stem)])
        checked([*pip, "-e", str(REPO_ROOT)])


def variant_command(
    variant: str, python: Path, project: Project, selection: Sequence[str], output: Path
) -> list[str]:
    pytest_args = [*PYTEST_COMMON, *selection]
    source = ",".join(project.packages)
    if variant == "plain":
        return [str(python), "-m", "pytest", *pytest_args]
    if variant == "coverage":
        return [
            str(python),
            "-m",
            "coverage",
            "run",
            "--branch",
            f"--source={source}",
            "-m",
            "pytest",
            *pytest_args,
        ]
    if variant == "pytest-cov":
        covs = [f"--cov={package}" for package in project.packages]
        return [str(python), "-m", "pytest", *covs, "--cov-branch", *pytest_args]
    # covgap sends pytest's cache to .covgap/run/ itself (``-o cache_dir=...``); with the cache
    # plugin disabled that option is unknown, and a suite with --strict-config does not start.
    pytest_args = [arg for arg in pytest_args if arg not in ("-p", "no:cacheprovider")]
    fast = ["--fast"] if variant.startswith("covgap-fast") else []
    formats = [] if variant == "covgap-fast-all" else ["--format", "json"]
    return [
        str(python),
        "-m",
        "covgap",
        "run",
        *fast,
        *formats,
        "--output",
        str(output),
        "--no-cache",
        "--",
        *pytest_args,
    ]


_SUMMARY_WORD = re.compile(r"(\d+) (subtests? )?([a-z]+)")


def summary_counts(output: str) -> dict[str, int]:
    """The outcome counts of pytest's last summary line (``3 failed, 5 passed in 1.2s``)."""
    lines = [line for line in output.splitlines() if re.search(r"\bin [\d.]+s\b", line)]
    if not lines:
        raise BenchError("no pytest summary line in the output")
    counts = dict.fromkeys(OUTCOMES, 0)
    for number, subtest, word in _SUMMARY_WORD.findall(lines[-1]):
        key = {"errors": "error"}.get(word, word)
        if not subtest and key in counts:
            counts[key] = int(number)
    return counts


def clean(project_dir: Path) -> None:
    """Remove what the previous variant left in the project's folder."""
    for path in project_dir.glob(".coverage*"):
        if path.is_file():
            path.unlink()
    shutil.rmtree(project_dir / ".covgap", ignore_errors=True)


def run_variant(
    variant: str,
    python: Path,
    project: Project,
    project_dir: Path,
    selection: Sequence[str],
    scratch: Path,
) -> tuple[float, dict[str, int], float | None]:
    """Run one variant: its wall seconds, its outcome counts, covgap's ``run.seconds``."""
    clean(project_dir)
    output = scratch / f"out-{variant}"
    shutil.rmtree(output, ignore_errors=True)
    command = variant_command(variant, python, project, selection, output)
    environment = {k: v for k, v in os.environ.items() if k not in COVERAGE_VARIABLES}
    environment.pop("PYTEST_ADDOPTS", None)
    # Bytecode is cached as on a developer's machine (the warm-up writes it): without the cache
    # every run would compile the project and covgap again, a constant that blurs the ratios.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    result = run_command(command, cwd=project_dir, env=environment, log=scratch / f"{variant}.log")
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        tail = "\n".join(result.stdout.strip().splitlines()[-15:])
        raise BenchError(
            f"{project.name}, {variant}: {shlex.join(command)} exited {result.returncode}:\n{tail}"
        )
    if not variant.startswith("covgap"):
        return seconds, summary_counts(result.stdout), None
    plan = json.loads((output / "plan.json").read_text())
    if plan["run"]["pytest_exit_code"] != 0:  # covgap's exit 0 says so too; say pytest's
        raise BenchError(
            f"{project.name}, {variant}: pytest exited {plan['run']['pytest_exit_code']} "
            f"under covgap ({plan['health']['stopped']}); see {project_dir}/.covgap/run/pytest.log"
        )
    counts = {key: int(plan["health"]["counts"][key]) for key in OUTCOMES}
    return seconds, counts, float(plan["run"]["seconds"])


def versions(python: Path) -> str:
    code = (
        "import importlib.metadata as m, platform;"
        "print('Python ' + platform.python_version(), *(f'{n} {m.version(n)}' for n in "
        "('coverage', 'pytest', 'pytest-cov', 'covgap')), sep=', ')"
    )
    return checked([str(python), "-c", code]).strip()


def ratio_text(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.2f}× ({min(values):.2f}–{max(values):.2f})"


def measure(
    label: str,
    python: Path,
    workdir: Path,
    projects: Sequence[Project],
    selections: dict[str, tuple[str, ...]],
    runs: int,
) -> bool:
    """Measure every project with one interpreter, print its tables; False when counts differ."""
    print(f"\n## Python {label}: {versions(python)}\n", flush=True)
    agree = True
    medians: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    for project in projects:
        project_dir = workdir / "src" / project.stem
        selection = selections.get(project.name, project.selection)
        scratch = workdir / "scratch" / label / project.name
        scratch.mkdir(parents=True, exist_ok=True)
        counts: dict[str, dict[str, int]] = {}
        for variant in VARIANTS:  # untimed warm-up, and the outcome counts
            _, counts[variant], _ = run_variant(
                variant, python, project, project_dir, selection, scratch
            )
        same = all(found == counts["plain"] for found in counts.values())
        agree &= same
        timings = {variant: Timing() for variant in VARIANTS}
        for round_number in range(runs):
            shift = round_number % len(VARIANTS)
            for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                seconds, _, suite = run_variant(
                    variant, python, project, project_dir, selection, scratch
                )
                timings[variant].seconds.append(seconds)
                if suite is not None:
                    timings[variant].suite_seconds.append(suite)
            load = os.getloadavg()[0]
            print(
                f"  {project.name}: round {round_number + 1}/{runs} done (load {load:.1f})",
                flush=True,
            )
        clean(project_dir)
        plain = timings["plain"].seconds
        shown = {key: value for key, value in counts["plain"].items() if value}
        print(f"\n### {project.name}: {shlex.join(selection)}\n")
        print(
            f"outcomes: {shown}; covgap's plan.json health counts "
            f"{'equal' if same else 'DIFFER FROM'} pytest's" + ("" if same else f": {counts}")
        )
        print(
            "\n| variant | median s | ratio to plain (min–max) | suite s (run.seconds) | rest s |"
        )
        print("| --- | --- | --- | --- | --- |")
        for variant in VARIANTS:
            timing = timings[variant]
            ratios = [mine / base for mine, base in zip(timing.seconds, plain, strict=True)]
            medians[variant].append(statistics.median(ratios))
            suite_text = rest_text = ""
            if timing.suite_seconds:
                suite_text = f"{statistics.median(timing.suite_seconds):.2f}"
                rest = statistics.median(
                    wall - part
                    for wall, part in zip(timing.seconds, timing.suite_seconds, strict=True)
                )
                rest_text = f"{rest:.2f}"
            print(
                f"| {variant} | {statistics.median(timing.seconds):.2f} | {ratio_text(ratios)} "
                f"| {suite_text} | {rest_text} |"
            )
        versus = [
            mine / theirs
            for mine, theirs in zip(
                timings["covgap"].seconds, timings["pytest-cov"].seconds, strict=True
            )
        ]
        print(f"\ncovgap / pytest-cov, round by round: {ratio_text(versus)}")
    print(f"\n### Python {label}, all projects: geometric mean of the median ratios to plain\n")
    print("| variant | ratio |\n| --- | --- |")
    for variant in VARIANTS:
        values = medians[variant]
        mean = math.exp(sum(math.log(value) for value in values) / len(values))
        print(f"| {variant} | {mean:.2f}× |")
    return agree


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "covgap-bench-run",
        help="holds sdists/, src/ (the unpacked projects), venv-LABEL/ and scratch/",
    )
    parser.add_argument("--setup", action="store_true", help="make what is missing, first")
    parser.add_argument("--sdists", type=Path, help="a folder of sdists to copy instead of fetch")
    parser.add_argument(
        "--project",
        action="append",
        choices=sorted(PROJECTS),
        help=f"repeatable; default: {' '.join(DEFAULT_PROJECTS)}",
    )
    parser.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="PROJECT=PYTEST_ARGS",
        help="another test selection for a project (shell words), repeatable",
    )
    parser.add_argument(
        "--interpreter",
        action="append",
        type=parse_interpreter,
        metavar="LABEL[=[VAR=VALUE ...] COMMAND]",
        help=f"repeatable; default: {' and '.join(DEFAULT_INTERPRETERS)}",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (default 5)")
    args = parser.parse_args(argv)

    projects = [PROJECTS[name] for name in (args.project or DEFAULT_PROJECTS)]
    interpreters: list[Interpreter] = args.interpreter or [
        parse_interpreter(text) for text in DEFAULT_INTERPRETERS
    ]
    selections: dict[str, tuple[str, ...]] = {}
    for text in args.select:
        name, _, words = text.partition("=")
        if name not in PROJECTS:
            parser.error(f"--select: unknown project {name!r}")
        selections[name] = tuple(shlex.split(words))
    workdir: Path = args.workdir.resolve()
    try:
        if args.setup:
            setup(workdir, args.sdists, projects, interpreters)
        agree = True
        for interpreter in interpreters:
            python = venv_python(workdir, interpreter.label)
            if not python.exists():
                raise BenchError(f"{python} is missing: run with --setup")
            agree &= measure(interpreter.label, python, workdir, projects, selections, args.runs)
    except BenchError as error:
        print(f"bench_run: {error}", file=sys.stderr)
        return 1
    if not agree:
        print("bench_run: the variants did not count the same outcomes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
