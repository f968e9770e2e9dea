"""The reader: one pass over a module's body (definitions, imports, assignments, skips)."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from covgap.collect.code.ast_names import dotted_name
from covgap.collect.suite.test_inventory.reading.classes import _ClassesMixin
from covgap.collect.suite.test_inventory.reading.generate_tests import _GenerateTestsMixin
from covgap.collect.suite.test_inventory.summary import _Condition, _GenTests, _Import, _Op, _Value

_COLLECTION_HOOKS = frozenset(
    {
        "pytest_collection_modifyitems",
        "pytest_collect_file",
        "pytest_ignore_collect",
        "pytest_pycollect_makeitem",
        "pytest_pycollect_makemodule",
        "pytest_collect_directory",
        "pytest_deselected",
    }
)


class _Reader(_ClassesMixin, _GenerateTestsMixin):
    """One pass over a module's statements, decorators and assignments."""

    def module(self, body: Sequence[ast.stmt]) -> None:
        for statement in body:
            self._statement(statement)

    def _statement(self, statement: ast.stmt) -> None:
        bindings = self.bindings
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            func = self.function(statement, None)
            bindings[statement.name] = func
            if statement.name == "pytest_generate_tests":
                self.generate_tests = _GenTests(statement.lineno, self._guards(statement))
            elif statement.name in _COLLECTION_HOOKS:
                self.hooks.append((statement.name, statement.lineno))
        elif isinstance(statement, ast.ClassDef):
            bindings[statement.name] = self.klass(statement)
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    bindings[alias.asname] = _Import(alias.name, None, 0, statement.lineno)
                else:
                    top = alias.name.split(".")[0]
                    bindings[top] = _Import(top, None, 0, statement.lineno)
        elif isinstance(statement, ast.ImportFrom):
            module = statement.module or ""
            for alias in statement.names:
                if alias.name == "*":
                    self.star_imports.append(
                        _Import(module, "*", statement.level, statement.lineno)
                    )
                else:
                    bindings[alias.asname or alias.name] = _Import(
                        module, alias.name, statement.level, statement.lineno
                    )
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            self._assign(statement)
        elif isinstance(statement, ast.AugAssign):
            self._augassign(statement)
        elif isinstance(statement, ast.Delete):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    bindings.pop(target.id, None)
        elif isinstance(statement, ast.If):
            truth = self.truth(statement.test)
            if truth is None and _defines_something(statement):
                self.note(
                    f"line {statement.lineno}: condition not evaluated; the tests of both "
                    "branches are counted"
                )
            deferred = _deferred_condition(statement.test) if truth is None else None
            if truth is not False:
                self._conditional_block(statement.body, truth is None, deferred)
            if truth is not True:
                negated = (deferred[0], not deferred[1]) if deferred else None
                self._conditional_block(statement.orelse, truth is None, negated)
        elif isinstance(statement, ast.Try) or type(statement).__name__ == "TryStar":
            for block in (
                statement.body,  # type: ignore[attr-defined]
                *(handler.body for handler in statement.handlers),  # type: ignore[attr-defined]
                statement.orelse,  # type: ignore[attr-defined]
                statement.finalbody,  # type: ignore[attr-defined]
            ):
                self._block(block, conditional=True)
        elif isinstance(statement, (ast.With, ast.AsyncWith, ast.For, ast.While)):
            self._block(statement.body, conditional=True)
            self._block(getattr(statement, "orelse", []), conditional=True)
        elif isinstance(statement, ast.Expr):
            self._expression(statement, conditional=False)
        elif isinstance(statement, ast.Raise):
            self._raise(statement, conditional=False)

    def _conditional_block(
        self, body: Sequence[ast.stmt], conditional: bool, deferred: _Condition | None
    ) -> None:
        if deferred is not None:
            self.conditions.append(deferred)
        self._block(body, conditional)
        if deferred is not None:
            self.conditions.pop()

    def _block(self, body: Sequence[ast.stmt], conditional: bool) -> None:
        for statement in body:
            if conditional and isinstance(statement, ast.Expr):
                self._expression(statement, conditional=True)
            elif conditional and isinstance(statement, ast.Raise):
                self._raise(statement, conditional=True)
            else:
                self._statement(statement)

    def _expression(self, statement: ast.Expr, conditional: bool) -> None:
        value = statement.value
        if not isinstance(value, ast.Call):
            return
        name = dotted_name(value.func) or ""
        head, _, tail = name.partition(".")
        if (head in self.pytest_names and tail == "skip") or name in self.skip_names:
            if any(
                kw.arg == "allow_module_level"
                and isinstance(kw.value, ast.Constant)
                and kw.value.value is True
                for kw in value.keywords
            ):
                self._skip(statement.lineno, "pytest.skip(allow_module_level=True)", conditional)
        elif head in self.pytest_names and tail == "importorskip":
            self._importorskip(value, statement.lineno)
        elif isinstance(value.func, ast.Attribute) and value.func.attr in ("append", "extend"):
            target = dotted_name(value.func.value)
            if target in ("collect_ignore", "collect_ignore_glob"):
                self._extend_ignore(target, value)

    def _importorskip(self, call: ast.Call, line: int) -> None:
        if call.args and isinstance(call.args[0], ast.Constant):
            self.note(
                f"line {line}: pytest.importorskip({call.args[0].value!r}): collected only where "
                "it is installed"
            )

    def _raise(self, statement: ast.Raise, conditional: bool) -> None:
        exc = statement.exc
        name = dotted_name(exc.func if isinstance(exc, ast.Call) else exc) if exc else None
        if name in ("unittest.SkipTest", "SkipTest", "pytest.skip.Exception"):
            self._skip(statement.lineno, f"raise {name}", conditional)

    def _skip(self, line: int, what: str, conditional: bool) -> None:
        if conditional:
            self.note(f"line {line}: {what} may skip the whole module")
        elif self.skip is None:
            self.skip = f"line {line}: {what}"

    def _extend_ignore(self, target: str, call: ast.Call) -> None:
        method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        values = None
        if len(call.args) == 1:
            argument = call.args[0]
            values = _strings(argument) if method == "extend" else _strings(ast.List([argument]))
        current = self.collect_ignore if target == "collect_ignore" else self.collect_ignore_glob
        if values is not None and current is not None:
            current.extend((value, tuple(self.conditions)) for value in values)

    def _assign(self, statement: ast.Assign | ast.AnnAssign) -> None:
        value = statement.value
        if value is None:
            return
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr == "__test__":
                if isinstance(target.value, ast.Name):
                    self._set_function_test(self.bindings, target.value.id, value)
                continue
            if not isinstance(target, ast.Name):
                for name in _target_names(target):
                    self.bindings[name] = _Value(statement.lineno, None, False)
                continue
            name = target.id
            if self._is_mark_base(value):
                self.mark_names.add(name)
            elif isinstance(value, ast.Attribute) and self._mark_name(value) is not None:
                self.named_marks[name] = value.attr
            if name == "pytestmark":
                self.uses_in(value)
                self.pytestmark = tuple(self.marks_in(value, None))
            elif name == "__test__":
                self.dunder_test = bool(value.value) if isinstance(value, ast.Constant) else None
            elif name in ("collect_ignore", "collect_ignore_glob"):
                strings = _strings(value)
                entries = [(entry, tuple(self.conditions)) for entry in strings or ()]
                setattr(self, name, entries if strings is not None else None)
            elif name == "pytest_plugins":
                strings = _strings(value)
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    strings = (value.value,)
                self.pytest_plugins = list(strings or ())
            elif isinstance(value, ast.Call) and dotted_name(value.func) in (
                *(f"{p}.importorskip" for p in self.pytest_names),
            ):
                self._importorskip(value, statement.lineno)
            self.bindings[name] = self._binding(value, statement.lineno, None)

    def _augassign(self, statement: ast.AugAssign) -> None:
        target = statement.target
        if not isinstance(target, ast.Name):
            return
        name = target.id
        if name in ("collect_ignore", "collect_ignore_glob"):
            current = getattr(self, name)
            strings = _strings(statement.value)
            if current is not None and strings is not None:
                current.extend((entry, tuple(self.conditions)) for entry in strings)
            else:
                setattr(self, name, None)
        elif name == "pytestmark":
            self.uses_in(statement.value)
            self.pytestmark = (*self.pytestmark, *self.marks_in(statement.value, None))
        previous = self.bindings.get(name)
        if isinstance(previous, _Value) and isinstance(statement.op, ast.Add):
            self.bindings[name] = _Value(
                previous.line, _Op("sum", (previous.length, self.length(statement.value))), False
            )
        elif name not in ("pytestmark", "collect_ignore", "collect_ignore_glob"):
            self.bindings[name] = _Value(statement.lineno, None, False)


def _deferred_condition(test: ast.expr) -> _Condition | None:
    """``NAME`` or ``not NAME``, as a condition for the main process to evaluate."""
    negated = False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        negated, test = True, test.operand
    name = dotted_name(test)
    return (name, negated) if name else None


def _defines_something(statement: ast.If) -> bool:
    return any(
        isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        for s in (*statement.body, *statement.orelse)
    )


def _target_names(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


def _strings(node: ast.expr) -> tuple[str, ...] | None:
    """A literal list/tuple of strings, else None."""
    if isinstance(node, (ast.List, ast.Tuple)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
    ):
        return tuple(e.value for e in node.elts)  # type: ignore[attr-defined]
    return None
