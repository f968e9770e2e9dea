"""Tests for the coverage history database: round trips, git state, and the safety guarantees
(concurrent writers, foreign and corrupt files, newer schemas, migrations, killed writers)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import read_only
from hypothesis import given
from hypothesis import strategies as st

from covgap.errors import DataError, OutputError
from covgap.model import FileCoverage, Numbers, ProjectCoverage, SuiteHealth, TestOutcome
from covgap.store import history as history_module
from covgap.store.history import (
    HASH_BYTES,
    HISTORY_SCHEMA,
    HealthCounts,
    History,
    SnapshotInput,
    file_record,
    format_ranges,
    git_state,
    line_hashes,
    parse_ranges,
)
from covgap.store.history.schema import _APPLICATION_ID

CHILD_SETUP = """
import sys, time
from pathlib import Path
from covgap.store.history import History, SnapshotInput
from covgap.model import FileCoverage, Numbers, ProjectCoverage

def project(files):
    return ProjectCoverage(
        tuple(
            FileCoverage(f"pkg/m{i}.py", Numbers(3, 1, 2, 1), (1, 2, 3), (3,), ((1, 3),))
            for i in range(files)
        ),
        True,
        "coverage-data",
        ".coverage",
    )
"""

#: Waits for the go file, then records one small snapshot: for the concurrency test.
CHILD_ONE = (
    CHILD_SETUP
    + """
db, go, number = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
snapshot = SnapshotInput(project(5), commit=f"{number:040x}", branch="main")
print("ready", flush=True)
while not go.exists():
    time.sleep(0.002)
with History(db) as history:
    history.record(snapshot)
print("done", flush=True)
"""
)

#: Records big snapshots for ever, printing each id; with "stall", stops inside the transaction
#: of the last one (after its snapshot and file rows are written, before the commit).
CHILD_LOOP = (
    CHILD_SETUP
    + """
db, stall_after = Path(sys.argv[1]), int(sys.argv[2])
snapshot = SnapshotInput(project(300), branch="main")
with History(db) as history:
    count = 0
    def trace(statement):
        if count == stall_after and statement.startswith("INSERT INTO health"):
            print("inside", flush=True)
            time.sleep(600)
    history._connection.set_trace_callback(trace)
    from covgap.store.history import HealthCounts
    snapshot = SnapshotInput(snapshot.project, health=HealthCounts(passed=1), branch="main")
    while True:
        print(history.record(snapshot), flush=True)
        count += 1
"""
)


def coverage_of(
    path: str,
    statements: Iterable[int],
    missing: Iterable[int] = (),
    arcs: Iterable[tuple[int, int]] = (),
    branches: int = 0,
) -> FileCoverage:
    statements, missing, arcs = tuple(statements), tuple(missing), tuple(arcs)
    numbers = Numbers(len(statements), len(missing), branches, len(arcs))
    return FileCoverage(path, numbers, statements, missing, arcs)


def project_of(*files: FileCoverage) -> ProjectCoverage:
    return ProjectCoverage(files, True, "coverage-data", ".coverage")


def state(path: Path) -> tuple[bytes, int]:
    """A file's bytes and modification time: what must not change."""
    return path.read_bytes(), path.stat().st_mtime_ns


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "a.py").write_text("def f(x):\n    if x:\n        return 1\n    return 2\n")
    (project / "pkg" / "b.py").write_text("X = 1\n")
    return project


def sample(project_dir: Path | None = None, **fields: object) -> SnapshotInput:
    files = project_of(
        coverage_of("pkg/a.py", (1, 2, 3, 4), (3,), ((2, 3),), branches=2),
        coverage_of("pkg/b.py", (1,)),
    )
    return SnapshotInput(files, project_dir, **fields)  # type: ignore[arg-type]


# -- round trips ---------------------------------------------------------------------------


def test_record_and_load_round_trip(tmp_path: Path, sources: Path) -> None:
    db = tmp_path / ".covgap" / "history.db"
    when = datetime(2026, 3, 1, 12, 30, 5, tzinfo=timezone.utc)
    health = HealthCounts(passed=3, failed=1, skipped=2, seconds=1.5)
    with History(db) as history:
        first = history.record(
            sample(sources, commit="a" * 40, branch="main", recorded_at=when, health=health)
        )
        snapshot = history.load(first)
    assert db.is_file()
    assert snapshot.id == first
    assert (snapshot.commit, snapshot.branch, snapshot.dirty) == ("a" * 40, "main", False)
    assert snapshot.recorded_at == "2026-03-01T12:30:05Z"
    assert snapshot.totals == Numbers(5, 1, 2, 1)
    assert snapshot.percent == Numbers(5, 1, 2, 1).percent_covered
    assert snapshot.health == health
    a = snapshot.files["pkg/a.py"]
    assert (a.statement_lines, a.missing_lines, a.missing_arcs) == ((1, 2, 3, 4), (3,), ((2, 3),))
    assert a.numbers == Numbers(4, 1, 2, 1)
    source = (sources / "pkg" / "a.py").read_bytes()
    assert a.line_hashes == line_hashes(source)
    hashes = a.statement_hashes()
    assert hashes is not None and len(hashes) == 4
    assert hashes[1] == line_hashes(b"if x:")  # stripped of its indentation
    assert a == file_record(coverage_of("pkg/a.py", (1, 2, 3, 4), (3,), ((2, 3),), 2), source)


def test_listing_latest_and_branches(tmp_path: Path, sources: Path) -> None:
    with History(tmp_path / "h.db") as history:
        assert history.snapshots() == [] and history.latest() is None
        ids = [
            history.record(sample(sources, branch=branch, commit=f"{n:040x}"))
            for n, branch in enumerate(["main", "topic", "main", None])
        ]
        assert [s.id for s in history.snapshots()] == ids
        assert [s.id for s in history.snapshots(limit=2)] == ids[2:]
        assert [s.id for s in history.snapshots(branch="main")] == [ids[0], ids[2]]
        summary = history.snapshots(limit=1, branch="topic")[0]
        assert summary.file_count == 2 and summary.totals == Numbers(5, 1, 2, 1)
        assert summary.health is None
        latest = history.latest()
        assert latest is not None and latest.id == ids[3] and latest.branch is None
        on_main = history.latest("main")
        assert on_main is not None and on_main.id == ids[2]
        assert history.latest("nowhere") is None
        with pytest.raises(DataError, match="no snapshot 99"):
            history.load(99)
    # one source row per distinct content, however many snapshots
    with sqlite3.connect(tmp_path / "h.db") as raw:
        assert raw.execute("SELECT count(*) FROM source").fetchone() == (2,)
    raw.close()


def test_unreadable_sources_are_recorded_without_hashes(tmp_path: Path) -> None:
    with History(tmp_path / "h.db") as history:
        snapshot = history.load(history.record(sample(tmp_path / "nowhere")))
        other = history.load(history.record(sample(None)))
    for loaded in (snapshot, other):
        record = loaded.files["pkg/a.py"]
        assert record.content_hash is None and record.line_hashes is None
        assert record.statement_hashes() is None


def test_health_counts_from_suite_health() -> None:
    tests = (
        TestOutcome("t::a", "passed", 0.5),
        TestOutcome("t::b", "failed", 1.0),
        TestOutcome("t::c", "passed", 0.25, also="error"),
        TestOutcome("t::d", "xfailed", 0.0),
    )
    health = SuiteHealth(tests, (), "junit-xml")
    assert HealthCounts.of(health) == HealthCounts(2, 1, 1, 0, 1, 0, 1.75)
    assert HealthCounts.of(health, seconds=9.0).seconds == 9.0


def test_statement_hashes_refuse_lines_beyond_the_source() -> None:
    record = file_record(coverage_of("m.py", (1, 5)), b"x = 1\n")
    assert record.line_hashes is not None and len(record.line_hashes) == HASH_BYTES
    assert record.statement_hashes() is None


def test_line_hashes_number_lines_as_python_does() -> None:
    hashes = line_hashes(b"a\r\nb\rc\n\x0cd\n")
    assert len(hashes) == 4 * HASH_BYTES  # form feed is not a line break for Python
    assert hashes[:HASH_BYTES] == line_hashes(b"  a  ")


@given(st.sets(st.integers(1, 200)))
def test_ranges_round_trip(lines: set[int]) -> None:
    text = format_ranges(lines)
    assert parse_ranges(text) == tuple(sorted(lines))
    assert len(text.split(",")) <= max(len(lines), 1)


def test_ranges_are_runs() -> None:
    assert format_ranges([9, 1, 2, 3, 7, 10]) == "1-3,7,9-10"
    assert parse_ranges("") == ()


# -- git -------------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, check=True, text=True)
    return done.stdout.strip()


@pytest.mark.usefixtures("plain_git")
def test_git_state(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    assert git_state(repo) == (None, None, False)  # not a repository
    git(repo, "init", "-q", "-b", "main")
    assert git_state(repo) == (None, "main", False)  # no commit yet
    (repo / "a.py").write_text("x = 1\n")
    (repo / "untracked.txt").write_text("")
    git(repo, "add", "a.py")
    assert git_state(repo) == (None, "main", True)
    git(repo, "commit", "-q", "-m", "one")
    sha = git(repo, "rev-parse", "HEAD")
    assert git_state(repo) == (sha, "main", False)  # untracked files do not count…
    (repo / "reports").mkdir()
    (repo / "reports" / "page.py").write_text("")
    assert git_state(repo) == (sha, "main", False)  # …nor untracked folders…
    (repo / "test_new.py").write_text("def test_new():\n    pass\n")
    assert git_state(repo) == (sha, "main", True)  # …but an untracked Python file does
    (repo / "test_new.py").unlink()
    (repo / "a.py").write_text("x = 2\n")
    assert git_state(repo) == (sha, "main", True)
    git(repo, "checkout", "-q", "--detach")
    assert git_state(repo) == (sha, None, True)
    (repo / "sub").mkdir()
    assert git_state(repo / "sub") == (sha, None, True)


def test_git_state_without_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert git_state(tmp_path) == (None, None, False)
    assert git_state(tmp_path / "missing") == (None, None, False)


# -- safety: foreign, corrupt and newer files ------------------------------------------------


def assert_refused(path: Path, *phrases: str) -> None:
    before = state(path)
    siblings = set(path.parent.iterdir())
    with pytest.raises(DataError) as error:
        History(path)
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    for phrase in phrases:
        assert phrase in message
    assert state(path) == before
    assert set(path.parent.iterdir()) == siblings  # no -wal or -shm left behind


def test_refuses_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    assert_refused(path, "not a covgap history database")
    short = tmp_path / "short.db"
    short.write_bytes(b"oops")
    assert_refused(short, "not a covgap history database")


def test_refuses_someone_elses_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "theirs.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE users (name TEXT)")
        raw.execute("INSERT INTO users VALUES ('ada')")
    raw.close()
    assert_refused(path, "not a covgap history database")
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT name FROM users").fetchall() == [("ada",)]
        raw.execute("PRAGMA journal_mode = WAL")  # theirs in WAL mode: left as it was, too
    raw.close()
    assert_refused(path, "not a covgap history database")


def test_refuses_a_history_of_a_newer_schema(tmp_path: Path, sources: Path) -> None:
    path = tmp_path / "history.db"
    with History(path) as history:
        history.record(sample(sources))
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {HISTORY_SCHEMA + 1}")
    raw.close()
    assert_refused(
        path,
        f"written by a newer covgap (schema {HISTORY_SCHEMA + 1}); "
        f"this covgap reads up to {HISTORY_SCHEMA}",
    )


def test_refuses_a_covgap_file_without_its_tables(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
    raw.execute(f"PRAGMA user_version = {HISTORY_SCHEMA}")
    raw.close()
    with pytest.raises(DataError, match="not a covgap history database"):
        History(path)


def test_a_damaged_history_is_a_data_error(tmp_path: Path, sources: Path) -> None:
    path = tmp_path / "history.db"
    with History(path) as history:
        for _ in range(3):
            history.record(sample(sources))
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = b"\xff" * (len(data) - page)  # every page but the first: garbage
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="history database unusable"), History(path) as history:
        history.load(1)


def test_a_missing_folder_and_an_empty_file_become_a_history(tmp_path: Path) -> None:
    with History(tmp_path / "new" / "deeper" / "history.db") as history:
        assert history.snapshots() == []
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with History(empty) as history:
        assert history.snapshots() == []
    raw = sqlite3.connect(empty)
    assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert raw.execute("PRAGMA user_version").fetchone() == (HISTORY_SCHEMA,)
    raw.close()


# -- safety: migrations ----------------------------------------------------------------------


def test_a_schema_0_history_is_migrated(tmp_path: Path, sources: Path) -> None:
    """Schema 0: a file marked as covgap's with no tables yet (user_version 0)."""
    path = tmp_path / "history.db"
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
    raw.close()
    with History(path) as history:
        assert history.load(history.record(sample(sources))).totals == Numbers(5, 1, 2, 1)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone() == (HISTORY_SCHEMA,)
    assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    raw.close()


def test_an_older_history_is_migrated_in_order(
    tmp_path: Path, sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.db"
    with History(path) as history:
        kept = history.record(sample(sources, commit="b" * 40))
    runs: list[int] = []

    def step(number: int) -> object:
        def migrate(connection: sqlite3.Connection) -> None:
            runs.append(number)
            connection.execute(f"CREATE TABLE extra_{number} (x)")

        return migrate

    after, later = HISTORY_SCHEMA + 1, HISTORY_SCHEMA + 2
    monkeypatch.setattr(
        history_module, "MIGRATIONS", [*history_module.MIGRATIONS, step(after), step(later)]
    )
    monkeypatch.setattr(history_module, "HISTORY_SCHEMA", later)
    with History(path) as history:
        assert history.load(kept).commit == "b" * 40
    assert runs == [after, later]
    with History(path):
        pass
    assert runs == [after, later]  # applied once
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone() == (later,)
    raw.close()


def test_a_failed_migration_changes_nothing(
    tmp_path: Path, sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.db"
    with History(path) as history:
        kept = history.record(sample(sources))

    def broken(connection: sqlite3.Connection) -> None:
        connection.execute("CREATE TABLE half_done (x)")
        connection.execute("ALTER TABLE no_such_table ADD COLUMN y")

    monkeypatch.setattr(history_module, "MIGRATIONS", [*history_module.MIGRATIONS, broken])
    monkeypatch.setattr(history_module, "HISTORY_SCHEMA", HISTORY_SCHEMA + 1)
    with pytest.raises(DataError, match="no_such_table"):
        History(path)
    monkeypatch.undo()
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone() == (HISTORY_SCHEMA,)
    tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in tables
    raw.close()
    with History(path) as history:
        assert history.load(kept).totals == Numbers(5, 1, 2, 1)


# -- safety: processes -------------------------------------------------------------------------


def stop(process: subprocess.Popen[str]) -> str:
    """Kill the process (SIGKILL on POSIX) if it still runs; what it wrote on stderr."""
    if process.poll() is None:
        process.kill()
    _, err = process.communicate()
    return err


def child(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_twenty_processes_record_at_once(tmp_path: Path) -> None:
    """20 processes open a new history and record into it at the same moment."""
    db, go = tmp_path / "history.db", tmp_path / "go"
    processes = [child(CHILD_ONE, db, go, n) for n in range(20)]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline() == "ready\n", process.stderr
        start = time.perf_counter()
        go.touch()
        results = [process.communicate(timeout=120) for process in processes]
        seconds = time.perf_counter() - start
    finally:
        for process in processes:
            stop(process)
    assert [(p.returncode, out, err) for p, (out, err) in zip(processes, results, strict=True)] == [
        (0, "done\n", "")
    ] * 20
    with History(db) as history:
        listed = history.snapshots()
        assert len(listed) == 20
        assert sorted(s.commit or "" for s in listed) == [f"{n:040x}" for n in range(20)]
        assert all(len(history.load(s.id).files) == 5 for s in listed)
    print(f"20 processes recorded in {seconds:.2f} s")


def read_ids(process: subprocess.Popen[str], until: str) -> Iterator[str]:
    assert process.stdout is not None
    for line in process.stdout:
        yield line.strip()
        if line.strip() == until:
            return


def assert_whole(db: Path, files: int) -> list[int]:
    """The history opens, passes SQLite's integrity check, and each snapshot is whole."""
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    raw.close()
    with History(db) as history:
        ids = [summary.id for summary in history.snapshots()]
        for snapshot_id in ids:
            snapshot = history.load(snapshot_id)
            assert len(snapshot.files) == files
            assert snapshot.totals == Numbers(3 * files, files, 2 * files, files)
            assert snapshot.health == HealthCounts(passed=1)
    return ids


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_writer_killed_inside_its_transaction_leaves_no_trace(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    process = child(CHILD_LOOP, db, 3)
    try:
        lines = list(read_ids(process, until="inside"))
    finally:
        errors = stop(process)
    assert lines[-1] == "inside", errors
    committed = [int(line) for line in lines[:-1]]
    assert len(committed) == 3
    assert assert_whole(db, 300) == committed  # the 4th, killed before its commit, is absent
    with History(db) as history:  # and the history goes on
        assert history.record(sample()) > committed[-1]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_writers_killed_at_any_moment_leave_whole_snapshots(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    seen: list[int] = []
    for delay in (0.0, 0.013, 0.029):
        process = child(CHILD_LOOP, db, -1)
        try:
            assert process.stdout is not None
            seen.append(int(process.stdout.readline()))
            time.sleep(delay)
        finally:
            stop(process)
        ids = assert_whole(db, 300)
        assert set(seen) <= set(ids)


def test_a_folder_in_the_way_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "history.db").mkdir()
    with pytest.raises(DataError, match="history database unusable"):
        History(tmp_path / "history.db")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes all")
def test_an_unwritable_place_is_an_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="is read-only"):
            History(locked / "history.db")
    finally:
        locked.chmod(0o700)


# -- read-only histories -------------------------------------------------------------------------


def test_a_read_only_history_is_read_but_not_written(tmp_path: Path, sources: Path) -> None:
    """A history whose folder is read-only (a read-only checkout, a cache restored in CI) is
    read as it is; recording into it is an OutputError (exit 4) before anything is tried."""
    folder = tmp_path / "store"
    path = folder / "history.db"
    with History(path) as history:
        first = history.record(sample(sources, commit="a" * 40))
        history.record(sample(sources, commit="b" * 40))
    before = state(path)
    siblings = set(folder.iterdir())
    with read_only(folder):
        with History(path, writing=False) as history:
            assert [s.commit for s in history.snapshots()] == ["a" * 40, "b" * 40]
            assert history.load(first).totals == Numbers(5, 1, 2, 1)
        with pytest.raises(OutputError, match=r"snapshot not recorded: .*read-only") as raised:
            History(path)
        assert raised.value.exit_code == 4
        assert raised.value.slug == "history-unwritable"
    assert state(path) == before
    assert set(folder.iterdir()) == siblings  # no -wal or -shm made


def test_an_empty_read_only_history_has_no_snapshots(tmp_path: Path) -> None:
    """An empty file, read-only, is a history with no snapshot yet (nothing to migrate)."""
    (tmp_path / "store").mkdir()
    path = tmp_path / "store" / "history.db"
    path.write_bytes(b"")
    with read_only(tmp_path / "store"), History(path, writing=False) as history:
        assert history.snapshots() == []
