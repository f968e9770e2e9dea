"""The library facade: what the CLI calls, and what other programs may call."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from covgap.analyze.advise import assess_project
from covgap.analyze.planning import make_plan
from covgap.analyze.ranking import rank
from covgap.collect.combine import combine_data
from covgap.collect.coverage_data import LoadOptions
from covgap.collect.detect import load_project
from covgap.collect.evidence import Evidence, gather_evidence
from covgap.collect.run import Progress, RunOptions, SuiteRun, run_suite
from covgap.collect.static import StaticAnalysis
from covgap.config import Settings
from covgap.model import PlanResult, ProjectCoverage, SuiteHealth

__all__ = [
    "PlanResult",
    "Progress",
    "RunOptions",
    "analyze",
    "combine",
    "gather",
    "load",
    "plan",
    "run",
]

#: covgap's own folder inside a project: the cache (and later the history database).
COVGAP_DIR = ".covgap"


def load(
    project_dir: Path, settings: Settings, prepared: Mapping[str, StaticAnalysis] | None = None
) -> ProjectCoverage:
    """Read the project's coverage data in whatever form ``settings.data_file`` names.

    ``prepared``: static analyses already made (by ``run`` while the suite ran), by cache key.
    """
    project_dir = project_dir.resolve()
    return load_project(
        LoadOptions(
            project_dir=project_dir,
            data_file=settings.data_file,
            jobs=settings.jobs,
            cache_path=(project_dir / COVGAP_DIR / "cache.sqlite3") if settings.cache else None,
            prepared=prepared or {},
        )
    )


def gather(
    project_dir: Path,
    project: ProjectCoverage,
    settings: Settings,
    prepared: Mapping[str, dict[str, Any]] | None = None,
) -> Evidence:
    """What risk and advice need beside the coverage: code facts, churn, the test modules.

    ``prepared``: code facts already made (by ``run`` while the suite ran), by facts key.
    """
    project_dir = project_dir.resolve()
    return gather_evidence(
        project_dir,
        project,
        churn_window=settings.churn_window,
        cache_path=(project_dir / COVGAP_DIR / "cache.sqlite3") if settings.cache else None,
        jobs=settings.jobs,
        prepared=prepared or {},
    )


def analyze(
    project: ProjectCoverage, settings: Settings, evidence: Evidence | None = None
) -> PlanResult:
    """Rank the gaps (by risk when ``evidence`` is given) and make the plan (pure: no I/O)."""
    assessments, risk_info = (
        assess_project(project, evidence, settings) if evidence is not None else (None, None)
    )
    files, functions = rank(project, settings.tiers, settings.effective_file_target, assessments)
    plan = make_plan(
        project,
        functions,
        target=settings.target,
        milestones=settings.milestones,
        skip=settings.skip,
        target_is_explicit=settings.origins.get("target") == "command line",
    )
    return PlanResult(project, tuple(files), tuple(functions), plan, settings, risk=risk_info)


def plan(project_dir: Path, settings: Settings) -> PlanResult:
    """Load the data and plan: the whole of ``covgap plan`` short of writing reports."""
    project = load(project_dir, settings)
    evidence = gather(project_dir, project, settings) if settings.risk else None
    return analyze(project, settings, evidence)


def suite_health(suite: SuiteRun) -> SuiteHealth:
    """The suite's health from pytest's JUnit XML, or from covgap's event log when pytest was
    stopped before it could write the XML."""
    from covgap.analyze.health import assess
    from covgap.collect.events import read_events
    from covgap.collect.junit import read_junit

    logged, running = read_events(suite.events) if suite.events.exists() else ((), None)
    if not suite.junit_xml.exists():
        return assess(logged, source="events", stopped=suite.stopped, running=running)
    # JUnit XML cannot tell a lenient XPASS from a pass; the event log can.
    xpassed = {test.nodeid: test for test in logged if test.outcome == "xpassed"}
    tests = tuple(
        xpassed.get(test.nodeid, test) if test.outcome == "passed" else test
        for test in read_junit(suite.junit_xml)
    )
    return assess(tests, source="junit-xml", stopped=suite.stopped, running=None)


def run(
    settings: Settings,
    options: RunOptions,
    on_progress: Callable[[Progress], None] | None = None,
) -> PlanResult:
    """``covgap run``: measure the suite, then plan from what it measured, with its health."""
    suite = run_suite(options, on_progress)
    health = suite_health(suite)
    measured = dataclasses.replace(
        settings, data_file=suite.data_file.relative_to(options.project_dir.resolve())
    )
    project = load(options.project_dir, measured, suite.prepared.statics)
    evidence = (
        gather(options.project_dir, project, measured, suite.prepared.facts)
        if measured.risk
        else None
    )
    result = analyze(project, measured, evidence)
    return dataclasses.replace(result, run=suite.info, health=health)


def combine(project_dir: Path, inputs: list[Path], output: Path) -> int:
    """``covgap combine``: merge data files (CI shards, other machines) into ``output``."""
    return combine_data(project_dir, inputs, output)
