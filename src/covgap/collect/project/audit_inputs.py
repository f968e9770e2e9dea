"""Read everything the audit looks at (``analyze/audit/`` judges it): pytest's and coverage.py's
settings, the development dependencies, the sources and docs, the test inventory and the CI
files. Nothing is run and nothing is imported from the project."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from covgap import tomlparse
from covgap.collect.project.ci_files import CiConfig, read_ci
from covgap.collect.project.project_config import (
    CoverageSettings,
    DevDependencies,
    PytestConfig,
    ReadProblem,
    read_coverage_settings,
    read_dev_dependencies,
    read_pytest_config,
)
from covgap.collect.project.project_scan import (
    DocsFacts,
    SourceFacts,
    marker_registrations,
    project_packages,
    scan_docs,
    scan_sources,
)
from covgap.collect.suite.preparse import source_files
from covgap.collect.suite.rcfile import detect_source
from covgap.collect.suite.test_inventory import InventoryOptions, TestInventory, read_inventory
from covgap.files import open_regular, read_text
from covgap.model import FlakyRecord, SuiteHealth

__all__ = [
    "OTHER_CI",
    "AuditFacts",
    "inventory_options",
    "read_audit_facts",
    "read_test_inventory",
]

#: CI systems whose files covgap does not read: named in the audit so that "no CI" is not claimed.
OTHER_CI = (
    ".circleci/config.yml",
    ".travis.yml",
    "azure-pipelines.yml",
    "Jenkinsfile",
    "bitbucket-pipelines.yml",
    ".drone.yml",
    "appveyor.yml",
    ".buildkite/pipeline.yml",
    ".woodpecker.yml",
)


@dataclass(frozen=True)
class AuditFacts:
    """Everything the audit looks at, read beforehand."""

    pytest: PytestConfig
    coverage: CoverageSettings
    dependencies: DevDependencies
    sources: SourceFacts
    docs: DocsFacts
    inventory: TestInventory
    ci: CiConfig
    #: ``requires-python`` from pyproject.toml, or None.
    requires_python: str | None = None
    #: CI files of systems covgap does not read (Jenkinsfile, .circleci/config.yml…).
    other_ci: tuple[str, ...] = ()
    #: The measured total (percent), the target, the plan's next milestone.
    total: float | None = None
    target: float = 80.0
    next_milestone: float | None = None
    health: SuiteHealth | None = None
    #: Where ``health`` comes from when it is not this run's ("the last covgap run, …"), and
    #: why there is none when there is none.
    health_source: str | None = None
    health_missing: str = "the suite was not run by covgap run"
    problems: tuple[ReadProblem, ...] = ()
    #: Lines of the CI files (and Makefile) that measure or report coverage, whatever runs
    #: them (a tox setenv, a Makefile target, a nox session): (path, line, text).
    coverage_mentions: tuple[tuple[str, int, str], ...] = ()
    #: A CI file writes a coverage report to GitHub's job summary (``$GITHUB_STEP_SUMMARY``).
    coverage_summary: bool = False
    #: The project's distribution name, and whether it is itself a pytest plugin (``pytest11``).
    project_name: str | None = None
    pytest_plugin: bool = False
    #: Markers registered at run time (``config.addinivalue_line("markers", ...)``) by the
    #: project's conftest files or plugin; ``dynamic_markers``: some registration is not literal.
    registered_markers: tuple[str, ...] = ()
    dynamic_markers: bool = False
    #: The folder holds Python code or a Python project's file (pyproject.toml, setup.py,
    #: setup.cfg): when not, there is nothing to audit.
    python_project: bool = True
    #: The flaky tests of the history's recorded test runs, and the commit of the latest run.
    flaky: tuple[FlakyRecord, ...] = ()
    latest_commit: str | None = None

    @property
    def watched(self) -> tuple[str, ...]:
        """The files whose change makes a run of the suite stale: test modules, files of
        fixtures, sources, and the pytest and coverage settings."""
        return tuple(
            dict.fromkeys(
                (
                    *(module.path for module in self.inventory.modules),
                    *(fixture.path for fixture in self.inventory.fixtures),
                    *self.sources.files,
                    *(path for path in (self.pytest.path, self.coverage.path) if path),
                )
            )
        )


#: A line that measures or reports coverage.
_COVERAGE_LINE = re.compile(
    r"--cov\b|\bcoverage\s+(?:run|report|xml|json|lcov|html|combine)\b|-m\s+coverage\b"
    r"|\bcovgap\s+(?:run|check)\b|\bdiff-cover\b"
    r"|[\"']coverage[\"']\s*,\s*[\"'](?:run|report|xml|json|lcov|html|combine)[\"']"
)


def _project_table(project_dir: Path) -> dict[str, object]:
    try:
        with open_regular(project_dir / "pyproject.toml") as handle:
            document = tomlparse.load(handle)
    except (OSError, tomlparse.TOMLDecodeError):
        return {}
    project = document.get("project")
    return project if isinstance(project, dict) else {}


def _coverage_in_ci(
    project_dir: Path, files: Sequence[str]
) -> tuple[tuple[tuple[str, int, str], ...], bool]:
    """The lines of the CI files (and the Makefile) that measure or report coverage, and
    whether one of them (a workflow, a noxfile…) sends a report to GitHub's job summary."""
    found: list[tuple[str, int, str]] = []
    summary = False
    for name in (*files, "Makefile"):
        try:
            text = read_text(project_dir / name, errors="replace")
        except OSError:
            continue
        if name in files and "GITHUB_STEP_SUMMARY" in text:
            summary = summary or "coverage" in text or "covgap" in text
        for number, line in enumerate(text.splitlines(), start=1):
            if _COVERAGE_LINE.search(line) and not line.lstrip().startswith("#"):
                found.append((name, number, line.strip()[:200]))
    return tuple(found), summary


def _registered_markers(project_dir: Path, paths: Sequence[str]) -> tuple[list[str], bool]:
    """Markers the files of the test folders register, and whether some are not literal."""
    names: list[str] = []
    dynamic = False
    for name in paths:
        try:
            text = read_text(project_dir / name, errors="replace")
        except OSError:
            continue
        registered, computed = marker_registrations(text)
        names += registered
        dynamic = dynamic or computed
    return names, dynamic


#: Files that make a folder a Python project, even before it holds code.
_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
#: Folders never searched for Python files: other tools' and environments'.
_NOT_SEARCHED = frozenset({"node_modules", "__pycache__", "site-packages", "venv", "env"})


def _python_project(project_dir: Path) -> bool:
    """Whether the folder holds a Python project's file or a Python file (outside hidden,
    environment and tool folders)."""
    if any((project_dir / name).is_file() for name in _PROJECT_FILES):
        return True
    for _root, folders, files in os.walk(project_dir):
        if any(name.endswith(".py") for name in files):
            return True
        folders[:] = [f for f in folders if not f.startswith(".") and f not in _NOT_SEARCHED]
    return False


def _source_package(project_dir: Path, folder: str) -> bool:
    """A package of the sources named like a kind of test (``integration/__init__.py``), not
    a test folder. (A folder of data is not in the inventory's empty folders at all, while a
    ``tests/unit`` holding only ``.gitkeep`` is, and is reported.)"""
    return (project_dir / folder / "__init__.py").is_file() and not any(
        part in {"test", "tests", "testing"} for part in Path(folder).parts
    )


def inventory_options(
    pytest_config: PytestConfig, packages: tuple[str, ...], jobs: int | None
) -> InventoryOptions:
    """The inventory's options from pytest's settings: how pytest collects this project."""
    declared = tuple(
        line.split(":")[0].split("(")[0].strip()
        for line in pytest_config.words("markers")
        if isinstance(pytest_config.value("markers"), tuple)
    )
    default = InventoryOptions()
    return InventoryOptions(
        python_files=pytest_config.words("python_files") or default.python_files,
        python_classes=pytest_config.words("python_classes") or default.python_classes,
        python_functions=pytest_config.words("python_functions") or default.python_functions,
        testpaths=pytest_config.words("testpaths"),
        norecursedirs=pytest_config.words("norecursedirs") or default.norecursedirs,
        project_packages=packages,
        declared_markers=declared,
        jobs=jobs or 0,
    )


def read_test_inventory(project_dir: Path, jobs: int | None = None) -> TestInventory:
    """The test inventory alone (what ``read_audit_facts`` reads with the rest): the test
    modules pytest collects, for telling test code apart when the audit is off."""
    return read_inventory(project_dir, inventory_options(read_pytest_config(project_dir), (), jobs))


def read_audit_facts(
    project_dir: Path,
    *,
    target: float,
    jobs: int | None = None,
    total: float | None = None,
    next_milestone: float | None = None,
    health: SuiteHealth | None = None,
) -> AuditFacts:
    """Everything the audit needs from ``project_dir`` (absolute)."""
    pytest_config = read_pytest_config(project_dir)
    coverage = read_coverage_settings(project_dir)
    dependencies = read_dev_dependencies(project_dir)
    source = list(coverage.source) or detect_source(project_dir)
    packages = project_packages(project_dir, source)
    sources = scan_sources(project_dir, source_files(project_dir, source), packages)
    inventory = read_inventory(project_dir, inventory_options(pytest_config, packages, jobs))
    problems = tuple(p for p in (pytest_config.problem, coverage.problem) if p is not None)
    problems += tuple(ReadProblem(path, None, why) for path, why in inventory.unreadable)
    project = _project_table(project_dir)
    entry_points = project.get("entry-points")
    ci = read_ci(project_dir)
    conftests = sorted({f.path for f in inventory.fixtures if f.path.endswith("conftest.py")})
    # Markers are registered by conftest files or by plugins beside the tests
    # (``pytest_plugins = ["tests.optional"]``): every Python file in a test folder.
    conftests += [
        path.relative_to(project_dir).as_posix()
        for folder in {*(Path(m.path).parent for m in inventory.modules)}
        for path in (project_dir / folder).glob("*.py")
    ]
    # The sources were read by scan_sources; the test folders' files are read here.
    registered, dynamic = _registered_markers(
        project_dir, sorted(set(conftests) - set(sources.files))
    )
    inventory = dataclasses.replace(
        inventory,
        empty_folders=tuple(
            f for f in inventory.empty_folders if not _source_package(project_dir, f)
        ),
    )
    mentions, summary = _coverage_in_ci(project_dir, ci.files)
    return AuditFacts(
        pytest=pytest_config,
        coverage=coverage,
        dependencies=dependencies,
        sources=sources,
        docs=scan_docs(project_dir),
        inventory=inventory,
        ci=ci,
        requires_python=requires
        if isinstance(requires := project.get("requires-python"), str)
        else None,
        other_ci=tuple(name for name in OTHER_CI if (project_dir / name).exists()),
        total=total,
        target=target,
        next_milestone=next_milestone,
        health=health,
        problems=problems + dependencies.problems,
        coverage_mentions=mentions,
        coverage_summary=summary,
        project_name=str(project["name"]) if isinstance(project.get("name"), str) else None,
        pytest_plugin=isinstance(entry_points, dict) and "pytest11" in entry_points,
        registered_markers=tuple(dict.fromkeys((*sources.registered_markers, *registered))),
        dynamic_markers=dynamic or sources.dynamic_markers,
        python_project=bool(sources.files or inventory.modules or inventory.uncollected)
        or _python_project(project_dir),
    )
