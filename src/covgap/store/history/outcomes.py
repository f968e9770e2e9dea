"""Test runs in the history: every recorded run's per-test outcomes and durations.

A test run is recorded with the snapshot of the same ``covgap run`` (or ``covgap plan --junit
FILE --record``) in the snapshot's transaction, or alone (``record_test_run``), or several
together (``record_test_runs``: one ``covgap flaky``), always in one short transaction. Node ids
are stored once each (``test_node``), so a run costs a few bytes per test beyond its message.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

from covgap import __version__
from covgap.errors import DataError, OutputError
from covgap.model import TEST_RUN_SOURCES, Outcome, TestOutcome, TestRun, TestRunSource
from covgap.store.history.database import HistoryDatabase
from covgap.store.history.git import git_state

__all__ = [
    "TestRunInput",
    "TestRunRecords",
]


@dataclass(frozen=True)
class TestRunInput:
    """What ``History.record_test_run`` stores: one run's outcomes and where it ran."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    source: TestRunSource
    outcomes: tuple[TestOutcome, ...]
    #: The seed the tests were ordered with, when one was set.
    seed: int | None = None
    #: pytest-xdist workers (1: serial); None when not known.
    workers: int | None = 1
    #: The run's wall time; None when not known.
    seconds: float | None = None
    #: Only part of the suite ran (a selection).
    partial: bool = False
    commit: str | None = None
    branch: str | None = None
    dirty: bool = False
    #: When it ran (a naive time is taken as local); None: now.
    recorded_at: datetime | None = None
    covgap_version: str = __version__

    @classmethod
    def measured(
        cls,
        project_dir: Path,
        source: TestRunSource,
        outcomes: Iterable[TestOutcome],
        *,
        seed: int | None = None,
        workers: int | None = 1,
        seconds: float | None = None,
        partial: bool = False,
    ) -> TestRunInput:
        """The input for a run of the project's suite now, with its git state (``git_state``).
        Take it before the tests run when they run long: the state is the code they ran."""
        commit, branch, dirty = git_state(project_dir)
        return cls(
            source,
            tuple(outcomes),
            seed=seed,
            workers=workers,
            seconds=seconds,
            partial=partial,
            commit=commit,
            branch=branch,
            dirty=dirty,
        )

    @property
    def has_git_state(self) -> bool:
        return self.commit is not None or self.branch is not None or self.dirty


def _check(run: TestRunInput) -> None:
    """A run that would read back as something else is a mistake of the caller's."""
    if run.source not in TEST_RUN_SOURCES:
        raise ValueError(f"unknown test run source {run.source!r} (known: {TEST_RUN_SOURCES})")
    if run.workers is not None and run.workers < 1:
        raise ValueError(f"workers must be at least 1, not {run.workers}")


_WORST = {"error": 4, "failed": 3, "xpassed": 2, "passed": 1, "xfailed": 1, "skipped": 0}


def _unique(outcomes: Iterable[TestOutcome]) -> list[TestOutcome]:
    """One outcome per node id: of two (a report that names a test twice), the worse one, its
    durations added up."""
    found: dict[str, TestOutcome] = {}
    for outcome in outcomes:
        before = found.get(outcome.nodeid)
        if before is None:
            found[outcome.nodeid] = outcome
            continue
        worse = outcome if _WORST[outcome.outcome] > _WORST[before.outcome] else before
        found[outcome.nodeid] = TestOutcome(
            worse.nodeid,
            worse.outcome,
            before.duration + outcome.duration,
            worse.message,
            worse.phase,
            worse.also,
        )
    return list(found.values())


def _first_line(message: str) -> str:
    lines = message.strip().splitlines()
    return lines[0] if lines else ""


def _utc(when: datetime | None) -> str:
    moment = when or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def insert_test_run(
    connection: sqlite3.Connection,
    run: TestRunInput,
    *,
    snapshot_id: int | None = None,
    batch: int | None = None,
) -> int:
    """Insert one run and its outcomes inside the caller's write transaction; its id."""
    _check(run)
    outcomes = _unique(run.outcomes)
    cursor = connection.execute(
        "INSERT INTO test_run (commit_sha, branch, dirty, recorded_at, covgap_version, source,"
        " seed, workers, seconds, partial, batch, snapshot_id, test_count)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            run.commit,
            run.branch,
            int(run.dirty),
            _utc(run.recorded_at),
            run.covgap_version,
            run.source,
            run.seed,
            run.workers,
            run.seconds,
            int(run.partial),
            batch,
            snapshot_id,
            len(outcomes),
        ),
    )
    run_id = cursor.lastrowid
    assert run_id is not None
    connection.executemany(
        "INSERT OR IGNORE INTO test_node (nodeid) VALUES (?)",
        [(outcome.nodeid,) for outcome in outcomes],
    )
    connection.executemany(
        "INSERT INTO test_result (run_id, test_id, outcome, also, phase, duration, message)"
        " SELECT ?, id, ?, ?, ?, ?, ? FROM test_node WHERE nodeid = ?",
        [
            (
                run_id,
                outcome.outcome,
                outcome.also,
                outcome.phase,
                max(float(outcome.duration), 0.0),
                _first_line(outcome.message),
                outcome.nodeid,
            )
            for outcome in outcomes
        ],
    )
    return int(run_id)


_RUN_COLUMNS = (
    "id, commit_sha, branch, dirty, recorded_at, covgap_version, source, seed, workers, seconds,"
    " partial, batch, snapshot_id, test_count"
)


class TestRunRecords(HistoryDatabase):
    """The history's test runs: recording them, and reading them back."""

    __test__ = False

    def record_test_run(self, run: TestRunInput) -> int:
        """Store one run and its outcomes, in one transaction; its id."""
        return self.record_test_runs([run])[0]

    def record_test_runs(self, runs: Sequence[TestRunInput]) -> list[int]:
        """Store runs of the same code (one ``covgap flaky``), all in one transaction; their
        ids. Two or more are one batch: they are compared with each other even on a work tree
        that differs from its commit."""
        for run in runs:
            _check(run)
        ids: list[int] = []
        try:
            with self._write() as connection:
                for run in runs:
                    batch = ids[0] if ids else None
                    ids.append(insert_test_run(connection, run, batch=batch))
                if len(ids) > 1:
                    connection.execute("UPDATE test_run SET batch = ? WHERE id = ?", (ids[0],) * 2)
        except sqlite3.Error as exc:
            raise OutputError(
                f"test runs not recorded ({exc}); the history is unchanged",
                path=str(self.path),
                slug="history-unwritable",
            ) from exc
        return ids

    def _has_test_runs(self) -> bool:
        return not self._empty and self._schema >= 2

    def test_runs(
        self,
        limit: int | None = None,
        commit: str | None = None,
        *,
        whole: bool = False,
        outcomes: bool = True,
    ) -> list[TestRun]:
        """The recorded test runs, oldest first; ``limit``: only the newest so many.

        ``commit``: only the runs on that commit (clean or not: ``TestRun.dirty`` tells);
        ``whole``: only the runs of the whole suite (not ``partial``); ``outcomes`` False: the
        runs without their outcomes (``test_count`` still says how many they have).
        """
        if not self._has_test_runs():
            return []
        clauses, params = [], list[object]()
        if commit is not None:
            clauses.append("commit_sha = ?")
            params.append(commit)
        if whole:
            clauses.append("partial = 0")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        query = f"SELECT {_RUN_COLUMNS} FROM test_run {where} ORDER BY id DESC"
        if limit is not None:
            query += " LIMIT ?"
            params.append(max(limit, 0))
        with self._read() as connection:
            rows = connection.execute(query, params).fetchall()
            runs = [_run(row) for row in reversed(rows)]
            if outcomes:
                runs = self._with_outcomes(connection, runs)
        return runs

    def load_test_runs(self, run_ids: Iterable[int]) -> list[TestRun]:
        """The runs of these ids with their outcomes, oldest first; ``DataError`` when one is
        not in the history."""
        wanted = sorted(set(run_ids))
        if not wanted:
            return []
        if not self._has_test_runs():
            raise self._no_run(wanted[0])
        with self._read() as connection:
            rows = []
            for start in range(0, len(wanted), 500):  # SQLite's limit on parameters
                chunk = wanted[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                rows += connection.execute(
                    f"SELECT {_RUN_COLUMNS} FROM test_run WHERE id IN ({marks})", chunk
                ).fetchall()
            found = {int(row[0]) for row in rows}
            missing = [run_id for run_id in wanted if run_id not in found]
            if missing:
                raise self._no_run(missing[0])
            runs = sorted((_run(row) for row in rows), key=lambda run: run.id)
            return self._with_outcomes(connection, runs)

    def load_test_run(self, run_id: int) -> TestRun:
        """One run with its outcomes; ``DataError`` when there is none of that id."""
        return self.load_test_runs([run_id])[0]

    def _no_run(self, run_id: int) -> DataError:
        return DataError(
            f"no test run {run_id} in the history",
            path=str(self.path),
            slug="history-no-test-run",
        )

    def _with_outcomes(self, connection: sqlite3.Connection, runs: list[TestRun]) -> list[TestRun]:
        loaded = []
        for run in runs:  # each a scan of the primary key's prefix (run_id, test_id)
            found = tuple(
                TestOutcome(
                    nodeid,
                    cast(Outcome, outcome),
                    float(duration),
                    message,
                    phase,
                    cast("Outcome | None", also),
                )
                for nodeid, outcome, duration, message, phase, also in connection.execute(
                    "SELECT n.nodeid, r.outcome, r.duration, r.message, r.phase, r.also"
                    " FROM test_result r JOIN test_node n ON n.id = r.test_id"
                    " WHERE r.run_id = ? ORDER BY n.nodeid",
                    (run.id,),
                )
            )
            if len(found) != run.test_count:  # cannot happen: a run is one transaction
                raise DataError(
                    f"test run {run.id} is incomplete ({len(found)} of {run.test_count} tests)",
                    path=str(self.path),
                    slug="history-unusable",
                )
            loaded.append(replace(run, outcomes=found))
        return loaded


def _run(row: Sequence[Any]) -> TestRun:
    (
        run_id,
        commit,
        branch,
        dirty,
        recorded_at,
        version,
        source,
        seed,
        workers,
        seconds,
        partial,
        batch,
        snapshot_id,
        test_count,
    ) = row
    return TestRun(
        id=int(run_id),
        commit=commit,
        branch=branch,
        dirty=bool(dirty),
        recorded_at=str(recorded_at),
        covgap_version=str(version),
        source=cast(TestRunSource, source),
        seed=None if seed is None else int(seed),
        workers=None if workers is None else int(workers),
        seconds=None if seconds is None else float(seconds),
        partial=bool(partial),
        batch=None if batch is None else int(batch),
        snapshot_id=None if snapshot_id is None else int(snapshot_id),
        test_count=int(test_count),
    )
