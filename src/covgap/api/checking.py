"""covgap check: the gates, the baseline they compare with, and diff coverage since a base."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from covgap.api.loading import load
from covgap.api.planning import analyze
from covgap.config import Settings

if TYPE_CHECKING:
    from covgap.analyze.diffcov import DiffCoverage
    from covgap.analyze.gates import CheckResult
    from covgap.model import Baseline, Numbers, ProjectCoverage


def _baseline(
    project_dir: Path, settings: Settings, head: str | None, project: ProjectCoverage
) -> Baseline | None:
    """The committed baseline file when there is one, else the history's last snapshot that is
    not this very measurement (docs/check.md): a snapshot of another commit, or of this commit
    whose sources or numbers differ from ``project``'s (work not committed yet). A snapshot of
    this commit with the same sources and numbers is the run just recorded, say, and comparing
    with it would pass any ratchet."""
    from covgap.analyze.trend import history_path
    from covgap.model import Baseline
    from covgap.store.baseline import DEFAULT_BASELINE, read_baseline
    from covgap.store.history import History, read_record

    configured = settings.baseline_file
    file = project_dir / (configured or DEFAULT_BASELINE)
    if configured is not None or file.exists():
        return read_baseline(file)
    path = history_path(project_dir, settings)
    if not path.exists():
        return None
    now: dict[str, tuple[Numbers, str | None]] | None = None
    with History(path, writing=False) as database:
        summaries = sorted(database.snapshots(), key=lambda s: s.id, reverse=True)
        snapshot = None
        for summary in summaries:
            candidate = database.load(summary.id)
            if summary.commit != head:
                snapshot = candidate
                break
            if now is None:  # this measurement as a snapshot holds it, read once
                now = {
                    f.path: (f.numbers, read_record(f, project_dir).content_hash)
                    for f in project.files
                }
            then = {
                path: (record.numbers, record.content_hash)
                for path, record in candidate.files.items()
            }
            if then != now:
                snapshot = candidate
                break
        if snapshot is None:
            return None
    commit = f"commit {snapshot.commit[:10]}, " if snapshot.commit else ""
    return Baseline(
        source=f"history snapshot {snapshot.id} ({commit}{snapshot.recorded_at})",
        commit=snapshot.commit,
        numbers=snapshot.totals,
        files={
            path: (record.numbers.missing_statements, record.numbers.statements)
            for path, record in snapshot.files.items()
        },
        phases=tuple(float(m) for m in settings.milestones),
    )


def check(project_dir: Path, settings: Settings, *, diff: bool = True) -> CheckResult:
    """``covgap check``: every gate with its verdict (docs/check.md).

    The diff since the base is read when a gate needs it (``diff-fail-under``,
    ``new-file-floor``, an explicit ``base``), or, with ``diff``, for the report when the
    project is in a git repository with a base to compare with.
    """
    from covgap.analyze.gates import evaluate
    from covgap.errors import CovgapError
    from covgap.store.history import git_state

    project_dir = project_dir.resolve()
    project = load(project_dir, settings)
    needed = (
        settings.diff_fail_under is not None
        or settings.new_file_floor is not None
        or settings.base is not None
    )
    notes: list[str] = []
    changes = None
    if needed or diff:
        try:
            changes = measure_diff(project_dir, settings.base, project=project)
        except CovgapError as error:
            if needed:
                raise
            notes.append(f"no diff coverage: {error.message}")
    head, _, _ = git_state(project_dir)
    baseline = _baseline(project_dir, settings, head, project)
    tests = None
    if settings.fail_on_flaky or settings.max_suite_seconds is not None:
        from covgap.api.suite_history import read_test_evidence

        tests = read_test_evidence(project_dir, settings, head)
    result = evaluate(project, settings, changes, baseline, tests)
    # The data's own notes first: sources changed since measurement make every verdict suspect.
    return dataclasses.replace(result, notes=(*project.notes, *result.notes, *notes))


def new_baseline(
    project_dir: Path, settings: Settings, project: ProjectCoverage
) -> tuple[Path, str]:
    """Where ``--update-baseline`` writes, and the baseline of ``project`` with the phases of
    its plan (for the phase gate) and the current commit."""
    from covgap.store.baseline import DEFAULT_BASELINE, baseline_json
    from covgap.store.history import git_state

    plan_now = analyze(project, settings)  # impact alone: the phases' fail_under is all it needs
    commit, _, _ = git_state(project_dir.resolve())
    phases = [float(phase.fail_under) for phase in plan_now.plan.phases]
    path = project_dir / (settings.baseline_file or DEFAULT_BASELINE)
    return path, baseline_json(project, commit, phases)


def measure_diff(
    project_dir: Path,
    base: str | None = None,
    *,
    project: ProjectCoverage | None = None,
    settings: Settings | None = None,
    branch: bool | None = None,
    include_uncommitted: bool = True,
    include_untracked: bool = False,
) -> DiffCoverage:
    """Diff coverage since ``base`` (docs/diff-coverage.md): the diff, the coverage data
    (``project``, or loaded with ``settings``) and what coverage.py says of the changed files.

    ``branch`` None: branch mode when the data measured branches.
    """
    from covgap.analyze.diffcov import diff_coverage
    from covgap.collect.git.diff_inputs import read_branch_exits, read_exclusions
    from covgap.collect.git.git_diff import read_diff
    from covgap.config import load_settings

    project_dir = Path(project_dir)
    diff = read_diff(
        project_dir,
        base,
        include_uncommitted=include_uncommitted,
        include_untracked=include_untracked,
    )
    if project is None:
        settings = settings if settings is not None else load_settings(project_dir, {}, environ={})
        project = load(project_dir, settings)
    branch = project.branch_measured if branch is None else branch
    known = {file.path for file in project.files}
    exits = None
    if branch and project.branch_measured:
        exits = read_branch_exits(project_dir, [f.path for f in diff.files if f.path in known])
    return diff_coverage(
        project, diff, branch=branch, exits=exits, exclusion=read_exclusions(project_dir)
    )
