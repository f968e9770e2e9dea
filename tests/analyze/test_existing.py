"""Existing tests linked, on the 'linked' fixture measured for real from a partial run: a test
module not in the run is named instead of a new test of the same name, a class whose tests run
the function is the one to extend, a data-driven suite gets a case file."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from conftest import PROJECTS, run_coverage

from covgap import api
from covgap.cli import main
from covgap.config import load_settings
from covgap.model import ExistingTests, FunctionGap, PlanResult, TestAdvice

#: The partial run: the slow tests (tests/slow/) are left out.
PARTIAL = ("tests/test_parse.py", "tests/test_cases.py", "tests/test_api.py")


def _advice(plan: PlanResult, name: str, path: str = "") -> TestAdvice:
    gap: FunctionGap = next(
        g for g in plan.functions if g.region.name == name and g.path.endswith(path)
    )
    assert gap.advice is not None
    return gap.advice


def _existing(plan: PlanResult, name: str, path: str = "") -> ExistingTests:
    existing = _advice(plan, name, path).existing
    assert existing is not None
    return existing


@pytest.fixture(scope="module")
def with_contexts(tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    """``covgap run --contexts`` of the partial suite: per-test contexts say what ran."""
    project = Path(shutil.copytree(PROJECTS / "linked", tmp_path_factory.mktemp("ctx") / "p"))
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["run", str(project), "--contexts", "--format", "json", "--target", "100", "--", *PARTIAL],
        stdout=out,
        stderr=err,
    )
    assert code == 0, err.getvalue()
    return api.plan(project, load_settings(project, {"target": 100}, environ={}))


@pytest.fixture(scope="module")
def without_contexts(tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    """``coverage run -m pytest`` of the partial suite: nothing says which tests ran."""
    project = Path(shutil.copytree(PROJECTS / "linked", tmp_path_factory.mktemp("plain") / "p"))
    run_coverage(project, "run", "-m", "pytest", "-q", "-p", "no:cacheprovider", *PARTIAL)
    return api.plan(project, load_settings(project, {"target": 100}, environ={}))


def test_a_test_not_in_the_run_is_named_not_reinvented(with_contexts: PlanResult) -> None:
    """``NoteRepository.find`` is tested by tests/slow/test_repo_slow.py, left out of the run:
    the advice is to run it, and no suggested test takes its name."""
    advice = _advice(with_contexts, "NoteRepository.find")
    existing = advice.existing
    assert existing is not None
    assert existing.action == "run"
    assert existing.target == "tests/slow/test_repo_slow.py"
    assert [(t.nodeid, t.evidence, t.ran) for t in existing.tests] == [
        ("tests/slow/test_repo_slow.py::test_note_repository_find", "calls", False)
    ]
    assert "was not in this run (per-test contexts)" in existing.text
    assert advice.test_file == "tests/slow/test_repo_slow.py"
    names = {s.test_name for s in advice.suggestions}
    assert "test_note_repository_find" not in names


def test_no_suggested_name_is_an_existing_test(with_contexts: PlanResult) -> None:
    """Across the plan, no suggested test name is the name of a test the project has."""
    existing = {
        "test_digits",
        "test_case",
        "test_note_repository_find",
        "test_parse_date_iso",
        "test_decode",
        "test_unknown_type",
        "test_lookup",
        "test_tidy",
        "test_command",
        "test_decorate",
    }
    for gap in with_contexts.functions:
        assert gap.advice is not None
        assert not existing & {s.test_name for s in gap.advice.suggestions}, gap.region.name


def test_the_class_whose_tests_ran_it_is_extended(with_contexts: PlanResult) -> None:
    """``parse_amount``: ``TestParseAmount::test_digits`` ran part of it (per-test contexts)."""
    existing = _existing(with_contexts, "parse_amount")
    assert existing.action == "extend"
    assert existing.target == "tests/test_parse.py::TestParseAmount"
    assert [(t.nodeid, t.evidence, t.ran) for t in existing.tests] == [
        ("tests/test_parse.py::TestParseAmount::test_digits", "contexts", True)
    ]
    assert _advice(with_contexts, "parse_amount").test_file == "tests/test_parse.py"


def test_a_data_driven_suite_gets_a_case_file(with_contexts: PlanResult) -> None:
    """``format_note`` is reached by a test parametrized over tests/cases/*.txt: add a case."""
    existing = _existing(with_contexts, "format_note")
    assert existing.action == "add-case"
    assert existing.cases is not None
    assert (existing.cases.nodeid, existing.cases.folder, existing.cases.pattern) == (
        "tests/test_cases.py::test_case",
        "tests/cases",
        "*.txt",
    )
    assert existing.cases.examples == ("list.txt", "plain.txt")
    assert _advice(with_contexts, "format_note").test_file == "tests/test_cases.py"


def test_module_code_no_test_imported_names_the_module_that_does(
    with_contexts: PlanResult,
) -> None:
    """repo.py was never imported in the run: the test module that imports it is to run."""
    existing = _existing(with_contexts, "", "notes/repo.py")
    assert (existing.action, existing.target) == ("run", "tests/slow/test_repo_slow.py")


def test_a_test_written_for_it_is_run_before_one_that_reaches_it(
    with_contexts: PlanResult,
) -> None:
    """``Key.__init__``: tests/test_api.py ran part of it through ``decode``; TestKey, written
    for ``Key`` and left out of the run, is the one to run first, not test_api's to extend."""
    existing = _existing(with_contexts, "Key.__init__")
    assert (existing.action, existing.target) == ("run", "tests/slow/test_keys_slow.py")
    assert [(t.nodeid, t.evidence, t.ran) for t in existing.tests][:2] == [
        ("tests/slow/test_keys_slow.py::TestKey::test_unknown_type", "calls", False),
        ("tests/test_api.py::test_decode", "contexts", True),
    ]
    assert "`tests/test_api.py::test_decode` runs part of it" in existing.text


def test_a_subscript_targets_getitem(with_contexts: PlanResult) -> None:
    """``keys["a"]`` on a ``KeySet`` calls ``KeySet.__getitem__``."""
    existing = _existing(with_contexts, "KeySet.__getitem__")
    assert existing.action == "run"
    assert [t.nodeid for t in existing.tests] == [
        "tests/slow/test_keys_slow.py::TestKeySet::test_lookup"
    ]


def test_a_function_in_a_parametrize_table_is_targeted(with_contexts: PlanResult) -> None:
    """``[(cmd_upper, "hi", "HI")]`` in ``@pytest.mark.parametrize``: the test calls it."""
    existing = _existing(with_contexts, "cmd_upper")
    assert (existing.action, existing.target) == ("run", "tests/slow/test_cli_slow.py")
    assert [(t.nodeid, t.evidence) for t in existing.tests] == [
        ("tests/slow/test_cli_slow.py::test_command", "calls")
    ]


def test_a_helper_no_test_targets_names_its_callers_tests(with_contexts: PlanResult) -> None:
    """``_strip``: no test names or calls it; test_tidy calls ``tidy``, which calls it."""
    existing = _existing(with_contexts, "_strip")
    assert (existing.action, existing.target) == ("run", "tests/slow/test_clean_slow.py")
    assert [(t.nodeid, t.evidence, t.ran) for t in existing.tests] == [
        ("tests/slow/test_clean_slow.py::test_tidy", "caller", False)
    ]
    assert "its tests call `tidy`, which calls `_strip`" in existing.text


def test_a_nested_callers_tests_are_its_outer_functions(with_contexts: PlanResult) -> None:
    """``_wrap`` is called by ``decorate.wrapper``, a function nested in ``decorate``: the tests
    of ``decorate`` reach it."""
    existing = _existing(with_contexts, "_wrap")
    assert (existing.action, existing.target) == ("run", "tests/slow/test_clean_slow.py")
    assert [t.nodeid for t in existing.tests] == ["tests/slow/test_clean_slow.py::test_decorate"]
    assert "its tests call `decorate`, which leads to `_wrap`" in existing.text


def test_without_contexts_the_test_is_still_named(without_contexts: PlanResult) -> None:
    """Without per-test contexts nothing says the slow tests did not run; a test that calls a
    function none of whose lines ran is named all the same, and its name is not reused."""
    advice = _advice(without_contexts, "parse_date")
    existing = advice.existing
    assert existing is not None
    assert existing.action == "run"
    assert [(t.nodeid, t.evidence, t.ran) for t in existing.tests] == [
        ("tests/slow/test_dates_slow.py::test_parse_date_iso", "calls", None)
    ]
    assert "was it left out of this run?" in existing.text
    find = _advice(without_contexts, "NoteRepository.find")
    assert "test_note_repository_find" not in {s.test_name for s in find.suggestions}


def test_measured_test_modules_say_what_ran(tmp_path: Path) -> None:
    """With the tests in coverage's source (tests/slow is a package, so coverage.py reports its
    modules that were never imported), a test function none of whose lines ran did not run."""
    project = Path(shutil.copytree(PROJECTS / "linked", tmp_path / "p"))
    pytest_args = ("-m", "pytest", "-q", "-p", "no:cacheprovider", *PARTIAL)
    run_coverage(project, "run", "--source=src,tests", *pytest_args)
    plan = api.plan(project, load_settings(project, {"target": 100}, environ={}))
    existing = _existing(plan, "parse_date")
    assert [(t.nodeid, t.ran) for t in existing.tests] == [
        ("tests/slow/test_dates_slow.py::test_parse_date_iso", False)
    ]
    assert "not in this run (the test modules' coverage)" in existing.text
