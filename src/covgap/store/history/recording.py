"""Recording snapshots in the history and reading them back: the ``History`` class (its test
runs are ``outcomes``' ``TestRunRecords``)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

from covgap.errors import DataError, OutputError
from covgap.model import Numbers
from covgap.store.history.outcomes import TestRunInput, TestRunRecords, insert_test_run
from covgap.store.history.snapshot import (
    _OUTCOMES,
    HASH_BYTES,
    FileRecord,
    HealthCounts,
    Snapshot,
    SnapshotInput,
    SnapshotSummary,
    format_ranges,
    parse_ranges,
    read_record,
)

__all__ = [
    "History",
]


class History(TestRunRecords):
    """A coverage history database; use it as a context manager (or call ``close``)."""

    def record(self, snapshot: SnapshotInput, tests: TestRunInput | None = None) -> int:
        """Store one snapshot, in one transaction; its id. ``tests``: the same run's per-test
        outcomes, stored in that transaction as a test run of the snapshot."""
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
                if tests is not None:
                    if tests.recorded_at is None:  # the same moment as its snapshot
                        tests = dataclasses.replace(tests, recorded_at=when)
                    insert_test_run(connection, tests, snapshot_id=int(snapshot_id))
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

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


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
