"""covgap's cache of per-file static analysis, keyed by content hash, in ``.covgap/cache.sqlite3``.

The cache is an optimisation only: a missing, locked, corrupt or foreign cache file never stops a
run. A file that is not covgap's is left untouched; covgap then works without a cache.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from covgap.collect.static import StaticAnalysis

__all__ = ["AnalysisCache", "ensure_covgap_dir"]

#: The schema of the cache database. A cache of another version is emptied and rebuilt.
#: 1: table static(key, payload) with zlib-compressed JSON payloads.
CACHE_SCHEMA = 1
_APPLICATION_ID = 0x43475031  # "CGP1": marks the SQLite file as covgap's


def ensure_covgap_dir(folder: Path) -> None:
    """Create covgap's own folder, with a .gitignore so that it is never committed by accident."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        with contextlib.suppress(OSError):
            ignore.write_text("# Created by covgap: this folder is covgap's own.\n*\n")


class AnalysisCache:
    """Static analyses by cache key; every failure degrades to "not cached" with a reason."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: str | None = None
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection | None:
        if self._connection is not None or self.problem is not None:
            return self._connection
        try:
            ensure_covgap_dir(self.path.parent)
            connection = sqlite3.connect(self.path, timeout=5.0)
            (app_id,) = connection.execute("PRAGMA application_id").fetchone()
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
            if tables and app_id != _APPLICATION_ID:
                connection.close()
                self.problem = (
                    f"{self.path}: not a covgap cache; left untouched, running without it"
                )
                return None
            (version,) = connection.execute("PRAGMA user_version").fetchone()
            if version != CACHE_SCHEMA:
                with connection:
                    connection.execute("DROP TABLE IF EXISTS static")
                    connection.execute(
                        "CREATE TABLE static (key TEXT PRIMARY KEY, payload BLOB NOT NULL)"
                    )
                    connection.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
                    connection.execute(f"PRAGMA user_version = {CACHE_SCHEMA}")
        except (sqlite3.Error, OSError) as exc:
            self.problem = f"{self.path}: cache unusable ({exc}); running without it"
            return None
        self._connection = connection
        return connection

    def get_many(self, keys: Iterable[str]) -> dict[str, StaticAnalysis]:
        """The cached analyses among ``keys``; unreadable entries count as misses."""
        connection = self._connect()
        wanted = list(dict.fromkeys(keys))
        found: dict[str, StaticAnalysis] = {}
        if connection is None or not wanted:
            return found
        try:
            for chunk in _chunks(wanted, 500):
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(
                    f"SELECT key, payload FROM static WHERE key IN ({marks})", chunk
                )
                for key, payload in rows:
                    with contextlib.suppress(ValueError, KeyError, TypeError, zlib.error):
                        found[key] = StaticAnalysis.from_json(json.loads(zlib.decompress(payload)))
        except sqlite3.Error as exc:
            self.problem = f"{self.path}: cache unreadable ({exc}); running without it"
            return {}
        return found

    def put_many(self, entries: dict[str, StaticAnalysis]) -> None:
        """Store new analyses in one transaction; a locked or read-only cache is skipped."""
        connection = self._connect()
        if connection is None or not entries:
            return
        rows = [
            (key, zlib.compress(json.dumps(static.to_json(), separators=(",", ":")).encode(), 1))
            for key, static in entries.items()
        ]
        try:
            with connection:
                connection.executemany(
                    "INSERT OR REPLACE INTO static (key, payload) VALUES (?, ?)", rows
                )
        except sqlite3.Error as exc:
            self.problem = f"{self.path}: cache not updated ({exc})"

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
