"""The project's development and test dependencies, where each is named and where a new one goes.

``[project.optional-dependencies]``, ``[dependency-groups]``, Poetry's and PDM's development
groups, ``[tool.uv] dev-dependencies``, hatch environments, ``requirements*.txt`` /
``requirements/*.txt`` files and tox's ``deps``, as normalised distribution names; and where a new
one goes, by the project's own convention (``_home``).
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covgap import tomlparse
from covgap.collect.project.project_config.lines import (
    _HEADER,
    _INI_KEY,
    ReadProblem,
    _error_line,
)
from covgap.files import read_text


@dataclass(frozen=True)
class DevDependencies:
    """The distributions the project declares for development and testing, and where."""

    #: Normalised name → (file, line) of its first declaration.
    names: Mapping[str, tuple[str, int]]
    #: Where a new development dependency belongs (file, and the list or section to add to).
    home: tuple[str, str] | None
    problems: tuple[ReadProblem, ...] = ()

    def has_any(self, names: Iterable[str]) -> bool:
        return any(normalize_name(name) in self.names for name in names)


# --- development dependencies -------------------------------------------------------------------

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
#: tox's factor conditions before a dependency: ``unit: pytest``, ``py3{11,12}-!pypy: x``.
_TOX_FACTORS = re.compile(r"^\s*[\w{},.!\-]+:\s+")


def normalize_name(name: str) -> str:
    """PEP 503: ``Pytest_Asyncio`` and ``pytest.asyncio`` are ``pytest-asyncio``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(text: str) -> str | None:
    text = text.strip()
    if not text or text.startswith(("#", "-")):
        return None
    match = _NAME.match(text)
    return normalize_name(match.group(1)) if match else None


def read_dev_dependencies(project_dir: Path) -> DevDependencies:
    """Every distribution named for development or tests, with where it is named."""
    names: dict[str, tuple[str, int]] = {}
    problems: list[ReadProblem] = []
    groups: dict[tuple[str, str], _Group] = {}
    document: dict[str, Any] = {}

    def add(name: str | None, path: str, line: int) -> None:
        if name:
            names.setdefault(name, (path, line))

    pyproject = project_dir / "pyproject.toml"
    if pyproject.is_file():
        text = read_text(pyproject, errors="replace")
        try:
            document = tomlparse.loads(text)
        except tomlparse.TOMLDecodeError as exc:
            problems.append(ReadProblem("pyproject.toml", _error_line(exc), f"not TOML: {exc}"))
            document = {}
        text_lines = text.splitlines()
        for (table, group), requirements in _pyproject_groups(document):
            found: set[str] = set()
            for requirement in requirements:
                if name := _requirement_name(requirement):
                    add(name, "pyproject.toml", _line_of(text_lines, requirement))
                    found.add(name)
            where = ("pyproject.toml", f"{table}.{group}")
            if where in groups:  # a hatch environment's dependencies and extra-dependencies
                found |= groups[where].names
            groups[where] = _Group(
                where, frozenset(found), table == "project.optional-dependencies", _rank(group)
            )
    for path in sorted(
        {
            *project_dir.glob("*requirements*.txt"),
            *project_dir.glob("requirements/*.txt"),
            *project_dir.glob("requirements*.in"),
        }
    ):
        relative = path.relative_to(project_dir).as_posix()
        found = set()
        try:
            text = read_text(path, errors="replace")
        except OSError as exc:
            problems.append(ReadProblem(relative, None, str(exc.strerror)))
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if name := _requirement_name(line.split(";")[0]):
                add(name, relative, number)
                found.add(name)
        groups[(relative, "")] = _Group((relative, ""), frozenset(found), False, _rank(path.name))
    tox = project_dir / "tox.ini"
    if tox.is_file():
        text = read_text(tox, errors="replace")
        in_deps = False
        for number, line in enumerate(text.splitlines(), start=1):
            if _HEADER.match(line):
                in_deps = False
                continue
            if _INI_KEY.match(line):
                option, _, value = line.partition("=")
                in_deps = option.strip() == "deps"
                if in_deps:
                    add(_requirement_name(_TOX_FACTORS.sub("", value)), "tox.ini", number)
            elif in_deps and line[:1].isspace():
                add(_requirement_name(_TOX_FACTORS.sub("", line)), "tox.ini", number)
    home = _home(list(groups.values()), _tox_installs(project_dir), bool(document))
    return DevDependencies(names, home, tuple(problems))


#: Group names that hold test dependencies, most likely first.
_TEST_GROUPS = ("test", "tests", "testing", "dev")


@dataclass(frozen=True)
class _Group:
    """A list of development dependencies: its home (file, and table.group in pyproject.toml),
    the distributions it names, whether it is an extra (``[project.optional-dependencies]``,
    published for the project's users) and how much its name says tests (the index of
    the name in ``_TEST_GROUPS``, or their number)."""

    home: tuple[str, str]
    names: frozenset[str]
    extra: bool
    rank: int


def _rank(name: str) -> int:
    """How much a group's (or a requirements file's) name says tests: the index of the first
    word of ``_TEST_GROUPS`` in it, or their number."""
    return next((i for i, word in enumerate(_TEST_GROUPS) if word in name), len(_TEST_GROUPS))


def _test_tool(name: str) -> bool:
    return name in {"pytest", "coverage"} or name.startswith("pytest-")


def _home(
    groups: Sequence[_Group], installed: Sequence[str], pyproject: bool
) -> tuple[str, str] | None:
    """Where a new test dependency goes, following the project's own convention: the extra or
    group tox installs for its tests; else the list that holds pytest (a plugin of it, or
    coverage.py), a tool group or requirements file before an extra; else a list named for
    tests, the same way; else a new ``test`` group in ``[dependency-groups]`` (in Poetry's
    groups when the project has some)."""
    for wanted in installed:
        for group in groups:
            table, _, name = group.home[1].rpartition(".")
            if name == wanted and table in {
                "project.optional-dependencies",
                "dependency-groups",
                "tool.poetry.group",
            }:
                return group.home
    holding = [group for group in groups if any(map(_test_tool, group.names))]
    named = [group for group in groups if group.rank < len(_TEST_GROUPS)]
    for candidates in (holding, named):
        if candidates:
            return min(candidates, key=lambda group: (group.extra, group.rank)).home
    if any(group.home[1].startswith("tool.poetry.group.") for group in groups):
        return ("pyproject.toml", "tool.poetry.group.test")
    return ("pyproject.toml", "dependency-groups.test") if pyproject else None


def _tox_installs(project_dir: Path) -> list[str]:
    """The extras and dependency groups tox's ``[testenv]`` installs (factor conditions off)."""
    tox = project_dir / "tox.ini"
    if not tox.is_file():
        return []
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(read_text(tox, errors="replace"))
    except (OSError, configparser.Error):
        return []
    if not parser.has_section("testenv"):
        return []
    found: list[str] = []
    for option in ("dependency_groups", "extras"):
        raw = parser.get("testenv", option, fallback="")
        for line in raw.replace(",", "\n").splitlines():
            name = _TOX_FACTORS.sub("", line).strip()
            if (name and name.isidentifier()) or "-" in name:
                found.append(name)
    return found


def _pyproject_groups(document: Mapping[str, Any]) -> Iterable[tuple[tuple[str, str], list[str]]]:
    """((table, group), requirement strings) for every development-ish list in pyproject.toml."""

    def strings(value: Any) -> list[str]:
        return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []

    project = document.get("project", {})
    if isinstance(project, dict):
        for group, value in (project.get("optional-dependencies") or {}).items():
            yield ("project.optional-dependencies", group), strings(value)
    for group, value in (document.get("dependency-groups") or {}).items():
        yield ("dependency-groups", group), strings(value)
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        return
    poetry = tool.get("poetry", {})
    if isinstance(poetry, dict):
        for group, table in (poetry.get("group") or {}).items():
            deps = table.get("dependencies", {}) if isinstance(table, dict) else {}
            yield ("tool.poetry.group", group), list(deps) if isinstance(deps, dict) else []
        dev = poetry.get("dev-dependencies")
        if isinstance(dev, dict):
            yield ("tool.poetry", "dev-dependencies"), list(dev)
    pdm = tool.get("pdm", {})
    if isinstance(pdm, dict):
        for group, value in (pdm.get("dev-dependencies") or {}).items():
            yield ("tool.pdm.dev-dependencies", group), strings(value)
    uv = tool.get("uv", {})
    if isinstance(uv, dict) and uv.get("dev-dependencies"):
        yield ("tool.uv", "dev-dependencies"), strings(uv["dev-dependencies"])
    hatch = tool.get("hatch", {})
    envs = hatch.get("envs", {}) if isinstance(hatch, dict) else {}
    if isinstance(envs, dict):
        for env, table in envs.items():
            if isinstance(table, dict):
                yield ("tool.hatch.envs", env), strings(table.get("dependencies"))
                yield ("tool.hatch.envs", env), strings(table.get("extra-dependencies"))


def _line_of(lines: list[str], requirement: str) -> int:
    """The line a requirement string is written on (its first occurrence), or 1."""
    for number, line in enumerate(lines, start=1):
        if requirement in line:
            return number
    return 1
