"""The exact text to paste for a fix, in the format of the file it goes to.

pytest settings go to the file pytest reads (``[tool.pytest.ini_options]`` in pyproject.toml,
``[pytest]`` in pytest.ini or tox.ini, ``[tool:pytest]`` in setup.cfg, native ``[tool.pytest]``);
coverage settings to the file coverage.py reads (``[tool.coverage.run]``, ``[run]`` in
.coveragerc, ``[coverage:run]`` in setup.cfg or tox.ini). A value the project already has is
rewritten whole (its ``addopts`` keep what they held), so the snippet replaces the line it names.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence

from covgap.collect.project.project_config import CoverageSettings, PytestConfig

__all__ = ["coverage_fix", "dependency_fix", "pytest_fix", "pytest_fix_path"]

Value = bool | str | float | Sequence[str]


def pytest_fix_path(config: PytestConfig) -> str:
    if config.path is not None:
        return config.path
    return "pyproject.toml" if config.style == "toml-ini" else "pytest.ini"


def _toml(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}"
    if isinstance(value, str):
        return json.dumps(value)
    return "[" + ", ".join(json.dumps(item) for item in value) + "]"


def _ini(value: Value, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}"
    if isinstance(value, str):
        return value
    if key == "addopts":
        return " ".join(shlex.quote(item) for item in value)
    return "\n" + "\n".join(f"    {item}" for item in value)


def pytest_fix(config: PytestConfig, settings: Sequence[tuple[str, Value]]) -> str:
    """The section header and ``key = value`` lines to set ``settings`` in pytest's file.

    An ``addopts`` already written as one string stays one string (pytest accepts both).
    """
    toml = config.style in {"toml", "toml-ini"}
    lines = [f"[{config.section}]"]
    for key, value in settings:
        if not toml:
            lines.append(f"{key} = {_ini(value, key)}")
            continue
        existing = config.options.get(key)
        if (
            key == "addopts"
            and existing is not None
            and not existing.written_as_list
            and not isinstance(value, (str, bool, int, float))
        ):
            value = " ".join(value)
        lines.append(f"{key} = {_toml(value)}")
    return "\n".join(lines)


def coverage_fix(
    coverage: CoverageSettings, section: str, settings: Sequence[tuple[str, Value]]
) -> tuple[str, str]:
    """(file, snippet) setting coverage.py options in ``section`` ("run", "report")."""
    path = coverage.path or "pyproject.toml"
    toml = path.endswith(".toml") or coverage.path is None
    if toml:
        header = f"[tool.coverage.{section}]"
        body = [f"{key} = {_toml(value)}" for key, value in settings]
    else:
        name = path.rsplit("/", 1)[-1]
        header = f"[coverage:{section}]" if name in {"setup.cfg", "tox.ini"} else f"[{section}]"
        body = [f"{key} = {_ini(value, key)}" for key, value in settings]
    return path, "\n".join([header, *body])


def dependency_fix(home: tuple[str, str] | None, names: Sequence[str]) -> tuple[str, str]:
    """(file, snippet) adding development dependencies where the project keeps them."""
    if home is None or home[0] == "pyproject.toml":
        table, _, group = (home[1] if home else "dependency-groups.test").rpartition(".")
        items = ", ".join(json.dumps(name) for name in names)
        if table == "project.optional-dependencies":
            return "pyproject.toml", f"[project.optional-dependencies]\n{group} = [..., {items}]"
        if table == "tool.poetry.group":
            lines = "\n".join(f'{name} = "*"' for name in names)
            return "pyproject.toml", f"[tool.poetry.group.{group}.dependencies]\n{lines}"
        if table == "tool.poetry":  # Poetry's dev-dependencies, before its groups
            lines = "\n".join(f'{name} = "*"' for name in names)
            return "pyproject.toml", f"[tool.poetry.{group}]\n{lines}"
        if table == "tool.hatch.envs":
            return "pyproject.toml", f"[tool.hatch.envs.{group}]\ndependencies = [..., {items}]"
        return "pyproject.toml", f"[{table or 'dependency-groups'}]\n{group} = [..., {items}]"
    return home[0], "\n".join(names)
