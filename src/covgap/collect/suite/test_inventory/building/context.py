"""Collecting one test module: its names, imported ones included, as pytest collects them."""

from __future__ import annotations

from covgap.collect.suite.test_inventory.building.classes import (
    _class_ref,
    _ClassesMixin,
    _ClassRef,
)
from covgap.collect.suite.test_inventory.building.functions import _marker_names
from covgap.collect.suite.test_inventory.model import TestItem
from covgap.collect.suite.test_inventory.project import _External, _Found, _Resolved
from covgap.collect.suite.test_inventory.summary import (
    _Alias,
    _Class,
    _Func,
    _Import,
    _Lambda,
    _Member,
    _Value,
)


class _ModuleContext(_ClassesMixin):
    """Collecting one test module."""

    def collect(self) -> None:
        builder = self.builder
        scopes = builder.scopes(self.path, (), builder.conftest_dirs)
        builder._register_module_fixtures(f"mod:{self.path}", self.summary)
        builder.count_fixture_users(scopes)
        for name, member in self.project.bindings(self.summary).items():
            imported = isinstance(member, _Import)
            if isinstance(member, _Import):
                if member.name is None or not self.options.collect_imported_tests:
                    continue  # modules are not collected
                test_name = builder.function_name(name) or builder.class_name(name)
                if not test_name and not self._maybe_testcase(name, member):
                    continue
                # a name that is not a test name is collected only as a unittest class: look
                # for one in the test-side files only
                self.project.limited = not test_name
            try:
                value = self.project.value(self.summary, member, 0)
            finally:
                self.project.limited = False
            self._binding(name, member, value, imported)
            if self.error:
                return

    def _maybe_testcase(self, name: str, member: _Import) -> bool:
        """An imported name that may be a unittest.TestCase subclass of the test side."""
        if not name[:1].isupper():
            return False
        path = self.project.module_path(self.path, member.module, member.level)
        return path is not None and self.project.test_side(path)

    def _binding(self, name: str, member: _Member, value: _Resolved, imported: bool) -> None:
        test_function = self.builder.function_name(name)
        if isinstance(value, _Found):
            found = value.member
            origin = value.owner.path if value.owner.path != self.path else None
            if isinstance(found, _Class):
                cref = _ClassRef(found, value.owner, value.enclosing)
                self._class(name, cref, (), [], origin)
            elif isinstance(found, _Func):
                if found.fixture is None and (
                    (test_function and found.dunder_test is not False) or found.dunder_test is True
                ):
                    if found.generator:
                        self.error = (
                            f"line {found.line}: 'yield' keyword is allowed in fixtures, but not "
                            f"in tests ({name})"
                        )
                        return
                    self._function(name, (), found, value.owner, [], origin, method=False)
            elif isinstance(found, _Lambda) and test_function:
                self._lambda(name, (), found.line, [], origin)
            elif (
                isinstance(found, _Value)
                and found.call
                and (test_function or self.builder.class_name(name))
            ):
                self._note(
                    f"line {found.line}: {name} is made at import time (a call): not counted"
                )
        elif isinstance(value, _External) and imported and test_function:
            line = member.line if isinstance(member, _Import) else 0
            self._note(
                f"line {line}: {name} is imported from {value.name} (outside the project): "
                "not counted"
            )
        elif isinstance(member, _Alias) and self._state_machine(member):
            # Hypothesis: ``TestX = Machine.TestCase`` is a unittest class running the machine
            self._state_machine_item(name, member)
        elif (
            value is None
            and isinstance(member, _Alias)
            and (test_function or self.builder.class_name(name))
        ):
            self._note(f"line {member.line}: {name} = {member.target} is not resolved: not counted")

    def _state_machine(self, alias: _Alias) -> bool:
        machine, _, attribute = alias.target.rpartition(".")
        if attribute != "TestCase" or not machine:
            return False
        cref = _class_ref(self.project.resolve(self.summary, machine))
        return cref is not None and any(
            external.endswith("StateMachine") for external in self.mro(cref).externals
        )

    def _state_machine_item(self, name: str, alias: _Alias) -> None:
        scopes = self.builder.scopes(self.path, (name,), self.builder.conftest_dirs)
        marks = self.module_marks
        fixtures = tuple(
            dict.fromkeys(
                n for mark, _ in marks if mark.name == "usefixtures" for n in mark.fixtures
            )
        )
        self._count_users(scopes, fixtures)
        markers = _marker_names(marks)
        self.items.append(
            TestItem(
                path=self.path,
                name=f"{name}::runTest",
                line=alias.line,
                cases=1,
                markers=markers,
                fixtures=fixtures,
                is_async=False,
                categories=self._categories(markers, fixtures),
                unittest=True,
            )
        )
        self.classes_with_items.add(name)
