"""Shared fixtures: fixture projects measured by real pytest runs under real coverage.py."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import coverage
import pytest

from covgap.model import ProjectCoverage

FIXTURES = Path(__file__).parent / "fixtures"

#: Since coverage.py 7.17.3 its JSON report keeps every function of a repeated name (as
#: ``name@line``); before, a later one replaced an earlier one there, and covgap's extra
#: ``name@line`` regions have nothing to be compared with.
JSON_KEEPS_REPEATS = coverage.version_info >= (7, 17, 3)


def json_comparable(regions: dict[str, Any], json_functions: dict[str, Any]) -> dict[str, Any]:
    """The regions (by name) that the installed coverage.py's JSON report can show.

    With coverage.py before 7.17.3 the only ones left out are repeats covgap named ``name@line``.
    """
    if JSON_KEEPS_REPEATS:
        return regions
    extra = {name for name in regions if name not in json_functions}
    assert all("@" in name for name in extra), extra
    return {name: region for name, region in regions.items() if name not in extra}


PROJECTS = FIXTURES / "projects"


def with_start_lines(files: dict[str, Any], project: Path) -> dict[str, Any]:
    """``coverage json``'s "files" as coverage.py 7.14+ writes them, whatever the version: each
    function with its ``start_line`` (before 7.14 taken from coverage.py's own region finder on
    the source; the module's is 1), executed lines that are statements only."""
    from coverage.parser import PythonParser
    from coverage.python import get_python_source
    from coverage.regions import code_regions

    for path, entry in files.items():
        functions = entry.get("functions") or {}
        if all("start_line" in data for data in functions.values()):
            continue
        # Before 7.14 (and so before 7.17.3), a repeated name is the last function of that name.
        starts: dict[str, int] = {"": 1}
        for region in code_regions(get_python_source(str(project / path))):
            if region.kind == "function":
                starts[region.name] = region.start
        for name, data in functions.items():
            data.setdefault("start_line", starts.get(name, starts.get(name.partition("@")[0], 1)))
    for path, entry in files.items():
        # Before 7.14, executed lines held lines that are not statements (an empty module's
        # line 1 on Python 3.10, docstrings, excluded lines that ran); 7.14+ and covgap leave
        # them out.
        parser = PythonParser(text=get_python_source(str(project / path)), filename=path)
        parser.parse_source()
        excluded = set(entry.get("excluded_lines", []))
        for data in [entry, *(entry.get("functions") or {}).values()]:
            data["executed_lines"] = [
                n for n in data["executed_lines"] if n in parser.statements and n not in excluded
            ]
    return files


def run_coverage(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m coverage ARGS`` in ``project``, failing the test on error."""
    return subprocess.run(
        [sys.executable, "-m", "coverage", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )


def measure_copy(name: str, destination: Path, *run_args: str) -> Path:
    """Copy fixture project ``name`` to ``destination`` and measure its suite with coverage."""
    shutil.copytree(PROJECTS / name, destination)
    run_coverage(destination, "run", *run_args, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    return destination


def coverage_json(project: Path, *args: str) -> dict[str, Any]:
    """What ``coverage json`` says about ``project``'s data."""
    output = project / "coverage-report.json"
    run_coverage(project, "json", "-q", "-o", str(output), *args)
    data: dict[str, Any] = json.loads(output.read_text())
    output.unlink()
    with_start_lines(data["files"], project)
    return data


@pytest.fixture(scope="session")
def measured_basic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 'basic' fixture project, measured once per session (branch coverage on). Read-only."""
    return measure_copy("basic", tmp_path_factory.mktemp("measured") / "basic")


@pytest.fixture
def basic_copy(tmp_path: Path) -> Path:
    """The 'basic' project measured in this test's own folder, for tests that change it.

    (A copy of the session's project would not do: its data names the original files.)
    """
    return measure_copy("basic", tmp_path / "basic")


def assert_equals_coverage_json(project: ProjectCoverage, report: dict[str, Any]) -> None:
    """Every total, file and function count equals coverage json's."""
    totals = report["totals"]
    ours = project.totals
    assert ours.percent_covered == totals["percent_covered"]
    assert (ours.statements, ours.missing_statements) == (
        totals["num_statements"],
        totals["missing_lines"],
    )
    assert (ours.branches, ours.missing_branches) == (
        totals.get("num_branches", 0),
        totals.get("missing_branches", 0),
    )
    assert sorted(f.path for f in project.files) == sorted(report["files"])
    for file in project.files:
        expected = report["files"][file.path]
        summary = expected["summary"]
        numbers = file.numbers
        assert (
            numbers.statements,
            numbers.missing_statements,
            numbers.branches,
            numbers.missing_branches,
        ) == (
            summary["num_statements"],
            summary["missing_lines"],
            summary.get("num_branches", 0),
            summary.get("missing_branches", 0),
        ), file.path
        regions = json_comparable({r.name: r for r in file.regions}, expected["functions"])
        assert sorted(regions) == sorted(expected["functions"]), file.path
        for region in regions.values():
            region_summary = expected["functions"][region.name]["summary"]
            n = region.numbers
            assert (n.statements, n.missing_statements, n.branches, n.missing_branches) == (
                region_summary["num_statements"],
                region_summary["missing_lines"],
                region_summary.get("num_branches", 0),
                region_summary.get("missing_branches", 0),
            ), f"{file.path}:{region.name}"
            if "start_line" in expected["functions"][region.name]:  # coverage.py 7.14+
                assert region.start_line == expected["functions"][region.name]["start_line"]
            assert list(region.missing_lines) == expected["functions"][region.name]["missing_lines"]


@pytest.fixture
def equals_coverage_json() -> Callable[[ProjectCoverage, dict[str, Any]], None]:
    """The assertion that covgap's numbers are coverage.py's, as a fixture."""
    return assert_equals_coverage_json


@pytest.fixture
def plain_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git without the user's or the system's config, never above tmp_path, with a fixed
    author; and coverage.py and pytest without settings from the environment."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    empty = tmp_path / "empty.gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Ada")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "ada@example.com")
    for name in ("COVERAGE_PROCESS_START", "COVERAGE_RCFILE", "PYTEST_ADDOPTS"):
        monkeypatch.delenv(name, raising=False)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` and everything in it read-only for this process, for real: by permissions, or,
    for root (whom permissions do not stop), by a read-only bind mount over it. Skips the test
    when neither can be done."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in [folder, *folder.rglob("*")]}
        for path, mode in modes.items():
            path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    bind = subprocess.run(["mount", "--bind", folder, folder], capture_output=True, check=False)
    if bind.returncode != 0:
        pytest.skip(f"root, and no read-only bind mount: {bind.stderr.decode().strip()}")
    try:
        remount = ["mount", "-o", "remount,ro,bind", folder]
        if subprocess.run(remount, capture_output=True, check=False).returncode != 0:
            pytest.skip("root, and the bind mount cannot be made read-only")
        yield
    finally:
        subprocess.run(["umount", folder], capture_output=True, check=True)


@contextlib.contextmanager
def small_filesystem(folder: Path, size: str) -> Iterator[bool]:
    """A real filesystem of ``size`` (a tmpfs, "64k") mounted on the empty ``folder``.

    Yields False, mounting nothing, when this process may not mount one (not root, or in a
    container without the right): the caller then simulates a full disk another way and says so.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        yield False
        return
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", folder]
    if subprocess.run(mount, capture_output=True, check=False).returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", folder], capture_output=True, check=True)


@pytest.fixture
def text_project(tmp_path: Path) -> Path:
    """covgap draft's small real project: src/textutil/text.py with one test, measured."""
    helpers = str(Path(__file__).parent / "draft")
    if helpers not in sys.path:  # where tests/draft's modules import it from, by this name
        sys.path.insert(0, helpers)
    from draft_project import make_text_project

    return make_text_project(tmp_path)
