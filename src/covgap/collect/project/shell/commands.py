"""A logical line's simple commands: operators, redirections, keywords, environment words."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_OPERATORS = frozenset({";", "&", "&&", "||", "|", "|&", "(", ")", "((", "))", "{", "}", ";;"})
_REDIRECT = re.compile(r"^\d*(?:>>?|<<?<?|>&|<&|&>>?|>\|)$")
_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "exec", "command"})
_ENDERS = frozenset({"fi", "done", "esac", "[[", "]]", "[", "]"})


@dataclass
class _Simple:
    argv: list[str]
    env: list[str]
    negated: bool


def _items(words: list[str]) -> list[_Simple | str]:
    """The commands of a logical line, with the operators between them (strings)."""
    items: list[_Simple | str] = []
    current: list[str] = []
    for word in words:
        if word in _OPERATORS:
            if current:
                items.append(_make_simple(current))
            items.append(word)
            current = []
        else:
            current.append(word)
    if current:
        items.append(_make_simple(current))
    return items


def _make_simple(words: list[str]) -> _Simple:
    argv: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if _REDIRECT.match(word):
            skip = True
            if argv and argv[-1] in {"0", "1", "2"}:
                argv.pop()
            continue
        argv.append(word)
    negated = False
    env: list[str] = []
    while argv:
        if argv[0] in _KEYWORDS:
            argv.pop(0)
        elif argv[0] == "!":
            negated = True
            argv.pop(0)
        elif not env and argv[0] in _ENDERS:
            argv = []
        elif _ASSIGNMENT.match(argv[0]):
            env.append(argv.pop(0))
        else:
            break
    if argv and argv[0] in {"for", "case", "select", "function"}:
        argv = []
    return _Simple(argv, env, negated)


def _base(word: str) -> str:
    name = word.replace("\\", "/").rsplit("/", 1)[-1]
    return name[:-4] if name.lower().endswith(".exe") else name
