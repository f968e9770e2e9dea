"""Running candidate tests: in a copy of the project, under coverage.py, in a seeded order, timed.

The project itself is never touched: its files are copied into the sandbox (without version
control, virtual environments, caches and build output), the candidates are written into the
copy where their tests will live, and pytest runs there with the project's own conftest files and
settings, but without its ``addopts`` (a ``--cov`` or ``-n`` there would fight the measurement).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from covgap.draft.plugin import PLUGIN_DIR, PLUGIN_NAME
from covgap.draft.sandbox import Sandbox

__all__ = ["RunResult", "TestRun", "Workspace"]

#: Folders never copied: version control, environments, caches, build output, reports.
_SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".covgap",
        "htmlcov",
        "build",
        "dist",
        ".eggs",
    }
)
#: Hangs tolerated in one run: each is cut, its test marked, the run started again without it.
_MOST_HANGS = 3


@dataclass
class TestRun:
    """One test in one run: its outcome, and what it ran (paths relative to the project)."""

    __test__ = False

    nodeid: str
    outcome: str  # "passed", "failed", "skipped", "hung"
    exc_type: str = ""
    exc_message: str = ""
    #: The file the exception was raised in, relative to the project ("" when outside it).
    origin: str = ""
    test_line: str = ""
    falsifying: str = ""
    #: Globals of the project's modules the test left bound to other objects ("mod.NAME").
    rebinds: tuple[str, ...] = ()
    lines: dict[str, frozenset[int]] = field(default_factory=dict)
    arcs: dict[str, frozenset[tuple[int, int]]] = field(default_factory=dict)
    measured: bool = False


@dataclass
class RunResult:
    """One pytest run of some candidate modules."""

    tests: dict[str, TestRun]
    #: Candidate module (relative path) -> why it did not import or collect.
    collect_errors: dict[str, str]
    seconds: float
    #: pytest's exit code (None when it was cut).
    exit_code: int | None
    output: str = ""
    #: The run's coverage data (None when it ran without coverage).
    data_file: Path | None = None


def _ignore(folder: str, names: list[str]) -> set[str]:
    skipped = {name for name in names if name in _SKIPPED_DIRS or name.endswith(".egg-info")}
    skipped |= {name for name in names if name.startswith(".coverage")}
    here = Path(folder)
    # a virtual environment under another name
    skipped |= {name for name in names if (here / name / "pyvenv.cfg").is_file()}
    return skipped


class Workspace:
    """A copy of the project in the sandbox, where candidates are written and run."""

    def __init__(
        self,
        project_dir: Path,
        sandbox: Sandbox,
        python: str,
        import_roots: Sequence[str],
        measured: Iterable[str],
        *,
        branch: bool,
    ) -> None:
        self.project_dir = project_dir.resolve()
        self.sandbox = sandbox
        self.python = python
        self.root = sandbox.root / "project"
        self.import_roots = tuple(import_roots)
        self.measured = sorted(set(measured))
        self.branch = branch
        self._runs = 0
        self._written: set[str] = set()

    def copy(self) -> None:
        """Copy the project (once)."""
        if not self.root.exists():
            shutil.copytree(self.project_dir, self.root, symlinks=True, ignore=_ignore)

    def sys_path(self) -> tuple[str, ...]:
        """The copy's import roots, absolute: they come before anything installed."""
        return tuple(str((self.root / root).resolve()) for root in self.import_roots)

    def write(self, relative: str, source: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        self._written.add(relative)

    def remove(self, relative: str) -> None:
        (self.root / relative).unlink(missing_ok=True)
        self._written.discard(relative)

    def _rcfile(self, data_file: Path) -> Path:
        rc = self.sandbox.root / f"coveragerc.{self._runs}"
        include = "\n".join(f"    {self.root / rel}" for rel in self.measured)
        rc.write_text(
            f"[run]\nbranch = {self.branch}\ndata_file = {data_file}\ninclude =\n{include}\n",
            encoding="utf-8",
        )
        return rc

    def run(
        self,
        files: Sequence[str],
        *,
        seed: int,
        timeout: float,
        coverage: bool = True,
        deselect: Sequence[str] = (),
    ) -> RunResult:
        """Run the tests of ``files`` (relative to the project) once, in the order ``seed``
        gives, each test in a coverage context of its own; a hang is cut after ``timeout``
        seconds, its test marked "hung", and the run started again without it."""
        hung: dict[str, TestRun] = {}
        started = time.monotonic()
        deselected = list(deselect)
        while True:
            result = self._run_once(files, seed, timeout, coverage, deselected)
            result.tests.update(hung)
            if result.exit_code is not None or len(hung) >= _MOST_HANGS:
                result.seconds = time.monotonic() - started
                return result
            stuck = [t for t in result.tests.values() if t.outcome == "started"]
            if not stuck:  # cut before any test started: nothing to leave out
                result.seconds = time.monotonic() - started
                for test in result.tests.values():
                    if test.outcome == "started":
                        test.outcome = "hung"
                return result
            for test in stuck:
                test.outcome = "hung"
                test.exc_type = "Timeout"
                test.exc_message = f"did not finish in {timeout:g} s"
                hung[test.nodeid] = test
                deselected.append(test.nodeid)

    def _run_once(
        self,
        files: Sequence[str],
        seed: int,
        timeout: float,
        coverage: bool,
        deselect: Sequence[str],
    ) -> RunResult:
        self._runs += 1
        number = self._runs
        log = self.sandbox.root / f"run.{number}.jsonl"
        data_file = self.sandbox.root / f"coverage.{number}"
        env = self.sandbox.env(seed=seed, extra_path=(str(PLUGIN_DIR), *self.sys_path()))
        env["COVGAP_DRAFT_SEED"] = str(seed)
        env["COVGAP_DRAFT_LOG"] = str(log)
        env["COVGAP_DRAFT_ROOT"] = str(self.root.resolve()) + os.sep
        pytest_args = [
            "-m",
            "pytest",
            "-p",
            PLUGIN_NAME,
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-o",
            "addopts=",
            "--continue-on-collection-errors",
            "-q",
            "--no-header",
            "-rN",
            *[arg for nodeid in deselect for arg in ("--deselect", nodeid)],
            *files,
        ]
        argv = [self.python]
        if coverage:
            argv += ["-m", "coverage", "run", f"--rcfile={self._rcfile(data_file)}"]
        argv += pytest_args
        started = time.monotonic()
        process = subprocess.Popen(
            argv,
            cwd=self.root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        try:
            output, _ = process.communicate(timeout=timeout)
            code: int | None = process.returncode
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            code = None
        seconds = time.monotonic() - started
        tests, errors = self._read_log(log)
        if coverage and code is not None:
            self._read_coverage(data_file, tests)
        return RunResult(tests, errors, seconds, code, output, data_file if coverage else None)

    def relative(self, path: str) -> str:
        """A path in the copy, relative to it ("" when outside)."""
        try:
            return Path(path).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return ""

    def _read_log(self, log: Path) -> tuple[dict[str, TestRun], dict[str, str]]:
        tests: dict[str, TestRun] = {}
        errors: dict[str, str] = {}
        if not log.exists():
            return tests, errors
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record: dict[str, Any] = json.loads(line)
            except ValueError:
                continue  # the last line of a killed run
            if "start" in record:
                tests[record["start"]] = TestRun(record["start"], "started")
            elif "collect_error" in record:
                errors[record["collect_error"]] = record.get("message", "")
            elif "nodeid" in record:
                tests[record["nodeid"]] = TestRun(
                    nodeid=record["nodeid"],
                    outcome=record.get("outcome", "passed"),
                    exc_type=record.get("exc_type", ""),
                    exc_message=record.get("exc_message", ""),
                    origin=self.relative(record.get("origin", "")),
                    test_line=record.get("test_line", ""),
                    falsifying=record.get("falsifying", ""),
                    rebinds=tuple(record.get("rebinds", ())),
                )
        return tests, errors

    def _read_coverage(self, data_file: Path, tests: Mapping[str, TestRun]) -> None:
        from coverage import CoverageData

        if not data_file.exists():
            return
        data = CoverageData(basename=str(data_file))
        data.read()
        files = {self.relative(name): name for name in data.measured_files()}
        for nodeid, test in tests.items():
            data.set_query_contexts([_exact(nodeid)])
            for rel, name in files.items():
                if not rel:
                    continue
                lines = data.lines(name) or []
                if lines:
                    test.lines[rel] = frozenset(lines)
                arcs = data.arcs(name) or []
                if arcs:
                    test.arcs[rel] = frozenset(arcs)
            test.measured = True


def _exact(nodeid: str) -> str:
    """A regular expression matching exactly this context."""
    return f"^{re.escape(nodeid)}$"
