"""Coverage in coverage.py's units: the numbers, and the regions, files and project measured."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

__all__ = [
    "MODULE_REGION",
    "FileCoverage",
    "InputKind",
    "Numbers",
    "ProjectCoverage",
    "Region",
]


#: The name coverage.py's JSON report gives the code outside every function: module-level code.
MODULE_REGION = ""


InputKind = Literal["coverage-data", "coverage-json", "cobertura-xml", "lcov"]


@dataclass(frozen=True)
class Numbers:
    """Counts in coverage.py's units: statements and branches, measured and missing.

    The percentage follows coverage.py exactly: (covered statements + covered branches) /
    (statements + branches), 100 when there is nothing to cover.
    """

    statements: int = 0
    missing_statements: int = 0
    branches: int = 0
    missing_branches: int = 0

    @property
    def covered_statements(self) -> int:
        return self.statements - self.missing_statements

    @property
    def covered_branches(self) -> int:
        return self.branches - self.missing_branches

    @property
    def units(self) -> int:
        """Statements plus branches: the denominator of the percentage."""
        return self.statements + self.branches

    @property
    def covered_units(self) -> int:
        return self.covered_statements + self.covered_branches

    @property
    def gap(self) -> int:
        """Missing statements plus missing branches: what full coverage would add."""
        return self.missing_statements + self.missing_branches

    @property
    def ratio(self) -> Fraction:
        """The covered fraction, exact; 1 when there is nothing to cover."""
        return Fraction(self.covered_units, self.units) if self.units else Fraction(1)

    @property
    def percent_covered(self) -> float:
        """The percentage as coverage.py computes it, to the same float."""
        if self.units > 0:
            return (100.0 * self.covered_units) / self.units
        return 100.0

    def __add__(self, other: Numbers) -> Numbers:
        return Numbers(
            self.statements + other.statements,
            self.missing_statements + other.missing_statements,
            self.branches + other.branches,
            self.missing_branches + other.missing_branches,
        )

    def fully_covered(self) -> Numbers:
        """These numbers with nothing missing."""
        return Numbers(self.statements, 0, self.branches, 0)


@dataclass(frozen=True)
class Region:
    """A function or method (qualified name, ``Session.valid``), or a file's module-level code.

    ``name`` is the key coverage.py's JSON report uses, so the two can be compared directly:
    ``MODULE_REGION`` ("") for module-level code, ``name@line`` for a repeated name.
    ``missing_arcs`` are (line, destination) pairs; a negative destination is an exit from the
    function, and 0 means the destination is unknown (Cobertura and LCOV inputs only count).
    """

    name: str
    start_line: int
    end_line: int
    numbers: Numbers
    statement_lines: tuple[int, ...] = ()
    missing_lines: tuple[int, ...] = ()
    missing_arcs: tuple[tuple[int, int], ...] = ()
    #: Tests (pytest node ids, without parameters) that ran its lines, most lines first, at
    #: most a few (from per-test contexts; empty when they were not measured).
    tested_by: tuple[str, ...] = ()

    @property
    def kind(self) -> Literal["function", "module"]:
        return "module" if self.name == MODULE_REGION else "function"

    @property
    def display_name(self) -> str:
        return "(module level)" if self.name == MODULE_REGION else self.name


@dataclass(frozen=True)
class FileCoverage:
    """One measured file: its numbers and its regions.

    ``regions`` partitions the file: the functions plus the module-level region add up to the
    file's numbers. When the functions are unknown (a report without them and no source to find
    them in) the whole file is one region, ``regions_known`` is False and ``regions_note`` says
    why; the note may also qualify known regions (taken from a report's line ranges).
    """

    path: str
    numbers: Numbers
    statement_lines: tuple[int, ...] = ()
    missing_lines: tuple[int, ...] = ()
    missing_arcs: tuple[tuple[int, int], ...] = ()
    regions: tuple[Region, ...] = ()
    #: False when the functions could not be found: the file is then one region.
    regions_known: bool = True
    regions_note: str | None = None
    #: Test modules that ran this file's lines, with how many lines each ran, most first
    #: (from per-test contexts; empty when they were not measured).
    tested_by: tuple[tuple[str, int], ...] = ()
    #: The file is outside the project folder (a coverage file can name any file): reports
    #: give its numbers and line numbers only, never text from its source, nor tests to write.
    outside: bool = False


@dataclass(frozen=True)
class ProjectCoverage:
    """Everything measured: the files, their total, and where it came from."""

    files: tuple[FileCoverage, ...]
    branch_measured: bool
    input_kind: InputKind
    input_path: str
    #: coverage.py's ``[report] precision``: the digits its own reports and ``fail_under`` use.
    coverage_precision: int = 0
    notes: tuple[str, ...] = ()
    #: Files parsed in this run, and files whose analysis came from covgap's cache.
    parsed_files: int = 0
    cached_files: int = 0
    #: Files whose source changed since they were measured (the data names lines that cannot be
    #: code now), files written after the data was, and files outside the project folder
    #: (``collect/coverage/staleness.py``); each also has a note.
    changed_files: tuple[str, ...] = ()
    modified_files: tuple[str, ...] = ()
    outside_files: tuple[str, ...] = ()
    #: The pytest node ids of the per-test contexts in the data (covgap's and pytest-cov's,
    #: without pytest-cov's "|run" suffix), sorted; empty when contexts were not recorded.
    test_contexts: tuple[str, ...] = ()

    @property
    def totals(self) -> Numbers:
        total = Numbers()
        for file in self.files:
            total = total + file.numbers
        return total
