"""index.html without a browser: one self-contained file, escaped, carrying plan.json's values,
small (docs/html-report.md). The page in Chromium is tested by tests/report/test_html.py."""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import measure_copy

from covgap import api
from covgap.cli import main
from covgap.config import FORMATS, Settings, load_settings
from covgap.model import PlanResult
from covgap.report import html
from covgap.report.render import FILE_NAMES, render_files
from covgap.report.view import build_view

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
STATIC = Path(html.__file__).parent / "static"
PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(1)>&amp;\u2028\u2029"


def data_block(page: str) -> tuple[str, str]:
    """The page outside the data block, and the data block's raw text."""
    match = re.search(
        r'<script type="application/json" id="covgap-data">(.*?)</script>', page, re.S
    )
    assert match, "no #covgap-data block"
    return page[: match.start(1)] + page[match.end(1) :], match.group(1)


def page_data(page: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(data_block(page)[1])
    return data


def records(table: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PlanResult, dict[str, Any]]:
    """The basic project measured by its suite, planned (risk and audit on), and its view."""
    project = measure_copy("basic", tmp_path_factory.mktemp("html") / "basic")
    settings = load_settings(project, {"cache": False}, environ={})
    result = api.plan(project, settings)
    return project, result, build_view(result)


@pytest.fixture(scope="module")
def page(planned: tuple[Path, PlanResult, dict[str, Any]]) -> str:
    project, result, view = planned
    return html.render_html(view, html.collect_extras(result, view, project))


# ------------------------------------------------------------------------------ one file


def test_html_is_a_default_format_written_as_index_html() -> None:
    """`html` is a format, on by default, written to index.html."""
    assert "html" in FORMATS
    assert "html" in Settings().formats
    assert FILE_NAMES["html"] == "index.html"


def test_plan_writes_index_html(measured_basic: Path, tmp_path: Path) -> None:
    """`covgap plan` writes index.html next to plan.md and plan.json by default."""
    output = tmp_path / "out"
    out, err = io.StringIO(), io.StringIO()
    code = main(["plan", str(measured_basic), "--output", str(output), "--no-cache"], out, err)
    assert code == 0, err.getvalue()
    assert sorted(p.name for p in output.iterdir()) == [
        "audit.md",
        "index.html",
        "plan.json",
        "plan.md",
    ]
    assert f"Wrote {output / 'index.html'}" in out.getvalue()
    page = (output / "index.html").read_text(encoding="utf-8")
    assert (
        page_data(page)["plan"]["current_display"]
        == json.loads((output / "plan.json").read_text())["plan"]["current_display"]
    )
    # The sources were read from the project folder the CLI was given.
    assert page_data(page)["sources"]


def test_page_is_one_self_contained_file(page: str) -> None:
    """The CSP, the inlined CSS and script, and nothing that loads anything."""
    assert page.startswith("<!DOCTYPE html>")
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    outside, _ = data_block(page)
    assert re.findall(r"https?://", outside) == []
    assert not re.search(r"<(link|iframe|object|embed|img)\b", outside)
    assert not re.search(r"<script[^>]*\bsrc=", outside)
    assert "@import" not in outside and "url(" not in outside and "@font-face" not in outside
    css = (STATIC / "report.css").read_text()
    script = (STATIC / "report.js").read_text()
    assert css.strip() in page and script.strip() in page
    assert outside.count("<script") == 3  # the theme, the data, the page's script


def test_static_files_build_no_markup_from_strings() -> None:
    """The script builds the page from text only, and contains no URL."""
    script = (STATIC / "report.js").read_text()
    css = (STATIC / "report.css").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    assert not re.search(r"https?://", script + css)


def test_page_renders_without_extras(planned: tuple[Path, PlanResult, dict[str, Any]]) -> None:
    """Without a project folder: no sources (the view says "source not found"), no trend."""
    _, _, view = planned
    text = render_files(view, ["html"])["index.html"]
    data = page_data(text)
    assert data["sources"] == {} and data["trend"] is None
    assert 'id="trend"' not in text
    assert 'id="audit"' in text  # the audit ran
    assert 'id="health"' not in text  # no suite was run


# ----------------------------------------------------------------------------- escaping


def _marked_view(view: dict[str, Any]) -> dict[str, Any]:
    """The view with markup in a path, a function name, a note and a finding."""
    marked = copy.deepcopy(view)
    old = marked["files"][0]["path"]
    new = f"src/{PAYLOAD}/evil.py"
    for file in marked["files"]:
        if file["path"] == old:
            file["path"] = new
            file["functions"][-1]["display_name"] = PAYLOAD
            file["functions"][-1]["missing_ranges"] = PAYLOAD
    for item in (i for phase in marked["plan"]["phases"] for i in phase["items"]):
        if item["path"] == old:
            item["path"] = new
    marked["notes"].append(PAYLOAD)
    marked["input"]["path"] = PAYLOAD
    if marked["audit"] and marked["audit"]["findings"]:
        marked["audit"]["findings"][0]["fix"] = f"</pre>{PAYLOAD}"
    return marked


def test_project_text_is_data_never_markup(
    planned: tuple[Path, PlanResult, dict[str, Any]],
) -> None:
    """Markup in project text: the JSON escapes < > & U+2028 U+2029, parses back to the same
    text, and the template writes it escaped."""
    _, _, view = planned
    marked = _marked_view(view)
    text = html.render_html(marked)
    outside, block = data_block(text)
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in block, repr(raw)
    assert "\\u003cscript\\u003e" in block
    assert PAYLOAD not in outside and "<script>alert" not in outside
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in outside  # the input path, by Jinja2
    data = json.loads(block)
    assert PAYLOAD in data["notes"]
    assert f"src/{PAYLOAD}/evil.py" in {f["path"] for f in records(data["files"])}
    assert PAYLOAD in {f["display_name"] for f in records(data["functions"])}
    assert any(f["path"].startswith("src/<script>") for f in records(data["folders"]))


def test_escape_json_round_trips() -> None:
    text = html.escape_json({"a": PAYLOAD, "b": ["</script>", "<!--"]})
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(text) == {"a": PAYLOAD, "b": ["</script>", "<!--"]}


# --------------------------------------------------------------------- data = plan.json


def test_data_block_holds_plan_json_values(
    planned: tuple[Path, PlanResult, dict[str, Any]], page: str
) -> None:
    """Every value the page shows is plan.json's, compared field by field."""
    _, _, view = planned
    plan = json.loads(json.dumps(view))  # plan.json is the view, as JSON
    data = page_data(page)
    assert data["totals"] == plan["totals"]
    assert data["tier_counts"] == plan["tier_counts"]
    assert data["generator"] == plan["generator"]
    assert data["audit"]["score"] == plan["audit"]["score"]
    assert data["plan"]["phases"] == [
        {k: v for k, v in phase.items() if k not in ("items", "units")}
        for phase in plan["plan"]["phases"]
    ]
    for name in ("current_display", "target_display", "gap_display", "final_display"):
        assert data["plan"][name] == plan["plan"][name]

    files = records(data["files"])
    assert [f["path"] for f in files] == [f["path"] for f in plan["files"]]
    for shown, file in zip(files, plan["files"], strict=True):
        assert {k: v for k, v in shown.items() if k != "gap"} == {
            k: file[k] for k in data["files"]["columns"] if k != "gap"
        }
        assert shown["gap"] == file["missing_statements"] + file["missing_branches"]

    items = {
        (i["path"], i["function"]): i
        for i in [*(i for p in plan["plan"]["phases"] for i in p["items"]), *plan["top_functions"]]
    }
    regions = {(f["path"], r["name"]): r for f in plan["files"] for r in f["functions"]}
    functions = records(data["functions"])
    assert {(f["path"], f["name"]) for f in functions} == {
        key for key, r in regions.items() if r["missing_statements"] + r["missing_branches"]
    }
    for function in functions:
        key = (function["path"], function["name"])
        region = regions[key]
        for column in html._REGION_COLUMNS[1:]:
            assert function[column] == region[column], (key, column)
        item = items.get(key)
        if item and item["risk"]:
            assert function["gap"] == item["gap"]
            assert function["effort"] == item["effort"]
            assert function["risk_level"] == item["risk"]["level"]
            assert function["risk_score"] == item["risk"]["score"]
    assert data["details"]
    for detail in data["details"]:
        item = items.get((detail["path"], detail["function"]))
        if item:
            assert detail["advice"] == item["advice"] and detail["risk"] == item["risk"]


def test_folders_are_summed_as_coverage_does(page: str) -> None:
    """A folder's percentage is its files' totals, displayed like theirs."""
    data = page_data(page)
    files = records(data["files"])
    folders = {f["path"]: f for f in records(data["folders"])}
    assert set(folders) == {"src", "src/inventory"}
    inventory = folders["src/inventory"]
    for name in ("statements", "missing_statements", "branches", "missing_branches"):
        assert inventory[name] == sum(f[name] for f in files)
    assert inventory["percent_covered_display"] == data["totals"]["percent_covered_display"]
    assert inventory["percent_covered"] == data["totals"]["percent_covered"]


# ---------------------------------------------------------------------------- sources


def test_sources_are_the_functions_lines_with_their_gaps(
    planned: tuple[Path, PlanResult, dict[str, Any]], page: str
) -> None:
    """The source lines as on disk, the uncovered lines and partial lines as measured."""
    project, result, _ = planned
    data = page_data(page)
    measured = {f.path: f for f in result.project.files}
    assert data["sources"]
    for path, source in data["sources"].items():
        lines = (project / path).read_text().splitlines()
        shown: set[int] = set()
        for first, texts in source["hunks"]:
            for offset, text in enumerate(texts):
                assert text == lines[first + offset - 1]
                shown.add(first + offset)
        file = measured[path]
        assert source["missing"] == sorted(shown & set(file.missing_lines))
        partial = {line for line, _ in file.missing_arcs} - set(file.missing_lines)
        assert source["partial"] == sorted(shown & partial)
    report = next(
        f
        for f in records(data["functions"])
        if f["name"] == "Stock.report" and f["path"] in data["sources"]
    )
    hunks = data["sources"][report["path"]]["hunks"]
    lines = {first + i for first, texts in hunks for i in range(len(texts))}
    assert set(range(report["start_line"], report["end_line"] + 1)) <= lines


def test_missing_and_foreign_sources_are_not_read(tmp_path: Path) -> None:
    """A file that is gone says so; a path outside the project folder is never read."""
    project = tmp_path / "project"
    project.mkdir()
    secret = tmp_path / "secret.py"
    secret.write_text("TOKEN = 'do not show'\n")
    view = _tiny_view(["gone.py", str(secret), "../secret.py"])
    sources = html.read_sources(project, view, {})
    assert "does not exist" in sources["gone.py"]["error"]
    assert "outside the project folder" in sources[str(secret)]["error"]
    assert "outside the project folder" in sources["../secret.py"]["error"]
    assert "do not show" not in json.dumps(sources)


def test_long_functions_are_shown_around_their_gaps() -> None:
    """Past WHOLE_FUNCTION_LINES a function is its first lines and hunks around its gaps."""
    short = html._wanted_lines(10, 20, {15}, set(), 100)
    assert short == list(range(10, 21))
    lines = html._wanted_lines(1, 1000, {500}, {800}, 2000)
    assert lines == [1, 2, 3, *range(497, 504), *range(797, 804)]
    assert html._wanted_lines(1, 1000, set(), set(), 5) == [1, 2, 3, 4, 5]  # the file shrank


def test_long_lines_are_cut(tmp_path: Path) -> None:
    (tmp_path / "wide.py").write_text("x = '" + "a" * 5000 + "'\n")
    sources = html.read_sources(tmp_path, _tiny_view(["wide.py"]), {"wide.py": ([1], [])})
    ((first, texts),) = sources["wide.py"]["hunks"]
    assert first == 1 and len(texts[0]) == html.LINE_CHARS_CAP and texts[0].endswith("…")
    assert sources["wide.py"]["missing"] == [1]


def test_lines_are_numbered_as_python_numbers_them(tmp_path: Path) -> None:
    """CRLF endings, a form feed and U+2028 in a string: three lines, as coverage.py counts."""
    (tmp_path / "odd.py").write_bytes('a = "\u2028"\r\n\x0c\r\nb = 1\r\n'.encode())
    view = _tiny_view(["odd.py"])
    view["files"][0]["functions"][0]["end_line"] = 3
    sources = html.read_sources(tmp_path, view, {"odd.py": ([3], [])})
    assert sources["odd.py"]["hunks"] == [[1, ['a = "\u2028"', "\x0c", "b = 1"]]]
    assert sources["odd.py"]["missing"] == [3]


# ------------------------------------------------------------------------------ trend


def test_trend_comes_from_the_history(tmp_path: Path) -> None:
    """With two snapshots recorded, the page carries both and the change between them."""
    project = measure_copy("basic", tmp_path / "basic")
    settings = load_settings(project, {"cache": False}, environ={})
    result = api.plan(project, settings)
    view = build_view(result)
    assert html.collect_extras(result, view, project).trend is None
    api.record(project, result)
    api.record(project, result)
    extras = html.collect_extras(result, view, project)
    assert extras.trend is not None
    snapshots = extras.trend["snapshots"]
    total = view["totals"]["percent_covered_display"]
    assert [s["percent_display"] for s in snapshots] == [total, total]
    assert snapshots[0]["delta"] is None
    assert snapshots[1]["delta"]["text"].startswith("+0.0 points")
    text = html.render_html(view, extras)
    assert '<section id="trend"' in text and '<svg id="trend-chart"' in text


def test_a_damaged_history_costs_the_trend_only(
    planned: tuple[Path, PlanResult, dict[str, Any]], tmp_path: Path
) -> None:
    project, result, view = planned
    copy_dir = tmp_path / "copy"
    shutil.copytree(project, copy_dir)
    (copy_dir / ".covgap").mkdir(exist_ok=True)
    (copy_dir / ".covgap" / "history.db").write_bytes(b"not a database" * 100)
    extras = html.collect_extras(result, view, copy_dir)
    assert extras.trend is None
    assert any("trend is not shown" in note for note in extras.notes)


# ------------------------------------------------------------------------------- size


def _tiny_view(paths: list[str]) -> dict[str, Any]:
    """A minimal view: one function with a gap in each file."""
    return {
        "generator": {"name": "covgap", "version": "test"},
        "input": {"kind": "coverage-data", "path": ".coverage", "branch_measured": True},
        "settings": {
            "precision": 1,
            "top": 10,
            "target": 80.0,
            "file_target": 80.0,
            "tiers": [{"name": "critical", "from": 0.0}, {"name": "good", "from": 50.0}],
        },
        "totals": {},
        "tier_counts": {},
        "plan": {"phases": [], "notes": []},
        "top_functions": [],
        "risk": None,
        "notes": [],
        "files": [
            {
                "path": path,
                "statements": 1,
                "missing_statements": 1,
                "branches": 0,
                "missing_branches": 0,
                "percent_covered": 0.0,
                "percent_covered_display": "0.0",
                "tier": "critical",
                "impact": 1.0,
                "impact_display": "1.00",
                "impact_to_target_display": "1.00",
                "functions": [
                    {
                        "name": "f",
                        "display_name": "f",
                        "kind": "function",
                        "start_line": 1,
                        "end_line": 1,
                        "statements": 1,
                        "missing_statements": 1,
                        "branches": 0,
                        "missing_branches": 0,
                        "percent_covered": 0.0,
                        "percent_covered_display": "0.0",
                        "missing_ranges": "1",
                        "missing_branch_arcs": [],
                        "impact": 1.0,
                        "impact_display": "1.00",
                        "priority": "P0",
                    }
                ],
            }
            for path in paths
        ],
    }


@pytest.fixture(scope="module")
def big(
    planned: tuple[Path, PlanResult, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """2,000 files (copies of the basic project's, in 80 folders) with their sources on disk."""
    project, _, view = planned
    folder = tmp_path_factory.mktemp("big")
    files = []
    for index in range(2000):
        original = view["files"][index % len(view["files"])]
        path = f"src/pkg{index // 25:02d}/{index:04d}_{original['path'].rsplit('/', 1)[-1]}"
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(project / original["path"], folder / path)
        files.append({**copy.deepcopy(original), "path": path})
    big_view = {**view, "files": files}
    yield folder, big_view


def test_page_of_2000_files_stays_small(
    planned: tuple[Path, PlanResult, dict[str, Any]], big: tuple[Path, dict[str, Any]]
) -> None:
    """Under 5 MB with every cap reached: the table's functions and the details are capped, and
    a note says so."""
    _, result, _ = planned
    folder, view = big
    measured = {f.path: (f.missing_lines, f.missing_arcs) for f in result.project.files}
    line_data = {
        f["path"]: measured["src/inventory/" + f["path"].rsplit("/", 1)[1].split("_", 1)[1]]
        for f in view["files"]
    }
    sources = html.read_sources(folder, view, line_data)
    text = html.render_html(view, html.HtmlExtras(sources=sources))
    size = len(text.encode())
    assert size < 5_000_000, f"{size:,} bytes"
    data = page_data(text)
    assert len(records(data["files"])) == 2000
    assert data["functions"]["shown"] <= html.FUNCTIONS_CAP < data["functions"]["total"]
    assert any("of the" in note and "functions with gaps" in note for note in data["notes"])
    assert (
        sum(
            len(t)
            for s in data["sources"].values()
            for _, texts in s.get("hunks", [])
            for t in texts
        )
        <= html.SOURCE_CHARS_CAP
    )
