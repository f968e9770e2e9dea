"""Names across files: the project's modules, parsed on demand, and imports resolved."""

from __future__ import annotations

import math
import os
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from covgap.collect.suite.test_inventory.reading.summarize import _summarize
from covgap.collect.suite.test_inventory.summary import (
    _Alias,
    _Class,
    _Condition,
    _Import,
    _Len,
    _Mark,
    _MarkLike,
    _Marks,
    _Member,
    _Ref,
    _Summary,
    _Value,
)
from covgap.files import read_bytes


@dataclass(frozen=True)
class _Found:
    """A definition in a project file (``enclosing``: the classes it is nested in)."""

    member: _Member
    owner: _Summary
    enclosing: tuple[_Class, ...] = ()


@dataclass(frozen=True)
class _ModuleRef:
    summary: _Summary


@dataclass(frozen=True)
class _External:
    """Something outside the project (or a builtin), by its dotted name."""

    name: str


_Resolved = _Found | _ModuleRef | _External | None

# String paths where files are looked up by the thousand (sympy: 100k lookups): pathlib would
# cost several times more.
_join = os.path.join
_isfile = os.path.isfile
_dirname = os.path.dirname


class _Project:
    """The project's Python files, parsed on demand, and name resolution across them."""

    def __init__(
        self,
        project_dir: Path,
        summaries: dict[str, _Summary],
        version: tuple[int, int],
        platform: str,
    ) -> None:
        self.dir = project_dir
        self.summaries = summaries
        self.version = version
        self.platform = platform
        self.root = str(project_dir)
        self._bindings: dict[str, dict[str, _Member]] = {}
        self._modules: dict[tuple[tuple[str, ...], str], str | None] = {}
        self._basedirs: dict[str, str] = {}
        #: importer -> the folders an absolute import is looked for in (pytest's sys.path)
        self._import_bases: dict[str, tuple[str, ...]] = {}
        #: While set, imports are followed into test-side files only (see ``test_side``).
        self.limited = False
        #: Folders holding a conftest.py that pytest loads ("" for the project's).
        self.conftest_dirs: set[str] = set()

    def test_side(self, path: str) -> bool:
        """A file read anyway (test module, conftest, helper in a test folder) or in a folder
        named test/tests/testing: following an import there is worth a parse."""
        return path in self.summaries or any(
            part in ("test", "tests", "testing") for part in path.split("/")[:-1]
        )

    def summary(self, path: str) -> _Summary | None:
        found = self.summaries.get(path)
        if found is None or found.unread:
            absolute = self.dir / path
            try:
                source = read_bytes(absolute)
            except OSError:
                return None
            found = self.summaries[path] = _summarize(path, source, self.version, self.platform)
        return found

    def bindings(self, summary: _Summary, depth: int = 0) -> dict[str, _Member]:
        """The module's names: its own bindings, and what its ``*`` imports bring."""
        cached = self._bindings.get(summary.path)
        if cached is not None:
            return cached
        names = dict(summary.bindings)
        if summary.star_imports and depth < 8:
            self._bindings[summary.path] = names  # against import cycles
            for star in summary.star_imports:
                path = self.module_path(summary.path, star.module, star.level)
                other = self.summary(path) if path and self.test_side(path) else None
                if other is None or other.error:
                    continue
                for name in self.bindings(other, depth + 1):
                    if not name.startswith("_") and name not in names:
                        names[name] = _Import(star.module, name, star.level, star.line)
        self._bindings[summary.path] = names
        return names

    def module_path(self, importer: str, module: str, level: int) -> str | None:
        """The project file an import names (POSIX, relative), or None."""
        if level:
            folder = posixpath.dirname(importer)
            for _ in range(level - 1):
                folder = posixpath.dirname(folder)
            bases: tuple[str, ...] = (_join(self.root, folder),)
        else:
            bases = self._import_bases.get(importer) or ()
            if not bases:
                bases = self._import_bases[importer] = (
                    self._basedir(importer),
                    *self._conftest_bases(importer),
                    self.root,
                    _join(self.root, "src"),
                )
        key = (bases, module)
        if key in self._modules:
            return self._modules[key]
        parts = [part for part in module.split(".") if part]
        found: str | None = None
        for base in bases:
            target = _join(base, *parts)
            candidates = (
                (target + ".py", _join(target, "__init__.py"))
                if parts
                else (_join(target, "__init__.py"),)
            )
            for candidate in candidates:
                if _isfile(candidate):
                    relative = os.path.relpath(candidate, self.root).replace(os.sep, "/")
                    if self._inside(relative):
                        found = relative
                        break
            if found:
                break
        self._modules[key] = found
        return found

    def use_conftests(self, conftests: Iterable[str]) -> None:
        """The conftest.py files pytest loads (their folders are on its sys.path)."""
        self.conftest_dirs = {path.rpartition("/")[0] for path in conftests}
        self._import_bases.clear()
        self._modules.clear()

    def _conftest_bases(self, importer: str) -> tuple[str, ...]:
        """The sys.path entries the conftest.py files above a module add (prepend mode), the
        closest first."""
        folder = posixpath.dirname(importer)
        found: list[str] = []
        while True:
            if folder in self.conftest_dirs:
                base = self._basedir(posixpath.join(folder, "conftest.py"))
                if base not in found:
                    found.append(base)
            if not folder:
                return tuple(found)
            folder = posixpath.dirname(folder)

    @staticmethod
    def _inside(relative: str) -> bool:
        parts = relative.split("/")
        return parts[0] != ".." and not any(p in ("site-packages", "node_modules") for p in parts)

    def _basedir(self, importer: str) -> str:
        """The folder pytest's ``prepend`` import mode puts on sys.path for a module."""
        folder = _dirname(_join(self.root, importer))
        cached = self._basedirs.get(folder)
        if cached is None:
            cached = folder
            while _isfile(_join(cached, "__init__.py")):
                parent = _dirname(cached)
                if parent == cached:
                    break
                cached = parent
            self._basedirs[folder] = cached
        return cached

    def module_name(self, path: str) -> str:
        """The module name pytest's ``prepend`` import mode gives a test file."""
        relative = os.path.relpath(_join(self.root, path), self._basedir(path))
        return ".".join(Path(relative).with_suffix("").parts)

    def resolve(self, summary: _Summary, dotted: str, depth: int = 0) -> _Resolved:
        head, *rest = dotted.split(".")
        value = self.name(summary, head, depth, top=True)
        for part in rest:
            value = self.attribute(value, part, depth)
        return value

    def name(self, summary: _Summary, name: str, depth: int, top: bool = False) -> _Resolved:
        member = self.bindings(summary).get(name)
        if member is None:
            return _External(name) if top else None
        return self.value(summary, member, depth)

    def value(self, summary: _Summary, member: _Member, depth: int) -> _Resolved:
        if depth > 12:
            return None
        if isinstance(member, _Import):
            return self.imported(summary, member, depth + 1)
        if isinstance(member, _Alias):
            return self.resolve(summary, member.target, depth + 1)
        return _Found(member, summary)

    def imported(self, summary: _Summary, imp: _Import, depth: int) -> _Resolved:
        dots = "." * imp.level
        if imp.name is None:
            path = self.module_path(summary.path, imp.module, imp.level)
            found = self.summary(path) if path else None
            return _ModuleRef(found) if found else _External(imp.module)
        path = self.module_path(summary.path, imp.module, imp.level)
        if path and self.limited and not self.test_side(path):
            return None
        other = self.summary(path) if path else None
        if other is not None:
            value = self.name(other, imp.name, depth)
            if value is not None:
                return value
        module = f"{imp.module}.{imp.name}" if imp.module else imp.name
        if self.limited:
            return None  # a submodule is not a test
        subpath = self.module_path(summary.path, module, imp.level)
        sub = self.summary(subpath) if subpath else None
        if sub is not None:
            return _ModuleRef(sub)
        return _External(f"{dots}{module}")

    def attribute(self, value: _Resolved, part: str, depth: int) -> _Resolved:
        if isinstance(value, _ModuleRef):
            found = self.name(value.summary, part, depth)
            if found is not None:
                return found
            module_dir = (self.dir / value.summary.path).parent
            if value.summary.path.endswith("__init__.py"):
                for candidate in (module_dir / f"{part}.py", module_dir / part / "__init__.py"):
                    if candidate.is_file():
                        sub = self.summary(candidate.relative_to(self.dir).as_posix())
                        return _ModuleRef(sub) if sub else None
            return None
        if isinstance(value, _Found) and isinstance(value.member, _Class):
            for name, member in value.member.members:
                if name == part:
                    if isinstance(member, (_Alias, _Import)):
                        return None
                    return _Found(member, value.owner, (*value.enclosing, value.member))
            return None
        if isinstance(value, _External):
            return _External(f"{value.name}.{part}")
        return None

    def conditions(self, summary: _Summary, conditions: Iterable[_Condition]) -> bool:
        """Whether all the deferred conditions hold (an unknown one counts as holding)."""
        for name, negated in conditions:
            found = self.resolve(summary, name)
            if isinstance(found, _Found) and isinstance(found.member, _Value):
                truth = found.member.truth
                if truth is not None and truth == negated:
                    return False
        return True

    def length(self, length: _Len, summary: _Summary, depth: int = 0) -> int | None:
        if length is None or isinstance(length, int):
            return length
        if depth > 12:
            return None
        if isinstance(length, _Ref):
            found = self.resolve(summary, length.name, depth + 1)
            if isinstance(found, _Found) and isinstance(found.member, _Value):
                return self.length(found.member.length, found.owner, depth + 1)
            return None
        parts = [self.length(part, summary, depth + 1) for part in length.parts]
        known = [part for part in parts if part is not None]
        if len(known) != len(parts):
            return None
        if length.kind == "sum":
            return sum(known)
        if length.kind == "prod":
            return math.prod(known)
        return min(known) if known else 0

    def marks(
        self, marks: Iterable[_MarkLike], summary: _Summary, depth: int = 0
    ) -> list[tuple[_Mark, _Summary]]:
        """The marks, with names bound to marks looked up (each with the module it is in)."""
        found: list[tuple[_Mark, _Summary]] = []
        for mark in marks:
            if isinstance(mark, _Mark):
                found.append((mark, summary))
            elif depth < 8:
                limited, self.limited = self.limited, True
                try:
                    value = self.resolve(summary, mark.name, depth + 1)
                finally:
                    self.limited = limited
                if isinstance(value, _Found) and isinstance(value.member, _Marks):
                    found.extend(self.marks(value.member.marks, value.owner, depth + 1))
        return found
