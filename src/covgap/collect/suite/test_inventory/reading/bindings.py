"""What a name is bound to: a lambda, another name, marks, or a value (and its length)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import replace

from covgap.collect.code.ast_names import dotted_name
from covgap.collect.suite.test_inventory.reading.marks import _MarksMixin
from covgap.collect.suite.test_inventory.summary import (
    _Alias,
    _Func,
    _Lambda,
    _Len,
    _Marks,
    _Member,
    _Value,
)


class _BindingsMixin(_MarksMixin):
    """Names bound in a module or class body, and ``NAME.__test__ = …``."""

    def _binding(self, value: ast.expr, line: int, scope: Mapping[str, _Len] | None) -> _Member:
        if isinstance(value, ast.Lambda):
            return _Lambda(line)
        dotted = dotted_name(value)
        if dotted is not None and not self._is_mark_base(value):
            if self._mark_name(value) is not None:
                self.uses_in(value)
                return _Marks(tuple(self.marks_in(value, scope)), line)
            return _Alias(dotted, line)
        if self._looks_like_marks(value):
            self.uses_in(value)
            return _Marks(tuple(self.marks_in(value, scope)), line)
        return _Value(
            line,
            self.length(value, scope),
            isinstance(value, ast.Call),
            self.truth(value)
            if isinstance(value, (ast.Compare, ast.BoolOp, ast.UnaryOp))
            else None,
        )

    def _looks_like_marks(self, value: ast.expr) -> bool:
        if isinstance(value, (ast.List, ast.Tuple)):
            return bool(value.elts) and all(self._looks_like_marks(e) for e in value.elts)
        if isinstance(value, ast.Call):
            return self._mark_name(value.func) is not None
        return self._mark_name(value) is not None

    @staticmethod
    def _set_function_test(members: dict[str, _Member], name: str, value: ast.expr) -> None:
        found = members.get(name)
        if isinstance(found, _Func) and isinstance(value, ast.Constant):
            members[name] = replace(found, dunder_test=bool(value.value))
