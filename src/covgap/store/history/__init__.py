"""covgap's coverage history: one snapshot per recorded run, in a SQLite database.

A snapshot holds the commit, branch and time of a run, the totals, every file's numbers and
line data (statement lines, missing lines and missing arcs, as ranges), a hash of each file's
content, and the suite's health counts when the run had them. ``covgap.analyze.deltas`` explains
the change between two snapshots from that data. docs/history.md describes the schema and the
guarantees; the default place is ``.covgap/history.db`` (the caller decides).

By concern: ``snapshot`` (the data and its encoding), ``git`` (the state recorded), ``schema``
and ``database`` (the tables, migrations, connection and locking), ``recording`` (``History``),
``outcomes`` (test runs: every recorded run's per-test outcomes and durations).
"""

from __future__ import annotations

from covgap.store.history.database import BUSY_SECONDS as BUSY_SECONDS
from covgap.store.history.git import UNTRACKED_CODE as UNTRACKED_CODE
from covgap.store.history.git import git_state
from covgap.store.history.outcomes import TestRunInput
from covgap.store.history.recording import History
from covgap.store.history.schema import HISTORY_SCHEMA, MIGRATIONS
from covgap.store.history.snapshot import (
    HASH_BYTES,
    FileRecord,
    HealthCounts,
    Snapshot,
    SnapshotInput,
    SnapshotSummary,
    file_record,
    format_ranges,
    line_hashes,
    parse_ranges,
    read_record,
)

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
    "TestRunInput",
    "file_record",
    "format_ranges",
    "git_state",
    "line_hashes",
    "parse_ranges",
    "read_record",
]
