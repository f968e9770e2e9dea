"""Tests for the LCOV loader, against real ``coverage lcov`` and ``coverage json`` output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import JSON_KEEPS_REPEATS, json_comparable, with_start_lines

from covgap.collect.coverage.lcov import load_lcov
from covgap.errors import DataError
from covgap.model import MODULE_REGION, FileCoverage, Numbers, ProjectCoverage, Region

#: The measured fixture project, shared with test_cobertura.py.
SHOP = Path(__file__).parents[2] / "fixtures" / "projects" / "shop"


def _write_project(project: Path) -> None:
    shutil.copytree(SHOP, project)
    # Checksums exercise the third DA field.
    (project / ".coveragerc").write_text("[lcov]\nline_checksums = true\n")


def _coverage(project: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    env["PYTHONPATH"] = "src"
    result = subprocess.run(
        [sys.executable, "-m", "coverage", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture project measured once with branch coverage, with its LCOV and JSON reports."""
    project = tmp_path_factory.mktemp("measured") / "shop"
    _write_project(project)
    _coverage(
        project, "run", "--branch", "--source=src", "-m", "pytest", "-q", "-p", "no:cacheprovider"
    )
    _coverage(project, "lcov", "-o", "coverage.lcov")
    _coverage(project, "json", "-o", "coverage.json")
    return project


@pytest.fixture(scope="module")
def json_files(measured: Path) -> dict[str, Any]:
    """The "files" section of ``coverage json``."""
    files: dict[str, Any] = json.loads((measured / "coverage.json").read_text())["files"]
    return with_start_lines(files, measured)


def _counts(numbers: Numbers) -> tuple[int, int, int, int]:
    return (
        numbers.statements,
        numbers.missing_statements,
        numbers.branches,
        numbers.missing_branches,
    )


def _lcov_counts(data: dict[str, Any]) -> tuple[int, int, int, int]:
    """What an LCOV report can carry of a JSON file or region: see the test docstring."""
    summary = data["summary"]
    return (
        summary["num_statements"],
        summary["missing_lines"],
        len(data["executed_branches"]) + len(data["missing_branches"]),
        summary["missing_branches"],
    )


def _json_arcs(arcs: list[list[int]]) -> tuple[tuple[int, int], ...]:
    """JSON's missing arcs with every exit as -1, the only exit LCOV's descriptions name."""
    return tuple(sorted((a, -1 if b < 0 else b) for a, b in arcs))


def _file(project: ProjectCoverage, path: str) -> FileCoverage:
    return next(f for f in project.files if f.path == path)


def _region_view(region: Region) -> tuple[Any, ...]:
    return (
        _counts(region.numbers),
        region.start_line,
        region.statement_lines,
        region.missing_lines,
        region.missing_arcs,
    )


def _json_region_view(data: dict[str, Any]) -> tuple[Any, ...]:
    return (
        _lcov_counts(data),
        data["start_line"],
        tuple(sorted(data["executed_lines"] + data["missing_lines"])),
        tuple(data["missing_lines"]),
        _json_arcs(data["missing_branches"]),
    )


# ---------------------------------------------------------------------------------------------
# Real coverage.py output
# ---------------------------------------------------------------------------------------------


def test_equals_coverage_json_per_file_and_function(
    measured: Path, json_files: dict[str, Any]
) -> None:
    """Counts, lines and missing arcs equal ``coverage json``'s, but for no-branch lines.

    ``coverage lcov`` writes one BRDA per executed or missing arc of a branch line
    (``lcov_arcs``), while JSON counts the line's exits (``exit_counts``). They differ only on a
    ``# pragma: no branch`` line: its unexecuted exits are neither executed nor missing
    (``Analysis.arcs_missing`` skips ``no_branch`` lines), so LCOV has no BRDA for them. So the
    LCOV branch count is JSON's executed plus missing branches, which equals JSON's
    ``num_branches`` everywhere except in ``pragma()`` (and its file), short by one.
    """
    project = load_lcov(measured / "coverage.lcov", measured)
    assert [f.path for f in project.files] == sorted(json_files)
    short_of_json: list[tuple[str, str]] = []
    for file in project.files:
        expected = json_files[file.path]
        assert _counts(file.numbers) == _lcov_counts(expected), file.path
        if file.numbers.branches != expected["summary"]["num_branches"]:
            short_of_json.append((file.path, "(file)"))
        assert file.regions_note is None
        regions = json_comparable({r.name: r for r in file.regions}, expected["functions"])
        assert set(regions) == set(expected["functions"]), file.path
        for name, region in regions.items():
            want = expected["functions"][name]
            assert _region_view(region) == _json_region_view(want), (file.path, name)
            if region.numbers.branches != want["summary"]["num_branches"]:
                short_of_json.append((file.path, name))
    assert short_of_json == [("src/shop/logic.py", "(file)"), ("src/shop/logic.py", "pragma")]
    pragma = _file(project, "src/shop/logic.py").regions
    assert next(r for r in pragma if r.name == "pragma").numbers == Numbers(2, 0, 1, 0)
    # Not a vacuous comparison: the project is partly covered, with a missing function exit.
    logic = _file(project, "src/shop/logic.py")
    assert 0 < logic.numbers.missing_statements < logic.numbers.statements
    assert 0 < logic.numbers.missing_branches < logic.numbers.branches
    assert (38, -1) in logic.missing_arcs


def test_project_fields(measured: Path) -> None:
    """Kind, input path and branch flag describe the report."""
    project = load_lcov(measured / "coverage.lcov", measured)
    assert project.input_kind == "lcov"
    assert project.input_path == str(measured / "coverage.lcov")
    assert project.branch_measured is True
    assert project.coverage_precision == 0


def test_regions_partition_each_file(measured: Path) -> None:
    """The regions of each file add up to the file, module-level region first."""
    for file in load_lcov(measured / "coverage.lcov", measured).files:
        assert file.regions[0].name == MODULE_REGION
        total = Numbers()
        for region in file.regions:
            total = total + region.numbers
        assert total == file.numbers
        lines = sorted(line for region in file.regions for line in region.statement_lines)
        assert tuple(lines) == file.statement_lines


def _fn_starts(lcov: Path, sf: str) -> dict[str, int]:
    """The first line each FN record of ``sf`` gives, by function name."""
    starts: dict[str, int] = {}
    current = None
    for line in lcov.read_text().splitlines():
        if line.startswith("SF:"):
            current = line[3:]
        elif line.startswith("FN:") and current == sf:
            start, _end, name = line[3:].split(",", 2)
            starts[name] = int(start)
    return starts


@pytest.mark.skipif(
    not JSON_KEEPS_REPEATS, reason="coverage.py before 7.17.3 names repeated functions alike"
)
def test_source_absent_regions_from_fn_ranges(
    measured: Path, json_files: dict[str, Any], tmp_path: Path
) -> None:
    """Without the sources, coverage.py's FN:start,end records place the lines.

    For this project that gives the same regions as ``coverage json`` with the sources, except
    that functions without statements (the excluded first ``dup``) have no FN record, and that
    a region starts where its FN record does (the ``def`` line before coverage.py 7.18, the
    body's first line since); counts differ from JSON only as in the test above. A file without
    FN records is one region.
    """
    shutil.copy(measured / "coverage.lcov", tmp_path / "coverage.lcov")
    project = load_lcov(tmp_path / "coverage.lcov", tmp_path)
    assert [f.path for f in project.files] == sorted(json_files)
    for file in project.files:
        expected = json_files[file.path]
        assert _counts(file.numbers) == _lcov_counts(expected)
        wanted = {
            name: _json_region_view(data)
            for name, data in expected["functions"].items()
            if data["summary"]["num_statements"] or name == MODULE_REGION
        }
        got = {r.name: _region_view(r) for r in file.regions}
        if len(wanted) > 1:
            starts = _fn_starts(tmp_path / "coverage.lcov", file.path)
            assert {name: view[:1] + view[2:] for name, view in got.items()} == {
                name: view[:1] + view[2:] for name, view in wanted.items()
            }, file.path
            assert {name: view[1] for name, view in got.items() if name} == starts
            assert file.regions_note == (
                f"functions from the report's FN line ranges: source not found at {file.path}"
            )
            assert file.regions_known
        else:
            assert list(got) == [MODULE_REGION]
            assert got[MODULE_REGION][0] == wanted[MODULE_REGION][0]
            assert file.regions_note == f"functions unknown: source not found at {file.path}"
            assert not file.regions_known
    logic = {r.name: r for r in _file(project, "src/shop/logic.py").regions}
    assert "dup@82" not in logic
    assert logic["outer"].end_line == 34
    assert logic["outer"].statement_lines == (27, 32, 33, 34)


#: One module as two coverage.py versions write it: ``used`` (lines 1-3) is called, ``unused``
#: (lines 5-7) is not; line 8 is module code. Before 7.18 FN starts at the ``def`` line, since
#: 7.18 at the body's first line.
_FN_DEF_LINES = "FN:1,3,used\nFNDA:1,used\nFN:5,7,unused\nFNDA:0,unused\n"
_FN_BODY_LINES = "FN:2,3,used\nFNDA:1,used\nFN:6,7,unused\nFNDA:0,unused\n"


@pytest.mark.parametrize(
    "functions",
    [
        pytest.param(_FN_DEF_LINES, id="def-line-starts-before-7.18"),
        pytest.param(_FN_BODY_LINES, id="body-starts-since-7.18"),
    ],
)
def test_fn_ranges_either_coverage_version(tmp_path: Path, functions: str) -> None:
    """Both ways of writing FN place each statement in the same region: ``def`` lines (1, 5)
    and line 8 in the module, bodies in their functions."""
    hits = {1: 1, 2: 1, 3: 1, 5: 1, 6: 0, 7: 0, 8: 1}
    lines = "".join(f"DA:{line},{hit}\n" for line, hit in hits.items())
    (tmp_path / "m.lcov").write_text(f"SF:gone.py\n{lines}{functions}end_of_record\n")
    regions = {r.name: r for r in load_lcov(tmp_path / "m.lcov", tmp_path).files[0].regions}
    assert regions[MODULE_REGION].statement_lines == (1, 5, 8)
    assert regions["used"].statement_lines == (2, 3)
    assert regions["unused"].statement_lines == (6, 7)
    assert regions["unused"].missing_lines == (6, 7)


def test_source_unparsable_falls_back_to_fn_ranges(measured: Path, tmp_path: Path) -> None:
    """A source that is not Python is named in the note; FN ranges still place the lines."""
    shutil.copytree(measured / "src", tmp_path / "src")
    shutil.copy(measured / "coverage.lcov", tmp_path / "coverage.lcov")
    logic_path = tmp_path / "src" / "shop" / "logic.py"
    logic_path.write_text("def broken(:\n" + "\n" * 200)
    logic = _file(load_lcov(tmp_path / "coverage.lcov", tmp_path), "src/shop/logic.py")
    assert logic.regions_note is not None
    assert logic.regions_note.startswith(
        "functions from the report's line ranges: src/shop/logic.py does not parse as Python ("
    )
    assert "outer.inner" in {r.name for r in logic.regions}


# ---------------------------------------------------------------------------------------------
# LCOV from other tools
# ---------------------------------------------------------------------------------------------

SOURCE = """\
import os


def first(x):
    if x:
        return 1
    return 2


def second():
    return os.sep
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_other_tool_tracefile(tmp_path: Path) -> None:
    """FN:line,name, numbered BRDA with "-", checksums and repeated records are all read.

    LF/LH/BRF/BRH are deliberately wrong: they are recomputed from DA and BRDA.
    """
    _write(tmp_path / "pkg" / "mod.py", SOURCE)
    report = _write(
        tmp_path / "out" / "lcov.info",
        """\
TN:unit
SF:pkg/mod.py
FN:4,first
FNDA:2,first
FN:10,second
FNDA:0,second
FNF:2
FNH:1
DA:1,1,abcdef
DA:4,1
DA:5,2
DA:6,2
DA:7,0
DA:10,1
DA:11,0
LF:99
LH:99
BRDA:5,0,0,2
BRDA:5,0,1,0
BRF:7
BRH:7
end_of_record
TN:integration
SF:pkg/mod.py
DA:7,0
DA:11,0
BRDA:5,0,1,-
BRDA:5,1,0,-
BRDA:5,1,1,-
end_of_record
""",
    )
    result = load_lcov(report, tmp_path)
    (file,) = result.files
    assert file.path == "pkg/mod.py"
    assert result.branch_measured is True
    # BRDA 5: (0,0) taken 2, (0,1) "0" + "-" = not taken, (1,0) and (1,1) never ran.
    assert file.numbers == Numbers(7, 2, 4, 3)
    assert file.missing_lines == (7, 11)
    assert file.missing_arcs == ((5, 0), (5, 0), (5, 0))
    regions = {r.name: r for r in file.regions}
    assert set(regions) == {MODULE_REGION, "first", "second"}
    assert regions["first"].numbers == Numbers(3, 1, 4, 3)
    assert regions["second"].numbers == Numbers(1, 1, 0, 0)
    assert regions[MODULE_REGION].statement_lines == (1, 4, 10)
    assert file.regions_note is None


def test_hit_counts_add_up_over_records(tmp_path: Path) -> None:
    """A line missed in one record and hit in another is covered; a taken branch stays taken."""
    report = _write(
        tmp_path / "lcov.info",
        "SF:a.py\nDA:1,0\nBRDA:1,0,0,-\nBRDA:1,0,1,0\nend_of_record\n"
        "SF:a.py\nDA:1,3\nBRDA:1,0,0,1\nBRDA:1,0,1,0\nend_of_record\n",
    )
    (file,) = load_lcov(report, tmp_path).files
    assert file.numbers == Numbers(1, 0, 2, 1)


def test_unusable_file_name(tmp_path: Path) -> None:
    """A file name the OS cannot look up is simply a file whose source is not found."""
    report = _write(tmp_path / "lcov.info", "SF:a\0b.py\nDA:1,1\nend_of_record\n")
    (file,) = load_lcov(report, tmp_path).files
    assert file.path == "a\0b.py"
    assert file.regions_note == "functions unknown: source not found at a\0b.py"


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark before the first record is not part of it."""
    report = tmp_path / "lcov.info"
    report.write_bytes(b"\xef\xbb\xbfSF:a.py\nDA:1,1\nend_of_record\n")
    assert [f.path for f in load_lcov(report, tmp_path).files] == ["a.py"]


def test_classic_fn_without_source_is_one_region(tmp_path: Path) -> None:
    """FN:line,name gives no end line, so without source the file is one region."""
    report = _write(
        tmp_path / "lcov.info",
        "SF:gone.py\nFN:3,f\nFNDA:1,f\nDA:3,1\nDA:4,0\nend_of_record\n",
    )
    (file,) = load_lcov(report, tmp_path).files
    assert file.regions == (Region(MODULE_REGION, 1, 4, Numbers(2, 1, 0, 0), (3, 4), (4,), ()),)
    assert file.regions_note == "functions unknown: source not found at gone.py"
    assert load_lcov(report, tmp_path).branch_measured is False


def test_lcov_2_function_records_without_source(tmp_path: Path) -> None:
    """lcov 2.2's FNL/FNA records give ranges too; a repeated name gets "@start"."""
    report = _write(
        tmp_path / "lcov.info",
        "SF:gone.py\n"
        "FNL:0,1,3\nFNA:0,1,f\nFNL:1,5,6\nFNA:1,0,f\n"
        "DA:1,1\nDA:2,1\nDA:3,1\nDA:5,1\nDA:6,0\nend_of_record\n",
    )
    (file,) = load_lcov(report, tmp_path).files
    regions = {r.name: r.statement_lines for r in file.regions}
    assert regions == {MODULE_REGION: (1, 5), "f": (2, 3), "f@5": (6,)}


@pytest.mark.parametrize(
    ("sf", "expected"),
    [
        pytest.param("pkg/mod.py", "pkg/mod.py", id="relative"),
        pytest.param("{project}/pkg/mod.py", "pkg/mod.py", id="absolute-inside"),
        pytest.param("./pkg/../pkg/mod.py", "pkg/mod.py", id="dotted"),
        pytest.param("{outside}/mod.py", "{outside}/mod.py", id="absolute-outside"),
    ],
)
def test_paths(tmp_path: Path, sf: str, expected: str) -> None:
    """SF paths are read from the project folder and shown relative to it when inside."""
    project = tmp_path / "project"
    outside = tmp_path / "outside"
    _write(project / "pkg" / "mod.py", SOURCE)
    _write(outside / "mod.py", SOURCE)
    fill = {"project": project.as_posix(), "outside": outside.as_posix()}
    report = _write(tmp_path / "lcov.info", f"SF:{sf.format(**fill)}\nDA:4,1\nend_of_record\n")
    (file,) = load_lcov(report, project).files
    assert file.path == expected.format(**fill)
    assert [r.name for r in file.regions] == [MODULE_REGION, "first", "second"]


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "no SF", id="empty"),
        pytest.param(b"TN:x\nend_of_record\n", "no SF", id="no-sf"),
        pytest.param(b'{"meta": {"format": 3}}\n', "no SF", id="json"),
        pytest.param(b'<?xml version="1.0" ?>\n<coverage/>\n', "not an LCOV record", id="xml"),
        pytest.param(b"\x89PNG\r\n\x1a\n\xff\xfe", "not UTF-8", id="binary"),
        pytest.param(b"DA:1,1\n", "line 1: DA record outside", id="da-before-sf"),
        pytest.param(b"SF:\n", "line 1: SF record with an empty", id="empty-sf"),
        pytest.param(b"SF:a.py\nDA:1\n", "line 2: DA record '1'", id="da-short"),
        pytest.param(b"SF:a.py\nDA:x,1\n", "line 2: DA line 'x' is not", id="da-line"),
        pytest.param(b"SF:a.py\nDA:0,1\n", "DA line 0 is out of range", id="da-line-0"),
        pytest.param(
            b"SF:a.py\nDA:99999999999999999999,1\n",
            "DA line 99999999999999999999 is out of range",
            id="da-line-past-any-code",
        ),
        pytest.param(
            b"SF:a.py\nFN:1,2147483648,f\n", "FN end line 2147483648 is out of range", id="fn-end"
        ),
        pytest.param(b"SF:a.py\nDA:1,-2\n", "DA hit count -2 is out", id="da-negative"),
        pytest.param(b"SF:a.py\nBRDA:1,0,1\n", "line 2: BRDA record", id="brda-short"),
        pytest.param(b"SF:a.py\nBRDA:1,0,1,many\n", "BRDA taken 'many'", id="brda-taken"),
        pytest.param(b"SF:a.py\nFN:f\n", "line 2: FN record 'f'", id="fn-no-line"),
        pytest.param(b"SF:a.py\nFN:9,3,f\n", "ends before it starts", id="fn-backwards"),
        pytest.param(b"SF:a.py\nFNA:0,1,f\n", "after its FNL", id="fna-without-fnl"),
        pytest.param(b"SF:a.py\nFNL:0\n", "FNL:index,start", id="fnl-short"),
        pytest.param(b"SF:a.py\nFNL:0,5,2\n", "ends before it starts", id="fnl-backwards"),
    ],
)
def test_bad_tracefile(tmp_path: Path, content: bytes, message: str) -> None:
    """A file that is not a usable LCOV tracefile is a one-line DataError naming the file."""
    report = tmp_path / "lcov.info"
    report.write_bytes(content)
    with pytest.raises(DataError, match=message) as caught:
        load_lcov(report, tmp_path)
    assert caught.value.path == str(report)
    assert "\n" not in caught.value.message
