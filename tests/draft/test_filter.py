"""The filter, on real candidate modules run by real pytest under real coverage.py, in a copy."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from covgap.api import plan
from covgap.config import load_settings
from covgap.draft.filter import filter_candidates, make_check, missing_of
from covgap.draft.runner import Workspace
from covgap.draft.sandbox import Sandbox
from covgap.draft.targets import Selection, choose_targets
from covgap.model.draft import Candidate, DraftTarget

GOOD_A = """\
from textutil.text import grade


def test_grade_a():
    assert grade(95) == "A"
"""
SAME_A = GOOD_A.replace("test_grade_a", "test_grade_a_again")
WRONG = """\
from textutil.text import grade


def test_grade_b_wrong():
    assert grade(85) == "A"
"""
RAISES = """\
from textutil.text import camelize


def test_camelize_empty_lower():
    assert camelize("", False) == ""
"""
EXPECTS_BUG = """\
import pytest

from textutil.text import camelize


def test_camelize_empty_raises():
    with pytest.raises(IndexError):
        camelize("", upper=False)
"""
EXPECTS_OWN = """\
import pytest

from textutil.text import grade


def test_grade_negative():
    with pytest.raises(ValueError):
        grade(-1)
"""
FLAKY = """\
import random

from textutil.text import grade


def test_grade_sometimes():
    assert grade(75) == "C"
    assert random.random() < 0.5
"""
BROKEN = "def test_broken(:\n    pass\n"
NO_IMPORT = "from textutil.nothere import x\n\n\ndef test_x():\n    assert x\n"
HANGS = """\
import time

from textutil.text import grade


def test_grade_f_slowly():
    assert grade(10) == "F"
    time.sleep(60)
"""


def _setup(project: Path, tmp_path: Path) -> tuple[Workspace, dict[str, DraftTarget], object]:
    settings = load_settings(project, {})
    result = plan(project, settings)
    targets = {t.qualname: t for t in choose_targets(project, result, Selection(top=10))}
    sandbox = Sandbox(tmp_path / "sandbox", (), os.environ)
    workspace = Workspace(
        project,
        sandbox,
        sys.executable,
        ["src"],
        [f.path for f in result.project.files],
        branch=result.project.branch_measured,
    )
    workspace.copy()
    sandbox.sys_path = workspace.sys_path()
    return workspace, targets, missing_of(result.project)


def _by_name(tests):  # type: ignore[no-untyped-def]
    return {t.name: t for t in tests}


def test_every_status_from_real_runs(text_project: Path, tmp_path: Path) -> None:
    workspace, targets, missing = _setup(text_project, tmp_path)
    grade, camelize = targets["grade"], targets["camelize"]
    pairs = [
        (Candidate("e1", grade.key, GOOD_A), grade),
        (Candidate("e2", grade.key, SAME_A), grade),
        (Candidate("e1", grade.key, WRONG), grade),
        (Candidate("e1", camelize.key, RAISES), camelize),
        (Candidate("e1", camelize.key, EXPECTS_BUG), camelize),
        (Candidate("e1", grade.key, EXPECTS_OWN), grade),
        (Candidate("e1", grade.key, FLAKY), grade),
        (Candidate("e1", grade.key, BROKEN), grade),
        (Candidate("e1", grade.key, NO_IMPORT), grade),
    ]
    tests = _by_name(filter_candidates(workspace, pairs, missing, runs=5, timeout=60))

    kept = tests["test_grade_a"]
    assert kept.status == "kept" and (kept.runs, kept.passes) == (5, 5)
    assert dict(kept.new_lines)["src/textutil/text.py"] == (14, 16, 17)
    # the same lines again add nothing
    assert tests["test_grade_a_again"].status == "redundant"
    assert tests["test_grade_b_wrong"].status == "failed"
    assert tests["test_grade_b_wrong"].failure.startswith("AssertionError")
    # an input that raises from the project's code is a finding, with the call
    finding = tests["test_camelize_empty_lower"]
    assert finding.status == "finding"
    assert finding.failure.startswith("IndexError")
    assert finding.call == 'camelize("", False)'
    # expecting an IndexError camelize never raises itself is a finding too, not a kept test
    assert tests["test_camelize_empty_raises"].status == "finding"
    assert tests["test_camelize_empty_raises"].call == 'camelize("", upper=False)'
    # expecting the ValueError grade raises itself is a test of its behaviour
    assert tests["test_grade_negative"].status == "kept"
    assert dict(tests["test_grade_negative"].new_lines)["src/textutil/text.py"] == (15,)
    # seeded random: fails under some seeds of the 5 runs, passes under others
    flaky = tests["test_grade_sometimes"]
    assert flaky.status == "flaky" and 0 < flaky.passes < 5
    assert tests["test_broken"].status == "not-built"
    assert tests["test_broken"].failure.startswith("SyntaxError")
    assert tests["test_x"].status == "not-built"
    assert "nothere" in tests["test_x"].failure
    # the project itself was not touched
    assert not any(text_project.rglob("test_covgap_candidate_*"))
    assert not any(text_project.rglob("__pycache__"))


def test_a_hanging_test_is_cut_and_the_others_still_run(text_project: Path, tmp_path: Path) -> None:
    workspace, targets, missing = _setup(text_project, tmp_path)
    grade = targets["grade"]
    pairs = [(Candidate("e", grade.key, HANGS), grade), (Candidate("e", grade.key, GOOD_A), grade)]
    tests = _by_name(filter_candidates(workspace, pairs, missing, runs=1, timeout=8))
    assert tests["test_grade_f_slowly"].status == "failed"
    assert "did not finish" in tests["test_grade_f_slowly"].failure
    assert tests["test_grade_a"].status == "kept"


def test_the_check_engines_loop_on(text_project: Path, tmp_path: Path) -> None:
    workspace, targets, missing = _setup(text_project, tmp_path)
    check = make_check(workspace, missing, timeout=60)  # type: ignore[arg-type]
    grade = targets["grade"]
    wrong = check(grade, WRONG)
    assert wrong.built and not wrong.passed
    assert "AssertionError" in wrong.error and "grade(85)" in wrong.error
    good = check(grade, GOOD_A)
    assert good.built and good.passed and not good.error
    # line 15 (the raise) and the B, C and F returns are still missing
    assert {15, 19, 21, 22}.issubset(good.missing_lines)
    assert 17 not in good.missing_lines
    broken = check(grade, BROKEN)
    assert not broken.built and broken.error.startswith("SyntaxError")
    absent = check(grade, NO_IMPORT)
    assert not absent.built and "nothere" in absent.error


@pytest.mark.parametrize("name", ["grade", "Counter.add"])
def test_targets_carry_what_engines_need(text_project: Path, name: str) -> None:
    result = plan(text_project, load_settings(text_project, {}))
    targets = {t.qualname: t for t in choose_targets(text_project, result, Selection(top=10))}
    target = targets[name]
    assert target.module == "textutil.text" and target.import_root == "src"
    assert target.raises == ("ValueError",)
    assert target.source.lstrip().startswith("def ")
    assert target.missing_lines and target.suggestions
    assert target.test_file == "tests/test_text.py" and target.test_file_exists
    assert "from textutil.text import camelize" in target.test_imports


def test_numbered_names_become_the_suggestions_names(text_project: Path, tmp_path: Path) -> None:
    from covgap.draft.filter import filter_candidates as run_filter
    from covgap.draft.output import plan_files

    workspace, targets, missing = _setup(text_project, tmp_path)
    grade = targets["grade"]
    numbered = GOOD_A.replace("test_grade_a", "test_grade") + (
        "\n\ndef test_grade_2():\n    import pytest\n\n"
        "    with pytest.raises(ValueError):\n        grade(-1)\n"
    )
    candidate = Candidate("crosshair", grade.key, numbered)
    tests = run_filter(workspace, [(candidate, grade)], missing, runs=1, timeout=60)
    kept = [t for t in tests if t.status == "kept"]
    ((file, written),) = plan_files(
        text_project,
        kept,
        {grade.key: grade},
        {("crosshair", grade.key, 1): candidate},
        runs=1,
        taken=set(),
    )
    assert set(file.tests) == {"test_grade_returns_a", "test_grade_raises_value_error"}
    assert "def test_grade_returns_a():" in file.source
    assert "def test_grade_raises_value_error():" in file.source
    assert {t.name for t in written} == set(file.tests)
    compile(file.source, file.path, "exec")


@pytest.mark.parametrize(
    ("source", "raises", "exception", "bug"),
    [
        ("def f(s: str) -> str:\n    return s[0]\n", (), "IndexError", True),
        ("def f(s: str) -> str:\n    return s.x\n", (), "AttributeError", True),
        # untyped: a wrong type is the caller's mistake, not the function's bug
        ("def f(s):\n    return s.upper()\n", (), "AttributeError", False),
        ("def f(cb, s):\n    return cb(s)\n", (), "TypeError", False),
        ("    def m(self, s):\n        return s[0]\n", (), "IndexError", True),
        # raised on purpose
        ("def f(n: int) -> int:\n    raise KeyError(n)\n", ("KeyError",), "KeyError", False),
    ],
)
def test_which_exceptions_point_at_a_bug(
    source: str, raises: tuple[str, ...], exception: str, bug: bool
) -> None:
    from covgap.draft.filter import _is_bug_class

    target = DraftTarget("m.py", "f", "m", 1, 2, source, raises=raises)
    assert _is_bug_class(exception, target) is bug


def test_as_much_gained_the_readable_test_is_kept(text_project: Path, tmp_path: Path) -> None:
    workspace, targets, missing = _setup(text_project, tmp_path)
    camelize = targets["camelize"]
    head = "from textutil.text import camelize\n\n\n"
    odd = (
        head + 'def test_odd():\n    assert camelize("\\x00_\\x01", upper=False) == "\\x00\\x01"\n'
    )
    plain = head + 'def test_plain():\n    assert camelize("a_b", upper=False) == "aB"\n'
    pairs = [
        (Candidate("e", camelize.key, odd), camelize),
        (Candidate("e", camelize.key, plain), camelize),
    ]
    tests = _by_name(filter_candidates(workspace, pairs, missing, runs=1, timeout=60))
    assert (tests["test_plain"].status, tests["test_odd"].status) == ("kept", "redundant")


STATE = """\
import re

SMALL = re.compile("a|an|the")
_lazy = None


def set_small(words: str) -> None:
    global SMALL
    SMALL = re.compile(words)


def small() -> re.Pattern[str]:
    global _lazy
    if _lazy is None:
        _lazy = re.compile("x")
    return SMALL
"""


def test_a_test_that_rebinds_a_global_is_left_out(text_project: Path, tmp_path: Path) -> None:
    """set_small() rebinds the module's pattern for every later test: not kept; a lazily set
    global (None before) is not state a test leaves behind."""
    from draft_project import measure

    (text_project / "src" / "textutil" / "state.py").write_text(STATE)
    measure(text_project)
    workspace, targets, missing = _setup(text_project, tmp_path)
    head = "from textutil.state import set_small, small\n\n\n"
    rebinding = head + 'def test_set_small():\n    assert set_small("x") is None\n'
    lazy = head + "def test_small():\n    assert small().pattern\n"
    pairs = [
        (Candidate("e", targets["set_small"].key, rebinding), targets["set_small"]),
        (Candidate("e", targets["small"].key, lazy), targets["small"]),
    ]
    tests = _by_name(filter_candidates(workspace, pairs, missing, runs=2, timeout=60))
    assert tests["test_set_small"].status == "pollutes"
    assert tests["test_set_small"].failure == "leaves textutil.state.SMALL bound to another object"
    assert tests["test_small"].status == "kept"


def test_a_probe_that_fails_in_its_own_code_is_no_finding(
    text_project: Path, tmp_path: Path
) -> None:
    """A crash probe that cannot even reach the function (an attribute the module does not
    have) failed; only an exception raised in the project's code is a finding."""
    workspace, targets, missing = _setup(text_project, tmp_path)
    camelize = targets["camelize"]
    broken = "import textutil.text\n\n\ndef test_fuzz():\n    textutil.text.nothere()\n"
    crash = (
        "from textutil.text import camelize\n\n\n"
        "def test_fuzz_camelize():\n    camelize('', False)\n"
    )
    pairs = [
        (Candidate("hypothesis", camelize.key, broken, probe=True), camelize),
        (Candidate("hypothesis", camelize.key, crash, probe=True), camelize),
    ]
    tests = _by_name(filter_candidates(workspace, pairs, missing, runs=2, timeout=60))
    assert tests["test_fuzz"].status == "failed"
    assert tests["test_fuzz_camelize"].status == "finding"
