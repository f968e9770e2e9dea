"""Running the suite again and again for ``covgap flaky``: seeded orders, outcomes, coverage.

Each run is ``python -m pytest -p covgap_flaky --covgap-seed=N -p no:randomly`` in the project's
folder, the plugin's folder on ``PYTHONPATH`` (``plugin/covgap_flaky.py``: it shuffles with the
seed, reseeds ``random`` before each test, and logs each test's outcome), and
``PYTHONHASHSEED=N`` unless the environment sets it. With coverage,
covgap run's own plugin (``-p covgap_pytest``) starts coverage.py first, with covgap run's
layered settings and a context per test. Everything goes to the project's ``.covgap/flaky/``:
``NAME.jsonl`` (the log), ``NAME.log`` (pytest's output), ``NAME/`` (the coverage data).

The experiments (a test alone, after the tests that ran before it, a bisection) run serially
with ``--covgap-keep-order`` and the test node ids in the order wanted: the same command as the
reproduce command ``covgap flaky`` prints, with a log and pytest's cache folder added.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from covgap.collect.suite.interpreter import Interpreter, choose_core, tracer_core
from covgap.collect.suite.plugin import PLUGIN_DIR
from covgap.collect.suite.run import _ENV_DROPPED, pytest_error_line
from covgap.errors import DataError, NoTestsError, OutputError, UsageError
from covgap.model import Outcome, TestOutcome
from covgap.model.flaky import FlakyRun, RunTest

__all__ = [
    "FLAKY_FOLDER",
    "PytestRun",
    "Rerunner",
    "RunCoverage",
    "check_started",
    "hash_seed",
    "source_of_test",
    "workers_disagree",
]

#: Where ``covgap flaky`` keeps what its runs wrote.
FLAKY_FOLDER = Path(".covgap") / "flaky"
_PLUGIN = "covgap_flaky"
_OUTCOMES: frozenset[str] = frozenset(
    {"passed", "failed", "error", "skipped", "xfailed", "xpassed"}
)


@dataclass(frozen=True)
class RunCoverage:
    """What one run covered, per file (relative to the project)."""

    lines: dict[str, frozenset[int]]
    arcs: dict[str, frozenset[tuple[int, int]]]
    #: Per file and line: the tests (coverage contexts) that ran it.
    tests: dict[str, dict[int, frozenset[str]]]


@dataclass(frozen=True)
class PytestRun:
    """One pytest process: its tests' outcomes as the plugin logged them."""

    seed: int
    argv: tuple[str, ...]
    tests: tuple[RunTest, ...]
    seconds: float
    #: pytest's exit code; None when the run was cut (by the budget).
    exit_code: int | None
    workers: int
    #: pytest's ``config.args`` and rootdir, as logged (empty when the log has none).
    args: tuple[str, ...] = ()
    rootdir: str = ""
    collected: int | None = None
    output: Path | None = None
    coverage: RunCoverage | None = None

    @property
    def cut(self) -> bool:
        return self.exit_code is None

    def outcome_of(self, nodeid: str) -> RunTest | None:
        return next((test for test in self.tests if test.nodeid == nodeid), None)

    def as_run(self) -> FlakyRun:
        return FlakyRun(self.seed, self.workers, self.seconds, self.tests, self.exit_code or 0)


def _clean(folder: Path) -> None:
    """Empty covgap flaky's folder of a previous run's files; OutputError when it cannot."""
    import shutil

    try:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    except OSError as exc:
        raise OutputError(
            f"covgap flaky's folder cannot be written: {exc.strerror or exc}",
            path=str(folder),
            hint="make it writable, or remove it: covgap makes it anew",
            slug="run-folder",
        ) from exc


@dataclass
class Rerunner:
    """Runs the project's suite (or its selection) with covgap's flaky plugin."""

    project_dir: Path
    python: str
    #: What followed ``--`` and the node ids of ``--tests``: the selection of every main run.
    pytest_args: tuple[str, ...] = ()
    has_xdist: bool = False
    #: The probed interpreter, for ``--coverage`` (None without it).
    interpreter: Interpreter | None = None
    folder: Path = field(init=False)
    #: The user's options, without the paths and node ids they selected: given to the
    #: experiments, whose node ids are their own (known after the first run).
    options: tuple[str, ...] = ()
    #: The folder node ids are relative to (pytest's rootdir), where experiments run.
    rootdir: Path | None = None
    #: Experiments need ``-n 0``: the runs were distributed by pytest-xdist.
    serial_flag: bool = False
    _count: int = 0

    def __post_init__(self) -> None:
        self.project_dir = self.project_dir.resolve()
        self.folder = self.project_dir / FLAKY_FOLDER
        _clean(self.folder)

    # The commands.

    def _pytest(self, seed: int, *, keep_order: bool) -> list[str]:
        argv = [self.python, "-m", "pytest", "-p", _PLUGIN, f"--covgap-seed={seed}"]
        argv += ["-p", "no:randomly"]
        if keep_order:
            argv.append("--covgap-keep-order")
        return argv

    def experiment_argv(self, seed: int, tests: Sequence[str]) -> list[str]:
        """The command that runs ``tests`` serially, in this order, with ``seed``."""
        argv = self._pytest(seed, keep_order=True) + list(self.options)
        if self.serial_flag:
            argv += ["-n", "0"]
        return argv + list(tests)

    def reproduce(self, seed: int, tests: Sequence[str]) -> tuple[str, str]:
        """A shell command that runs ``tests`` as an experiment did, and the folder to run it
        in (the interpreter as given, or relative to that folder when it is inside)."""
        where = self.rootdir or self.project_dir
        argv = self.experiment_argv(seed, tests)
        python = Path(argv[0])
        with contextlib.suppress(ValueError):
            argv[0] = python.relative_to(where).as_posix()
        command = " ".join(shlex.quote(arg) for arg in argv)
        hashing = os.environ.get("PYTHONHASHSEED") or hash_seed(seed)
        variables = f"PYTHONPATH={shlex.quote(str(PLUGIN_DIR))} PYTHONHASHSEED={hashing}"
        return f"{variables} {command}", str(where)

    def _environment(self, seed: int) -> dict[str, str]:
        environment = {k: v for k, v in os.environ.items() if k not in _ENV_DROPPED}
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(PLUGIN_DIR), *filter(None, [environment.get("PYTHONPATH")])]
        )
        environment.setdefault("PYTHONHASHSEED", hash_seed(seed))
        return environment

    # Running.

    def run(
        self,
        seed: int,
        *,
        parallel: str | None = None,
        tests: Sequence[str] | None = None,
        coverage: bool = False,
        deadline: float | None = None,
    ) -> PytestRun:
        """One run: the whole selection shuffled with ``seed`` (``tests`` None), or ``tests``
        in their order; cut (``exit_code`` None) when ``deadline`` (``time.monotonic()``) comes."""
        self._count += 1
        name = f"{'run' if tests is None else 'check'}-{self._count:03d}"
        log, output = self.folder / f"{name}.jsonl", self.folder / f"{name}.log"
        workers = 1
        if tests is None:
            argv = [*self._pytest(seed, keep_order=False), "--continue-on-collection-errors"]
            if parallel and self.has_xdist:
                argv += ["-n", parallel]
                workers = (os.cpu_count() or 1) if parallel == "auto" else int(parallel)
            argv += list(self.pytest_args)
        else:
            argv = self.experiment_argv(seed, tests)
        argv += [f"--covgap-log={log}", "-o", f"cache_dir={self.folder / 'pytest-cache'}"]
        environment = self._environment(seed)
        settings: str | None = None
        data_folder = self.folder / name
        if coverage:
            settings = self._coverage_settings(data_folder)
            argv[3:3] = ["-p", "covgap_pytest"]  # before covgap_flaky: coverage starts first
        cwd = self.project_dir if tests is None else (self.rootdir or self.project_dir)
        started = time.monotonic()
        code = self._execute(argv, cwd, environment, output, settings, deadline)
        seconds = time.monotonic() - started
        read = _read_log(log)
        covered = None
        if coverage and code is not None:
            covered = _read_coverage(data_folder, self.project_dir)
        run = PytestRun(
            seed=seed,
            argv=tuple(argv),
            tests=read.tests,
            seconds=seconds,
            exit_code=code,
            workers=workers,
            args=read.args,
            rootdir=read.rootdir,
            collected=read.collected,
            output=output,
            coverage=covered,
        )
        if tests is None and not run.cut:
            self._learn(run, parallel)
        return run

    def _learn(self, run: PytestRun, parallel: str | None) -> None:
        """What the experiments take from a whole run: the user's options without the paths
        pytest collected, the rootdir, and whether pytest-xdist must be told ``-n 0``."""
        if run.rootdir and self.rootdir is None:
            self.rootdir = Path(run.rootdir)
        collected = set(run.args)
        self.options = tuple(arg for arg in self.pytest_args if arg not in collected)
        distributed = any(test.worker for test in run.tests)
        if self.has_xdist and (parallel or distributed):
            self.serial_flag = True

    def _coverage_settings(self, data_folder: Path) -> str:
        from covgap.collect.suite.rcfile import layer_settings

        assert self.interpreter is not None
        data_folder.mkdir(parents=True, exist_ok=True)
        layered = layer_settings(
            self.project_dir,
            data_folder,
            data_folder / ".coverage",
            True,
            choose_core(self.interpreter, True),
            tracer_core(self.interpreter),
        )
        return json.dumps({"rcfile": str(layered.rcfile), "contexts": True})

    def _execute(
        self,
        argv: list[str],
        cwd: Path,
        environment: dict[str, str],
        output: Path,
        settings: str | None,
        deadline: float | None,
    ) -> int | None:
        """Run ``argv``; its exit code, or None when it was stopped at ``deadline``."""
        fds: tuple[int, ...] = ()
        write_end = None
        if settings is not None:
            read_end, write_end = os.pipe()
            environment["COVGAP_START_FD"] = str(read_end)
            fds = (read_end,)
        try:
            with output.open("wb") as stream:
                process = subprocess.Popen(
                    argv,
                    cwd=cwd,
                    env=environment,
                    stdout=stream,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                    pass_fds=fds,
                )
        except OSError as exc:
            if write_end is not None:
                os.close(write_end)
            raise UsageError(
                f"cannot run this interpreter ({exc.strerror or exc})",
                path=argv[0],
                slug="bad-python",
            ) from exc
        finally:
            for fd in fds:
                os.close(fd)
        try:
            if write_end is not None:
                with os.fdopen(write_end, "w", encoding="utf-8") as start:
                    start.write(settings or "")
            while True:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    _kill(process)
                    return None
                try:
                    return process.wait(timeout=left)
                except subprocess.TimeoutExpired:
                    continue
        except BaseException:
            _kill(process)
            raise


def hash_seed(seed: int) -> str:
    """The ``PYTHONHASHSEED`` of the runs with ``seed`` (unless the environment sets one): a
    run's string hashes, so its sets' order, follow its seed, as its test order does, and the
    experiments and pytest-xdist's workers get the same (node ids built in a set's order are
    the same in each)."""
    return str(seed % 2**32)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Stop the run's whole process group (its data is not used: no grace)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


#: pytest-xdist's worker node ids ("gw0"), which its own errors are reported under.
_WORKER = re.compile(r"^gw\d+$")


def workers_disagree(run: PytestRun) -> str:
    """Why pytest-xdist ran no test ("" when it ran them): its workers collected different
    tests (parametrize values in a set's order that differs from process to process, say)."""
    if run.cut or any("::" in test.nodeid for test in run.tests):
        return ""
    errors = [test for test in run.tests if _WORKER.match(test.nodeid)]
    if not errors:
        return ""
    text = run.output.read_text(errors="replace") if run.output and run.output.exists() else ""
    for line in text.splitlines():
        if "Different tests were collected" in line:
            return "its workers collected different tests"
    return f"{errors[0].nodeid}: {errors[0].outcome.message}"


def check_started(run: PytestRun, project_dir: Path) -> None:
    """The errors of a whole run that did not run the suite: pytest's usage error (exit 2),
    internal error or no log (3), no test collected (5)."""
    if run.cut:
        return
    code = run.exit_code
    text = run.output.read_text(errors="replace") if run.output and run.output.exists() else ""
    if code == 5 and not run.tests:
        raise NoTestsError(
            "pytest ran no tests (none collected, or all deselected): nothing to re-run",
            path=str(project_dir),
            hint="name the tests to run after --, or with --tests FILE",
        )
    if code in (3, 4) and not run.tests:
        error = (UsageError if code == 4 else DataError)(
            f"pytest {'was given a usage error' if code == 4 else 'hit an internal error'} "
            f"(exit code {code}): {pytest_error_line(text)}",
            path=str(run.output),
            hint="run the same pytest command by hand to see the whole message",
            slug="pytest-usage" if code == 4 else "pytest-failed",
        )
        raise error
    if run.collected is None and not run.tests:
        raise DataError(
            f"pytest ended (exit code {code}) without covgap's flaky plugin logging a test: "
            f"{pytest_error_line(text)}",
            path=str(run.output),
            hint="run the same pytest command by hand to see the whole message",
            slug="flaky-no-log",
        )


@dataclass
class _Log:
    tests: tuple[RunTest, ...] = ()
    args: tuple[str, ...] = ()
    rootdir: str = ""
    collected: int | None = None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _read_log(path: Path) -> _Log:
    """The plugin's log (format: ``plugin/covgap_flaky.py``); a line cut short is skipped."""
    found = _Log()
    tests: list[RunTest] = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return found
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        event = record.get("event")
        if event == "begin":
            found.args = tuple(str(arg) for arg in record.get("args") or ())
            found.rootdir = str(record.get("rootdir") or "")
        elif event == "collected":
            found.collected = (found.collected or 0) + int(record.get("count") or 0)
        elif event == "collect_error":
            outcome = TestOutcome(
                nodeid=str(record.get("nodeid", "")),
                outcome="error",
                message=str(record.get("message", "")),
                phase="collect",
            )
            tests.append(RunTest(outcome))
        elif event == "test" and record.get("outcome") in _OUTCOMES:
            also = record.get("also")
            result: Outcome = record["outcome"]
            outcome = TestOutcome(
                nodeid=str(record.get("nodeid", "")),
                outcome=result,
                duration=_number(record.get("duration")) or 0.0,
                message=str(record.get("message") or ""),
                phase=str(record.get("phase") or ""),
                also=also if also in _OUTCOMES else None,
            )
            tests.append(
                RunTest(
                    outcome,
                    exc_type=str(record.get("exc_type") or ""),
                    worker=str(record.get("worker") or ""),
                    timeout=_number(record.get("timeout")),
                )
            )
    found.tests = tuple(tests)
    return found


def _read_coverage(folder: Path, project_dir: Path) -> RunCoverage:
    """One run's coverage data (its parallel files), per file relative to the project."""
    from coverage import CoverageData

    lines: dict[str, set[int]] = defaultdict(set)
    arcs: dict[str, set[tuple[int, int]]] = defaultdict(set)
    tests: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in sorted(folder.glob(".coverage*")):
        if not path.is_file() or path.name.endswith("-journal"):
            continue
        data = CoverageData(basename=str(path))
        try:
            data.read()
        except Exception:  # a process killed while writing: its data is lost, not the run's
            continue
        for name in data.measured_files():
            try:
                relative = Path(name).resolve().relative_to(project_dir).as_posix()
            except ValueError:
                continue
            lines[relative] |= set(data.lines(name) or ())
            if data.has_arcs():
                arcs[relative] |= set(data.arcs(name) or ())
            for number, contexts in data.contexts_by_lineno(name).items():
                tests[relative][number] |= {context for context in contexts if context}
    return RunCoverage(
        lines={name: frozenset(found) for name, found in lines.items()},
        arcs={name: frozenset(found) for name, found in arcs.items()},
        tests={
            name: {number: frozenset(found) for number, found in by_line.items()}
            for name, by_line in tests.items()
        },
    )


def source_of_test(root: Path, nodeid: str) -> str:
    """The source of the test function ``nodeid`` names ("" when it cannot be found): what
    the cause of a failure is guessed from."""
    parts = nodeid.split("::")
    if len(parts) < 2:
        return ""
    try:
        source = (root / parts[0]).read_text(encoding="utf-8")
        tree = ast.parse(source)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return ""
    body: list[ast.stmt] = tree.body
    names = [part.split("[")[0] for part in parts[1:]]
    for index, name in enumerate(names):
        found: ast.AST | None = None
        for node in body:
            if (
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and node.name == name
            ):
                found = node
        if found is None:
            return ""
        if index == len(names) - 1:
            return ast.get_source_segment(source, found) or ""
        if not isinstance(found, ast.ClassDef):
            return ""
        body = found.body
    return ""
