"""Gold files: plan.md and plan.json for a fixed coverage report, byte for byte.

To accept a deliberate change: ``COVGAP_UPDATE_GOLD=1 pytest tests/report/test_gold.py``, then
read the diff of tests/gold/ before committing. On a mismatch the actual output is saved in
tests/artifacts/gold/ for inspection.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from covgap import __version__, api
from covgap.config import load_settings
from covgap.report.render import render_files, render_terminal_text
from covgap.report.view import build_view

TESTS = Path(__file__).parents[1]
GOLD = TESTS / "gold"
ARTIFACTS = TESTS / "artifacts" / "gold"


def compare_gold(scenario: str, name: str, actual: str) -> None:
    """Fail with a diff when ``actual`` differs from the gold file; update it on request."""
    gold_file = GOLD / scenario / name
    if os.environ.get("COVGAP_UPDATE_GOLD"):
        gold_file.parent.mkdir(parents=True, exist_ok=True)
        gold_file.write_text(actual)
        return
    expected = gold_file.read_text()
    if actual != expected:
        saved = ARTIFACTS / scenario / name
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(actual)
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), actual.splitlines(True), str(gold_file), str(saved)
            )
        )
        pytest.fail(f"{name} differs from its gold file (actual saved in {saved}):\n{diff}")


def _git(project: Path, *args: str, date: str) -> None:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    identity = ["-c", "user.name=Gold", "-c", "user.email=gold@example.com"]
    subprocess.run(
        ["git", *identity, *args], cwd=project, env=environment, check=True, capture_output=True
    )


def gold_project(destination: Path) -> Path:
    """The gold scenario: sources and their coverage.json, with a fixed git history.

    Two commits: the first has one more line in ``Stock.report`` (so the second changes that
    function), with fixed dates, so that churn is the same on every machine.
    """
    project = destination / "basic"
    shutil.copytree(
        TESTS / "fixtures" / "gold" / "basic", project, ignore=shutil.ignore_patterns("__pycache__")
    )
    stock = project / "src" / "inventory" / "stock.py"
    final = stock.read_text()
    stock.write_text(final.replace("        lines = []\n", "        lines = []\n        # draft\n"))
    _git(project, "init", "-q", "-b", "main", date="2026-01-05T10:00:00Z")
    _git(project, "add", "-A", date="2026-01-05T10:00:00Z")
    _git(project, "commit", "-q", "-m", "first", date="2026-01-05T10:00:00Z")
    stock.write_text(final)
    _git(project, "commit", "-q", "-am", "tidy the report", date="2026-02-10T10:00:00Z")
    os.utime(project / "coverage.json")  # measured after the sources were written, as in life
    return project


@pytest.fixture(scope="module")
def basic_view(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    project_dir = gold_project(tmp_path_factory.mktemp("gold"))
    settings = load_settings(project_dir, {"data-file": "coverage.json"}, environ={})
    view = build_view(api.plan(project_dir, settings))
    # The generator version is the one thing that changes with every release.
    view["generator"] = {"name": "covgap", "version": "GOLD"}
    return view


def test_gold_markdown(basic_view: dict[str, object]) -> None:
    """plan.md equals its gold file."""
    compare_gold("basic", "plan.md", render_files(basic_view, ["md"])["plan.md"])


def test_gold_json(basic_view: dict[str, object]) -> None:
    """plan.json equals its gold file (kept indented there, so that its diffs can be read)."""
    text = render_files(basic_view, ["json"])["plan.json"]
    assert "\n" not in text.rstrip("\n"), "plan.json is written compact"
    compare_gold(
        "basic", "plan.json", json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    )


def test_gold_terminal(basic_view: dict[str, object]) -> None:
    """The terminal summary (plain text, 100 columns) equals its gold file."""
    compare_gold("basic", "summary.txt", render_terminal_text(basic_view, width=100))


def test_version_is_reported(tmp_path: Path) -> None:
    """The real version appears where the gold files show GOLD."""
    project_dir = gold_project(tmp_path)
    settings = load_settings(project_dir, {"data-file": "coverage.json"}, environ={})
    assert build_view(api.plan(project_dir, settings))["generator"]["version"] == __version__
