"""The coverage data: a project's read in any of its forms, CI shards' merged into one."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from covgap.config import Settings

if TYPE_CHECKING:
    from covgap.collect.coverage.static import StaticAnalysis
    from covgap.model import ProjectCoverage


#: covgap's own folder inside a project: the cache (and later the history database).
COVGAP_DIR = ".covgap"


def load(
    project_dir: Path, settings: Settings, prepared: Mapping[str, StaticAnalysis] | None = None
) -> ProjectCoverage:
    """Read the project's coverage data in whatever form ``settings.data_file`` names (by
    default the coverage configuration's data file, or, when it is absent, the last
    ``covgap run``'s data in .covgap/run/).

    ``prepared``: static analyses already made (by ``run`` while the suite ran), by cache key.
    """
    from covgap.collect.coverage.coverage_data import LoadOptions
    from covgap.collect.coverage.detect import load_project
    from covgap.collect.suite.run import last_run_data

    project_dir = project_dir.resolve()
    data_file = settings.data_file
    if data_file is None:  # no data file of its own: the last covgap run's
        data_file = last_run_data(project_dir)
    return load_project(
        LoadOptions(
            project_dir=project_dir,
            data_file=data_file,
            jobs=settings.jobs,
            cache_path=(project_dir / COVGAP_DIR / "cache.sqlite3") if settings.cache else None,
            prepared=prepared or {},
        )
    )


def combine(project_dir: Path, inputs: list[Path], output: Path) -> int:
    """``covgap combine``: merge data files (CI shards, other machines) into ``output``."""
    from covgap.collect.coverage.combine import combine_data

    return combine_data(project_dir, inputs, output)
