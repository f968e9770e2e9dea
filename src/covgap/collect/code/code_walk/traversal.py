"""Walking an AST's statements and nodes cheaply, without entering nested definitions."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence

#: ``try`` statements; ``try``/``except*`` (Python 3.11+) has the same fields.
_TRY_NODES: tuple[type[ast.stmt], ...] = tuple(
    getattr(ast, name) for name in ("Try", "TryStar") if hasattr(ast, name)
)


def _all_statements(statements: Sequence[ast.AST]) -> Iterator[ast.stmt]:
    """Every statement under ``statements``, in functions and classes too; expressions are not
    entered (statements cannot be inside them), which makes this much cheaper than ast.walk."""
    stack = list(reversed(statements))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.stmt):
            yield node
        for name in _STATEMENT_FIELDS:
            stack.extend(reversed(getattr(node, name, ())))


def _own_nodes(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every node under ``nodes`` except inside nested functions and classes (lambdas count)."""
    stack = list(nodes)[::-1]
    while stack:
        node = stack.pop()
        yield node
        for child in reversed(list(ast.iter_child_nodes(node))):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stack.append(child)


#: The fields of a node that hold statements (coverage.py's RegionFinder walks the same ones).
_STATEMENT_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def _definitions_in(
    statements: Sequence[ast.AST],
) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    """The functions and classes defined in a body, inside ifs, loops and trys, not deeper."""
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node
        else:
            for name in _STATEMENT_FIELDS:
                yield from _definitions_in(getattr(node, name, ()))
