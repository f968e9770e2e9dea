"""What each of the project's tests targets, read from the test modules' AST (nothing is run).

Per test function or method (``tests/test_x.py::TestY::test_z``): the names it uses, resolved
through its module's imports (``parse_amount(...)`` of ``from shop.money import parse_amount`` is
``shop.money.parse_amount``), and the attributes it reads or calls (``repo.find(1)``: ``find``),
including those of the module's helper functions and of the fixtures it requests (defined in
its module or in a ``conftest.py`` above it), followed through helpers that call helpers. And
whether it is **data-driven**: parametrized (``@pytest.mark.parametrize``, a fixture's
``params``, ``metafunc.parametrize`` in ``pytest_generate_tests``) over the files of a folder
(``sorted(Path(__file__).parent.glob("cases/*.json"))``, ``os.listdir(DATA)``,
``glob.glob(os.path.join(HERE, "data", "*.txt"))``, through module-level names and helper
functions): that folder is where a new case goes.

``analyze/existing.py`` links each planned function to these tests. Each file's reading is
cached by content hash in covgap's cache, like the code facts.
"""

from __future__ import annotations

import ast
import hashlib
import posixpath
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from covgap.collect.code.ast_names import dotted_name
from covgap.files import read_bytes
from covgap.store.cache import AnalysisCache

__all__ = [
    "TEST_LINKS_FORMAT",
    "DataSource",
    "LinkedTest",
    "TestLinks",
    "file_links",
    "read_test_links",
]

#: Bump when the shape of a file's payload changes (cached payloads of another format are read
#: again). 1: first version. 2: names in ``parametrize`` values, and the special methods that
#: subscripts, ``in``, ``len()``, ``iter()`` and ``for`` call. 3: ``unittest.TestCase`` classes
#: whatever their name, what a test class's body and ``setUp`` use, module-level classes
#: resolved through their bases.
TEST_LINKS_FORMAT = 3

#: Methods that set up every test of a unittest or pytest class: what they use, each test uses.
_SETUP_METHODS = frozenset(
    {"setUp", "asyncSetUp", "setUpClass", "setup_method", "setup_class", "setup"}
)

#: Case files named as examples of a data-driven suite, at most.
MAX_EXAMPLES = 3

#: Calls that list a folder's files: (method or function name) -> what it takes.
_LISTINGS = frozenset({"glob", "iglob", "rglob", "iterdir", "listdir", "scandir", "walk"})

#: Calls that return their (path) argument unchanged for our purpose.
_SAME_PATH = frozenset(
    {
        "Path",
        "pathlib.Path",
        "PurePath",
        "pathlib.PurePath",
        "str",
        "os.fspath",
        "os.path.abspath",
        "os.path.realpath",
        "os.path.normpath",
        "sorted",
        "list",
        "tuple",
    }
)


@dataclass(frozen=True)
class DataSource:
    """The folder a data-driven test reads its cases from."""

    #: POSIX, relative to the project; "" when the folder could not be worked out.
    folder: str
    #: The file pattern ("*.json"); "*" for every file.
    pattern: str
    #: The expression that lists them, as written (short).
    how: str
    #: A few of the case files there now (names only).
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinkedTest:
    """One test function or method and what it uses."""

    __test__ = False

    #: "tests/test_x.py::TestY::test_z" (without parameters).
    nodeid: str
    name: str
    line: int
    #: Dotted names it uses, resolved through imports (its helpers' and fixtures' included).
    references: frozenset[str]
    #: Attribute names it reads or calls on anything (``find`` of ``repo.find(1)``).
    attributes: frozenset[str]
    #: The dotted names its module imports.
    module_imports: frozenset[str]
    data: DataSource | None = None

    @property
    def path(self) -> str:
        return self.nodeid.partition("::")[0]

    @property
    def owner(self) -> str:
        """The module or class to extend: ``tests/test_x.py::TestY`` or ``tests/test_x.py``."""
        return self.nodeid.rpartition("::")[0]


@dataclass(frozen=True)
class TestLinks:
    """Every test of the project and what it uses; the fixtures already written."""

    __test__ = False

    tests: tuple[LinkedTest, ...]
    #: Fixture name -> "path:line" of its first definition (conftest.py files first).
    fixtures: Mapping[str, str] = field(default_factory=dict)
    #: Test modules that could not be parsed, with why.
    errors: tuple[tuple[str, str], ...] = ()

    @property
    def names(self) -> frozenset[str]:
        """The names of every test function and method."""
        return frozenset(test.name for test in self.tests)

    def digest(self) -> str:
        """A short hash of everything advice reads here (for the assessments' cache key)."""
        digest = hashlib.sha256()
        for test in self.tests:
            digest.update(
                repr(
                    (
                        test.nodeid,
                        sorted(test.references),
                        sorted(test.attributes),
                        sorted(test.module_imports),
                        test.data,
                    )
                ).encode()
            )
        digest.update(repr(sorted(self.fixtures.items())).encode())
        return digest.hexdigest()


# -- reading one file --------------------------------------------------------------------------


def links_key(source_bytes: bytes) -> str:
    """The cache key of one test file's payload."""
    digest = hashlib.sha256(f"test-links-format={TEST_LINKS_FORMAT}\0".encode())
    digest.update(source_bytes)
    return digest.hexdigest()


def file_links(source_bytes: bytes, path: str) -> dict[str, Any]:
    """One test module's (or conftest.py's) payload, as cacheable JSON; {"error": …} when it
    cannot be parsed. ``path`` is POSIX, relative to the project."""
    try:
        tree = ast.parse(source_bytes.decode("utf-8-sig"))
    except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    return _FileReader(tree, path).payload()


class _FileReader:
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
            yield self._test(method, owner, class_marks, context)
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
        return [node.name, owner, node.lineno, references, attributes, uses, data]

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
        for child in _walk_body(node.body):
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
        for child in _walk_body(node.body):
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

    # -- data-driven parameters ------------------------------------------------------------------

    def _data_source(self, values: ast.expr, depth: int = 0) -> list[str] | None:
        """[folder, pattern, how] when ``values`` lists a folder's files."""
        if depth > 4:
            return None
        for node in ast.walk(values):
            if isinstance(node, ast.Call):
                found = self._listing(node, depth)
                if found is not None:
                    return found
                callee = dotted_name(node.func)
                if callee in self.functions:  # a helper that lists the files
                    helper = self.functions[callee]
                    for statement in _walk_body(helper.body):
                        if (
                            isinstance(statement, (ast.Return, ast.Yield, ast.YieldFrom))
                            and statement.value is not None
                        ):
                            inner = self._data_source(statement.value, depth + 1)
                            if inner is not None:
                                return inner
            elif isinstance(node, ast.Name) and node.id in self.assigned:
                inner = self._data_source(self.assigned[node.id], depth + 1)
                if inner is not None:
                    return inner
        return None

    def _listing(self, call: ast.Call, depth: int) -> list[str] | None:
        """[folder, pattern, how] of a call that lists files: ``folder.glob("*.json")``,
        ``folder.iterdir()``, ``glob.glob(pattern)``, ``os.listdir(folder)``."""
        func = call.func
        if isinstance(func, ast.Attribute):
            short = func.attr
        elif isinstance(func, ast.Name):
            short = func.id
        else:
            return None
        if short not in _LISTINGS:
            return None
        how = _short(ast.unparse(call))
        on_module = not isinstance(func, ast.Attribute) or dotted_name(func.value) in self.imports
        if on_module:  # glob.glob(pattern), os.listdir(folder), from glob import glob
            if short in ("glob", "iglob"):
                return self._glob_path(call, how, depth)
            if short in ("listdir", "scandir", "walk"):
                folder = self._path(call.args[0], depth) if call.args else "."
                return _split(folder, "*", how) if folder is not None else ["", "", how]
            return None
        assert isinstance(func, ast.Attribute)
        receiver = self._path(func.value, depth)  # a method of a path
        if short in ("glob", "rglob"):
            pattern = _string(call.args[0]) if call.args else None
            if receiver is None or pattern is None:
                return ["", "", how]
            return _split(receiver, pattern if short == "glob" else f"**/{pattern}", how)
        if short == "iterdir":
            return _split(receiver, "*", how) if receiver is not None else ["", "", how]
        return None

    def _glob_path(self, call: ast.Call, how: str, depth: int) -> list[str]:
        full = self._path(call.args[0], depth) if call.args else None
        if full is None:
            return ["", "", how]
        folder, _, pattern = full.rpartition("/")
        return _split(folder or ".", pattern or "*", how)

    def _path(self, node: ast.expr, depth: int = 0) -> str | None:
        """A path expression as a POSIX path relative to the project, when it can be worked
        out: ``__file__``, literals, ``Path(...)``, ``/``, ``.parent``, ``os.path.join`` and
        ``dirname``, module-level names bound to those."""
        if depth > 8:
            return None
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return self.path
            if node.id in self.assigned:
                return self._path(self.assigned[node.id], depth + 1)
            return None
        literal = _string(node)
        if literal is not None:
            return posixpath.normpath(literal) if not posixpath.isabs(literal) else None
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            inner = self._path(node.value, depth + 1)
            return _parent(inner) if inner is not None else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left, right = self._path(node.left, depth + 1), self._path(node.right, depth + 1)
            return _join(left, right) if left is not None and right is not None else None
        if not isinstance(node, ast.Call):
            return None
        callee = dotted_name(node.func) or ""
        resolved = self._resolve(callee) or callee
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("resolve", "absolute"):
            return self._path(node.func.value, depth + 1)
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("joinpath", "with_name"):
            base = self._path(node.func.value, depth + 1)
            if node.func.attr == "with_name" and base is not None:
                base = _parent(base)
            parts = [self._path(a, depth + 1) for a in node.args]
            if base is None or any(p is None for p in parts):
                return None
            return _join(base, *(p for p in parts if p is not None))
        if resolved in ("os.path.dirname", "posixpath.dirname") and node.args:
            inner = self._path(node.args[0], depth + 1)
            return _parent(inner) if inner is not None else None
        if resolved in ("os.path.join", "posixpath.join") and node.args:
            parts = [self._path(a, depth + 1) for a in node.args]
            if any(p is None for p in parts):
                return None
            return _join(*(p for p in parts if p is not None))
        if (resolved in _SAME_PATH or callee in _SAME_PATH) and len(node.args) == 1:
            return self._path(node.args[0], depth + 1)
        return None


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


def _split(folder: str, pattern: str, how: str) -> list[str]:
    """[folder, pattern, how], the pattern's own folders moved into the folder."""
    head, _, tail = pattern.rpartition("/")
    if head and "*" not in head:
        return [_join(folder, head), tail or "*", how]
    return [posixpath.normpath(folder), pattern, how]


def _join(*parts: str) -> str:
    return posixpath.normpath(posixpath.join(*parts))


def _parent(path: str) -> str:
    parent = posixpath.dirname(posixpath.normpath(path))
    return parent or "."


def _string(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def _walk_body(statements: Sequence[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of a function's body, nested functions and lambdas included (a test's inner
    helper is the test's)."""
    stack: list[ast.AST] = list(reversed(statements))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _fixture_call(node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.Call | None:
    """The ``pytest.fixture(...)`` call decorating ``node``; a bare ``@pytest.fixture`` gives an
    empty call."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (dotted_name(target) or "").rpartition(".")[2] == "fixture":
            return decorator if isinstance(decorator, ast.Call) else ast.Call(target, [], [])
    return None


# -- the project's tests -----------------------------------------------------------------------


def read_test_links(
    project_dir: Path, test_files: Iterable[str], cache_path: Path | None = None
) -> TestLinks:
    """What every test module targets, with the conftest.py files above them for fixtures."""
    modules = list(dict.fromkeys(test_files))
    conftests = _conftests(project_dir, modules)
    paths = [*conftests, *modules]
    payloads = _payloads(project_dir, paths, cache_path)
    errors = tuple(
        (path, str(payloads[path]["error"]))
        for path in modules
        if path in payloads and "error" in payloads[path]
    )
    fixtures: dict[str, str] = {}
    for path in paths:
        for name, line in payloads.get(path, {}).get("fixtures", ()):
            fixtures.setdefault(name, f"{path}:{line}")
    tests: list[LinkedTest] = []
    for path in modules:
        payload = payloads.get(path)
        if payload is None or "error" in payload:
            continue
        chain = [
            payloads[c]
            for c in _conftest_chain(path, conftests)
            if c in payloads and "error" not in payloads[c]
        ]
        tests.extend(_assemble(project_dir, path, payload, chain))
    return TestLinks(tests=tuple(tests), fixtures=fixtures, errors=errors)


def _payloads(
    project_dir: Path, paths: Sequence[str], cache_path: Path | None
) -> dict[str, dict[str, Any]]:
    sources: dict[str, bytes] = {}
    for path in paths:
        try:
            sources[path] = read_bytes(project_dir / path)
        except OSError:
            continue
    keys = {path: links_key(data) for path, data in sources.items()}
    found: dict[str, dict[str, Any]] = {}
    cache = AnalysisCache(cache_path) if cache_path is not None else None
    try:
        cached = cache.get_facts(keys.values()) if cache is not None else {}
        fresh: dict[str, dict[str, Any]] = {}
        for path, key in keys.items():
            payload = cached.get(key)
            if not isinstance(payload, dict) or not ("tests" in payload or "error" in payload):
                payload = fresh[key] = file_links(sources[path], path)
            found[path] = payload
        if cache is not None and fresh:
            cache.put_facts(fresh)
    finally:
        if cache is not None:
            cache.close()
    return found


def _conftests(project_dir: Path, modules: Sequence[str]) -> list[str]:
    """The conftest.py files of the test modules' folders and the folders above them."""
    folders: set[PurePosixPath] = set()
    for module in modules:
        folder = PurePosixPath(module).parent
        folders.add(folder)
        folders.update(folder.parents)
    found = []
    for folder in sorted(folders, key=lambda f: (len(f.parts), str(f))):
        candidate = folder / "conftest.py"
        if (project_dir / candidate).is_file():
            found.append(str(candidate))
    return found


def _conftest_chain(module: str, conftests: Sequence[str]) -> list[str]:
    """The conftest.py files that apply to ``module``, nearest first."""
    folder = PurePosixPath(module).parent
    applying = {str(f / "conftest.py") for f in (folder, *folder.parents)}
    return [c for c in reversed(conftests) if c in applying]


def _assemble(
    project_dir: Path, path: str, payload: dict[str, Any], chain: Sequence[dict[str, Any]]
) -> Iterator[LinkedTest]:
    scopes = [payload, *chain]
    module_imports = frozenset(payload.get("imports", ()))
    for name, owner, line, references, attributes, uses, data in payload["tests"]:
        refs, attrs = set(references), set(attributes)
        seen: set[str] = set()
        pending = list(uses)
        source = data
        while pending:
            used = pending.pop()
            if used in seen:
                continue
            seen.add(used)
            for scope in scopes:
                helper = scope["helpers"].get(used)
                if helper is None:
                    continue
                refs.update(helper[0])
                attrs.update(helper[1])
                pending.extend(helper[2])
                source = source or scope["data_fixtures"].get(used)
                break
            source = source or payload.get("generated", {}).get(used)
        nodeid = "::".join(p for p in (path, owner, name) if p)
        yield LinkedTest(
            nodeid=nodeid,
            name=name,
            line=line,
            references=frozenset(refs),
            attributes=frozenset(attrs),
            module_imports=module_imports,
            data=_data(project_dir, source) if source else None,
        )


def _data(project_dir: Path, source: Sequence[str]) -> DataSource:
    folder, pattern, how = source
    examples: tuple[str, ...] = ()
    if folder:
        try:
            matches = sorted(
                p.name for p in (project_dir / folder).glob(pattern or "*") if p.is_file()
            )
            examples = tuple(matches[:MAX_EXAMPLES])
        except (OSError, ValueError):
            examples = ()
    return DataSource(folder=folder, pattern=pattern, how=how, examples=examples)
