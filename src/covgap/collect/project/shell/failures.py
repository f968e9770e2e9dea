"""Why a command's failure does not fail the script: ``||``, pipelines, ``!``, ``set +e``."""

from __future__ import annotations

import re

from covgap.collect.project.shell.commands import _base, _Simple
from covgap.collect.project.shell.facts import Command

_OPEN = frozenset({"(", "{", "(("})
_CLOSE = frozenset({")", "}", "))"})
_LIST_END = frozenset({";", "&", ";;"})


def _branch_fails(branch: list[_Simple | str]) -> bool:
    """Whether the commands after ``||`` end the script with a failure."""
    for item in branch:
        if isinstance(item, str) or not item.argv:
            continue
        program = item.argv[0]
        if program == "false":
            return True
        if program in {"exit", "return"} and len(item.argv) > 1:
            return item.argv[1] != "0"
    return False


def _branch(items: list[_Simple | str], start: int) -> list[_Simple | str]:
    """The ``||`` branch starting at ``start``: up to ``;`` or ``&`` at its depth."""
    depth = 0
    for index in range(start, len(items)):
        item = items[index]
        if not isinstance(item, str):
            continue
        if item in _OPEN:
            depth += 1
        elif item in _CLOSE:
            depth -= 1
            if depth < 0:
                return items[start:index]
        elif depth == 0 and item in _LIST_END:
            return items[start:index]
    return items[start:]


#: Commands whose failure in a pipeline is not worth a word (they print what they are given).
_CANNOT_FAIL = frozenset({"echo", "printf", "cat", "true", ":", "yes"})


def _can_fail(command: _Simple) -> bool:
    return not command.argv or _base(command.argv[0]) not in _CANNOT_FAIL


def _mask(items: list[_Simple | str], index: int, pipefail: bool) -> str | None:
    """Why the failure of the command at ``index`` does not stop the script, or None."""
    command = items[index]
    assert isinstance(command, _Simple)
    if command.negated:
        return "!"
    following = items[index + 1] if index + 1 < len(items) else ""
    if following in {"|", "|&"} and not pipefail and _can_fail(command):
        after = next((i for i in items[index + 2 :] if isinstance(i, _Simple)), None)
        if after is not None:
            return "| " + " ".join(after.argv[:3])
    depth = level = 0  # level: the depth of the group the failure has reached
    for position in range(index + 1, len(items)):
        item = items[position]
        if not isinstance(item, str):
            continue
        if item in _OPEN:
            depth += 1
        elif item in _CLOSE:
            depth -= 1
            level = min(level, depth)  # (pytest) || true: the group fails, and goes on
        elif depth == level and item in _LIST_END:
            return None
        elif depth == level and item == "||":
            branch = _branch(items, position + 1)
            if _branch_fails(branch):
                return None
            first = next((i for i in branch if isinstance(i, _Simple) and i.argv), None)
            return "|| " + " ".join(first.argv) if first is not None else "||"
    return None


def _set_options(argv: list[str]) -> dict[str, bool]:
    """The errexit/pipefail changes a ``set`` command makes."""
    changes: dict[str, bool] = {}
    words = argv[1:]
    index = 0
    while index < len(words):
        word = words[index]
        if word in {"-o", "+o"} and index + 1 < len(words):
            name = words[index + 1]
            if name in {"errexit", "pipefail"}:
                changes["errexit" if name == "errexit" else "pipefail"] = word == "-o"
            index += 2
            continue
        if re.fullmatch(r"[-+][a-zA-Z]+", word):
            on = word[0] == "-"
            letters = word[1:]
            if "e" in letters:
                changes["errexit"] = on
            if letters.endswith("o") and index + 1 < len(words) and words[index + 1] == "pipefail":
                changes["pipefail"] = on
                index += 1
        index += 1
    return changes


def _errexit_off(commands: list[Command]) -> list[int]:
    """Indexes of the commands that run while ``set +e`` is in force."""
    off: list[int] = []
    on = True
    for index, command in enumerate(commands):
        if command.argv[0] == "set":
            changes = _set_options(list(command.argv))
            if "errexit" in changes:
                on = changes["errexit"]
            continue
        if not on:
            off.append(index)
    return off


def _with_mask(command: Command, mask: str) -> Command:
    return Command(command.text, command.offset_line, command.argv, command.env, mask)
