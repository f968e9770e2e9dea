"""TOML parsing for every file covgap reads: too-deep nesting is invalid TOML, not a crash."""

from __future__ import annotations

import sys
from typing import Any, BinaryIO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["TOMLDecodeError", "TooDeeplyNested", "load", "loads"]

TOMLDecodeError = tomllib.TOMLDecodeError


class TooDeeplyNested(tomllib.TOMLDecodeError):
    """Arrays or inline tables nested deeper than the parser's recursion can follow.

    tomllib parses nesting by recursion, so ``a = [[[[…]]]]`` a few thousand levels deep raises
    RecursionError. It is reported as a TOMLDecodeError, so every caller's handling of a broken
    file applies to it as well.
    """

    def __init__(self) -> None:
        # ValueError's own initialiser: TOMLDecodeError's wants the document and a position
        # since Python 3.14 (and warns without them); there is no position to give here.
        ValueError.__init__(self, "arrays or inline tables nested too deeply to be read")


def loads(text: str) -> dict[str, Any]:
    """``tomllib.loads``, with too-deep nesting raised as TooDeeplyNested."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise TooDeeplyNested() from None


def load(handle: BinaryIO) -> dict[str, Any]:
    """``tomllib.load``, with too-deep nesting raised as TooDeeplyNested."""
    try:
        return tomllib.load(handle)
    except RecursionError:
        raise TooDeeplyNested() from None
