"""The HTML report in a real browser: Debian's Chromium driven by Playwright (docs/html-report.md).

The pages come from real runs: ``covgap demo`` (the bundled service, measured by its pytest suite
under coverage.py), ``covgap run`` on the XSS fixture project (markup in every name, string and
failure message), and ``covgap plan`` on a generated project of 2,000 small modules measured by
coverage.py. Every check is made on the page as a person uses it: real clicks, real key presses,
the page loaded from ``file://`` with every other request refused.

Screenshots of each view go to ``tests/artifacts/html/`` (ignored by git) to be looked at.
Without Playwright or ``/usr/bin/chromium`` these tests skip, or fail under ``CI=true``.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import browser
import coverage
import pytest
from browser import embedded_data, open_report, require_browser
from coverage.results import format_lines

from covgap.analyze.planning import format_percent
from covgap.cli import main
from covgap.model import Numbers

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the tests skip (or fail in CI): see require_browser
    PlaywrightTimeout = TimeoutError  # type: ignore[misc,assignment]

TESTS = Path(__file__).parents[1]
ARTIFACTS = TESTS / "artifacts" / "html"
XSS_PROJECT = TESTS / "fixtures" / "projects" / "xss"

#: The generated project of the size test: the size the page is specified for.
GENERATED_FILES = 2000
MAX_PAGE_BYTES = 5_000_000

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SVG = '"><svg onload=alert(1)>'
CLOSE = "</script>"
AMP = "&amp;"

#: Files the XSS test writes next to the fixture's named.py, where the file system allows.
XSS_NAMES = (f"{IMG}.py", f"{SVG}.py", f"{AMP}.py", "<script>alert(1)/&lt;b&gt;.py")

#: Namespace names, never fetched: the only URLs the page's markup and script may hold.
NAMESPACES = frozenset(
    {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xhtml", "http://www.w3.org/1999/xlink"}
)

#: Elements the payloads would make if they were parsed as markup.
INJECTED = "img[src=x], svg[onload], [onerror], [onload]"

SORT_KEYS = ("name", "coverage", "missing", "impact", "risk", "priority", "effort")


@dataclass
class Report:
    """One page and the plan.json written with it in the same run."""

    html: Path
    plan: dict[str, Any]
    project: Path
    #: The history's snapshots when the page was written (``covgap history --format json``).
    history: list[dict[str, Any]] = field(default_factory=list)


def covgap(*argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    assert code == 0, err.getvalue() + out.getvalue()
    return out.getvalue()


# ------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for the module."""
    require_browser()
    with browser.chromium() as instance:
        yield instance


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """``covgap demo --format json,html``: the bundled service measured by its own suite."""
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        # The demo keeps its measured copy in a temporary folder: here, under the test's.
        patch.setattr(tempfile, "tempdir", str(folder))
        covgap("demo", "--output", str(folder / "report"), "--format", "json,html")
    (project,) = folder.glob("covgap-demo-*/shopapp")
    return Report(
        folder / "report" / "index.html",
        json.loads((folder / "report" / "plan.json").read_text()),
        project,
    )


@pytest.fixture(scope="module")
def xss(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The XSS project, run twice by ``covgap run`` (so the page has a history and a health)."""
    project = tmp_path_factory.mktemp("xss") / "xss"
    shutil.copytree(XSS_PROJECT, project, ignore=shutil.ignore_patterns("__pycache__"))
    package = project / "src" / "markup"
    template = (package / "named.py").read_text()
    for name in XSS_NAMES:
        try:
            (package / name).parent.mkdir(exist_ok=True)
            (package / name).write_text(template)
        except OSError:  # a file system that refuses the name: the markup stays in the strings
            continue
    # Its tests fail on purpose (the page's health section): --allow-failures exits 0.
    covgap("run", str(project), "--format", "json", "--allow-failures")  # the first snapshot
    # The second run records its snapshot before it writes the page: the trend shows both.
    covgap("run", str(project), "--format", "json,html", "--allow-failures")
    history = json.loads(covgap("history", str(project), "--format", "json"))["snapshots"]
    report = project / "covgap-report"
    plan = json.loads((report / "plan.json").read_text())
    return Report(report / "index.html", plan, project, history)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """A generated project of 2,000 modules in nested folders, measured by coverage.py."""
    folder = tmp_path_factory.mktemp("generated")
    project = browser.generate_project(folder / "project", GENERATED_FILES)
    browser.measure(project)
    html, plan = browser.plan_html(project, folder / "report")
    return Report(html, plan, project)


@pytest.fixture(scope="module")
def partial(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The 'partial' project (its coverage source holds its tests), run on two test files."""
    project = tmp_path_factory.mktemp("partial") / "partial"
    shutil.copytree(TESTS / "fixtures" / "projects" / "partial", project)
    selected = ("tests/test_wrap.py", "tests/test_slug.py")
    covgap("run", str(project), "--format", "json,html", "--no-audit", "--", *selected)
    report = project / "covgap-report"
    return Report(report / "index.html", json.loads((report / "plan.json").read_text()), project)


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh page (its own context: storage, theme) at 1280 × 900."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def screenshot(target: Page | Any, name: str, **options: Any) -> Path:
    """Save a PNG of a page or an element under tests/artifacts/html/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    target.screenshot(path=str(path), **options)
    assert path.stat().st_size > 1000, f"{path} is empty"
    return path


# -------------------------------------------------------------------------- reading the page


def rows(page: Page) -> list[dict[str, Any]]:
    """The table's shown rows: kind, path, name, and each cell's text and data-value."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#gaps-table tbody tr')].map(tr => ({
            kind: tr.dataset.kind, path: tr.dataset.path, name: tr.dataset.name,
            cells: Object.fromEntries([...tr.querySelectorAll('[data-col]')].map(td => [
                td.dataset.col,
                {text: td.textContent.trim(), value: td.dataset.value ?? null,
                 main: (td.querySelector('.open-function') || td).textContent.trim()}]))
        }))"""
    )


def all_rows(page: Page) -> list[dict[str, Any]]:
    """Every matching row: the table is paged, so "Show more" is scrolled to (which loads more
    by itself) or else clicked, until it is gone."""
    more = page.locator("#gaps-more")
    grown = "n => document.querySelectorAll('#gaps-table tbody tr').length > n"
    while more.count() and more.is_visible():
        shown = page.locator("#gaps-table tbody tr").count()
        more.scroll_into_view_if_needed()
        try:
            page.wait_for_function(grown, arg=shown, timeout=1000)
        except PlaywrightTimeout:
            more.click()
            page.wait_for_function(grown, arg=shown)
    return rows(page)


def gaps_count(page: Page) -> int:
    return int(page.get_attribute("#gaps-count", "data-count") or "-1")


def treemap_nodes(page: Page) -> list[dict[str, str]]:
    return page.evaluate(
        """() => [...document.querySelectorAll('#treemap .tm-node')].map(b => ({
            path: b.dataset.path, kind: b.dataset.kind, percent: b.dataset.percent,
            tag: b.tagName}))"""
    )


def treemap_root(page: Page) -> str:
    return page.get_attribute("#treemap", "data-root") or ""


def static_html(html: Path) -> tuple[str, str]:
    """The page's text outside the data block, and the data block's raw text."""
    text = html.read_text(encoding="utf-8")
    match = re.search(
        r'<script[^>]*id="covgap-data"[^>]*>(.*?)</script>', text, flags=re.DOTALL | re.IGNORECASE
    )
    assert match, "no #covgap-data script in the page"
    return text[: match.start(1)] + text[match.end(1) :], match.group(1)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def start_tags(text: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(text)
    return parser.tags


def expand(ranges: str) -> set[int]:
    """ "3-5, 9" → {3, 4, 5, 9}: every line a missing-lines text spans."""
    lines: set[int] = set()
    for part in filter(None, (p.strip() for p in ranges.split(","))):
        if "->" in part:
            continue
        first, _, last = part.partition("-")
        lines.update(range(int(first), int(last or first) + 1))
    return lines


def arc_text(arc: str) -> str:
    """plan.json's "12->14" / "12->exit" as the function view shows it: "12 → 14"."""
    source, destination = arc.split("->")
    return f"{source} → {destination}"


def expected_rows(plan: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, str]]:
    """The table as plan.json says it: (kind, path, name) → the text of each column."""
    risky = (plan.get("risk") or {}).get("functions") or {}
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for item in [
        *(i for phase in plan["plan"]["phases"] for i in phase["items"]),
        *plan["top_functions"],
        *(i for level in ("high", "medium", "low") for i in risky.get(level, [])),
    ]:
        items.setdefault((item["path"], item["function"]), item)
    expected: dict[tuple[str, str, str], dict[str, str]] = {}
    for file in plan["files"]:
        if file["statements"] + file["branches"] == 0:
            continue
        expected["file", file["path"], ""] = {
            "name": file["path"],
            "coverage": file["percent_covered_display"],
            "missing": str(file["missing_statements"] + file["missing_branches"]),
            "impact": file["impact_display"],
        }
        for function in file["functions"]:
            gap = function["missing_statements"] + function["missing_branches"]
            if not gap:
                continue
            item = items.get((file["path"], function["name"]), {})
            risk = item.get("risk") or {}
            effort = item.get("effort")
            expected["function", file["path"], function["name"]] = {
                "name": function["display_name"],
                "coverage": function["percent_covered_display"],
                "missing": str(gap),
                "impact": function["impact_display"],
                "priority": function["priority"] or "",
                "risk": risk.get("level", ""),
                "effort": "" if effort is None else str(effort),
            }
    return expected


def folder_percent(plan: dict[str, Any], folder: str) -> str:
    """A folder's percentage from its files' numbers, displayed as coverage.py would."""
    total = Numbers()
    for file in plan["files"]:
        if file["path"].startswith(folder + "/"):
            total += Numbers(
                file["statements"],
                file["missing_statements"],
                file["branches"],
                file["missing_branches"],
            )
    return format_percent(total.percent_covered, plan["settings"]["precision"])


def children(plan: dict[str, Any], root: str) -> set[tuple[str, str]]:
    """The treemap's nodes under ``root`` per the contract: (path, kind), single-folder chains
    collapsed to their deepest folder, files without statements left out."""
    paths = [
        f["path"] for f in plan["files"] if f["statements"] + f["branches"] and _under(f, root)
    ]

    def entries(folder: str) -> set[str]:
        prefix = f"{folder}/" if folder else ""
        return {prefix + p[len(prefix) :].split("/")[0] for p in paths if p.startswith(prefix)}

    nodes = set()
    for entry in entries(root):
        if entry in paths:
            nodes.add((entry, "file"))
            continue
        while len(inner := entries(entry)) == 1 and next(iter(inner)) not in paths:
            entry = next(iter(inner))
        nodes.add((entry, "folder"))
    return nodes


def _under(file: dict[str, Any], root: str) -> bool:
    return not root or file["path"].startswith(root + "/")


def top_folder(plan: dict[str, Any]) -> str:
    """The folder the treemap starts in: the first that has more than one entry."""
    root = ""
    while len(nodes := children(plan, root)) == 1 and next(iter(nodes))[1] == "folder":
        root = next(iter(nodes))[0]
    return root


# ----------------------------------------------------------------------------------- 1. loading


@pytest.mark.parametrize("name", ["demo", "xss", "generated"])
def test_page_loads_offline_without_errors(
    name: str, page: Page, request: pytest.FixtureRequest
) -> None:
    """From file://, with every other request refused: no console error, no uncaught exception,
    no request; no http(s) URL anywhere in the markup, styles or script (namespaces aside)."""
    report: Report = request.getfixturevalue(name)
    watched = open_report(page, report.html)
    assert page.title()
    assert page.locator("#overview").is_visible()
    watched.assert_quiet()
    outside, _ = static_html(report.html)
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", outside)) - NAMESPACES
    assert urls == set(), f"URLs outside the data block: {sorted(urls)}"
    tags = start_tags(outside)
    assert [t for t, a in tags if t in {"link", "iframe", "object", "embed"}] == []
    assert [a for t, a in tags if t == "script" and a.get("src")] == []
    assert [a for t, a in tags if t == "img" and not (a.get("src") or "").startswith("data:")] == []
    # The data block is the view's, parsed by the browser.
    data = embedded_data(page)
    assert data["totals"] == report.plan["totals"]
    assert data["plan"]["current_display"] == report.plan["plan"]["current_display"]


def test_partial_run_is_said_first_and_test_code_is_marked(page: Page, partial: Report) -> None:
    """A partial run: the overview says so above its numbers, with the command that runs the
    whole suite and the test modules that did not run; test files in the table say so."""
    watched = open_report(page, partial.html)
    note = page.locator('[data-testid="partial-run"]')
    assert note.is_visible()
    assert "run the whole suite" in note.inner_text()
    assert note.bounding_box()["y"] < page.locator('[data-testid="total"]').bounding_box()["y"]
    not_run = page.locator('[data-testid="not-run"] li').all_inner_texts()
    assert [text.split(":")[0] for text in not_run] == [
        "tests/test_color.py",
        "tests/test_unique.py",
    ]
    page.select_option("#gaps-kind", "file")
    rows = page.locator("#gaps-table tbody tr.row-file")
    marked = {
        rows.nth(i).get_attribute("data-path")
        for i in range(rows.count())
        if "test code" in rows.nth(i).inner_text()
    }
    expected = {f["path"] for f in partial.plan["files"] if f["test_code"]}
    shown = {rows.nth(i).get_attribute("data-path") for i in range(rows.count())}
    assert marked == expected & shown and marked
    watched.assert_quiet()


# ----------------------------------------------------------------------------- 2. interactions


def test_sorting_by_every_column(page: Page, demo: Report) -> None:
    """A click on a header sorts the rows by that column (all of them, over the table's pages);
    a second click reverses it, and only that header's aria-sort says so. Rows without a value
    (no risk, no priority) come last either way."""
    watched = open_report(page, demo.html)
    header = page.locator('#gaps-table thead th:has(button[data-sort="impact"])')
    assert header.get_attribute("aria-sort") == "descending", "initial order: impact, descending"
    _assert_sorted(rows(page), "impact", "descending")
    for key in SORT_KEYS:
        button = page.locator(f'#gaps-table thead th > button[data-sort="{key}"]')
        th = page.locator(f'#gaps-table thead th:has(> button[data-sort="{key}"])')
        button.click()
        first = th.get_attribute("aria-sort")
        assert first in {"ascending", "descending"}, key
        natural = "ascending" if key in {"name", "coverage", "priority"} else "descending"
        if key != "impact":  # impact was already sorted descending: a click reverses it
            assert first == natural, key
        others = page.eval_on_selector_all(
            "#gaps-table thead th[aria-sort]",
            "(ths, key) => ths.filter(th => !th.querySelector(`[data-sort='${key}']`))"
            ".map(th => th.getAttribute('aria-sort'))",
            key,
        )
        assert set(others) <= {"none"}, (key, others)
        _assert_sorted(all_rows(page), key, first)  # all of them: the order is not per page
        button.click()
        second = th.get_attribute("aria-sort")
        assert {first, second} == {"ascending", "descending"}, key
        _assert_sorted(rows(page), key, second)
    watched.assert_quiet()


def _sort_value(cell: dict[str, Any]) -> tuple[int, float | str]:
    value = cell["value"]
    if value in (None, ""):
        return (1, "")
    try:
        return (0, float(value))
    except ValueError:
        return (0, value.lower())


def _assert_sorted(shown: list[dict[str, Any]], key: str, direction: str) -> None:
    assert shown, "the table is empty"
    values = [_sort_value(row["cells"][key]) for row in shown]
    present = [v[1] for v in values if v[0] == 0]
    wanted = sorted(present, reverse=direction == "descending")  # type: ignore[type-var]
    assert present == wanted, f"{key} {direction}: {present}"
    blanks = [i for i, v in enumerate(values) if v[0] == 1]
    assert blanks == list(range(len(values) - len(blanks), len(values))), (
        f"{key} {direction}: rows without a value are not all last"
    )


def test_filtering_by_text_and_kind(page: Page, demo: Report) -> None:
    """Typing in the search box keeps the rows whose path or function name holds the text;
    the kind select keeps files or functions; the count says how many match."""
    watched = open_report(page, demo.html)
    expected = expected_rows(demo.plan)
    assert gaps_count(page) == len(expected)

    function = demo.plan["top_functions"][0]["function"]
    text = function.split(".")[-1][:6].upper()  # case-insensitive, part of a name
    page.locator("#gaps-filter").click()
    page.keyboard.type(text)
    matching = {
        key for key in expected if text.lower() in key[1].lower() or text.lower() in key[2].lower()
    }
    page.wait_for_function(
        f"() => document.querySelector('#gaps-count').dataset.count == {len(matching)}"
    )
    shown = all_rows(page)
    assert {(r["kind"], r["path"], r["name"]) for r in shown} == matching
    assert page.locator("#gaps-count").inner_text().strip()

    page.locator("#gaps-filter").press("Control+a")
    page.keyboard.press("Backspace")
    page.select_option("#gaps-kind", "file")
    files = {key for key in expected if key[0] == "file"}
    page.wait_for_function(
        f"() => document.querySelector('#gaps-count').dataset.count == {len(files)}"
    )
    assert {(r["kind"], r["path"], r["name"]) for r in all_rows(page)} == files

    page.select_option("#gaps-kind", "function")
    functions = {key for key in expected if key[0] == "function"}
    page.wait_for_function(
        f"() => document.querySelector('#gaps-count').dataset.count == {len(functions)}"
    )
    assert {(r["kind"], r["path"], r["name"]) for r in all_rows(page)} == functions
    watched.assert_quiet()


def test_treemap_drills_down_and_back_and_filters_the_table(page: Page, generated: Report) -> None:
    """Folder tiles go into their folder (its children, with their percentages), crumbs go back
    up, and a file tile filters the table to that file."""
    plan = generated.plan
    watched = open_report(page, generated.html)
    top = treemap_root(page)
    assert top in {"", top_folder(plan)}
    start = top_folder(plan)
    nodes = treemap_nodes(page)
    assert {(n["path"], n["kind"]) for n in nodes} == children(plan, start)
    assert {n["tag"] for n in nodes} == {"BUTTON"}

    trail = []
    for _ in range(2):
        folder = next(n for n in treemap_nodes(page) if n["kind"] == "folder")
        page.locator(f'#treemap .tm-node[data-path="{folder["path"]}"]').click()
        page.wait_for_function(
            "p => document.querySelector('#treemap').dataset.root === p", arg=folder["path"]
        )
        trail.append(folder["path"])
        nodes = treemap_nodes(page)
        assert {(n["path"], n["kind"]) for n in nodes} == children(plan, folder["path"])
        percents = {f["path"]: f["percent_covered_display"] for f in plan["files"]}
        for node in nodes:
            want = (
                percents[node["path"]]
                if node["kind"] == "file"
                else folder_percent(plan, node["path"])
            )
            assert node["percent"] == want, node
    screenshot(page.locator("#treemap").locator(".."), "treemap-drilled")
    crumbs = page.eval_on_selector_all(
        "#treemap-crumbs button.crumb", "bs => bs.map(b => b.dataset.path)"
    )
    assert crumbs[0] == "" and trail[0] in crumbs

    page.locator(f'#treemap-crumbs button.crumb[data-path="{trail[0]}"]').click()
    page.wait_for_function(
        "p => document.querySelector('#treemap').dataset.root === p", arg=trail[0]
    )
    page.locator('#treemap-crumbs button.crumb[data-path=""]').click()
    page.wait_for_function("p => document.querySelector('#treemap').dataset.root === p", arg=top)

    page.locator(f'#treemap .tm-node[data-path="{trail[0]}"]').click()
    page.locator(f'#treemap .tm-node[data-path="{trail[1]}"]').click()
    file = next(n for n in treemap_nodes(page) if n["kind"] == "file")
    page.select_option("#gaps-kind", "function")
    page.locator(f'#treemap .tm-node[data-path="{file["path"]}"]').click()
    assert page.input_value("#gaps-filter") == file["path"]
    assert page.input_value("#gaps-kind") == "all"
    shown = all_rows(page)
    assert shown and {r["path"] for r in shown} == {file["path"]}
    assert ("file", file["path"], "") in {(r["kind"], r["path"], r["name"]) for r in shown}
    watched.assert_quiet()


def _pick_function(
    plan: dict[str, Any], planned: bool
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """A function with uncovered lines, and a missing branch from a line that ran when there is
    one: one of the plan's items (with its risk and advice), or one the plan does not list."""
    items = {
        (item["path"], item["function"]): item
        for phase in plan["plan"]["phases"]
        for item in phase["items"]
    }
    candidates = [
        (file, function, items.get((file["path"], function["name"])))
        for file in plan["files"]
        for function in file["functions"]
        if function["kind"] != "module"
        and function["missing_ranges"]
        and ((file["path"], function["name"]) in items) == planned
    ]
    with_arcs = [c for c in candidates if c[1]["missing_branch_arcs"] and c[1]["percent_covered"]]
    return (with_arcs or candidates)[0]


def _coverage_lines(report: Report, path: str) -> tuple[list[int], list[int]]:
    """coverage.py's own statements and missing lines of one file of the demo's run."""
    run = report.project / ".covgap" / "run"
    measured = coverage.Coverage(config_file=str(run / "coverage-rc.toml"))
    measured.combine([str(run)], keep=True)
    _, statements, _, missing, _ = measured.analysis2(str(report.project / path))
    return list(statements), list(missing)


@pytest.mark.parametrize("planned", [True, False], ids=["planned", "unplanned"])
def test_function_view_marks_the_uncovered_lines(page: Page, demo: Report, planned: bool) -> None:
    """The function view opened from its row: the function's source, its uncovered lines marked
    as plan.json's missing_ranges say (and as coverage.py says), its partial lines, missing
    branches, risk factors and suggested tests; Escape closes it and gives the focus back."""
    file, function, item = _pick_function(demo.plan, planned)
    watched = open_report(page, demo.html)
    page.locator("#gaps-filter").click()
    page.keyboard.type(function["name"])
    opener = page.locator(
        f'#gaps-table tbody tr[data-kind="function"][data-path="{file["path"]}"]'
        f'[data-name="{function["name"]}"] .open-function'
    )
    opener.click()
    view = page.locator("#function-view")
    view.wait_for(state="visible")
    assert page.locator("#function-title").inner_text().strip() == function["display_name"]

    lines = page.eval_on_selector_all(
        "#function-source .src-line",
        """ls => ls.map(l => ({
            line: Number(l.dataset.line), text: l.textContent,
            missing: l.classList.contains('missing'), partial: l.classList.contains('partial'),
        }))""",
    )
    numbers = [line["line"] for line in lines]
    assert numbers == sorted(numbers)
    assert set(range(function["start_line"], function["end_line"] + 1)) <= set(numbers)
    source = (demo.project / file["path"]).read_text().splitlines()
    for line in lines:
        assert line["text"].rstrip("\n") == source[line["line"] - 1], line

    inside = [
        line for line in lines if function["start_line"] <= line["line"] <= function["end_line"]
    ]
    marked = [line["line"] for line in inside if line["missing"]]
    statements, missing = _coverage_lines(demo, file["path"])
    span = [s for s in statements if function["start_line"] <= s <= function["end_line"]]
    assert set(marked) == {m for m in missing if m in span}
    body = expand(function["missing_ranges"])
    # The def line (and its decorators) belong to the module in coverage.py's regions: marked
    # missing in the view when the module never ran, never counted in the function's numbers.
    header = set(marked) - body
    assert all(line < min(body) for line in header), (header, body)
    assert not header or file["percent_covered"] == 0
    assert format_lines(span, sorted(set(marked) - header)) == function["missing_ranges"]
    sources = {int(arc.split("->")[0]) for arc in function["missing_branch_arcs"]}
    partial = {line["line"] for line in inside if line["partial"]}
    assert partial == sources - set(marked)
    # (the page puts a placeholder <li class="none"> in an empty list)
    branches = page.eval_on_selector_all(
        "#function-branches li:not(.none)", "lis => lis.map(li => li.textContent.trim())"
    )
    assert branches == [arc_text(arc) for arc in function["missing_branch_arcs"]]
    risks = page.eval_on_selector_all(
        "#function-risk li:not(.none)", "lis => lis.map(li => li.textContent)"
    )
    tests = page.locator("#function-tests")
    suggested = tests.locator("li.test").all_inner_texts()
    if item is not None:
        factors = item["risk"]["factors"]
        assert len(risks) == len(factors)
        for factor, text in zip(factors, risks, strict=True):
            # `code` in a reason is shown as code, without its backquotes
            assert factor["reason"].replace("`", "") in text, (factor, text)
        assert item["advice"]["test_file"] in tests.inner_text()
        suggestions = item["advice"]["suggestions"]
        assert len(suggested) == len(suggestions)
        for suggestion, text in zip(suggestions, suggested, strict=True):
            assert suggestion["test_name"] in text
    else:
        assert risks == [] and suggested == []
    screenshot(page, f"function-view-{'planned' if planned else 'unplanned'}")

    page.keyboard.press("Escape")
    view.wait_for(state="hidden")
    assert opener.evaluate("button => button === document.activeElement"), "focus not returned"
    opener.click()
    view.wait_for(state="visible")
    page.locator("#function-close").click()
    view.wait_for(state="hidden")
    watched.assert_quiet()


# ------------------------------------------------------------------------------ 3. screenshots


def test_screenshots_of_each_view(chromium: Browser, demo: Report, xss: Report) -> None:
    """PNGs of every view under tests/artifacts/html/, to be looked at (the drilled treemap
    and the function view are taken by their own tests). Viewport-sized, so they stay legible."""
    for name, width, height, scheme in (
        ("desktop", 1280, 900, "light"),
        ("dark", 1280, 900, "dark"),
        ("phone", 375, 812, "light"),
    ):
        context = chromium.new_context(
            viewport={"width": width, "height": height}, color_scheme=scheme
        )
        page = context.new_page()
        watched = open_report(page, demo.html)
        screenshot(page, f"{name}-overview")
        page.locator("#treemap").scroll_into_view_if_needed()
        screenshot(page, f"{name}-treemap")
        page.locator('#gaps-table thead button[data-sort="coverage"]').click()
        page.locator("#gaps-filter").click()
        page.keyboard.type("auth")
        page.locator("#gaps").scroll_into_view_if_needed()
        screenshot(page, f"{name}-table-sorted-filtered")
        page.locator("#gaps-table tbody .open-function").first.click()
        page.locator("#function-view").wait_for(state="visible")
        screenshot(page, f"{name}-function-view")
        page.keyboard.press("Escape")
        if page.locator("#audit").count():
            page.locator("#audit").scroll_into_view_if_needed()
            screenshot(page, f"{name}-audit")
        if name == "desktop":
            screenshot(page.locator("#audit"), "audit-whole")
            page.locator("#theme-toggle").click()
            page.locator("#overview").scroll_into_view_if_needed()
            screenshot(page, "toggled-dark-overview")
        watched.assert_quiet()
        context.close()

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watched = open_report(page, xss.html)
    screenshot(page, "xss-overview")
    for section in ("gaps", "health", "trend"):
        if page.locator(f"#{section}").count():
            screenshot(page.locator(f"#{section}"), f"xss-{section}")
    watched.assert_quiet()
    context.close()


# -------------------------------------------------------------------------------------- 4. XSS


def test_markup_from_the_project_is_text_never_markup(
    page: Page, xss: Report, demo: Report
) -> None:
    """Paths, source lines, test ids and failure messages full of markup: no dialog fires, no
    element is made from them, and they read as the text they are."""
    plan = xss.plan
    paths = {f["path"] for f in plan["files"]}
    written = {f"src/markup/{name}" for name in XSS_NAMES} & paths
    assert f"src/markup/{IMG}.py" in written, "the file system refused every markup name"

    # The data block cannot close its script element: no "<" in it at all.
    outside, block = static_html(xss.html)
    assert "<" not in block and ">" not in block
    for payload in (SCRIPT, IMG, SVG):
        assert payload not in outside

    watched = open_report(page, xss.html)
    assert page.evaluate(f"() => document.querySelectorAll({INJECTED!r}).length") == 0
    # As many script elements as the demo's page, which has no markup in its data.
    demo_scripts = [t for t, _ in start_tags(static_html(demo.html)[0]) if t == "script"]
    assert page.evaluate("() => document.scripts.length") == len(demo_scripts)

    # Paths: in the table as text, and in data-path exactly.
    for path in written:
        names = page.evaluate(
            """p => [...document.querySelectorAll('#gaps-table tbody tr[data-kind="file"]')]
                .filter(tr => tr.dataset.path === p)
                .map(tr => tr.querySelector('[data-col="name"]').textContent)""",
            path,
        )
        assert names == [path], (path, names)
    # The failure messages and test ids, in the health section, as text.
    health = page.locator("#health").inner_text()
    assert SCRIPT in health and SVG in health and AMP in health and CLOSE in health
    # A source line with "</script><script>…" in the function view, as text.
    page.locator("#gaps-filter").click()
    page.keyboard.type("greet")
    page.locator('#gaps-table tbody tr[data-name="greet"] .open-function').click()
    page.locator("#function-view").wait_for(state="visible")
    source = page.locator("#function-source").inner_text()
    assert f'return "{CLOSE}{SCRIPT}"' in source
    assert 'f"hello {name} {AMP}"' in source
    page.keyboard.press("Escape")
    # The markup folder, drilled into through the treemap.
    folder = "src/markup/<script>alert(1)"
    if any(p.startswith(folder + "/") for p in paths):
        page.locator("#treemap .tm-node[data-kind='folder']").filter(
            has_text="<script>"
        ).first.click()
        page.wait_for_function(
            "p => document.querySelector('#treemap').dataset.root === p", arg=folder
        )
        assert "<script>alert(1)" in page.locator("#treemap-crumbs").inner_text()
    assert page.evaluate(f"() => document.querySelectorAll({INJECTED!r}).length") == 0
    watched.assert_quiet()


def test_audit_health_and_trend_sections(chromium: Browser, xss: Report, generated: Report) -> None:
    """The audit's findings, the suite's failures by cause and the history's snapshots, as the
    view and the history say; each section is left out when there is nothing to show."""
    page = chromium.new_page()
    watched = open_report(page, xss.html)
    plan = xss.plan
    findings = page.eval_on_selector_all(
        "#audit .finding", "fs => fs.map(f => [f.dataset.severity, f.textContent])"
    )
    assert [f[0] for f in findings] == [f["severity"] for f in plan["audit"]["findings"]]
    for (_, text), finding in zip(findings, plan["audit"]["findings"], strict=True):
        assert finding["title"].replace("`", "") in text, finding["rule"]

    groups = page.eval_on_selector_all("#health .health-group", "gs => gs.map(g => g.textContent)")
    assert len(groups) == len(plan["health"]["groups"]) == 2
    for text, group in zip(groups, plan["health"]["groups"], strict=True):
        assert group["cause"] in text
        for test in group["tests"]:
            assert test["nodeid"] in text and test["message"] in text

    precision = plan["settings"]["precision"]
    points = page.eval_on_selector_all(
        "#trend svg circle.point",
        "cs => cs.map(c => [c.dataset.percent, c.querySelector('title')?.textContent])",
    )
    assert [p[0] for p in points] == [format_percent(s["percent"], precision) for s in xss.history]
    assert all(title for _, title in points)
    assert page.locator("#trend-list").count() == 1
    watched.assert_quiet()
    page.close()

    # A plan from a .coverage file: no suite run, no history.
    page = chromium.new_page()
    watched = open_report(page, generated.html)
    assert page.locator("#health").count() == 0
    assert page.locator("#trend").count() == 0
    assert page.locator("#audit").count() == (1 if generated.plan["audit"] else 0)
    watched.assert_quiet()
    page.close()


# ------------------------------------------------------------------------ 5. numbers = plan.json


def test_numbers_equal_plan_json(page: Page, demo: Report) -> None:
    """The overview, the phases and every row of the table show plan.json's values."""
    plan = demo.plan["plan"]
    watched = open_report(page, demo.html)
    assert (
        page.inner_text('#overview [data-testid="total"]').strip() == f"{plan['current_display']}%"
    )
    assert (
        page.inner_text('#overview [data-testid="target"]').strip() == f"{plan['target_display']}%"
    )
    assert page.inner_text('#overview [data-testid="gap"]').strip() == plan["gap_display"]
    phases = page.eval_on_selector_all(
        "#phases .phase", "ps => ps.map(p => [p.dataset.milestone, p.dataset.failUnder])"
    )
    assert phases == [[p["milestone_display"], p["fail_under_display"]] for p in plan["phases"]]
    assert phases, "the demo's plan has phases"

    expected = expected_rows(demo.plan)
    shown = {(r["kind"], r["path"], r["name"]): r for r in all_rows(page)}
    assert set(shown) == set(expected)
    for key, want in expected.items():
        cells = shown[key]["cells"]
        for column, text in want.items():
            got = cells[column]["main"] if column == "name" else cells[column]["text"]
            assert got == text, (key, column)
    watched.assert_quiet()


# ---------------------------------------------------------------------------- 6. readable sizes


#: The document's width, which must never exceed the viewport's (one pixel for rounding).
SCROLL_WIDTH = "() => document.documentElement.scrollWidth"


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("name", ["demo", "xss"])
def test_readable_at_desktop_and_phone_widths(
    chromium: Browser, request: pytest.FixtureRequest, name: str, width: int
) -> None:
    """No horizontal scrolling of the document, with the function view open too; the table
    scrolls inside its own box (at 375 px it is wider than that box)."""
    report: Report = request.getfixturevalue(name)
    context = chromium.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    watched = open_report(page, report.html)
    assert page.evaluate(SCROLL_WIDTH) <= width + 1
    box = page.evaluate(
        """() => { const t = document.querySelector('#gaps-table');
            let e = t.parentElement;
            while (e && !['auto', 'scroll'].includes(getComputedStyle(e).overflowX)) {
                e = e.parentElement; }
            return e && {client: e.clientWidth, scroll: e.scrollWidth}; }"""
    )
    assert box, "the table is in no horizontally scrolling container"
    assert box["client"] <= width
    if width == 375:
        assert box["scroll"] > box["client"], "at 375 px the table scrolls inside its box"
    page.locator("#gaps-table tbody .open-function").first.click()
    page.locator("#function-view").wait_for(state="visible")
    assert page.evaluate(SCROLL_WIDTH) <= width + 1
    dialog = page.locator("#function-view").bounding_box()
    assert dialog and dialog["x"] >= 0 and dialog["x"] + dialog["width"] <= width + 1
    watched.assert_quiet()
    context.close()


def test_light_and_dark_themes(chromium: Browser, demo: Report) -> None:
    """The system's colour scheme picks the theme; the toggle flips it; the colours differ."""
    backgrounds = {}
    for scheme in ("light", "dark"):
        context = chromium.new_context(color_scheme=scheme)
        page = context.new_page()
        watched = open_report(page, demo.html)
        assert page.get_attribute("html", "data-theme") == scheme
        backgrounds[scheme] = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        page.locator("#theme-toggle").click()
        other = "dark" if scheme == "light" else "light"
        assert page.get_attribute("html", "data-theme") == other
        toggled = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert toggled != backgrounds[scheme]
        watched.assert_quiet()
        context.close()
    assert backgrounds["light"] != backgrounds["dark"]


# ------------------------------------------------------------------------------------ 7. size


def test_page_of_2000_files_is_under_5_mb(generated: Report) -> None:
    """The page for 2,000 files (a real coverage.py run) weighs less than 5 MB. (How fast it
    becomes interactive is measured by benchmarks/bench_html.py, never asserted here.)"""
    assert len([f for f in generated.plan["files"] if f["path"].endswith(".py")]) >= GENERATED_FILES
    size = generated.html.stat().st_size
    assert size < MAX_PAGE_BYTES, f"{size:,} bytes"
