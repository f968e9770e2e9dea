"""Test classes: their bases (MRO), constructors, members, and ``unittest.TestCase``."""

from __future__ import annotations

from dataclasses import dataclass

from covgap.collect.suite.test_inventory.building.functions import _FunctionsMixin, _marker_names
from covgap.collect.suite.test_inventory.model import TestItem
from covgap.collect.suite.test_inventory.project import _External, _Found, _Resolved
from covgap.collect.suite.test_inventory.summary import (
    _Alias,
    _Class,
    _Func,
    _Lambda,
    _Mark,
    _Member,
    _Summary,
)


@dataclass(frozen=True)
class _ClassRef:
    cls: _Class
    owner: _Summary
    enclosing: tuple[_Class, ...] = ()

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.owner.path, self.cls.line, self.cls.name)


@dataclass
class _Mro:
    classes: list[_ClassRef]
    externals: list[str]


#: Bases outside the project that hold no tests (no note when a test class inherits them).
_PLAIN_BASE_MODULES = frozenset(
    {"", "builtins", "abc", "typing", "typing_extensions", "enum", "unittest"}
)
#: External bases that give a class an ``__init__`` or ``__new__`` (pytest does not collect it).
_CONSTRUCTOR_BASES = frozenset(
    {
        "dict",
        "list",
        "set",
        "frozenset",
        "tuple",
        "str",
        "bytes",
        "int",
        "float",
        "Enum",
        "IntEnum",
        "StrEnum",
        "Flag",
        "IntFlag",
        "NamedTuple",
        "Protocol",
        "TypedDict",
    }
)


class _ClassesMixin(_FunctionsMixin):
    """Items of test classes, nested ones included."""

    def mro(self, cref: _ClassRef, depth: int = 0) -> _Mro:
        classes = [cref]
        externals: list[str] = []
        if depth > 16:
            return _Mro(classes, externals)
        merged: list[_ClassRef] = []
        for base in cref.cls.bases:
            if not base:
                continue
            resolved = self._base(cref, base)
            if isinstance(resolved, _ClassRef):
                sub = self.mro(resolved, depth + 1)
                merged.extend(sub.classes)
                externals.extend(sub.externals)
            elif resolved not in externals:
                externals.append(resolved)
        # keep the last occurrence of each class (a shared base comes after its subclasses)
        keys = [c.key for c in merged]
        for index, c in enumerate(merged):
            if c.key not in keys[index + 1 :] and c.key != cref.key:
                classes.append(c)
        return _Mro(classes, externals)

    def _base(self, cref: _ClassRef, base: str) -> _ClassRef | str:
        head = base.split(".")[0]
        for outer in reversed(cref.enclosing):
            for name, member in outer.members:
                if name == head and isinstance(member, _Class):
                    value: _Resolved = _Found(member, cref.owner, (*cref.enclosing,))
                    for part in base.split(".")[1:]:
                        value = self.project.attribute(value, part, 0)
                    return _class_ref(value) or base
        value = self.project.resolve(cref.owner, base)
        if isinstance(value, _External):
            return value.name
        return _class_ref(value) or base

    def _class(
        self,
        name: str,
        cref: _ClassRef,
        chain: tuple[str, ...],
        outer_marks: list[tuple[_Mark, int | None]],
        origin: str | None,
    ) -> None:
        if len(chain) > 16:  # a class nested in itself through a base: pytest would recurse too
            return
        test_name = self.builder.class_name(name) or cref.cls.dunder_test is True
        # another class is collected only as a unittest.TestCase: look for one among the bases
        # in test-side files only
        limited, self.project.limited = self.project.limited, not test_name
        try:
            mro = self.mro(cref)
        finally:
            self.project.limited = limited
        dunder_test = next(
            (c.cls.dunder_test for c in mro.classes if c.cls.dunder_test is not None), None
        )
        unittest = any(_is_testcase(external) for external in mro.externals)
        if not unittest and not (test_name or dunder_test is True):
            return
        if not test_name and unittest:
            mro = self.mro(cref)  # collected: its bases matter wherever they are
        if dunder_test is False:
            return
        if self._abstract(mro):
            return
        node_chain = (*chain, name)
        marks = list(outer_marks)
        for c in mro.classes:
            marks.extend(self.resolved_marks(c.cls.marks, c.owner))
        if not unittest:
            constructor = next(
                (
                    "__init__" if c.cls.has_init or c.cls.init_decorated else "__new__"
                    for c in mro.classes
                    if c.cls.has_init or c.cls.has_new or c.cls.init_decorated
                ),
                None,
            ) or next(
                ("__init__" for external in mro.externals if _has_constructor(external)),
                None,
            )
            if constructor is not None:
                self._note(
                    f"line {cref.cls.line}: cannot collect test class {name!r} because it has a "
                    f"{constructor} constructor"
                )
                return
        for external in mro.externals:
            module = external.rpartition(".")[0]
            if (
                not _is_testcase(external)
                and module not in _PLAIN_BASE_MODULES
                and external not in _CONSTRUCTOR_BASES
            ):
                self._note(
                    f"line {cref.cls.line}: {name} inherits from {external} (outside the project): "
                    "the tests it may inherit are not counted"
                )
        # the class's own fixtures, and those it inherits
        scope_key = f"cls:{self.path}::{'::'.join(node_chain)}"
        table = self.builder.registry.setdefault(scope_key, {})
        seen_fixtures: set[str] = set()
        for c in mro.classes:
            for member_name, member in c.cls.members:
                if (
                    isinstance(member, _Func)
                    and member.fixture is not None
                    and member_name not in seen_fixtures
                ):
                    seen_fixtures.add(member_name)
                    definition = self.builder._fixture_def(member, c.owner, method=True)
                    if definition is not None:
                        table.setdefault(definition.name, definition)
        scopes = self.builder.scopes(self.path, node_chain, self.builder.conftest_dirs)
        self.builder.count_fixture_users(scopes)
        generate = any(c.cls.generate_tests for c in mro.classes)
        before = len(self.items)
        if unittest:
            self._unittest(node_chain, mro, marks, scopes)
        else:
            self._class_members(node_chain, mro, marks, scopes, generate, origin)
        if len(self.items) > before:
            self.classes_with_items.add("::".join(node_chain))

    def _abstract(self, mro: _Mro) -> bool:
        abc = any(external in ("ABC", "abc.ABC") for external in mro.externals) or any(
            (c.cls.metaclass or "").endswith("ABCMeta") for c in mro.classes
        )
        if not abc:
            return False
        abstract: set[str] = set()
        for c in reversed(mro.classes):
            for member_name, member in c.cls.members:
                if isinstance(member, _Func) and member.abstract:
                    abstract.add(member_name)
                else:
                    abstract.discard(member_name)
        return bool(abstract)

    def _members(self, mro: _Mro) -> list[tuple[str, _Member, _ClassRef]]:
        """Each member name once, as the most derived class defines it, in pytest's order (base
        classes' members first)."""
        seen: set[str] = set()
        per_class: list[list[tuple[str, _Member, _ClassRef]]] = []
        for c in mro.classes:
            own: list[tuple[str, _Member, _ClassRef]] = []
            for member_name, member in c.cls.members:
                if member_name in seen:
                    continue
                seen.add(member_name)
                own.append((member_name, member, c))
            per_class.append(own)
        return [entry for own in reversed(per_class) for entry in own]

    def _class_members(
        self,
        chain: tuple[str, ...],
        mro: _Mro,
        marks: list[tuple[_Mark, int | None]],
        scopes: tuple[str, ...],
        generate: bool,
        origin: str | None,
    ) -> None:
        for member_name, member, c in self._members(mro):
            member_origin = c.owner.path if c.owner.path != self.path else origin
            if isinstance(member, _Alias):
                target = self._class_alias(member, mro)
                if target is None:
                    continue
                member = target
            if isinstance(member, _Class):
                nested = _ClassRef(member, c.owner, (*c.enclosing, c.cls))
                self._class(member_name, nested, chain, marks, member_origin)
            elif isinstance(member, _Func):
                if member.fixture is not None or member.dunder_test is False:
                    continue
                if not (self.builder.function_name(member_name) or member.dunder_test is True):
                    continue
                self._function(
                    member_name,
                    chain,
                    member,
                    c.owner,
                    marks,
                    member_origin,
                    method=True,
                    scopes=scopes,
                    class_hook=generate,
                )
            elif isinstance(member, _Lambda) and self.builder.function_name(member_name):
                self._lambda(member_name, chain, member.line, marks, member_origin)

    def _class_alias(self, alias: _Alias, mro: _Mro) -> _Member | None:
        for c in mro.classes:
            for name, member in c.cls.members:
                if name == alias.target and not isinstance(member, _Alias):
                    return member
        value = self.project.resolve(mro.classes[0].owner, alias.target)
        if isinstance(value, _Found) and isinstance(value.member, (_Func, _Lambda)):
            return value.member
        return None

    def _unittest(
        self,
        chain: tuple[str, ...],
        mro: _Mro,
        marks: list[tuple[_Mark, int | None]],
        scopes: tuple[str, ...],
    ) -> None:
        found: dict[str, tuple[_Member, _ClassRef]] = {}
        for member_name, member, c in self._members(mro):
            if isinstance(member, _Alias):
                target = self._class_alias(member, mro)
                if target is None:
                    continue
                member = target
            if isinstance(member, (_Func, _Lambda, _Class)):
                found[member_name] = (member, c)
        names = sorted(
            name
            for name, (member, _) in found.items()
            if name.startswith("test")
            and not (isinstance(member, _Func) and member.dunder_test is False)
        )
        if not names and "runTest" in found:
            names = ["runTest"]
        for name in names:
            member, c = found[name]
            own_marks: list[tuple[_Mark, int | None]] = []
            is_async = False
            if isinstance(member, _Func):
                own_marks = self.resolved_marks(member.marks, c.owner)
                is_async = member.is_async
            all_marks = own_marks + marks + self.module_marks
            fixtures = tuple(
                dict.fromkeys(
                    n for mark, _ in all_marks if mark.name == "usefixtures" for n in mark.fixtures
                )
            )
            self._count_users(scopes, fixtures)
            markers = _marker_names(all_marks)
            self.items.append(
                TestItem(
                    path=self.path,
                    name="::".join((*chain, name)),
                    line=member.line,
                    cases=1,
                    markers=markers,
                    fixtures=fixtures,
                    is_async=is_async,
                    categories=self._categories(markers, fixtures),
                    origin=c.owner.path if c.owner.path != self.path else None,
                    unittest=True,
                )
            )


def _class_ref(value: _Resolved) -> _ClassRef | None:
    if isinstance(value, _Found) and isinstance(value.member, _Class):
        return _ClassRef(value.member, value.owner, value.enclosing)
    return None


def _is_testcase(name: str) -> bool:
    return name.rsplit(".", 1)[-1].endswith("TestCase")


def _has_constructor(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return (
        last in _CONSTRUCTOR_BASES
        or (name.count(".") == 0 and last.endswith(("Error", "Exception", "Warning")))
        or last in ("BaseException", "Exception")
    )
