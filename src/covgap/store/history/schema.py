"""The history database's schema: its version, its mark, and the migrations that build it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

__all__ = [
    "HISTORY_SCHEMA",
    "MIGRATIONS",
]


#: The schema of the history database (``PRAGMA user_version``).
#: 1: tables snapshot, file, source and health.
HISTORY_SCHEMA = 1
#: Marks the SQLite file as a covgap history ("CGH1"): ``PRAGMA application_id``.
_APPLICATION_ID = 0x43474831
_TABLES = frozenset({"snapshot", "file", "source", "health"})


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
