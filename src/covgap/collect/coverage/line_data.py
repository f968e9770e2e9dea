"""Turn per-line counts (Cobertura, LCOV) into a FileCoverage with coverage.py's regions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from coverage.exceptions import NoSource
from coverage.python import get_python_source
from coverage.regions import code_regions

from covgap.collect.coverage.regions import json_names
from covgap.files import special_kind
from covgap.inputs import read_input
from covgap.model import MODULE_REGION, FileCoverage, Numbers, Region

__all__ = [
    "LAST_LINE",
    "BranchInfo",
    "FunctionSpan",
    "display_path",
    "file_from_lines",
    "is_file",
    "read_report",
    "read_source",
]

#: The largest line number a report may name: a code object's line numbers are C ints.
LAST_LINE = 2**31 - 1


@dataclass(frozen=True)
class BranchInfo:
    """The exits of one branch line: how many there are, how many ran, where the missing ones go.

    ``missing_destinations`` lists the destinations of missing exits that the report names
    (-1 for an exit from the function or module); it may be shorter than ``missing`` when the
    report only counts, and the rest are then recorded with destination 0 (unknown).
    """

    total: int
    covered: int
    missing_destinations: tuple[int, ...] = ()

    @property
    def missing(self) -> int:
        return self.total - self.covered


@dataclass(frozen=True)
class FunctionSpan:
    """A function as a report without source describes it: name and first and last line.

    Used only when the source cannot be read, to place lines by range: a line belongs to the
    innermost span with ``start_line < line <= end_line`` when ``start_line`` is the ``def`` line
    (which is module-level or enclosing-function code, as in coverage.py), or
    ``start_line <= line <= end_line`` when it is the first line of the body
    (``body_start``); a one-line function owns its line either way.
    """

    name: str
    start_line: int
    end_line: int
    #: ``start_line`` is the body's first line (coverage.py 7.18+'s LCOV), not the ``def`` line.
    body_start: bool = False


@dataclass
class _Group:
    """The lines of one region while it is being built."""

    name: str
    start: int
    end: int
    statements: dict[int, int] = field(default_factory=dict)
    branches: dict[int, BranchInfo] = field(default_factory=dict)


def display_path(file: Path, project_dir: Path) -> str | None:
    """``file`` relative to ``project_dir`` with forward slashes, or None when it is outside."""
    try:
        return file.resolve().relative_to(project_dir.resolve()).as_posix()
    except (OSError, ValueError):
        return None


def is_file(file: Path) -> bool:
    """Whether ``file`` is an existing regular file; False for names the OS cannot even look up."""
    try:
        return file.is_file()
    except (OSError, ValueError):  # a name too long, a NUL byte in it, ...
        return False


def read_report(path: Path) -> bytes:
    """The bytes of a coverage report; DataError naming it when it cannot be read."""
    return read_input(path, "coverage report", "no-report")


def read_source(file: Path) -> tuple[str | None, str]:
    """The file's text as coverage.py reads it, or None and a one-line reason.

    Like coverage.py, only ``*.py*`` files and files without an extension are read as Python.
    """
    if not is_file(file):
        kind = special_kind(file)
        return None, f"not a regular file ({kind})" if kind else "source not found"
    suffix = file.suffix
    if suffix and not suffix.startswith(".py"):
        return None, "not a Python file"
    try:
        return get_python_source(str(file)), ""
    except NoSource:
        return None, "source not found"
    except (OSError, SyntaxError, UnicodeError, LookupError) as exc:
        # SyntaxError/LookupError: a coding declaration naming an unknown encoding.
        return None, f"source cannot be read ({_first_line(exc)})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _numbers(statements: Mapping[int, int], branches: Mapping[int, BranchInfo]) -> Numbers:
    return Numbers(
        statements=len(statements),
        missing_statements=sum(1 for hits in statements.values() if hits == 0),
        branches=sum(info.total for info in branches.values()),
        missing_branches=sum(info.missing for info in branches.values()),
    )


def _missing_lines(statements: Mapping[int, int]) -> tuple[int, ...]:
    return tuple(sorted(line for line, hits in statements.items() if hits == 0))


def _missing_arcs(branches: Mapping[int, BranchInfo]) -> tuple[tuple[int, int], ...]:
    arcs: list[tuple[int, int]] = []
    for line, info in branches.items():
        known = list(info.missing_destinations[: max(info.missing, 0)])
        unknown = [0] * (info.missing - len(known))
        arcs.extend((line, destination) for destination in known + unknown)
    return tuple(sorted(arcs))


def _region(group: _Group, name: str) -> Region:
    return Region(
        name=name,
        start_line=group.start,
        end_line=group.end,
        numbers=_numbers(group.statements, group.branches),
        statement_lines=tuple(sorted(group.statements)),
        missing_lines=_missing_lines(group.statements),
        missing_arcs=_missing_arcs(group.branches),
    )


def _distribute(
    module: _Group,
    functions: Sequence[_Group],
    owner: Mapping[int, int],
    statements: Mapping[int, int],
    branches: Mapping[int, BranchInfo],
) -> None:
    """Put each statement and branch line into its function (by ``owner``) or the module."""
    for line, hits in statements.items():
        index = owner.get(line)
        (module if index is None else functions[index]).statements[line] = hits
    for line, info in branches.items():
        index = owner.get(line)
        (module if index is None else functions[index]).branches[line] = info


def _regions_from_source(
    source: str,
    statements: Mapping[int, int],
    branches: Mapping[int, BranchInfo],
) -> tuple[Region, ...]:
    """The regions of ``coverage json``'s "functions" section; raises if the source won't parse."""
    num_lines = len(source.splitlines())
    found = sorted((r for r in code_regions(source) if r.kind == "function"), key=lambda r: r.start)
    outside_lines = set(range(1, num_lines + 1))
    owner: dict[int, int] = {}
    functions: list[_Group] = []
    for index, code_region in enumerate(found):
        outside_lines -= code_region.lines
        owner.update(dict.fromkeys(code_region.lines, index))
        end = max(code_region.lines, default=code_region.start)
        functions.append(_Group(code_region.name, code_region.start, end))
    module = _Group(MODULE_REGION, min(outside_lines, default=1), max(num_lines, 1))
    _distribute(module, functions, owner, statements, branches)
    names = json_names([(g.name, g.start, bool(g.statements)) for g in functions])
    return (
        _region(module, MODULE_REGION),
        *(_region(group, name) for group, name in zip(functions, names, strict=True)),
    )


def _regions_from_spans(
    spans: Sequence[FunctionSpan],
    statements: Mapping[int, int],
    branches: Mapping[int, BranchInfo],
) -> tuple[Region, ...]:
    """Regions placed by the report's function ranges, innermost range first."""
    ordered = sorted(spans, key=lambda s: (s.start_line, s.end_line))
    functions = [_Group(s.name, s.start_line, s.end_line) for s in ordered]
    owner: dict[int, int] = {}
    # Paint the widest spans first, so nested (narrower) spans override their enclosing ones.
    by_width = sorted(
        range(len(ordered)),
        key=lambda i: (ordered[i].start_line - ordered[i].end_line, ordered[i].start_line),
    )
    for index in by_width:
        span = ordered[index]
        first = span.start_line if span.body_start else span.start_line + 1
        owner.update(dict.fromkeys(range(min(first, span.end_line), span.end_line + 1), index))
    last = max(_max_line(statements, branches), max((s.end_line for s in spans), default=1))
    module_start = next(line for line in range(1, last + 2) if line not in owner)
    module = _Group(MODULE_REGION, module_start, last)
    _distribute(module, functions, owner, statements, branches)
    names: list[str] = []
    used: set[str] = set()
    for group in functions:
        name = group.name if group.name not in used else f"{group.name}@{group.start}"
        used.add(name)
        names.append(name)
    return (
        _region(module, MODULE_REGION),
        *(_region(group, name) for group, name in zip(functions, names, strict=True)),
    )


def _max_line(statements: Iterable[int], branches: Iterable[int], default: int = 1) -> int:
    return max([*statements, *branches], default=default)


def file_from_lines(
    path: str,
    statements: dict[int, int],
    branches: dict[int, BranchInfo],
    source: str | None,
    *,
    note_if_unknown: str,
    function_spans: Sequence[FunctionSpan] = (),
) -> FileCoverage:
    """A FileCoverage from line hit counts and branch counts, split into coverage.py's regions.

    ``statements`` maps each statement line to its hit count (0: missing); ``branches`` maps each
    branch line to its exits. With ``source`` (read with :func:`read_source`), the regions are
    coverage.py's own (``coverage.regions.code_regions``), named and bounded exactly as the
    "functions" section of ``coverage json``. Without it, or when it does not parse or is shorter
    than the report, the regions come from ``function_spans`` when given, else the whole file is
    one module-level region; ``regions_note`` then says why (``note_if_unknown`` when there is no
    source).
    """
    regions: tuple[Region, ...] | None = None
    note: str | None = note_if_unknown
    if source is not None:
        problem: str | None = None
        num_lines = len(source.splitlines())
        last = _max_line(statements, branches, default=0)
        if last > num_lines:
            problem = (
                f"the source of {path} has {num_lines} lines but the report has line {last} "
                "(file changed since it was measured?)"
            )
        else:
            try:
                regions = _regions_from_source(source, statements, branches)
                note = None
            except (SyntaxError, ValueError, RecursionError) as exc:
                problem = f"{path} does not parse as Python ({_first_line(exc)})"
        if problem is not None:
            label = "from the report's line ranges" if function_spans else "unknown"
            note = f"functions {label}: {problem}"
    if regions is None and function_spans:
        regions = _regions_from_spans(function_spans, statements, branches)
    known = regions is not None
    if regions is None:
        whole = _Group(MODULE_REGION, 1, _max_line(statements, branches), statements, branches)
        regions = (_region(whole, MODULE_REGION),)
    return FileCoverage(
        path=path,
        numbers=_numbers(statements, branches),
        statement_lines=tuple(sorted(statements)),
        missing_lines=_missing_lines(statements),
        missing_arcs=_missing_arcs(branches),
        regions=regions,
        regions_known=known,
        regions_note=note,
    )
