"""The history's flaky and slow tests in the plan: plan.md, plan.json, the audit (issue 17)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
from conftest import PROJECTS

from covgap import api
from covgap.analyze.trend import history_path
from covgap.cli import main
from covgap.config import load_settings
from covgap.model import TestOutcome
from covgap.report.markdown import MAX_LINES, render_markdown
from covgap.report.view import build_view
from covgap.store.history import History, TestRunInput

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "plan.schema.json").read_text())

OLD = "a" * 40
NEW = "b" * 40
FLAKY = "tests/test_app.py::test_cache_is_fresh[<img src=x onerror=alert(1)>]"
SLOW = "tests/test_app.py::test_big_import"


def _run(commit: str, hour: int, fails: bool, slow: float) -> TestRunInput:
    flaky = (
        TestOutcome(FLAKY, "failed", 0.01, "AssertionError: cache already has 'x' <script>")
        if fails
        else TestOutcome(FLAKY, "passed", 0.01)
    )
    return TestRunInput(
        "covgap run",
        (
            flaky,
            TestOutcome(SLOW, "passed", slow),
            *(TestOutcome(f"tests/test_app.py::test_quick_{n}", "passed", 0.02) for n in range(8)),
        ),
        seconds=slow + 1.0,
        commit=commit,
        branch="main",
        recorded_at=datetime(2026, 11, 1) + timedelta(hours=hour),
    )


def _record(project: Path, *, latest_fails: bool) -> None:
    settings = load_settings(project, {}, environ={})
    path = history_path(project, settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with History(path) as database:
        database.record_test_run(_run(OLD, 0, False, 0.3))
        database.record_test_run(_run(OLD, 1, True, 0.3))
        database.record_test_run(_run(OLD, 2, False, 0.3))
        database.record_test_run(_run(NEW, 3, False, 1.5))
        database.record_test_run(_run(NEW, 4, latest_fails, 1.6))


def test_plan_has_the_flaky_and_slow_tests(basic_copy: Path) -> None:
    _record(basic_copy, latest_fails=True)
    settings = load_settings(basic_copy, {}, environ={})
    result = api.plan(basic_copy, settings)

    assert result.tests_history is not None
    assert [r.nodeid for r in result.tests_history.flaky] == [FLAKY]
    view = build_view(result)
    jsonschema.validate(json.loads(json.dumps(view)), SCHEMA)
    tests = view["tests_history"]
    assert tests["runs"] == 5
    (flaky,) = tests["flaky"]
    assert (flaky["failures"], flaky["runs"]) == (2, 5)
    assert flaky["cause"] == "shared state or order"
    assert "fixture" in flaky["fix"]
    assert tests["timing"]["slowest"][0]["nodeid"] == SLOW
    assert [r["nodeid"] for r in tests["timing"]["regressions"]] == [SLOW]
    assert tests["estimate"]["workers_needed"] == 1

    markdown = render_markdown(view)
    assert markdown.count("\n") <= MAX_LINES
    section = markdown.split("## Flaky and slow", 1)[1].split("\n## ", 1)[0]
    assert len(section.strip().splitlines()) <= 12
    assert f"`{FLAKY}` failed 2 of 5 runs (40%)" in section
    assert "likely cause: shared state or order" in section
    assert f"Slower: `{SLOW}`" in section
    assert "under 5 min without xdist" in section
    first_screen = markdown.split("\n## ", 1)[0]
    assert "- **Flaky**: 1 test passed and failed" in first_screen
    assert markdown.index("## Flaky and slow") > markdown.index("## Phase")

    assert result.audit is not None
    (finding,) = [f for f in result.audit.findings if f.rule == "health-flaky"]
    assert finding.severity == "high"  # it failed on the latest commit
    assert "fixture" in finding.fix
    evidence = " ".join(e.text for e in finding.evidence)
    assert "failed 2 of 5 runs" in evidence
    assert OLD[:10] in evidence and NEW[:10] in evidence


def test_flaky_not_on_the_latest_commit_is_medium(basic_copy: Path) -> None:
    _record(basic_copy, latest_fails=False)
    result = api.plan(basic_copy, load_settings(basic_copy, {}, environ={}))
    assert result.audit is not None
    (finding,) = [f for f in result.audit.findings if f.rule == "health-flaky"]
    assert finding.severity == "medium"


def test_covgap_plan_writes_them(basic_copy: Path) -> None:
    _record(basic_copy, latest_fails=True)
    out = basic_copy / "out"
    code = main(["plan", str(basic_copy), "--output", str(out)], stdout=io.StringIO())
    assert code == 0
    plan = json.loads((out / "plan.json").read_text())
    jsonschema.validate(plan, SCHEMA)
    assert plan["tests_history"]["flaky"][0]["nodeid"] == FLAKY
    assert "## Flaky and slow" in (out / "plan.md").read_text()

    page = _Page()
    page.feed((out / "index.html").read_text())
    section = page.text()
    assert "Flaky and slow" in section
    assert FLAKY in section  # as text: the markup in its name is no element
    assert "2 of 5 runs (40%)" in section
    assert "shared state or order" in section and "fixture" in section
    assert SLOW in section and "%" in section
    assert "img" not in page.tags and "script" not in page.section_tags
    bars = page.bars
    assert [int(n) for n in bars] == [
        b["tests"] for b in plan["tests_history"]["timing"]["histogram"]
    ]
    assert sum(int(n) for n in bars) == 10


class _Page(HTMLParser):
    """The page's elements, and the text and tags of the "Flaky and slow" section."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.section_tags: set[str] = set()
        self.bars: list[str] = []
        self._depth = 0
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        found = dict(attrs)
        if tag == "section" and found.get("id") == "tests-history":
            self._depth = 1
        elif self._depth:
            self.section_tags.add(tag)
            if tag == "section":
                self._depth += 1
            if tag == "g" and found.get("data-tests") is not None:
                self.bars.append(str(found["data-tests"]))

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag == "section":
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self._text.append(data)

    def text(self) -> str:
        return " ".join(" ".join(self._text).split())


def test_the_page_shows_them_in_chromium(basic_copy: Path) -> None:
    """The section in a real browser: the tables' rows, the histogram's bars, nothing loaded
    and no script run from the project's strings."""
    import browser
    from browser import open_report, require_browser

    require_browser()
    _record(basic_copy, latest_fails=True)
    out = basic_copy / "out"
    assert main(["plan", str(basic_copy), "--output", str(out)], stdout=io.StringIO()) == 0
    with browser.chromium() as chromium:
        page = chromium.new_page()
        watched = open_report(page, out / "index.html")
        rows = page.eval_on_selector_all(
            "[data-testid=flaky-table] tbody tr", "rs => rs.map(r => r.cells[0].textContent)"
        )
        assert len(rows) == 1 and FLAKY in rows[0]
        slow = page.eval_on_selector_all(
            "[data-testid=slow-table] tbody tr", "rs => rs.map(r => r.cells[0].textContent)"
        )
        assert slow[0] == SLOW and len(slow) == 10
        assert page.locator("[data-testid=duration-histogram] rect").count() == 6
        assert page.locator("#tests-history img").count() == 0
        assert page.locator('nav a[href="#tests-history"]').count() == 1
        watched.assert_quiet()
        page.close()


def test_no_history_no_section(measured_basic: Path) -> None:
    result = api.plan(measured_basic, load_settings(measured_basic, {}, environ={}))
    assert result.tests_history is None
    view = build_view(result)
    assert view["tests_history"] is None
    assert "Flaky and slow" not in render_markdown(view)


def test_a_broken_history_is_a_note(basic_copy: Path) -> None:
    settings = load_settings(basic_copy, {}, environ={})
    path = history_path(basic_copy, settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database at all" * 100)
    result = api.plan(basic_copy, settings)
    assert result.tests_history is None
    assert any("test runs could not be read" in note for note in result.project.notes)


def test_covgap_run_has_the_recorded_runs_and_its_own(tmp_path: Path) -> None:
    """``covgap run`` reads the recorded runs with its own (recorded after its reports): the
    next run reads it from the history."""
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "basic"))
    _record(project, latest_fails=True)
    for runs in (6, 7):
        code = main(["run", str(project), "--format", "json,md"], stdout=io.StringIO())
        assert code == 0
        view = json.loads((project / "covgap-report" / "plan.json").read_text())
        jsonschema.validate(view, SCHEMA)
        assert view["tests_history"]["runs"] == runs
        assert [f["nodeid"] for f in view["tests_history"]["flaky"]] == [FLAKY]
        rules = [f["rule"] for f in view["audit"]["findings"]]
        assert "health-flaky" in rules


def test_covgap_runs_own_outcomes_show_a_flaky_test(tmp_path: Path) -> None:
    """A test that failed in a recorded run of the commit and passes in ``covgap run`` on the
    same commit is flaky in that run's own plan: high, as it failed on the latest commit."""
    project = Path(shutil.copytree(PROJECTS / "basic", tmp_path / "basic"))
    (project / ".gitignore").write_text(
        ".covgap/\ncovgap-report/\n__pycache__/\n.coverage*\n.pytest_cache/\ncoverage.json\n"
    )
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "basic"]):
        subprocess.run(
            ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
            cwd=project,
            env=environment,
            check=True,
            capture_output=True,
        )
    nodeid = "tests/test_pricing.py::test_price"
    failed = TestOutcome(nodeid, "failed", 0.01, "AssertionError: assert 9 == 10")
    settings = load_settings(project, {}, environ={})
    path = history_path(project, settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with History(path) as database:
        database.record_test_run(TestRunInput.measured(project, "covgap run", [failed]))

    code = main(["run", str(project), "--format", "json", "--no-record"], stdout=io.StringIO())
    assert code == 0
    view = json.loads((project / "covgap-report" / "plan.json").read_text())
    (flaky,) = view["tests_history"]["flaky"]
    assert (flaky["nodeid"], flaky["failures"], flaky["runs"]) == (nodeid, 1, 2)
    (finding,) = [f for f in view["audit"]["findings"] if f["rule"] == "health-flaky"]
    assert finding["severity"] == "high"
