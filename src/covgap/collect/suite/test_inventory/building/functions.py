"""Test functions and methods: their fixture closure, parametrization and cases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from covgap.collect.suite.test_inventory.building.context_base import _ContextBase
from covgap.collect.suite.test_inventory.categories import _ordered_categories, category_of_name
from covgap.collect.suite.test_inventory.model import TestItem
from covgap.collect.suite.test_inventory.summary import _Func, _Mark, _Summary


class _FunctionsMixin(_ContextBase):
    """Items of test functions, methods and lambdas."""

    def _lambda(
        self,
        name: str,
        chain: tuple[str, ...],
        line: int,
        marks: list[tuple[_Mark, int | None]],
        origin: str | None,
    ) -> None:
        func = _Func(
            name=name,
            line=line,
            is_async=False,
            args=("self",) if chain else (),
            has_posonly=False,
            static=False,
            marks=(),
            fixture=None,
            generator=False,
            mock_args=0,
            given=(),
            given_positional=0,
            abstract=False,
            dynamic_requests=(),
        )
        self._function(name, chain, func, self.summary, marks, origin, method=bool(chain))

    def _function(
        self,
        name: str,
        chain: tuple[str, ...],
        func: _Func,
        owner: _Summary,
        class_marks: list[tuple[_Mark, int | None]],
        origin: str | None,
        method: bool,
        scopes: tuple[str, ...] | None = None,
        class_hook: bool = False,
    ) -> None:
        builder = self.builder
        if scopes is None:
            scopes = builder.scopes(self.path, chain, builder.conftest_dirs)
        marks = self.resolved_marks(func.marks, owner) + class_marks + self.module_marks
        args = list(func.args)
        if method and not func.static and not func.has_posonly:
            args = args[1:]
        if func.mock_args:
            args = args[func.mock_args :]
        if func.given or func.given_positional:
            args = [a for a in args if a not in func.given]
            if func.given_positional:
                args = args[: max(0, len(args) - func.given_positional)]
        usefixtures = [n for mark, _ in marks if mark.name == "usefixtures" for n in mark.fixtures]
        parametrize = [(mark, count) for mark, count in marks if mark.name == "parametrize"]
        parametrized_names = {n for mark, _ in parametrize for n in mark.argnames}
        direct = {n for mark, _ in parametrize for n in mark.argnames if n not in mark.indirect}
        visible = builder.visible(scopes)
        autouse = [
            definition.name
            for scope in scopes
            for definition in builder.registry.get(scope, {}).values()
            if definition.autouse
        ]
        initial = [*autouse, *usefixtures, *args]
        closure = builder.closure(scopes, initial, direct)
        cases: int | None = 1
        for _, count in parametrize:
            cases = None if cases is None or count is None else cases * max(1, count)
        for argname in closure:
            if argname in parametrized_names:
                continue
            for definition in reversed(visible.get(argname, [])):
                if definition.parametrized:
                    factor = None if definition.params is None else max(1, definition.params)
                    cases = None if cases is None or factor is None else cases * factor
                    break
                if argname not in definition.args:
                    break
        if class_hook or self._hooked(closure):
            cases = None
        fixtures = tuple(dict.fromkeys(n for n in (*args, *usefixtures) if n not in direct))
        self._count_users(scopes, (*fixtures, *func.dynamic_requests))
        markers = _marker_names(marks)
        self.items.append(
            TestItem(
                path=self.path,
                name="::".join((*chain, name)),
                line=func.line,
                cases=cases,
                markers=markers,
                fixtures=fixtures,
                is_async=func.is_async,
                categories=self._categories(markers, fixtures),
                origin=origin,
            )
        )

    def _hooked(self, closure: Sequence[str]) -> bool:
        names = set(closure)
        return any(hook.names is None or names & set(hook.names) for hook in self.hooks)

    def _count_users(self, scopes: tuple[str, ...], names: Iterable[str]) -> None:
        visible = self.builder.visible(scopes)
        for name in dict.fromkeys(names):
            definitions = visible.get(name)
            if definitions:
                self.builder.users[definitions[-1].key] += 1

    def _categories(self, markers: Sequence[str], fixtures: Sequence[str]) -> tuple[str, ...]:
        if not markers and "benchmark" not in fixtures:
            return self.folder_categories
        found = set(self.folder_categories)
        for marker in markers:
            category = category_of_name(marker)
            if category:
                found.add(category)
        if "benchmark" in fixtures:
            found.add("performance")
        return _ordered_categories(found)


def _marker_names(marks: Iterable[tuple[_Mark, int | None]]) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys(
            mark.name for mark, _ in marks if mark.name not in ("parametrize", "usefixtures")
        )
    )
