"""What an explained change holds: each unit kind's six parts, per file and in total, and its text.

For snapshots A (before) and B (after), every statement and branch of either is in exactly one
of six parts, in coverage.py's units:

- **covered added** / **uncovered added**: in B only (new code), covered or not in B;
- **covered removed** / **uncovered removed**: in A only (code that went), covered or not in A;
- **gained**: in both, missing in A and covered in B;
- **lost**: in both, covered in A and missing in B.

So, for statements and for branches alike, exactly::

    B.total   - A.total   = covered added + uncovered added - covered removed - uncovered removed
    B.covered - A.covered = covered added - covered removed + gained - lost

Each file's ``lost_lines`` and ``gained_lines`` are the lines (B's numbers) of its statements
and branches that lost or gained coverage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Literal

from covgap.model import Numbers
from covgap.store.history import format_ranges

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
    #: Both snapshots measured the same code (see ``explaining``'s docstring): a change is the
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
