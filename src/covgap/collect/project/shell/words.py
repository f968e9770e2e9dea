"""Splitting a script's text into logical lines and words: continuations, quotes, heredocs."""

from __future__ import annotations

import re
import shlex

_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][\w]*)\1")


def _protect(line: str) -> tuple[str, list[str]]:
    """Replace substitutions and expressions by placeholder words; return the text and them."""
    kept: list[str] = []

    def keep(text: str) -> str:
        kept.append(text)
        return f"\x00{len(kept) - 1}\x00"

    out: list[str] = []
    index = 0
    quote = ""
    while index < len(line):
        char = line[index]
        if quote == "'":
            out.append(char)
            if char == "'":
                quote = ""
            index += 1
            continue
        if char == "\\" and index + 1 < len(line):
            out.append(line[index : index + 2])
            index += 2
            continue
        if char == '"':
            quote = "" if quote == '"' else '"'
            out.append(char)
            index += 1
            continue
        if char == "'" and not quote:
            quote = "'"
            out.append(char)
            index += 1
            continue
        end = _substitution_end(line, index)
        if end > index:
            out.append(keep(line[index:end]))
            index = end
            continue
        out.append(char)
        index += 1
    return "".join(out), kept


def _substitution_end(line: str, index: int) -> int:
    """The end of a ``${{ }}``, ``$( )``, ``<( )``, ``${ }`` or backquote at ``index``; or index."""
    rest = line[index:]
    if rest.startswith("${{"):
        close = line.find("}}", index + 3)
        return close + 2 if close >= 0 else index
    if rest.startswith(("$(", "<(", ">(")):
        depth = 0
        for position in range(index + 1, len(line)):
            if line[position] == "(":
                depth += 1
            elif line[position] == ")":
                depth -= 1
                if depth == 0:
                    return position + 1
        return index
    if rest.startswith("${"):
        close = line.find("}", index + 2)
        return close + 1 if close >= 0 else index
    if rest.startswith("`"):
        close = line.find("`", index + 1)
        return close + 1 if close >= 0 else index
    return index


_TOX_SUBSTITUTIONS = (
    (re.compile(r"\{posargs:([^{}]*)\}"), r"\1"),
    (re.compile(r"\{posargs\}|\[\]"), ""),
    (re.compile(r"\{envpython\}"), "python"),
    (re.compile(r"\{envbindir\}[/\\]"), ""),
)


def split_words(line: str) -> tuple[list[str], bool]:
    """Split one logical line into words and operators; say whether the quotes balanced.

    Operators (``;``, ``&&``, ``||``, ``|``, parentheses…) are words of their own.
    Substitutions and expressions stay whole. Never raises.
    """
    for pattern, replacement in _TOX_SUBSTITUTIONS:
        line = pattern.sub(replacement, line)
    protected, kept = _protect(line)
    balanced = True
    try:
        lexer = shlex.shlex(protected, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(lexer)
    except ValueError:
        balanced = False
        words = re.findall(r"&&|\|\||[;&|()]|[^\s;&|()]+", protected.split(" #", 1)[0])
    restored = [re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], w) for w in words]
    return restored, balanced


def _logical_lines(script: str) -> list[tuple[int, str, list[str], bool]]:
    """``(offset_line, text, words, balanced)`` for each logical line, heredoc bodies skipped."""
    lines = script.split("\n")
    result: list[tuple[int, str, list[str], bool]] = []
    index = 0
    while index < len(lines):
        start = index
        text = lines[index]
        while _continues(text) and index + 1 < len(lines):
            index += 1
            text = text.rstrip()[:-1].rstrip() + " " + lines[index].strip()
        words, balanced = split_words(text)
        joined = index
        while not balanced and joined + 1 < len(lines) and joined - index < 50:
            joined += 1
            candidate = text + "\n" + lines[joined]
            words_more, balanced_more = split_words(candidate)
            if balanced_more:
                text, words, balanced, index = candidate, words_more, True, joined
        index += 1
        if not text.strip() or text.strip().startswith("#"):
            continue
        result.append((start, " ".join(part.strip() for part in text.split("\n")), words, balanced))
        heredoc = _HEREDOC.search(_protect(text)[0])
        if heredoc and "<<<" not in text:
            delimiter = heredoc.group(2)
            while index < len(lines) and lines[index].strip() != delimiter:
                index += 1
            index += 1
    return result


def _continues(text: str) -> bool:
    stripped = text.rstrip()
    backslashes = len(stripped) - len(stripped.rstrip("\\"))
    return backslashes % 2 == 1
