"""Blocks that always leave, and the guards (``if a: return``) they put on the lines after."""

from __future__ import annotations

import ast
from collections.abc import Sequence

from covgap.collect.code.ast_names import dotted_name

#: Calls that end the program or the request: ``if bad: sys.exit(2)`` is a guard.
_EXIT_CALLS = frozenset({"sys.exit", "exit", "quit", "os._exit", "abort", "flask.abort"})


def _exits(statements: Sequence[ast.stmt]) -> bool:
    """Whether a block always leaves: it ends with ``return``, ``raise``, ``continue``,
    ``break``, a call that exits (``sys.exit``, ``parser.error``), or an ``if``/``else`` whose
    sides both leave."""
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
        return True
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        target = dotted_name(last.value.func) or ""
        return target in _EXIT_CALLS or target.endswith(("parser.error", "parser.exit"))
    if isinstance(last, ast.If):
        return _exits(last.body) and _exits(last.orelse)
    if isinstance(last, (ast.With, ast.AsyncWith)):
        return _exits(last.body)
    return False


def _guards(node: ast.stmt) -> list[tuple[ast.expr, bool, int]]:
    """(test, which way it must go, line) for the lines after ``node`` to run, when ``node`` is
    an ``if`` one of whose sides leaves the block: ``if a: return`` needs ``a`` false, ``if a:
    … else: return`` needs it true; ``if a: return`` / ``elif b: raise`` needs both false."""
    if not isinstance(node, ast.If):
        return []
    body, orelse = _exits(node.body), _exits(node.orelse)
    if body and not orelse:
        elif_chain = len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If)
        later = _guards(node.orelse[0]) if elif_chain else []
        return [(node.test, False, node.lineno), *later]
    if orelse and not body:
        return [(node.test, True, node.lineno)]
    return []
