"""tox's INI configuration (``tox.ini``, ``setup.cfg``, ``legacy_tox_ini``) read into jobs."""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from covgap.collect.project.ci_files.model import CiJob, CiStep, Where
from covgap.collect.project.ci_files.shared import _script_mask, _State, _unique


@dataclass
class _IniOption:
    line: int
    #: (1-based line, text) of each non-empty, non-comment line of the value.
    lines: list[tuple[int, str]]


@dataclass
class _IniSection:
    line: int
    options: dict[str, _IniOption]


def _ini_layout(text: str, offset: int = 0) -> dict[str, _IniSection]:
    """Where each section and option is (configparser gives the values, not their lines)."""
    sections: dict[str, _IniSection] = {}
    section: _IniSection | None = None
    option: _IniOption | None = None
    for index, raw in enumerate(text.split("\n")):
        number = index + 1 + offset
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        indented = raw[:1].isspace()
        header = re.match(r"^\[(.+)\]", stripped)
        if header and not indented:
            section = sections.setdefault(header.group(1).strip(), _IniSection(number, {}))
            option = None
        elif indented and option is not None:
            option.lines.append((number, stripped))
        elif section is not None:
            parts = re.split(r"[=:]", raw, maxsplit=1)
            key = parts[0].strip().lower()
            value = parts[1].strip() if len(parts) > 1 else ""
            option = _IniOption(number, [(number, value)] if value else [])
            section.options[key] = option
    return sections


def _ini_parser(
    state: _State, path: str, text: str, offset: int = 0
) -> configparser.ConfigParser | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=path)
    except configparser.MissingSectionHeaderError as exc:
        state.problem(path, exc.lineno + offset, "broken INI: a line before the first [section]")
        return None
    except configparser.ParsingError as exc:
        errors = getattr(exc, "errors", None) or [(1, "")]
        lineno, content = errors[0]
        text_of_line = str(content).strip("'\"").replace("\\n", "").strip()
        state.problem(path, lineno + offset, f"broken INI: cannot parse `{text_of_line}`")
        return None
    except configparser.Error as exc:
        lineno = getattr(exc, "lineno", None) or 1
        message = re.sub(r"^While reading from .*?\[line\s*\d+\]: ", "", _first_line(exc))
        state.problem(path, int(lineno) + offset, f"broken INI: {message}")
        return None
    return parser


def _first_line(exc: Exception) -> str:
    return str(exc).strip().split("\n", 1)[0]


_FACTOR_CONDITION = re.compile(r"^([\w{}.!,-]+):\s+(.*)$", re.DOTALL)
_INLINE_COMMENT = re.compile(r"(?<!\\)\s#.*$")


def _expand(name: str) -> list[str]:
    """tox's generative names: ``py3{9-11}-{a,b}`` -> ``py39-a``, ``py39-b``, … ``py311-b``."""
    match = re.search(r"\{([^{}]*)\}", name)
    if not match:
        return [name]
    options: list[str] = []
    for part in match.group(1).split(","):
        part = part.strip()
        numeric = re.fullmatch(r"(\d+)-(\d+)", part)
        if numeric and int(numeric.group(1)) <= int(numeric.group(2)):
            low, high = int(numeric.group(1)), int(numeric.group(2))
            options.extend(str(number) for number in range(low, min(high, low + 100) + 1))
        else:
            options.append(part)
    head, tail = name[: match.start()], name[match.end() :]
    return [expanded for option in options for expanded in _expand(head + option + tail)]


def _env_names(value: str) -> list[str]:
    names: list[str] = []
    for raw in re.split(r"[\n]", value):
        raw = raw.split("#", 1)[0]
        # commas inside braces belong to the generative name
        for part in re.split(r",(?![^{]*\})", raw):
            part = part.strip()
            if part:
                names.extend(_expand(part))
    return names


_VERSION_IN_FACTOR = (
    (re.compile(r"py(\d)(\d+)"), r"\1.\2"),
    (re.compile(r"py(\d)\.(\d+)"), r"\1.\2"),
    (re.compile(r"py(\d)"), r"\1"),
    (re.compile(r"(\d)\.(\d+)"), r"\1.\2"),
    (re.compile(r"python(\d)\.?(\d+)"), r"\1.\2"),
    (re.compile(r"python(\d)"), r"\1"),
    (re.compile(r"pypy(\d)(\d+)"), r"pypy\1.\2"),
    (re.compile(r"pypy(\d)\.(\d+)"), r"pypy\1.\2"),
    (re.compile(r"pypy(\d?)"), r"pypy\1"),
)


def _version_of_factor(factor: str) -> str | None:
    """``py312`` -> ``3.12``, ``py3.12`` -> ``3.12``, ``pypy310`` -> ``pypy3.10``; else None."""
    for pattern, template in _VERSION_IN_FACTOR:
        match = pattern.fullmatch(factor)
        if match:
            return match.expand(template)
    return None


def _tox_versions(envs: Iterable[str], base_python: str = "") -> list[str]:
    versions: list[str] = []
    for env in envs:
        for factor in env.split("-"):
            version = _version_of_factor(factor)
            if version:
                versions.append(version)
                break
    for token in base_python.replace(",", " ").split():
        version = _version_of_factor(token)
        if version:
            versions.append(version)
    return versions


def _read_tox_ini(state: _State, path: str, text: str, core: str, offset: int = 0) -> None:
    parser = _ini_parser(state, path, text, offset)
    if parser is None:
        return
    layout = _ini_layout(text, offset)
    env_list: list[str] = []
    if parser.has_section(core):
        for key in ("env_list", "envlist"):
            if parser.has_option(core, key):
                env_list = _env_names(parser.get(core, key))
                break
    for section in parser.sections():
        if section != "testenv" and not section.startswith("testenv:"):
            continue
        envs = env_list if section == "testenv" else _expand(section.split(":", 1)[1])
        _tox_ini_job(state, path, parser, layout, section, envs)


def _tox_ini_job(
    state: _State,
    path: str,
    parser: configparser.ConfigParser,
    layout: dict[str, _IniSection],
    section: str,
    envs: list[str],
) -> None:
    place = layout.get(section, _IniSection(1, {}))
    # only what the section sets itself: [testenv]'s values are [testenv]'s job
    own = {key for key in place.options if parser.has_option(section, key)}
    options = {key: parser.get(section, key) for key in own}
    base_python = options.get("base_python") or options.get("basepython") or ""
    may_fail: str | None = None
    may_fail_where: Where | None = None
    if "ignore_outcome" in own and options.get("ignore_outcome", "").strip().lower() == "true":
        may_fail = "ignore_outcome = true"
        option = place.options.get("ignore_outcome")
        may_fail_where = Where(path, option.line if option else place.line)
    steps: list[CiStep] = []
    for name in ("commands_pre", "commands", "commands_post"):
        if name in own:
            steps.extend(
                _tox_ini_commands(path, layout, section, name, section, may_fail, may_fail_where, 0)
            )
    state.jobs.append(
        CiJob(
            system="tox",
            where=Where(path, place.line),
            name=section,
            timeout_minutes=None,
            timeout_where=None,
            python_versions=_unique(_tox_versions(envs, base_python)),
            caches=(),
            steps=tuple(steps),
            may_fail=may_fail,
            may_fail_where=may_fail_where,
            envs=tuple(envs),
        )
    )


def _tox_ini_commands(
    path: str,
    layout: dict[str, _IniSection],
    section: str,
    option: str,
    job: str,
    may_fail: str | None,
    may_fail_where: Where | None,
    depth: int,
) -> list[CiStep]:
    place = layout.get(section)
    value = place.options.get(option) if place else None
    if value is None:
        return []
    steps: list[CiStep] = []
    pending: list[tuple[int, str]] = []
    for number, text in value.lines:
        pending.append((number, text))
        if text.endswith("\\") and not text.endswith("\\\\"):
            continue
        steps.extend(_tox_step(path, layout, pending, job, option, may_fail, may_fail_where, depth))
        pending = []
    if pending:
        steps.extend(_tox_step(path, layout, pending, job, option, may_fail, may_fail_where, depth))
    return steps


def _tox_step(
    path: str,
    layout: dict[str, _IniSection],
    lines: list[tuple[int, str]],
    job: str,
    option: str,
    may_fail: str | None,
    may_fail_where: Where | None,
    depth: int,
) -> list[CiStep]:
    texts = [_INLINE_COMMENT.sub("", text).rstrip() for _, text in lines]
    condition = ""
    match = _FACTOR_CONDITION.match(texts[0])
    if match:
        condition, texts[0] = match.group(1), match.group(2)
    reference = re.fullmatch(r"\{\[([^\]]+)\]([\w-]+)\}", texts[0].strip())
    if reference and len(texts) == 1 and depth < 5:
        referenced = _tox_ini_commands(
            path,
            layout,
            reference.group(1),
            reference.group(2),
            job,
            may_fail,
            may_fail_where,
            depth + 1,
        )
        return [replace(step, condition=condition or step.condition) for step in referenced]
    first_line = lines[0][0]
    step_may_fail, step_where = may_fail, may_fail_where
    ignored = re.match(r"^-\s*", texts[0])
    if ignored:
        texts[0] = texts[0][ignored.end() :]
        if step_may_fail is None:
            step_may_fail, step_where = "- (tox ignores the exit status)", Where(path, first_line)
    command = "\n".join(texts)
    command_lines = tuple(number for number, _ in lines)
    if step_may_fail is None:
        step_may_fail, step_where = _script_mask(command, command_lines, path, False)
    return [
        CiStep(
            system="tox",
            where=Where(path, first_line),
            job=job,
            name=option,
            command=command,
            uses="",
            inputs=(),
            may_fail=step_may_fail,
            may_fail_where=step_where,
            command_lines=command_lines,
            command_where=Where(path, first_line),
            condition=condition,
        )
    ]
