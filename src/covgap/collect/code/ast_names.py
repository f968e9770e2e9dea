"""Names in Python's AST: the dotted name a chain of attributes spells (``a.b.c``)."""

from __future__ import annotations

import ast

__all__ = ["dotted_name"]


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None
