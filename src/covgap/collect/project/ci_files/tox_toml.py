"""tox's TOML configuration (``tox.toml``, ``[tool.tox]`` in ``pyproject.toml``) read into jobs."""

from __future__ import annotations

import re
import shlex

from covgap import tomlparse
from covgap.collect.project.ci_files.model import CiJob, CiStep, Where
from covgap.collect.project.ci_files.shared import _script_mask, _State, _unique
from covgap.collect.project.ci_files.tox_ini import _read_tox_ini, _tox_versions


def _read_tox_toml(state: _State, path: str, text: str, prefix: tuple[str, ...]) -> None:
    try:
        document = tomlparse.loads(text)
    except tomlparse.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        state.problem(path, int(found.group(1)) if found else 1, f"broken TOML: {exc}")
        return
    config: object = document
    for part in prefix:
        config = config.get(part, {}) if isinstance(config, dict) else {}
    if not isinstance(config, dict):
        state.problem(path, 1, "the tox configuration is not a table")
        return
    legacy = config.get("legacy_tox_ini")
    if isinstance(legacy, str):
        found = re.search(r"^\s*legacy_tox_ini\s*=\s*(\"\"\"|''')\\?\n?", text, re.MULTILINE)
        offset = text[: found.end()].count("\n") if found else 0
        _read_tox_ini(state, path, legacy, "tox", offset)
        return
    table_prefix = ".".join(prefix)
    listed = config.get("env_list")
    env_list = (
        [name for name in listed if isinstance(name, str)] if isinstance(listed, list) else []
    )
    tables: list[tuple[str, str, dict[str, object], list[str]]] = []
    run_base = config.get("env_run_base")
    if isinstance(run_base, dict):
        tables.append(("env_run_base", "env_run_base", run_base, env_list))
    environments = config.get("env")
    if isinstance(environments, dict):
        for name, table in environments.items():
            if isinstance(table, dict):
                tables.append((f"env.{name}", f"env.{_toml_key(name)}", table, [name]))
    for job, header, table, envs in tables:
        full = f"{table_prefix}.{header}" if table_prefix else header
        header_line = _toml_header_line(text, full)
        base = table.get("base_python", "")
        base_python = " ".join(base) if isinstance(base, list) else str(base)
        may_fail: str | None = None
        may_fail_where: Where | None = None
        if table.get("ignore_outcome") is True:
            may_fail = "ignore_outcome = true"
            may_fail_where = Where(path, _toml_key_line(text, header_line, "ignore_outcome"))
        steps: list[CiStep] = []
        for option in ("commands_pre", "commands", "commands_post"):
            commands = table.get(option)
            if isinstance(commands, list):
                steps.extend(
                    _toml_steps(
                        path, text, header_line, job, option, commands, may_fail, may_fail_where
                    )
                )
        state.jobs.append(
            CiJob(
                system="tox",
                where=Where(path, header_line),
                name=job,
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


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[\w-]+", name) else f'"{name}"'


def _toml_header_line(text: str, header: str) -> int:
    pattern = re.compile(r"^\s*\[\s*" + re.escape(header).replace(r"\.", r"\s*\.\s*") + r"\s*\]")
    for index, raw in enumerate(text.split("\n")):
        if pattern.match(raw):
            return index + 1
    return 1


_TOML_TABLE = re.compile(r"^\[\[?[^\[\]]+\]\]?\s*(?:#.*)?$")


def _toml_key_line(text: str, start: int, key: str) -> int:
    """The line of ``key = …`` in the table whose header is at line ``start``; else ``start``."""
    lines = text.split("\n")
    for index in range(start, len(lines)):  # from the line after the header
        if _TOML_TABLE.match(lines[index]):
            break
        if re.match(r"^\s*" + re.escape(key) + r"\s*=", lines[index]):
            return index + 1
    return start


def _render_toml_word(word: object) -> list[str]:
    if isinstance(word, str):
        return [shlex.quote(word)]
    if isinstance(word, dict):
        if word.get("replace") == "posargs":
            default = word.get("default", [])
            return [shlex.quote(str(item)) for item in default] if isinstance(default, list) else []
        if word.get("replace") == "env":
            return [f"${word.get('name', '')}"]
        return [shlex.quote("{" + ",".join(f"{k}={v}" for k, v in word.items()) + "}")]
    return [shlex.quote(str(word))]


def _toml_steps(
    path: str,
    text: str,
    header_line: int,
    job: str,
    option: str,
    commands: list[object],
    may_fail: str | None,
    may_fail_where: Where | None,
) -> list[CiStep]:
    key_line = _toml_key_line(text, header_line, option)
    cursor = sum(len(raw) + 1 for raw in text.split("\n")[: key_line - 1])
    steps: list[CiStep] = []
    for command in commands:
        words = command if isinstance(command, list) else [command]
        rendered = " ".join(part for word in words for part in _render_toml_word(word))
        first = next((w for w in words if isinstance(w, str)), "")
        number = text.count("\n", 0, cursor) + 1
        if first:
            found = re.compile(r"([\"'])" + re.escape(first) + r"\1").search(text, cursor)
            if found:
                cursor = found.end()
                number = text.count("\n", 0, found.start()) + 1
        step_may_fail, step_where = may_fail, may_fail_where
        if step_may_fail is None:
            step_may_fail, step_where = _script_mask(rendered, (number,), path, False)
        steps.append(
            CiStep(
                system="tox",
                where=Where(path, number),
                job=job,
                name=option,
                command=rendered,
                uses="",
                inputs=(),
                may_fail=step_may_fail,
                may_fail_where=step_where,
                command_lines=(number,),
                command_where=Where(path, number),
            )
        )
    return steps
