"""Which file holds a project's tox configuration, read as tox picks it.

tox: the first of ``tox.ini``, ``setup.cfg`` (with ``[tox:tox]``), ``pyproject.toml`` (with
``[tool.tox]``: native TOML or ``legacy_tox_ini``) and ``tox.toml``, as tox picks it
    One job per environment section (``testenv``, ``testenv:py312``; in TOML ``env_run_base``,
    ``env.py312``), its steps one per command of ``commands_pre``, ``commands`` and
    ``commands_post`` (the step's ``name``), at the command's line, with the factor condition
    (``tests: pytest``) in ``condition``; a command continued with ``\\`` is one step, its
    lines kept (``command_lines``). A section that sets no commands runs ``[testenv]``'s
    and has no steps of its own. ``{[section]commands}`` references are replaced by that
    section's commands (at their own lines). A ``-`` prefix (exit status ignored) and
    ``ignore_outcome = true`` make a command "may fail". ``envs``: the environments the section
    configures (generative names ``py3{9-14}-tests`` expanded; ``[testenv]``: the
    ``env_list``); ``python_versions`` from their factors (``py312``, ``py3.12``, ``3.12``,
    ``pypy310``) and ``base_python``. tox commands are not shell: ``analyze_script`` is right
    for them with ``pipefail`` irrelevant. Broken INI is a problem with its line.
"""

from __future__ import annotations

import re
from pathlib import Path

from covgap.collect.project.ci_files.shared import _present, _State
from covgap.collect.project.ci_files.tox_ini import _read_tox_ini
from covgap.collect.project.ci_files.tox_toml import _read_tox_toml
from covgap.files import read_text


def _read_tox(state: _State) -> None:
    root = state.root
    tox_ini = root / "tox.ini"
    if _present(tox_ini):
        text = state.read(tox_ini)
        if text is not None:
            _read_tox_ini(state, "tox.ini", text, "tox")
        return
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        raw = _peek(setup_cfg)
        if raw is not None and re.search(r"^\[tox:tox\]", raw, re.MULTILINE):
            text = state.read(setup_cfg)
            if text is not None:
                _read_tox_ini(state, "setup.cfg", text, "tox:tox")
            return
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        raw = _peek(pyproject)
        if raw is not None and re.search(r"^\[tool\.tox[\].]", raw, re.MULTILINE):
            text = state.read(pyproject)
            if text is not None:
                _read_tox_toml(state, "pyproject.toml", text, ("tool", "tox"))
            return
    tox_toml = root / "tox.toml"
    if _present(tox_toml):
        text = state.read(tox_toml)
        if text is not None:
            _read_tox_toml(state, "tox.toml", text, ())


def _peek(path: Path) -> str | None:
    try:
        return read_text(path)
    except (OSError, UnicodeDecodeError):
        return None
