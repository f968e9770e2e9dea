"""Explaining the change between two snapshots: each file's share, and whether the code was alike.

**The same code.** Two snapshots of the same commit with clean work trees (no tracked file
changed, no untracked Python file: ``git_state``), measured alike (input kind, branches), with
the same content for every file in both and, when both have the suite's health, the same number
of tests, measured the same code: what gained or lost coverage between them is the
suite's variation from run to run (threads, timing, randomness), and ``Delta.same_code`` says
so; a file measured in one of them only is told as such, not as code added or removed.

Each file's ``impact`` is its share of the change in the total, in points; the shares add up to
the change exactly: ``100 × (ΔC_f − p_A × ΔN_f) / N_B`` for a file whose covered units changed
by ΔC_f and units by ΔN_f, where p_A is A's covered ratio and N_B is B's units (when B has no
units at all, the files share the change by the units they lost).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from fractions import Fraction

from covgap.analyze.deltas.changes import Delta, FileDelta, FileStatus, MatchedBy, UnitChange
from covgap.analyze.deltas.following import _compare
from covgap.model import Numbers
from covgap.store.history import FileRecord, Snapshot

#: A drop of the total by more than this many points is flagged.
DEFAULT_DROP_THRESHOLD = 5.0


def explain(
    before: Snapshot, after: Snapshot, threshold: float | Fraction = DEFAULT_DROP_THRESHOLD
) -> Delta:
    """The change from ``before`` to ``after``, explained; a drop of more than ``threshold``
    points is flagged."""
    totals_before = _sum(f.numbers for f in before.files.values())
    totals_after = _sum(f.numbers for f in after.files.values())
    files: list[FileDelta] = []
    for path in sorted(before.files.keys() | after.files.keys()):
        a, b = before.files.get(path), after.files.get(path)
        how: MatchedBy = "none"
        lost_lines: tuple[int, ...] = ()
        gained_lines: tuple[int, ...] = ()
        status: FileStatus
        if b is None:
            assert a is not None
            status, (statements, branches) = "removed", _went(a.numbers)
        elif a is None:
            status, (statements, branches) = "added", _appeared(b.numbers)
        else:
            status = "unchanged" if _same_content(a, b) else "changed"
            compared = _compare(a, b, same=status == "unchanged")
            statements, branches, how = compared.statements, compared.branches, compared.how
            lost_lines, gained_lines = compared.lost_lines, compared.gained_lines
        if statements or branches:
            was = None if a is None else a.numbers
            now = None if b is None else b.numbers
            impact = _impact(totals_before, totals_after, was or Numbers(), now or Numbers())
            files.append(
                FileDelta(
                    path,
                    status,
                    was,
                    now,
                    statements,
                    branches,
                    impact,
                    how,
                    lost_lines,
                    gained_lines,
                )
            )
    files.sort(key=lambda f: (-abs(f.impact), f.path))
    return Delta(
        before_id=before.id,
        after_id=after.id,
        before=totals_before,
        after=totals_after,
        statements=sum((f.statements for f in files), UnitChange()),
        branches=sum((f.branches for f in files), UnitChange()),
        files=tuple(files),
        threshold=_fraction(threshold),
        same_code=_same_code(before, after),
    )


def _same_code(before: Snapshot, after: Snapshot) -> bool:
    """Both snapshots measured the same code, as far as they can tell (module docstring)."""
    if before.commit is None or before.commit != after.commit or before.dirty or after.dirty:
        return False
    if (before.input_kind, before.branch_measured) != (after.input_kind, after.branch_measured):
        return False  # measured differently
    health = before.health, after.health
    if health[0] is not None and health[1] is not None and health[0].tests != health[1].tests:
        return False
    return all(
        after.files[path].content_hash is not None
        and file.content_hash == after.files[path].content_hash
        for path, file in before.files.items()
        if path in after.files
    )


def explain_history(
    snapshots: Sequence[Snapshot], threshold: float | Fraction = DEFAULT_DROP_THRESHOLD
) -> tuple[Delta, ...]:
    """The delta of each snapshot from the one before it."""
    # ``explain`` looked up in covgap.analyze.deltas at each call, as when it lived there.
    from covgap.analyze import deltas

    return tuple(deltas.explain(a, b, threshold) for a, b in itertools.pairwise(snapshots))


def _fraction(value: float | Fraction) -> Fraction:
    if isinstance(value, (Fraction, int)):
        return Fraction(value)
    return Fraction(repr(float(value)))  # 0.1 is one tenth, not its binary neighbour


def _sum(numbers: Iterable[Numbers]) -> Numbers:
    total = Numbers()
    for item in numbers:
        total = total + item
    return total


def _appeared(numbers: Numbers) -> tuple[UnitChange, UnitChange]:
    return (
        UnitChange(
            covered_added=numbers.covered_statements, uncovered_added=numbers.missing_statements
        ),
        UnitChange(
            covered_added=numbers.covered_branches, uncovered_added=numbers.missing_branches
        ),
    )


def _went(numbers: Numbers) -> tuple[UnitChange, UnitChange]:
    return (
        UnitChange(
            covered_removed=numbers.covered_statements,
            uncovered_removed=numbers.missing_statements,
        ),
        UnitChange(
            covered_removed=numbers.covered_branches,
            uncovered_removed=numbers.missing_branches,
        ),
    )


def _same_content(a: FileRecord, b: FileRecord) -> bool:
    if a.statement_lines != b.statement_lines:
        return False
    if a.content_hash is not None and b.content_hash is not None:
        return a.content_hash == b.content_hash
    return a.missing_lines == b.missing_lines and a.missing_arcs == b.missing_arcs


def _impact(before: Numbers, after: Numbers, was: Numbers, now: Numbers) -> Fraction:
    """A file's share of the change in points; the files' shares add up to it exactly."""
    units = now.units - was.units
    covered = now.covered_units - was.covered_units
    if after.units:
        return 100 * (covered - before.ratio * units) / after.units
    if before.units:  # B has nothing to cover (100%): shared by the units each file lost
        return 100 * (1 - before.ratio) * -units / before.units
    return Fraction(0)
