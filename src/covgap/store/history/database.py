"""The history's SQLite database: opening and checking it, migrating it, locking, transactions.

Safety
    Every write is one short ``BEGIN IMMEDIATE`` transaction in WAL mode with a busy timeout, so
    many processes can record at once and a killed process leaves no half-written snapshot. A
    file that is not a covgap history (not SQLite, or someone else's SQLite database), or one
    written by a newer covgap, is refused with a ``DataError`` before anything is written to it.
    The schema version is ``PRAGMA user_version``; older histories are brought up to date by
    ``MIGRATIONS``, in order, in one transaction.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from covgap.errors import DataError, OutputError

# HISTORY_SCHEMA and MIGRATIONS are read from the package when used, not bound here: the
# package's names are the ones to change (tests patch ``covgap.store.history.MIGRATIONS``).
from covgap.store import history as _history
from covgap.store.history.schema import _APPLICATION_ID, _TABLES, _TABLES_OF

__all__ = [
    "BUSY_SECONDS",
    "HistoryDatabase",
]


#: How long a writer waits for another one to finish before giving up.
BUSY_SECONDS = 60.0


class HistoryDatabase:
    """A history's SQLite connection: what ``History`` reads and records through."""

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
        #: The schema the open file has: older than ``HISTORY_SCHEMA`` only when read-only.
        self._schema = _history.HISTORY_SCHEMA
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
            if version < _history.HISTORY_SCHEMA:
                with self._write():
                    self._migrate(connection, self._check(connection))
            elif _TABLES - self._tables(connection):
                raise self._not_ours("marked as one, but its tables are missing")
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _open_read_only(self, version: int) -> None:
        """Checks of a history that cannot be written: nothing can be migrated or created. An
        older schema whose tables are known is read as it is (schema 1: its snapshots, and no
        test runs)."""
        if version == 0:  # an empty file or database: a history with no snapshot yet
            self._empty = True
        elif version < _history.HISTORY_SCHEMA and version in _TABLES_OF:
            if _TABLES_OF[version] - self._tables(self._connection):
                raise self._not_ours("marked as one, but its tables are missing")
            self._schema = version
        elif version < _history.HISTORY_SCHEMA:
            raise DataError(
                f"written by an older covgap (schema {version}) and read-only: it cannot be "
                f"brought up to schema {_history.HISTORY_SCHEMA}",
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
        if version > _history.HISTORY_SCHEMA:
            raise DataError(
                f"written by a newer covgap (schema {version}); "
                f"this covgap reads up to {_history.HISTORY_SCHEMA}",
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
        if version == _history.HISTORY_SCHEMA:  # another process did it while this one waited
            return
        for step in _history.MIGRATIONS[version : _history.HISTORY_SCHEMA]:
            step(connection)
        connection.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {_history.HISTORY_SCHEMA}")

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

    def close(self) -> None:
        self._connection.close()


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
