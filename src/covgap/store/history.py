"""covgap's coverage history: one snapshot per recorded run, in a SQLite database.

A snapshot holds the commit, branch and time of a run, the totals, every file's numbers and
line data (statement lines, missing lines and missing arcs, as ranges), a hash of each file's
content, and the suite's health counts when the run had them. ``covgap.analyze.deltas`` explains
the change between two snapshots from that data. docs/history.md describes the schema and the
guarantees; the default place is ``.covgap/history.db`` (the caller decides).

Safety
    Every write is one short ``BEGIN IMMEDIATE`` transaction in WAL mode with a busy timeout, so
    many processes can record at once and a killed process leaves no half-written snapshot. A
    file that is not a covgap history (not SQLite, or someone else's SQLite database), or one
    written by a newer covgap, is refused with a ``DataError`` before anything is written to it.
    The schema version is ``PRAGMA user_version``; older histories are brought up to date by
    ``MIGRATIONS``, in order, in one transaction.

Statement identity
    Besides each file's SHA-256, the history keeps, once per distinct content, an 8-byte hash of
    every source line (its text with surrounding whitespace stripped). A statement is then known
    by the text of its first line, which lets deltas follow statements through edits.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

from covgap import __version__
from covgap.errors import DataError, OutputError
from covgap.files import read_bytes
from covgap.model import FileCoverage, Numbers, Outcome, ProjectCoverage, SuiteHealth

__all__ = [
    "HASH_BYTES",
    "HISTORY_SCHEMA",
    "MIGRATIONS",
    "FileRecord",
    "HealthCounts",
    "History",
    "Snapshot",
    "SnapshotInput",
    "SnapshotSummary",
    "file_record",
    "format_ranges",
    "git_state",
    "line_hashes",
    "parse_ranges",
    "read_record",
]

#: The schema of the history database (``PRAGMA user_version``).
#: 1: tables snapshot, file, source and health.
HISTORY_SCHEMA = 1
#: Marks the SQLite file as a covgap history ("CGH1"): ``PRAGMA application_id``.
_APPLICATION_ID = 0x43474831
#: Bytes of each source line's hash (BLAKE2b): 8 make an accidental clash within one file
#: unlikely enough (about 1 in 10^11 for a 10,000-line file), and only a clash can mislead.
HASH_BYTES = 8
#: How long a writer waits for another one to finish before giving up.
BUSY_SECONDS = 60.0
_TABLES = frozenset({"snapshot", "file", "source", "health"})
_OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")


def _create_schema_1(connection: sqlite3.Connection) -> None:
    """Schema 0 → 1: the first tables."""
    connection.execute(
        """CREATE TABLE snapshot (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            commit_sha TEXT,
            branch TEXT,
            dirty INTEGER NOT NULL,
            recorded_at TEXT NOT NULL,
            covgap_version TEXT NOT NULL,
            input_kind TEXT NOT NULL,
            branch_measured INTEGER NOT NULL,
            statements INTEGER NOT NULL,
            missing_statements INTEGER NOT NULL,
            branches INTEGER NOT NULL,
            missing_branches INTEGER NOT NULL,
            percent REAL NOT NULL,
            file_count INTEGER NOT NULL
        )"""
    )
    connection.execute("CREATE INDEX snapshot_by_branch ON snapshot (branch, id)")
    connection.execute(
        """CREATE TABLE file (
            snapshot_id INTEGER NOT NULL REFERENCES snapshot (id),
            path TEXT NOT NULL,
            statements INTEGER NOT NULL,
            missing_statements INTEGER NOT NULL,
            branches INTEGER NOT NULL,
            missing_branches INTEGER NOT NULL,
            content_hash TEXT REFERENCES source (content_hash),
            statement_lines TEXT NOT NULL,
            missing_lines TEXT NOT NULL,
            missing_arcs TEXT NOT NULL,
            PRIMARY KEY (snapshot_id, path)
        ) WITHOUT ROWID"""
    )
    connection.execute(
        """CREATE TABLE source (
            content_hash TEXT PRIMARY KEY,
            line_count INTEGER NOT NULL,
            line_hashes BLOB NOT NULL
        )"""
    )
    connection.execute(
        """CREATE TABLE health (
            snapshot_id INTEGER PRIMARY KEY REFERENCES snapshot (id),
            passed INTEGER NOT NULL,
            failed INTEGER NOT NULL,
            error INTEGER NOT NULL,
            skipped INTEGER NOT NULL,
            xfailed INTEGER NOT NULL,
            xpassed INTEGER NOT NULL,
            seconds REAL NOT NULL
        )"""
    )


#: ``MIGRATIONS[n]`` takes a history of schema n to schema n + 1; opening a history applies the
#: ones it lacks, in order, in one transaction. ``len(MIGRATIONS) == HISTORY_SCHEMA``.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_schema_1]


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


class History:
    """A coverage history database; use it as a context manager (or call ``close``)."""

    def __init__(
        self, path: Path, *, busy_seconds: float = BUSY_SECONDS, writing: bool = True
    ) -> None:
        """Open the history at ``path``, creating its folder and the database if missing.

        Raises ``DataError`` when the file is not a covgap history or is newer than this covgap
        reads; the file is then left as it was. ``writing`` False: only to read it, which works
        when the file or its folder is read-only too (then it is opened read-only, and
        immutable: nothing is written, not even SQLite's shared-memory file). A history that
        cannot be written to is an ``OutputError`` when ``writing``, before anything is tried.
        """
        self.path = Path(path)
        self._empty = False
        read_only = _read_only(self.path)
        if read_only and writing:
            raise OutputError(
                f"snapshot not recorded: {read_only}; the history is unchanged",
                path=str(self.path),
                slug="history-unwritable",
            )
        self._read_only = bool(read_only)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"cannot create the history's folder: {exc.strerror or exc}",
                path=str(self.path.parent),
                slug="history-unwritable",
            ) from exc
        try:
            if self._read_only:
                # immutable: the folder may not take a -shm file, and nobody can be writing.
                uri = f"{self.path.absolute().as_uri()}?mode=ro&immutable=1"
                self._connection = sqlite3.connect(
                    uri, uri=True, timeout=busy_seconds, isolation_level=None
                )
            else:
                self._connection = sqlite3.connect(
                    self.path, timeout=busy_seconds, isolation_level=None
                )
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            self._connection.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
            self._open()
        except BaseException:
            self._connection.close()
            raise

    # -- opening ---------------------------------------------------------------------------

    def _open(self) -> None:
        connection = self._connection
        try:
            version = self._check(connection)  # reads only: nothing is written before this
            if self._read_only:
                self._open_read_only(version)
                return
            if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                self._retry_locked(
                    lambda: connection.execute("PRAGMA journal_mode = WAL").fetchone()
                )
            if version < HISTORY_SCHEMA:
                with self._write():
                    self._migrate(connection, self._check(connection))
            elif _TABLES - self._tables(connection):
                raise self._not_ours("marked as one, but its tables are missing")
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _open_read_only(self, version: int) -> None:
        """Checks of a history that cannot be written: nothing can be migrated or created."""
        if version == 0:  # an empty file or database: a history with no snapshot yet
            self._empty = True
        elif version < HISTORY_SCHEMA:
            raise DataError(
                f"written by an older covgap (schema {version}) and read-only: it cannot be "
                f"brought up to schema {HISTORY_SCHEMA}",
                path=str(self.path),
                hint="make it writable once (any covgap command that reads it updates it)",
                slug="history-unusable",
            )
        elif _TABLES - self._tables(self._connection):
            raise self._not_ours("marked as one, but its tables are missing")

    def _check(self, connection: sqlite3.Connection) -> int:
        """The history's schema version (0 when empty); refuses what is not covgap's.

        The three reads are one read transaction (unless the caller's): another process may be
        creating the tables meanwhile, and its work must be seen whole or not at all.
        """
        own = not connection.in_transaction
        try:
            if own:
                connection.execute("BEGIN")
            (app_id,) = connection.execute("PRAGMA application_id").fetchone()
            (version,) = connection.execute("PRAGMA user_version").fetchone()
            tables = self._tables(connection)
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc) or "encrypted" in str(exc):
                raise self._not_ours("not an SQLite file") from exc
            raise
        finally:
            if own and connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("COMMIT")
        if app_id != _APPLICATION_ID:
            if tables or version:
                raise self._not_ours("an SQLite database with other tables")
            return 0  # an empty database: a new history
        if version > HISTORY_SCHEMA:
            raise DataError(
                f"written by a newer covgap (schema {version}); "
                f"this covgap reads up to {HISTORY_SCHEMA}",
                path=str(self.path),
                hint="upgrade covgap to read it; the file was left untouched",
                slug="history-newer",
            )
        return int(version)

    @staticmethod
    def _tables(connection: sqlite3.Connection) -> set[str]:
        query = "SELECT name FROM sqlite_master WHERE type = 'table'"
        return {row[0] for row in connection.execute(query)} - {"sqlite_sequence"}

    @staticmethod
    def _migrate(connection: sqlite3.Connection, version: int) -> None:
        """Apply the migrations from ``version``, inside the caller's transaction."""
        if version == HISTORY_SCHEMA:  # another process did it while this one waited
            return
        for step in MIGRATIONS[version:HISTORY_SCHEMA]:
            step(connection)
        connection.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {HISTORY_SCHEMA}")

    def _retry_locked(self, action: Callable[[], object]) -> None:
        """Run ``action``, retrying while another process holds the lock it needs.

        (Switching to WAL can report "locked" without waiting for the busy timeout.)
        """
        deadline = time.monotonic() + BUSY_SECONDS
        while True:
            try:
                action()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _not_ours(self, why: str) -> DataError:
        return DataError(
            f"not a covgap history database ({why}); left untouched",
            path=str(self.path),
            hint="give another path for the history, or move this file away",
            slug="history-not-covgap",
        )

    def _error(self, exc: sqlite3.Error) -> DataError:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return DataError(
            f"history database unusable ({detail})", path=str(self.path), slug="history-unusable"
        )

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error."""
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:  # a failed COMMIT can leave it open
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every query inside sees the same committed state."""
        connection = self._connection
        try:
            connection.execute("BEGIN")
            try:
                yield connection
            finally:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    # -- the API ---------------------------------------------------------------------------

    def record(self, snapshot: SnapshotInput) -> int:
        """Store one snapshot, in one transaction; its id."""
        project = snapshot.project
        records = [read_record(file, snapshot.project_dir) for file in project.files]
        totals = project.totals
        when = snapshot.recorded_at or datetime.now(timezone.utc)
        recorded_at = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        sources = {
            record.content_hash: record.line_hashes
            for record in records
            if record.content_hash is not None and record.line_hashes is not None
        }
        try:
            with self._write() as connection:
                cursor = connection.execute(
                    "INSERT INTO snapshot (commit_sha, branch, dirty, recorded_at, covgap_version,"
                    " input_kind, branch_measured, statements, missing_statements, branches,"
                    " missing_branches, percent, file_count)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        snapshot.commit,
                        snapshot.branch,
                        int(snapshot.dirty),
                        recorded_at,
                        snapshot.covgap_version,
                        project.input_kind,
                        int(project.branch_measured),
                        *_numbers_row(totals),
                        totals.percent_covered,
                        len(records),
                    ),
                )
                snapshot_id = cursor.lastrowid
                assert snapshot_id is not None
                connection.executemany(
                    "INSERT OR IGNORE INTO source (content_hash, line_count, line_hashes)"
                    " VALUES (?, ?, ?)",
                    [(key, len(value) // HASH_BYTES, value) for key, value in sources.items()],
                )
                connection.executemany(
                    "INSERT INTO file (snapshot_id, path, statements, missing_statements,"
                    " branches, missing_branches, content_hash, statement_lines, missing_lines,"
                    " missing_arcs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            snapshot_id,
                            record.path,
                            *_numbers_row(record.numbers),
                            record.content_hash,
                            format_ranges(record.statement_lines),
                            format_ranges(record.missing_lines),
                            json.dumps([list(arc) for arc in record.missing_arcs]),
                        )
                        for record in records
                    ],
                )
                if snapshot.health is not None:
                    health = snapshot.health
                    connection.execute(
                        "INSERT INTO health (snapshot_id, passed, failed, error, skipped,"
                        " xfailed, xpassed, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            snapshot_id,
                            *(getattr(health, outcome) for outcome in _OUTCOMES),
                            health.seconds,
                        ),
                    )
        except sqlite3.Error as exc:
            raise OutputError(
                f"snapshot not recorded ({exc}); the history is unchanged",
                path=str(self.path),
                slug="history-unwritable",
            ) from exc
        return int(snapshot_id)

    def snapshots(
        self, limit: int | None = None, branch: str | None = None
    ) -> list[SnapshotSummary]:
        """The snapshots, oldest first, without their files; ``limit``: only the newest so many.

        ``branch``: only those recorded on that branch.
        """
        if self._empty:
            return []
        where, params = "", list[object]()
        if branch is not None:
            where = "WHERE s.branch = ?"
            params.append(branch)
        query = (
            f"SELECT {_SUMMARY_COLUMNS} FROM snapshot s LEFT JOIN health h"
            f" ON h.snapshot_id = s.id {where} ORDER BY s.id DESC"
        )
        if limit is not None:
            query += " LIMIT ?"
            params.append(max(limit, 0))
        with self._read() as connection:
            rows = connection.execute(query, params).fetchall()
        return [_summary(row) for row in reversed(rows)]

    def load(self, snapshot_id: int) -> Snapshot:
        """One snapshot with its files; ``DataError`` when there is none of that id."""
        if self._empty:
            raise DataError(
                f"no snapshot {snapshot_id} in the history",
                path=str(self.path),
                slug="history-no-snapshot",
            )
        with self._read() as connection:
            row = connection.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM snapshot s LEFT JOIN health h"
                " ON h.snapshot_id = s.id WHERE s.id = ?",
                (snapshot_id,),
            ).fetchone()
            if row is None:
                raise DataError(
                    f"no snapshot {snapshot_id} in the history",
                    path=str(self.path),
                    slug="history-no-snapshot",
                )
            file_rows = connection.execute(
                "SELECT f.path, f.statements, f.missing_statements, f.branches,"
                " f.missing_branches, f.content_hash, f.statement_lines, f.missing_lines,"
                " f.missing_arcs, s.line_hashes FROM file f LEFT JOIN source s"
                " ON s.content_hash = f.content_hash WHERE f.snapshot_id = ? ORDER BY f.path",
                (snapshot_id,),
            ).fetchall()
        summary = _summary(row)
        if len(file_rows) != summary.file_count:  # cannot happen: a snapshot is one transaction
            raise DataError(
                f"snapshot {snapshot_id} is incomplete ({len(file_rows)} of"
                f" {summary.file_count} files)",
                path=str(self.path),
                slug="history-unusable",
            )
        files = {
            path: FileRecord(
                path=path,
                numbers=Numbers(statements, missing, branches, missing_branches),
                statement_lines=parse_ranges(statement_lines),
                missing_lines=parse_ranges(missing_lines),
                missing_arcs=tuple((a, b) for a, b in json.loads(arcs)),
                content_hash=content_hash,
                line_hashes=hashes,
            )
            for (
                path,
                statements,
                missing,
                branches,
                missing_branches,
                content_hash,
                statement_lines,
                missing_lines,
                arcs,
                hashes,
            ) in file_rows
        }
        return Snapshot(
            id=summary.id,
            commit=summary.commit,
            branch=summary.branch,
            dirty=summary.dirty,
            recorded_at=summary.recorded_at,
            covgap_version=summary.covgap_version,
            input_kind=summary.input_kind,
            branch_measured=summary.branch_measured,
            totals=summary.totals,
            files=MappingProxyType(files),
            health=summary.health,
        )

    def latest(self, branch: str | None = None) -> Snapshot | None:
        """The newest snapshot (on ``branch`` when given), or None when there is none."""
        found = self.snapshots(limit=1, branch=branch)
        return self.load(found[0].id) if found else None

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _read_only(path: Path) -> str | None:
    """Why the history at ``path`` cannot be written to, or None when it can.

    SQLite writes the database and, next to it, its journal files (WAL): both the file and its
    folder must be writable. A folder still to be made must be makeable.
    """
    if path.exists():
        if not os.access(path, os.W_OK):
            return "the file is read-only"
        if not os.access(path.parent, os.W_OK):
            return "its folder is read-only"
        return None
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if folder.is_dir() and not os.access(folder, os.W_OK):
        return f"{folder} is read-only"
    return None


_SUMMARY_COLUMNS = (
    "s.id, s.commit_sha, s.branch, s.dirty, s.recorded_at, s.covgap_version, s.input_kind,"
    " s.branch_measured, s.statements, s.missing_statements, s.branches, s.missing_branches,"
    " s.percent, s.file_count, h.passed, h.failed, h.error, h.skipped, h.xfailed, h.xpassed,"
    " h.seconds"
)


def _summary(row: Sequence[Any]) -> SnapshotSummary:
    sid, commit, branch, dirty, recorded_at, version, kind, branch_measured = row[:8]
    health = row[14:]
    return SnapshotSummary(
        id=int(sid),
        commit=commit,
        branch=branch,
        dirty=bool(dirty),
        recorded_at=str(recorded_at),
        covgap_version=str(version),
        input_kind=str(kind),
        branch_measured=bool(branch_measured),
        totals=Numbers(*(int(value) for value in row[8:12])),
        percent=float(row[12]),
        file_count=int(row[13]),
        health=None if health[0] is None else _health(health),
    )


def _health(row: Sequence[Any]) -> HealthCounts:
    passed, failed, error, skipped, xfailed, xpassed, seconds = row
    return HealthCounts(
        int(passed), int(failed), int(error), int(skipped), int(xfailed), int(xpassed), seconds
    )


def _numbers_row(numbers: Numbers) -> tuple[int, int, int, int]:
    return (
        numbers.statements,
        numbers.missing_statements,
        numbers.branches,
        numbers.missing_branches,
    )


def read_record(file: FileCoverage, project_dir: Path | None) -> FileRecord:
    """A file's record with its source read from ``project_dir`` (no hashes when unreadable)."""
    source: bytes | None = None
    if project_dir is not None and not file.outside:  # numbers only for a file outside
        with contextlib.suppress(OSError):
            source = read_bytes(project_dir / file.path)
    return file_record(file, source)


# -- git -------------------------------------------------------------------------------------

#: Variables that would point git at another repository than the project's.
_GIT_DROPPED_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR")


#: Untracked files with these suffixes make a work tree dirty: code the commit does not have.
UNTRACKED_CODE = (".py", ".pyw", ".pyi")


def git_state(project_dir: Path, timeout: float = 10.0) -> tuple[str | None, str | None, bool]:
    """The commit checked out in ``project_dir``, its branch and whether the work tree differs
    from it: a tracked file changed, or an untracked (not ignored) Python file is there, such as
    a new test module. Other untracked files (reports, data) and untracked folders do not count.

    (None, None, False) without git or outside a repository, never an error; the commit is None
    before the first commit, the branch None on a detached HEAD. One ``git status`` call.
    """
    env = {k: v for k, v in os.environ.items() if k not in _GIT_DROPPED_ENV}
    env.update(LC_ALL="C", GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0")
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch", "--untracked-files=normal"],
            cwd=project_dir,
            env=env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None, None, False
    if done.returncode:
        return None, None, False
    commit: str | None = None
    branch: str | None = None
    dirty = False
    for line in done.stdout.decode("utf-8", "surrogateescape").splitlines():
        if line.startswith("# branch.oid "):
            oid = line.removeprefix("# branch.oid ").strip()
            commit = None if oid == "(initial)" else oid
        elif line.startswith("# branch.head "):
            head = line.removeprefix("# branch.head ").strip()
            branch = None if head == "(detached)" else head
        elif line.startswith("? "):
            dirty = dirty or line.endswith(UNTRACKED_CODE)
        elif line and not line.startswith("#"):
            dirty = True
    return commit, branch, dirty
