"""A measured file outside the project folder (a crafted ``.coverage``, an LCOV ``SF:`` line)
is reported by its numbers only: plan.md, plan.json, the terminal and the page quote nothing of
its source (no condition, no exception message, no line, no test to write), and covgap never
reads it for facts or the history."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from covgap import api
from covgap.config import load_settings
from covgap.model import PlanResult
from covgap.report import html
from covgap.report.render import render_files, render_terminal_text
from covgap.report.view import build_view
from covgap.store.history import History

#: What the file outside holds, which no report may show.
SECRET = "hunter2-SECRET"

OUTSIDE = f'''\
def leak(token):
    if token == "{SECRET}":
        raise RuntimeError("the password is {SECRET}")
    return token
'''

SHOP = """\
def price(x):
    if x > 100:
        raise ValueError("too dear")
    return x
"""

TESTS = """\
from pkg.shop import price
from secret import leak


def test_price():
    assert price(1) == 1
    assert leak("x") == "x"
"""

#: LCOV naming the file outside by a path relative to the project, as a crafted report may.
LCOV = """\
TN:
SF:../outside/secret.py
FN:1,leak
FNDA:1,leak
DA:1,1
DA:2,1
DA:3,0
DA:4,1
BRDA:2,0,0,0
BRDA:2,0,1,1
end_of_record
"""


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose suite imports ``secret`` from a sibling folder, measured by coverage.py
    with both as source."""
    root = tmp_path_factory.mktemp("outside")
    project, outside = root / "project", root / "outside"
    (project / "pkg").mkdir(parents=True)
    (project / "tests").mkdir()
    outside.mkdir()
    (outside / "secret.py").write_text(OUTSIDE)
    (project / "pkg" / "__init__.py").write_text("")
    (project / "pkg" / "shop.py").write_text(SHOP)
    (project / "tests" / "test_shop.py").write_text(TESTS)
    (project / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "1"\n')
    (project / "coverage.lcov").write_text(LCOV)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "PYTEST_"))}
    env["PYTHONPATH"] = str(outside)
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--branch", f"--source=pkg,{outside}",
         "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project, env=env, check=True, capture_output=True,
    )  # fmt: skip
    return project


def outputs(project: Path, result: PlanResult) -> dict[str, str]:
    """Every report of ``result``: plan.md, plan.json, the terminal's text and the page."""
    view = build_view(result)
    files = render_files(view, ["md", "json"])
    extras = html.collect_extras(result, view, project)
    return {
        **files,
        "terminal": render_terminal_text(view, width=200),
        "index.html": html.render_html(view, extras),
    }


@pytest.mark.parametrize("data", [None, "coverage.lcov"], ids=["coverage data", "lcov"])
def test_a_file_outside_gets_numbers_only(measured: Path, data: str | None) -> None:
    """Its numbers and lines are reported, its source's text nowhere, and no test is suggested
    for it; the files inside keep their advice."""
    options = {"cache": False} if data is None else {"cache": False, "data-file": data}
    settings = load_settings(measured, options, environ={})
    result = api.plan(measured, settings)
    (outside,) = [f for f in result.project.files if f.outside]
    assert outside.path.endswith("outside/secret.py")
    assert (outside.numbers.statements, outside.numbers.missing_statements) == (4, 1)
    for name, text in outputs(measured, result).items():
        assert SECRET not in text, name
        assert "secret.py" in text or name == "audit.md", name
    for gap in result.functions:
        if gap.path == outside.path:
            assert gap.advice is None
            assert gap.risk is not None and gap.risk.factors[0].reason == (
                "outside the project folder: numbers only"
            )
    if data is None:
        inside = next(g for g in result.functions if g.path == "pkg/shop.py")
        assert inside.advice is not None and "too dear" in inside.advice.suggestions[0].text
    view = build_view(result)
    assert any(
        "outside this project folder" in note and "reported by numbers only" in note
        for note in view["notes"]
    ), view["notes"]
    assert view["input"]["outside_files"] == [outside.path]
    row = next(f for f in view["files"] if f["path"] == outside.path)
    assert row["missing_ranges"] == "3"


def test_the_history_does_not_read_a_file_outside(measured: Path) -> None:
    """A snapshot keeps the outside file's numbers and lines, and no hash of its content."""
    settings = load_settings(measured, {"cache": False}, environ={})
    result = api.plan(measured, settings)
    snapshot_id = api.record(measured, result)
    with History(measured / ".covgap" / "history.db") as history:
        files = history.load(snapshot_id).files
    (outside,) = [f for path, f in files.items() if path.endswith("outside/secret.py")]
    assert outside.content_hash is None and outside.missing_lines == (3,)
    assert files["pkg/shop.py"].content_hash is not None
