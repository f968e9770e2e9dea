"""Tests for the deltas between snapshots: hand-made cases, the identity on random snapshots,
and a scripted history of a real project in a real git repository, measured for real."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import covgap.api
import covgap.config
from covgap.analyze.deltas import Delta, UnitChange, explain, explain_history
from covgap.collect.suite.junit import read_junit
from covgap.model import FileCoverage, Numbers, SuiteHealth
from covgap.store.history import (
    FileRecord,
    HealthCounts,
    History,
    Snapshot,
    SnapshotInput,
    file_record,
)

# -- helpers -------------------------------------------------------------------------------


def record(
    path: str,
    source: str | None,
    statements: Iterable[int],
    missing: Iterable[int] = (),
    arcs: Iterable[tuple[int, int]] = (),
    branches: int = 0,
) -> FileRecord:
    statements, missing, arcs = tuple(statements), tuple(missing), tuple(arcs)
    numbers = Numbers(len(statements), len(missing), branches, len(arcs))
    coverage = FileCoverage(path, numbers, statements, missing, arcs)
    return file_record(coverage, None if source is None else source.encode())


def snapshot(
    number: int,
    *files: FileRecord,
    commit: str | None = None,
    dirty: bool = False,
    health: HealthCounts | None = None,
) -> Snapshot:
    total = Numbers()
    for file in files:
        total = total + file.numbers
    return Snapshot(
        id=number,
        commit=commit,
        branch="main",
        dirty=dirty,
        recorded_at="2026-01-01T00:00:00Z",
        covgap_version="0",
        input_kind="coverage-data",
        branch_measured=True,
        totals=total,
        files={file.path: file for file in files},
        health=health,
    )


def assert_identity(delta: Delta) -> None:
    """The explained parts add up to the change in total and in covered units, exactly."""
    before, after = delta.before, delta.after
    assert delta.statements.total_change == after.statements - before.statements
    assert delta.statements.covered_change == after.covered_statements - before.covered_statements
    assert delta.branches.total_change == after.branches - before.branches
    assert delta.branches.covered_change == after.covered_branches - before.covered_branches
    assert delta.statements.missing_change == after.missing_statements - before.missing_statements
    assert sum(f.impact for f in delta.files) == delta.points
    for file in delta.files:
        was, now = file.before or Numbers(), file.after or Numbers()
        assert file.units.total_change == now.units - was.units
        assert file.units.covered_change == now.covered_units - was.covered_units
        for part in (file.statements, file.branches):
            assert min(vars(part).values()) >= 0


SHOP = "def total(items):\n    s = 0\n    for i in items:\n        s += i\n    return s\n"

# -- hand-made cases -------------------------------------------------------------------------


def test_an_unchanged_file_that_lost_coverage() -> None:
    a = snapshot(1, record("shop.py", SHOP, (1, 2, 3, 4, 5), (), (), 2))
    b = snapshot(2, record("shop.py", SHOP, (1, 2, 3, 4, 5), (2, 3, 4, 5), ((3, 4), (3, 5)), 2))
    delta = explain(a, b)
    assert_identity(delta)
    assert delta.statements == UnitChange(lost=4)
    assert delta.branches == UnitChange(lost=2)
    (file,) = delta.files
    assert (file.status, file.matched_by) == ("unchanged", "text")
    assert delta.points == Fraction(-600, 7)
    assert delta.flagged
    assert delta.text == (
        "-85.7 points: 4 statements lost coverage in shop.py, "
        "2 branches lost coverage in shop.py [drop of more than 5 points]"
    )
    back = explain(b, a)
    assert back.statements == UnitChange(gained=4) and back.branches == UnitChange(gained=2)
    assert not back.flagged


def test_statements_are_followed_when_code_moves() -> None:
    """Untested code inserted above: the moved statements keep their identity."""
    a = snapshot(1, record("shop.py", SHOP, (1, 2, 3, 4, 5), (4,), ((3, 4),), 2))
    moved = "def refund(x):\n    return -x\n\n\n" + SHOP
    b = snapshot(2, record("shop.py", moved, (1, 2, 5, 6, 7, 8, 9), (2, 8), ((7, 8),), 2))
    delta = explain(a, b)
    assert_identity(delta)
    assert delta.statements == UnitChange(covered_added=1, uncovered_added=1)
    assert delta.branches == UnitChange()  # (3, 4) is (7, 8): still missing
    assert delta.files[0].status == "changed"
    assert delta.text.endswith(
        ": 1 covered statement added in shop.py, 1 uncovered statement added in shop.py"
    )


def test_removed_code_and_new_arcs_in_a_changed_file() -> None:
    source_a = "def f(x):\n    if x:\n        return 1\n    return 2\n\n\ndef g():\n    pass\n"
    a = snapshot(1, record("m.py", source_a, (1, 2, 3, 4, 7, 8), (8,), ((2, 3),), 2))
    source_b = (
        "def f(x):\n    if x:\n        return 1\n    while x:\n        x -= 1\n    return 2\n"
    )
    b = snapshot(2, record("m.py", source_b, (1, 2, 3, 4, 5, 6), (5,), ((4, 5),), 4))
    delta = explain(a, b)
    assert_identity(delta)
    # g went (def covered, pass missing); the loop came (while covered, body missing)
    assert delta.statements == UnitChange(
        covered_added=1, uncovered_added=1, covered_removed=1, uncovered_removed=1
    )
    # (2, 3) now covered; (4, 5) starts at a new statement: uncovered added; the other new
    # branch, covered, is the net: 4 - 2 - 1 + 0 = 1
    assert delta.branches == UnitChange(covered_added=1, uncovered_added=1, gained=1)


def test_files_added_and_removed() -> None:
    a = snapshot(1, record("old.py", "x = 1\ny = 2\n", (1, 2), (2,)))
    b = snapshot(2, record("new.py", "z = 3\n", (1,), (), ((1, -1),), 3))
    delta = explain(a, b)
    assert_identity(delta)
    assert delta.statements == UnitChange(covered_added=1, covered_removed=1, uncovered_removed=1)
    assert delta.branches == UnitChange(covered_added=2, uncovered_added=1)
    assert {f.path: f.status for f in delta.files} == {"old.py": "removed", "new.py": "added"}
    assert all(f.matched_by == "none" for f in delta.files)


def test_without_sources_statements_are_matched_by_line() -> None:
    a = snapshot(1, record("m.py", None, (1, 2, 3), (3,)))
    b = snapshot(2, record("m.py", None, (1, 2, 4), (2,)))
    delta = explain(a, b)
    assert_identity(delta)
    assert delta.statements == UnitChange(covered_added=1, uncovered_removed=1, lost=1)
    assert delta.files[0].matched_by == "line"


def test_line_data_that_disagrees_with_the_numbers_is_explained_from_the_numbers() -> None:
    good = record("m.py", "a\nb\nc\n", (1, 2, 3), (3,))
    bad = FileRecord("m.py", Numbers(5, 1, 0, 0), (1, 2, 3), (3,))
    delta = explain(snapshot(1, good), snapshot(2, bad))
    assert_identity(delta)
    assert delta.statements == UnitChange(covered_added=2)
    assert delta.files[0].matched_by == "numbers"


def test_threshold() -> None:
    def percent(covered: int) -> Snapshot:
        missing = tuple(range(covered + 1, 101))
        return snapshot(covered, record("m.py", None, range(1, 101), missing))

    assert explain(percent(90), percent(85)).points == -5
    assert not explain(percent(90), percent(85)).flagged  # a drop of exactly 5 is not "more"
    assert explain(percent(90), percent(84)).flagged
    assert not explain(percent(90), percent(84), threshold=6).flagged
    assert explain(percent(90), percent(89), threshold=0.5).flagged
    assert not explain(percent(84), percent(90)).flagged  # a rise is never flagged


def test_nothing_left_to_cover_and_nothing_changed() -> None:
    a = snapshot(1, record("a.py", None, (1, 2), (2,)), record("b.py", None, (1, 2, 3, 4), (1,)))
    b = snapshot(2)
    delta = explain(a, b)
    assert_identity(delta)
    assert delta.points == Fraction(100, 3)
    same = explain(a, a)
    assert same.files == () and same.points == 0
    assert same.text == "+0.0 points: no change in statements or branches"
    assert explain_history([]) == () and explain_history([a]) == ()
    assert [d.after_id for d in explain_history([a, b, a])] == [2, 1]


def test_text_names_the_file_that_counts_most() -> None:
    a = snapshot(1, record("util.py", "x\ny\nz\n", (1, 2, 3)))
    b = snapshot(
        2,
        record("util.py", "x\ny\nz\n", (1, 2, 3), (1, 2)),
        record("orders.py", "a\nb\nc\nd\n", (1, 2, 3, 4)),
        record("payments.py", "e\nf\n", (1, 2), (1,)),
        record("refunds.py", "g\nh\n", (1, 2), (1, 2)),
    )
    delta = explain(a, b)
    assert_identity(delta)
    assert delta.text == (
        "-45.5 points: 5 covered statements added (4 in orders.py), "
        "3 uncovered statements added (2 in refunds.py); "
        "2 statements lost coverage in util.py [drop of more than 5 points]"
    )
    # impact: covered code added at 100% changes nothing; refunds.py and util.py each cost
    # 2 of the 11 units
    assert [f.path for f in delta.files] == ["refunds.py", "util.py", "payments.py", "orders.py"]
    assert [f.impact for f in delta.files] == [Fraction(-200, 11)] * 2 + [-Fraction(100, 11), 0]


#: A module whose line 1 is its docstring: its exits (arcs to -1) end at no statement.
MODULE = (
    '"""Prices."""\n'  # 1
    "import sys\n"  # 2
    "\n"
    "\n"
    "def price(x):\n"  # 5
    "    if x:\n"  # 6
    "        return 1\n"  # 7
    "    return 2\n"  # 8
    "\n"
    "\n"
    "if sys.version_info >= (3,):\n"  # 11: never false, so 11 -> -1 is missing
    "    MODE = 3\n"  # 12
)


def module_record(source: str, offset: int, missing_arcs: Iterable[tuple[int, int]]) -> FileRecord:
    """MODULE's record (its lines shifted by ``offset``), ``price`` tested with x true."""
    statements = [line + offset for line in (2, 5, 6, 7, 8, 11, 12)]
    return record("prices.py", source, statements, (8 + offset,), missing_arcs, 4)


def test_equal_data_of_the_same_code_is_no_change() -> None:
    """A missing exit from the module (to line -1, a docstring) is the same arc in both runs:
    not an uncovered branch removed and another added."""
    before = module_record(MODULE, 0, ((6, 8), (11, -1)))
    after = module_record(MODULE, 0, ((6, 8), (11, -1)))
    delta = explain(snapshot(1, before), snapshot(2, after))
    assert delta.files == ()
    assert delta.text == "+0.0 points: no change in statements or branches"


def test_a_module_exit_is_followed_when_code_moves() -> None:
    """Lines inserted above: the module's exit is still -1, and the same arc."""
    before = module_record(MODULE, 0, ((6, 8), (11, -1)))
    moved = MODULE.replace("import sys\n", "import sys\nimport os\n")
    after = record("prices.py", moved, (2, 3, 6, 7, 8, 9, 12, 13), (9,), ((7, 9), (12, -1)), 4)
    delta = explain(snapshot(1, before), snapshot(2, after))
    assert_identity(delta)
    assert delta.statements == UnitChange(covered_added=1)
    assert delta.branches == UnitChange()


def test_two_exits_that_become_one_are_one_branch_removed() -> None:
    """A function on line 1 whose exit (-1, then -2 once a line moved it) and the module's exit
    (-1) carry over to one arc in B: one uncovered branch kept, one removed; nothing covered was
    removed (hypothesis found it)."""
    before = record("a.py", "pass\npass\n", (2,), (), ((2, -2), (2, -1)), 2)
    after = record("a.py", "pass\n", (1,), (), ((1, -1),), 1)
    for delta in (explain(snapshot(1, before), snapshot(2, after)),
                  explain(snapshot(2, after), snapshot(1, before))):  # fmt: skip
        assert_identity(delta)
    back = explain(snapshot(2, before), snapshot(1, after))
    assert back.branches == UnitChange(uncovered_removed=1)


def test_an_unchanged_file_whose_module_exit_was_covered_in_one_run() -> None:
    """In a file whose content did not change, a branch that varies is lost or gained, on its
    line; never code added or removed."""
    before = module_record(MODULE, 0, ((6, 8), (11, -1)))
    after = record("prices.py", MODULE, (2, 5, 6, 7, 8, 11, 12), (), ((6, 8),), 4)
    delta = explain(snapshot(1, before), snapshot(2, after))
    assert_identity(delta)
    assert delta.statements == UnitChange(gained=1)
    assert delta.branches == UnitChange(gained=1)
    assert delta.files[0].gained_lines == (8, 11)
    assert delta.files[0].lost_lines == ()


SAME_COMMIT = "c0ffee" * 6 + "abcd"


@pytest.mark.parametrize(
    ("before", "after", "same"),
    [
        pytest.param({"commit": SAME_COMMIT}, {"commit": SAME_COMMIT}, True, id="same commit"),
        pytest.param({"commit": SAME_COMMIT}, {"commit": "f" * 40}, False, id="other commit"),
        pytest.param({}, {}, False, id="no git"),
        # uncommitted changes: the work trees may differ
        pytest.param(
            {"commit": SAME_COMMIT}, {"commit": SAME_COMMIT, "dirty": True}, False, id="dirty"
        ),
        # a test added (untracked, so the tree looks clean): the suite is not the same
        pytest.param(
            {"commit": SAME_COMMIT, "health": HealthCounts(passed=4)},
            {"commit": SAME_COMMIT, "health": HealthCounts(passed=5)},
            False,
            id="more tests",
        ),
        # a flaky test: it failed in one run; the same tests ran
        pytest.param(
            {"commit": SAME_COMMIT, "health": HealthCounts(passed=4)},
            {"commit": SAME_COMMIT, "health": HealthCounts(passed=3, failed=1)},
            True,
            id="a test failed",
        ),
    ],
)
def test_coverage_that_varied_between_runs_of_the_same_code(
    before: dict[str, Any], after: dict[str, Any], same: bool
) -> None:
    """Two runs of the same commit with clean trees: what gained or lost coverage is the
    suite's variation, said so with its lines; otherwise it is coverage gained and lost."""
    a = snapshot(1, module_record(MODULE, 0, ((6, 8), (11, -1))), **before)
    b = snapshot(
        2, record("prices.py", MODULE, (2, 5, 6, 7, 8, 11, 12), (7,), ((6, 7),), 4), **after
    )
    delta = explain(a, b)
    assert_identity(delta)
    assert delta.same_code is same
    assert delta.statements == UnitChange(gained=1, lost=1)
    assert delta.branches == UnitChange(gained=2, lost=1)
    (file,) = delta.files
    assert (file.lost_lines, file.gained_lines) == ((6, 7), (6, 8, 11))
    if same:
        assert delta.text == (
            "+9.1 points: coverage varied between runs of the same code: "
            "1 statement lost coverage, 1 statement gained coverage, "
            "1 branch lost coverage, 2 branches gained coverage; lines prices.py 6-8, 11"
        )
    else:
        assert "varied" not in delta.text and "added" not in delta.text
        assert delta.text.endswith(
            "1 statement lost coverage in prices.py, "
            "1 statement gained coverage in prices.py, 1 branch lost coverage in prices.py, "
            "2 branches gained coverage in prices.py"
        )


def test_a_file_measured_in_one_run_of_the_same_code() -> None:
    """A file in one snapshot of the same code is told as measured in one run, not as code
    added or removed."""
    prices = module_record(MODULE, 0, ((6, 8), (11, -1)))
    extra = record("extra.py", "x = 1\n", (1,))
    a = snapshot(1, prices, commit=SAME_COMMIT)
    b = snapshot(2, prices, extra, commit=SAME_COMMIT)
    assert explain(a, b).text == (
        "+2.3 points: coverage varied between runs of the same code: "
        "extra.py measured in the later run only"
    )
    assert explain(b, a).text.endswith("extra.py measured in the earlier run only")


# -- the identity on random snapshots ----------------------------------------------------------

TEXTS = ("x = 1", "return x", "pass", "if a:", "y = f(x)", "return None", "", "else:")


@st.composite
def sources(draw: st.DrawFn) -> bytes:
    texts = draw(st.lists(st.sampled_from(TEXTS), max_size=12))
    return "".join(f"    {text}\n" for text in texts).encode()


@st.composite
def versions(draw: st.DrawFn, path: str, like: bytes | None = None) -> tuple[FileRecord, bytes]:
    """A random version of a file, and its source; ``like``: maybe that source again."""
    source = like if like is not None and draw(st.booleans()) else draw(sources())
    lines = len(source.splitlines())
    statements = sorted(draw(st.sets(st.integers(1, lines)))) if lines else []
    missing = sorted(draw(st.sets(st.sampled_from(statements)))) if statements else []
    arcs: list[tuple[int, int]] = []
    if statements:
        ends = st.sampled_from([*statements, *(-s for s in statements), 0, -1])
        arcs = sorted(draw(st.sets(st.tuples(st.sampled_from(statements), ends), max_size=5)))
    branches = len(arcs) + draw(st.integers(0, 4))
    numbers = Numbers(len(statements), len(missing), branches, len(arcs))
    if draw(st.integers(0, 9)) == 0:  # line data that disagrees with the numbers
        numbers = replace(numbers, statements=numbers.statements + draw(st.integers(1, 3)))
    if draw(st.integers(0, 9)) == 0:  # missing arcs that disagree with the numbers
        extra = draw(st.integers(1, 3))
        numbers = replace(
            numbers, branches=numbers.branches + extra, missing_branches=len(arcs) + extra
        )
    readable = draw(st.integers(0, 5)) > 0
    coverage = FileCoverage(path, numbers, tuple(statements), tuple(missing), tuple(arcs))
    return file_record(coverage, source if readable else None), source


@st.composite
def snapshot_pairs(draw: st.DrawFn) -> tuple[Snapshot, Snapshot]:
    before: list[FileRecord] = []
    after: list[FileRecord] = []
    for path in ("a.py", "b.py", "c.py"):
        source = None
        if draw(st.integers(0, 3)):
            was, source = draw(versions(path))
            before.append(was)
        if draw(st.integers(0, 3)):
            after.append(draw(versions(path, source))[0])
    return snapshot(1, *before), snapshot(2, *after)


@settings(max_examples=400, deadline=None)
@given(snapshot_pairs(), st.integers(0, 20))
def test_the_explained_parts_add_up_exactly(
    pair: tuple[Snapshot, Snapshot], threshold: int
) -> None:
    before, after = pair
    delta = explain(before, after, threshold)
    assert_identity(delta)
    assert delta.flagged == (delta.points < -threshold)
    assert delta.statements == sum((f.statements for f in delta.files), UnitChange())
    for file in delta.files:
        if file.status == "unchanged" and file.matched_by == "text":
            # code that did not change is never added or removed, in statements, nor in
            # branches when they were counted alike (the same content has the same branches)
            assert not file.statements.code_changed
            assert file.before is not None and file.after is not None
            if file.before.branches == file.after.branches:
                assert not file.branches.code_changed
    back = explain(after, before)
    assert_identity(back)
    # matching by line is symmetric (difflib's matching of repeated texts need not be)
    back_files = {f.path: f for f in back.files}
    for file in delta.files:
        if file.matched_by == "line" or (file.status == "unchanged" and file.matched_by == "text"):
            assert back_files[file.path].statements.gained == file.statements.lost


# -- a scripted history: a real project, measured for real, in a real git repository ----------

ORDERS_1 = """\
def total(items):
    result = 0
    for item in items:
        result += item
    return result


def discount(amount, rate):
    if rate > 0.5:
        raise ValueError("rate too high")
    return amount * (1 - rate)
"""

REFUND = """

def refund(amount):
    return -amount
"""

PAYMENTS = """\
def charge(amount):
    if amount <= 0:
        raise ValueError("nothing to charge")
    return amount
"""

TESTS_1 = """\
from pkg.orders import discount, total


def test_total():
    assert total([1, 2]) == 3


def test_discount():
    assert discount(100, 0.5) == 50
"""

TESTS_3 = """\
from pkg.orders import discount


def test_discount():
    assert discount(100, 0.5) == 50
"""

TESTS_4 = """\
from pkg.orders import discount, refund
from pkg.payments import charge


def test_discount():
    assert discount(100, 0.5) == 50


def test_refund():
    assert refund(5) == -5


def test_charge():
    assert charge(3) == 3
"""


COVERAGE_RUN = (sys.executable, "-m", "coverage", "run", "--branch", "-m", "pytest", "-q")


class Project:
    """A small project in a git repository: written, committed, measured, recorded."""

    def __init__(self, root: Path, history: History) -> None:
        self.root = root
        self.history = history
        root.mkdir(exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.write(
            {
                ".gitignore": ".coverage\n.covgap/\njunit.xml\n",
                ".coveragerc": "[run]\nsource = pkg\n",
                "pkg/__init__.py": "",
            }
        )

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=self.root, capture_output=True, check=True)
        return done.stdout.decode().strip()

    def write(self, files: dict[str, str | None]) -> None:
        for path, text in files.items():
            target = self.root / path
            if text is None:
                target.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)

    def step(self, message: str, files: dict[str, str | None]) -> tuple[int, str]:
        """Change the files, commit, measure the suite under coverage and record a snapshot."""
        self.write(files)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        subprocess.run(
            [*COVERAGE_RUN, "-p", "no:cacheprovider", "--junitxml=junit.xml", "tests"],
            cwd=self.root,
            env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
            capture_output=True,
            check=True,
        )
        settings = covgap.config.load_settings(self.root, {}, environ={})
        project = covgap.api.load(self.root, settings)
        health = SuiteHealth(read_junit(self.root / "junit.xml"), (), "junit-xml")
        snapshot_id = self.history.record(SnapshotInput.measured(project, self.root, health))
        return snapshot_id, self.git("rev-parse", "HEAD")


@pytest.mark.slow
@pytest.mark.usefixtures("plain_git")
def test_a_scripted_history_is_explained(tmp_path: Path) -> None:
    with History(tmp_path / "project" / ".covgap" / "history.db") as history:
        project = Project(tmp_path / "project", history)
        # 1. measured: orders.py has 9 statements (def, result =, for, +=, return; def, if,
        #    raise, return), raise missing; 4 branches (for: into the loop and out; if: both
        #    ways), if → raise missing.
        first, sha = project.step(
            "orders", {"pkg/orders.py": ORDERS_1, "tests/test_orders.py": TESTS_1}
        )
        # 2. untested code: refund (its def runs at import, its return does not) and
        #    payments.py, never imported: 4 statements and 2 branches, all missing.
        second, _ = project.step(
            "untested code", {"pkg/orders.py": ORDERS_1 + REFUND, "pkg/payments.py": PAYMENTS}
        )
        # 3. tested code deleted: total (5 statements, 2 branches, all covered) and its test.
        orders_3 = ORDERS_1.split("\n\n\n", 1)[1] + REFUND
        third, _ = project.step(
            "no total", {"pkg/orders.py": orders_3, "tests/test_orders.py": TESTS_3}
        )
        # 4. covered more: refund's return, and charge's def, if and return (raise still
        #    missing); charge's if → return branch (if → raise still missing).
        fourth, _ = project.step("more tests", {"tests/test_orders.py": TESTS_4})
        # 5. a test removed: discount's if and return lose coverage, and its if → return
        #    branch; orders.py's content does not change.
        fifth, _ = project.step(
            "fewer tests",
            {
                "tests/test_orders.py": TESTS_4.replace(
                    "def test_discount():\n    assert discount(100, 0.5) == 50\n\n\n", ""
                )
            },
        )
        snapshots = [history.load(s.id) for s in history.snapshots()]

    assert [s.id for s in snapshots] == [first, second, third, fourth, fifth]
    assert (snapshots[0].commit, snapshots[0].branch, snapshots[0].dirty) == (sha, "main", False)
    assert snapshots[0].totals == Numbers(9, 1, 4, 1)
    assert snapshots[0].health is not None and snapshots[0].health.passed == 2
    assert snapshots[3].health is not None and snapshots[3].health.passed == 3
    assert [s.totals for s in snapshots] == [
        Numbers(9, 1, 4, 1),
        Numbers(15, 6, 6, 3),
        Numbers(10, 6, 4, 3),
        Numbers(10, 2, 4, 2),
        Numbers(10, 4, 4, 3),
    ]
    deltas = explain_history(snapshots)
    for delta in deltas:
        assert_identity(delta)

    added, deleted, covered, lost = deltas
    assert added.statements == UnitChange(covered_added=1, uncovered_added=5)
    assert added.branches == UnitChange(uncovered_added=2)
    assert {f.path: f.status for f in added.files} == {
        "pkg/payments.py": "added",
        "pkg/orders.py": "changed",
    }
    assert added.points == Fraction(12, 21) * 100 - Fraction(11, 13) * 100
    assert added.flagged
    assert added.text == (
        "-27.5 points: 1 covered statement added in pkg/orders.py, 5 uncovered statements "
        "added (4 in pkg/payments.py), 2 uncovered branches added in pkg/payments.py "
        "[drop of more than 5 points]"
    )

    assert deleted.statements == UnitChange(covered_removed=5)  # discount moved: still matched
    assert deleted.branches == UnitChange(covered_removed=2)
    assert deleted.points == Fraction(5, 14) * 100 - Fraction(12, 21) * 100
    assert deleted.text == (
        "-21.4 points: 5 covered statements removed in pkg/orders.py, "
        "2 covered branches removed in pkg/orders.py [drop of more than 5 points]"
    )

    assert covered.statements == UnitChange(gained=4)
    assert covered.branches == UnitChange(gained=1)
    assert {f.path: f.statements.gained for f in covered.files} == {
        "pkg/payments.py": 3,
        "pkg/orders.py": 1,
    }
    assert covered.text == (
        "+35.7 points: 4 statements gained coverage (3 in pkg/payments.py), "
        "1 branch gained coverage in pkg/payments.py"
    )

    assert lost.statements == UnitChange(lost=2)
    assert lost.branches == UnitChange(lost=1)
    (orders,) = lost.files
    assert (orders.path, orders.status, orders.matched_by) == ("pkg/orders.py", "unchanged", "text")
    assert lost.text == (
        "-21.4 points: 2 statements lost coverage in pkg/orders.py, "
        "1 branch lost coverage in pkg/orders.py [drop of more than 5 points]"
    )
