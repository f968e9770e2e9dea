"""What of the suite covgap run was told to run: the selecting options and paths after --."""

from __future__ import annotations

import pytest

from covgap.collect.suite.selection import read_selection
from covgap.model import TestSelection


@pytest.mark.parametrize(
    ("pytest_args", "logged", "source", "expected"),
    [
        pytest.param(
            ["tests/test_a.py", "tests/test_b.py"],
            ["tests/test_a.py", "tests/test_b.py"],
            "args",
            TestSelection(paths=("tests/test_a.py", "tests/test_b.py")),
            id="two-files",
        ),
        pytest.param(
            ["-p", "no:randomly", "-x"],
            ["tests"],
            # No path given: pytest took testpaths, the project's own whole suite.
            "testpaths",
            TestSelection(),
            id="options-that-select-nothing",
        ),
        pytest.param(
            ["-k", "not slow", "-mdb", "--deselect", "tests/t.py::test_x", "--lf"],
            ["tests"],
            "testpaths",
            TestSelection(
                options=("-k 'not slow'", "-m db", "--deselect tests/t.py::test_x", "--lf")
            ),
            id="selecting-options",
        ),
        pytest.param(
            ["--last-failed", "--ignore=tests/slow", "--ignore-glob", "*_e2e.py"],
            ["."],
            "invocation_dir",
            TestSelection(options=("--ignore tests/slow", "--ignore-glob '*_e2e.py'", "--lf")),
            id="long-spellings",
        ),
        pytest.param(
            [],
            ["tests/smoke"],
            # addopts = "tests/smoke": the project's own selection, not this run's.
            "args",
            TestSelection(),
            id="paths-from-addopts",
        ),
        pytest.param(
            ["-p", "no:cacheprovider", "--junitxml", "out.xml", "tests/test_a.py"],
            ["tests/test_a.py"],
            # Only pytest knows that out.xml is an option's value: the log tells the paths.
            "args",
            TestSelection(paths=("tests/test_a.py",)),
            id="option-values-are-not-paths",
        ),
        pytest.param(
            ["-k"],
            None,
            # pytest refuses it (and ran nothing); nothing is read, nothing printed.
            None,
            TestSelection(),
            id="option-without-its-value",
        ),
    ],
)
def test_read_selection(
    pytest_args: list[str],
    logged: list[str] | None,
    source: str | None,
    expected: TestSelection,
) -> None:
    """Paths come from pytest's own reading of the command line; options from the user's."""
    assert read_selection(pytest_args, logged, source, None) == expected


def test_deselected_count_is_kept() -> None:
    """The tests pytest deselected are part of the selection's account."""
    selection = read_selection(["-k", "x"], ["tests"], "testpaths", 12)
    assert selection.deselected == 12
    assert selection.given
