"""Classes: their decorators, bases and body (methods, nested classes, ``pytestmark``)."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

from covgap.collect.code.ast_names import dotted_name
from covgap.collect.suite.test_inventory.reading.functions import _FunctionsMixin
from covgap.collect.suite.test_inventory.summary import _Class, _Len, _MarkLike, _MarkRef, _Member

_DATACLASS_DECORATORS = frozenset(
    {"dataclass", "s", "attrs", "define", "frozen", "mutable", "dataclasses.dataclass"}
)


@dataclass
class _ClassState:
    dunder_test: bool | None = None
    pytestmark: tuple[_MarkLike, ...] = ()


class _ClassesMixin(_FunctionsMixin):
    """A ``class``: what pytest needs of it, its members read like the module's."""

    def klass(self, node: ast.ClassDef) -> _Class:
        marks: list[_MarkLike] = []
        init_decorated = False
        for decorator in node.decorator_list:
            self.uses_in(decorator)
            mark = self.mark(decorator, None)
            if mark is not None:
                marks.append(mark)
                continue
            name = (
                dotted_name(decorator.func if isinstance(decorator, ast.Call) else decorator) or ""
            )
            if name in _DATACLASS_DECORATORS or name.rsplit(".", 1)[-1] in _DATACLASS_DECORATORS:
                init_decorated = True
            elif not isinstance(decorator, ast.Call) and name:
                marks.append(_MarkRef(name))
        metaclass = None
        for keyword in node.keywords:
            if keyword.arg == "metaclass":
                metaclass = dotted_name(keyword.value) or ""
        members: dict[str, _Member] = {}
        scope: dict[str, _Len] = {}
        state = _ClassState()
        self._class_body(node.body, members, scope, state)
        marks.extend(state.pytestmark)
        return _Class(
            name=node.name,
            line=node.lineno,
            bases=tuple(dotted_name(base) or "" for base in node.bases),
            metaclass=metaclass,
            init_decorated=init_decorated,
            marks=tuple(marks),
            members=tuple(members.items()),
            dunder_test=state.dunder_test,
            has_init="__init__" in members,
            has_new="__new__" in members,
            generate_tests="pytest_generate_tests" in members,
        )

    def _class_body(
        self,
        body: Sequence[ast.stmt],
        members: dict[str, _Member],
        scope: dict[str, _Len],
        state: _ClassState,
    ) -> None:
        for statement in body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                members[statement.name] = self.function(statement, scope)
            elif isinstance(statement, ast.ClassDef):
                members[statement.name] = self.klass(statement)
            elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
                value = statement.value
                targets = (
                    statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                )
                if value is None:
                    continue
                for target in targets:
                    if isinstance(target, ast.Name):
                        self._class_assign(
                            target.id, value, statement.lineno, members, scope, state
                        )
                    elif (
                        isinstance(target, ast.Attribute)
                        and target.attr == "__test__"
                        and isinstance(target.value, ast.Name)
                    ):
                        self._set_function_test(members, target.value.id, value)
            elif isinstance(statement, ast.If):
                truth = self.truth(statement.test)
                if truth is not False:
                    self._class_body(statement.body, members, scope, state)
                if truth is not True:
                    self._class_body(statement.orelse, members, scope, state)
            elif isinstance(statement, ast.Try):
                for block in (statement.body, *(h.body for h in statement.handlers)):
                    self._class_body(block, members, scope, state)
                self._class_body(statement.orelse, members, scope, state)
                self._class_body(statement.finalbody, members, scope, state)
            elif isinstance(statement, ast.Delete):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        members.pop(target.id, None)

    def _class_assign(
        self,
        name: str,
        value: ast.expr,
        line: int,
        members: dict[str, _Member],
        scope: dict[str, _Len],
        state: _ClassState,
    ) -> None:
        if name == "__test__":
            state.dunder_test = bool(value.value) if isinstance(value, ast.Constant) else None
            return
        if name == "pytestmark":
            self.uses_in(value)
            state.pytestmark = tuple(self.marks_in(value, scope))
            return
        members[name] = self._binding(value, line, scope)
        scope[name] = self.length(value, scope)
