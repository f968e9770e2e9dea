"""The HTML report for a project of 2,000 files: its size, and how fast Chromium makes it usable.

What it does, in a temporary folder:

1. generates a package of ``--files`` small modules (three functions each, with branches) in
   nested folders, and one test that imports all of them and calls some functions
   (``tests/report/browser.py``'s ``generate_project``: the one the size test uses);
2. measures it for real: ``python -m coverage run -m pytest`` (branch coverage);
3. ``covgap plan --format json,html`` (timed), and prints the sizes of ``index.html`` and
   ``plan.json``, and of the page's data block;
4. opens the page from ``file://`` in Debian's Chromium (``/usr/bin/chromium``, through
   Playwright, every other request refused), ``--repeat`` times in a fresh context, and prints
   for each load, in milliseconds from the start of navigation: ``DOMContentLoaded``, ``load``,
   the first table row and treemap tile drawn, and ready (``<html data-ready="1">``, when the
   page sets it; otherwise the later of the first row and tile);
5. then, on the loaded page, the time of a few interactions until the page has redrawn: sorting
   by coverage, filtering by a text, drilling into a folder of the treemap, opening a function.

The page is specified to stay under 5 MB and to be interactive within a second for 2,000 files
(docs/html-report.md); the script prints the numbers and the targets side by side and asserts
no timing: it exits 0, or 1 when a step failed. ``tests/report/test_html.py`` asserts the size.

Run it::

    python benchmarks/bench_html.py                  # 2,000 files, 3 loads
    python benchmarks/bench_html.py --files 5000 --repeat 5 --keep /tmp/bench-html

Needs the test extra (Playwright) and Debian's chromium package; never downloads a browser.

Results (2026-11-21, 2 cores, Python 3.11.7, coverage.py 7.17.3, Chromium 150, Playwright 1.65,
``--repeat 5``, a machine shared with other work): 2,091 files in the plan (2,000 modules and
their packages' ``__init__.py``); ``index.html`` 1,813,847 bytes (data block 1,752,859; next to
it ``plan.json`` 8,235,840); ``covgap plan --format json,html`` 7–9 s; medians over the loads:
ready 194 ms (148–254), DOMContentLoaded 242 ms; sort 33 ms, filter 30 ms, drill into a folder
9 ms, open a function 23 ms.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests" / "report"))

import browser  # noqa: E402  (tests/report/browser.py: the generator and the browser)

MAX_BYTES = 5_000_000
TARGET_READY_MS = 1000.0

#: Installed before the page's own script: records when the page first shows rows, tiles, and
#: its ready marker, in the page's clock (milliseconds since navigation started).
MARKS = """(() => {
  const marks = {};
  window.__covgapBench = marks;
  const check = () => {
    const now = performance.now();
    if (!marks.ready && document.documentElement?.dataset.ready === "1") marks.ready = now;
    if (!marks.treemap && document.querySelector?.("#treemap .tm-node")) marks.treemap = now;
    if (!marks.rows && document.querySelector?.("#gaps-table tbody tr")) marks.rows = now;
  };
  new MutationObserver(check).observe(document, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-ready"],
  });
})();"""

LOADED = "() => window.__covgapBench && window.__covgapBench.treemap && window.__covgapBench.rows"

#: Runs ``action`` (a function body), then waits until ``done`` holds and a frame was drawn;
#: returns the milliseconds taken.
TIMED = """async ([action, done]) => {
  const act = new Function(action), finished = new Function(done);
  const start = performance.now();
  act();
  while (!finished()) await new Promise(r => setTimeout(r, 1));
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  return performance.now() - start;
}"""

INTERACTIONS = {
    "sort by coverage": (
        "document.querySelector('#gaps-table thead button[data-sort=\"coverage\"]').click()",
        "return document.querySelector("
        "'#gaps-table thead th:has(> button[data-sort=\"coverage\"])'"
        ").getAttribute('aria-sort') !== 'none'",
    ),
    "filter by text": (
        "const f = document.querySelector('#gaps-filter'); window.__before ="
        " document.querySelector('#gaps-count').dataset.count; f.value = 'm01';"
        " f.dispatchEvent(new Event('input', {bubbles: true}))",
        "return document.querySelector('#gaps-count').dataset.count !== window.__before",
    ),
    "drill into a folder": (
        "window.__root = document.querySelector('#treemap').dataset.root;"
        " document.querySelector('#treemap .tm-node[data-kind=\"folder\"]').click()",
        "return document.querySelector('#treemap').dataset.root !== window.__root",
    ),
    "open a function": (
        "document.querySelector('#gaps-table .open-function').click()",
        "const v = document.querySelector('#function-view');"
        " return v && (v.open || !v.hidden) && v.querySelector('.src-line, .src-missing')",
    ),
}


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def data_block_bytes(html: Path) -> int:
    text = html.read_text(encoding="utf-8")
    match = re.search(r'<script[^>]*id="covgap-data"[^>]*>(.*?)</script>', text, re.DOTALL)
    return len(match.group(1).encode()) if match else -1


def build(workdir: Path, files: int) -> tuple[Path, dict[str, Any]]:
    started = time.perf_counter()
    project = browser.generate_project(workdir / "project", files)
    log(f"generated {files:,} modules: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    browser.measure(project)
    log(f"coverage run -m pytest: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    html, plan = browser.plan_html(project, workdir / "report")
    log(f"covgap plan --format json,html: {time.perf_counter() - started:.2f} s")
    return html, plan


def load_once(chromium: Any, html: Path, interact: bool) -> dict[str, float]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.add_init_script(MARKS)
        watched = browser.open_report(page, html)
        page.wait_for_function(LOADED, timeout=60_000)
        marks = page.evaluate(
            """() => { const n = performance.getEntriesByType('navigation')[0];
                return {...window.__covgapBench, dcl: n.domContentLoadedEventEnd,
                        load: n.loadEventEnd}; }"""
        )
        result = {
            "DOMContentLoaded": marks["dcl"],
            "load": marks["load"],
            "first row": marks["rows"],
            "first tile": marks["treemap"],
            "ready": marks.get("ready") or max(marks["rows"], marks["treemap"]),
        }
        if interact:
            for name, (action, done) in INTERACTIONS.items():
                result[name] = page.evaluate(TIMED, [action, done])
        watched.assert_quiet()
        return result
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000, help="modules to generate (2000)")
    parser.add_argument("--repeat", type=int, default=3, help="page loads to time (3)")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temp)")
    args = parser.parse_args(argv)

    reason = browser.missing_browser()
    if reason:
        log(f"cannot run: {reason}")
        return 1
    with tempfile.TemporaryDirectory(prefix="covgap-bench-html-") as temporary:
        workdir = Path(args.keep) if args.keep else Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        browser.clean(workdir / "project")
        browser.clean(workdir / "report")
        html, plan = build(workdir, args.files)
        size = html.stat().st_size
        plan_size = (html.parent / "plan.json").stat().st_size
        verdict = "under" if size < MAX_BYTES else "OVER"
        log(
            f"{len(plan['files']):,} files in the plan; index.html {size:,} bytes "
            f"({verdict} the {MAX_BYTES:,} target), of which the data block "
            f"{data_block_bytes(html):,}; plan.json {plan_size:,} bytes"
        )
        rounds = []
        with browser.chromium() as chromium:
            for number in range(args.repeat):
                result = load_once(chromium, html, interact=True)
                rounds.append(result)
                log(f"load {number + 1}: " + json.dumps({k: round(v) for k, v in result.items()}))
        medians = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
        log("medians (ms): " + ", ".join(f"{k} {v:.0f}" for k, v in medians.items()))
        log(f"ready {medians['ready']:.0f} ms (target <= {TARGET_READY_MS:.0f} ms)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # a failed step: say which, exit 1
        log(f"failed: {type(error).__name__}: {error}")
        sys.exit(1)
