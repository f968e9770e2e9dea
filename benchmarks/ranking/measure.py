"""Setting up a project (sdist, venv) and measuring its suite with per-test contexts."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from ranking.projects import TOOLS, Project

__all__ = [
    "Measured",
    "Paths",
    "measure",
    "partial_selection",
    "prepare",
    "test_files",
]

#: pytest's closing line: "3 failed, 1321 passed, 158 subtests passed in 131.15s".
_SUMMARY = re.compile(r"\b\d+ (passed|failed|errors?|skipped|deselected)\b.* in [\d.]+s")

#: The folder of the contexts plugin (``covgap_bench_contexts``), put on the suite's PYTHONPATH.
PLUGIN_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Paths:
    """Where one project's files are under the work folder."""

    root: Path

    @classmethod
    def of(cls, work: Path, project: Project) -> Paths:
        return cls(work / project.name)

    @property
    def sdists(self) -> Path:
        return self.root.parent / "sdists"

    @property
    def source(self) -> Path:
        return self.root / "src"

    @property
    def venv_python(self) -> Path:
        return self.root / "venv" / "bin" / "python"

    def data(self, kind: str) -> Path:
        """``full.coverage`` or ``partial.coverage``."""
        return self.root / f"{kind}.coverage"

    def meta(self, kind: str) -> Path:
        return self.root / f"{kind}.json"


@dataclass(frozen=True)
class Measured:
    """What a measured run was: its test files, pytest's exit code and summary, its seconds."""

    kind: str
    files: tuple[str, ...]
    exit_code: int
    summary: str
    seconds: float

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "files": list(self.files),
            "exit_code": self.exit_code,
            "summary": self.summary,
            "seconds": round(self.seconds, 2),
        }

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> Measured:
        files = raw["files"]
        assert isinstance(files, list)
        return cls(
            str(raw["kind"]),
            tuple(str(f) for f in files),
            int(str(raw["exit_code"])),
            str(raw["summary"]),
            float(str(raw["seconds"])),
        )


def _run(command: list[str], log: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run ``command``, its output appended to ``log``; a failure stops the benchmark."""
    with log.open("a") as out:
        out.write(f"$ {shlex.join(command)}\n")
        out.flush()
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, text=True, **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {shlex.join(command)}; see {log}")
    return done  # type: ignore[no-any-return]


def prepare(project: Project, paths: Paths, python: list[str]) -> Path:
    """Make what is missing: the unpacked sdist and a venv with the project installed (-e) and
    its suite's requirements. Returns the project's folder."""
    paths.root.mkdir(parents=True, exist_ok=True)
    log = paths.root / "setup.log"
    folder = paths.source / project.folder
    if not folder.is_dir():
        paths.sdists.mkdir(parents=True, exist_ok=True)
        pattern = re.compile(
            rf"{re.escape(project.name)}-{re.escape(project.version)}\.tar\.gz", re.I
        )
        found = [p for p in paths.sdists.iterdir() if pattern.fullmatch(p.name)]
        if not found:
            pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
            _run([*pip, f"{project.name}=={project.version}", "-d", str(paths.sdists)], log)
            found = [p for p in paths.sdists.iterdir() if pattern.fullmatch(p.name)]
        paths.source.mkdir(parents=True, exist_ok=True)
        with tarfile.open(found[0]) as archive:
            archive.extractall(paths.source, filter="data")
        unpacked = [p for p in paths.source.iterdir() if p.name.lower() == project.folder.lower()]
        if unpacked and unpacked[0] != folder:
            unpacked[0].rename(folder)
    if not paths.venv_python.exists():
        _run([*python, "-m", "venv", str(paths.root / "venv")], log, env=_python_env(python))
        pip = [str(paths.venv_python), "-m", "pip", "install", "-q"]
        _run([*pip, *TOOLS, *project.test_requires], log)
        _run([*pip, "-e", str(folder)], log)
    return folder


def _python_env(python: list[str]) -> dict[str, str]:
    """The environment for ``python`` given as ``[VAR=VALUE ...] COMMAND``: its variables set."""
    env = dict(os.environ)
    for word in python:
        if "=" in word and not word.startswith("-"):
            key, value = word.split("=", 1)
            env[key] = value
    return env


def interpreter(words: str) -> list[str]:
    """``PYENV_VERSION=3.12.1 python3.12`` as ``env PYENV_VERSION=3.12.1 python3.12``."""
    parts = shlex.split(words)
    return ["env", *parts] if parts and "=" in parts[0] else parts


def test_files(folder: Path, project: Project) -> list[str]:
    """The suite's test files (``test_*.py``, ``*_test.py``), relative, sorted."""
    found: set[str] = set()
    for test_dir in project.test_dirs:
        for path in (folder / test_dir).rglob("*.py"):
            if path.name.startswith("test_") or path.name.endswith("_test.py"):
                found.add(path.relative_to(folder).as_posix())
    return sorted(found)


def partial_selection(files: list[str]) -> list[str]:
    """ "Today": every fourth test file of the sorted list (index % 4 == 0)."""
    return [name for index, name in enumerate(sorted(files)) if index % 4 == 0]


def write_coveragerc(folder: Path, project: Project) -> None:
    """The project's coverage configuration for the benchmark: branch, the package as source.
    A ``.coveragerc`` wins over the project's own settings, for coverage.py and for covgap."""
    lines = ["[run]", "branch = True", f"source_pkgs = {', '.join(project.packages)}"]
    if project.omit:
        lines.append(f"omit = {', '.join(project.omit)}")
    (folder / ".coveragerc").write_text("\n".join(lines) + "\n")


def measure(
    project: Project,
    paths: Paths,
    folder: Path,
    kind: str,
    files: list[str],
    python: Path | None = None,
) -> Measured:
    """Run ``files`` under coverage.py (branch, per-test contexts) into ``paths.data(kind)``,
    with the project's venv or ``python``."""
    write_coveragerc(folder, project)
    data = paths.data(kind)
    data.unlink(missing_ok=True)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["COVERAGE_FILE"] = str(data)
    env["PYTHONPATH"] = str(PLUGIN_DIR)
    command = [
        str(python or paths.venv_python),
        "-m",
        "coverage",
        "run",
        "-m",
        "pytest",
        "-p",
        "covgap_bench_contexts",
        "-q",
        "-p",
        "no:cacheprovider",
        *project.pytest_args,
        *files,
    ]
    log = paths.root / f"{kind}.log"
    started = time.perf_counter()
    with log.open("w") as out:
        out.write(f"$ {shlex.join(command)}\n")
        out.flush()
        done = subprocess.run(command, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    summaries = [line for line in log.read_text().splitlines() if _SUMMARY.search(line)]
    summary = summaries[-1].strip("= ") if summaries else ""
    if done.returncode not in (0, 1) or not data.exists():
        raise SystemExit(f"{project.name} {kind}: pytest exit {done.returncode}; see {log}")
    measured = Measured(kind, tuple(files), done.returncode, summary, seconds)
    paths.meta(kind).write_text(json.dumps(measured.to_json(), indent=1) + "\n")
    return measured


def read_measured(paths: Paths, kind: str) -> Measured | None:
    """The recorded run of ``kind``, when its data and record are both there."""
    if not (paths.data(kind).exists() and paths.meta(kind).exists()):
        return None
    return Measured.from_json(json.loads(paths.meta(kind).read_text()))
