"""The assessment cache: a warm plan equals a cold one, and any changed input is assessed again."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import zlib
from pathlib import Path

import pytest
from conftest import measure_copy

from covgap import api
from covgap.config import load_settings
from covgap.report.view import build_view


@pytest.fixture
def advice_project(tmp_path: Path) -> Path:
    return measure_copy("advice", tmp_path / "advice")


def plan_json(project: Path, **overrides: object) -> dict[str, object]:
    settings = load_settings(project, {"target": 100, **overrides}, environ={})
    return json.loads(json.dumps(build_view(api.plan(project, settings))))


def cached_assessments(project: Path) -> int:
    with contextlib.closing(sqlite3.connect(project / ".covgap" / "cache.sqlite3")) as connection:
        return connection.execute("SELECT count(*) FROM assessment").fetchone()[0]


def test_warm_plan_equals_cold_plan(advice_project: Path) -> None:
    """The second plan comes from the cache and is the same, to the last field."""
    cold = plan_json(advice_project)
    assert cached_assessments(advice_project) == 1
    assert plan_json(advice_project) == cold
    assert plan_json(advice_project, cache=False) == cold


def test_changed_inputs_are_assessed_again(advice_project: Path) -> None:
    """Settings that change risk, and a changed source, miss the cache."""
    plan_json(advice_project)
    pyproject = advice_project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.covgap]\ncritical-patterns = ["export"]\n'
    )
    changed = plan_json(advice_project)
    export = next(i for i in changed["top_functions"] if i["function"] == "export")  # type: ignore[union-attr, index]
    assert export["risk"]["factors"][0]["reason"] == (
        "name matches `export` (a name alone is a weak signal)"
    )
    assert cached_assessments(advice_project) == 2


def test_damaged_entry_is_assessed_again(advice_project: Path) -> None:
    """A cache entry that does not decode is ignored, and the plan is unchanged."""
    cold = plan_json(advice_project)
    with (
        contextlib.closing(
            sqlite3.connect(advice_project / ".covgap" / "cache.sqlite3")
        ) as connection,
        connection,
    ):
        damaged = zlib.compress(json.dumps({"regions": [[1, "f", ["oops"]]]}).encode())
        connection.execute("UPDATE assessment SET payload = ?", (damaged,))
    assert plan_json(advice_project) == cold


def test_damaged_advice_lists_the_function_without_its_tests(advice_project: Path) -> None:
    """Advice is read when a report shows it; if that part of an entry is damaged, the function
    is listed without its tests (and the same risk), never a crash."""
    cold = plan_json(advice_project)
    database = advice_project / ".covgap" / "cache.sqlite3"
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        (payload,) = connection.execute("SELECT payload FROM assessment").fetchone()
        entry = json.loads(zlib.decompress(payload))
        for region in entry["regions"]:
            advice = region[2][2]
            region[2][2] = ["f.py", True, "x", 4, [], advice[5], "", advice[7]]  # suggestions: 4
        connection.execute(
            "UPDATE assessment SET payload = ?", (zlib.compress(json.dumps(entry).encode()),)
        )
    warm = plan_json(advice_project)
    items = warm["top_functions"]  # type: ignore[index]
    assert all(item["advice"] is None for item in items)  # type: ignore[index]
    assert [i["risk"] for i in items] == [i["risk"] for i in cold["top_functions"]]  # type: ignore[index]
