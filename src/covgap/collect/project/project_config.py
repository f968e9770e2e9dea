"""The project's test settings as an audit reads them: pytest's configuration, coverage.py's, and
the development dependencies, each value with the file and line it comes from.

- **pytest**: the file pytest itself would use in the project folder, in pytest's order
  (``pytest.toml``, ``.pytest.toml``, ``pytest.ini``, ``.pytest.ini``, ``pyproject.toml`` with
  ``[tool.pytest]`` or ``[tool.pytest.ini_options]``, ``tox.ini`` with ``[pytest]``, ``setup.cfg``
  with ``[tool:pytest]``). TOML is parsed with tomllib, INI with configparser; values are
  normalised as pytest types them (``args`` split like a shell, ``linelist`` by line, ``bool``).
- **coverage.py**: read by coverage.py itself (``rcfile.project_coverage_config``); lines are
  looked up in the file it read.
- **development dependencies**: ``[project.optional-dependencies]``, ``[dependency-groups]``,
  Poetry's and PDM's development groups, ``[tool.uv] dev-dependencies``, hatch environments,
  ``requirements*.txt`` / ``requirements/*.txt`` files and tox's ``deps``, as normalised
  distribution names; and where a new one goes, by the project's own convention (``_home``).

Lines come from a scan of the file's text: a ``[table]`` header opens a section, ``key =`` (TOML,
any indentation) or ``key =`` / ``key:`` at the start of a line (INI: indented lines are
continuations) names an option. A file that cannot be parsed is reported as a problem, never
raised.
"""

from __future__ import annotations

import configparser
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from covgap import tomlparse
from covgap.collect.suite.rcfile import project_coverage_config, working_directory
from covgap.errors import ConfigError
from covgap.files import read_text

__all__ = [
    "CoverageSettings",
    "DevDependencies",
    "IniValue",
    "PytestConfig",
    "ReadProblem",
    "key_lines",
    "normalize_name",
    "pragma_excluded",
    "read_coverage_settings",
    "read_dev_dependencies",
    "read_pytest_config",
]

#: pytest's options whose INI value is a list of whitespace-separated words (type "args"/"paths").
_ARGS = frozenset(
    {
        "testpaths",
        "norecursedirs",
        "python_files",
        "python_classes",
        "python_functions",
        "pythonpath",
    }
)
#: pytest's options whose INI value is one item per line.
_LINELIST = frozenset({"markers", "filterwarnings", "required_plugins", "usefixtures"})


@dataclass(frozen=True)
class ReadProblem:
    """A configuration file that could not be read as what it claims to be."""

    path: str
    line: int | None
    message: str


@dataclass(frozen=True)
class IniValue:
    """One pytest option as written: normalised value and the line it is on."""

    value: str | bool | tuple[str, ...]
    line: int
    #: Written as a TOML array (a fix keeps the form the project chose).
    written_as_list: bool = False


Style = Literal["ini", "toml-ini", "toml"]


@dataclass(frozen=True)
class PytestConfig:
    """pytest's settings for the project: where they are and what they say.

    ``path`` is None when the project has no pytest configuration (then ``style`` says the one a
    fix should create: ``pyproject.toml``'s ``[tool.pytest.ini_options]`` when there is a
    pyproject.toml, else ``pytest.ini``).
    """

    path: str | None
    section: str
    style: Style
    section_line: int | None
    options: Mapping[str, IniValue] = field(default_factory=dict)
    problem: ReadProblem | None = None

    def value(self, name: str) -> str | bool | tuple[str, ...] | None:
        found = self.options.get(name)
        return found.value if found is not None else None

    def line(self, name: str) -> int | None:
        found = self.options.get(name)
        return found.line if found is not None else self.section_line

    @property
    def addopts(self) -> tuple[str, ...]:
        value = self.value("addopts")
        if isinstance(value, tuple):
            return value
        return tuple(_split_args(value)) if isinstance(value, str) else ()

    def flag(self, name: str) -> bool:
        """A boolean option, as pytest reads it (``true``/``1``/``yes``/``on``)."""
        value = self.value(name)
        if isinstance(value, bool):
            return value
        return isinstance(value, str) and value.strip().lower() in {"true", "1", "yes", "on", "y"}

    def words(self, name: str) -> tuple[str, ...]:
        value = self.value(name)
        if isinstance(value, tuple):
            return value
        return tuple(value.split()) if isinstance(value, str) else ()


@dataclass(frozen=True)
class CoverageSettings:
    """coverage.py's settings for the project (as coverage.py reads them), with their lines."""

    path: str | None
    branch: bool
    source: tuple[str, ...]
    omit: tuple[str, ...]
    fail_under: float
    parallel: bool
    patch: tuple[str, ...]
    concurrency: tuple[str, ...]
    exclude_lines: tuple[str, ...]
    #: Whether ``exclude_lines`` was set (replacing coverage.py's default, ``pragma: no cover``).
    exclude_replaced: bool
    #: Whether coverage.py, with these settings, still excludes a line ending in
    #: ``# pragma: no cover`` (see ``pragma_excluded``).
    pragma_excluded: bool = True
    #: coverage.py plugins the configuration loads (``covdefaults`` sets branch and source).
    plugins: tuple[str, ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict)
    #: The first line of each coverage section present (``run``, ``report``…).
    sections: Mapping[str, int] = field(default_factory=dict)
    problem: ReadProblem | None = None

    @property
    def toml(self) -> bool:
        return bool(self.path) and str(self.path).endswith(".toml")

    def line(self, option: str, section: str = "run") -> int | None:
        return self.lines.get(option, self.sections.get(section))


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


# --- line lookup -------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:[#;].*)?$")
_TOML_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")
_INI_KEY = re.compile(r"^([A-Za-z0-9_\-.]+)\s*[=:]")


def key_lines(text: str, toml: bool) -> dict[tuple[str, str], int]:
    """(section, key) → line, and (section, "") → the section header's line; first one wins."""
    found: dict[tuple[str, str], int] = {}
    section = ""
    key_pattern = _TOML_KEY if toml else _INI_KEY
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("[["):
            section = header.group(1).replace('"', "").replace("'", "").replace(" ", "")
            found.setdefault((section, ""), number)
            continue
        key = key_pattern.match(line)
        if key:
            name = key.group(1).strip("\"'")
            if toml and "." in name:  # dotted key: tool.pytest.ini_options.x = ...
                prefix, name = name.rsplit(".", 1)
                found.setdefault((f"{section}.{prefix}" if section else prefix, name), number)
            else:
                found.setdefault((section, name), number)
    return found


# --- pytest -------------------------------------------------------------------------------------

_PYTEST_FILES = (
    "pytest.toml",
    ".pytest.toml",
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "tox.ini",
    "setup.cfg",
)


def _split_args(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _ini_value(name: str, raw: str) -> str | tuple[str, ...]:
    if name == "addopts":
        return tuple(_split_args(raw))
    if name in _ARGS:
        return tuple(raw.split())
    if name in _LINELIST:
        return tuple(line.strip() for line in raw.splitlines() if line.strip())
    return raw.strip()


def _toml_value(name: str, value: Any, native: bool) -> str | bool | tuple[str, ...]:
    if isinstance(value, bool):
        return value
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return _ini_value(name, text) if not native or name == "addopts" else text


def read_pytest_config(project_dir: Path) -> PytestConfig:
    """The pytest configuration pytest would read in ``project_dir`` (not looking upwards)."""
    for name in _PYTEST_FILES:
        path = project_dir / name
        if not path.is_file():
            continue
        try:
            text = read_text(path, errors="replace")
        except OSError as exc:
            return PytestConfig(name, "", "ini", None, problem=ReadProblem(name, None, str(exc)))
        found = (_pytest_from_toml if name.endswith(".toml") else _pytest_from_ini)(name, text)
        if found is not None:
            return found
    default_style: Style = "toml-ini" if (project_dir / "pyproject.toml").is_file() else "ini"
    section = "tool.pytest.ini_options" if default_style == "toml-ini" else "pytest"
    return PytestConfig(None, section, default_style, None)


def _pytest_from_toml(name: str, text: str) -> PytestConfig | None:
    try:
        document = tomlparse.loads(text)
    except tomlparse.TOMLDecodeError as exc:
        if name == "pyproject.toml" and "pytest" not in text:
            return None
        return PytestConfig(
            name, "", "toml", None, problem=ReadProblem(name, _error_line(exc), f"not TOML: {exc}")
        )
    lines = key_lines(text, toml=True)
    if name == "pyproject.toml":
        tool = document.get("tool", {})
        pytest_table = tool.get("pytest", {}) if isinstance(tool, dict) else {}
        if not isinstance(pytest_table, dict) or not pytest_table:
            return None
        if isinstance(pytest_table.get("ini_options"), dict):
            section, table, style = "tool.pytest.ini_options", pytest_table["ini_options"], "ini"
        else:
            section, table, style = "tool.pytest", pytest_table, "native"
    else:
        section, table, style = "pytest", document.get("pytest", {}), "native"
        if not isinstance(table, dict):
            table = {}
    options = {
        key: IniValue(
            _toml_value(key, value, native=style == "native"),
            lines.get((section, key), lines.get((section, ""), 1)),
            isinstance(value, list),
        )
        for key, value in table.items()
        if not isinstance(value, dict)
    }
    return PytestConfig(
        name,
        section,
        "toml-ini" if style == "ini" else "toml",
        lines.get((section, "")),
        options,
    )


def _pytest_from_ini(name: str, text: str) -> PytestConfig | None:
    section = {"tox.ini": "pytest", "setup.cfg": "tool:pytest"}.get(name, "pytest")
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text, source=name)
    except configparser.Error as exc:
        if name in {"tox.ini", "setup.cfg"} and f"[{section}]" not in text:
            return None
        line = getattr(exc, "lineno", None)
        return PytestConfig(
            name, section, "ini", None, problem=ReadProblem(name, line, f"not INI: {exc}")
        )
    if not parser.has_section(section):
        if name in {"pytest.ini", ".pytest.ini"}:  # always pytest's file, even without [pytest]
            return PytestConfig(name, section, "ini", None)
        return None
    lines = key_lines(text, toml=False)
    options = {
        key: IniValue(_ini_value(key, raw), lines.get((section, key), 1))
        for key, raw in parser.items(section, raw=True)
    }
    return PytestConfig(name, section, "ini", lines.get((section, "")), options)


def _error_line(exc: Exception) -> int | None:
    match = re.search(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else None


# --- coverage.py --------------------------------------------------------------------------------

_COVERAGE_OPTIONS = {
    "run": ("branch", "source", "source_pkgs", "omit", "parallel", "patch", "concurrency", "core"),
    "report": ("fail_under", "exclude_lines", "exclude_also", "omit", "show_missing"),
}


#: Lines that carry coverage.py's documented pragma, as people write it.
_PRAGMA_LINES = "def f():  # pragma: no cover\n    x = 1  # pragma: no cover\n"


def pragma_excluded(exclude_list: Sequence[str]) -> bool:
    """Whether lines ending in ``# pragma: no cover`` are excluded by ``exclude_list`` (after
    ``exclude_also`` was added to it), decided by coverage.py's own parser: it searches the
    source for the patterns joined into one regex, so ``no cov`` still finds ``no cover``."""
    from coverage.misc import join_regex
    from coverage.parser import PythonParser

    if not exclude_list:
        return False
    try:
        matched = PythonParser(_PRAGMA_LINES).lines_matching(join_regex(exclude_list))
    except re.error:  # coverage.py refuses such a pattern when it reads the configuration
        return True
    return {1, 2} <= matched


def read_coverage_settings(project_dir: Path) -> CoverageSettings:
    """coverage.py's settings in ``project_dir``, read by coverage.py, with their lines."""
    try:
        with working_directory(project_dir):
            config = project_coverage_config(project_dir)
    except ConfigError as exc:
        return CoverageSettings(
            None, False, (), (), 0.0, False, (), (), (), False,
            problem=ReadProblem(exc.path or ".coveragerc", None, exc.message),
        )  # fmt: skip
    path: str | None = None
    lines: dict[str, int] = {}
    sections: dict[str, int] = {}
    exclude_replaced = False
    if config.config_file:
        file = Path(config.config_file)
        path = file.name if file.parent.resolve() == project_dir.resolve() else str(file)
        text = read_text(file, errors="replace")
        toml = file.suffix == ".toml"
        found = key_lines(text, toml=toml)
        for kind, options in _COVERAGE_OPTIONS.items():
            names = (
                [f"tool.coverage.{kind}", kind]
                if toml
                else [f"coverage:{kind}", kind]
            )  # fmt: skip
            for section in names:
                if (section, "") in found:
                    sections.setdefault(kind, found[(section, "")])
                for option in options:
                    if (section, option) in found:
                        lines.setdefault(option, found[(section, option)])
                        lines.setdefault(f"{kind}.{option}", found[(section, option)])
        exclude_replaced = "report.exclude_lines" in lines
    return CoverageSettings(
        path=path,
        branch=bool(config.branch),
        source=tuple(config.source or ()) + tuple(config.source_pkgs or ()),
        omit=tuple(config.run_omit or ()),
        fail_under=float(config.fail_under or 0.0),
        parallel=bool(config.parallel),
        patch=tuple(getattr(config, "patch", ()) or ()),
        concurrency=tuple(config.concurrency or ()),
        exclude_lines=tuple(config.exclude_list or ()),
        exclude_replaced=exclude_replaced,
        pragma_excluded=pragma_excluded(config.exclude_list or ()),
        plugins=tuple(config.plugins or ()),
        lines=lines,
        sections=sections,
    )


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
