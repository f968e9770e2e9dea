"""pytest's settings for the project, as pytest itself would read them, each with its line.

The file pytest itself would use in the project folder, in pytest's order (``pytest.toml``,
``.pytest.toml``, ``pytest.ini``, ``.pytest.ini``, ``pyproject.toml`` with ``[tool.pytest]`` or
``[tool.pytest.ini_options]``, ``tox.ini`` with ``[pytest]``, ``setup.cfg`` with
``[tool:pytest]``). TOML is parsed with tomllib, INI with configparser; values are normalised as
pytest types them (``args`` split like a shell, ``linelist`` by line, ``bool``).
"""

from __future__ import annotations

import configparser
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from covgap import tomlparse
from covgap.collect.project.project_config.lines import ReadProblem, _error_line, key_lines
from covgap.files import read_text

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
