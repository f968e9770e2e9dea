"""The builder: the fixtures each scope sees (conftest.py, plugins, modules, classes)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from covgap.collect.suite.test_inventory.building.context import _ModuleContext
from covgap.collect.suite.test_inventory.categories import _folder_categories, _ordered_categories
from covgap.collect.suite.test_inventory.model import InventoryOptions, TestModule
from covgap.collect.suite.test_inventory.project import _Found, _Project
from covgap.collect.suite.test_inventory.summary import _Func, _GenTests, _Import, _Summary
from covgap.collect.suite.test_inventory.walk import _Walk


@dataclass(frozen=True)
class _FixtureDef:
    key: tuple[str, int, str]
    name: str
    args: tuple[str, ...]
    parametrized: bool
    params: int | None
    autouse: bool
    scope: str
    dynamic: tuple[str, ...]


_PLUGINS = "\0plugins"


class _Builder:
    """Items of the test modules, with the fixtures they see."""

    def __init__(self, project: _Project, options: InventoryOptions, walk: _Walk) -> None:
        self.project = project
        self.options = options
        self.walk = walk
        #: scope key -> fixture name -> definition
        self.registry: dict[str, dict[str, _FixtureDef]] = {}
        self.users: dict[tuple[str, int, str], int] = {}
        self.fixture_info: dict[tuple[str, int, str], _FixtureDef] = {}
        self._counted_fixtures: set[tuple[str, int, str]] = set()
        self._visible_cache: dict[tuple[str, ...], dict[str, list[_FixtureDef]]] = {}
        #: folder ("" for the project's) -> its conftest.py
        self.conftest_dirs = {path.rpartition("/")[0]: path for path in walk.conftests}
        #: conftest folder -> its pytest_generate_tests
        self.conftest_hooks: dict[str, _GenTests] = {}
        self.notes: list[str] = []

    # -- name rules

    def function_name(self, name: str) -> bool:
        return _matches(name, self.options.python_functions)

    def class_name(self, name: str) -> bool:
        return _matches(name, self.options.python_classes)

    # -- fixtures

    def register_conftests(self) -> None:
        for folder, path in sorted(self.conftest_dirs.items(), key=lambda item: item[0].count("/")):
            summary = self.project.summary(path)
            if summary is None or summary.error:
                continue
            self._register_module_fixtures(f"dir:{folder}", summary)
            for plugin in summary.pytest_plugins:
                self._register_plugin(summary, plugin)
            if summary.generate_tests is not None:
                self.conftest_hooks[folder] = summary.generate_tests
                self.notes.append(
                    f"{path}: pytest_generate_tests (line {summary.generate_tests.line}): "
                    "the tests it may parametrize have unknown cases"
                )
            for hook, line in summary.hooks:
                self.notes.append(f"{path}: {hook} (line {line}) may add, remove or deselect tests")

    def _register_plugin(self, summary: _Summary, plugin: str) -> None:
        path = self.project.module_path(summary.path, plugin, 0)
        module = self.project.summary(path) if path else None
        if module is None or module.error:
            return
        self._register_module_fixtures(_PLUGINS, module)

    def _register_module_fixtures(self, scope: str, summary: _Summary) -> None:
        table = self.registry.setdefault(scope, {})
        for name, member in self.project.bindings(summary).items():
            if isinstance(member, _Import):
                if member.name is None:
                    continue
                # fixtures imported from test-side files (not from the package under test)
                path = self.project.module_path(summary.path, member.module, member.level)
                if path is None or not self.project.test_side(path):
                    continue
                self.project.limited = True
                try:
                    found = self.project.value(summary, member, 0)
                finally:
                    self.project.limited = False
            else:
                found = _Found(member, summary)
            if isinstance(found, _Found) and isinstance(found.member, _Func):
                fixture = self._fixture_def(found.member, found.owner, method=False)
                if fixture is not None and name in (found.member.name, fixture.name):
                    table[fixture.name] = fixture

    def _fixture_def(self, func: _Func, owner: _Summary, method: bool) -> _FixtureDef | None:
        spec = func.fixture
        if spec is None:
            return None
        key = (owner.path, func.line, spec.name)
        args = func.args[1:] if method and not func.static and not func.has_posonly else func.args
        params = self.project.length(spec.params, owner) if spec.parametrized else None
        definition = _FixtureDef(
            key=key,
            name=spec.name,
            args=args,
            parametrized=spec.parametrized,
            params=params,
            autouse=spec.autouse,
            scope=spec.scope,
            dynamic=func.dynamic_requests,
        )
        self.fixture_info.setdefault(key, definition)
        self.users.setdefault(key, 0)
        return definition

    @staticmethod
    def scopes(path: str, chain: Sequence[str], conftest_dirs: Iterable[str]) -> tuple[str, ...]:
        folders = [""]
        parts = path.split("/")[:-1]
        folders.extend("/".join(parts[: i + 1]) for i in range(len(parts)))
        known = set(conftest_dirs)
        keys = [_PLUGINS]
        keys.extend(f"dir:{folder}" for folder in folders if folder in known)
        keys.append(f"mod:{path}")
        keys.extend(f"cls:{path}::{'::'.join(chain[: i + 1])}" for i in range(len(chain)))
        return tuple(keys)

    def folder_scopes(self, folder: str) -> tuple[str, ...]:
        """The scopes a conftest.py in ``folder`` sees (its own last)."""
        return self.scopes(
            f"{folder}/conftest.py" if folder else "conftest.py", (), self.conftest_dirs
        )[:-1]

    def visible(self, scopes: tuple[str, ...]) -> dict[str, list[_FixtureDef]]:
        cached = self._visible_cache.get(scopes)
        if cached is None:
            cached = {}
            for scope in scopes:
                for name, definition in self.registry.get(scope, {}).items():
                    cached.setdefault(name, []).append(definition)
            self._visible_cache[scopes] = cached
        return cached

    def count_fixture_users(self, scopes: tuple[str, ...]) -> None:
        """Count the requests of the fixtures defined in the innermost scope."""
        own = self.registry.get(scopes[-1], {})
        visible = self.visible(scopes)
        for definition in own.values():
            if definition.key in self._counted_fixtures:
                continue
            self._counted_fixtures.add(definition.key)
            for name in (*definition.args, *definition.dynamic):
                chain = visible.get(name, [])
                if name == definition.name:
                    position = next(
                        (i for i, d in enumerate(chain) if d.key == definition.key), len(chain)
                    )
                    chain = chain[:position]
                if chain:
                    self.users[chain[-1].key] += 1

    def closure(
        self, scopes: tuple[str, ...], initial: Sequence[str], ignore: set[str]
    ) -> list[str]:
        """pytest's ``getfixtureclosure``: the names the test needs, through override chains."""
        visible = self.visible(scopes)
        names: list[str] = list(dict.fromkeys(initial))
        seen = set(names)
        indices: dict[str, int] = {}

        def process(argname: str, depth: int) -> None:
            if indices.get(argname) == -1 or depth > 64:
                return
            if argname not in seen:
                seen.add(argname)
                names.append(argname)
            if argname in ignore:
                return
            definitions = visible.get(argname)
            if not definitions:
                return
            index = indices.get(argname, -1)
            if -index > len(definitions):
                return
            definition = definitions[index]
            indices[argname] = index - 1
            for dependency in definition.args:
                process(dependency, depth + 1)
            indices[argname] = index

        for name in list(names):
            process(name, 0)
        return names

    # -- modules

    def module(self, path: str) -> TestModule:
        summary = self.project.summary(path)
        folder_categories = _folder_categories(path)
        if summary is None or summary.error:
            error = summary.error if summary else "line 1: cannot be read"
            return TestModule(path, (), 0, False, (), folder_categories, error)
        packages = set(self.options.project_packages)
        # Tests inside a package of the project importing it relatively (``from .. import x``).
        inside = bool(packages.intersection(path.split("/")[:-1]))
        imports_project = bool(set(summary.imported) & packages) or (
            summary.relative_import and inside
        )
        context = _ModuleContext(self, summary)
        notes = list(summary.notes)
        if summary.skip is not None:
            notes.append(f"{summary.skip}: the module is skipped, its tests are not counted")
        elif summary.dunder_test is False:
            notes.append("__test__ = False: the module is not collected")
        else:
            context.collect()
            notes.extend(context.notes)
        evidence = list(summary.server_evidence)
        error = context.error
        items = tuple(context.items) if error is None else ()
        categories = set(folder_categories)
        for item in items:
            categories.update(item.categories)
        return TestModule(
            path=path,
            items=items,
            classes=len(context.classes_with_items) if error is None else 0,
            imports_project=imports_project,
            server_evidence=tuple(sorted(set(evidence))),
            categories=_ordered_categories(categories),
            error=error,
            notes=tuple(notes),
        )


def _matches(name: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        if name.startswith(pattern):
            return True
        if ("*" in pattern or "?" in pattern or "[" in pattern) and fnmatch.fnmatch(name, pattern):
            return True
    return False
