"""Hostile project text in covgap's Markdown: plan.md and the pull-request comment of a real
project measured for real, whose test ids, failure and exception messages, conditions and
function names hold HTML, backticks, pipes, newlines and mentions. Read back by a CommonMark
parser (markdown-it-py, GFM tables), they hold no HTML but covgap's own and no mention outside
code, and each name shows in a code span exactly."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from covgap.cli import main
from covgap.errors import ExitCode

MARKDOWN = MarkdownIt("commonmark").enable("table")
#: A mention or an issue reference, as GitHub links them in text.
MENTION = re.compile(r"@[A-Za-z0-9]|#[0-9]")

#: A function's name as a crafted coverage.json may give it.
HOSTILE_NAME = "</details><img src=x onerror=alert(1)> @org/team `tick` |pipe"
#: A parametrize id: part of the test's node id.
HOSTILE_ID = "</details><img src=x onerror=alert(2)> @org/team ``x`` |pipe"

SHOP = """\
def price(x):
    return x
"""

REFUND = """

def refund(amount):
    if amount == "``":
        raise ValueError("</details><img src=x onerror=alert(3)> @org/team #12 `tick` |p")
    return amount
"""

TESTS = f"""\
import pytest

from pkg.shop import price, refund


def test_price():
    assert price(1) == 1


def test_refund():
    assert refund(1) == 1


@pytest.mark.parametrize("case", ["x"], ids=[{HOSTILE_ID!r}])
def test_hostile(case):
    raise RuntimeError("</details><img src=x onerror=alert(4)> @org/team fixes #12 `t` |p\\nnext")
"""

#: The HTML the comment writes itself; nothing else may be HTML.
OWN_HTML = re.compile(
    r"<!-- covgap check -->|<details( open)?><summary>[A-Za-z ]+</summary>|</details>|<sub>|</sub>"
)


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=T", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project on a feature branch, measured (one test fails), with a coverage.json whose
    ``refund`` is renamed ``HOSTILE_NAME``."""
    project = tmp_path_factory.mktemp("hostile") / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "tests").mkdir()
    (project / "pkg" / "__init__.py").write_text("")
    (project / "pkg" / "shop.py").write_text(SHOP)
    (project / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "1"\n')
    (project / ".gitignore").write_text(".coverage*\ncoverage.json\njunit.xml\n.covgap/\nout/\n")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "start")
    git(project, "checkout", "-q", "-b", "feature")
    (project / "pkg" / "shop.py").write_text(SHOP + REFUND)
    (project / "tests" / "test_shop.py").write_text(TESTS)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "refund")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "PYTEST_"))}
    for command in (
        ["run", "--branch", "--source=pkg", "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--junitxml=junit.xml"],
        ["json", "-q", "-o", "coverage.json"],
    ):  # fmt: skip
        subprocess.run(
            [sys.executable, "-m", "coverage", *command], cwd=project, env=env, capture_output=True
        )
    report = json.loads((project / "coverage.json").read_text())
    functions = report["files"]["pkg/shop.py"]["functions"]
    functions[HOSTILE_NAME] = functions.pop("refund")
    (project / "coverage.json").write_text(json.dumps(report))
    return project


def tokens(markdown: str) -> list[Token]:
    """Every token of ``markdown``, inline ones included."""
    found: list[Token] = []
    for token in MARKDOWN.parse(markdown):
        found.append(token)
        found.extend(token.children or ())
    return found


def assert_safe(markdown: str, own_html: re.Pattern[str] | None = None) -> list[Token]:
    """No HTML but ``own_html``, no mention or issue reference outside code."""
    found = tokens(markdown)
    for token in found:
        if token.type in ("html_block", "html_inline"):
            assert own_html is not None, token.content
            assert own_html.fullmatch(token.content.strip()), token.content
        if token.type == "text":
            assert not MENTION.search(token.content), token.content
    return found


def code_spans(found: list[Token]) -> list[str]:
    return [t.content for t in found if t.type == "code_inline"]


def test_plan_md_holds_hostile_text_as_text(hostile: Path) -> None:
    """plan.md: the failing test's id and message and a function's name, and audit.md beside
    it: none is HTML or a mention; names are code. (The uncovered raise's message and condition
    are in plan.json and the page: plan.md gives each function one line.)"""
    data, junit = str(hostile / "coverage.json"), str(hostile / "junit.xml")
    code, _, err = run(
        "plan", str(hostile), "--data", data, "--junit", junit, "--format", "md",
        "--output", str(hostile / "out"), "--no-cache",
    )  # fmt: skip
    assert code == ExitCode.OK, err
    plan = (hostile / "out" / "plan.md").read_text()
    found = assert_safe(plan)
    spans = code_spans(found)
    assert HOSTILE_NAME in spans  # in the top risks, the phase's unit of work, the risk table
    assert f"tests/test_shop.py::test_hostile[{HOSTILE_ID}]" in spans  # the failing test
    # The failure message: text, on one line, shown as written.
    texts = "".join(t.content for t in found if t.type == "text")
    shown = "</details><img src=x onerror=alert(4)> @\u200borg/team fixes #\u200b12 `t` |p"
    assert f"RuntimeError: {shown}" in texts
    assert_safe((hostile / "out" / "audit.md").read_text())


def test_the_comment_holds_hostile_text_as_text(hostile: Path, tmp_path: Path) -> None:
    """The pull-request comment: "Why the gates failed" and the gaps by function name the
    function in a code span; the comment's own <details> stay balanced."""
    comment = tmp_path / "comment.md"
    code, out, err = run(
        "check", str(hostile), "--data", str(hostile / "coverage.json"), "--diff-fail-under", "100",
        "--comment", str(comment),
    )  # fmt: skip
    assert code == ExitCode.GATE_FAILED, out + err
    text = comment.read_text()
    found = assert_safe(text, OWN_HTML)
    html = [t.content.strip() for t in found if t.type in ("html_block", "html_inline")]
    opened = sum(1 for h in html if h.startswith("<details"))
    assert opened == html.count("</details>") == 3
    assert code_spans(found).count(HOSTILE_NAME) == 2  # new gaps by function; why it failed


def test_suite_scope_holds_hostile_text_as_text(hostile: Path) -> None:
    """The partial run's account: a selection, a test module's path and its collection error,
    all the project's text, are code or text, never HTML or a mention."""
    from covgap import api
    from covgap.config import Settings
    from covgap.model import SuiteFacts, SuiteHealth, TestOutcome, TestSelection
    from covgap.report.markdown import render_markdown
    from covgap.report.view import build_view

    module = "tests/test_`x` |@org.py"
    error = TestOutcome(module, "error", message=HOSTILE_NAME, phase="collect")
    suite = SuiteFacts(
        test_modules=((module, 2), ("tests/test_shop.py", 3)),
        health=SuiteHealth(
            tests=(error, TestOutcome("tests/test_shop.py::test_price", "passed")),
            groups=(),
            source="events",
        ),
        selection=TestSelection(paths=("tests/test_shop.py",), options=(f"-k {HOSTILE_ID}",)),
    )
    settings = Settings(data_file=hostile / "coverage.json", cache=False)
    result = api.analyze(api.load(hostile, settings), settings, suite=suite)
    assert result.scope.partial
    markdown = render_markdown(build_view(result))
    spans = code_spans(assert_safe(markdown))
    assert module in spans
    assert f"-k {HOSTILE_ID}" in spans
    texts = "".join(t.content for t in tokens(markdown) if t.type == "text")
    assert "could not be collected: </details><img src=x onerror=alert(1)> @\u200borg/team" in texts
