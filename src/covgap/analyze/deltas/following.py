"""Following a file in both snapshots: its statements matched by their text, its branches by arcs.

Statements are followed from A to B file by file (same path). In a file whose content is the
same (same SHA-256 and statement lines) a statement is the same line. In a changed file,
statements are matched by the text of their first line (whitespace-stripped, as hashed in the
history): ``difflib.SequenceMatcher`` on the two files' sequences of statement hashes, in line
order, so each statement is matched at most once and order is kept. Statements unmatched in A
were removed, unmatched in B were added. Without the source's hashes on either side (the
source could not be read when recorded) statements are matched by line number.

Branches: the history keeps only the *missing* arcs, so branches are followed through them. In a
file whose content did not change an arc is the same arc. Otherwise, a missing arc of A whose
two ends are statements matched in B is the same arc in B: still missing, or **gained**; an exit
from the module (destination -1: coverage.py numbers the module's code object by line 1, which
is often a docstring or a comment, not a statement) is the module's exit in B. One whose ends
are not both matched went with its code (**uncovered removed**). A missing arc of B that is not
the image of one of A is **lost** when both its ends were matched from A (the arc is taken to
have been there, covered), else **uncovered added**. The covered branches cannot be listed, so
what is left of the file's change in branches is net:
``covered added - covered removed = ΔN - uncovered added + uncovered removed``, shown as
covered added when positive and covered removed when negative. In a file whose content did not
change, that net is 0 and gained/lost are exact: code that did not change is never added or
removed.

A file's line data that does not agree with its numbers (a statement count other than the
number of statement lines, say) is explained from the numbers only: the change in covered
units as covered added or removed, the change in missing units as uncovered added or removed;
in a file whose content did not change and whose count of units did not either, as gained or
lost.
"""

from __future__ import annotations

import difflib
from typing import Literal, NamedTuple

from covgap.analyze.deltas.changes import UnitChange
from covgap.store.history import FileRecord

#: The destination of an arc that leaves the module: coverage.py numbers an exit by the first
#: line of its code object, and a module's is line 1 whatever that line holds.
MODULE_EXIT = -1


def _from_numbers(covered: int, missing: int, *, same: bool = False) -> UnitChange:
    """A change explained by counts only: covered and missing units, added or removed; with
    ``same`` (the file's content did not change), a change of coverage among the same units
    is gained or lost."""
    if same and covered == -missing:
        return UnitChange(gained=max(covered, 0), lost=max(-covered, 0))
    return UnitChange(
        covered_added=max(covered, 0),
        covered_removed=max(-covered, 0),
        uncovered_added=max(missing, 0),
        uncovered_removed=max(-missing, 0),
    )


def _lines_agree(record: FileRecord) -> bool:
    statements = set(record.statement_lines)
    return (
        len(statements) == record.numbers.statements
        and len(set(record.missing_lines)) == record.numbers.missing_statements
        and statements.issuperset(record.missing_lines)
    )


class _Compared(NamedTuple):
    """A file in both snapshots, followed from A to B."""

    statements: UnitChange
    branches: UnitChange
    how: Literal["text", "line", "numbers"]
    lost_lines: tuple[int, ...] = ()
    gained_lines: tuple[int, ...] = ()


class _BranchChange(NamedTuple):
    change: UnitChange
    lost_lines: frozenset[int] = frozenset()
    gained_lines: frozenset[int] = frozenset()


def _compare(a: FileRecord, b: FileRecord, *, same: bool) -> _Compared:
    """Statements and branches of a file in both snapshots, followed from A to B; ``same``:
    the file's content did not change."""
    na, nb = a.numbers, b.numbers
    if not (_lines_agree(a) and _lines_agree(b)):
        statements = _from_numbers(
            nb.covered_statements - na.covered_statements,
            nb.missing_statements - na.missing_statements,
            same=same,
        )
        branches = _from_numbers(
            nb.covered_branches - na.covered_branches,
            nb.missing_branches - na.missing_branches,
            same=same,
        )
        return _Compared(statements, branches, "numbers")
    pairs, how = _match(a, b)
    missing_a, missing_b = set(a.missing_lines), set(b.missing_lines)
    gained_lines = {lb for la, lb in pairs if la in missing_a and lb not in missing_b}
    lost_lines = {lb for la, lb in pairs if lb in missing_b and la not in missing_a}
    matched_a = {la for la, _ in pairs}
    matched_b = {lb for _, lb in pairs}
    went = [line for line in a.statement_lines if line not in matched_a]
    came = [line for line in b.statement_lines if line not in matched_b]
    statements = UnitChange(
        covered_added=sum(line not in missing_b for line in came),
        uncovered_added=sum(line in missing_b for line in came),
        covered_removed=sum(line not in missing_a for line in went),
        uncovered_removed=sum(line in missing_a for line in went),
        gained=len(gained_lines),
        lost=len(lost_lines),
    )
    followed = _branches(a, b, dict(pairs), same=same)
    return _Compared(
        statements,
        followed.change,
        how,
        tuple(sorted(lost_lines | followed.lost_lines)),
        tuple(sorted(gained_lines | followed.gained_lines)),
    )


def _match(a: FileRecord, b: FileRecord) -> tuple[list[tuple[int, int]], Literal["text", "line"]]:
    """Matched statement lines (line in A, line in B), in order."""
    hashes_a, hashes_b = a.statement_hashes(), b.statement_hashes()
    if hashes_a is None or hashes_b is None:
        common = sorted(set(a.statement_lines) & set(b.statement_lines))
        return [(line, line) for line in common], "line"
    if a.content_hash == b.content_hash and a.statement_lines == b.statement_lines:
        return [(line, line) for line in a.statement_lines], "text"
    matcher = difflib.SequenceMatcher(None, hashes_a, hashes_b, autojunk=False)
    pairs = [
        (a.statement_lines[i + k], b.statement_lines[j + k])
        for i, j, size in matcher.get_matching_blocks()
        for k in range(size)
    ]
    return pairs, "text"


def _branches(a: FileRecord, b: FileRecord, lines: dict[int, int], *, same: bool) -> _BranchChange:
    """A file's branches followed through its missing arcs (see the module's docstring);
    ``same``: the file's content did not change, so every arc is itself."""
    na, nb = a.numbers, b.numbers
    if len(set(a.missing_arcs)) != na.missing_branches or len(set(b.missing_arcs)) != (
        nb.missing_branches
    ):
        return _BranchChange(
            _from_numbers(
                nb.covered_branches - na.covered_branches,
                nb.missing_branches - na.missing_branches,
                same=same,
            )
        )
    images = set(lines.values())
    missing_b = set(b.missing_arcs)

    def carried(arc: tuple[int, int]) -> tuple[int, int] | None:
        if same:
            return arc
        source, destination = arc
        if source not in lines:
            return None
        if destination == 0:  # destination unknown (Cobertura, LCOV)
            return lines[source], 0
        if destination == MODULE_EXIT:
            # The module's exit, or (a def or class on line 1) that code object's, which then
            # exits to wherever line 1's statement went: whichever B has.
            moved = (lines[source], -lines[1]) if 1 in lines else None
            return moved if moved in missing_b else (lines[source], MODULE_EXIT)
        end = lines.get(abs(destination))
        if end is None:
            return None
        return lines[source], end if destination > 0 else -end

    still: set[tuple[int, int]] = set()
    gained_lines: set[int] = set()
    claimed: set[tuple[int, int]] = set()
    gained = uncovered_removed = 0
    for arc in sorted(set(a.missing_arcs)):
        image = carried(arc)
        if image is None or image in claimed:
            # Gone, or one of two arcs that became one in B (a function's exit and the
            # module's, once the function's def line went): B has one branch for both.
            uncovered_removed += 1
            continue
        claimed.add(image)
        if image in missing_b:
            still.add(image)
        else:
            gained += 1
            gained_lines.add(image[0])
    lost_lines: set[int] = set()
    lost = uncovered_added = 0
    for source, destination in missing_b - still:
        known_end = destination in (0, MODULE_EXIT) or abs(destination) in images
        if same or (source in images and known_end):
            lost += 1
            lost_lines.add(source)
        else:
            uncovered_added += 1
    net = nb.branches - na.branches - uncovered_added + uncovered_removed
    change = UnitChange(
        covered_added=max(net, 0),
        covered_removed=max(-net, 0),
        uncovered_added=uncovered_added,
        uncovered_removed=uncovered_removed,
        gained=gained,
        lost=lost,
    )
    return _BranchChange(change, frozenset(lost_lines), frozenset(gained_lines))
