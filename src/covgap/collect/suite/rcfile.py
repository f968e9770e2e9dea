"""A temporary coverage.py rcfile: the project's own coverage settings, with covgap's layered over.

``covgap run`` never edits the project's files. It copies the configuration coverage.py would read
for the project (``.coveragerc``, ``.coveragerc.toml``, ``setup.cfg``, ``tox.ini`` or
``pyproject.toml``), keeps its format, sets only the options covgap needs (``layer_settings``:
branch, parallel data, subprocesses, sigterm, the core, and ``source`` when the project sets
none, detected by ``detect_source``), and has coverage.py started with the copy. Everything the
project configured (omit, exclusions, plugins, ``[paths]``…) still applies.
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coverage.config import CoverageConfig, config_files_to_try, read_coverage_config
from coverage.exceptions import ConfigError as CoverageConfigError

from covgap import tomlparse
from covgap.collect.suite.plugin import PLUGIN_DIR
from covgap.errors import ConfigError, OutputError
from covgap.files import read_text, special_kind

__all__ = [
    "Layered",
    "OptionValue",
    "check_config_files",
    "coverage_config_errors",
    "detect_source",
    "layer_settings",
    "project_coverage_config",
    "working_directory",
    "write_layered_rcfile",
]

#: What covgap sets: a bool, a string, or a list of strings.
OptionValue = bool | str | list[str]

#: Folder and module names that are not the project's code.
_NOT_SOURCE = frozenset(
    {
        "tests",
        "test",
        "testing",
        "docs",
        "doc",
        "examples",
        "example",
        "benchmarks",
        "bench",
        "scripts",
        "tools",
        "build",
        "dist",
        "venv",
        "env",
        "site-packages",
        "node_modules",
    }
)
_NOT_SOURCE_MODULES = frozenset({"setup", "conftest", "noxfile", "tasks", "fabfile", "manage"})


@contextlib.contextmanager
def working_directory(path: Path) -> Iterator[None]:
    """coverage.py resolves its config file and relative file names from the working directory."""
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def check_config_files() -> None:
    """Refuse a FIFO, device or socket among the files coverage.py reads its configuration from
    in the working folder (``.coveragerc``… or ``$COVERAGE_RCFILE``): coverage.py would open it
    and wait forever."""
    for name, _, _ in config_files_to_try(True):
        kind = special_kind(name)
        if kind is not None:
            raise ConfigError(
                f"not a regular file ({kind}): coverage.py reads its configuration from it",
                path=name,
                slug="not-regular-file",
            )


def project_coverage_config(project_dir: Path) -> CoverageConfig:
    """The coverage configuration coverage.py would use in ``project_dir``.

    Must be called with ``project_dir`` as the working folder (coverage.py looks there).
    """
    with coverage_config_errors():
        return read_coverage_config(config_file=True, warn=lambda message: None)


@contextlib.contextmanager
def coverage_config_errors() -> Iterator[None]:
    """coverage.py's failures to read its configuration, as one ConfigError.

    coverage.py reports broken INI and TOML itself. Two failures escape it: a file it tries
    that is not UTF-8 (UnicodeDecodeError, which says nothing of the file), and TOML nested
    deeper than tomllib's recursion (RecursionError); the file is then found here. Wraps the
    reading of the configuration only (``Coverage()``), in the project folder. A FIFO, device or
    socket among the files it tries is refused first (``check_config_files``).
    """
    check_config_files()
    try:
        yield
    except CoverageConfigError as exc:
        raise ConfigError(
            f"coverage configuration is broken: {exc}", slug="coverage-config"
        ) from exc
    except UnicodeDecodeError as exc:
        raise _undecodable_config(exc) from None
    except RecursionError:
        raise _too_deep_config() from None


def _config_files() -> list[Path]:
    """The files coverage.py tries for its settings, in its order, that exist here."""
    return [Path(name) for name, _, _ in config_files_to_try(True) if Path(name).is_file()]


def _undecodable_config(exc: UnicodeDecodeError) -> ConfigError:
    for path in _config_files():
        try:
            data = path.read_bytes()
            data.decode("utf-8-sig")  # as coverage.py reads them
        except OSError:
            continue
        except UnicodeDecodeError as found:
            line = data[: found.start].count(b"\n") + 1
            byte = data[found.start]
            return ConfigError(
                f"not valid UTF-8 (byte 0x{byte:02x} on line {line}): coverage.py reads its "
                "settings from this file and cannot read it",
                path=str(path.absolute()),
                hint="save the file as UTF-8 (`coverage report` stops on it too)",
                slug="coverage-config",
            )
    return ConfigError(f"coverage configuration cannot be read: {exc}", slug="coverage-config")


def _too_deep_config() -> ConfigError:
    for path in _config_files():
        if path.suffix != ".toml":
            continue
        try:
            tomlparse.loads(path.read_text(encoding="utf-8-sig"))
        except tomlparse.TooDeeplyNested as exc:
            return ConfigError(
                "coverage configuration is broken: "
                f"Couldn't read config file {path.absolute()}: {exc}",
                slug="coverage-config",
            )
        except (OSError, ValueError):  # other problems: coverage.py would have said so
            continue
    return ConfigError(
        "coverage configuration is broken: nested too deeply to be read", slug="coverage-config"
    )


def write_layered_rcfile(
    config: CoverageConfig, overrides: Mapping[str, Mapping[str, OptionValue]], target_dir: Path
) -> Path:
    """Write the project's config file with ``overrides`` (section → option → value) applied.

    Returns the path of the new rcfile, in ``target_dir``.
    """
    source = Path(config.config_file) if config.config_file else None
    if source is not None and source.suffix == ".toml":
        target, text = target_dir / "coverage-rc.toml", _layered_toml(source, overrides)
    else:
        target, text = target_dir / "coverage.rc", _layered_ini(source, overrides)
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(
            f"cannot be written: {exc.strerror or exc}", path=str(target), slug="run-folder"
        ) from exc
    return target


def _layered_ini(source: Path | None, overrides: Mapping[str, Mapping[str, OptionValue]]) -> str:
    parser = configparser.RawConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep option case
    if source is not None:
        with contextlib.suppress(OSError):  # as parser.read: a file that cannot be opened
            parser.read_string(read_text(source), source=str(source))
        if source.name in {"setup.cfg", "tox.ini"}:
            # Other tools' sections there are of no use to coverage.py.
            for name in parser.sections():
                if not name.startswith("coverage:"):
                    parser.remove_section(name)
    for section, options in overrides.items():
        # setup.cfg and tox.ini say [coverage:run]; .coveragerc says [run]. A specified rcfile
        # reads both, preferring the prefixed one, so write into whichever exists.
        name = f"coverage:{section}" if parser.has_section(f"coverage:{section}") else section
        if not parser.has_section(name):
            parser.add_section(name)
        for option, value in options.items():
            parser.set(name, option, _ini_value(value))
    lines: list[str] = [
        "# Written by covgap run: the project's coverage settings, covgap's layered over.\n"
    ]
    for name in parser.sections():
        lines.append(f"[{name}]\n")
        for option, value in parser.items(name, raw=True):
            value_lines = str(value).split("\n")
            lines.append(f"{option} = {value_lines[0]}\n")
            lines.extend(f"    {line}\n" for line in value_lines[1:])
        lines.append("\n")
    return "".join(lines)


def _ini_value(value: OptionValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "\n" + "\n".join(value) if value else ""
    return value


def _layered_toml(source: Path, overrides: Mapping[str, Mapping[str, OptionValue]]) -> str:
    try:
        document = tomlparse.loads(read_text(source))
    except (OSError, UnicodeDecodeError, tomlparse.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot be read as TOML: {exc}", path=str(source)) from exc
    coverage_tables = document.get("tool", {}).get("coverage")
    if not isinstance(coverage_tables, dict):
        # .coveragerc.toml may hold bare [run] tables.
        coverage_tables = {k: v for k, v in document.items() if isinstance(v, dict) and k != "tool"}
    merged: dict[str, Any] = {
        k: dict(v) if isinstance(v, dict) else v for k, v in coverage_tables.items()
    }
    for section, options in overrides.items():
        merged.setdefault(section, {}).update(options)
    lines = ["# Written by covgap run: the project's coverage settings, covgap's layered over.\n"]
    _toml_tables(lines, ["tool", "coverage"], merged)
    return "".join(lines)


def _toml_tables(lines: list[str], path: list[str], table: Mapping[str, Any]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    if scalars:
        lines.append(f"[{'.'.join(_toml_key(part) for part in path)}]\n")
        for key, value in scalars.items():
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}\n")
        lines.append("\n")
    for key, value in tables.items():
        _toml_tables(lines, [*path, key], value)


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise ConfigError(f"cannot carry the coverage setting {value!r} into covgap's rcfile")


def detect_source(project_dir: Path) -> list[str]:
    """The project's own code: ``src`` in a src layout, else its top-level packages and modules."""
    src = project_dir / "src"
    if src.is_dir() and any(
        (child / "__init__.py").exists() or child.suffix == ".py" for child in src.iterdir()
    ):
        return ["src"]
    found = [
        child.name
        for child in sorted(project_dir.iterdir())
        if child.is_dir()
        and (child / "__init__.py").exists()
        and child.name not in _NOT_SOURCE
        and not child.name.startswith(".")
    ]
    found += [
        path.stem
        for path in sorted(project_dir.glob("*.py"))
        if path.stem not in _NOT_SOURCE_MODULES
        and not path.stem.startswith("test_")
        and not path.stem.endswith("_test")
    ]
    return found


def _overrides(
    branch: bool,
    data_file: Path,
    detected: Sequence[str],
    config: CoverageConfig,
    chosen: tuple[str, str],
    fallback: tuple[str, str],
) -> tuple[dict[str, dict[str, OptionValue]], str, str]:
    """covgap's settings, and the core coverage.py will measure with and why: ``chosen`` (the
    fastest for the interpreter, ``choose_core``) unless the project's configuration says
    otherwise or rules sys.monitoring out, then ``fallback`` (``tracer_core``)."""
    run: dict[str, OptionValue] = {
        "branch": branch,
        "parallel": True,
        "patch": sorted({*config.patch, "subprocess"}),
        "data_file": str(data_file),
        "sigterm": True,
        # covgap's own pytest plugin is never the project's code, even where nothing says what
        # is (no source configured or detected: coverage.py then measures every file imported
        # from outside the standard library and site-packages).
        "omit": [*config.run_omit, f"{PLUGIN_DIR}{os.sep}*"],
    }
    if detected:
        run["source"] = list(detected)
    core, reason = chosen
    blocker = _sysmon_blocker(config)
    asked = config.core or os.environ.get("COVERAGE_CORE")
    if config.timid:
        core, reason = "pytrace", "the Python tracer: the project sets timid = true"
    elif asked:
        origin = "the project's coverage configuration" if config.core else "COVERAGE_CORE"
        if asked == "sysmon" and (core != "sysmon" or blocker):
            # coverage.py then warns "Can't use core=sysmon" and uses its tracer.
            why = blocker or chosen[1].partition(": ")[2]
            core, reason = (
                fallback[0],
                (
                    f"{fallback[1]}: {origin} asks for sysmon, but {why}, so coverage.py falls "
                    "back to its tracer"
                ),
            )
        else:
            core, reason = asked, f"set in {origin}"
    else:
        if core == "sysmon" and blocker:
            core, reason = fallback[0], f"{fallback[1]}: {blocker}"
        run["core"] = core
    return {"run": run}, core, reason


#: Concurrency libraries sys.monitoring does not follow (coverage.py's ``core.py``).
_NOT_FOLLOWED_BY_SYSMON = ("greenlet", "eventlet", "gevent")


def _sysmon_blocker(config: CoverageConfig) -> str | None:
    """Why coverage.py would not measure with sys.monitoring whatever the Python (its
    ``core.py``): dynamic contexts, or a concurrency library it does not follow."""
    if config.dynamic_context and config.dynamic_context != "none":
        return f"sys.monitoring does not support dynamic contexts ({config.dynamic_context})"
    unsupported = [
        name for name in config.concurrency if name in {"greenlet", "eventlet", "gevent"}
    ]
    if unsupported:
        return f"sys.monitoring does not support concurrency = {unsupported[0]}"
    return None


@dataclass(frozen=True)
class Layered:
    """covgap's settings, layered over the project's coverage configuration."""

    rcfile: Path
    #: The project's configuration, as coverage.py read it.
    config: CoverageConfig
    #: What is measured: the project's ``source`` (or ``source_pkgs``), else what was detected.
    source: tuple[str, ...]
    detected: bool
    core: str
    core_reason: str
    notes: tuple[str, ...] = ()


def layer_settings(
    project_dir: Path,
    folder: Path,
    data_file: Path,
    branch: bool,
    chosen: tuple[str, str],
    fallback: tuple[str, str] = ("ctrace", "the C tracer"),
) -> Layered:
    """Read the project's coverage configuration and write covgap's settings over it into
    ``folder`` (docs/run.md): ``branch``, parallel data in ``data_file``, subprocesses, sigterm,
    ``source`` when the project sets none, and the core ``chosen`` (``choose_core``'s core and
    reason) unless the project or ``COVERAGE_CORE`` sets one; the core reported is the one
    coverage.py will use (``fallback`` where it cannot use sys.monitoring). ConfigError when the
    project's configuration is broken."""
    with working_directory(project_dir):
        config = project_coverage_config(project_dir)
    project_source = bool(config.source or config.source_pkgs or config.run_include)
    detected = [] if project_source else detect_source(project_dir)
    notes: tuple[str, ...] = ()
    if not project_source and not detected:
        notes = (
            "no source folder or package found and none configured: files no test imports are "
            "not counted; set [run] source in the coverage configuration",
        )
    overrides, core, reason = _overrides(branch, data_file, detected, config, chosen, fallback)
    return Layered(
        rcfile=write_layered_rcfile(config, overrides, folder),
        config=config,
        source=tuple(config.source or config.source_pkgs or detected),
        detected=bool(detected),
        core=core,
        core_reason=reason,
        notes=notes,
    )
