"""Test code and partial runs, on a real suite: a project whose coverage ``source`` holds its
tests, measured by ``covgap run`` and by ``coverage run`` on part of its test modules."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECTS, run_coverage

from covgap.cli import main

#: The two test modules the partial runs select; test_color.py and test_unique.py do not run.
SELECTED = ("tests/test_wrap.py", "tests/test_slug.py")
NOT_RUN = ["tests/test_color.py", "tests/test_unique.py"]


def covgap(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECTS / "partial", tmp_path / "partial"))


def report(project: Path, name: str = "plan.json") -> Any:
    text = (project / "covgap-report" / name).read_text()
    return json.loads(text) if name.endswith(".json") else text


def planned_paths(view: dict[str, Any]) -> set[str]:
    """Every file the plan names as a place to cover: its items and its top functions."""
    items = [i for phase in view["plan"]["phases"] for i in phase["items"]]
    return {i["path"] for i in [*items, *view["top_functions"]]}


def test_partial_covgap_run_is_said_first_and_test_code_is_never_planned(project: Path) -> None:
    """covgap run given two test files: the report says first that only part of the suite ran
    (run the whole suite), lists the test modules that did not run apart, and never plans test
    code, while the total stays coverage.py's for the same run."""
    formats = "json,md,term,html"
    code, out, err = covgap("run", str(project), "--format", formats, "--", *SELECTED)
    assert code == 0, err
    view = report(project)
    scope = view["suite_scope"]
    assert scope["partial"]
    assert scope["evidence"] == "events"
    assert scope["selection"] == {"paths": list(SELECTED), "options": [], "deselected": 0}
    assert [(t["path"], t["tests"], t["reason"]) for t in scope["not_run"]] == [
        ("tests/test_color.py", 9, "not selected"),
        ("tests/test_unique.py", 3, "not selected"),
    ]
    assert (scope["test_modules"], scope["tests"], scope["tests_run"]) == (4, 18, 6)
    assert not any(path.startswith("tests/") for path in planned_paths(view))
    files = [(f["path"], f["test_code"]) for f in view["files"]]
    assert [test for _, test in files] == sorted(test for _, test in files)  # test code last
    assert {path for path, test in files if test} == {
        "tests/__init__.py",
        "tests/conftest.py",
        "tests/helpers.py",
        *(f"tests/test_{name}.py" for name in ("color", "slug", "unique", "wrap")),
    }
    # The total is coverage.py's for the same selection, test code included.
    theirs = Path(shutil.copytree(PROJECTS / "partial", project.parent / "theirs"))
    run_coverage(theirs, "run", "-m", "pytest", "-q", "-p", "no:cacheprovider", *SELECTED)
    total = run_coverage(theirs, "report", "--format=total", "--precision=6").stdout.strip()
    assert f"{view['totals']['percent_covered']:.6f}" == total

    markdown = report(project, "plan.md")
    # Right under the title, before the status; the tests that did not run after the phases.
    assert markdown.splitlines()[2].startswith("> **Only part of the suite ran**")
    assert markdown.index("Only part of the suite ran") < markdown.index("- **Status**")
    assert markdown.index("## Phases") < markdown.index("## Tests that did not run")
    assert "**First, run the whole suite**: `covgap run`" in markdown
    assert "pytest was given `tests/test_wrap.py` `tests/test_slug.py`" in markdown
    assert "| `tests/test_color.py` | 9 | not selected | 27 |" in markdown
    files_table = markdown[markdown.index("## Files by impact") :].split("\n## ")[0]
    assert "tests/" not in files_table
    assert out.index("Only part of the suite ran") < out.index("Files by impact")
    assert "First, run the whole suite: covgap run" in out
    page = report(project, "index.html")
    assert page.index('data-testid="partial-run"') < page.index('id="gaps"')
    assert "<li><code>tests/test_color.py</code>: 9 tests, not selected</li>" in page


def test_whole_suite_is_not_partial(project: Path) -> None:
    """The whole suite: nothing is said to be missing, and the test code, fully run, is only
    stated once as part of the total."""
    code, _, err = covgap("run", str(project), "--format", "json,md", "--no-audit")
    assert code == 0, err
    view = report(project)
    scope = view["suite_scope"]
    assert not scope["partial"]
    assert scope["not_run"] == []
    assert scope["selection"] is None
    assert scope["tests_run"] == 18
    assert scope["test_code"]["files"] == 7
    assert not any(path.startswith("tests/") for path in planned_paths(view))
    markdown = report(project, "plan.md")
    assert "Only part of the suite ran" not in markdown
    assert "Tests that did not run" not in markdown
    assert markdown.count("files of test code") == 1


def test_keyword_selection_is_partial(project: Path) -> None:
    """-k leaves whole modules out and pytest deselects their tests: a partial run, said so."""
    code, _, err = covgap(
        "run", str(project), "--format", "json", "--no-audit", "--", "-k", "color"
    )
    assert code == 0, err
    scope = report(project)["suite_scope"]
    assert scope["partial"]
    assert scope["selection"]["options"] == ["-k color"]
    assert scope["selection"]["deselected"] == 9
    assert [t["path"] for t in scope["not_run"]] == [
        "tests/test_slug.py",
        "tests/test_unique.py",
        "tests/test_wrap.py",
    ]


def test_coverage_run_on_part_of_the_suite_then_plan(project: Path) -> None:
    """coverage run on two test files, then covgap plan: the test modules whose lines never ran
    are the tests that did not run, and the plan says to run the whole suite first."""
    run_coverage(project, "run", "-m", "pytest", "-q", "-p", "no:cacheprovider", *SELECTED)
    code, _, err = covgap("plan", str(project), "--format", "json,md")
    assert code == 0, err
    view = report(project)
    scope = view["suite_scope"]
    assert scope["partial"]
    assert scope["evidence"] == "lines"
    assert [(t["path"], t["reason"]) for t in scope["not_run"]] == [
        (path, "none of its lines ran") for path in NOT_RUN
    ]
    assert not any(path.startswith("tests/") for path in planned_paths(view))
    # 45 statements of test code did not run: the plan cannot reach 80% without them.
    assert scope["test_code"]["gap"] == 45
    assert any("test code that did not run" in note for note in view["plan"]["notes"])
    markdown = report(project, "plan.md")
    assert markdown.index("> **Only part of the suite ran**") < markdown.index("- **Status**")
    # Why the plan stops short of the target is said on the first screen, in the plan line.
    plan_line = next(line for line in markdown.splitlines() if line.startswith("- **Plan**"))
    assert "**The target 80.00% cannot be reached: 45 statements and branches are test code" in (
        plan_line
    )


def test_pytest_cov_contexts_tell_what_ran_when_tests_are_not_measured(project: Path) -> None:
    """With the tests outside coverage's source, pytest-cov's per-test contexts say which
    test modules ran."""
    pytest.importorskip("pytest_cov")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('["src", "tests"]', '["src"]'))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov"]
    command += ["--cov-context=test", *SELECTED]
    subprocess.run(command, cwd=project, check=True, capture_output=True)
    code, _, err = covgap("plan", str(project), "--format", "json")
    assert code == 0, err
    scope = report(project)["suite_scope"]
    assert scope["evidence"] == "contexts"
    assert [t["path"] for t in scope["not_run"]] == NOT_RUN
    assert all(t["numbers"] is None for t in scope["not_run"])
    assert scope["partial"]
    assert scope["test_code"]["files"] == 0


def test_pytest_cov_in_the_projects_options_does_not_replace_the_measurement(
    project: Path,
) -> None:
    """A project whose pytest options turn pytest-cov on (``--cov`` in ``addopts``): covgap's
    plugin turns it off, so the run is measured once, by covgap, with the project's settings
    (not a 0% plan from a second coverage.py that stopped the first), the project's own
    ``.coverage`` is not written, and a run note says so."""
    pytest.importorskip("pytest_cov")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'testpaths = ["tests"]',
            'testpaths = ["tests"]\naddopts = "--cov=src --cov-report=term"',
        )
    )
    code, _, err = covgap("run", str(project), "--format", "json", "--no-audit")
    assert code == 0, err
    view = report(project)
    assert view["suite_scope"]["partial"] is False
    theirs = Path(shutil.copytree(PROJECTS / "partial", project.parent / "theirs"))
    run_coverage(theirs, "run", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    total = run_coverage(theirs, "report", "--format=total", "--precision=6").stdout.strip()
    assert f"{view['totals']['percent_covered']:.6f}" == total != "0.000000"
    assert not (project / ".coverage").exists()
    assert any("pytest-cov was turned off" in note for note in view["run"]["notes"])
    assert "`--cov=src`" in " ".join(view["run"]["notes"])
