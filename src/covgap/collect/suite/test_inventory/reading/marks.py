"""Marks: ``pytest.mark.NAME`` applied, ``parametrize`` and ``usefixtures``, marks used."""

from __future__ import annotations

import ast
from collections.abc import Mapping

from covgap.collect.code.ast_names import dotted_name
from covgap.collect.suite.test_inventory.reading.values import _ValuesMixin
from covgap.collect.suite.test_inventory.summary import _Len, _Mark, _MarkLike, _MarkRef


class _MarksMixin(_ValuesMixin):
    """The marks a decorator or ``pytestmark`` applies, and every mark used."""

    def _is_mark_base(self, node: ast.expr) -> bool:
        """``pytest.mark`` (or ``mark`` imported from pytest)."""
        if isinstance(node, ast.Name):
            return node.id in self.mark_names
        return (
            isinstance(node, ast.Attribute)
            and node.attr == "mark"
            and isinstance(node.value, ast.Name)
            and node.value.id in self.pytest_names
        )

    def _mark_name(self, node: ast.expr) -> tuple[str, int] | None:
        """The NAME of ``pytest.mark.NAME`` (also ``….with_args``)."""
        if isinstance(node, ast.Name) and node.id in self.named_marks:
            return self.named_marks[node.id], node.lineno
        if isinstance(node, ast.Attribute):
            if self._is_mark_base(node.value):
                return node.attr, node.lineno
            if node.attr == "with_args":
                return self._mark_name(node.value)
        return None

    def marks_in(self, node: ast.expr, class_scope: Mapping[str, _Len] | None) -> list[_MarkLike]:
        """The marks an expression applies: a mark, a list/tuple of marks, or a name."""
        if isinstance(node, (ast.List, ast.Tuple)):
            found: list[_MarkLike] = []
            for element in node.elts:
                found.extend(self.marks_in(element, class_scope))
            return found
        mark = self.mark(node, class_scope)
        if mark is not None:
            return [mark]
        dotted = dotted_name(node)
        return [_MarkRef(dotted)] if dotted else []

    def mark(self, node: ast.expr, class_scope: Mapping[str, _Len] | None) -> _Mark | None:
        call = node if isinstance(node, ast.Call) else None
        named = self._mark_name(call.func if call else node)
        if named is None:
            return None
        name, line = named
        if call is None:
            return _Mark(name, line)
        if name == "parametrize":
            return self._parametrize(call, line, class_scope)
        if name == "usefixtures":
            names = tuple(
                arg.value
                for arg in call.args
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            )
            return _Mark(name, line, fixtures=names)
        return _Mark(name, line)

    def _parametrize(
        self, call: ast.Call, line: int, class_scope: Mapping[str, _Len] | None
    ) -> _Mark:
        keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg}
        names_node = call.args[0] if call.args else keywords.get("argnames")
        values_node = call.args[1] if len(call.args) > 1 else keywords.get("argvalues")
        argnames: tuple[str, ...] = ()
        if isinstance(names_node, ast.Constant) and isinstance(names_node.value, str):
            argnames = tuple(n.strip() for n in names_node.value.split(",") if n.strip())
        elif isinstance(names_node, (ast.List, ast.Tuple)):
            argnames = tuple(
                e.value
                for e in names_node.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
        indirect_node = keywords.get("indirect")
        if len(call.args) > 2 and indirect_node is None:
            indirect_node = call.args[2]
        indirect: tuple[str, ...] = ()
        if isinstance(indirect_node, ast.Constant) and indirect_node.value is True:
            indirect = argnames
        elif isinstance(indirect_node, (ast.List, ast.Tuple)):
            indirect = tuple(
                e.value
                for e in indirect_node.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
        count = self.length(values_node, class_scope) if values_node is not None else None
        iterator = _iterator(values_node) if values_node is not None else None
        if iterator:
            self.note(
                f"line {line}: parametrize gets an iterator ({iterator}): pytest 9.2 warns "
                "(PytestRemovedIn10Warning), an error under filterwarnings = error"
            )
        return _Mark("parametrize", line, argnames, indirect, count)

    def uses_in(self, node: ast.AST) -> None:
        """Record every ``pytest.mark.NAME`` under ``node``."""
        for child in self.mark_lines.walk([node]):
            if isinstance(child, ast.Attribute) and self._is_mark_base(child.value):
                self.marker_uses.append((child.attr, child.lineno))


#: Calls that return an iterator, not a collection.
_ITERATORS = frozenset(
    {
        "zip",
        "map",
        "filter",
        "enumerate",
        "reversed",
        "iter",
        "chain",
        "from_iterable",
        "product",
        "permutations",
        "combinations",
        "combinations_with_replacement",
        "islice",
        "starmap",
        "repeat",
    }
)


def _iterator(node: ast.expr) -> str | None:
    """What makes a parameter list an iterator (pytest 9.2 deprecates them), or None."""
    if isinstance(node, ast.GeneratorExp):
        return "a generator expression"
    if isinstance(node, ast.Call):
        name = dotted_name(node.func) or ""
        if name.rsplit(".", 1)[-1] in _ITERATORS:
            return f"{name}()"
    return None
