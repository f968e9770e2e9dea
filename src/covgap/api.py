"""The library facade: what the CLI calls, and what other programs may call."""

from __future__ import annotations

from pathlib import Path

from covgap.analyze.planning import make_plan
from covgap.analyze.ranking import rank
from covgap.collect.coverage_data import LoadOptions
from covgap.collect.detect import load_project
from covgap.config import Settings
from covgap.model import PlanResult, ProjectCoverage

__all__ = ["PlanResult", "analyze", "load", "plan"]

#: covgap's own folder inside a project: the cache (and later the history database).
COVGAP_DIR = ".covgap"


def load(project_dir: Path, settings: Settings) -> ProjectCoverage:
    """Read the project's coverage data in whatever form ``settings.data_file`` names."""
    project_dir = project_dir.resolve()
    return load_project(
        LoadOptions(
            project_dir=project_dir,
            data_file=settings.data_file,
            jobs=settings.jobs,
            cache_path=(project_dir / COVGAP_DIR / "cache.sqlite3") if settings.cache else None,
        )
    )


def analyze(project: ProjectCoverage, settings: Settings) -> PlanResult:
    """Rank the gaps and make the phased plan (pure: no I/O)."""
    files, functions = rank(project, settings.tiers, settings.effective_file_target)
    plan = make_plan(
        project,
        functions,
        target=settings.target,
        milestones=settings.milestones,
        skip=settings.skip,
        target_is_explicit=settings.origins.get("target") == "command line",
    )
    return PlanResult(project, tuple(files), tuple(functions), plan, settings)


def plan(project_dir: Path, settings: Settings) -> PlanResult:
    """Load the data and plan: the whole of ``covgap plan`` short of writing reports."""
    return analyze(load(project_dir, settings), settings)
