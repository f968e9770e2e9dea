"""The change between two snapshots of the coverage history, explained; pure, no I/O.

For snapshots A (before) and B (after), every statement and branch of either is in exactly one
of six parts, in coverage.py's units:

- **covered added** / **uncovered added**: in B only (new code), covered or not in B;
- **covered removed** / **uncovered removed**: in A only (code that went), covered or not in A;
- **gained**: in both, missing in A and covered in B;
- **lost**: in both, covered in A and missing in B.

So, for statements and for branches alike, exactly::

    B.total   - A.total   = covered added + uncovered added - covered removed - uncovered removed
    B.covered - A.covered = covered added - covered removed + gained - lost

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

Each file's ``lost_lines`` and ``gained_lines`` are the lines (B's numbers) of its statements
and branches that lost or gained coverage.

**The same code.** Two snapshots of the same commit with clean work trees (no tracked file
changed, no untracked Python file: ``git_state``), measured alike (input kind, branches), with
the same content for every file in both and, when both have the suite's health, the same number
of tests, measured the same code: what gained or lost coverage between them is the
suite's variation from run to run (threads, timing, randomness), and ``Delta.same_code`` says
so; a file measured in one of them only is told as such, not as code added or removed.

A file's line data that does not agree with its numbers (a statement count other than the
number of statement lines, say) is explained from the numbers only: the change in covered
units as covered added or removed, the change in missing units as uncovered added or removed;
in a file whose content did not change and whose count of units did not either, as gained or
lost.

Each file's ``impact`` is its share of the change in the total, in points; the shares add up to
the change exactly: ``100 × (ΔC_f − p_A × ΔN_f) / N_B`` for a file whose covered units changed
by ΔC_f and units by ΔN_f, where p_A is A's covered ratio and N_B is B's units (when B has no
units at all, the files share the change by the units they lost).
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Literal, NamedTuple

from covgap.model import Numbers
from covgap.store.history import FileRecord, Snapshot, format_ranges

__all__ = [
    "DEFAULT_DROP_THRESHOLD",
    "Delta",
    "FileDelta",
    "UnitChange",
    "explain",
    "explain_history",
]

#: A drop of the total by more than this many points is flagged.
DEFAULT_DROP_THRESHOLD = 5.0
#: The destination of an arc that leaves the module: coverage.py numbers an exit by the first
#: line of its code object, and a module's is line 1 whatever that line holds.
MODULE_EXIT = -1
#: Files whose varying lines the text of a same-code delta names.
VARIED_FILES_NAMED = 3

FileStatus = Literal["added", "removed", "changed", "unchanged"]
MatchedBy = Literal["text", "line", "numbers", "none"]


@dataclass(frozen=True)
class UnitChange:
    """How one kind of unit (statements, or branches) changed, in six parts (see module doc)."""

    covered_added: int = 0
    uncovered_added: int = 0
    covered_removed: int = 0
    uncovered_removed: int = 0
    gained: int = 0
    lost: int = 0

    @property
    def total_change(self) -> int:
        """The change in units: B's count minus A's."""
        return (
            self.covered_added
            + self.uncovered_added
            - self.covered_removed
            - self.uncovered_removed
        )

    @property
    def covered_change(self) -> int:
        """The change in covered units."""
        return self.covered_added - self.covered_removed + self.gained - self.lost

    @property
    def code_changed(self) -> bool:
        """Units came or went (any of the four added and removed parts)."""
        return bool(
            self.covered_added
            or self.uncovered_added
            or self.covered_removed
            or self.uncovered_removed
        )

    @property
    def missing_change(self) -> int:
        """The change in missing units."""
        return self.uncovered_added - self.uncovered_removed + self.lost - self.gained

    def __add__(self, other: UnitChange) -> UnitChange:
        return UnitChange(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(UnitChange))
        )

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(UnitChange))


@dataclass(frozen=True)
class FileDelta:
    """One file's change between the snapshots."""

    path: str
    #: "added"/"removed": in one snapshot only; "unchanged": same content (same SHA-256, or
    #: same line data when a hash is missing) and same statement lines.
    status: FileStatus
    before: Numbers | None
    after: Numbers | None
    statements: UnitChange
    branches: UnitChange
    #: Points of the total's change this file accounts for (they add up to ``Delta.points``).
    impact: Fraction
    #: How statements were followed: by their text, by line number, from the numbers only, or
    #: not at all (a file in one snapshot only).
    matched_by: MatchedBy = "text"
    #: Lines (B's numbers) of the statements and branches that lost coverage, ascending.
    lost_lines: tuple[int, ...] = ()
    #: Lines (B's numbers) of the statements and branches that gained coverage, ascending.
    gained_lines: tuple[int, ...] = ()

    @property
    def varied_lines(self) -> tuple[int, ...]:
        """The lines whose coverage changed: lost or gained."""
        return tuple(sorted({*self.lost_lines, *self.gained_lines}))

    @property
    def units(self) -> UnitChange:
        return self.statements + self.branches


@dataclass(frozen=True)
class Delta:
    """The change from one snapshot to the next, explained."""

    before_id: int
    after_id: int
    before: Numbers
    after: Numbers
    statements: UnitChange
    branches: UnitChange
    #: The files with any change, by impact (largest first, drops and rises alike), then path.
    files: tuple[FileDelta, ...]
    #: A drop of more than this many points is flagged.
    threshold: Fraction
    #: Both snapshots measured the same code (see the module's docstring): a change is the
    #: suite's variation from run to run.
    same_code: bool = False

    @property
    def units(self) -> UnitChange:
        return self.statements + self.branches

    @property
    def points(self) -> Fraction:
        """The change in the total, in percentage points, exact."""
        return (self.after.ratio - self.before.ratio) * 100

    @property
    def flagged(self) -> bool:
        """True when the total dropped by more than the threshold."""
        return -self.points > self.threshold

    @property
    def text(self) -> str:
        """One line: the change in points and its parts, each with the file that has most of it.

        ``+3.2 points: 40 covered statements added in shop/orders.py, 12 uncovered statements
        added (9 in shop/payments.py); 5 statements lost coverage in shop/util.py``
        """
        head = f"{float(self.points):+.1f} points"
        if self.same_code and not any(
            f.statements.code_changed or f.branches.code_changed
            for f in self.files
            if f.status in ("changed", "unchanged")
        ):
            return self._varied_text(head)
        code: list[str] = []
        coverage: list[str] = []
        for unit, singular, plural in (
            ("statements", "statement", "statements"),
            ("branches", "branch", "branches"),
        ):
            for part, phrase, group in _PHRASES:
                count = getattr(getattr(self, unit), part)
                if not count:
                    continue
                noun = singular if count == 1 else plural
                where = _where(self.files, unit, part)
                text = phrase.format(count=count, noun=noun) + where
                (code if group == "code" else coverage).append(text)
        body = "; ".join(", ".join(group) for group in (code, coverage) if group)
        text = f"{head}: {body or 'no change in statements or branches'}"
        return text + self._flag()

    def _flag(self) -> str:
        return f" [drop of more than {float(self.threshold):g} points]" if self.flagged else ""

    def _varied_text(self, head: str) -> str:
        """The text of a same-code delta: the variation, and the lines that varied.

        ``+0.0 points: coverage varied between runs of the same code: 1 statement lost
        coverage, 1 statement gained coverage; lines pkg/core.py 38-39``
        """
        parts: list[str] = []
        for unit, singular, plural in (
            ("statements", "statement", "statements"),
            ("branches", "branch", "branches"),
        ):
            change: UnitChange = getattr(self, unit)
            if change.lost:
                noun = singular if change.lost == 1 else plural
                parts.append(f"{change.lost} {noun} lost coverage")
            if change.gained:
                noun = singular if change.gained == 1 else plural
                parts.append(f"{change.gained} {noun} gained coverage")
        once = [f for f in self.files if f.status in ("added", "removed")]
        for file in once:
            run = "the later run" if file.status == "added" else "the earlier run"
            parts.append(f"{file.path} measured in {run} only")
        if not parts:
            return f"{head}: no change in statements or branches"
        text = f"{head}: coverage varied between runs of the same code: {', '.join(parts)}"
        varied = [f for f in self.files if f.varied_lines]
        if varied:
            named = [
                f"{f.path} {format_ranges(f.varied_lines).replace(',', ', ')}"
                for f in varied[:VARIED_FILES_NAMED]
            ]
            more = len(varied) - VARIED_FILES_NAMED
            text += "; lines " + "; ".join(named) + (f"; {more} more files" if more > 0 else "")
        return text + self._flag()


_PHRASES = (
    ("covered_added", "{count} covered {noun} added", "code"),
    ("uncovered_added", "{count} uncovered {noun} added", "code"),
    ("covered_removed", "{count} covered {noun} removed", "code"),
    ("uncovered_removed", "{count} uncovered {noun} removed", "code"),
    ("lost", "{count} {noun} lost coverage", "coverage"),
    ("gained", "{count} {noun} gained coverage", "coverage"),
)


def _where(files: Sequence[FileDelta], unit: str, part: str) -> str:
    """Where a part is: " in PATH" when in one file, else " (N in PATH)" for the file with the
    most of it."""
    counts = [(int(getattr(getattr(f, unit), part)), f.path) for f in files]
    counted = sorted(((n, path) for n, path in counts if n), key=lambda c: (-c[0], c[1]))
    if not counted:
        return ""
    if len(counted) == 1:
        return f" in {counted[0][1]}"
    return f" ({counted[0][0]} in {counted[0][1]})"


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
    return tuple(explain(a, b, threshold) for a, b in itertools.pairwise(snapshots))


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


def _impact(before: Numbers, after: Numbers, was: Numbers, now: Numbers) -> Fraction:
    """A file's share of the change in points; the files' shares add up to it exactly."""
    units = now.units - was.units
    covered = now.covered_units - was.covered_units
    if after.units:
        return 100 * (covered - before.ratio * units) / after.units
    if before.units:  # B has nothing to cover (100%): shared by the units each file lost
        return 100 * (1 - before.ratio) * -units / before.units
    return Fraction(0)
