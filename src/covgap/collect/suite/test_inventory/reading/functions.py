"""Functions and their decorators: fixtures, marks, ``mock.patch``, Hypothesis' ``given``."""

from __future__ import annotations

import ast
from collections.abc import Mapping

from covgap.collect.code.ast_names import dotted_name
from covgap.collect.suite.test_inventory.reading.bindings import _BindingsMixin
from covgap.collect.suite.test_inventory.summary import (
    _FixtureSpec,
    _Func,
    _Len,
    _MarkLike,
    _MarkRef,
)


class _FunctionsMixin(_BindingsMixin):
    """A ``def``: its arguments pytest fills, its marks, whether it is a fixture."""

    def function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, class_scope: Mapping[str, _Len] | None
    ) -> _Func:
        marks: list[_MarkLike] = []
        fixture: _FixtureSpec | None = None
        static = abstract = False
        mock_args = 0
        given: tuple[str, ...] = ()
        given_positional = 0
        for decorator in node.decorator_list:
            self.uses_in(decorator)
            spec = self._fixture(decorator, node.name, class_scope)
            if spec is not None:
                fixture = spec
                continue
            mark = self.mark(decorator, class_scope)
            if mark is not None:
                marks.append(mark)
                continue
            call = decorator if isinstance(decorator, ast.Call) else None
            name = dotted_name(call.func if call else decorator) or ""
            last = name.rsplit(".", 1)[-1]
            if name == "staticmethod":
                static = True
            elif last == "abstractmethod":
                abstract = True
            elif call is not None and self._is_patch(name):
                mock_args += self._patch_arguments(name, call)
            elif call is not None and (name in self.given_names or name == "hypothesis.given"):
                given = tuple(kw.arg for kw in call.keywords if kw.arg)
                given_positional = len(call.args)
            elif call is None and name:
                marks.append(_MarkRef(name))
        arguments = node.args
        positional = arguments.args
        mandatory = positional[: len(positional) - len(arguments.defaults)]
        args = [a.arg for a in mandatory]
        args.extend(
            a.arg
            for a, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
            if default is None
        )
        generator = False
        end = node.end_lineno or node.lineno
        if fixture is None and self.yield_lines.hit(node.lineno, end):
            generator = any(
                isinstance(child, (ast.Yield, ast.YieldFrom))
                for child in self.yield_lines.walk(node.body, nested=False)
            )
        dynamic: tuple[str, ...] = ()
        if self.dynamic_lines.hit(node.lineno, end):
            dynamic = tuple(
                child.args[0].value
                for child in self.dynamic_lines.walk(node.body, nested=False)
                if isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "getfixturevalue"
                and child.args
                and isinstance(child.args[0], ast.Constant)
                and isinstance(child.args[0].value, str)
            )
        return _Func(
            name=node.name,
            line=node.lineno,
            is_async=isinstance(node, ast.AsyncFunctionDef),
            args=tuple(args),
            has_posonly=bool(arguments.posonlyargs),
            static=static,
            marks=tuple(marks),
            fixture=fixture,
            generator=generator,
            mock_args=mock_args,
            given=given,
            given_positional=given_positional,
            abstract=abstract,
            dynamic_requests=dynamic,
        )

    def _is_patch(self, name: str) -> bool:
        head, _, tail = name.partition(".")
        if head in self.patch_names:
            return tail in ("", "object")
        if head in self.mock_names or name.startswith("unittest.mock."):
            rest = name[len("unittest.mock.") :] if name.startswith("unittest.mock.") else tail
            return rest in ("patch", "patch.object")
        return False

    @staticmethod
    def _patch_arguments(name: str, call: ast.Call) -> int:
        """1 when the patch passes a mock to the test (no ``new``), else 0."""
        if any(kw.arg in ("new", "new_callable") for kw in call.keywords):
            return 1 if any(kw.arg == "new_callable" for kw in call.keywords) else 0
        positional_new = 3 if name.endswith("object") else 2
        return 0 if len(call.args) >= positional_new else 1

    def _fixture(
        self, node: ast.expr, function_name: str, class_scope: Mapping[str, _Len] | None
    ) -> _FixtureSpec | None:
        call = node if isinstance(node, ast.Call) else None
        name = dotted_name(call.func if call else node)
        if name is None:
            return None
        head, _, tail = name.partition(".")
        if not (
            name in self.fixture_names
            or (head in self.pytest_names and tail == "fixture")
            or name in ("pytest_asyncio.fixture", "pytest.yield_fixture")
        ):
            return None
        keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg} if call else {}
        scope = "function"
        scope_node = keywords.get("scope")
        if call is not None and call.args and isinstance(call.args[0], ast.Constant):
            scope_node = scope_node or call.args[0]
        if scope_node is not None:
            scope = (
                scope_node.value
                if isinstance(scope_node, ast.Constant) and isinstance(scope_node.value, str)
                else "dynamic"
            )
        params_node = keywords.get("params")
        parametrized = params_node is not None and not (
            isinstance(params_node, ast.Constant) and params_node.value is None
        )
        params = (
            self.length(params_node, class_scope)
            if params_node is not None and parametrized
            else None
        )
        autouse = keywords.get("autouse")
        fixture_name = keywords.get("name")
        return _FixtureSpec(
            name=(
                fixture_name.value
                if isinstance(fixture_name, ast.Constant) and isinstance(fixture_name.value, str)
                else function_name
            ),
            scope=scope,
            parametrized=parametrized,
            params=params,
            autouse=isinstance(autouse, ast.Constant) and autouse.value is True,
        )
