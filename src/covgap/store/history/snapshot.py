"""The history's data: a snapshot, its files and health counts, and how their lines are encoded.

Statement identity
    Besides each file's SHA-256, the history keeps, once per distinct content, an 8-byte hash of
    every source line (its text with surrounding whitespace stripped). A statement is then known
    by the text of its first line, which lets deltas follow statements through edits.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from covgap import __version__
from covgap.files import read_bytes
from covgap.model import FileCoverage, Numbers, Outcome, ProjectCoverage, SuiteHealth
from covgap.store.history.git import git_state

__all__ = [
    "HASH_BYTES",
    "FileRecord",
    "HealthCounts",
    "Snapshot",
    "SnapshotInput",
    "SnapshotSummary",
    "file_record",
    "format_ranges",
    "line_hashes",
    "parse_ranges",
    "read_record",
]


#: Bytes of each source line's hash (BLAKE2b): 8 make an accidental clash within one file
#: unlikely enough (about 1 in 10^11 for a 10,000-line file), and only a clash can mislead.
HASH_BYTES = 8
_OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")


@dataclass(frozen=True)
class HealthCounts:
    """The suite's outcomes as pytest's summary counts them, and how long it ran."""

    passed: int = 0
    failed: int = 0
    error: int = 0
    skipped: int = 0
    xfailed: int = 0
    xpassed: int = 0
    seconds: float = 0.0

    @classmethod
    def of(cls, health: SuiteHealth, seconds: float | None = None) -> HealthCounts:
        """The counts of a run's health; ``seconds`` defaults to the sum of the tests' times."""
        if seconds is None:
            seconds = sum(test.duration for test in health.tests)
        passed, failed, error, skipped, xfailed, xpassed = map(health.count, _OUTCOMES)
        return cls(passed, failed, error, skipped, xfailed, xpassed, seconds)

    @property
    def tests(self) -> int:
        return self.passed + self.failed + self.error + self.skipped + self.xfailed + self.xpassed


@dataclass(frozen=True)
class FileRecord:
    """One file of a snapshot: its numbers and line data, and what its source looked like."""

    path: str
    numbers: Numbers
    statement_lines: tuple[int, ...] = ()
    missing_lines: tuple[int, ...] = ()
    missing_arcs: tuple[tuple[int, int], ...] = ()
    #: SHA-256 of the file's bytes (hex), or None when the source could not be read.
    content_hash: str | None = None
    #: ``HASH_BYTES`` bytes per source line (see ``line_hashes``), or None with no source.
    line_hashes: bytes | None = field(default=None, repr=False)

    def statement_hashes(self) -> tuple[bytes, ...] | None:
        """The hash of each statement's first line, in line order; None when unknown."""
        hashes = self.line_hashes
        if hashes is None:
            return None
        count = len(hashes) // HASH_BYTES
        if any(not 1 <= line <= count for line in self.statement_lines):
            return None  # the line data does not fit the source read
        return tuple(
            hashes[(line - 1) * HASH_BYTES : line * HASH_BYTES] for line in self.statement_lines
        )


@dataclass(frozen=True)
class SnapshotSummary:
    """One snapshot without its files: what ``History.snapshots`` lists."""

    id: int
    commit: str | None
    branch: str | None
    dirty: bool
    #: UTC, ISO 8601 (``2026-08-23T09:41:07Z``).
    recorded_at: str
    covgap_version: str
    input_kind: str
    branch_measured: bool
    totals: Numbers
    #: The total as coverage.py computes it (``Numbers.percent_covered``).
    percent: float
    file_count: int
    health: HealthCounts | None


@dataclass(frozen=True)
class Snapshot:
    """One recorded run: where and when, its totals, every file, and the suite's health."""

    id: int
    commit: str | None
    branch: str | None
    dirty: bool
    recorded_at: str
    covgap_version: str
    input_kind: str
    branch_measured: bool
    totals: Numbers
    files: Mapping[str, FileRecord]
    health: HealthCounts | None = None

    @property
    def percent(self) -> float:
        return self.totals.percent_covered


@dataclass(frozen=True)
class SnapshotInput:
    """What ``History.record`` stores: a project's coverage and where it was measured."""

    project: ProjectCoverage
    #: The project folder the files' paths are relative to; their sources are read from there
    #: for the content hashes. None: no hashes (deltas then follow statements by line number).
    project_dir: Path | None = None
    health: HealthCounts | None = None
    commit: str | None = None
    branch: str | None = None
    dirty: bool = False
    #: When it was measured (a naive time is taken as local); None: now.
    recorded_at: datetime | None = None
    covgap_version: str = __version__

    @classmethod
    def measured(
        cls,
        project: ProjectCoverage,
        project_dir: Path,
        health: SuiteHealth | HealthCounts | None = None,
        seconds: float | None = None,
    ) -> SnapshotInput:
        """The input for a project measured now, with its git state (``git_state``)."""
        commit, branch, dirty = git_state(project_dir)
        counts = HealthCounts.of(health, seconds) if isinstance(health, SuiteHealth) else health
        return cls(project, project_dir, counts, commit, branch, dirty)


def line_hashes(source: bytes) -> bytes:
    """``HASH_BYTES`` of BLAKE2b per line, of the line's bytes without surrounding whitespace.

    Lines are split as Python numbers them (``\\n``, ``\\r\\n`` or ``\\r``).
    """
    return b"".join(
        hashlib.blake2b(line.strip(), digest_size=HASH_BYTES).digest()
        for line in source.splitlines()
    )


def file_record(file: FileCoverage, source: bytes | None) -> FileRecord:
    """A file's record from its coverage and its source's bytes (None when not readable)."""
    return FileRecord(
        path=file.path,
        numbers=file.numbers,
        statement_lines=tuple(sorted(set(file.statement_lines))),
        missing_lines=tuple(sorted(set(file.missing_lines))),
        missing_arcs=tuple(sorted(set(file.missing_arcs))),
        content_hash=None if source is None else hashlib.sha256(source).hexdigest(),
        line_hashes=None if source is None else line_hashes(source),
    )


def format_ranges(lines: Iterable[int]) -> str:
    """Sorted lines as runs: ``1-3,7,9-10``."""
    runs: list[list[int]] = []
    for line in sorted(set(lines)):
        if runs and line == runs[-1][1] + 1:
            runs[-1][1] = line
        else:
            runs.append([line, line])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def parse_ranges(text: str) -> tuple[int, ...]:
    """The lines of ``format_ranges``' text."""
    lines: list[int] = []
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        lines.extend(range(int(first), int(last or first) + 1))
    return tuple(lines)


def read_record(file: FileCoverage, project_dir: Path | None) -> FileRecord:
    """A file's record with its source read from ``project_dir`` (no hashes when unreadable)."""
    source: bytes | None = None
    if project_dir is not None and not file.outside:  # numbers only for a file outside
        with contextlib.suppress(OSError):
            source = read_bytes(project_dir / file.path)
    return file_record(file, source)
