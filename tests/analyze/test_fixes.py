"""The snippets the audit's fixes give, in the format of the file they go to."""

from __future__ import annotations

import pytest

from covgap.analyze.fixes import dependency_fix


@pytest.mark.parametrize(
    ("home", "expected"),
    [
        (
            ("pyproject.toml", "dependency-groups.dev"),
            ("pyproject.toml", '[dependency-groups]\ndev = [..., "pytest-timeout"]'),
        ),
        (
            ("pyproject.toml", "project.optional-dependencies.test"),
            ("pyproject.toml", '[project.optional-dependencies]\ntest = [..., "pytest-timeout"]'),
        ),
        (
            ("pyproject.toml", "tool.hatch.envs.default"),
            ("pyproject.toml", '[tool.hatch.envs.default]\ndependencies = [..., "pytest-timeout"]'),
        ),
        (
            ("pyproject.toml", "tool.poetry.dev-dependencies"),
            ("pyproject.toml", '[tool.poetry.dev-dependencies]\npytest-timeout = "*"'),
        ),
        (
            ("pyproject.toml", "tool.uv.dev-dependencies"),
            ("pyproject.toml", '[tool.uv]\ndev-dependencies = [..., "pytest-timeout"]'),
        ),
        (("requirements-dev.txt", ""), ("requirements-dev.txt", "pytest-timeout")),
    ],
)
def test_dependency_fix_in_the_homes_format(
    home: tuple[str, str], expected: tuple[str, str]
) -> None:
    """The snippet that adds a development dependency is written in its home's own format."""
    assert dependency_fix(home, ["pytest-timeout"]) == expected
