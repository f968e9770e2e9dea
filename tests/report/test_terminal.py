"""The terminal summary cuts paths, never names: a function's, a file's, a test's."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from covgap import api
from covgap.config import load_settings
from covgap.report.render import render_terminal_text
from covgap.report.terminal import fit_name
from covgap.report.view import build_view


@pytest.mark.parametrize(
    ("where", "name", "width", "shown"),
    [
        pytest.param("boltons/urlutils.py", "OrderedMultiDict.update", 60,
                     "boltons/urlutils.py:OrderedMultiDict.update", id="fits"),
        pytest.param("boltons/urlutils.py", "OrderedMultiDict.update", 38,
                     "…/urlutils.py:OrderedMultiDict.update", id="cut-at-a-folder"),
        pytest.param("src/pkg/a_long_module_name.py", "run", 16,
                     "…ule_name.py:run", id="cut-in-a-file-name"),
        pytest.param("src/pkg/module.py", "OrderedMultiDict.update", 28,
                     "…:OrderedMultiDict.update", id="too-little-of-the-path-to-show"),
        pytest.param("src/pkg/module.py", "OrderedMultiDict.update", 26,
                     "OrderedMultiDict.update", id="no-room-for-the-path"),
        pytest.param("src/pkg/module.py", "OrderedMultiDict.update", 10,
                     "OrderedMultiDict.update", id="name-longer-than-the-room"),
        pytest.param("tests/test_x.py", "test_y", 20, "…/test_x.py::test_y", id="separator"),
    ],
)  # fmt: skip
def test_fit_name(where: str, name: str, width: int, shown: str) -> None:
    """The path loses its left part, at a folder when it can; the name is never cut."""
    separator = "::" if shown.endswith("::test_y") else ":"
    assert fit_name(where, name, width, separator) == shown


LONG = "src/a_rather_long_company_name/with_many/nested_packages/of_the_service/handlers"


@pytest.fixture(scope="module")
def long_names(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A project whose files are deep and whose classes and methods have long names."""
    project = tmp_path_factory.mktemp("long") / "long"
    package = project / LONG
    package.mkdir(parents=True)
    for folder in [*package.relative_to(project / "src").parents][:-1]:
        (project / "src" / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    methods = "".join(
        f"    def reconcile_outstanding_{n}(self, entries):\n"
        f"        if entries:\n            return {n}\n        return None\n"
        for n in range(12)
    )
    (package / "ledger_reconciliation_service.py").write_text(f"class LedgerMultiDict:\n{methods}")
    (project / "tests").mkdir()
    (project / "tests" / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    (project / "pyproject.toml").write_text(
        '[tool.coverage.run]\nbranch = true\nsource = ["src"]\n\n'
        '[tool.pytest.ini_options]\npythonpath = ["src"]\n'
    )
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project, capture_output=True, text=True, check=True,
    )  # fmt: skip
    settings = load_settings(project, {"top": 12}, environ={})
    return build_view(api.plan(project, settings))


@pytest.mark.parametrize("width", [100, 120])
def test_terminal_never_cuts_a_function_name(long_names: dict[str, Any], width: int) -> None:
    """Every function of the summary shows whole, its path cut from the left when the row is
    too long ("…/ledger_reconciliation_service.py:LedgerMultiDict.reconcile_outstanding_0"),
    and every test to write shows its name whole; no line is wider than the terminal."""
    text = render_terminal_text(long_names, width=width)
    assert all(len(line) <= width for line in text.splitlines())
    rows = [line for line in text.splitlines() if line.startswith("│ P")]
    assert len(rows) == len(long_names["top_functions"]) == 12
    for item, row in zip(long_names["top_functions"], rows, strict=True):
        assert item["display_name"] in row, row
    assert not any(LONG in row for row in rows)  # the paths gave way
    for item in long_names["top_functions"][:5]:
        assert item["advice"]["suggestions"][0]["test_name"] in text
