"""Load an LCOV tracefile (``coverage lcov`` or another tool's) into a ProjectCoverage."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from covgap.collect.coverage.line_data import (
    LAST_LINE,
    BranchInfo,
    FunctionSpan,
    display_path,
    file_from_lines,
    read_report,
    read_source,
)
from covgap.errors import DataError
from covgap.model import FileCoverage, ProjectCoverage

__all__ = ["load_lcov"]

#: coverage.py names each BRDA branch by what it does (parser.arc_description); these name the
#: destination. Other tools number their branches, and the destination stays unknown (0).
_JUMP = re.compile(r"jump to line (\d+)")
_EXIT = re.compile(
    r"jump to the function exit|(?:return|except) from function .*|exit the module|exit class .*"
)


@dataclass
class _Record:
    """Everything the tracefile says about one source file, merged over its records."""

    sf: str
    statements: dict[int, int] = field(default_factory=dict)
    #: line -> (block, branch) -> times taken; None for "-" (the line never ran).
    branches: dict[int, dict[tuple[str, str], int | None]] = field(default_factory=dict)
    #: (name, start, end or None), from FN records or lcov 2.2's FNL/FNA pairs.
    functions: dict[tuple[str, int, int | None], None] = field(default_factory=dict)
    #: lcov 2.2's FNL:index,start[,end] until its FNA:index,hits,name names it.
    pending: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    #: name -> times called, from FNDA records; (name, start) -> times called, from FNA records.
    calls: dict[str, int] = field(default_factory=dict)
    span_calls: dict[tuple[str, int], int] = field(default_factory=dict)


class _Parser:
    """A line-by-line LCOV reader that raises DataError naming the line at fault."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: dict[str, _Record] = {}
        self.current: _Record | None = None
        self.lineno = 0
        self.branch_measured = False

    def fail(self, message: str) -> DataError:
        return DataError(
            f"line {self.lineno}: {message}",
            path=str(self.path),
            hint="produce it with `coverage lcov` (or pytest --cov-report=lcov)",
            slug="bad-report",
        )

    def number(self, text: str, what: str, *, allow_zero: bool = False, line: bool = False) -> int:
        """A whole number of the record; a ``line`` number is at most ``LAST_LINE``."""
        try:
            value = int(text.strip())
        except ValueError:
            raise self.fail(f"{what} {_clip(text.strip())!r} is not a whole number") from None
        if value < 0 or (value == 0 and not allow_zero) or (line and value > LAST_LINE):
            raise self.fail(f"{what} {_clip(str(value))} is out of range")
        return value

    def record(self, key: str) -> _Record:
        if self.current is None:
            raise self.fail(f"{key} record outside a file's record (no SF before it)")
        return self.current

    def feed(self, text: str) -> None:
        for self.lineno, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            if line == "end_of_record":
                self.current = None
                continue
            key, colon, value = line.partition(":")
            if not colon:
                raise self.fail(f"{_clip(line)!r} is not an LCOV record (KEY:value)")
            handler = getattr(self, f"on_{key}", None)
            if handler is not None:
                handler(value)
            # Other records (TN, VER, LF, LH, FNF, FNH, FNDA, BRF, BRH, …) are recomputed or unused.

    def on_SF(self, value: str) -> None:
        sf = value.strip()
        if not sf:
            raise self.fail("SF record with an empty file name")
        self.current = self.records.setdefault(sf, _Record(sf))

    def on_DA(self, value: str) -> None:
        record = self.record("DA")
        parts = value.split(",")
        if len(parts) < 2:
            raise self.fail(f"DA record {_clip(value)!r} is not DA:line,hits")
        line = self.number(parts[0], "DA line", line=True)
        hits = self.number(parts[1], "DA hit count", allow_zero=True)
        record.statements[line] = record.statements.get(line, 0) + hits

    def on_BRDA(self, value: str) -> None:
        record = self.record("BRDA")
        parts = value.split(",", 2)
        if len(parts) < 3 or "," not in parts[2]:
            raise self.fail(f"BRDA record {_clip(value)!r} is not BRDA:line,block,branch,taken")
        line = self.number(parts[0], "BRDA line", line=True)
        branch, taken_text = parts[2].rsplit(",", 1)
        taken_text = taken_text.strip()
        taken = (
            None if taken_text == "-" else self.number(taken_text, "BRDA taken", allow_zero=True)
        )
        exits = record.branches.setdefault(line, {})
        key = (parts[1].strip(), branch)
        before = exits.get(key)
        exits[key] = taken if before is None else before + (taken or 0)
        self.branch_measured = True

    def on_FN(self, value: str) -> None:
        record = self.record("FN")
        parts = value.split(",", 2)
        if len(parts) == 3 and parts[1].strip().isdigit():  # coverage.py: FN:start,end,name
            start = self.number(parts[0], "FN start line", line=True)
            end: int | None = self.number(parts[1], "FN end line", line=True)
            name = parts[2]
        else:  # the classic FN:line,name
            line_text, comma, name = value.partition(",")
            if not comma:
                raise self.fail(f"FN record {_clip(value)!r} is not FN:line,name")
            start, end = self.number(line_text, "FN line", line=True), None
        if end is not None and end < start:
            raise self.fail(f"FN record {_clip(value)!r} ends before it starts")
        record.functions[(name.strip(), start, end)] = None

    def on_FNDA(self, value: str) -> None:
        record = self.record("FNDA")
        hits_text, comma, name = value.partition(",")
        if not comma:
            raise self.fail(f"FNDA record {_clip(value)!r} is not FNDA:hits,name")
        hits = self.number(hits_text, "FNDA hit count", allow_zero=True)
        record.calls[name.strip()] = record.calls.get(name.strip(), 0) + hits

    def on_FNL(self, value: str) -> None:
        record = self.record("FNL")
        parts = value.split(",")
        if len(parts) not in (2, 3):
            raise self.fail(f"FNL record {_clip(value)!r} is not FNL:index,start[,end]")
        start = self.number(parts[1], "FNL start line", line=True)
        end = self.number(parts[2], "FNL end line", line=True) if len(parts) == 3 else None
        if end is not None and end < start:
            raise self.fail(f"FNL record {_clip(value)!r} ends before it starts")
        record.pending[parts[0].strip()] = (start, end)

    def on_FNA(self, value: str) -> None:
        record = self.record("FNA")
        parts = value.split(",", 2)
        if len(parts) != 3 or parts[0].strip() not in record.pending:
            raise self.fail(f"FNA record {_clip(value)!r} is not FNA:index,hits,name after its FNL")
        start, end = record.pending[parts[0].strip()]
        name = parts[2].strip()
        record.functions[(name, start, end)] = None
        hits = self.number(parts[1], "FNA hit count", allow_zero=True)
        record.span_calls[name, start] = record.span_calls.get((name, start), 0) + hits


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _destination(branch: str) -> int:
    if match := _JUMP.fullmatch(branch):
        return int(match.group(1))
    return -1 if _EXIT.fullmatch(branch) else 0


def _branch_info(exits: dict[tuple[str, str], int | None]) -> BranchInfo:
    """One line's BRDA records as counts: every (block, branch) is one exit."""
    missing = [branch for (_block, branch), taken in exits.items() if not taken]
    destinations = tuple(d for d in map(_destination, missing) if d != 0)
    return BranchInfo(len(exits), len(exits) - len(missing), destinations)


def _spans(
    functions: Iterable[tuple[str, int, int | None]], *, body_start: bool
) -> list[FunctionSpan]:
    """The functions with a known range; none unless every function has one.

    A function listed with different ends (by records that disagree) keeps its widest range.
    """
    ends: dict[tuple[str, int], int] = {}
    for name, start, end in functions:
        if end is None:
            return []
        ends[name, start] = max(end, ends.get((name, start), end))
    return [
        FunctionSpan(name, start, end, body_start=body_start) for (name, start), end in ends.items()
    ]


def _starts_at_signature(records: Iterable[_Record]) -> bool:
    """Whether the tracefile's function ranges start at the ``def`` line.

    coverage.py before 7.18 wrote ``FN:def_line,end``; 7.18 and later write the body's first
    line (lcov 2.4 calls a function "inconsistent" when its first line ran but it was never
    called). The tracefile shows which: a function never called (FNDA 0) whose first line ran
    can only start at its ``def`` line, which runs when the module is imported. Without such a
    function (every function called, or the module never imported) the first line counts as the
    body's, as coverage.py writes it today; a ``def`` line taken for a body line moves one
    statement from the module to the function, and no line's coverage changes.
    """
    for record in records:
        for name, start, end in record.functions:
            calls = record.span_calls.get((name, start), record.calls.get(name))
            if end != start and calls == 0 and record.statements.get(start, 0):
                return True
    return False


def _read_text(path: Path) -> str:
    data = read_report(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"not an LCOV tracefile (not UTF-8 text at byte {exc.start})",
            path=str(path),
            slug="bad-report",
        ) from exc


def load_lcov(path: Path, project_dir: Path) -> ProjectCoverage:
    """Read an LCOV tracefile; regions come from the sources found on disk.

    Relative SF paths are taken from ``project_dir``; several records for one file are merged
    (hit counts added). A file whose source is not found gets its regions from its FN records
    when every one of them has an end line (``coverage lcov`` writes ``FN:start,end,name``), else
    it is one module-level region; ``regions_note`` says which.
    """
    parser = _Parser(path)
    parser.feed(_read_text(path))
    if not parser.records:
        raise DataError(
            "not an LCOV tracefile: it has no SF (source file) record",
            path=str(path),
            hint="produce it with `coverage lcov` (or pytest --cov-report=lcov)",
            slug="bad-report",
        )
    body_start = not _starts_at_signature(parser.records.values())
    merged: dict[str, tuple[Path, list[_Record]]] = {}
    for record in parser.records.values():
        file = project_dir / record.sf  # an absolute SF stays as it is
        shown = display_path(file, project_dir) or record.sf
        merged.setdefault(shown, (file, []))[1].append(record)
    results: list[FileCoverage] = []
    for shown, (file, records) in merged.items():
        statements: dict[int, int] = {}
        exits: dict[int, dict[tuple[str, str], int | None]] = {}
        functions: dict[tuple[str, int, int | None], None] = {}
        for record in records:
            for line, hits in record.statements.items():
                statements[line] = statements.get(line, 0) + hits
            for line, taken_by_exit in record.branches.items():
                into = exits.setdefault(line, {})
                for key, taken in taken_by_exit.items():
                    before = into.get(key)
                    into[key] = taken if before is None else before + (taken or 0)
            functions.update(record.functions)
        spans = _spans(functions, body_start=body_start)
        source, reason = read_source(file)
        if spans:
            note = f"functions from the report's FN line ranges: {reason} at {shown}"
        else:
            note = f"functions unknown: {reason} at {shown}"
        results.append(
            file_from_lines(
                shown,
                statements,
                {line: _branch_info(by_exit) for line, by_exit in exits.items()},
                source,
                note_if_unknown=note,
                function_spans=spans,
            )
        )
    return ProjectCoverage(
        files=tuple(sorted(results, key=lambda f: f.path)),
        branch_measured=parser.branch_measured,
        input_kind="lcov",
        input_path=str(path),
        coverage_precision=0,
    )
