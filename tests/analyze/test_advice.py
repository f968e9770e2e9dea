"""Test advice on a measured fixture: every suggestion names the right line, exception,
condition and fake; the text is specific to each function."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import measure_copy

from covgap import api
from covgap.analyze.effort import estimate_tests, phase_tests
from covgap.config import load_settings
from covgap.model import FunctionGap, PlanResult
from covgap.report.markdown import render_markdown
from covgap.report.view import build_view

SCHEMA = Path(__file__).parents[2] / "docs" / "plan.schema.json"


@pytest.fixture(scope="module")
def advice_plan(tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    """The 'advice' fixture measured for real (branch coverage), then planned with risk on."""
    project = measure_copy("advice", tmp_path_factory.mktemp("advice") / "advice")
    settings = load_settings(project, {"format": ["json"], "target": 100}, environ={})
    return api.plan(project, settings)


def _function(plan: PlanResult, name: str) -> FunctionGap:
    return next(g for g in plan.functions if g.region.name == name)


def _texts(gap: FunctionGap) -> list[tuple[str, int, str]]:
    assert gap.advice is not None
    return [(s.kind, s.line, s.text) for s in gap.advice.suggestions]


def test_uncovered_raises_name_exception_condition_and_line(advice_plan: PlanResult) -> None:
    """Each raise no test reached: its exception, message, the conditions and its line; the
    earlier guard that must not fire (``if not text: raise``) is one of the conditions."""
    assert _texts(_function(advice_plan, "parse_amount")) == [
        (
            "raise",
            18,
            '`parse_amount` raises `ValueError("empty amount")` when `not text`'
            " — line 18 never ran",
        ),
        (
            "raise",
            21,
            '`parse_amount` raises `PaymentError(f"negative amount: {value}")` when `text` and'
            " `value < 0` — line 21 never ran",
        ),
    ]


def test_uncovered_handler_names_the_call_to_fail_and_the_fake(advice_plan: PlanResult) -> None:
    """An except handler: which calls in the try must raise what, and how to fake HTTP."""
    gap = _function(advice_plan, "fetch_rate")
    assert _texts(gap) == [
        (
            "except",
            29,
            "`fetch_rate` handles `OSError` at line 29 — never ran: make "
            "`urllib.request.urlopen(…)` (line 27) or `json.load(…)` (line 28) raise `OSError`"
            " (the handler starts at line 30)",
        )
    ]
    assert gap.advice is not None
    assert [(i.dependency, i.via, i.fake) for i in gap.advice.isolation] == [
        ("HTTP (standard library)", ("urllib.request.urlopen",), "pytest-httpserver")
    ]


def test_compound_condition_and_its_dependencies(advice_plan: PlanResult) -> None:
    """The condition is quoted as written; environment and clock are isolated."""
    gap = _function(advice_plan, "charge")
    assert _texts(gap) == [
        (
            "raise",
            36,
            '`charge` raises `PaymentError("amount too large")` when '
            '`amount > 1000 and not os.environ.get("ALLOW_LARGE")` — line 36 never ran',
        )
    ]
    assert gap.advice is not None
    assert [(i.dependency, i.fake) for i in gap.advice.isolation] == [
        ("environment variables", "monkeypatch"),
        ("the clock", "time-machine"),
    ]


def test_function_never_called_and_its_loop(advice_plan: PlanResult) -> None:
    """A function no test calls: call it, run its loop's body; fake the subprocess."""
    gap = _function(advice_plan, "export")
    assert [(kind, line) for kind, line, _ in _texts(gap)] == [("call", 41), ("loop", 43)]
    assert gap.advice is not None
    assert gap.advice.suggestions[1].text.endswith("a test where `rows` has at least one item")
    assert [i.fake for i in gap.advice.isolation] == ["pytest-subprocess"]
    # The call and the loop's body to check (or its paths, if more): their root in tests.
    assert gap.advice.checks == max(2, gap.complexity or 0)
    assert gap.advice.effort == estimate_tests(gap.advice.checks)


def test_match_cases_never_matched(advice_plan: PlanResult) -> None:
    """Cases no test matched are named by their pattern, with what the function returns."""
    texts = [text for _, _, text in _texts(_function(advice_plan, "classify"))]
    assert texts == [
        '`classify` returns `"free"` when `amount` matches `0` — line 52 never ran',
        '`classify` returns `"large"` when `amount` matches `_` — line 56 never ran',
    ]


def test_placement_and_test_names(advice_plan: PlanResult) -> None:
    """Tests go in the module named after the source; names say what each test does."""
    gap = _function(advice_plan, "parse_amount")
    assert gap.advice is not None
    assert gap.advice.test_file == "tests/test_service.py"
    assert gap.advice.test_file_exists
    assert [s.test_name for s in gap.advice.suggestions] == [
        "test_parse_amount_raises_value_error",
        "test_parse_amount_raises_payment_error",
    ]


def test_suggestions_are_specific_to_each_function(advice_plan: PlanResult) -> None:
    """No two functions get the same suggestion text."""
    seen: dict[str, str] = {}
    for gap in advice_plan.functions:
        assert gap.advice is not None
        for suggestion in gap.advice.suggestions:
            assert suggestion.text not in seen, (gap.region.name, seen.get(suggestion.text))
            seen[suggestion.text] = gap.region.name


def test_phase_counts_estimated_tests(advice_plan: PlanResult) -> None:
    """A phase's estimated tests are its modules' shared tests (effort.phase_tests): at least
    one, never more than its functions' tests one by one."""
    phases = advice_plan.plan.phases
    assert phases
    estimates = phase_tests([phase.items for phase in phases])
    for phase, estimate in zip(phases, estimates, strict=True):
        assert phase.estimated_tests == estimate
        assert 1 <= phase.estimated_tests <= sum(item.effort for item in phase.items)


def test_view_validates_and_shows_the_advice(advice_plan: PlanResult) -> None:
    """plan.json with advice validates against the schema and holds every test to write;
    plan.md gives each function one line: what its tests must do, where, the fakes."""
    view = json.loads(json.dumps(build_view(advice_plan)))
    jsonschema.validate(view, json.loads(SCHEMA.read_text()))
    items = {i["function"]: i for p in view["plan"]["phases"] for i in p["items"]}
    suggestions = items["parse_amount"]["advice"]["suggestions"]
    assert "test_parse_amount_raises_value_error" in [s["test_name"] for s in suggestions]
    markdown = render_markdown(view)
    (line,) = [line for line in markdown.splitlines() if line.startswith("  - [ ] `parse_amount`")]
    # What its tests must do, and where they go: the existing tests of that module.
    assert line.endswith("(lines 18, 21): 2 raises — extend `tests/test_service.py`")
    assert any(
        "fake with pytest-httpserver" in line
        for line in markdown.splitlines()
        if line.startswith("  - [ ] ")
    )
    assert "## Risk" in markdown


def test_risk_explains_itself(advice_plan: PlanResult) -> None:
    """Churn is absent outside git and said so; the likelihood weights present sum to 1."""
    assert advice_plan.risk is not None
    assert advice_plan.risk.churn_absent is not None
    assert "not in a git repository" in advice_plan.risk.churn_absent
    charge = _function(advice_plan, "charge")
    assert charge.risk is not None
    assert [f.name for f in charge.risk.factors] == ["criticality", "exposure", "complexity"]
    assert charge.risk.factor("complexity").weight == pytest.approx(1)  # type: ignore[union-attr]
    assert charge.risk.factor("criticality").reason == (  # type: ignore[union-attr]
        "name matches `charge*` (a name alone is a weak signal)"
    )
    assert charge.complexity == 3


def test_untaken_branch_side_names_the_condition(advice_plan: PlanResult) -> None:
    """An if whose true side never ran: the condition as written, and where it leads."""
    assert _texts(_function(advice_plan, "discount")) == [
        (
            "branch",
            60,
            "line 60: `if member` was never true in `discount` — a test where `member`"
            " (reaches line 61)",
        )
    ]


def test_test_code_is_run_not_tested(tmp_path_factory: pytest.TempPathFactory) -> None:
    """With the tests measured too, test code that did not run (a helper no test calls) is never
    ranked nor planned: no test is ever proposed for a test. It still counts in the total."""
    project = measure_copy(
        "advice", tmp_path_factory.mktemp("advice-tests") / "advice", "--source=src,tests"
    )
    plan = api.plan(project, load_settings(project, {"target": 100}, environ={}))
    assert plan.scope.test_files == ("tests/test_service.py",)
    assert plan.scope.test_numbers.gap > 0  # make_ledger's lines
    assert not any(g.path.startswith("tests/") for g in plan.functions)
    assert not any(i.path.startswith("tests/") for p in plan.plan.phases for i in p.items)
    assert plan.project.totals.units == sum(f.numbers.units for f in plan.project.files)


def test_a_side_no_test_can_reach_is_called_unreachable(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """``if 3600 > seconds`` after ``if 60 <= seconds < 3600: return``, with ``seconds >= 60``:
    its true side is dead. The advice says so (no test to write for it), not "a test where"."""
    project = measure_copy("deadcode", tmp_path_factory.mktemp("dead") / "deadcode")
    plan = api.plan(project, load_settings(project, {"target": 100}, environ={}))
    gap = _function(plan, "in_words")
    assert gap.advice is not None
    [suggestion] = gap.advice.suggestions
    assert (suggestion.kind, suggestion.line, suggestion.test_name) == ("unreachable", 11, "")
    assert "when `seconds >= 60` and `not (60 <= seconds < 3600)` and `3600 > seconds`" in (
        suggestion.text
    )
    assert "cannot hold together — it looks unreachable" in suggestion.text
    view = build_view(plan)
    jsonschema.validate(json.loads(json.dumps(view, default=str)), json.loads(SCHEMA.read_text()))
    assert "1 side that looks unreachable" in render_markdown(view)
    # A handler any of three calls may reach names all three (``int(value)`` raises first).
    [handler] = _function(plan, "as_delta").advice.suggestions  # type: ignore[union-attr]
    assert "make `int(…)` (line 19) or `float(…)` (line 20) or `dt.timedelta(…)` (line 21)" in (
        handler.text
    )
