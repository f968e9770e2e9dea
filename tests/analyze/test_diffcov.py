"""Tests for diff coverage: a small project measured for real, changed on a git branch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from covgap.analyze.diffcov import DiffCoverage, diff_coverage
from covgap.api import load, measure_diff
from covgap.collect.git.diff_inputs import read_branch_exits, read_exclusions
from covgap.collect.git.git_diff import ChangedFile, Diff, read_diff
from covgap.config import load_settings
from covgap.model import FileCoverage, Numbers, ProjectCoverage, Region

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

BASE_CALC = """\
LIMIT = 10


def add(a, b):
    return a + b


def sign(x):
    if x > 0:
        return 1
    return -1
"""

#: calc.py on the feature branch; line 14 is changed again in the work tree (not committed).
FEATURE_CALC = """\
LIMIT = 10


def add(a, b):
    total = a + b
    return total


def sign(x):
    if x > 0:
        return 1
    if x == 0:
        return 0
    return -1


class Box:
    def clamp(self, x):
        if x > LIMIT:
            return LIMIT
        return x

    def double(self, x):
        \"\"\"Twice x.\"\"\"
        return x * 2


WIDTH = Box().clamp(3)
"""

BASE_TESTS = """\
from calc import add, sign


def test_add():
    assert add(1, 2) == 3


def test_sign():
    assert sign(5) == 1
"""

FEATURE_TESTS = (
    BASE_TESTS
    + """

def test_clamp():
    from calc import Box

    assert Box().clamp(5) == 5
"""
)


def git_environment(folder: Path) -> dict[str, str]:
    empty = folder / "empty.gitconfig"
    empty.write_text("")
    env = dict(os.environ)
    env.update(
        GIT_CONFIG_GLOBAL=str(empty),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Ada",
        GIT_AUTHOR_EMAIL="ada@example.com",
        GIT_COMMITTER_NAME="Ada",
        GIT_COMMITTER_EMAIL="ada@example.com",
    )
    return env


def run(folder: Path, env: dict[str, str], *command: str) -> None:
    subprocess.run(command, cwd=folder, env=env, capture_output=True, check=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A measured project (branch coverage) on branch feature, changed since main. Read-only.

    Changed since main: calc.py (committed, and line 14 in the work tree), tests/test_calc.py
    (omitted by [run] omit), extra.py (new, never imported), README.md.
    """
    root = tmp_path_factory.mktemp("diffcov") / "project"
    (root / "tests").mkdir(parents=True)
    env = git_environment(root.parent)
    (root / "calc.py").write_text(BASE_CALC)
    (root / "tests" / "test_calc.py").write_text(BASE_TESTS)
    (root / ".coveragerc").write_text("[run]\nbranch = True\nomit = tests/*\n")
    (root / "pytest.ini").write_text("[pytest]\n")
    run(root, env, "git", "init", "-q", "-b", "main")
    run(root, env, "git", "add", "-A")
    run(root, env, "git", "commit", "-q", "-m", "base")
    run(root, env, "git", "checkout", "-q", "-b", "feature")
    (root / "calc.py").write_text(FEATURE_CALC)
    (root / "tests" / "test_calc.py").write_text(FEATURE_TESTS)
    (root / "extra.py").write_text("def never():\n    return 1\n")
    (root / "README.md").write_text("# calc\n")
    run(root, env, "git", "add", "-A")
    run(root, env, "git", "commit", "-q", "-m", "feature")
    (root / "calc.py").write_text(FEATURE_CALC.replace("return -1", "return -2"))
    run(
        root,
        env,
        sys.executable,
        "-m",
        "coverage",
        "run",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
    )
    return root


@pytest.fixture(scope="module")
def result(project: Path) -> DiffCoverage:
    return measure_diff(project)


def by_path(result: DiffCoverage) -> dict[str, object]:
    return {f.path: f for f in result.files}


# -- lines, branches and functions ----------------------------------------------------------------


def test_changed_and_uncovered_statements(result: DiffCoverage) -> None:
    calc = result.files[0]
    assert calc.path == "calc.py"
    assert calc.measured
    assert not calc.added
    # 15-16, 22, 24 (a docstring), 26-27 changed but are not statements
    assert calc.changed_lines == tuple(n for n in range(5, 29) if n not in (7, 8, 9, 10, 11))
    assert calc.changed_statements == (5, 6, 12, 13, 14, 17, 18, 19, 20, 21, 23, 25, 28)
    assert calc.uncovered == (12, 13, 14, 20, 25)
    assert calc.uncovered_ranges == "12-14, 20, 25"
    assert result.uncovered_ranges() == (("calc.py", "12-14, 20, 25"),)


def test_changed_branches(result: DiffCoverage) -> None:
    calc = result.files[0]
    assert result.branch
    # line 12 (never ran: both exits missing) and line 19 (ran, one exit missing); line 10 is
    # a branch line too, with an exit missing, but it did not change
    assert calc.changed_branches == 4
    assert calc.uncovered_branches == ((12, 13), (12, 14), (19, 20))
    assert calc.partial == (19,)


def test_by_function(result: DiffCoverage) -> None:
    assert result.files[0].by_function == (
        ("sign", (12, 13, 14)),
        ("Box.clamp", (19, 20)),
        ("Box.double", (25,)),
    )


def test_percentages(result: DiffCoverage) -> None:
    assert (result.statements, result.uncovered_statements) == (13, 5)
    assert (result.branches, result.uncovered_branch_count) == (4, 3)
    assert result.ratio == Fraction(8, 13)
    assert result.percent == 100.0 * 8 / 13
    assert result.branch_ratio == Fraction(8 + 1, 13 + 4)
    assert result.branch_percent == 100.0 * 9 / 17
    assert result.files[0].percent == result.percent


def test_unmeasured_files_are_flagged_or_explained(result: DiffCoverage) -> None:
    files = by_path(result)
    assert set(files) == {"calc.py", "extra.py", "tests/test_calc.py"}  # README.md: not Python
    assert [f.path for f in result.not_measured] == ["extra.py"]
    extra = result.not_measured[0]
    assert (extra.measured, extra.added, extra.excluded) == (False, True, None)
    assert extra.changed_lines == (1, 2)
    assert [(f.path, f.excluded) for f in result.excluded_files] == [
        ("tests/test_calc.py", "matches [run] omit")
    ]
    # files that are not measured count in no total
    assert result.statements == len(result.files[0].changed_statements)


def test_line_mode(project: Path) -> None:
    settings = load_settings(project, {}, environ={})
    coverage = load(project, settings)
    lines = diff_coverage(coverage, read_diff(project), branch=False)
    assert not lines.branch
    assert lines.branch_percent is None and lines.branch_ratio is None
    assert lines.files[0].changed_branches == 0
    assert lines.files[0].partial == ()
    assert lines.percent == 100.0 * 8 / 13
    # without an exclusion reader, the omitted test file is flagged too
    assert [f.path for f in lines.not_measured] == ["extra.py", "tests/test_calc.py"]
    with pytest.raises(ValueError, match="exits"):
        diff_coverage(coverage, read_diff(project), branch=True)


def test_committed_changes_only(project: Path) -> None:
    committed = measure_diff(project, "main", include_uncommitted=False)
    calc = committed.files[0]
    # line 14 changed in the work tree only: coverage measured it, the diff does not have it
    assert 14 not in calc.changed_statements
    assert calc.uncovered == (12, 13, 20, 25)


def test_nothing_changed_is_100_percent(project: Path) -> None:
    nothing = measure_diff(project, "HEAD", include_uncommitted=False)
    assert nothing.files == ()
    assert (nothing.percent, nothing.ratio, nothing.branch_percent) == (100.0, 1, 100.0)


def test_branch_exits(project: Path) -> None:
    assert read_branch_exits(project, ["calc.py", "missing.py"]) == {
        "calc.py": {10: 2, 12: 2, 19: 2},
        "missing.py": {},
    }


# -- against diff-cover ---------------------------------------------------------------------------


def diff_cover_report(project: Path, tmp_path: Path, *options: str) -> dict[str, object]:
    pytest.importorskip("diff_cover", reason="diff-cover is not installed (pip install diff-cover)")
    xml = tmp_path / "coverage.xml"
    output = tmp_path / "diff-cover.json"
    env = git_environment(tmp_path)
    run(project, env, sys.executable, "-m", "coverage", "xml", "-q", "-o", str(xml))
    run(
        project,
        env,
        sys.executable,
        "-m",
        "diff_cover.diff_cover_tool",
        str(xml),
        "--compare-branch=main",
        f"--format=json:{output}",
        "--total-percent-float",
        "-q",
        *options,
    )
    report: dict[str, object] = json.loads(output.read_text())
    return report


def test_same_as_diff_cover(project: Path, result: DiffCoverage, tmp_path: Path) -> None:
    report = diff_cover_report(project, tmp_path)
    stats = report["src_stats"]
    assert isinstance(stats, dict)
    with_statements = [f for f in result.files if f.changed_statements]
    assert sorted(stats) == [f.path for f in with_statements]
    for file in with_statements:
        theirs = stats[file.path]
        assert tuple(theirs["violation_lines"]) == file.uncovered
        assert tuple(sorted(theirs["violation_lines"] + theirs["covered_lines"])) == (
            file.changed_statements
        )
        assert theirs["percent_covered"] == pytest.approx(file.percent, abs=1e-9)
    assert report["total_num_lines"] == result.statements
    assert report["total_num_violations"] == result.uncovered_statements
    assert report["total_percent_covered"] == round(float(result.ratio * 100), 2)


def test_same_as_diff_cover_branch_coverage(
    project: Path, result: DiffCoverage, tmp_path: Path
) -> None:
    """diff-cover --branch-coverage: a violation is an uncovered or a partial line."""
    report = diff_cover_report(project, tmp_path, "--branch-coverage")
    stats = report["src_stats"]
    assert isinstance(stats, dict)
    calc = result.files[0]
    assert tuple(stats["calc.py"]["violation_lines"]) == tuple(
        sorted({*calc.uncovered, *calc.partial})
    )


# -- the exclusions of coverage's configuration ----------------------------------------------------


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            "[run]\nsource = pkg\n",
            {
                "pkg/mod.py": None,
                "tests/test_mod.py": "outside [run] source",
                "setup.py": "outside [run] source",
            },
        ),
        (
            "[run]\nsource_pkgs = pkg.sub\n",
            {
                "pkg/sub/deep.py": None,
                "src/pkg/sub/x.py": None,
                "pkg/mod.py": "outside [run] source",
            },
        ),
        (
            "[run]\ninclude = pkg/*\nomit = */generated/*\n",
            {
                "pkg/mod.py": None,
                "pkg/generated/g.py": "matches [run] omit",
                "setup.py": "outside [run] include",
            },
        ),
        (
            "[report]\nomit = pkg/vendor/*\ninclude = pkg/*\n",
            {
                "pkg/vendor/v.py": "matches [report] omit",
                "other.py": "outside [report] include",
                "pkg/mod.py": None,
            },
        ),
        ("", {"anything.py": None}),
    ],
)
def test_read_exclusions(tmp_path: Path, config: str, expected: dict[str, str | None]) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / ".coveragerc").write_text(config)
    why = read_exclusions(tmp_path)
    assert {path: why(path) for path in expected} == expected


# -- the numbers, from any diff over any coverage -------------------------------------------------


def synthetic_file(path: str, statements: set[int], missing: set[int]) -> FileCoverage:
    numbers = Numbers(len(statements), len(missing))
    region = Region(
        "",
        1,
        max(statements, default=1),
        numbers,
        tuple(sorted(statements)),
        tuple(sorted(missing)),
    )
    return FileCoverage(
        path=path,
        numbers=numbers,
        statement_lines=tuple(sorted(statements)),
        missing_lines=tuple(sorted(missing)),
        regions=(region,),
    )


files_strategy = st.lists(
    st.tuples(
        st.sets(st.integers(1, 40)),
        st.sets(st.integers(1, 40)),
        st.sets(st.integers(1, 45)),
    ),
    min_size=1,
    max_size=4,
)


@given(files_strategy)
def test_percent_is_exactly_covered_over_changed(
    specs: list[tuple[set[int], set[int], set[int]]],
) -> None:
    coverage_files = []
    changed = []
    for index, (statements, missing_pick, added) in enumerate(specs):
        missing = statements & missing_pick
        path = f"m{index}.py"
        coverage_files.append(synthetic_file(path, statements, missing))
        changed.append(ChangedFile(path, tuple(sorted(added)), "modified"))
    project = ProjectCoverage(tuple(coverage_files), False, "coverage-data", ".coverage")
    diff = Diff("main", "0" * 40, "test", tuple(changed))

    result = diff_coverage(project, diff, branch=False)

    total = covered = 0
    for file, (statements, missing_pick, added) in zip(result.files, specs, strict=True):
        expected = tuple(sorted(statements & added))
        missing = tuple(sorted(statements & missing_pick & added))
        assert file.changed_statements == expected
        assert file.uncovered == missing
        assert file.ratio == (
            Fraction(len(expected) - len(missing), len(expected)) if expected else 1
        )
        if missing:
            assert file.by_function == (("(module level)", missing),)
        total += len(expected)
        covered += len(expected) - len(missing)
    assert result.ratio == (Fraction(covered, total) if total else 1)
    assert result.percent == ((100.0 * covered) / total if total else 100.0)


@pytest.mark.parametrize(
    ("statements", "missing", "added", "percent"),
    [
        ({1, 2, 3, 4}, {2}, {1, 2, 3, 4}, 75.0),
        ({1, 2, 3, 4}, {2}, {1, 3}, 100.0),
        ({1, 2, 3, 4}, {2}, {2}, 0.0),
        ({1, 2, 3}, set(), set(), 100.0),
        ({1, 2, 3}, {1, 2, 3}, {5, 6}, 100.0),  # changed lines that are not statements
        ({1, 2, 3}, {3}, {1, 2, 3}, 100.0 * 2 / 3),
    ],
)
def test_percent_table(
    statements: set[int], missing: set[int], added: set[int], percent: float
) -> None:
    project = ProjectCoverage(
        (synthetic_file("m.py", statements, missing),), False, "coverage-data", "x"
    )
    diff = Diff("main", "0" * 40, "test", (ChangedFile("m.py", tuple(sorted(added)), "added"),))
    result = diff_coverage(project, diff, branch=True)  # no branch data: line mode, with a note
    assert result.percent == percent
    assert result.files[0].added
    assert not result.branch
    assert result.notes and "no branch measurements" in result.notes[0]


@given(st.sets(st.integers(1, 30)), st.sets(st.integers(1, 30)), st.sets(st.integers(1, 30)))
def test_function_ranges_never_span_a_line_that_ran(
    statements: set[int], missing_pick: set[int], added: set[int]
) -> None:
    """A function's uncovered changed lines are written as ranges that join them only across
    lines that are not statements: never across a statement that ran or did not change."""
    missing = statements & missing_pick
    project = ProjectCoverage(
        (synthetic_file("m.py", statements, missing),), False, "coverage-data", "x"
    )
    diff = Diff("main", "0" * 40, "test", (ChangedFile("m.py", tuple(sorted(added)), "added"),))
    file = diff_coverage(project, diff, branch=False).files[0]
    for _, lines in file.by_function:
        shown: set[int] = set()
        for part in file.ranges(lines).split(", "):
            first, _, last = part.partition("-")
            span = set(range(int(first), int(last or first) + 1))
            assert not (span & statements) - set(lines), (part, lines)
            shown |= span & statements
        assert shown == set(lines)
