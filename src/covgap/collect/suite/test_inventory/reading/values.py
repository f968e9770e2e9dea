"""What an expression is worth: a parameter list's length, a module-level condition's truth."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from covgap.collect.code.ast_names import dotted_name
from covgap.collect.suite.test_inventory.reading.base import _ReaderBase
from covgap.collect.suite.test_inventory.summary import _Len, _Op, _Ref, _Value


class _ValuesMixin(_ReaderBase):
    """Lengths of sequence expressions, and the truth of conditions."""

    # -- lengths

    def length(self, node: ast.expr, class_scope: Mapping[str, _Len] | None = None) -> _Len:
        """The length of a sequence expression (see ``read``'s docstring), or a formula."""
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            parts: list[_Len] = []
            plain = 0
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    parts.append(self.length(element.value, class_scope))
                else:
                    plain += 1
            if isinstance(node, ast.Set) and not parts:
                constants = [e.value for e in node.elts if isinstance(e, ast.Constant)]
                if len(constants) == plain:
                    plain = len(set(constants))
            return _sum(plain, parts)
        if isinstance(node, ast.Dict):
            parts = [
                self.length(v, class_scope)
                for k, v in zip(node.keys, node.values, strict=True)
                if k is None
            ]
            return _sum(sum(1 for k in node.keys if k is not None), parts)
        if isinstance(node, ast.Constant):
            return len(node.value) if isinstance(node.value, (str, bytes)) else None
        if isinstance(node, (ast.Name, ast.Attribute)):
            dotted = dotted_name(node)
            if dotted is None:
                return None
            if class_scope is not None and dotted in class_scope:
                return class_scope[dotted]
            return _Ref(dotted)
        if isinstance(node, ast.BinOp):
            left = self.length(node.left, class_scope)
            right = self.length(node.right, class_scope)
            if isinstance(node.op, ast.Add):
                return _Op("sum", (left, right))
            if isinstance(node.op, ast.Mult):
                if isinstance(node.right, ast.Constant) and isinstance(node.right.value, int):
                    return _Op("prod", (left, node.right.value))
                if isinstance(node.left, ast.Constant) and isinstance(node.left.value, int):
                    return _Op("prod", (node.left.value, right))
            return None
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            if any(generator.ifs or generator.is_async for generator in node.generators):
                return None
            return _Op("prod", tuple(self.length(g.iter, None) for g in node.generators))
        if isinstance(node, ast.Call):
            return self._call_length(node, class_scope)
        return None

    def _call_length(self, node: ast.Call, class_scope: Mapping[str, _Len] | None) -> _Len:
        name = dotted_name(node.func)
        if name is None:
            if (
                isinstance(node.func, ast.Attribute)
                and node.func.attr in ("items", "keys", "values")
                and not node.args
            ):
                return self.length(node.func.value, class_scope)
            return None
        last = name.rsplit(".", 1)[-1]
        args = node.args
        if node.keywords and last not in ("sorted", "product"):
            return None
        if last == "range" and 1 <= len(args) <= 3:
            bounds = [_int_constant(a) for a in args]
            if all(b is not None for b in bounds):
                return len(range(*[b for b in bounds if b is not None]))
            return None
        if last in ("list", "tuple", "sorted", "reversed", "enumerate") and len(args) == 1:
            return self.length(args[0], class_scope)
        if last == "zip" and args:
            return _Op("min", tuple(self.length(a, class_scope) for a in args))
        if last == "product" and args and not node.keywords:
            return _Op("prod", tuple(self.length(a, class_scope) for a in args))
        if last == "chain" and args:
            return _Op("sum", tuple(self.length(a, class_scope) for a in args))
        if (
            last in ("items", "keys", "values")
            and not args
            and isinstance(node.func, ast.Attribute)
        ):
            return self.length(node.func.value, class_scope)
        return None

    # -- conditions

    def truth(self, node: ast.expr) -> bool | None:
        """The value of a module-level condition, when it can be known."""
        if isinstance(node, ast.Constant):
            return bool(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            value = self.truth(node.operand)
            return None if value is None else not value
        if isinstance(node, ast.BoolOp):
            values = [self.truth(v) for v in node.values]
            if isinstance(node.op, ast.And):
                if any(v is False for v in values):
                    return False
                return True if all(v is True for v in values) else None
            if any(v is True for v in values):
                return True
            return False if all(v is False for v in values) else None
        dotted = dotted_name(node)
        if dotted in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            return False
        if isinstance(node, ast.Name):
            bound = self.bindings.get(node.id)
            return bound.truth if isinstance(bound, _Value) else None
        if isinstance(node, ast.Call):
            func = dotted_name(node.func)
            if (
                func == "sys.platform.startswith"
                and len(node.args) == 1
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, (str, tuple))
            ):
                return self.platform.startswith(node.args[0].value)
            return None
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left = self._known_value(node.left)
            right = self._known_value(node.comparators[0])
            if left is None or right is None:
                return None
            try:
                return bool(_COMPARE[type(node.ops[0])](left, right))
            except (KeyError, TypeError):
                return None
        return None

    def _known_value(self, node: ast.expr) -> object | None:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Tuple):
            values = [self._known_value(e) for e in node.elts]
            return None if any(v is None for v in values) else tuple(values)
        dotted = dotted_name(node)
        if dotted == "__name__":
            return "__pytest_module__"
        if dotted == "sys.platform":
            return self.platform
        if dotted == "os.name":
            return "nt" if self.platform.startswith("win") else "posix"
        if dotted in ("sys.version_info", "version_info"):
            return (*self.version, 99, "final", 0)
        if dotted == "sys.version_info.major":
            return self.version[0]
        if dotted == "sys.version_info.minor":
            return self.version[1]
        if isinstance(node, ast.Subscript) and dotted_name(node.value) in (
            "sys.version_info",
            "version_info",
        ):
            full = (*self.version, 99, "final", 0)
            index = node.slice
            if isinstance(index, ast.Slice):
                lower = _int_constant(index.lower) if index.lower else 0
                upper = _int_constant(index.upper) if index.upper else len(full)
                if lower is None or upper is None or index.step is not None:
                    return None
                return full[lower:upper]
            position = _int_constant(index)
            return full[position] if position is not None and 0 <= position < 2 else None
        return None


_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def _int_constant(node: ast.expr | None) -> int | None:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    ):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int)
    ):
        return -node.operand.value
    return None


def _sum(plain: int, parts: Sequence[_Len]) -> _Len:
    return _Op("sum", (plain, *parts)) if parts else plain
