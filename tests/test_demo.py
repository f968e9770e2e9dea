"""`covgap demo`: the bundled example is measured for real and planned."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import pytest

from covgap.cli import main


def test_demo_measures_the_example_and_writes_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo runs the example's unit, integration and end-to-end tests and plans from them."""
    # The demo keeps its copy for the user to look at; here it goes under tmp_path.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    out, err = io.StringIO(), io.StringIO()
    code = main(["demo", "--output", str(tmp_path / "report")], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    text = out.getvalue()
    assert "passed" in text and "failed" not in text
    view = json.loads((tmp_path / "report" / "plan.json").read_text())
    files = {f["path"]: f for f in view["files"]}
    assert 30 <= view["totals"]["percent_covered"] <= 50
    assert view["input"]["branch_measured"]
    # The server only runs in the end-to-end test's subprocess: it must be measured.
    server = files["src/shopapp/server.py"]
    assert server["percent_covered"] > 50
    # Modules no test imports are there, at 0%.
    assert files["src/shopapp/gateway.py"]["percent_covered"] == 0
    assert view["plan"]["phases"], "a plan from ~43% to 80% has phases"
    assert (tmp_path / "report" / "plan.md").exists()
    assert f"The example project and its reports stay in {tmp_path}" in text
    assert len(list(tmp_path.glob("covgap-demo-*/shopapp/pyproject.toml"))) == 1


def test_demo_leaves_the_bundled_project_clean() -> None:
    """Running the demo never writes into the installed package."""
    from covgap.demo import PROJECT

    leftovers = [
        p for p in PROJECT.rglob("*") if p.name.startswith(".coverage") or p.name == "__pycache__"
    ]
    assert leftovers == []
