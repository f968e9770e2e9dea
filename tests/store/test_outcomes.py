"""Test runs in the history database: round trips, batches, the snapshot's own run, and the
migration of a schema-1 history (made by the schema-1 code path) to schema 2."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import read_only

from covgap.errors import DataError
from covgap.model import FileCoverage, Numbers, ProjectCoverage, TestOutcome
from covgap.store import history as history_module
from covgap.store.history import HISTORY_SCHEMA, History, SnapshotInput, TestRunInput
from covgap.store.history.schema import _create_schema_1

OUTCOMES = (
    TestOutcome("tests/test_a.py::test_ok", "passed", 0.25),
    TestOutcome(
        "tests/test_a.py::test_bad",
        "failed",
        1.5,
        "AssertionError: assert 1 == 2\nmore lines",
        "call",
    ),
    TestOutcome("tests/test_a.py::test_skip", "skipped", 0.0, "no network", "setup"),
    TestOutcome("tests/test_b.py::test_teardown", "passed", 0.5, "boom", "teardown", "error"),
)


def project() -> ProjectCoverage:
    file = FileCoverage("pkg/a.py", Numbers(2, 1), (1, 2), (2,), ())
    return ProjectCoverage((file,), False, "coverage-data", ".coverage")


def run_input(**fields: object) -> TestRunInput:
    values: dict[str, object] = {"source": "covgap run", "outcomes": OUTCOMES}
    values.update(fields)
    return TestRunInput(**values)  # type: ignore[arg-type]


def test_a_test_run_round_trips(tmp_path: Path) -> None:
    when = datetime(2026, 3, 1, 12, 30, 5, tzinfo=timezone.utc)
    with History(tmp_path / "history.db") as history:
        run_id = history.record_test_run(
            run_input(
                seed=1234,
                workers=4,
                seconds=12.5,
                partial=True,
                commit="a" * 40,
                branch="main",
                dirty=True,
                recorded_at=when,
            )
        )
        (run,) = history.test_runs()
        assert history.load_test_run(run_id) == run
    assert run.id == run_id
    assert (run.commit, run.branch, run.dirty) == ("a" * 40, "main", True)
    assert run.recorded_at == "2026-03-01T12:30:05Z"
    assert (run.source, run.seed, run.workers, run.seconds) == ("covgap run", 1234, 4, 12.5)
    assert run.partial and run.batch is None and run.snapshot_id is None
    assert run.test_count == 4
    # sorted by node id; the message is its first line
    assert run.outcomes == (
        TestOutcome(
            "tests/test_a.py::test_bad", "failed", 1.5, "AssertionError: assert 1 == 2", "call"
        ),
        TestOutcome("tests/test_a.py::test_ok", "passed", 0.25),
        TestOutcome("tests/test_a.py::test_skip", "skipped", 0.0, "no network", "setup"),
        TestOutcome("tests/test_b.py::test_teardown", "passed", 0.5, "boom", "teardown", "error"),
    )


def test_unknown_values_are_defaults_or_none(tmp_path: Path) -> None:
    with History(tmp_path / "history.db") as history:
        history.record_test_run(TestRunInput("junit", (), workers=None))
        (run,) = history.test_runs()
    assert (run.source, run.workers, run.seconds, run.seed) == ("junit", None, None, None)
    assert run.outcomes == () and run.test_count == 0 and not run.partial


def test_a_test_named_twice_is_one_outcome(tmp_path: Path) -> None:
    """Of two outcomes of one node id, the worse is kept, with both durations."""
    twice = (
        TestOutcome("t.py::test_x", "passed", 1.0),
        TestOutcome("t.py::test_x", "error", 0.5, "teardown failed", "teardown"),
    )
    with History(tmp_path / "history.db") as history:
        history.record_test_run(run_input(outcomes=twice))
        (run,) = history.test_runs()
    assert run.outcomes == (
        TestOutcome("t.py::test_x", "error", 1.5, "teardown failed", "teardown"),
    )


def test_a_snapshot_records_its_test_run_in_its_transaction(tmp_path: Path) -> None:
    with History(tmp_path / "history.db") as history:
        snapshot_id = history.record(SnapshotInput(project(), commit="c" * 40), run_input())
        (run,) = history.test_runs()
    assert run.snapshot_id == snapshot_id and run.test_count == 4


def test_a_bad_test_run_records_nothing(tmp_path: Path) -> None:
    """A test run the caller got wrong fails its snapshot's transaction: nothing is kept."""
    with History(tmp_path / "history.db") as history:
        with pytest.raises(ValueError, match="unknown test run source"):
            history.record(SnapshotInput(project()), run_input(source="nose"))
        with pytest.raises(ValueError, match="workers must be at least 1"):
            history.record_test_runs([run_input(), run_input(workers=0)])
        assert history.snapshots() == [] and history.test_runs() == []


def test_runs_recorded_together_are_one_batch(tmp_path: Path) -> None:
    with History(tmp_path / "history.db") as history:
        alone = history.record_test_run(run_input())
        ids = history.record_test_runs(
            [run_input(source="covgap flaky", seed=n) for n in (1, 2, 3)]
        )
        runs = history.test_runs()
    assert ids == [alone + 1, alone + 2, alone + 3]
    assert [run.batch for run in runs] == [None, ids[0], ids[0], ids[0]]
    assert [run.seed for run in runs] == [None, 1, 2, 3]


def test_reading_the_last_runs_by_commit_and_whole(tmp_path: Path) -> None:
    with History(tmp_path / "history.db") as history:
        for number, (commit, partial) in enumerate(
            [("a", False), ("b", True), ("a", True), ("b", False), ("a", False)]
        ):
            history.record_test_run(run_input(commit=commit * 40, partial=partial, seed=number))
        assert [run.seed for run in history.test_runs()] == [0, 1, 2, 3, 4]
        assert [run.seed for run in history.test_runs(limit=2)] == [3, 4]
        assert [run.seed for run in history.test_runs(commit="a" * 40)] == [0, 2, 4]
        assert [run.seed for run in history.test_runs(commit="b" * 40, limit=1)] == [3]
        assert [run.seed for run in history.test_runs(whole=True, limit=2)] == [3, 4]
        bare = history.test_runs(outcomes=False)
        assert all(run.outcomes == () and run.test_count == 4 for run in bare)
        assert [run.seed for run in history.load_test_runs([5, 1])] == [0, 4]
        with pytest.raises(DataError, match="no test run 9 in the history"):
            history.load_test_runs([1, 9])


def test_a_schema_1_history_is_migrated_to_schema_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Made by the schema-1 code path, with a snapshot; opened by this covgap: the snapshot is
    there, and the test-run tables exist and take runs."""
    path = tmp_path / "history.db"
    monkeypatch.setattr(history_module, "MIGRATIONS", [_create_schema_1])
    monkeypatch.setattr(history_module, "HISTORY_SCHEMA", 1)
    with History(path) as history:
        kept = history.record(SnapshotInput(project(), commit="d" * 40))
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone() == (1,)
    raw.close()
    monkeypatch.undo()

    with History(path) as history:
        assert history.load(kept).commit == "d" * 40
        assert history.test_runs() == []
        run_id = history.record_test_run(run_input())
        assert history.load_test_run(run_id).test_count == 4
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone() == (HISTORY_SCHEMA,) == (2,)
    tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"test_run", "test_node", "test_result", "snapshot", "file"} <= tables
    assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    raw.close()


def test_a_read_only_schema_1_history_is_read_without_test_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CI cache restored read-only, written by the covgap before: its snapshots are read as
    they are, and it has no test runs (nothing is migrated)."""
    folder = tmp_path / "cache"
    path = folder / "history.db"
    monkeypatch.setattr(history_module, "MIGRATIONS", [_create_schema_1])
    monkeypatch.setattr(history_module, "HISTORY_SCHEMA", 1)
    with History(path) as history:
        kept = history.record(SnapshotInput(project(), commit="e" * 40))
    monkeypatch.undo()
    with read_only(folder), History(path, writing=False) as history:
        assert [summary.id for summary in history.snapshots()] == [kept]
        assert history.test_runs() == []
        with pytest.raises(DataError, match="no test run 1"):
            history.load_test_run(1)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone() == (1,)
    raw.close()
