"""``pytest_generate_tests`` hooks: the fixture names that guard their ``parametrize`` calls."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence

from covgap.collect.code.ast_names import dotted_name


class _GenerateTestsMixin:
    """Which tests a ``pytest_generate_tests`` hook may parametrize."""

    @staticmethod
    def _guards(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...] | None:
        """The names that every ``metafunc.parametrize`` in the hook is guarded by (``"x" in
        metafunc.fixturenames``); None when some call is not guarded."""
        if not node.args.args:
            return ()
        metafunc = node.args.args[0].arg
        names: set[str] = set()

        def visit(statements: Sequence[ast.stmt], guards: tuple[str, ...]) -> bool:
            for statement in statements:
                if isinstance(statement, ast.If):
                    extra = _fixturenames_guard(statement.test, metafunc)
                    if not visit(statement.body, guards + extra):
                        return False
                    if not visit(statement.orelse, guards):
                        return False
                    continue
                own = [
                    child
                    for child in _walk_outside_defs(
                        [c for c in ast.iter_child_nodes(statement) if isinstance(c, ast.expr)]
                    )
                    if isinstance(child, ast.Call)
                    and isinstance(child.func, ast.Attribute)
                    and child.func.attr == "parametrize"
                    and dotted_name(child.func.value) == metafunc
                ]
                if own:
                    if not guards:
                        return False
                    names.update(guards)
                nested = [s for s in ast.iter_child_nodes(statement) if isinstance(s, ast.stmt)]
                if nested and not visit(nested, guards):
                    return False
            return True

        return tuple(sorted(names)) if visit(node.body, ()) else None


def _fixturenames_guard(test: ast.expr, metafunc: str) -> tuple[str, ...]:
    """Names X of ``"X" in metafunc.fixturenames`` (also in an ``and``)."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        found: tuple[str, ...] = ()
        for value in test.values:
            found += _fixturenames_guard(value, metafunc)
        return found
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.In)
        and isinstance(test.left, ast.Constant)
        and isinstance(test.left.value, str)
        and dotted_name(test.comparators[0]) == f"{metafunc}.fixturenames"
    ):
        return (test.left.value,)
    return ()


def _walk_outside_defs(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """``ast.walk`` that does not enter nested functions, lambdas and classes."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    stack = [node for node in nodes if not isinstance(node, nested)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, nested))
