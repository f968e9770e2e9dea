"""Helpers for the HTML report's browser tests and benchmark: Debian's Chromium under Playwright.

No browser is ever downloaded: Playwright launches ``/usr/bin/chromium`` (Debian's package,
installed by ``.ci/run``). Without it, or without Playwright, the tests skip on a developer's
machine and fail under ``CI=true``, so that CI never passes them silently.

Also here: a generated project of many small modules, measured by real coverage.py, for the
size test and ``benchmarks/bench_html.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Request, Route

#: Debian's Chromium; Playwright's own browser builds are never installed here.
CHROMIUM = Path("/usr/bin/chromium")

#: Headless, and nothing that would reach out to the network or to a profile.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
)


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_browser() -> None:
    """Skip (on a developer's machine) or fail (under CI=true) when the browser is missing."""
    import pytest

    reason = missing_browser()
    if reason is None:
        return
    if in_ci():
        pytest.fail(f"the HTML report's browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, for as long as the block runs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watched:
    """What a page did while it was watched: console errors, dialogs and requests."""

    url: str
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def assert_quiet(self) -> None:
        """No console error, uncaught exception, dialog, or request but the page itself."""
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"
        assert self.requests == [], f"requests other than the page: {self.requests}"


def open_report(page: Page, html: Path) -> Watched:
    """Load ``html`` from file:// in ``page``, recording errors, dialogs and blocking requests.

    Every request other than the page itself is aborted and recorded, so a report that loads
    anything (a font, a script, an image, a tracker) fails its test instead of reaching out.
    Waits for the page's ready marker (``<html data-ready="1">``) when the page sets one.
    """
    url = html.resolve().as_uri()
    watched = Watched(url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(f"console: {message.text} ({message.location})")

    def on_page_error(error: Exception) -> None:
        watched.errors.append(f"pageerror: {error}")

    def on_dialog(dialog: Dialog) -> None:
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_route(route: Route, request: Request) -> None:
        if request.url == url:
            route.continue_()
        else:
            watched.requests.append(f"{request.method} {request.url}")
            route.abort()

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("dialog", on_dialog)
    page.route("**/*", on_route)
    page.goto(url, wait_until="load")
    wait_ready(page)
    return watched


#: True once the page's script has rendered: its ready marker, or the first treemap tile.
READY = """() => document.documentElement.dataset.ready === "1"
    || document.querySelector("#treemap .tm-node") !== null"""


def wait_ready(page: Page, timeout: float = 15_000) -> None:
    page.wait_for_function(READY, timeout=timeout)


def embedded_data(page: Page) -> Any:
    """The JSON the page carries in ``#covgap-data``, as the browser parses it."""
    return page.evaluate("() => JSON.parse(document.getElementById('covgap-data').textContent)")


# ----------------------------------------------------------------------------- generated project

_MODULE = '''\
"""Module {index}: a few small functions with branches, as real code has."""


def scale_{index}(value, factor={factor}):
    if value < 0:
        return -value * factor
    return value * factor


def classify_{index}(value):
    if value > {limit}:
        return "big"
    if value == 0:
        return "zero"
    return "small"


def unused_{index}(items):
    total = 0
    for item in items:
        if item % 2:
            total += item
        else:
            total -= item
    return total
'''

_TEST = '''\
"""Imports every generated module and calls some of their functions, so that coverage varies."""

import importlib

MODULES = {modules!r}


def test_modules():
    for index, name in enumerate(MODULES):
        module = importlib.import_module(name)
        if index % 3:
            assert getattr(module, f"scale_{{index}}")(2) >= 0
        if index % 5 == 0:
            getattr(module, f"classify_{{index}}")(index)
        if index % 7 == 0:
            getattr(module, f"unused_{{index}}")(range(index % 4))
'''


def generate_project(destination: Path, files: int, per_folder: int = 25) -> Path:
    """A package of ``files`` small modules in nested folders, and one test that uses them.

    Folders are ``gen/a{i}/b{j}/`` with ``per_folder`` modules each, so the treemap has depth.
    """
    package = destination / "src" / "gen"
    names: list[str] = []
    for index in range(files):
        group, slot = divmod(index, per_folder)
        folder = package / f"a{group // 8:02d}" / f"b{group % 8}"
        if not folder.is_dir():
            folder.mkdir(parents=True)
            for parent in (folder, folder.parent):
                (parent / "__init__.py").touch()
        module = folder / f"m{index:04d}.py"
        module.write_text(_MODULE.format(index=index, factor=slot + 1, limit=index % 11))
        names.append(".".join(module.relative_to(destination / "src").with_suffix("").parts))
    (package / "__init__.py").touch()
    tests = destination / "tests"
    tests.mkdir()
    (tests / "test_generated.py").write_text(_TEST.format(modules=names))
    (destination / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [tool.coverage.run]
            branch = true
            source = ["gen"]

            [tool.pytest.ini_options]
            testpaths = ["tests"]
            pythonpath = ["src"]
            """
        )
    )
    return destination


def _environment() -> dict[str, str]:
    environment = dict(os.environ)
    for name in ("COVERAGE_FILE", "COVERAGE_RCFILE", "COVERAGE_PROCESS_START", "PYTEST_ADDOPTS"):
        environment.pop(name, None)
    return environment


def measure(project: Path) -> None:
    """Run the project's tests under coverage.py (its own configuration), writing .coverage."""
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=_environment(),
        check=True,
        capture_output=True,
        text=True,
    )


def plan_html(project: Path, output: Path, *extra: str) -> tuple[Path, dict[str, Any]]:
    """``covgap plan --format json,html`` on a measured project: the page and plan.json."""
    import json

    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "covgap",
            "plan",
            str(project),
            "--format",
            "json,html",
            "--output",
            str(output),
            *extra,
        ],
        env=_environment(),
        check=False,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr + completed.stdout
    return output / "index.html", json.loads((output / "plan.json").read_text())


def clean(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
