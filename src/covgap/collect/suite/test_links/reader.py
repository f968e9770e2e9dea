"""Reading one test module: its tests, the classes and fixtures they come with, what each uses."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from typing import Any

from covgap.collect.code.ast_names import dotted_name
from covgap.collect.suite.test_links.data_sources import DataSources, walk_body

#: Methods that set up every test of a unittest or pytest class: what they use, each test uses.
_SETUP_METHODS = frozenset(
    {"setUp", "asyncSetUp", "setUpClass", "setup_method", "setup_class", "setup"}
)


def file_links(source_bytes: bytes, path: str) -> dict[str, Any]:
    """One test module's (or conftest.py's) payload, as cacheable JSON; {"error": …} when it
    cannot be parsed. ``path`` is POSIX, relative to the project."""
    try:
        tree = ast.parse(source_bytes.decode("utf-8-sig"))
    except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    return _FileReader(tree, path).payload()


class _FileReader(DataSources):
    def __init__(self, tree: ast.Module, path: str) -> None:
        self.tree = tree
        self.path = path
        self.imports = _imports(tree)
        self.assigned: dict[str, ast.expr] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                self.classes.setdefault(node.name, node)
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    self.assigned.setdefault(target.id, node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if node.value is not None:
                    self.assigned.setdefault(node.target.id, node.value)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.setdefault(node.name, node)

    def payload(self) -> dict[str, Any]:
        helpers: dict[str, list[Any]] = {}
        fixtures: list[list[Any]] = []
        data_fixtures: dict[str, list[str]] = {}
        generated: dict[str, list[str]] = {}
        for name, node in self.functions.items():
            if name.startswith("test"):
                continue
            helpers[name] = self._uses(node)
            fixture = _fixture_call(node)
            if fixture is not None:
                fixtures.append([name, node.lineno])
                params = next((k.value for k in fixture.keywords if k.arg == "params"), None)
                source = self._data_source(params) if params is not None else None
                if source is not None:
                    data_fixtures[name] = source
            if name == "pytest_generate_tests":
                generated.update(self._generated(node))
        tests: list[list[Any]] = []
        for statement in self.tree.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if statement.name.startswith("test") and _fixture_call(statement) is None:
                    tests.append(self._test(statement, "", ()))
            elif isinstance(statement, ast.ClassDef) and self._is_test_class(statement):
                tests.extend(self._class(statement, statement.name, ()))
        return {
            "imports": sorted(set(self.imports.values())),
            "helpers": helpers,
            "fixtures": fixtures,
            "data_fixtures": data_fixtures,
            "generated": generated,
            "tests": tests,
        }

    def _is_test_class(self, node: ast.ClassDef, depth: int = 0) -> bool:
        """pytest collects it: named ``Test…``, or a ``unittest.TestCase`` whatever its name
        (a base named ``…TestCase``, or a class of this module that is one)."""
        return node.name.startswith("Test") or self._is_testcase(node, depth)

    def _is_testcase(self, node: ast.ClassDef, depth: int = 0) -> bool:
        if depth > 8:
            return False
        for base in node.bases:
            name = dotted_name(base) or ""
            if name.rpartition(".")[2].endswith("TestCase"):
                return True
            local = self.classes.get(name)
            if local is not None and local is not node and self._is_testcase(local, depth + 1):
                return True
        return False

    def _class(
        self,
        node: ast.ClassDef,
        owner: str,
        marks: Sequence[ast.expr],
        outer: tuple[set[str], set[str], set[str]] | None = None,
    ) -> Iterator[list[Any]]:
        testcase = self._is_testcase(node)
        if not testcase and any(
            isinstance(n, ast.FunctionDef) and n.name == "__init__" for n in node.body
        ):
            return
        class_marks = [*marks, *node.decorator_list]
        context = self._class_context(node)
        if outer is not None:
            context = (context[0] | outer[0], context[1] | outer[1], context[2] | outer[2])
        for method in self._inherited_tests(node):
            yield [*self._test(method, owner, class_marks, context), testcase]
        for child in node.body:
            if isinstance(child, ast.ClassDef) and self._is_test_class(child):
                yield from self._class(child, f"{owner}::{child.name}", class_marks, context)

    def _inherited_tests(self, node: ast.ClassDef) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """The class's test methods, its own and those it inherits from classes of this module
        (a mixin's ``test_…`` run once per class that mixes it in), the nearest definition of
        each name, in source order."""
        found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        pending: list[ast.ClassDef] = [node]
        seen: set[int] = set()
        while pending and len(seen) < 16:
            current = pending.pop(0)
            if id(current) in seen:
                continue
            seen.add(id(current))
            for child in current.body:
                if (
                    isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and child.name not in found
                    and child.name.startswith("test")
                    and _fixture_call(child) is None
                ):
                    found[child.name] = child
            pending.extend(
                local
                for base in current.bases
                if (local := self.classes.get(dotted_name(base) or "")) is not None
            )
        return list(found.values())

    def _class_context(
        self, node: ast.ClassDef, depth: int = 0
    ) -> tuple[set[str], set[str], set[str]]:
        """What every test of the class uses besides its own code: the class body's names
        (``Cache = TTLTestCache``), its set-up methods, and those of its bases in this module."""
        references: set[str] = set()
        attributes: set[str] = set()
        uses: set[str] = set()
        for child in node.body:
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if child.name in _SETUP_METHODS:
                    found = self._uses(child)
                    references.update(found[0])
                    attributes.update(found[1])
                    uses.update(found[2])
            elif not isinstance(child, ast.ClassDef):
                references |= self._resolved_names(child)
        for base in node.bases:
            local = self.classes.get(dotted_name(base) or "")
            if local is not None and local is not node and depth < 8:
                inherited = self._class_context(local, depth + 1)
                references |= inherited[0]
                attributes |= inherited[1]
                uses |= inherited[2]
        return references, attributes, uses

    def _test(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        owner: str,
        class_marks: Sequence[ast.expr],
        context: tuple[set[str], set[str], set[str]] | None = None,
    ) -> list[Any]:
        references, attributes, uses = self._uses(node)
        if context is not None:
            references = sorted({*references, *context[0]})
            attributes = sorted({*attributes, *context[1]})
            uses = sorted({*uses, *context[2]} - {"self", "cls"})
        data: list[str] | None = None
        for mark in [*node.decorator_list, *class_marks]:
            if isinstance(mark, ast.Call) and (dotted_name(mark.func) or "").endswith(
                "mark.parametrize"
            ):
                values = mark.args[1] if len(mark.args) > 1 else None
                values = values or next(
                    (k.value for k in mark.keywords if k.arg == "argvalues"), None
                )
                if values is not None:
                    data = data or self._data_source(values)
                    # The functions a table of cases passes in: ``[(cmd_bump, args), …]``.
                    references = sorted({*references, *self._resolved_names(values)})
        return [node.name, owner, node.lineno, references, attributes, uses, data, False]

    def _resolved_names(self, node: ast.AST) -> set[str]:
        """The imported names an expression uses, resolved."""
        found = set()
        for child in ast.walk(node):
            if isinstance(child, (ast.Name, ast.Attribute)):
                dotted = dotted_name(child)
                resolved = self._resolve(dotted) if dotted is not None else None
                if resolved is not None:
                    found.add(resolved)
        return found

    def _uses(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Any]:
        """[resolved references, attributes, local names used (helpers, fixtures)]."""
        references: set[str] = set()
        attributes: set[str] = set()
        uses: set[str] = {a.arg for a in (*node.args.posonlyargs, *node.args.args)}
        uses |= {a.arg for a in node.args.kwonlyargs}
        for decorator in node.decorator_list:  # @pytest.mark.usefixtures("db")
            if isinstance(decorator, ast.Call) and (dotted_name(decorator.func) or "").endswith(
                "usefixtures"
            ):
                uses |= {
                    a.value
                    for a in decorator.args
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                }
        for child in walk_body(node.body):
            special = _special_method(child)
            if special is not None:
                attributes.add(special)
            if isinstance(child, ast.Attribute):
                attributes.add(child.attr)
                dotted = dotted_name(child)
                if dotted is not None:
                    resolved = self._resolve(dotted)
                    if resolved is not None:
                        references.add(resolved)
            elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
                resolved = self._resolve(child.id)
                if resolved is not None:
                    references.add(resolved)
                elif child.id in self.functions:
                    uses.add(child.id)
        return [sorted(references), sorted(attributes), sorted(uses)]

    def _resolve(self, dotted: str, depth: int = 0) -> str | None:
        """The imported thing ``dotted`` names; a class of this module stands for the first of
        its bases that resolves (``TTLTestCache(TTLCache)``: ``cachetools.TTLCache``)."""
        root, _, rest = dotted.partition(".")
        tail = f".{rest}" if rest else ""
        if root in self.imports:
            return self.imports[root] + tail
        local = self.classes.get(root)
        if local is not None and depth < 8:
            for base in local.bases:
                name = dotted_name(base)
                resolved = self._resolve(name, depth + 1) if name is not None else None
                if resolved is not None:
                    return resolved + tail
        return None

    def _generated(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, list[str]]:
        """``metafunc.parametrize("case", <files>)`` in pytest_generate_tests: argname -> data."""
        found: dict[str, list[str]] = {}
        for child in walk_body(node.body):
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "parametrize"
                and len(child.args) >= 2
                and isinstance(child.args[0], ast.Constant)
                and isinstance(child.args[0].value, str)
            ):
                source = self._data_source(child.args[1])
                if source is not None:
                    for name in child.args[0].value.replace(" ", "").split(","):
                        found[name] = source
        return found


#: Built-ins that call an object's special method: ``len(keys)`` calls ``keys.__len__``.
_SPECIAL_CALLS = {
    "len": "__len__",
    "iter": "__iter__",
    "next": "__next__",
    "repr": "__repr__",
    "str": "__str__",
    "hash": "__hash__",
    "bool": "__bool__",
    "reversed": "__reversed__",
}


def _special_method(node: ast.AST) -> str | None:
    """The special method a node calls on an object: ``keys["a"]`` ``__getitem__``,
    ``x in keys`` ``__contains__``, ``for k in keys`` ``__iter__``, ``len(keys)`` ``__len__``."""
    if isinstance(node, ast.Subscript):
        return {ast.Load: "__getitem__", ast.Store: "__setitem__", ast.Del: "__delitem__"}.get(
            type(node.ctx)
        )
    if isinstance(node, ast.Compare) and any(isinstance(o, (ast.In, ast.NotIn)) for o in node.ops):
        return "__contains__"
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        return "__iter__"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        return _SPECIAL_CALLS.get(node.func.id)
    return None


def _imports(tree: ast.Module) -> dict[str, str]:
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    bound.setdefault(alias.name.split(".")[0], alias.name.split(".")[0])
                    bound.setdefault(alias.name, alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if alias.name != "*":
                    bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return bound


def _fixture_call(node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.Call | None:
    """The ``pytest.fixture(...)`` call decorating ``node``; a bare ``@pytest.fixture`` gives an
    empty call."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (dotted_name(target) or "").rpartition(".")[2] == "fixture":
            return decorator if isinstance(decorator, ast.Call) else ast.Call(target, [], [])
    return None
