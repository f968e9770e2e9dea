"""plan.md a lead reads in two minutes: under 250 lines on a project with thousands of gaps and a
failing suite, its first 40 lines the status, the phases with their effort and the top risks; the
units of work and the days come from the view."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from covgap import api
from covgap.config import load_settings
from covgap.report.markdown import MAX_LINES, render_markdown
from covgap.report.render import render_files
from covgap.report.view import build_view, estimated_days

MODULES = 40
#: Methods of each module's class, and module functions: 40 × 60 regions with a gap.
METHODS = 30
FUNCTIONS = 30


def _module(number: int) -> str:
    methods = "".join(
        f"""
    def check_token_{m}(self, value):
        if value > {m}:
            raise ValueError("too big: {m}")
        for part in range(value):
            self.seen.append(part)
        return value
"""
        for m in range(METHODS)
    )
    functions = "".join(
        f"""
def payment_{f}(amount, currency="EUR"):
    if amount < 0:
        raise ValueError("negative")
    if currency != "EUR":
        return Decimal(amount) * {f + 2}
    return amount
"""
        for f in range(FUNCTIONS)
    )
    init = "    def __init__(self):\n        self.seen = []\n"
    return f"from decimal import Decimal\n\n\nclass Gateway{number}:\n{init}{methods}{functions}"


#: Failing tests of several causes, several each: more than phase 0 lists.
FAILURES = """\
import pytest

from bigpkg.mod_0 import payment_0


@pytest.fixture
def broken():
    raise ConnectionError("database is down")


@pytest.mark.parametrize("n", range(4))
def test_assertion(n):
    assert payment_0(n) == n + 1


@pytest.mark.parametrize("n", range(3))
def test_key_error(n):
    {}["missing"]


@pytest.mark.parametrize("n", range(3))
def test_setup(broken, n):
    pass


@pytest.mark.parametrize("n", range(3))
def test_zero(n):
    1 / 0


@pytest.mark.parametrize("n", range(3))
def test_type(n):
    len(n)


def test_attribute():
    None.nothing
"""


@pytest.fixture(scope="module")
def big_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A package of 40 modules and 2,400 functions, a few of them tested, with 17 failing
    tests of 6 causes: measured by a real pytest run under coverage.py, with JUnit XML."""
    project = tmp_path_factory.mktemp("big") / "big"
    package = project / "src" / "bigpkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for number in range(MODULES):
        (package / f"mod_{number}.py").write_text(_module(number))
    tests = project / "tests"
    tests.mkdir()
    (tests / "test_some.py").write_text(
        "from bigpkg.mod_0 import Gateway0, payment_0\n\n\n"
        "def test_payment():\n    assert payment_0(1) == 1\n\n\n"
        "def test_gateway():\n    assert Gateway0().check_token_0(0) == 0\n"
    )
    (tests / "test_failures.py").write_text(FAILURES)
    (project / "pyproject.toml").write_text(
        '[tool.coverage.run]\nbranch = true\nsource = ["bigpkg"]\n\n'
        '[tool.pytest.ini_options]\npythonpath = ["src"]\n'
    )
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--junitxml=junit.xml", "tests"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (project / ".coverage").exists() and (project / "junit.xml").exists()
    return project


def _view(project: Path, **overrides: Any) -> dict[str, Any]:
    settings = load_settings(project, overrides, environ={})
    return build_view(api.plan(project, settings, junit=Path("junit.xml")))


@pytest.fixture(scope="module")
def big_view(big_project: Path) -> dict[str, Any]:
    return _view(big_project)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({}, id="computed-milestones"),
        # More phases than the summary's table has rows, each with hundreds of units.
        pytest.param({"milestones": list(range(5, 100, 5)), "target": 99}, id="19-phases"),
        pytest.param({"top": 10, "precision": 3}, id="precision"),
    ],
)
def test_plan_md_stays_short_on_thousands_of_gaps(
    big_project: Path, overrides: dict[str, Any]
) -> None:
    """plan.md stays under MAX_LINES (and so under 250) however many functions, phases, failing
    tests and findings there are."""
    view = _view(big_project, **overrides)
    assert sum(p["functions"] for p in view["plan"]["phases"]) > 1_000
    lines = render_markdown(view).splitlines()
    assert len(lines) <= MAX_LINES < 250


def test_first_screen_holds_status_phases_and_risks(big_view: dict[str, Any]) -> None:
    """The first 40 lines say where the project stands with the suite's state, what blocks it
    (phase 0), every phase with its tests and days, and the top risks."""
    plan = big_view["plan"]
    first = "\n".join(render_markdown(big_view).splitlines()[:40])
    assert f"{plan['current_display']}% covered, target {plan['target_display']}%" in first
    assert f"failed, {big_view['health']['counts']['error']} errors" in first  # the suite
    assert f"fix the {big_view['health']['failing']} failing tests first" in first
    assert f"| 0 | fix first | {big_view['health']['failing']} failing tests |" in first
    for phase in plan["phases"]:
        assert (
            f"| {phase['number']} | {phase['projected_percent_display']}% "
            f"(+{phase['gain_display']}) | {phase['functions']:,} functions in "
            f"{len(phase['units']):,} units | {phase['estimated_tests']:,} | "
            f"{phase['estimated_days_display']} | {phase['fail_under_display']} |"
        ) in first
    assert f"| {plan['estimated_tests']:,} | {plan['estimated_days_display']} |" in first
    assert "## Top risks" in first
    riskiest = big_view["risk"]["functions"]["high"] + big_view["risk"]["functions"]["medium"]
    for number, risky in enumerate(riskiest[:5], start=1):
        assert f"\n{number}. `{risky['display_name']}` in `{risky['path']}`" in first


def test_phases_list_units_of_work_one_line_a_function(big_view: dict[str, Any]) -> None:
    """Each phase lists its units ("`Gateway3` in `src/bigpkg/mod_3.py` — N tests"), each
    function on one line with its tests and what they must do; the rest is left to plan.json."""
    text = render_markdown(big_view)
    phase = big_view["plan"]["phases"][0]
    unit = phase["units"][0]
    first = phase["items"][unit["items"][0]]
    title = (
        f"`{unit['name']}`** in `{unit['path']}`"
        if unit["kind"] == "class"
        else f"`{unit['path']}`"
    )
    assert f"- **{title}" in text
    assert f"{unit['estimated_tests']} test" in text
    name = first["display_name"].removeprefix(f"{unit['name']}.")
    assert f"  - [ ] `{name}` (line" in text
    assert "more units of work" in text and "in `plan.json` and `index.html`" in text


def test_units_group_methods_by_class_and_functions_by_module(big_view: dict[str, Any]) -> None:
    """A method's unit is its class, a function's its module; the unit's gap is the sum over its
    items, its tests its share of its module's (shared) tests, the units' tests add up to the
    phase's, and every item is in exactly one unit."""
    for phase in big_view["plan"]["phases"]:
        seen: list[int] = []
        for unit in phase["units"]:
            items = [phase["items"][index] for index in unit["items"]]
            assert {item["path"] for item in items} == {unit["path"]}
            if unit["kind"] == "class":
                assert all(i["function"].startswith(f"{unit['name']}.") for i in items)
            else:
                assert all(i["function"].startswith("payment_") or not i["function"] for i in items)
            # A unit's share of its module's tests: never more than its functions alone take.
            assert 0 <= unit["estimated_tests"] <= sum(item["effort"] for item in items)
            assert unit["gap"] == sum(item["gap"] for item in items)
            seen += unit["items"]
        assert sorted(seen) == list(range(len(phase["items"])))
        assert sum(unit["estimated_tests"] for unit in phase["units"]) == phase["estimated_tests"]


@pytest.mark.parametrize(
    ("tests", "rate", "shares", "total"),
    [
        pytest.param([2, 5, 4], 8.0, ["0.3", "0.6", "0.5"], "1.4", id="add-up-to-the-total"),
        pytest.param([1], 8.0, ["0.1"], "0.1", id="one-test"),
        pytest.param([0, 12], 4.0, ["0.0", "3.0"], "3.0", id="empty-phase"),
        pytest.param([1, 1, 1], 3.0, ["0.4", "0.3", "0.3"], "1.0", id="thirds"),
        pytest.param([5], 0.5, ["10.0"], "10.0", id="slow-rate"),
    ],
)
def test_estimated_days(tests: list[int], rate: float, shares: list[str], total: str) -> None:
    """Days are tests ÷ rate at one digit; the phases' days add up to the displayed total."""
    assert estimated_days(tests, rate) == (shares, total)


def test_tests_per_day_sets_the_days(measured_basic: Path) -> None:
    """`tests-per-day` changes the days and nothing else; plan.md says the rate it used."""
    default = build_view(api.plan(measured_basic, load_settings(measured_basic, {}, environ={})))
    faster = build_view(
        api.plan(measured_basic, load_settings(measured_basic, {"tests-per-day": 2}, environ={}))
    )
    assert faster["settings"]["tests_per_day"] == 2
    tests = faster["plan"]["estimated_tests"]
    assert tests == default["plan"]["estimated_tests"]
    assert faster["plan"]["estimated_days_display"] == f"{tests / 2:.1f}"
    assert "days at 2 tests a day" in render_markdown(faster)


def test_audit_md_is_written_beside_plan_md(big_view: dict[str, Any]) -> None:
    """plan.md's audit is a summary; audit.md beside it has every finding with its fix, unless
    one file goes to stdout."""
    files = render_files(big_view, ["md"])
    assert sorted(files) == ["audit.md", "plan.md"]
    findings = big_view["audit"]["findings"]
    assert all(f"## {n}. " not in files["plan.md"] for n in range(1, 3))
    for number, finding in enumerate(findings, start=1):
        assert f"### {number}. {finding['severity'].upper()}: " in files["audit.md"]
    assert "`audit.md` and `index.html`" in files["plan.md"]
    alone = render_files(big_view, ["md"], audit_file=False)
    assert sorted(alone) == ["plan.md"] and "`audit.md`" not in alone["plan.md"]


def test_a_partial_run_is_said_right_under_the_title(big_view: dict[str, Any]) -> None:
    """A partial run is the first thing plan.md says, with "run the whole suite"; a whole run
    says nothing of it."""
    assert "Only part of the suite ran" not in render_markdown(big_view)
    scope = {
        **big_view["suite_scope"],
        "partial": True,
        "selection": {"paths": ["tests/test_some.py"], "options": [], "deselected": 0},
        "not_run": [{"path": "tests/test_failures.py", "tests": 17, "reason": "not selected",
                     "numbers": None}],
        "test_modules": 2, "tests": 19, "not_run_tests": 17, "tests_run": 2,
        "evidence": "events", "command": "covgap run",
    }  # fmt: skip
    lines = render_markdown({**big_view, "suite_scope": scope}).splitlines()
    assert lines[2].startswith("> **Only part of the suite ran**: pytest was given ")
    assert "1 of the 2 test modules (17 of 19 tests) did not run" in lines[2]
    assert lines[4] == (
        "> **First, run the whole suite**: `covgap run`. The plan below comes from part of the"
        " suite's coverage: tests that exist and did not run may cover many of its gaps."
    )
    assert lines.index("## Tests that did not run") > lines.index("## Phases")


def test_plan_json_keeps_every_function_with_its_advice(big_view: dict[str, Any]) -> None:
    """What plan.md leaves out is in plan.json: every item with its suggestions and summary."""
    data = json.loads(render_files(big_view, ["json"])["plan.json"])
    items = [item for phase in data["plan"]["phases"] for item in phase["items"]]
    assert len(items) == sum(p["functions"] for p in data["plan"]["phases"]) > 1_000
    assert all(item["advice"]["suggestions"] and item["advice"]["summary"] for item in items)


def test_a_reached_target_is_not_a_way_to_go(big_view: dict[str, Any]) -> None:
    """With nothing to plan (the target is reached), the title names the target, never an
    arrow from a higher total down to a lower one."""
    plan = {**big_view["plan"], "phases": [], "notes": ["the target is reached"]}
    first = render_markdown({**big_view, "plan": plan}).splitlines()[0]
    assert (
        first == f"# Coverage plan: {plan['current_display']}% (target {plan['target_display']}%)"
    )
    assert (
        render_markdown(big_view)
        .splitlines()[0]
        .startswith(f"# Coverage plan: {plan['current_display']}% → ")
    )


def test_a_function_missing_only_branches_says_so(big_view: dict[str, Any]) -> None:
    """A function whose every line ran and whose gap is branches alone gets "(2 branches, every
    line ran)" on its line, never an empty "(line )"."""
    phase = big_view["plan"]["phases"][0]
    item = {**phase["items"][0], "missing_ranges": "", "missing_statements": 0}
    item["missing_branches"] = 2
    items = [item, *phase["items"][1:]]
    plan = {**big_view["plan"], "phases": [{**phase, "items": items}]}
    text = render_markdown({**big_view, "plan": plan})
    assert "(line )" not in text
    assert "(2 branches, every line ran)" in text
