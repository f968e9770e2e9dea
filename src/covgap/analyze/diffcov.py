"""Diff coverage: of the lines (and branches) changed since a git base, which ones the tests ran.

``diff_coverage(project, diff, branch=...)`` is pure: it puts a ``Diff``
(``covgap.collect.git.git_diff``, which says which lines changed and which git commands find them)
over a ``ProjectCoverage``. The readers at the end of this module gather what it needs from a
project folder (``read_branch_exits``, ``read_exclusions``, ``measure_diff``).

Definitions
    A *changed line* is a line of the current file that the diff adds (new, or the new side of a
    modified line). A *changed statement* is a changed line that is a statement in coverage.py's
    analysis of the file (its first line, for a statement on several lines; excluded lines are
    not statements): the lines diff-cover measures, which are the ``<line>`` elements of
    ``coverage xml``. It is *uncovered* when coverage.py reports it missing.

    Line mode: ``percent`` = covered changed statements / changed statements x 100, over the
    measured files; 100 when no statement changed. diff-cover's ``total_percent_covered`` is the
    same number (it truncates it to an integer unless given ``--total-percent-float``, which
    rounds it to 2 digits); ``ratio`` is the exact fraction.

    A *changed branch* is an arc from a changed statement that is a branch line (more than one
    possible exit, as coverage.py counts them): a changed branch line with three exits counts
    three branches. It is *uncovered* when coverage.py lists the arc missing (``missing_arcs``),
    which includes the exits of changed branch lines that never ran. Branch mode:
    ``branch_percent`` is coverage.py's formula restricted to the changed lines: (covered changed
    statements + covered changed branches) / (changed statements + changed branches) x 100.
    A *partial* line is a changed statement that ran with an exit not taken: with diff-cover's
    ``--branch-coverage``, its violations are the uncovered and the partial lines.

    ``by_function`` groups the changed lines with something uncovered (uncovered statements,
    and in branch mode partial lines) by the region holding them: the function or method
    (qualified name, as in ``coverage json``) or "(module level)".

Files
    A changed file in the coverage data is *measured*. A changed Python file (``.py``, ``.pyw``)
    absent from the data is listed with ``measured`` False and is never silently skipped: when
    the coverage configuration leaves it out (``[run] source``, ``include`` or ``omit``,
    ``[report] include`` or ``omit``), ``excluded`` says which; otherwise it is flagged
    (``DiffCoverage.not_measured``: no test imported it, or the data is stale). Files that are
    not measured count in no percentage, as in diff-cover, which skips them without a word.
    Deleted files have no lines to cover.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from covgap.collect.git.diff_inputs import Exclusion
from covgap.collect.git.git_diff import ChangedFile, Diff
from covgap.model import FileCoverage, ProjectCoverage

__all__ = [
    "PYTHON_SUFFIXES",
    "DiffCoverage",
    "FileDiffCoverage",
    "diff_coverage",
    "line_ranges",
]

#: Changed files with these suffixes are expected in the coverage data.
PYTHON_SUFFIXES = (".py", ".pyw")

#: Branch exits by file and line: how many possible exits each branch line has (coverage.py's
#: ``exit_counts``, lines with more than one exit).
BranchExits = Mapping[str, Mapping[int, int]]


@dataclass(frozen=True)
class FileDiffCoverage:
    """One changed file: its changed statements and branches, and which ones did not run."""

    path: str
    #: Changed lines that are statements, ascending.
    changed_statements: tuple[int, ...]
    #: Of those, the ones coverage.py reports missing.
    uncovered: tuple[int, ...]
    #: Branches (arcs) from changed statements; 0 in line mode.
    changed_branches: int
    #: Of those, the missing arcs (line, destination; a negative destination leaves the code
    #: object); () in line mode.
    uncovered_branches: tuple[tuple[int, int], ...]
    #: Changed lines with something uncovered, by region: (name or "(module level)", lines).
    by_function: tuple[tuple[str, tuple[int, ...]], ...]
    #: False: a changed Python file absent from the coverage data.
    measured: bool
    #: The file is new since the base.
    added: bool
    #: Every changed line of the file, statement or not.
    changed_lines: tuple[int, ...] = ()
    #: Changed statements that ran with an exit not taken (branch mode).
    partial: tuple[int, ...] = ()
    #: For a file not measured: why the coverage configuration leaves it out, or None.
    excluded: str | None = None
    #: The uncovered changed statements as ranges ("12-18, 25"), joined across the lines that
    #: are not statements, as coverage.py joins its missing lines.
    uncovered_ranges: str = ""
    #: The file's name at the base, when it was renamed.
    old_path: str | None = None
    #: Every statement of the file (coverage.py's analysis), so that its lines are written as
    #: ranges that join only across lines that are not statements (``ranges``).
    statement_lines: tuple[int, ...] = ()

    def ranges(self, lines: Iterable[int]) -> str:
        """``lines`` of this file as ranges ("12-14, 20"): a range joins the given lines across
        non-statements only, never across a statement left out (one that ran, or did not
        change), as coverage.py writes its missing lines."""
        return line_ranges(self.statement_lines, lines)

    @property
    def covered_statements(self) -> int:
        return len(self.changed_statements) - len(self.uncovered)

    @property
    def covered_branches(self) -> int:
        return self.changed_branches - len(self.uncovered_branches)

    @property
    def ratio(self) -> Fraction:
        """Covered changed statements / changed statements; 1 when none changed."""
        return _ratio(self.covered_statements, len(self.changed_statements))

    @property
    def percent(self) -> float:
        return _percent(self.covered_statements, len(self.changed_statements))

    @property
    def branch_percent(self) -> float:
        """coverage.py's branch-mode formula over the changed statements and branches."""
        return _percent(
            self.covered_statements + self.covered_branches,
            len(self.changed_statements) + self.changed_branches,
        )

    @property
    def flagged(self) -> bool:
        """Absent from the data, and no configuration says it should be."""
        return not self.measured and self.excluded is None


@dataclass(frozen=True)
class DiffCoverage:
    """The diff against the coverage: every changed file, and the totals over measured files."""

    diff: Diff
    files: tuple[FileDiffCoverage, ...]
    #: Whether branches were counted (branch mode, and the data measured branches).
    branch: bool = False
    notes: tuple[str, ...] = ()

    @property
    def measured_files(self) -> tuple[FileDiffCoverage, ...]:
        return tuple(f for f in self.files if f.measured)

    @property
    def not_measured(self) -> tuple[FileDiffCoverage, ...]:
        """Changed Python files absent from the data that the configuration does not leave out."""
        return tuple(f for f in self.files if f.flagged)

    @property
    def excluded_files(self) -> tuple[FileDiffCoverage, ...]:
        """Changed Python files the coverage configuration leaves out (with the reason)."""
        return tuple(f for f in self.files if not f.measured and f.excluded is not None)

    @property
    def statements(self) -> int:
        """Changed statements in the measured files."""
        return sum(len(f.changed_statements) for f in self.files)

    @property
    def uncovered_statements(self) -> int:
        return sum(len(f.uncovered) for f in self.files)

    @property
    def branches(self) -> int:
        return sum(f.changed_branches for f in self.files)

    @property
    def uncovered_branch_count(self) -> int:
        return sum(len(f.uncovered_branches) for f in self.files)

    @property
    def ratio(self) -> Fraction:
        """Covered changed statements / changed statements, exact; 1 when none changed."""
        return _ratio(self.statements - self.uncovered_statements, self.statements)

    @property
    def percent(self) -> float:
        """Line mode: covered changed statements / changed statements x 100; 100 when none."""
        return _percent(self.statements - self.uncovered_statements, self.statements)

    @property
    def branch_ratio(self) -> Fraction | None:
        if not self.branch:
            return None
        covered = self.statements - self.uncovered_statements
        covered += self.branches - self.uncovered_branch_count
        return _ratio(covered, self.statements + self.branches)

    @property
    def branch_percent(self) -> float | None:
        """Branch mode: (covered statements + branches) / (statements + branches) x 100."""
        if not self.branch:
            return None
        covered = self.statements - self.uncovered_statements
        covered += self.branches - self.uncovered_branch_count
        return _percent(covered, self.statements + self.branches)

    def uncovered_ranges(self) -> tuple[tuple[str, str], ...]:
        """(path, "12-18, 25") for each measured file with uncovered changed statements."""
        return tuple((f.path, f.uncovered_ranges) for f in self.files if f.uncovered)


def diff_coverage(
    project: ProjectCoverage,
    diff: Diff,
    *,
    branch: bool,
    exits: BranchExits | None = None,
    exclusion: Exclusion | None = None,
) -> DiffCoverage:
    """The changed statements (and branches) of ``diff`` that ``project`` covers.

    ``branch``: count branches too; needs ``exits`` (``read_branch_exits``) for the changed
    measured files, and data measured with branches (without, the result is in line mode with a
    note). ``exclusion`` says why the configuration leaves out a file absent from the data
    (``read_exclusions``); without it, every such Python file is flagged.
    """
    notes: list[str] = []
    if branch and not project.branch_measured:
        notes.append(
            "the coverage data has no branch measurements (coverage run --branch): line mode"
        )
        branch = False
    if branch and exits is None:
        raise ValueError("branch mode needs the branch exits of the changed files (exits=...)")
    measured = {file.path: file for file in project.files}
    files: list[FileDiffCoverage] = []
    for changed in diff.files:
        file = measured.get(changed.path)
        if file is not None:
            line_exits = (exits or {}).get(changed.path, {}) if branch else {}
            files.append(_file_diff(changed, file, branch, line_exits))
        elif changed.path.endswith(PYTHON_SUFFIXES):
            reason = exclusion(changed.path) if exclusion is not None else None
            files.append(_unmeasured(changed, reason))
    return DiffCoverage(diff=diff, files=tuple(files), branch=branch, notes=tuple(notes))


def _file_diff(
    changed: ChangedFile, file: FileCoverage, branch: bool, exits: Mapping[int, int]
) -> FileDiffCoverage:
    lines = set(changed.added_lines)
    statements = tuple(line for line in file.statement_lines if line in lines)
    missing = set(file.missing_lines)
    uncovered = tuple(line for line in statements if line in missing)
    changed_branches = 0
    uncovered_arcs: tuple[tuple[int, int], ...] = ()
    partial: tuple[int, ...] = ()
    if branch:
        changed_branches = sum(exits.get(line, 0) for line in statements if exits.get(line, 0) > 1)
        sources = set(statements)
        uncovered_arcs = tuple(arc for arc in file.missing_arcs if arc[0] in sources)
        partial = tuple(sorted({line for line, _ in uncovered_arcs} - missing))
    return FileDiffCoverage(
        path=changed.path,
        changed_statements=statements,
        uncovered=uncovered,
        changed_branches=changed_branches,
        uncovered_branches=uncovered_arcs,
        by_function=_by_function(file, sorted(set(uncovered) | set(partial))),
        measured=True,
        added=changed.status == "added",
        changed_lines=changed.added_lines,
        partial=partial,
        uncovered_ranges=line_ranges(file.statement_lines, uncovered),
        old_path=changed.old_path,
        statement_lines=file.statement_lines,
    )


def _unmeasured(changed: ChangedFile, reason: str | None) -> FileDiffCoverage:
    return FileDiffCoverage(
        path=changed.path,
        changed_statements=(),
        uncovered=(),
        changed_branches=0,
        uncovered_branches=(),
        by_function=(),
        measured=False,
        added=changed.status == "added",
        changed_lines=changed.added_lines,
        excluded=reason,
        old_path=changed.old_path,
    )


def _by_function(
    file: FileCoverage, lines: Iterable[int]
) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """The lines by the region whose statements hold them, regions in source order.

    The regions partition the file's statements, so every statement has one; a line that is in
    none (regions made from a report without them) goes to the innermost region spanning it.
    """
    owner: dict[int, int] = {}
    for index, region in enumerate(file.regions):
        for statement in region.statement_lines:
            owner[statement] = index
    grouped: dict[int, list[int]] = {}
    for line in lines:
        spanning = [
            (r.end_line - r.start_line, i)
            for i, r in enumerate(file.regions)
            if r.start_line <= line <= r.end_line
        ]
        fallback = min(spanning)[1] if spanning else -1
        grouped.setdefault(owner.get(line, fallback), []).append(line)
    named = {
        index: (file.regions[index].display_name if index >= 0 else "(module level)")
        for index in grouped
    }
    order = sorted(grouped, key=lambda index: (grouped[index][0], index))
    return tuple((named[index], tuple(grouped[index])) for index in order)


def line_ranges(statements: Iterable[int], lines: Iterable[int]) -> str:
    """``lines`` as ranges ("12-18, 25"), joined across lines that are not ``statements``."""
    from covgap.collect.coverage.regions import missing_ranges

    return missing_ranges(statements, lines)


def _ratio(covered: int, total: int) -> Fraction:
    return Fraction(covered, total) if total else Fraction(1)


def _percent(covered: int, total: int) -> float:
    """coverage.py's float formula: the same float as its reports."""
    return (100.0 * covered) / total if total else 100.0
