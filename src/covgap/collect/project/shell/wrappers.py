"""Looking through the wrappers a command runs under (env, timeout, uv run, python -m…)."""

from __future__ import annotations

import re

from covgap.collect.project.shell.commands import _ASSIGNMENT, _base

_PYTHON = re.compile(
    r"^(?:python[\d.]*w?|pypy[\d.]*|py)(?:\.exe)?$|^\$\{?PYTHON\w*(?::?[-=][^}]*)?\}?$",
    re.IGNORECASE,
)


def _options(names: str) -> set[str]:
    return set(names.split())


#: The options of wrappers and runners that take a value (so the word after is skipped).
_VALUED: dict[str, set[str]] = {
    "uv": _options(
        "--cache-dir --config-file --directory --env-file --extra "
        "--extra-index-url --from --group --index --index-url --no-group "
        "--only-group --package --project --python --with --with-editable "
        "--with-requirements -p"
    ),
    "pipx": _options("--index-url --pip-args --python --spec"),
    "conda": _options("--name --prefix -e -n -p"),
    "pixi": _options("--environment --manifest-path -e"),
    "sudo": _options("-C -U -g -h -p -u"),
    "timeout": _options("--kill-after --signal -k -s"),
    "xvfb-run": _options("--error-file --server-args --server-num -e -f -n -s"),
    "python": _options("-Q -W -X"),
    "coverage": _options(
        "--concurrency --context --data-file --debug --include --omit --rcfile --source"
    ),
    "covgap": _options(
        "--churn-window --data --fail-under --format --jobs --output --parallel "
        "--precision --python --skip --target --test-timeout --timeout --top"
    ),
}


def _skip_options(argv: list[str], index: int, valued: set[str]) -> int:
    """The index of the first non-option word at or after ``index``."""
    while index < len(argv) and argv[index].startswith("-") and argv[index] != "-":
        word = argv[index]
        if word == "--":
            return index + 1
        index += 2 if word in valued else 1
    return index


def _unwrap(argv: list[str]) -> tuple[list[str], list[str]]:
    """Look through wrappers: the wrapped command, and timeouts met on the way."""
    timeouts: list[str] = []
    for _ in range(12):
        if not argv:
            break
        program = _base(argv[0])
        if program in {"env", "nice", "nohup", "time", "command", "exec", "sudo"}:
            index = _skip_options(argv, 1, _VALUED["sudo"] if program == "sudo" else set())
            while index < len(argv) and _ASSIGNMENT.match(argv[index]):
                index += 1
            argv = argv[index:]
        elif program == "timeout":
            index = _skip_options(argv, 1, _VALUED["timeout"])
            if index < len(argv):
                timeouts.append(f"timeout {argv[index]}")
            argv = argv[index + 1 :]
        elif program == "xvfb-run":
            argv = argv[_skip_options(argv, 1, _VALUED["xvfb-run"]) :]
        elif program == "uv" and len(argv) > 1 and argv[1] == "run":
            argv = argv[_skip_options(argv, 2, _VALUED["uv"] | {"-m", "--module"}) :]
        elif program == "uv" and argv[1:3] == ["tool", "run"]:
            argv = argv[_skip_options(argv, 3, _VALUED["uv"]) :]
        elif program == "uvx":
            argv = argv[_skip_options(argv, 1, _VALUED["uv"]) :]
        elif program == "pipx" and len(argv) > 1 and argv[1] == "run":
            argv = argv[_skip_options(argv, 2, _VALUED["pipx"]) :]
        elif program in {"poetry", "pdm", "pipenv", "rye"} and len(argv) > 1 and argv[1] == "run":
            argv = argv[_skip_options(argv, 2, set()) :]
        elif program in {"conda", "mamba", "micromamba"} and len(argv) > 1 and argv[1] == "run":
            argv = argv[_skip_options(argv, 2, _VALUED["conda"]) :]
        elif _PYTHON.match(program) or program == "{envpython}":
            index = 1
            while index < len(argv) and argv[index].startswith("-"):
                word = argv[index]
                if word == "-m":
                    break
                if re.fullmatch(r"-\d(?:\.\d+)?(?:-\d+)?", word) and program == "py":
                    index += 1
                    continue
                index += 2 if word in _VALUED["python"] else 1
            if index + 1 < len(argv) and argv[index] == "-m":
                argv = [argv[index + 1], *argv[index + 2 :]]
            else:
                break
        else:
            break
    return argv, timeouts


def _script_after_python(argv: list[str]) -> list[str]:
    """``python setup.py test`` -> ``setup.py test``; other commands unchanged."""
    if argv and (_PYTHON.match(_base(argv[0])) or argv[0] == "{envpython}"):
        index = _skip_options(argv, 1, _VALUED["python"])
        if index < len(argv) and argv[index].endswith(".py"):
            return argv[index:]
    return argv
