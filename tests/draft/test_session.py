"""covgap draft end to end on a real measured project: engines, filter, files, coverage after.

The engines here are small real generators written for the test (they return fixed modules, or
fail in the ways a real engine does); everything else is real: the copy, pytest, coverage.py.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from draft_project import measure, tree_digest

from covgap.api import plan
from covgap.cli import main
from covgap.config import load_settings
from covgap.draft.engines.base import Check, EngineContext, EngineError, run_tool
from covgap.draft.session import DraftOptions, run_draft
from covgap.draft.targets import Selection
from covgap.model.draft import Candidate, DraftTarget

MODULES = {
    "grade": """\
import pytest

from textutil.text import grade


def test_grade_a():
    assert grade(95) == "A"


def test_grade_b():
    assert grade(85) == "B"


def test_grade_negative():
    with pytest.raises(ValueError):
        grade(-3)
""",
    "camelize": """\
from textutil.text import camelize


def test_camelize_lower():
    assert camelize("a_b", upper=False) == "aB"


def test_camelize_empty_lower():
    assert camelize("", False) == ""
""",
}


class FixedEngine:
    """Returns a fixed module per function name."""

    name = "fixed"

    def unavailable(self, context: EngineContext) -> str | None:
        return None

    def candidates(
        self, target: DraftTarget, context: EngineContext, check: Check
    ) -> Iterable[Candidate]:
        source = MODULES.get(target.qualname)
        return [Candidate(self.name, target.key, source)] if source else []


class Crashing(FixedEngine):
    name = "crashing"

    def candidates(self, target, context, check):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug in the engine")


class Hanging(FixedEngine):
    name = "hanging"

    def candidates(self, target, context, check):  # type: ignore[no-untyped-def]
        run_tool(["sleep", "30"], context=context, timeout=0.5, what="sleep 30")
        return []


class Missing(FixedEngine):
    name = "missing"

    def unavailable(self, context: EngineContext) -> str | None:
        return "missing is not installed (pip install missing)"


ENGINES = {e.name: e for e in (FixedEngine(), Crashing(), Hanging(), Missing())}


def _draft(project: Path, *, dry_run: bool = False, engines: tuple[str, ...] = ("fixed",)):  # type: ignore[no-untyped-def]
    settings = load_settings(project, {"cache": False})
    result = plan(project, settings)
    options = DraftOptions(
        selection=Selection(top=5), engines=engines, runs=3, dry_run=dry_run, python=sys.executable
    )
    return run_draft(project, result, settings, options, engines=ENGINES)


def _coverage_total(project: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-m", "coverage", "report", "--format=total", "--precision=6"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


def test_kept_tests_are_written_as_new_files_and_raise_coverage_as_reported(
    text_project: Path,
) -> None:
    before_tree = tree_digest(text_project)
    result = _draft(text_project, engines=("fixed", "skeleton"))
    statuses = {t.name: t.status for t in result.tests}
    assert statuses == {
        "test_grade_a": "kept",
        "test_grade_b": "kept",
        "test_grade_negative": "kept",
        "test_camelize_lower": "kept",
        "test_camelize_empty_lower": "finding",
    }
    (finding,) = result.findings
    assert finding.call == 'camelize("", False)' and finding.failure.startswith("IndexError")
    # only new files: the kept tests beside tests/test_text.py, and the starters to finish
    after_tree = tree_digest(text_project)
    new = set(after_tree) - set(before_tree)
    assert new == {"tests/test_text_generated.py", "tests/test_text_todo.py"}
    assert {p: after_tree[p] for p in before_tree} == before_tree
    kept_file = (text_project / "tests/test_text_generated.py").read_text()
    assert kept_file.count("def test_") == 4 and "test_camelize_empty_lower" not in kept_file
    todo = (text_project / "tests/test_text_todo.py").read_text()
    assert "pytest.mark.skip" in todo and "Counter" in todo
    # coverage.py's own total with the suite and the new files equals what covgap reported
    assert result.after is not None
    assert result.after.percent_covered > result.before.percent_covered
    measure(text_project)
    assert _coverage_total(text_project) == pytest.approx(result.after.percent_covered, abs=1e-4)
    gains = {g.target.rsplit("::", 1)[1]: g for g in result.functions}
    assert gains["camelize"].after.gap == 0 and gains["camelize"].kept == 1


def test_dry_run_writes_nothing(text_project: Path) -> None:
    before_tree = tree_digest(text_project)
    result = _draft(text_project, dry_run=True, engines=("fixed", "skeleton"))
    assert tree_digest(text_project) == before_tree
    assert [f.path for f in result.files] == [
        "tests/test_text_generated.py",
        "tests/test_text_todo.py",
    ]
    assert all(f.source for f in result.files)


def test_existing_names_get_new_ones(text_project: Path) -> None:
    (text_project / "tests/test_text_generated.py").write_text("# mine\n")
    result = _draft(text_project)
    assert [f.path for f in result.files] == ["tests/test_text_generated_2.py"]
    assert (text_project / "tests/test_text_generated.py").read_text() == "# mine\n"


def test_engines_that_fail_give_one_line_and_the_others_go_on(text_project: Path) -> None:
    result = _draft(text_project, engines=("missing", "crashing", "hanging", "fixed"))
    notes = {f.engine: f.note for f in result.funnels}
    assert notes["missing"] == "not run: missing is not installed (pip install missing)"
    assert notes["crashing"] == "crashing crashed: RuntimeError: bug in the engine"
    assert notes["hanging"].startswith("sleep 30 did not finish in 0.5 s")
    assert all("\n" not in note for note in notes.values())
    fixed = next(f for f in result.funnels if f.engine == "fixed")
    assert (fixed.candidates, fixed.built, fixed.passed, fixed.kept, fixed.findings) == (
        5,
        5,
        4,
        4,
        1,
    )


def test_cli_usage_errors_are_one_line(
    text_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["draft", str(text_project), "--function", "src/textutil/text.py::nothing"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[-1] == (
        "covgap: error: src/textutil/text.py has no function 'nothing' with a gap"
    )
    assert main(["draft", str(text_project), "--function", "no-colons"]) == 2
    assert "PATH::QUALNAME" in capsys.readouterr().err
    assert main(["draft", str(text_project), "--phase", "9"]) == 2
    assert "the plan has no phase 9" in capsys.readouterr().err


def test_cli_skeleton_dry_run_shows_the_file(
    text_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "draft",
            str(text_project),
            "--engine",
            "skeleton",
            "--function",
            "src/textutil/text.py::grade",
            "--dry-run",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Would write tests/test_text_todo.py" in out
    assert "--- tests/test_text_todo.py ---" in out and 'assert result == "A"' in out
    assert not (text_project / "tests/test_text_todo.py").exists()


def test_engine_error_is_an_engine_error() -> None:
    assert issubclass(EngineError, Exception)


def test_with_suite_leaves_out_a_kept_test_that_fails_beside_the_suite(text_project: Path) -> None:
    # A test module of the project that changes camelize's code when it is imported: every
    # camelize test in the same process fails, whatever the order and however it was imported.
    (text_project / "tests" / "test_polluter.py").write_text(
        "import textutil.text\n\n"
        'textutil.text.camelize.__code__ = (lambda s, upper=True: "X").__code__\n\n\n'
        "def test_nothing():\n    assert True\n"
    )
    settings = load_settings(text_project, {"cache": False})
    result = plan(text_project, settings)
    options = DraftOptions(
        selection=Selection(functions=("src/textutil/text.py::camelize",)),
        engines=("fixed",),
        runs=2,
        python=sys.executable,
        with_suite=True,
    )
    drafted = run_draft(text_project, result, settings, options, engines=ENGINES)
    statuses = {t.name: (t.status, t.failure) for t in drafted.tests}
    assert statuses["test_camelize_lower"] == (
        "flaky",
        "failed when run with the suite and the other kept tests",
    )
    assert not drafted.files and drafted.after is None


def test_an_interpreter_without_pytest_is_one_line(
    text_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    code = main(["draft", str(text_project), "--python", str(bare / "bin" / "python")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[0].endswith("pytest is not installed in this interpreter's environment")
    assert err[0].startswith("covgap: error: ")
