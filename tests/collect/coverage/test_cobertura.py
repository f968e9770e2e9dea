"""Tests for the Cobertura loader, against real ``coverage xml`` and ``coverage json`` output."""

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

from covgap.collect.coverage.cobertura import load_cobertura
from covgap.collect.coverage.coverage_data import LoadOptions
from covgap.collect.coverage.detect import detect_kind, load_project
from covgap.errors import DataError
from covgap.model import MODULE_REGION, FileCoverage, Numbers, ProjectCoverage, Region

#: The measured fixture project, shared with test_lcov.py: functions with branches, classes,
#: nesting, repeated names, pragmas, async code, a Latin-1 source and a module no test imports.
SHOP = Path(__file__).parents[2] / "fixtures" / "projects" / "shop"


#: The XML flavours ``coverage xml`` writes: report name -> (measured project, rcfile).
XML_FLAVOURS = {
    # relative_files = true: an empty <source>, filenames relative to the project.
    "relative.xml": ("relative", ".coveragerc"),
    # relative_files = true and source = src: <source>src</source>, filenames relative to it.
    "relative-root.xml": ("relative", "root.rc"),
    # source = src: the absolute src/ as <source>, filenames relative to it.
    "source-root.xml": ("absolute", "root.rc"),
    # No configuration: the absolute project folder as <source>, filenames relative to it.
    "project-root.xml": ("absolute", ".coveragerc"),
}
RCFILES = {
    "relative": {
        ".coveragerc": "[run]\nrelative_files = true\n",
        "root.rc": "[run]\nrelative_files = true\nsource = src\n",
    },
    "absolute": {".coveragerc": "", "root.rc": "[run]\nsource = src\n"},
}


def _write_project(project: Path, rcfiles: dict[str, str]) -> None:
    shutil.copytree(SHOP, project)
    for name, text in rcfiles.items():
        (project / name).write_text(text)


def _coverage_in_parallel(commands: list[tuple[Path, list[str]]]) -> None:
    """Run ``python -m coverage ARGS`` in each project at once; all must succeed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    env["PYTHONPATH"] = "src"
    running = [
        subprocess.Popen(
            [sys.executable, "-m", "coverage", *args],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for project, args in commands
    ]
    for process in running:
        output, _ = process.communicate()
        assert process.returncode == 0, output


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The fixture project measured (branch coverage) with absolute and with relative paths.

    Measured once for the module; each project has its XML reports and ``coverage json``.
    """
    projects = {kind: tmp_path_factory.mktemp(kind) / "shop" for kind in RCFILES}
    for kind, project in projects.items():
        _write_project(project, RCFILES[kind])
    run = ["run", "--branch", "--source=src", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    _coverage_in_parallel([(project, run) for project in projects.values()])
    reports = [
        (projects[kind], ["xml", f"--rcfile={rcfile}", "-o", name])
        for name, (kind, rcfile) in XML_FLAVOURS.items()
    ]
    reports += [(project, ["json", "-o", "coverage.json"]) for project in projects.values()]
    _coverage_in_parallel(reports)
    return projects


def _json_files(project: Path) -> dict[str, Any]:
    """The "files" section of ``coverage json``."""
    files: dict[str, Any] = json.loads((project / "coverage.json").read_text())["files"]
    return with_start_lines(files, project)


@pytest.fixture(scope="module")
def relative(measured: dict[str, Path]) -> Path:
    """The project measured with relative_files = true."""
    return measured["relative"]


@pytest.fixture(scope="module")
def json_files(relative: Path) -> dict[str, Any]:
    """The relative project's ``coverage json`` files."""
    return _json_files(relative)


def _counts(numbers: Numbers) -> tuple[int, int, int, int]:
    return (
        numbers.statements,
        numbers.missing_statements,
        numbers.branches,
        numbers.missing_branches,
    )


def _json_counts(summary: dict[str, int]) -> tuple[int, int, int, int]:
    return (
        summary["num_statements"],
        summary["missing_lines"],
        summary["num_branches"],
        summary["missing_branches"],
    )


def _json_arcs(arcs: list[list[int]]) -> tuple[tuple[int, int], ...]:
    """JSON's missing arcs with every exit as -1, the only exit the XML can name."""
    return tuple(sorted((a, -1 if b < 0 else b) for a, b in arcs))


def _mismatches(project: ProjectCoverage, json_files: dict[str, Any]) -> list[str]:
    """Every difference from ``coverage json``, per file and per function, as text."""
    problems: list[str] = []
    assert sorted(f.path for f in project.files) == sorted(json_files)
    for file in project.files:
        expected = json_files[file.path]
        if _counts(file.numbers) != _json_counts(expected["summary"]):
            problems.append(f"{file.path}: {_counts(file.numbers)}")
        regions = json_comparable({r.name: r for r in file.regions}, expected["functions"])
        if set(regions) != set(expected["functions"]):
            problems.append(f"{file.path}: names {sorted(regions)}")
            continue
        for name, region in regions.items():
            want = expected["functions"][name]
            got = (
                _counts(region.numbers),
                region.start_line,
                region.statement_lines,
                region.missing_lines,
                region.missing_arcs,
            )
            wanted = (
                _json_counts(want["summary"]),
                want["start_line"],
                tuple(sorted(want["executed_lines"] + want["missing_lines"])),
                tuple(want["missing_lines"]),
                _json_arcs(want["missing_branches"]),
            )
            if got != wanted:
                problems.append(f"{file.path}:{name!r}: {got} != {wanted}")
    return problems


# ---------------------------------------------------------------------------------------------
# Real coverage.py output
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("report", list(XML_FLAVOURS))
def test_equals_coverage_json_per_file_and_function(measured: dict[str, Path], report: str) -> None:
    """Every file's and function's counts, lines and missing arcs equal ``coverage json``'s."""
    measured_project = measured[XML_FLAVOURS[report][0]]
    project = load_cobertura(measured_project / report, measured_project)
    assert _mismatches(project, _json_files(measured_project)) == []
    # Not a vacuous comparison: the project is partly covered, with a missing function exit.
    logic = _file(project, "src/shop/logic.py")
    assert 0 < logic.numbers.missing_statements < logic.numbers.statements
    assert 0 < logic.numbers.missing_branches < logic.numbers.branches
    assert (38, -1) in logic.missing_arcs
    assert all(file.regions_note is None for file in project.files)


def test_project_fields(relative: Path, json_files: dict[str, Any]) -> None:
    """Kind, input path, branch flag and totals describe the report."""
    project = load_cobertura(relative / "relative.xml", relative)
    assert project.input_kind == "cobertura-xml"
    assert project.input_path == str(relative / "relative.xml")
    assert project.branch_measured is True
    assert project.coverage_precision == 0
    assert [f.path for f in project.files] == sorted(json_files)
    total = Numbers()
    for expected in json_files.values():
        total = total + Numbers(*_json_counts(expected["summary"]))
    assert project.totals == total


def test_regions_partition_each_file(relative: Path) -> None:
    """The regions of each file add up to the file, module-level region first."""
    for file in load_cobertura(relative / "relative.xml", relative).files:
        assert file.regions[0].name == MODULE_REGION
        total = Numbers()
        for region in file.regions:
            total = total + region.numbers
        assert total == file.numbers
        lines = sorted(line for region in file.regions for line in region.statement_lines)
        assert tuple(lines) == file.statement_lines


def test_known_names_and_bounds(relative: Path) -> None:
    """Methods, nested functions and repeats are named as coverage.py names them."""
    file = _file(load_cobertura(relative / "relative.xml", relative), "src/shop/logic.py")
    bounds = {r.name: (r.start_line, r.end_line) for r in file.regions}
    assert bounds["outer"] == (26, 34)
    assert bounds["outer.inner"] == (27, 30)
    assert bounds["Cart.total"] == (56, 57)
    assert bounds["factory.Local.get"] == (68, 69)
    assert bounds["one_liner"] == (95, 95)
    # The excluded first dup() has no statements, so the second keeps the plain name; of the
    # two helper() the first keeps it (coverage.py 7.17.3+) or the last (before).
    helpers = (
        {"helper": 74, "helper@78": 78} if JSON_KEEPS_REPEATS else {"helper@74": 74, "helper": 78}
    )
    assert {**helpers, "dup@82": 82, "dup": 86}.items() <= {
        name: start for name, (start, _end) in bounds.items()
    }.items()
    assert bounds[MODULE_REGION] == (
        1,
        len((SHOP / "src" / "shop" / "logic.py").read_text().splitlines()),
    )


def _file(project: ProjectCoverage, path: str) -> FileCoverage:
    return next(f for f in project.files if f.path == path)


def test_source_absent(relative: Path, json_files: dict[str, Any], tmp_path: Path) -> None:
    """Without the sources, each file is one module-level region with the file's numbers."""
    shutil.copy(relative / "relative.xml", tmp_path / "coverage.xml")
    project = load_cobertura(tmp_path / "coverage.xml", tmp_path)
    assert [f.path for f in project.files] == sorted(json_files)
    for file in project.files:
        assert _counts(file.numbers) == _json_counts(json_files[file.path]["summary"])
        (region,) = file.regions
        assert region.name == MODULE_REGION
        assert region.numbers == file.numbers
        assert region.start_line == 1
        assert region.end_line == max(file.statement_lines, default=1)
        assert file.regions_note == f"functions unknown: source not found at {file.path}"


def test_source_changed_since_measurement(relative: Path, tmp_path: Path) -> None:
    """A source shorter than the report is not trusted for regions."""
    shutil.copytree(relative / "src", tmp_path / "src")
    shutil.copy(relative / "relative.xml", tmp_path / "coverage.xml")
    (tmp_path / "src" / "shop" / "logic.py").write_text("x = 1\n")
    file = _file(load_cobertura(tmp_path / "coverage.xml", tmp_path), "src/shop/logic.py")
    assert [r.name for r in file.regions] == [MODULE_REGION]
    assert file.regions_note is not None
    assert "has 1 lines but the report has line" in file.regions_note


# ---------------------------------------------------------------------------------------------
# Cobertura from other tools
# ---------------------------------------------------------------------------------------------

OTHER_TOOL_SOURCE = """\
def first(x):
    if x:
        return 1
    return 2


class Thing:
    def method(self):
        return 3
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_other_tool_report(tmp_path: Path) -> None:
    """Several <class> per file are merged; method lines count; missing exits stay unknown."""
    project = tmp_path / "project"
    _write(project / "lib" / "mod.py", OTHER_TOOL_SOURCE)
    report = _write(
        tmp_path / "report.xml",
        f"""<?xml version="1.0" ?>
<coverage line-rate="0.5" branch-rate="0.5" version="1.9" timestamp="1">
  <sources>
    <source>{tmp_path / "elsewhere"}</source>
    <source>{project / "lib"}</source>
  </sources>
  <packages>
    <package name="lib">
      <classes>
        <class name="mod" filename="mod.py">
          <methods>
            <method name="first" signature="">
              <lines>
                <line number="2" hits="3" branch="true" condition-coverage="50% (1/2)"/>
              </lines>
            </method>
          </methods>
          <lines>
            <line number="1" hits="1"/>
            <line number="2" hits="3" branch="true" condition-coverage="50% (1/2)"/>
            <line number="3" hits="3"/>
            <line number="4" hits="0"/>
          </lines>
        </class>
        <class name="mod.Thing" filename="mod.py">
          <lines>
            <line number="7" hits="1"/>
            <line number="8" hits="1"/>
            <line number="9" hits="0"/>
          </lines>
        </class>
      </classes>
    </package>
  </packages>
</coverage>
""",
    )
    result = load_cobertura(report, project)
    (file,) = result.files
    assert file.path == "lib/mod.py"
    assert file.numbers == Numbers(7, 2, 2, 1)
    assert file.missing_arcs == ((2, 0),)
    regions = {r.name: r for r in file.regions}
    assert set(regions) == {MODULE_REGION, "first", "Thing.method"}
    assert regions["first"] == Region(
        "first", 1, 4, Numbers(3, 1, 2, 1), (2, 3, 4), (4,), ((2, 0),)
    )
    assert regions["Thing.method"].numbers == Numbers(1, 1, 0, 0)
    assert regions[MODULE_REGION].statement_lines == (1, 7, 8)
    assert result.branch_measured is True


@pytest.mark.parametrize(
    ("filename", "sources", "expected_path", "found"),
    [
        pytest.param("pkg/a.py", [], "pkg/a.py", True, id="project-relative"),
        pytest.param("a.py", ["pkg"], "pkg/a.py", True, id="relative-source-root"),
        pytest.param("a.py", ["missing", "pkg"], "pkg/a.py", True, id="second-source-root"),
        pytest.param("a.py", ["{project}/pkg"], "pkg/a.py", True, id="absolute-source-root"),
        pytest.param("gone.py", ["pkg"], "pkg/gone.py", False, id="not-found-named-by-root"),
        pytest.param("{outside}/b.py", [], "{outside}/b.py", True, id="outside-the-project"),
        pytest.param("pkg\\a.py", [], "pkg/a.py", True, id="windows-separators"),
    ],
)
def test_paths(
    tmp_path: Path, filename: str, sources: list[str], expected_path: str, found: bool
) -> None:
    """Files are looked for under each <source>, then the project; paths are project-relative."""
    project = tmp_path / "project"
    outside = tmp_path / "outside"
    _write(project / "pkg" / "a.py", "def f():\n    return 1\n")
    _write(outside / "b.py", "def f():\n    return 1\n")
    fill = {"project": project.as_posix(), "outside": outside.as_posix()}
    source_xml = "".join(f"<source>{s.format(**fill)}</source>" for s in sources)
    report = _write(
        tmp_path / "coverage.xml",
        f'<coverage><sources>{source_xml}</sources><packages><package name="p"><classes>'
        f'<class name="a" filename="{filename.format(**fill)}"><lines>'
        '<line number="1" hits="1"/><line number="2" hits="0"/>'
        "</lines></class></classes></package></packages></coverage>",
    )
    (file,) = load_cobertura(report, project).files
    assert file.path == expected_path.format(**fill)
    assert file.numbers == Numbers(2, 1, 0, 0)
    if found:
        assert [r.name for r in file.regions] == [MODULE_REGION, "f"]
        assert file.regions_note is None
    else:
        assert [r.name for r in file.regions] == [MODULE_REGION]
        assert file.regions_note == "functions unknown: source not found at pkg/gone.py"


def test_no_branch_data(tmp_path: Path) -> None:
    """A report without branch="true" lines is not branch-measured."""
    report = _write(
        tmp_path / "coverage.xml",
        '<coverage><packages><package><classes><class filename="x.py"><lines>'
        '<line number="1" hits="0"/></lines></class></classes></package></packages></coverage>',
    )
    result = load_cobertura(report, tmp_path)
    assert result.branch_measured is False
    assert result.files[0].numbers == Numbers(1, 1, 0, 0)
    assert result.files[0].regions_note == "functions unknown: source not found at x.py"


def test_non_python_file_is_not_parsed(tmp_path: Path) -> None:
    """A measured template (a plugin's file) keeps its numbers and gets one region."""
    _write(tmp_path / "page.html", "<p>{{ name }}</p>\n")
    report = _write(
        tmp_path / "coverage.xml",
        '<coverage><packages><package><classes><class filename="page.html"><lines>'
        '<line number="1" hits="1"/></lines></class></classes></package></packages></coverage>',
    )
    (file,) = load_cobertura(report, tmp_path).files
    assert file.regions_note == f"functions unknown: not a Python file at {tmp_path / 'page.html'}"


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

_LINES = '<coverage><packages><package><classes><class filename="x.py"><lines>{}</lines></class></classes></package></packages></coverage>'  # noqa: E501


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "not well-formed XML", id="empty"),
        pytest.param(b"<coverage><packages>", "not well-formed XML", id="truncated"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", "has NUL bytes", id="binary"),
        pytest.param("<coverage/>".encode("utf-16-le"), "has NUL bytes", id="utf-16-no-bom"),
        pytest.param(b"SF:x.py\nDA:1,1\nend_of_record\n", "not well-formed XML", id="lcov"),
        pytest.param(b"<report/>", "root element is <report>", id="wrong-root"),
        pytest.param(b"<coverage><packages/></coverage>", "lists no files", id="no-files"),
        pytest.param(
            b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;">]>\n<coverage>&lol2;</coverage>',
            "DOCTYPE or ENTITY",
            id="entity-expansion",
        ),
        pytest.param(
            '<?xml version="1.0" encoding="utf-16"?><coverage/>'.encode("utf-16"),
            "UTF-16 or UTF-32",
            id="utf-16",
        ),
        pytest.param(
            b'<coverage><packages><package><classes><class name="x"/>'
            b"</classes></package></packages></coverage>",
            "has no filename",
            id="class-without-filename",
        ),
        pytest.param(_LINES.format("<line hits='1'/>").encode(), "no 'number'", id="no-number"),
        pytest.param(
            _LINES.format("<line number='x' hits='1'/>").encode(), "not a whole", id="bad-number"
        ),
        pytest.param(
            _LINES.format("<line number='0' hits='1'/>").encode(), "out of range", id="line-0"
        ),
        pytest.param(
            _LINES.format("<line number='2147483648' hits='1'/>").encode(),
            "out of range",
            id="line-past-any-code",
        ),
        pytest.param(
            _LINES.format("<line number='3' hits='-1'/>").encode(), "out of range", id="neg-hits"
        ),
        pytest.param(
            _LINES.format("<line number='3' hits='1' branch='true'/>").encode(),
            "condition-coverage",
            id="branch-without-counts",
        ),
        pytest.param(
            _LINES.format(
                "<line number='3' hits='1' branch='true' condition-coverage='150% (3/2)'/>"
            ).encode(),
            "covers more than all",
            id="too-many-covered",
        ),
        pytest.param(
            _LINES.format(
                "<line number='3' hits='1' branch='true' condition-coverage='50% (1/2)' "
                "missing-branches='4,5'/>"
            ).encode(),
            "lists 2 destinations",
            id="too-many-missing",
        ),
        pytest.param(
            _LINES.format(
                "<line number='3' hits='1' branch='true' condition-coverage='50% (1/2)' "
                "missing-branches='later'/>"
            ).encode(),
            "not a line or 'exit'",
            id="bad-destination",
        ),
    ],
)
def test_bad_report(tmp_path: Path, content: bytes, message: str) -> None:
    """A report that is not usable Cobertura is a one-line DataError naming the file."""
    report = tmp_path / "coverage.xml"
    report.write_bytes(content)
    with pytest.raises(DataError, match=message) as caught:
        load_cobertura(report, tmp_path)
    assert caught.value.path == str(report)
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_a_wide_report_is_recognised_as_cobertura(tmp_path: Path, codec: str) -> None:
    """A Cobertura report in UTF-16 or UTF-32 is refused for its encoding, not as "not coverage
    data" (the message for a file of no known kind)."""
    report = tmp_path / "coverage.xml"
    report.write_bytes('<?xml version="1.0"?>\n<coverage/>\n'.encode(codec))
    assert detect_kind(report) == "cobertura-xml"
    with pytest.raises(DataError, match="UTF-16") as caught:
        load_project(LoadOptions(project_dir=tmp_path, data_file=report))
    assert caught.value.path == str(report)
