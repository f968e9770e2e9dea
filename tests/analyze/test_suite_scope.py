"""Test code told apart from the code under test, and which tests did not run (pure functions)."""

from __future__ import annotations

import pytest

from covgap.analyze.suite_scope import find_test_code, suite_scope
from covgap.model import (
    FileCoverage,
    Numbers,
    ProjectCoverage,
    SuiteFacts,
    SuiteHealth,
    TestOutcome,
    TestSelection,
)


@pytest.mark.parametrize(
    ("paths", "collected", "expected"),
    [
        pytest.param(
            ["src/app/core.py", "tests/test_core.py"],
            [],
            {"tests/test_core.py"},
            id="named-by-pytest-defaults",
        ),
        pytest.param(
            ["src/app/core.py", "tests/test_core.py", "tests/helpers.py", "tests/util/data.py"],
            ["tests/test_core.py"],
            {"tests/test_core.py", "tests/helpers.py", "tests/util/data.py"},
            id="helpers-in-the-test-folder",
        ),
        pytest.param(
            ["tests/conftest.py", "tests/factories.py", "src/app/core.py"],
            [],
            # A conftest.py makes its tests folder a test folder, even with no module measured.
            {"tests/conftest.py", "tests/factories.py"},
            id="conftest-and-its-folder",
        ),
        pytest.param(
            ["conftest.py", "src/app/core.py", "setup_helpers.py"],
            [],
            # A conftest.py at the top is test code; the project's folder is not a test folder.
            {"conftest.py"},
            id="top-level-conftest",
        ),
        pytest.param(
            ["django/test/client.py", "django/http/request.py", "tests/test_client.py"],
            ["tests/test_client.py"],
            # django.test holds no test module: it is a library for tests, code to test.
            {"tests/test_client.py"},
            id="library-named-test",
        ),
        pytest.param(
            ["numpy/testing/utils.py", "numpy/testing/tests/test_utils.py", "numpy/core/a.py"],
            [],
            # A testing folder inside a package is code; its own tests folder is test code.
            {"numpy/testing/tests/test_utils.py"},
            id="testing-inside-a-package",
        ),
        pytest.param(
            ["testing/test_main.py", "testing/plugins_integration/helper.py", "src/pkg/x.py"],
            ["testing/test_main.py"],
            # pytest's own layout: the top-level testing folder holds its tests.
            {"testing/test_main.py", "testing/plugins_integration/helper.py"},
            id="top-level-testing",
        ),
        pytest.param(
            ["checks/check_api.py", "checks/fixtures.py", "src/app/api.py"],
            ["checks/check_api.py"],
            # python_files = check_*.py: the inventory collects it; checks/ is not a test name.
            {"checks/check_api.py"},
            id="custom-python-files",
        ),
        pytest.param(
            [
                "/venv/site-packages/sympy/core/tests/test_add.py",
                "/venv/site-packages/sympy/core/add.py",
            ],
            [],
            # A suite measured where it is installed, outside the project folder.
            {"/venv/site-packages/sympy/core/tests/test_add.py"},
            id="installed-package-tests",
        ),
        pytest.param(
            ["titlecase/__init__.py", "titlecase/tests.py", "shop/orders/tests.py"],
            [],
            # unittest discovery's and Django's tests.py, inside the package it tests
            {"titlecase/tests.py", "shop/orders/tests.py"},
            id="tests-py-in-the-package",
        ),
        pytest.param(
            ["src/app/contest.py", "src/app/latest.py", "src/app/tests_data.py"],
            [],
            set(),
            id="names-that-only-look-alike",
        ),
    ],
)
def test_test_code_paths(paths: list[str], collected: list[str], expected: set[str]) -> None:
    """Test modules, conftest.py and helpers in test folders are test code; libraries are not."""
    assert find_test_code(paths, collected) == expected


def _file(path: str, statements: int, missing: int) -> FileCoverage:
    return FileCoverage(path=path, numbers=Numbers(statements, missing))


PROJECT = ProjectCoverage(
    files=(
        _file("src/app/core.py", 20, 8),
        _file("tests/test_a.py", 10, 0),
        _file("tests/test_b.py", 12, 12),
        _file("tests/helpers.py", 4, 4),
    ),
    branch_measured=False,
    input_kind="coverage-data",
    input_path=".coverage",
)
MODULES = (("tests/test_a.py", 3), ("tests/test_b.py", 5), ("tests/test_c.py", 2))
TEST_FILES = frozenset({"tests/test_a.py", "tests/test_b.py", "tests/helpers.py"})


def test_lines_say_which_modules_did_not_run() -> None:
    """Without outcomes or contexts, a measured test module with no line run did not run; a
    module the data does not measure says nothing."""
    scope = suite_scope(PROJECT, TEST_FILES, SuiteFacts(test_modules=MODULES))
    assert scope.evidence == "lines"
    assert [(t.path, t.tests, t.reason) for t in scope.not_run] == [
        ("tests/test_b.py", 5, "none of its lines ran")
    ]
    assert scope.partial
    assert (scope.test_modules, scope.tests) == (3, 10)
    assert scope.test_numbers == Numbers(26, 16)


def test_contexts_say_which_modules_did_not_run() -> None:
    """Per-test contexts name the tests that ran (pytest-cov's "|run" already removed)."""
    project = ProjectCoverage(
        files=PROJECT.files[:1],
        branch_measured=False,
        input_kind="coverage-data",
        input_path=".coverage",
        test_contexts=("tests/test_a.py::test_x", "tests/test_a.py::test_y[1]"),
    )
    scope = suite_scope(project, frozenset(), SuiteFacts(test_modules=MODULES))
    assert scope.evidence == "contexts"
    assert [t.path for t in scope.not_run] == ["tests/test_b.py", "tests/test_c.py"]
    assert all(t.numbers is None for t in scope.not_run)  # not measured
    assert scope.tests_run == 2
    assert scope.partial


def _health(*nodeids: str, collect: tuple[TestOutcome, ...] = ()) -> SuiteHealth:
    tests = tuple(TestOutcome(nodeid, "passed") for nodeid in nodeids)
    return SuiteHealth(tests=(*collect, *tests), groups=(), source="events")


@pytest.mark.parametrize(
    ("selection", "partial", "reasons"),
    [
        pytest.param(
            TestSelection(paths=("tests/test_a.py",), deselected=0),
            True,
            {"tests/test_b.py": "not selected", "tests/test_c.py": "not selected"},
            id="two-modules-left-out-by-paths",
        ),
        pytest.param(
            TestSelection(paths=("tests",), deselected=0),
            # The whole tests folder was given: what did not run was not left out by it.
            False,
            {"tests/test_b.py": "no test of it ran", "tests/test_c.py": "no test of it ran"},
            id="the-whole-folder-given",
        ),
        pytest.param(
            None,
            False,
            {"tests/test_b.py": "no test of it ran", "tests/test_c.py": "no test of it ran"},
            id="no-selection",
        ),
        pytest.param(
            TestSelection(options=("-k 'a'",), deselected=7),
            True,
            {"tests/test_b.py": "not selected", "tests/test_c.py": "not selected"},
            id="keyword",
        ),
    ],
)
def test_outcomes_and_the_selection(
    selection: TestSelection | None, partial: bool, reasons: dict[str, str]
) -> None:
    """With covgap run's outcomes, the run is partial when the selection it was given left
    tests out; without a selection, tests that did not run are listed but the run is whole."""
    facts = SuiteFacts(
        test_modules=MODULES,
        health=_health("tests/test_a.py::test_x", "tests/test_a.py::test_y"),
        selection=selection,
    )
    scope = suite_scope(PROJECT, TEST_FILES, facts)
    assert scope.evidence == "events"
    assert scope.tests_run == 2
    assert {t.path: t.reason for t in scope.not_run} == reasons
    assert scope.partial is partial


def test_deselected_tests_make_a_partial_run_without_a_whole_module() -> None:
    """--deselect of one test leaves every module run, yet the run is partial."""
    facts = SuiteFacts(
        test_modules=(("tests/test_a.py", 3),),
        health=_health("tests/test_a.py::test_x", "tests/test_a.py::test_y"),
        selection=TestSelection(options=("--deselect tests/test_a.py::test_z",), deselected=1),
    )
    scope = suite_scope(PROJECT, TEST_FILES, facts)
    assert scope.not_run == ()
    assert scope.partial


def test_collection_errors_and_module_skips_say_why() -> None:
    """A module that could not be collected, or was skipped whole, says so."""
    collect = (
        TestOutcome(
            "tests/test_b.py", "error", message="ImportError: no module x", phase="collect"
        ),
        TestOutcome("tests/test_c.py", "skipped", message="needs Windows"),
    )
    facts = SuiteFacts(test_modules=MODULES, health=_health("tests/test_a.py::t", collect=collect))
    scope = suite_scope(PROJECT, TEST_FILES, facts)
    assert {t.path: t.reason for t in scope.not_run} == {
        "tests/test_b.py": "could not be collected: ImportError: no module x",
        "tests/test_c.py": "skipped: needs Windows",
    }
    assert not scope.partial


def test_outcomes_that_name_no_known_module_fall_back() -> None:
    """Node ids relative to a rootdir above the project name no module of the inventory: the
    outcomes are not compared, the test modules' lines are."""
    facts = SuiteFacts(test_modules=MODULES, health=_health("project/tests/test_a.py::test_x"))
    scope = suite_scope(PROJECT, TEST_FILES, facts)
    assert scope.evidence == "lines"


def test_nothing_to_tell_without_tests_in_the_data() -> None:
    """Tests neither measured nor in contexts: which ran cannot be told, and nothing is said."""
    project = ProjectCoverage(
        files=PROJECT.files[:1],
        branch_measured=False,
        input_kind="coverage-data",
        input_path=".coverage",
    )
    scope = suite_scope(project, frozenset(), SuiteFacts(test_modules=MODULES))
    assert scope.evidence is None
    assert scope.not_run == ()
    assert not scope.partial


def test_without_an_inventory_the_named_test_modules_stand_for_it() -> None:
    """A suite measured where it is installed (no test in the project folder): the measured
    files named like test modules are the test modules; how many tests they hold is unknown."""
    site = "/venv/site-packages/pkg"
    project = ProjectCoverage(
        files=(
            _file(f"{site}/core.py", 30, 10),
            _file(f"{site}/tests/test_core.py", 10, 0),
            _file(f"{site}/tests/test_io.py", 8, 8),
        ),
        branch_measured=False,
        input_kind="coverage-data",
        input_path=".coverage",
    )
    test_files = find_test_code(f.path for f in project.files)
    scope = suite_scope(project, test_files, SuiteFacts())
    assert (scope.test_modules, scope.tests) == (2, None)
    assert [(t.path, t.tests) for t in scope.not_run] == [(f"{site}/tests/test_io.py", 0)]
    assert scope.partial


def test_a_module_whose_tests_ran_is_never_ranked() -> None:
    """pkg/checks.py has no test-like name, but covgap run's outcomes say its tests ran."""
    from covgap.api import analyze
    from covgap.config import Settings
    from covgap.model import Region

    checks = FileCoverage(
        path="pkg/checks.py",
        numbers=Numbers(6, 3),
        regions=(Region("check_it", 1, 6, Numbers(6, 3), missing_lines=(4, 5, 6)),),
    )
    core = FileCoverage(
        path="pkg/core.py",
        numbers=Numbers(10, 5),
        regions=(Region("work", 1, 10, Numbers(10, 5), missing_lines=(6, 7, 8, 9, 10)),),
    )
    project = ProjectCoverage(
        files=(core, checks),
        branch_measured=False,
        input_kind="coverage-data",
        input_path=".coverage",
    )
    facts = SuiteFacts(health=_health("pkg/checks.py::check_it"))
    ranked = analyze(project, Settings(), None, facts)
    assert {g.path for g in ranked.functions} == {"pkg/core.py"}
    assert ranked.scope.test_numbers == Numbers(6, 3)
    without = analyze(project, Settings(), None, SuiteFacts())
    assert "pkg/checks.py" in {g.path for g in without.functions}
