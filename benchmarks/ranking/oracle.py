"""The oracle: what each real test of the full suite covers of what "today" misses.

Units are coverage.py's: a statement (``path``, line) or a branch (``path``, from, to), exactly
as ``coverage report`` counts them. Each test context of the full run is turned into executed
units the way coverage.py's ``analysis_from_file_reporter`` turns a whole data file into them
(lines translated to their statements, arcs reduced to branches), so the units a set of tests
covers are the units coverage.py would report covered for a run of those tests.

The contexts come from ``covgap_bench_contexts``: a test's node id, and ``FILE::<collect>`` for
what importing a test module ran, which goes with every test of that module (importing the
module is free with its first test). Parametrized cases of one test function are one *real
test* (``--unit case`` keeps them apart). The empty context (conftest imports, plugins) cannot be
given to a test: what it covers beyond "today" is counted in the notes.
"""

from __future__ import annotations

import collections
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import coverage
from coverage.plugin import FileReporter

__all__ = ["FileUnits", "OracleData", "read_oracle", "test_of"]

#: The contexts plugin's suffix for a test module's import.
COLLECT = "::<collect>"
#: coverage.py's data schema this reader knows (coverage/sqldata.py SCHEMA_VERSION).
SCHEMA_VERSION = 7
#: Bump when the cached oracle's layout or meaning changes.
ORACLE_VERSION = 1

Unit = tuple[Any, ...]  # (path, line) or (path, from, to)


def test_of(context: str, unit: str) -> str:
    """The real test a context belongs to: the node id without its parameters (``unit`` is
    "function"), or the node id itself ("case")."""
    if unit == "case":
        return context
    return context.split("[", 1)[0]


@dataclass(frozen=True)
class FileUnits:
    """A file's static units, as coverage.py's analysis defines them."""

    path: str
    statements: frozenset[int]
    #: Possible arcs from branch lines that count as branches (coverage.py's arcs_missing
    #: candidates from its branch lines).
    branches: frozenset[tuple[int, int]]
    #: coverage.py's branch count (sum of the exit counts of branch lines).
    branch_count: int
    reporter: FileReporter

    @property
    def units(self) -> int:
        return len(self.statements) + self.branch_count

    def executed(self, arcs: Iterable[tuple[int, int]]) -> set[Unit]:
        """The units these measured arcs cover (``analysis_from_file_reporter``'s steps)."""
        arcs = list(arcs)
        lines = {line for arc in arcs for line in arc if line > 0}
        covered: set[Unit] = {
            (self.path, line)
            for line in self.reporter.translate_lines(lines) & set(self.statements)
        }
        if not self.branches:
            return covered
        destinations: dict[int, set[int]] = collections.defaultdict(set)
        for start, end in self.reporter.arcs():
            destinations[start].add(end)
        single = {s: next(iter(d)) for s, d in destinations.items() if len(d) == 1}
        kept: set[tuple[int, int]] = set()
        for start, end in self.reporter.translate_arcs(arcs):
            if start != end:
                kept.add((start, end))
            elif start in single:
                kept.add((start, single[start]))
        for arc in self.reporter.translate_arcs(kept):
            if arc in self.branches:
                covered.add((self.path, *arc))
        return covered


def _file_units(cov: coverage.Coverage, filename: str, relative: str) -> FileUnits:
    reporter = cov._get_file_reporter(filename)
    statements = frozenset(reporter.lines())
    excluded = reporter.excluded_lines()
    exit_counts = reporter.exit_counts()
    no_branch = reporter.no_branch_lines()
    branch_lines = {line for line, count in exit_counts.items() if count > 1}
    branches = frozenset(
        (start, end)
        for start, end in reporter.arcs()
        if start in branch_lines and start not in no_branch and end not in excluded
    )
    count = sum(c for c in exit_counts.values() if c > 1)
    return FileUnits(relative, statements, branches, count, reporter)


def _arcs_by_context(data_file: Path) -> Iterator[tuple[str, str, list[tuple[int, int]]]]:
    """(file, context, arcs) from coverage.py's SQLite data, one file and context at a time.

    Read with SQL: coverage.py's API answers one context per query (``set_query_contexts``),
    which costs minutes over thousands of tests; the schema version is checked first.
    """
    with sqlite3.connect(f"file:{data_file}?mode=ro", uri=True) as db:
        (version,) = db.execute("select version from coverage_schema").fetchone()
        if version != SCHEMA_VERSION:
            raise SystemExit(
                f"{data_file}: coverage.py data schema {version}, not {SCHEMA_VERSION}"
            )
        rows = db.execute(
            "select file.path, context.context, arc.fromno, arc.tono from arc "
            "join file on file.id = arc.file_id join context on context.id = arc.context_id "
            "order by file.path, context.context"
        )
        current: tuple[str, str] | None = None
        arcs: list[tuple[int, int]] = []
        for path, context, start, end in rows:
            if (path, context) != current:
                if current is not None:
                    yield (*current, arcs)
                current, arcs = (path, context), []
            arcs.append((start, end))
        if current is not None:
            yield (*current, arcs)


@dataclass(frozen=True)
class OracleData:
    """Today's coverage in units, and what each candidate real test adds to it."""

    #: Each file's units (statements + branches) and today's missing units.
    files: dict[str, tuple[int, int]]
    #: Every unit today misses.
    missing: frozenset[Unit]
    #: Each real test of the files not run today: the units it covers that today misses.
    tests: dict[str, frozenset[Unit]]
    #: The real tests that ran today (their files), for the record.
    today_tests: int
    notes: tuple[str, ...]

    @property
    def total_units(self) -> int:
        return sum(units for units, _ in self.files.values())

    @property
    def covered_today(self) -> int:
        return self.total_units - len(self.missing)

    def to_json(self) -> dict[str, Any]:
        ids = {unit: index for index, unit in enumerate(sorted(self.missing, key=repr))}
        return {
            "version": ORACLE_VERSION,
            "files": self.files,
            "missing": [list(unit) for unit in ids],
            "tests": {name: sorted(ids[u] for u in units) for name, units in self.tests.items()},
            "today_tests": self.today_tests,
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> OracleData:
        units = [tuple(unit) for unit in raw["missing"]]
        return cls(
            files={path: (pair[0], pair[1]) for path, pair in raw["files"].items()},
            missing=frozenset(units),
            tests={name: frozenset(units[i] for i in ids) for name, ids in raw["tests"].items()},
            today_tests=raw["today_tests"],
            notes=tuple(raw["notes"]),
        )


def _measured_units(
    cov: coverage.Coverage, data_file: Path, folder: Path
) -> tuple[dict[str, FileUnits], dict[str, set[Unit]]]:
    """Every measured file's units, and the units each context of ``data_file`` covered."""
    files: dict[str, FileUnits] = {}
    by_context: dict[str, set[Unit]] = collections.defaultdict(set)
    for filename in sorted(cov.get_data().measured_files()):
        relative = Path(filename).resolve().relative_to(folder.resolve()).as_posix()
        files[filename] = _file_units(cov, filename, relative)
    for filename, context, arcs in _arcs_by_context(data_file):
        if filename in files:
            by_context[context] |= files[filename].executed(arcs)
    return files, by_context


def _open(folder: Path, data_file: Path) -> coverage.Coverage:
    cov = coverage.Coverage(data_file=str(data_file), config_file=str(folder / ".coveragerc"))
    cov.load()
    return cov


def read_oracle(
    folder: Path, full: Path, partial: Path, partial_files: Iterable[str], unit: str
) -> OracleData:
    """The oracle from the full run's data and today's (the partial run's) data."""
    notes: list[str] = []
    today_cov = _open(folder, partial)
    today_files, today_contexts = _measured_units(today_cov, partial, folder)
    all_units: set[Unit] = set()
    for units in today_files.values():
        all_units |= {(units.path, line) for line in units.statements}
        all_units |= {(units.path, *arc) for arc in units.branches}
    covered_today = set().union(*today_contexts.values()) if today_contexts else set()
    missing = frozenset(all_units - covered_today)
    files: dict[str, tuple[int, int]] = {}
    for filename, units in today_files.items():
        analysis = today_cov._analyze(filename)
        n = analysis.numbers
        file_missing = sum(1 for u in missing if u[0] == units.path)
        if file_missing != n.n_missing + n.n_missing_branches or units.units != (
            n.n_statements + n.n_branches
        ):
            raise SystemExit(f"{units.path}: the oracle's units differ from coverage.py's analysis")
        files[units.path] = (units.units, file_missing)

    full_cov = _open(folder, full)
    full_files, full_contexts = _measured_units(full_cov, full, folder)
    partial_set = set(partial_files)
    collected: dict[str, set[Unit]] = {}
    tests: dict[str, set[Unit]] = collections.defaultdict(set)
    today_names: set[str] = set()
    unplaced: set[Unit] = set()
    for context, units in full_contexts.items():
        useful = units & missing
        if context == "":
            unplaced |= useful
        elif context.endswith(COLLECT):
            collected[context.removesuffix(COLLECT)] = useful
        elif context.split("::", 1)[0] in partial_set:
            today_names.add(test_of(context, unit))
        else:
            tests[test_of(context, unit)] |= useful
    for name in list(tests):
        tests[name] |= collected.get(name.split("::", 1)[0], set())
    # A test module whose import covered units but none of whose tests ran (all skipped): its
    # import alone is no real test, and is left out.
    full_paths = {u.path for u in full_files.values()}
    if set(files) != full_paths:
        notes.append(
            f"the full run measured other files than today: {sorted(set(files) ^ full_paths)}"
        )
    if unplaced:
        notes.append(f"{len(unplaced)} units today misses ran outside any test (empty context)")
    reachable = set().union(*tests.values()) if tests else set()
    notes.append(f"the full suite covers {len(reachable)} of the {len(missing)} units today misses")
    return OracleData(
        files=files,
        missing=missing,
        tests={name: frozenset(units) for name, units in sorted(tests.items())},
        today_tests=len(today_names),
        notes=tuple(notes),
    )


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: engineers replanning at the same time
    share the work folder's caches."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    temporary.replace(path)


def cached_oracle(
    cache: Path, folder: Path, full: Path, partial: Path, partial_files: Iterable[str], unit: str
) -> OracleData:
    """``read_oracle``, kept in ``cache`` until either data file changes."""
    stamp = [str(p.stat().st_mtime_ns) + ":" + str(p.stat().st_size) for p in (full, partial)]
    key = {"stamp": stamp, "unit": unit, "version": ORACLE_VERSION}
    if cache.exists():
        raw = json.loads(cache.read_text())
        if raw.get("key") == key:
            return OracleData.from_json(raw["oracle"])
    oracle = read_oracle(folder, full, partial, partial_files, unit)
    write_atomically(cache, json.dumps({"key": key, "oracle": oracle.to_json()}))
    return oracle
