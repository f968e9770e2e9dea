"""Setting up a project: its sdist unpacked into a git repository, its ``.venv``, a clean tree."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from draft.projects import TOOLS, Project

__all__ = ["Paths", "clean_env", "git", "prepare", "reset", "run_logged"]

#: The author of the benchmark's commits in the projects' repositories.
_GIT_USER = ("-c", "user.name=covgap-bench", "-c", "user.email=bench@example.invalid")
#: What the projects' git ignores without a change to their files (``.git/info/exclude``): the
#: venv, and covgap's own folder (its run's data and settings, its cache).
_EXCLUDE = (".venv/", ".covgap/")


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
    def project(self) -> Path:
        """The unpacked sdist, a git repository, with its ``.venv``."""
        return self.root / "project"

    @property
    def python(self) -> Path:
        return self.project / ".venv" / "bin" / "python"

    @property
    def report(self) -> Path:
        """``covgap run``'s reports (outside the project, so that git sees nothing of them)."""
        return self.root / "report"

    @property
    def logs(self) -> Path:
        return self.root / "logs"


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without what would change a measured run (coverage.py's and pytest's
    settings, a hash seed, a venv of the caller's), and without bytecode files: nothing but the
    tests covgap draft writes appears in the project's ``git status``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("COVERAGE_", "PYTEST_", "COV_CORE_"))
        and key not in ("PYTHONHASHSEED", "PYTHONPATH", "VIRTUAL_ENV")
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def run_logged(
    command: list[str],
    log: Path,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``command``, its output captured and appended to ``log``; with ``check`` a failure
    stops the benchmark with one line naming the log."""
    log.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env if env is not None else clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    with log.open("a") as out:
        out.write(f"$ {shlex.join(command)}  (in {cwd or Path.cwd()})\n")
        out.write(done.stdout)
        out.write(done.stderr)
        out.write(f"[exit {done.returncode}]\n\n")
    if check and done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {shlex.join(command)}; see {log}")
    return done


def git(folder: Path, *args: str, log: Path) -> str:
    """A git command in ``folder`` (its output); a failure stops the benchmark."""
    return run_logged(["git", *_GIT_USER, *args], log, cwd=folder).stdout


def _unpack(project: Project, paths: Paths, log: Path) -> None:
    paths.sdists.mkdir(parents=True, exist_ok=True)
    pattern = re.compile(rf"{re.escape(project.name)}-{re.escape(project.version)}\.tar\.gz", re.I)
    found = [p for p in paths.sdists.iterdir() if pattern.fullmatch(p.name)]
    if not found:
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        run_logged([*pip, f"{project.name}=={project.version}", "-d", str(paths.sdists)], log)
        found = [p for p in paths.sdists.iterdir() if pattern.fullmatch(p.name)]
    if not found:
        raise SystemExit(f"{project.name}: no sdist {project.folder}.tar.gz; see {log}")
    unpacked = paths.root / "unpacked"
    with tarfile.open(found[0]) as archive:
        # "data": no links out, no device files, owned by whoever runs this (git refuses a
        # repository owned by another user)
        archive.extractall(unpacked, filter="data")
    (folder,) = [p for p in unpacked.iterdir() if p.is_dir()]
    folder.rename(paths.project)
    unpacked.rmdir()


def prepare(project: Project, paths: Paths, python: str) -> None:
    """Make what is missing: the unpacked sdist committed to a new git repository, its
    ``.venv`` (the tools pinned, the project ``pip install -e``), and a second commit of what
    installing changed (an egg-info's file list, a version file setuptools_scm writes). A tree
    with files of covgap draft's committed is refused: it is no longer the sdist's."""
    log = paths.logs / "setup.log"
    if not (paths.project / ".git").is_dir():
        if paths.project.exists():
            raise SystemExit(f"{paths.project} exists but is no git repository: remove it")
        paths.root.mkdir(parents=True, exist_ok=True)
        _unpack(project, paths, log)
        git(paths.project, "init", "-q", log=log)
        exclude = paths.project / ".git" / "info" / "exclude"
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with exclude.open("a") as out:
            out.write("".join(f"{line}\n" for line in _EXCLUDE))
        git(paths.project, "add", "-A", log=log)
        git(paths.project, "commit", "-q", "-m", f"{project.folder} (sdist)", log=log)
    venv = paths.project / ".venv"
    # what was installed, written last: a venv whose installs failed or whose pins changed is
    # made again
    ready = venv / "bench-installed.txt"
    wanted = "\n".join([*TOOLS, *project.test_requires, "-e ."]) + "\n"
    if not ready.is_file() or ready.read_text() != wanted:
        reset(paths)  # what a run left (its new test files) must not go into the commit below
        if venv.exists():
            run_logged(["rm", "-rf", str(venv)], log)
        run_logged([python, "-m", "venv", str(venv)], log)
        pip = [str(paths.python), "-m", "pip", "install", "-q"]
        run_logged([*pip, *TOOLS, *project.test_requires], log)
        # setuptools_scm would take the version from the new repository (0.1.dev1)
        env = clean_env(SETUPTOOLS_SCM_PRETEND_VERSION=project.version)
        run_logged([*pip, "-e", str(paths.project)], log, env=env)
        ready.write_text(wanted)
        if git(paths.project, "status", "--porcelain", log=log).strip():
            git(paths.project, "add", "-A", log=log)
            git(paths.project, "commit", "-q", "-m", "set-up: pip install -e .", log=log)
    drafted = git(paths.project, "ls-files", "*_generated*.py", "*_todo*.py", log=log).split()
    if drafted:
        raise SystemExit(
            f"{paths.project} has files covgap draft writes committed ({', '.join(drafted[:3])}): "
            "remove the folder to start from the sdist again"
        )


def reset(paths: Paths) -> None:
    """The project as committed: files a previous run wrote removed (``git clean``: the venv
    stays, being excluded), covgap's folder and the reports gone."""
    log = paths.logs / "setup.log"
    git(paths.project, "checkout", "-q", "--", ".", log=log)
    git(paths.project, "clean", "-q", "-f", "-d", log=log)
    for folder in (paths.project / ".covgap", paths.report):
        if folder.exists():
            run_logged(["rm", "-rf", str(folder)], log)
