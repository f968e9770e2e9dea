"""Cyclomatic complexity of each function, from radon, keyed by the line of its ``def``.

**Library.** `radon <https://radon.readthedocs.io/>`_ (MIT). It works on the ``ast`` tree, so
it reads every syntax the running interpreter parses, reuses the tree covgap has already parsed,
and names each function by ``FunctionDef.lineno``: the ``def`` line, which is where coverage.py
starts a function region (a decorated function too, not its first decorator). The candidates
it was chosen over (``benchmarks/eval_complexity.py`` measures them): lizard reads tokens and
leaves out every function written on one line (``def f(): ...``, overload and protocol stubs),
drops a function marked by a ``#lizard forgive`` comment and stops reading a file at a comment
that says ``GENERATED CODE``; mccabe (flake8's) ignores boolean operators, comprehensions,
ternaries and ``match``, folds nested functions into the outer one, keeps the last of two
functions with the same name, and misses functions defined under a module-level ``if``.

**What the number counts** (radon's rules): 1, plus one for each ``if``, ``elif`` and ternary;
each ``for``, ``async for`` and ``while``, plus one more for a loop's ``else``; each ``except``
handler, plus one for a ``try``'s ``else`` (``finally`` adds nothing); each boolean operator
(``a and b or c`` adds 2); each ``for`` of a comprehension and each of its ``if``s; each
``case`` of a ``match``, less one when a case is irrefutable (``case _:``, ``case name:``; a
guard adds nothing of its own); each ``assert`` (1, and nothing inside it is looked at).
``with``, ``return``, ``raise`` and ``break`` add nothing. Decisions inside a ``lambda`` count
for the enclosing function; decorators, default values and annotations are not looked at. In
radon 6.0.1, ``except*`` handlers (Python 3.11's ``ast.TryStar``) add nothing: the number is
radon's, not corrected here.

**Nested functions** are functions of their own, keyed by their own ``def`` line, and their
decisions are not part of the enclosing function's number, just as coverage.py's regions leave
nested functions out of the outer one. The same holds for methods, for methods of classes
defined inside a function, and for two functions of the same name (a property's getter and
setter): each ``def`` has its own line. radon's own listing (``cc_visit``) leaves out methods of
classes defined inside functions, so each function node is handed to radon on its own
(``cc_visit_ast`` of that node): radon's number for a function depends only on that node, and is
the same as in its listing.

**When radon cannot answer** the result is ``{}`` and the caller reports complexity as absent
for the file: on ``RecursionError`` (radon's visitor recurses once per level of the tree, about
three frames a level: an expression chain of ~330 ``+`` terms is enough at the default recursion
limit), and, when no tree is given, on ``SyntaxError``, ``ValueError`` (null bytes, Python
3.11) or ``RecursionError`` (Python 3.11+, on an expression nested too deep) from ``ast.parse``.
"""

from __future__ import annotations

import ast
from importlib.metadata import version

from radon.complexity import cc_visit_ast  # type: ignore[import-untyped]

__all__ = ["COMPLEXITY_LIBRARY", "complexity_by_line"]

#: The library and its installed version, for reports and cache keys.
COMPLEXITY_LIBRARY: str = f"radon {version('radon')}"

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
#: The fields that hold statements, directly or through ``ExceptHandler`` and ``match_case``
#: nodes (coverage.py's region finder walks the same): a ``def`` is a statement, so it is in one
#: of these, and expressions need not be walked (``ast.walk`` would take as long as radon).
_STATEMENT_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def complexity_by_line(source: str, tree: ast.Module | None = None) -> dict[int, int]:
    """Cyclomatic complexity of every function and method in `source`, keyed by the line of its
    `def` (FunctionDef.lineno), exactly as the library computes it.

    `tree` is `source` already parsed, when the caller has it; it is not parsed again. The
    result is ``{}`` when radon cannot compute it (see the module docstring).
    """
    if tree is None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError):
            return {}
    try:
        return {node.lineno: function_complexity(node) for node in functions(tree)}
    except RecursionError:
        return {}


def functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every ``def`` and ``async def`` in `tree`, at any depth."""
    found: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, _FUNCTIONS):
            found.append(node)
        for name in _STATEMENT_FIELDS:
            pending.extend(getattr(node, name, ()))
    return found


def function_complexity(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """radon's cyclomatic complexity of one function (its nested functions left out)."""
    (block,) = cc_visit_ast(node)
    return int(block.complexity)
