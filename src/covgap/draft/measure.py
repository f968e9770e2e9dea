"""Coverage with the kept tests: the suite's data and the kept tests' own run combined, measured."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from covgap.config import Settings
    from covgap.draft.runner import RunResult, Workspace
    from covgap.model import ProjectCoverage

__all__ = ["combined", "data_files"]


def data_files(project_dir: Path, settings: Settings) -> list[Path]:
    """The coverage.py data the plan was made from: one data file, or the pieces of a parallel
    run (``.coverage.<host>.<pid>…``, as ``covgap run`` leaves them); [] when there is none."""
    from covgap.collect.suite.rcfile import project_coverage_config, working_directory
    from covgap.collect.suite.run import last_run_data

    if settings.data_file is not None:
        path = settings.data_file
    else:
        path = last_run_data(project_dir) or Path()
        if path == Path():
            with working_directory(project_dir):
                path = Path(project_coverage_config(project_dir).data_file)
    path = path if path.is_absolute() else project_dir / path
    if path.is_file():
        return [path]
    return sorted(
        piece
        for piece in path.parent.glob(f"{path.name}.*")
        if piece.is_file() and not piece.name.endswith("-journal")
    )


def combined(
    project_dir: Path,
    settings: Settings,
    project: ProjectCoverage,
    workspace: Workspace,
    run: RunResult,
) -> tuple[ProjectCoverage | None, str]:
    """The project's coverage with the suite's data and ``run``'s (the kept tests, in the
    project's copy) combined, as coverage.py counts it; (None, why) when it cannot be measured.
    """
    from coverage import CoverageData
    from coverage.exceptions import CoverageException

    from covgap.collect.coverage.coverage_data import LoadOptions
    from covgap.collect.coverage.detect import load_project

    if project.input_kind != "coverage-data":
        return (
            None,
            f"the plan's data is a {project.input_kind.replace('-', ' ')}, not coverage.py data",
        )
    sources = data_files(project_dir, settings)
    if not sources:
        return None, "the suite's coverage data file was not found"
    if run.data_file is None or not run.data_file.is_file():
        return None, "the kept tests' run saved no coverage data"
    merged_path = workspace.sandbox.root / "combined.coverage"
    shutil.copyfile(sources[0], merged_path)
    try:
        merged = CoverageData(basename=str(merged_path))
        merged.read()
        for piece in sources[1:]:
            other = CoverageData(basename=str(piece))
            other.read()
            merged.update(other)
        names = _names_by_relative(project_dir, merged.measured_files())
        new = CoverageData(basename=str(run.data_file))
        new.read()
        for name in new.measured_files():
            relative = workspace.relative(name)
            if not relative:
                continue
            target = names.get(relative, str(project_dir / relative))
            if merged.has_arcs():
                merged.add_arcs({target: list(new.arcs(name) or [])})
            else:
                merged.add_lines({target: list(new.lines(name) or [])})
        merged.write()
    except CoverageException as error:
        return None, f"the data could not be combined: {error}"
    options = LoadOptions(
        project_dir=project_dir.resolve(),
        data_file=merged_path,
        jobs=settings.jobs,
        cache_path=None,
        prepared={},
    )
    return load_project(options), ""


def _names_by_relative(project_dir: Path, names: object) -> dict[str, str]:
    found: dict[str, str] = {}
    root = project_dir.resolve()
    for name in names:  # type: ignore[attr-defined]
        path = Path(name)
        path = path if path.is_absolute() else root / path
        try:
            found[path.resolve().relative_to(root).as_posix()] = name
        except ValueError:
            continue
    return found
