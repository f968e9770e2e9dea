"""Tests for the line-data builder shared by the Cobertura and LCOV loaders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import JSON_KEEPS_REPEATS
from hypothesis import given, settings
from hypothesis import strategies as st

from covgap.collect.coverage.cobertura import load_cobertura
from covgap.collect.coverage.lcov import load_lcov
from covgap.collect.coverage.line_data import (
    BranchInfo,
    FunctionSpan,
    display_path,
    file_from_lines,
    read_source,
)
from covgap.errors import DataError
from covgap.model import MODULE_REGION, FileCoverage, Numbers, Region

#: The two functions named "first": which keeps the plain name depends on coverage.py's version.
FIRST, SECOND = ("first", "first@20") if JSON_KEEPS_REPEATS else ("first@4", "first")

SOURCE = """\
import os


def first(x):
    if x:
        return 1
    return 2


class Thing:
    size = 3

    def method(self):
        def helper():
            return os.sep

        return helper()


def first():  # a second "first"
    return 0
"""
#: Statement lines of SOURCE, with the lines of each region.
MODULE_LINES = (1, 4, 10, 11, 13, 20)


def _file(
    statements: dict[int, int],
    branches: dict[int, BranchInfo] | None = None,
    source: str | None = SOURCE,
    spans: tuple[FunctionSpan, ...] = (),
) -> FileCoverage:
    return file_from_lines(
        "pkg/mod.py",
        statements,
        branches or {},
        source,
        note_if_unknown="functions unknown: source not found at pkg/mod.py",
        function_spans=spans,
    )


def _regions(file: FileCoverage) -> dict[str, Region]:
    return {region.name: region for region in file.regions}


def _all_hit(*lines: int) -> dict[int, int]:
    return dict.fromkeys(lines, 1)


def test_regions_from_source() -> None:
    """Each line goes to coverage.py's region for it; names, bounds and counts follow JSON."""
    statements = {**_all_hit(1, 4, 5, 6, 10, 11, 13, 14, 15, 17, 20, 21), 7: 0}
    file = _file(statements, {5: BranchInfo(2, 1, (7,))})
    assert file.numbers == Numbers(13, 1, 2, 1)
    assert file.regions_note is None
    assert file.regions == (
        Region(MODULE_REGION, 1, 21, Numbers(6, 0, 0, 0), MODULE_LINES, ()),
        Region(FIRST, 4, 7, Numbers(3, 1, 2, 1), (5, 6, 7), (7,), ((5, 7),)),
        Region("Thing.method", 13, 17, Numbers(2, 0, 0, 0), (14, 17)),
        Region("Thing.method.helper", 14, 15, Numbers(1, 0, 0, 0), (15,)),
        Region(SECOND, 20, 21, Numbers(1, 0, 0, 0), (21,)),
    )


@pytest.mark.parametrize(
    ("hit", "expected_names"),
    [
        pytest.param(
            (5, 21), ["", "first", "Thing.method", "Thing.method.helper", "first@20"], id="both"
        ),
        pytest.param(
            (21,), ["", "first@4", "Thing.method", "Thing.method.helper", "first"], id="second"
        ),
        pytest.param(
            (), ["", "first", "Thing.method", "Thing.method.helper", "first@20"], id="neither"
        ),
    ],
)
def test_repeated_names(hit: tuple[int, ...], expected_names: list[str]) -> None:
    """Like coverage json: the first same-named function with statements keeps the name
    (coverage.py 7.17.3+; before, the last one did)."""
    file = _file(_all_hit(*hit))
    if not JSON_KEEPS_REPEATS:
        expected_names = ["", "first@4", "Thing.method", "Thing.method.helper", "first"]
    assert [r.name for r in file.regions] == expected_names


def test_module_region_starts_at_first_line_outside_functions() -> None:
    """The module-level region starts where coverage json says: the first line outside."""
    file = _file({1: 1, 2: 0}, source="def f(): return 1\nx = f()\n")
    assert [(r.name, r.start_line, r.end_line) for r in file.regions] == [
        (MODULE_REGION, 2, 2),
        ("f", 1, 1),
    ]
    assert _regions(file)["f"].statement_lines == (1,)


def test_unknown_destinations_are_zero() -> None:
    """Missing exits the report does not name are recorded with destination 0."""
    file = _file(_all_hit(5), {5: BranchInfo(3, 0, (-1,))})
    assert file.missing_arcs == ((5, -1), (5, 0), (5, 0))
    assert _regions(file)[FIRST].missing_arcs == file.missing_arcs
    assert BranchInfo(3, 1).missing == 2


def test_no_source_is_one_region() -> None:
    """Without source the whole file is one module-level region, with the caller's note."""
    file = _file({3: 1, 9: 0}, {3: BranchInfo(2, 2)}, source=None)
    assert file.regions == (Region(MODULE_REGION, 1, 9, Numbers(2, 1, 2, 0), (3, 9), (9,), ()),)
    assert file.regions_note == "functions unknown: source not found at pkg/mod.py"
    assert not file.regions_known


def test_empty_file() -> None:
    """A file with no statements still has its module-level region."""
    for source in ("", None):
        file = _file({}, source=source)
        assert file.regions == (Region(MODULE_REGION, 1, 1, Numbers()),)


@pytest.mark.parametrize(
    ("source", "note"),
    [
        pytest.param("def broken(:\n\n\n", "pkg/mod.py does not parse as Python", id="syntax"),
        pytest.param("x = 1\0\n\n\n", "pkg/mod.py does not parse as Python", id="null-byte"),
        pytest.param(
            "x = 1\n", "the source of pkg/mod.py has 1 lines but the report has line 3", id="stale"
        ),
    ],
)
def test_unusable_source(source: str, note: str) -> None:
    """A source that does not parse or is shorter than the report gives no regions of its own."""
    file = _file({3: 1}, source=source)
    assert [r.name for r in file.regions] == [MODULE_REGION]
    assert file.regions_note is not None
    assert note in file.regions_note


def test_spans_place_lines_innermost_first() -> None:
    """Without source, a line belongs to the innermost span; a def line to what encloses it."""
    spans = (
        FunctionSpan("outer", 3, 12),
        FunctionSpan("outer.inner", 5, 7),
        FunctionSpan("tiny", 14, 14),
        FunctionSpan("outer", 16, 17),
    )
    file = _file(_all_hit(1, 3, 4, 5, 6, 7, 9, 14, 16, 17), source=None, spans=spans)
    assert [(r.name, r.start_line, r.end_line, r.statement_lines) for r in file.regions] == [
        (MODULE_REGION, 1, 17, (1, 3, 16)),
        ("outer", 3, 12, (4, 5, 9)),
        ("outer.inner", 5, 7, (6, 7)),
        ("tiny", 14, 14, (14,)),
        ("outer@16", 16, 17, (17,)),
    ]


def test_source_wins_over_spans() -> None:
    """Spans are only used when the source is unusable."""
    file = _file(_all_hit(5), spans=(FunctionSpan("wrong", 1, 21),))
    assert [r.name for r in file.regions][:2] == [MODULE_REGION, FIRST]
    broken = _file(_all_hit(5), source="def (", spans=(FunctionSpan("f", 4, 6),))
    assert [r.name for r in broken.regions] == [MODULE_REGION, "f"]
    assert broken.regions_note == (
        "functions from the report's line ranges: the source of pkg/mod.py has 1 lines "
        "but the report has line 5 (file changed since it was measured?)"
    )


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.integers(1, 25), st.integers(0, 3), max_size=25),
    st.dictionaries(
        st.integers(1, 25),
        st.tuples(st.integers(2, 4), st.integers(0, 4)).map(
            lambda t: BranchInfo(t[0], min(t[0], t[1]))
        ),
        max_size=8,
    ),
    st.booleans(),
)
def test_regions_always_partition_the_file(
    statements: dict[int, int], branches: dict[int, BranchInfo], with_source: bool
) -> None:
    """Whatever the lines, each lands in exactly one region and the regions add up."""
    source = SOURCE + "\n" * 4 if with_source else None
    spans = () if with_source else (FunctionSpan("a", 2, 9), FunctionSpan("a.b", 4, 6))
    file = _file(statements, branches, source=source, spans=spans)
    total = Numbers()
    for region in file.regions:
        total = total + region.numbers
    assert total == file.numbers
    lines = sorted(line for region in file.regions for line in region.statement_lines)
    assert tuple(lines) == file.statement_lines == tuple(sorted(statements))
    arcs = sorted(arc for region in file.regions for arc in region.missing_arcs)
    assert tuple(arcs) == file.missing_arcs
    assert len(file.missing_arcs) == file.numbers.missing_branches


def test_read_source(tmp_path: Path) -> None:
    """Sources are read as coverage.py reads them, or not at all, with the reason."""
    (tmp_path / "latin.py").write_bytes(
        "# -*- coding: latin-1 -*-\nx = 'caf\xe9'\n".encode("latin-1")
    )
    (tmp_path / "script").write_text("x = 1")
    (tmp_path / "page.html").write_text("<p></p>\n")
    (tmp_path / "bad.py").write_bytes(b"# -*- coding: no-such-codec -*-\nx = 1\n")
    assert read_source(tmp_path / "latin.py") == ("# -*- coding: latin-1 -*-\nx = 'caf\xe9'\n", "")
    assert read_source(tmp_path / "script") == ("x = 1\n", "")
    assert read_source(tmp_path / "page.html") == (None, "not a Python file")
    assert read_source(tmp_path / "gone.py") == (None, "source not found")
    assert read_source(tmp_path) == (None, "source not found")
    source, reason = read_source(tmp_path / "bad.py")
    assert source is None
    assert reason.startswith("source cannot be read (")


def test_display_path(tmp_path: Path) -> None:
    """Paths inside the project are shown relative with forward slashes; others are None."""
    assert display_path(tmp_path / "a" / ".." / "b" / "c.py", tmp_path) == "b/c.py"
    assert display_path(tmp_path.parent / "elsewhere.py", tmp_path) is None


@pytest.mark.parametrize(
    "loader",
    [pytest.param(load_cobertura, id="cobertura"), pytest.param(load_lcov, id="lcov")],
)
def test_report_missing_or_a_folder(tmp_path: Path, loader: Callable[[Path, Path], object]) -> None:
    """A report that does not exist, or is a folder, is one DataError naming it."""
    with pytest.raises(DataError, match="coverage report not found") as caught:
        loader(tmp_path / "report", tmp_path)
    assert caught.value.path == str(tmp_path / "report")
    with pytest.raises(DataError, match="is a folder"):
        loader(tmp_path, tmp_path)
