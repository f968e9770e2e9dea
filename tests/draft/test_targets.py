"""Targets of covgap draft that engines must treat apart: nested and decorated functions; and
what a second draft does with the files of the first."""

from __future__ import annotations

from pathlib import Path

from draft_project import measure

from covgap.api import plan
from covgap.config import load_settings
from covgap.draft.engines.crosshair import CrossHairEngine
from covgap.draft.engines.skeleton import skeleton_module
from covgap.draft.output import drafted_before, function_shape
from covgap.draft.targets import Selection, choose_targets

EXTRA = """\
def outer(n: int) -> int:
    def inner(m: int) -> int:
        if m > 10:
            return m
        return -m

    return inner(n)


def checked(func):
    def wrapper(*args):
        try:
            return func(*args)
        except ValueError as error:
            return error

    return wrapper


@checked
def parse_positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("not positive")
    return value
"""


def _targets(project: Path):  # type: ignore[no-untyped-def]
    (project / "src" / "textutil" / "extra.py").write_text(EXTRA)
    measure(project)
    result = plan(project, load_settings(project, {"cache": False}))
    return {t.qualname: t for t in choose_targets(project, result, Selection(top=20))}


def test_nested_and_decorated_functions(text_project: Path, tmp_path: Path) -> None:
    targets = _targets(text_project)
    inner = targets["outer.inner"]
    assert inner.enclosing == "outer" and not inner.wrapped
    parse = targets["parse_positive"]
    assert parse.decorators == ("checked",) and parse.wrapped and not parse.enclosing
    assert not targets["grade"].wrapped and targets["grade"].enclosing == ""
    # crosshair cannot call a nested function by name: no candidates, without running it
    engine = CrossHairEngine()
    assert list(engine.candidates(inner, None, None)) == []  # type: ignore[arg-type]
    # the starter test reaches the inner function through the outer one, and expects no
    # literal of a decorated function (the decorator may change it)
    module = skeleton_module([inner, parse])
    assert "result = outer(...)" in module and "obj." not in module
    assert "from textutil.extra import outer, parse_positive" in module
    compile(module, "todo.py", "exec")


def test_a_second_draft_knows_the_tests_of_the_first(tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_text_generated.py").write_text(
        "from textutil.text import grade\n\n\n"
        'def test_grade_returns_a():\n    assert grade(90) == "A"\n'
    )
    (tests / "test_text.py").write_text("def test_grade():\n    assert True\n")
    found = drafted_before(tmp_path)
    same = function_shape('def test_other_name():\n    assert grade(90)   ==  "A"\n')
    assert found == {same: "tests/test_text_generated.py"}
