"""covgap's cache of per-file analysis, keyed by content hash, in ``.covgap/cache.sqlite3``.

Four tables: ``static`` holds coverage.py's parse of a source file (keyed by the file's bytes and
the options that change parsing); ``result`` holds a file's finished FileCoverage (keyed by that
and by a hash of the data measured in it); ``facts`` holds a file's code facts and complexity
(keyed by its bytes, see ``evidence.py``); ``assessment`` a file's finished risk assessments
(keyed by everything they depend on, see ``assessments.py``). The cache is an optimisation
only: a missing, locked, corrupt or foreign cache file never stops a run, and a file that is
not covgap's is left untouched. Payloads are zlib-compressed JSON, never pickles: a cache
committed to a repository by mistake, or by someone else, cannot run code.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from covgap.model import FileCoverage, Numbers, Region

__all__ = ["AnalysisCache", "CachedResult", "ensure_covgap_dir"]

#: The schema of the cache database. A cache of another version is emptied and rebuilt.
#: 1: table static(key, payload).
#: 2: table result(key, payload) added.
#: 3: table facts(key, payload) added: code facts and complexity for risk and advice.
#: 4: table assessment(key, payload) added: a file's finished risk assessments.
CACHE_SCHEMA = 4
_APPLICATION_ID = 0x43475031  # "CGP1": marks the SQLite file as covgap's
_TABLES = ("static", "result", "facts", "assessment")
T = TypeVar("T")


def ensure_covgap_dir(folder: Path) -> None:
    """Create covgap's own folder, with a .gitignore so that it is never committed by accident."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        with contextlib.suppress(OSError):
            ignore.write_text("# Created by covgap: this folder is covgap's own.\n*\n")


@dataclass(frozen=True)
class CachedResult:
    """A file's finished coverage, and whether its source needed replacement characters."""

    file: FileCoverage
    decode_replaced: bool

    def to_json(self) -> dict[str, Any]:
        file = self.file
        return {
            "path": file.path,
            "numbers": _numbers_json(file.numbers),
            "statement_lines": file.statement_lines,
            "missing_lines": file.missing_lines,
            "missing_arcs": file.missing_arcs,
            "regions": [
                [
                    r.name,
                    r.start_line,
                    r.end_line,
                    _numbers_json(r.numbers),
                    r.statement_lines,
                    r.missing_lines,
                    r.missing_arcs,
                ]
                for r in file.regions
            ],
            "decode_replaced": self.decode_replaced,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> CachedResult:
        regions = tuple(
            Region(
                name=name,
                start_line=start,
                end_line=end,
                numbers=Numbers(*numbers),
                statement_lines=tuple(statements),
                missing_lines=tuple(missing),
                missing_arcs=tuple((a, b) for a, b in arcs),
            )
            for name, start, end, numbers, statements, missing, arcs in obj["regions"]
        )
        file = FileCoverage(
            path=obj["path"],
            numbers=Numbers(*obj["numbers"]),
            statement_lines=tuple(obj["statement_lines"]),
            missing_lines=tuple(obj["missing_lines"]),
            missing_arcs=tuple((a, b) for a, b in obj["missing_arcs"]),
            regions=regions,
        )
        return cls(file, bool(obj["decode_replaced"]))


def _numbers_json(numbers: Numbers) -> list[int]:
    return [
        numbers.statements,
        numbers.missing_statements,
        numbers.branches,
        numbers.missing_branches,
    ]


class AnalysisCache:
    """Cached analyses by key; every failure degrades to "not cached" with a reason."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: str | None = None
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection | None:
        if self._connection is not None or self.problem is not None:
            return self._connection
        connection: sqlite3.Connection | None = None
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
                _create_schema(connection)
        except (sqlite3.Error, OSError) as exc:
            if connection is not None:
                connection.close()
            self.problem = f"{self.path}: cache unusable ({exc}); running without it"
            return None
        self._connection = connection
        return connection

    def _get(self, table: str, keys: Iterable[str]) -> dict[str, Any]:
        connection = self._connect()
        wanted = list(dict.fromkeys(keys))
        found: dict[str, Any] = {}
        if connection is None or not wanted:
            return found
        try:
            for chunk in _chunks(wanted, 500):
                marks = ",".join("?" * len(chunk))
                query = f"SELECT key, payload FROM {table} WHERE key IN ({marks})"
                for key, payload in connection.execute(query, chunk):
                    # RecursionError: JSON nested too deeply, from a cache not written by us.
                    with contextlib.suppress(ValueError, zlib.error, RecursionError):
                        found[key] = json.loads(zlib.decompress(payload))
        except sqlite3.Error as exc:
            self.problem = f"{self.path}: cache unreadable ({exc}); running without it"
            return {}
        return found

    def _put(self, table: str, entries: dict[str, dict[str, Any]]) -> None:
        connection = self._connect()
        if connection is None or not entries:
            return
        rows = [
            (key, zlib.compress(json.dumps(obj, separators=(",", ":")).encode(), 1))
            for key, obj in entries.items()
        ]
        try:
            with connection:
                connection.executemany(
                    f"INSERT OR REPLACE INTO {table} (key, payload) VALUES (?, ?)", rows
                )
        except sqlite3.Error as exc:
            self.problem = f"{self.path}: cache not updated ({exc})"

    def get_statics(
        self, keys: Iterable[str], decode: Callable[[dict[str, Any]], T]
    ) -> dict[str, T]:
        """The cached static analyses among ``keys``, each read by ``decode``
        (``StaticAnalysis.from_json``); unreadable entries count as misses."""
        return _decoded(self._get("static", keys), decode)

    def get_results(self, keys: Iterable[str]) -> dict[str, CachedResult]:
        """The cached finished results among ``keys``; unreadable entries count as misses."""
        return _decoded(self._get("result", keys), CachedResult.from_json)

    def get_facts(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The cached facts payloads among ``keys`` (checked by their reader)."""
        return self._get("facts", keys)

    def put_facts(self, entries: dict[str, dict[str, Any]]) -> None:
        self._put("facts", entries)

    def get_assessments(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The cached assessment payloads among ``keys`` (checked by their reader)."""
        return self._get("assessment", keys)

    def put_assessments(self, entries: dict[str, dict[str, Any]]) -> None:
        self._put("assessment", entries)

    def put_statics(self, entries: dict[str, dict[str, Any]]) -> None:
        """Static analyses as JSON (``StaticAnalysis.to_json()``), by key."""
        self._put("static", entries)

    def put_results(self, entries: dict[str, CachedResult]) -> None:
        self._put("result", {key: result.to_json() for key, result in entries.items()})

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> AnalysisCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _create_schema(connection: sqlite3.Connection) -> None:
    """Empty tables of this schema, marked as covgap's, in one transaction.

    Python's sqlite3 opens no transaction before CREATE or DROP by itself: without the explicit
    one, a full disk between two statements left a file with some tables and no mark, which the
    next run took for another program's database.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        for table in _TABLES:
            connection.execute(f"DROP TABLE IF EXISTS {table}")
            connection.execute(
                f"CREATE TABLE {table} (key TEXT PRIMARY KEY, payload BLOB NOT NULL)"
            )
        connection.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {CACHE_SCHEMA}")
        connection.commit()
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            connection.rollback()
        raise


def _decoded(raw: dict[str, Any], decode: Callable[[dict[str, Any]], T]) -> dict[str, T]:
    decoded: dict[str, T] = {}
    for key, obj in raw.items():
        with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
            decoded[key] = decode(obj)
    return decoded


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
