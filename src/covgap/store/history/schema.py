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
#: 2: tables test_run, test_node and test_result: every recorded run's per-test outcomes.
HISTORY_SCHEMA = 2
#: Marks the SQLite file as a covgap history ("CGH1"): ``PRAGMA application_id``.
_APPLICATION_ID = 0x43474831
#: The tables of each schema: a read-only history of an older schema is read with these.
_TABLES_OF = {
    1: frozenset({"snapshot", "file", "source", "health"}),
    2: frozenset({"snapshot", "file", "source", "health", "test_run", "test_node", "test_result"}),
}
_TABLES = _TABLES_OF[2]


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


def _add_test_runs(connection: sqlite3.Connection) -> None:
    """Schema 1 → 2: test runs and their per-test outcomes; the snapshots are kept as they are."""
    connection.execute(
        """CREATE TABLE test_run (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            commit_sha TEXT,
            branch TEXT,
            dirty INTEGER NOT NULL,
            recorded_at TEXT NOT NULL,
            covgap_version TEXT NOT NULL,
            source TEXT NOT NULL,
            seed INTEGER,
            workers INTEGER,
            seconds REAL,
            partial INTEGER NOT NULL,
            batch INTEGER,
            snapshot_id INTEGER REFERENCES snapshot (id),
            test_count INTEGER NOT NULL
        )"""
    )
    connection.execute("CREATE INDEX test_run_by_commit ON test_run (commit_sha, id)")
    connection.execute(
        """CREATE TABLE test_node (
            id INTEGER PRIMARY KEY,
            nodeid TEXT NOT NULL UNIQUE
        )"""
    )
    connection.execute(
        """CREATE TABLE test_result (
            run_id INTEGER NOT NULL REFERENCES test_run (id),
            test_id INTEGER NOT NULL REFERENCES test_node (id),
            outcome TEXT NOT NULL,
            also TEXT,
            phase TEXT NOT NULL,
            duration REAL NOT NULL,
            message TEXT NOT NULL,
            PRIMARY KEY (run_id, test_id)
        ) WITHOUT ROWID"""
    )
    connection.execute("CREATE INDEX test_result_by_test ON test_result (test_id, run_id)")


#: ``MIGRATIONS[n]`` takes a history of schema n to schema n + 1; opening a history applies the
#: ones it lacks, in order, in one transaction. ``len(MIGRATIONS) == HISTORY_SCHEMA``.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_schema_1, _add_test_runs]
