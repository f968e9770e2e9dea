"""Suggestions at the right level, on the 'levels' fixture measured for real: routes through their
framework's test client, commands through their runner, clocks faked only where read, the
module-global client mapped to its fake, earlier guards in conditions, readable names, and the
project's test strategy."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
from conftest import PROJECTS, measure_copy, run_coverage

from covgap import api
from covgap.analyze import strategy as strategy_module
from covgap.config import load_settings
from covgap.model import FunctionGap, PlanResult, ProjectTests, TestAdvice
from covgap.report.html import render_html
from covgap.report.markdown import render_markdown
from covgap.report.view import build_view

SCHEMA = Path(__file__).parents[2] / "docs" / "plan.schema.json"


@pytest.fixture(scope="module")
def levels_plan(tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    """The 'levels' fixture measured with branch coverage, planned to 100% with risk on."""
    project = measure_copy("levels", tmp_path_factory.mktemp("levels") / "levels")
    settings = load_settings(project, {"format": ["json"], "target": 100}, environ={})
    return api.plan(project, settings)


def _advice(plan: PlanResult, name: str) -> TestAdvice:
    gap: FunctionGap = next(g for g in plan.functions if g.region.name == name)
    assert gap.advice is not None
    return gap.advice


def _fakes(advice: TestAdvice) -> list[str]:
    return [i.fake for i in advice.isolation]


def test_timedelta_on_a_stored_date_needs_no_clock_fake(levels_plan: PlanResult) -> None:
    """``due_on`` only adds a timedelta to the date it is given: no time-machine; ``is_overdue``
    reads ``date.today()``: time-machine."""
    assert "time-machine" not in _fakes(_advice(levels_plan, "due_on"))
    overdue = _advice(levels_plan, "is_overdue")
    assert [(i.dependency, i.fake, i.via) for i in overdue.isolation] == [
        ("the clock", "time-machine", ("dt.date.today",))
    ]


def test_conditions_include_the_earlier_guards(levels_plan: PlanResult) -> None:
    """The second raise of ``parse_amount`` needs the early return and the first raise not to
    fire: its condition names both."""
    texts = {s.line: s.text for s in _advice(levels_plan, "parse_amount").suggestions}
    assert texts[15] == (
        '`parse_amount` raises `AmountError("negative amount")` when `text` and `value < 0`'
        " — line 15 never ran"
    )
    assert texts[17] == (
        '`parse_amount` raises `AmountError("amount over the limit")` when `text` and'
        " `value >= 0` and `value > limit` — line 17 never ran"
    )


def test_module_global_client_maps_to_its_fake(levels_plan: PlanResult) -> None:
    """``r = redis.Redis()`` at module level, used as ``r.set``/``r.get``: fakeredis, patched
    over the module global."""
    for name, via in (("remember", "r.set"), ("recall", "r.get")):
        (isolation,) = _advice(levels_plan, name).isolation
        assert (isolation.fake, isolation.via) == ("fakeredis", (via,))
        assert isolation.inject == (
            "patched over the module global `desk.store.r` (`monkeypatch.setattr`)"
        )


def test_test_names_read_as_what_they_test(levels_plan: PlanResult) -> None:
    """No line number in any name; names say what the condition means; each name is unique."""
    names = [
        s.test_name
        for g in levels_plan.functions
        if g.advice is not None
        for s in g.advice.suggestions
        if s.test_name  # "" for module-level code that runs with another function's test
    ]
    assert len(names) == len(set(names))
    assert not [n for n in names if re.search(r"line_?\d", n)]
    main = [s.test_name for s in _advice(levels_plan, "main").suggestions]
    assert "test_main_when_filename_count_is_not_1" in main
    amounts = [s.test_name for s in _advice(levels_plan, "parse_amount").suggestions]
    assert amounts == [
        "test_parse_amount_raises_amount_error_for_negative_amount",
        "test_parse_amount_raises_amount_error_for_amount_over_limit",
        "test_parse_amount_returns_none",
    ]
    note = [s.test_name for s in _advice(levels_plan, "show_note").suggestions]
    assert note == [
        "test_show_note",
        "test_show_note_when_note_id_zero",
        "test_show_note_when_note_id_not_zero",
    ]


@pytest.mark.parametrize(
    ("name", "kind", "framework", "call"),
    [
        pytest.param(
            "read_item", "route", "FastAPI", 'client.get("/items/{item_id}")', id="fastapi"
        ),
        pytest.param("create_item", "route", "FastAPI", 'client.post("/items")', id="async-route"),
        pytest.param(
            "show_note", "route", "Flask", 'client.get("/notes/<int:note_id>")', id="flask"
        ),
        pytest.param("greet", "command", "click", 'runner.invoke(greet, ["…"])', id="click"),
        pytest.param("main", "main", "argparse", 'main(["…"])', id="argparse"),
        pytest.param("retry", "async", "asyncio", "", id="async"),
    ],
)
def test_entry_points_are_reached_at_their_level(
    levels_plan: PlanResult, name: str, kind: str, framework: str, call: str
) -> None:
    """A route is requested through its framework's client, a command invoked through its
    runner, an argparse main called with argv; the "call it" suggestion says so."""
    advice = _advice(levels_plan, name)
    assert advice.harness is not None
    assert (advice.harness.kind, advice.harness.framework) == (kind, framework)
    assert call in advice.harness.text
    # A route's async handler runs in the client: no async runner for it.
    assert bool(advice.runner) == (kind == "async")
    first = advice.suggestions[0]
    if first.kind == "call":
        assert advice.harness.call in first.text


def test_frameworks_are_not_mocked(levels_plan: PlanResult) -> None:
    """FastAPI's HTTPException, Flask's abort, click's decorators: nothing to fake."""
    for name in ("read_item", "show_note", "greet"):
        assert _advice(levels_plan, name).isolation == ()


def test_repository_gets_an_in_memory_database(levels_plan: PlanResult) -> None:
    """A repository's connection typed ``sqlite3.Connection`` in __init__ is a database."""
    advice = _advice(levels_plan, "NoteRepository.find")
    assert [(i.fake, i.via, i.inject) for i in advice.isolation] == [
        ("an in-memory database", ("self.conn",), "given to the object as `self.conn`")
    ]
    assert advice.constructor == "NoteRepository(conn)"


def test_test_strategy_names_fakes_fixtures_and_factories(levels_plan: PlanResult) -> None:
    """The fakes to add where the project lists its test dependencies, the fixtures to write
    once in tests/conftest.py, and which planned functions each unlocks."""
    strategy = levels_plan.strategy
    assert strategy is not None
    items = {(i.kind, i.name): i for i in strategy.items}
    fakeredis = items[("dependency", "fakeredis")]
    assert fakeredis.where == "pyproject.toml (project.optional-dependencies.test)"
    assert {"recall", "remember"} <= set(fakeredis.functions)
    assert set(items[("dependency", "httpx")].functions) == {"read_item", "create_item"}
    assert ("dependency", "time-machine") in items
    redis = items[("fixture", "redis_client")]
    assert redis.where == "tests/conftest.py"
    assert "`desk.store.r`" in redis.text
    assert set(items[("factory", "note_repository")].functions) == {
        "NoteRepository.add",
        "NoteRepository.find",
    }
    assert ("fixture", "cli_runner") in items
    assert strategy.dependency_file == "pyproject.toml"
    assert '"fakeredis"' in strategy.dependency_snippet
    assert '"pytest"' not in strategy.dependency_snippet  # declared already


def test_a_unittest_suite_sets_up_in_a_base_testcase(levels_plan: PlanResult) -> None:
    """unittest.TestCase methods take no fixture arguments: the strategy's fixtures and
    factories go in a shared base class's setUp, and the note says why."""
    strategy = strategy_module.test_strategy(levels_plan.plan, ProjectTests(unittest=True))
    assert strategy is not None
    made = [i for i in strategy.items if i.kind in ("fixture", "factory")]
    assert made and all(i.where == "a base `TestCase`'s `setUp`" for i in made)
    assert any("unittest.TestCase" in note for note in strategy.notes)
    assert not any("conftest.py" in note for note in strategy.notes)


def test_view_validates_and_shows_the_strategy(levels_plan: PlanResult) -> None:
    """plan.json validates; plan.md and the page show the strategy and each route's client."""
    view = json.loads(json.dumps(build_view(levels_plan)))
    jsonschema.validate(view, json.loads(SCHEMA.read_text()))
    markdown = render_markdown(view)
    assert "## Test strategy" in markdown
    assert "| `redis_client` | fixture |" in markdown
    assert "A FastAPI route: request it with `TestClient(app)`" in markdown
    page = render_html(view)
    assert 'id="strategy"' in page
    assert "<code>redis_client</code>" in page


def test_strategy_marks_what_the_project_has(tmp_path: Path) -> None:
    """A fake the project declares already and a fixture it has written already are marked,
    with where; the snippet adds only what is missing."""
    project = tmp_path / "levels"
    shutil.copytree(PROJECTS / "levels", project)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'test = ["pytest", "coverage"]', 'test = ["pytest", "fakeredis", "freezegun"]'
        )
    )
    (project / "tests" / "conftest.py").write_text(
        "import pytest\n\n\n@pytest.fixture\ndef redis_client():\n"
        "    import fakeredis\n\n    return fakeredis.FakeRedis()\n"
    )
    run_coverage(project, "run", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    plan = api.plan(project, load_settings(project, {"target": 100}, environ={}))
    assert plan.strategy is not None
    items = {(i.kind, i.name): i for i in plan.strategy.items}
    assert items[("dependency", "fakeredis")].exists == "declared"
    assert items[("fixture", "redis_client")].exists == "tests/conftest.py:5"
    assert '"fakeredis"' not in plan.strategy.dependency_snippet
    assert '"httpx"' in plan.strategy.dependency_snippet
    # freezegun fakes the clock already: no time-machine beside it.
    assert items[("dependency", "freezegun")].exists == "declared"
    assert items[("dependency", "freezegun")].text == "fakes the clock"
    assert ("dependency", "time-machine") not in items
    assert "time-machine" not in plan.strategy.dependency_snippet
