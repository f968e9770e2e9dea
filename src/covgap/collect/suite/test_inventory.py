"""A static inventory of a project's tests: what ``pytest --collect-only`` would list, read from
the test files' AST (nothing is imported or run), with what a test-suite audit needs beside.

The caller reads pytest's settings (``python_files``, ``python_classes``, ``python_functions``,
``testpaths``, ``norecursedirs``, the declared ``markers``) and passes them as
:class:`InventoryOptions`; :func:`read_inventory` follows pytest 8/9's collection rules
(docs/inventory.md has the whole list, and how the counts compare with pytest's):

**Files.** The roots are ``testpaths`` (globbed from the project folder, like pytest; the whole
project when there are none or nothing matches). A root is walked whatever ``norecursedirs``
says; below it a folder is skipped when its name (for a pattern with a ``/``, its path) matches
``norecursedirs``, when it is ``__pycache__`` or a virtualenv (``pyvenv.cfg``,
``conda-meta/history``), or when the closest ``conftest.py`` that sets ``collect_ignore`` /
``collect_ignore_glob`` (literal lists; ``if NAME:`` around them is evaluated when NAME is a
version flag of the project) names it. A file is a test module when its name matches
``python_files`` or when it is a root. The ``conftest.py`` files of the walked folders and of the
folders above the roots are read for fixtures and hooks.

**Tests.** Module-level functions (``def``, ``async def``, a ``lambda`` or another function bound
to a test name) matching ``python_functions`` (prefixes, or globs) that are not fixtures; classes
matching ``python_classes`` (or with ``__test__ = True``) that are neither abstract nor given an
``__init__``/``__new__`` (their own, inherited, from ``@dataclass``/attrs, ``Enum``,
``NamedTuple``, ``Protocol``, exceptions), with their matching methods and nested test classes,
inherited ones included; ``__test__ = False`` disables a module, class or function.
``unittest.TestCase`` subclasses (a base outside the project whose name ends with ``TestCase``)
are collected whatever their name, with their callables starting with ``test`` (else
``runTest``), never parametrized; Hypothesis' ``TestX = Machine.TestCase`` is one ``runTest``.
A name bound twice counts once. Names imported into a test module are collected there too
(``collect_imported_tests``): functions and classes of the project's files are resolved and
counted where they are imported (``origin`` says where they are defined); a test function
imported from outside the project counts nothing and is noted. Module-level ``if`` tests on
``sys.version_info``, ``sys.platform``, ``os.name``, ``TYPE_CHECKING``, ``__name__`` and names
bound to such tests are evaluated for the options' Python and platform; other conditions count
both branches, with a note. A test function that ``yield`` s makes its module a collection
error, as in pytest; an unconditional module-level ``pytest.skip(allow_module_level=True)``
leaves the module without tests.

**Cases.** The product of the ``parametrize`` lists applying to the test (function, classes and
their bases, module ``pytestmark``, names bound to marks) and of the ``params`` of the
parametrized fixtures in its closure (arguments without defaults, ``usefixtures``, visible
autouse fixtures, what they request, through override chains; a name the test parametrizes
itself is not multiplied again); an empty list counts 1. Lists are read when they are literals
or made of literals (``pytest.param``, ``*``, ``+``, ``*``, ``range``, ``zip``, ``product``,
comprehensions without ``if``, names bound to those here or in a project module); otherwise, or
when a ``pytest_generate_tests`` hook may parametrize the test, ``cases`` is None. Fixtures are
looked up as pytest does: class, module, the conftest.py files from the test's folder up,
``pytest_plugins`` modules of the project; installed plugins' fixtures are unknown.

**Limits.** What runs at import time is not seen: tests made by loops or ``setattr``,
decorators that replace a test, classes made by a call (noted), conftest hooks that add or
deselect items (noted), plugins collecting other files (doctests), missing imports and
``importorskip``. Imports of names that are not test names are followed only into test-side
files (test folders, conftest.py), so that reading sympy's tests does not parse sympy.

Each file is parsed once (:func:`ast.parse`, with the garbage collector paused); the per-file
pass reads statements, decorators and assignments, and walks expressions only on the lines a
text search points at (``mark.``, ``yield``, ``import``, network names). Files are read in
worker processes when they add up to more than a few hundred kilobytes (``jobs``).
"""

from __future__ import annotations

import ast
import bisect
import fnmatch
import gc
import math
import operator
import os
import posixpath
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from covgap.collect.code.ast_names import dotted_name
from covgap.files import (
    FolderGuard,
    entry_is_dir,
    entry_is_file,
    glob_once,
    is_link,
    read_bytes,
    special_kind,
)

__all__ = [
    "BUILTIN_MARKERS",
    "CATEGORIES",
    "CATEGORY_NAMES",
    "DEFAULT_NORECURSEDIRS",
    "KNOWN_PLUGIN_MARKERS",
    "NEAR_EMPTY_TESTS",
    "UNCATEGORIZED",
    "Fixture",
    "InventoryOptions",
    "MarkerUse",
    "TestInventory",
    "TestItem",
    "TestModule",
    "Uncollected",
    "category_of_name",
    "is_known_marker",
    "read_inventory",
]

#: pytest's default ``norecursedirs``.
DEFAULT_NORECURSEDIRS = (
    "*.egg",
    ".*",
    "_darcs",
    "build",
    "CVS",
    "dist",
    "node_modules",
    "venv",
    "{arch}",
)

#: Marks pytest itself registers.
BUILTIN_MARKERS = frozenset(
    {
        "parametrize",
        "skip",
        "skipif",
        "xfail",
        "usefixtures",
        "filterwarnings",
        "tryfirst",
        "trylast",
    }
)
#: Marks registered by common plugins (pytest-asyncio, anyio, trio, django, timeout, rerunfailures,
#: flaky, benchmark, order, dependency, repeat, xdist, forked, randomly, mypy-plugins, hypothesis…):
#: using them is not "undeclared".
KNOWN_PLUGIN_MARKERS = frozenset(
    {
        "asyncio",
        "anyio",
        "trio",
        "django_db",
        "urls",
        "ignore_template_errors",
        "timeout",
        "flaky",
        "benchmark",
        "order",
        "run",
        "first",
        "last",
        "dependency",
        "repeat",
        "xdist_group",
        "forked",
        "randomly_dont_reorganize",
        "no_cover",
        "hypothesis",
        "mypy-testing",
        "freeze_time",
        "httpx_mock",
        "vcr",
        "default_cassette",
        "block_network",
        "enable_socket",
        "disable_socket",
        "allow_hosts",
        "datafiles",
        "describe",
        "subtests",
    }
)

#: The test categories, in report order; a test with none is :data:`UNCATEGORIZED`.
CATEGORIES = ("unit", "integration", "e2e", "security", "smoke", "performance", "manual")
UNCATEGORIZED = "uncategorized"

#: Folder names and marker names (normalised, see :func:`category_of_name`) → category.
CATEGORY_NAMES: Mapping[str, str] = {
    **dict.fromkeys(("unit", "units", "unittest", "unittests"), "unit"),
    **dict.fromkeys(
        ("integration", "integrations", "integ", "functional", "component", "contract"),
        "integration",
    ),
    **dict.fromkeys(
        ("e2e", "end_to_end", "end2end", "endtoend", "acceptance", "system", "ui", "browser"),
        "e2e",
    ),
    **dict.fromkeys(("security", "sec", "fuzz", "fuzzing", "pentest"), "security"),
    **dict.fromkeys(("smoke", "sanity"), "smoke"),
    **dict.fromkeys(
        (
            "perf",
            "performance",
            "benchmark",
            "benchmarks",
            "bench",
            "load",
            "loadtest",
            "loadtests",
            "stress",
        ),
        "performance",
    ),
    "manual": "manual",
}

#: A category folder (or test root) with at most this many tests is "near-empty".
NEAR_EMPTY_TESTS = 2

#: Files that keep a folder in git or say what it is for, and leave it empty all the same.
_PLACEHOLDERS = frozenset({".gitkeep", ".keep", ".gitignore", ".DS_Store"})

#: Folder names that make a folder a test folder (beside holding test modules).
_TEST_DIR_NAMES = frozenset({"test", "tests", "testing"})

#: Below this many bytes of files to read, worker processes cost more than they save.
_PARALLEL_BYTES = 300_000


# -- the public model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryOptions:
    """pytest's collection settings, as the project configures them (the caller reads the ini)."""

    python_files: tuple[str, ...] = ("test_*.py", "*_test.py")
    python_classes: tuple[str, ...] = ("Test",)
    python_functions: tuple[str, ...] = ("test",)
    #: Relative to the project (globs, like pytest); () = the whole project.
    testpaths: tuple[str, ...] = ()
    norecursedirs: tuple[str, ...] = DEFAULT_NORECURSEDIRS
    #: Top-level import names of the project's own code, e.g. ("shop",).
    project_packages: tuple[str, ...] = ()
    #: From the ini ``markers`` (names only).
    declared_markers: tuple[str, ...] = ()
    #: Worker processes for parsing; 0 = decide (serial for few files), 1 = serial.
    jobs: int = 0
    #: pytest's ``collect_imported_tests`` (true by default).
    collect_imported_tests: bool = True
    #: The Python version and ``sys.platform`` that module-level conditions are evaluated for;
    #: None = this interpreter's.
    python_version: tuple[int, int] | None = None
    platform: str | None = None


@dataclass(frozen=True)
class TestItem:
    """One test function or method, before parametrization."""

    __test__ = False  # not a test class, for pytest

    #: POSIX, relative to the project (the module that collects it).
    path: str
    #: As in the node id without parameters: "test_x", "TestA::test_x", "TestA::TestB::test_x".
    name: str
    #: The ``def`` line (in ``origin`` when the function is defined in another file).
    line: int
    #: Items pytest makes of it; None when some parameter list is not a literal.
    cases: int | None
    #: Mark names applied (function, classes, module ``pytestmark``), in order, without
    #: ``parametrize`` and ``usefixtures`` (those are ``cases`` and ``fixtures``).
    markers: tuple[str, ...]
    #: Fixture names it requests: its arguments pytest fills, then ``usefixtures``.
    fixtures: tuple[str, ...]
    is_async: bool
    categories: tuple[str, ...] = ()
    #: The file the function is defined in, when it is not ``path`` (imported or inherited).
    origin: str | None = None
    #: A ``unittest.TestCase`` method.
    unittest: bool = False


@dataclass(frozen=True)
class Fixture:
    """A fixture definition (in a conftest.py, a test module, a test class or a plugin module)."""

    name: str
    path: str
    line: int
    #: "function", "class", "module", "package", "session", or "dynamic" (a callable scope).
    scope: str
    #: The number of ``params``; None when not parametrized, or when the list is not a literal
    #: (``parametrized`` tells which).
    params: int | None
    autouse: bool
    #: How many tests and fixtures in its visibility request it by name (arguments,
    #: ``usefixtures``, literal ``request.getfixturevalue``); autouse use is not counted.
    users: int
    parametrized: bool = False


@dataclass(frozen=True)
class MarkerUse:
    """One ``pytest.mark.NAME`` in the test files (decorator, ``pytestmark``, ``pytest.param``)."""

    name: str
    path: str
    line: int


@dataclass(frozen=True)
class TestModule:
    """One test file pytest collects."""

    __test__ = False

    path: str
    items: tuple[TestItem, ...]
    #: Test classes collected that hold at least one test.
    classes: int
    #: Imports one of ``options.project_packages`` anywhere (also ``importlib.import_module``,
    #: ``__import__`` and ``pytest.importorskip`` of a literal name).
    imports_project: bool
    #: (line, what) when the module talks to a running server: HTTP client calls and literal
    #: URLs on localhost (unless an HTTP mocking library is imported), selenium / playwright,
    #: socket connections, a ``live_server`` fixture, ``LiveServerTestCase``.
    server_evidence: tuple[tuple[int, str], ...]
    categories: tuple[str, ...]
    #: "line N: message" when it cannot be parsed or collected (it then has no items).
    error: str | None
    #: What could not be decided statically (conditions, imports from outside, skips…).
    notes: tuple[str, ...] = ()

    @property
    def tests(self) -> int:
        """Items, counting an item of unknown cases as 1."""
        return sum(item.cases if item.cases is not None else 1 for item in self.items)


@dataclass(frozen=True)
class Uncollected:
    """A .py file that pytest does not collect but that holds test-like functions."""

    path: str
    reason: str
    #: Test-like functions and methods in it (not parametrized).
    tests: int


@dataclass(frozen=True)
class TestInventory:
    """The project's tests as pytest would collect them, and the facts an audit needs."""

    __test__ = False

    modules: tuple[TestModule, ...]
    #: From conftest.py files, test modules and ``pytest_plugins`` modules of the project.
    fixtures: tuple[Fixture, ...]
    markers: tuple[MarkerUse, ...]
    #: Test folders with no test at all, topmost only (docs/inventory.md): no collected test in
    #: the subtree, and either a conftest.py with only __init__.py files (and data) beside it, or
    #: a test or category folder at the top of the test tree (``tests``, ``tests/e2e``, ``e2e``).
    empty_folders: tuple[str, ...]
    uncollected: tuple[Uncollected, ...]
    #: (folder, tests): a test or category folder at the top of the test tree, or a testpaths
    #: root, holding 1..NEAR_EMPTY_TESTS tests.
    near_empty_folders: tuple[tuple[str, int], ...] = ()
    declared_markers: tuple[str, ...] = ()
    #: Project-wide notes (conftest hooks that change collection, same-named test modules…).
    notes: tuple[str, ...] = ()
    #: (path, why): test modules and conftest.py files that are FIFOs, devices or sockets,
    #: not opened (reading one could block forever).
    unreadable: tuple[tuple[str, str], ...] = ()

    @property
    def items(self) -> Iterator[TestItem]:
        for module in self.modules:
            yield from module.items

    @property
    def tests(self) -> int:
        """Tests pytest would collect: the sum of cases, an unknown one counting 1."""
        return sum(module.tests for module in self.modules)

    @property
    def unknown_cases(self) -> int:
        """Items whose number of cases is not known (counted as 1 in ``tests``)."""
        return sum(1 for item in self.items if item.cases is None)

    @property
    def functions(self) -> int:
        """Test functions and methods, before parametrization."""
        return sum(len(module.items) for module in self.modules)

    @property
    def classes(self) -> int:
        return sum(module.classes for module in self.modules)

    @property
    def errors(self) -> tuple[TestModule, ...]:
        return tuple(module for module in self.modules if module.error is not None)

    @property
    def by_category(self) -> dict[str, int]:
        """Tests (cases) per category, in :data:`CATEGORIES` order then ``uncategorized``; a
        test in two categories counts in both."""
        counts = dict.fromkeys((*CATEGORIES, UNCATEGORIZED), 0)
        for item in self.items:
            cases = item.cases if item.cases is not None else 1
            for category in item.categories or (UNCATEGORIZED,):
                counts[category] += cases
        return {name: count for name, count in counts.items() if count}

    @property
    def undeclared_markers(self) -> tuple[str, ...]:
        """Mark names used but neither declared nor built in or from a common plugin."""
        declared = set(self.declared_markers)
        return tuple(
            sorted(
                {
                    use.name
                    for use in self.markers
                    if use.name not in declared and not is_known_marker(use.name)
                }
            )
        )

    @property
    def unused_fixtures(self) -> tuple[Fixture, ...]:
        """Fixtures nothing requests (autouse ones are used by definition)."""
        return tuple(
            fixture for fixture in self.fixtures if not fixture.users and not fixture.autouse
        )


def is_known_marker(name: str) -> bool:
    """A mark pytest or a common plugin registers (so it needs no ``markers`` declaration)."""
    return name in BUILTIN_MARKERS or name in KNOWN_PLUGIN_MARKERS


def _test_folder_name(name: str) -> bool:
    """test, tests, testing, or a category with a test affix (``unit_tests``, ``tests-e2e``);
    not ``test_data`` or ``test-examples``."""
    key = name.lower().replace("-", "_")
    if key in _TEST_DIR_NAMES:
        return True
    affixed = key.startswith(("test_", "tests_")) or key.endswith(("_test", "_tests"))
    return affixed and category_of_name(name) is not None


def category_of_name(name: str) -> str | None:
    """The category a folder or marker name stands for (:data:`CATEGORY_NAMES`), or None."""
    key = name.lower().replace("-", "_")
    for prefix in ("tests_", "test_"):
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix) :]
    for suffix in ("_tests", "_test"):
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
    return CATEGORY_NAMES.get(key)


# -- what one file says (computed in worker processes, picklable) ------------------------------


@dataclass(frozen=True)
class _Ref:
    """A length to look up: the value bound to a (dotted) name in the module."""

    name: str


@dataclass(frozen=True)
class _Op:
    """A length computed from others: "sum", "prod" or "min" (zip) of the parts."""

    kind: str
    parts: tuple[_Len, ...]


#: The length of a parameter list as far as one file tells: known, unknown (None), or a formula.
_Len = int | _Ref | _Op | None


@dataclass(frozen=True)
class _Mark:
    """A ``pytest.mark.NAME`` applied (decorator, ``pytestmark``, a name bound to a mark)."""

    name: str
    line: int
    argnames: tuple[str, ...] = ()
    #: Names parametrized indirectly (``indirect=True``: all the argnames).
    indirect: tuple[str, ...] = ()
    count: _Len = None
    #: ``usefixtures`` names.
    fixtures: tuple[str, ...] = ()


@dataclass(frozen=True)
class _MarkRef:
    """A decorator or ``pytestmark`` entry that is a plain name: maybe a name bound to marks."""

    name: str


_MarkLike = _Mark | _MarkRef


@dataclass(frozen=True)
class _FixtureSpec:
    name: str
    scope: str
    parametrized: bool
    params: _Len
    autouse: bool


@dataclass(frozen=True)
class _Func:
    name: str
    line: int
    is_async: bool
    #: Arguments without a default (positional-or-keyword, then keyword-only), pytest's way.
    args: tuple[str, ...]
    has_posonly: bool
    static: bool
    marks: tuple[_MarkLike, ...]
    fixture: _FixtureSpec | None
    #: ``yield`` in the body (a generator test is a collection error).
    generator: bool
    #: Leading arguments filled by ``mock.patch`` decorators.
    mock_args: int
    #: Arguments filled by Hypothesis' ``@given``.
    given: tuple[str, ...]
    given_positional: int
    abstract: bool
    #: Literal names passed to ``request.getfixturevalue``.
    dynamic_requests: tuple[str, ...]
    dunder_test: bool | None = None


@dataclass(frozen=True)
class _Lambda:
    line: int


@dataclass(frozen=True)
class _Alias:
    """A name bound to another (dotted) name."""

    target: str
    line: int


@dataclass(frozen=True)
class _Value:
    """A name bound to some other expression: its length if it is a sequence."""

    line: int
    length: _Len
    #: The value is a call (a class or function made at import time is not seen).
    call: bool
    #: Its truth, when it is a condition that can be evaluated (``PY310 = sys.version_info…``).
    truth: bool | None = None


@dataclass(frozen=True)
class _Marks:
    """A name bound to a mark or a list of marks."""

    marks: tuple[_MarkLike, ...]
    line: int


@dataclass(frozen=True)
class _Import:
    """``import module`` (name None) or ``from module import name`` (level: leading dots)."""

    module: str
    name: str | None
    level: int
    line: int


@dataclass(frozen=True)
class _Class:
    name: str
    line: int
    #: Dotted names of the bases ("" for an expression that is not a name).
    bases: tuple[str, ...]
    metaclass: str | None
    #: ``@dataclass`` / attrs: an ``__init__`` is generated.
    init_decorated: bool
    marks: tuple[_MarkLike, ...]
    members: tuple[tuple[str, _Member], ...]
    dunder_test: bool | None
    has_init: bool
    has_new: bool
    generate_tests: bool


_Member = _Func | _Class | _Lambda | _Alias | _Value | _Marks | _Import


#: A condition left to the main process: (dotted name, negated) — ``if NAME:`` / ``if not NAME:``
#: where NAME is imported (``from pkg._compat import PY_3_10_PLUS``).
_Condition = tuple[str, bool]


@dataclass(frozen=True)
class _GenTests:
    """A ``pytest_generate_tests`` hook: the fixture names it is guarded by, None = any test."""

    line: int
    names: tuple[str, ...] | None


@dataclass(frozen=True)
class _Summary:
    """What one Python file says, for the inventory."""

    path: str
    error: str | None = None
    bindings: tuple[tuple[str, _Member], ...] = ()
    star_imports: tuple[_Import, ...] = ()
    pytestmark: tuple[_MarkLike, ...] = ()
    dunder_test: bool | None = None
    generate_tests: _GenTests | None = None
    #: (entry, the conditions it is added under): see ``_Condition``.
    collect_ignore: tuple[tuple[str, tuple[_Condition, ...]], ...] | None = None
    collect_ignore_glob: tuple[tuple[str, tuple[_Condition, ...]], ...] | None = None
    pytest_plugins: tuple[str, ...] = ()
    #: Collection hooks defined (conftest.py): name and line.
    hooks: tuple[tuple[str, int], ...] = ()
    #: "line N: …" of an unconditional module-level skip.
    skip: str | None = None
    notes: tuple[str, ...] = ()
    #: Top-level names of the modules imported anywhere (absolute imports only).
    imported: tuple[str, ...] = ()
    #: A relative import (``from .. import x``): inside a package, it imports that package.
    relative_import: bool = False
    server_evidence: tuple[tuple[int, str], ...] = ()
    #: An HTTP mocking library is imported (HTTP calls are then not server evidence).
    mocks_http: bool = False
    marker_uses: tuple[tuple[str, int], ...] = ()
    #: Not parsed: a helper file without test-like functions (parsed when something imports it).
    unread: bool = False


# -- reading one file ---------------------------------------------------------------------------

_MARK_TEXT = re.compile(rb"\bmark\b")
#: ``mark.NAME`` in the text: as many as there are mark uses, unless some are in comments.
_MARK_USE_TEXT = re.compile(rb"\bmark\s*\.\s*[A-Za-z_]")
_IMPORT_TEXT = re.compile(rb"\bimport\b")
_YIELD_TEXT = re.compile(rb"\byield\b")
_DYNAMIC_TEXT = re.compile(rb"getfixturevalue")
_NEWLINE = re.compile(rb"\n")
_SERVER_TEXT = re.compile(
    rb"localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|selenium|playwright|requests|httpx|urlopen"
    rb"|aiohttp|socket|websocket|HTTPS?Connection|live_server|LiveServer|urllib3"
)
_DYNAMIC_IMPORT = re.compile(
    rb"""(?:import_module|__import__|importorskip)\(\s*(?:name\s*=\s*|modname\s*=\s*)?"""
    rb"""['"]([A-Za-z_][\w.]*)['"]"""
)
_LOCAL_URL = re.compile(
    r"\b(?:https?|wss?)://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::\d+)?[^\s'\"]*"
)
#: Modules whose import makes a localhost URL literal server evidence (else it may be data).
_NETWORK_MODULES = frozenset(
    {
        "requests",
        "httpx",
        "aiohttp",
        "urllib.request",
        "urllib3",
        "http.client",
        "socket",
        "websocket",
        "websockets",
        "selenium",
        "playwright",
        "grpc",
    }
)
_NETWORK_PREFIXES = tuple(f"{name}." for name in _NETWORK_MODULES)
_HTTP_MOCKS = frozenset(
    {"responses", "requests_mock", "respx", "httpretty", "aioresponses", "pytest_httpx", "vcr"}
)
_HTTP_VERBS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"}
)
_HTTP_CLIENT_CLASSES = {
    "requests": frozenset({"Session"}),
    "httpx": frozenset({"Client", "AsyncClient"}),
    "aiohttp": frozenset({"ClientSession"}),
    "urllib3": frozenset({"PoolManager"}),
}
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
_DATACLASS_DECORATORS = frozenset(
    {"dataclass", "s", "attrs", "define", "frozen", "mutable", "dataclasses.dataclass"}
)
_MAX_NOTES = 20


class _Newlines:
    """The offsets of a source's line ends, computed once, when needed."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self._offsets: list[int] | None = None

    def offsets(self) -> list[int]:
        if self._offsets is None:
            self._offsets = [m.start() for m in _NEWLINE.finditer(self.source)]
        return self._offsets


class _Lines:
    """The lines of a source where a pattern matches, to walk only the nodes on them."""

    def __init__(self, source: bytes, pattern: re.Pattern[bytes], newlines: _Newlines) -> None:
        self.lines: list[int] = []
        if pattern.search(source):
            offsets = newlines.offsets()
            self.lines = sorted(
                {bisect.bisect_right(offsets, m.start()) + 1 for m in pattern.finditer(source)}
            )

    def __bool__(self) -> bool:
        return bool(self.lines)

    def hit(self, start: int, end: int) -> bool:
        index = bisect.bisect_left(self.lines, start)
        return index < len(self.lines) and self.lines[index] <= end

    def walk(self, roots: Iterable[ast.AST], nested: bool = True) -> Iterator[ast.AST]:
        """The nodes under ``roots`` whose lines hold a match (and the nodes without lines on
        the way); ``nested=False`` does not enter nested functions, lambdas and classes."""
        skipped = (
            () if nested else (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
        )
        stack = [root for root in roots if not isinstance(root, skipped)]
        while stack:
            node = stack.pop()
            start = getattr(node, "lineno", None)
            decorators = getattr(node, "decorator_list", None)
            if decorators:  # they are above the def's line
                start = decorators[0].lineno
            if start is not None and not self.hit(
                start, getattr(node, "end_lineno", None) or start
            ):
                continue
            yield node
            stack.extend(
                child for child in ast.iter_child_nodes(node) if not isinstance(child, skipped)
            )


def _walk_outside_defs(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """``ast.walk`` that does not enter nested functions, lambdas and classes."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    stack = [node for node in nodes if not isinstance(node, nested)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, nested))


class _Reader:
    """One pass over a module's statements, decorators and assignments."""

    def __init__(
        self, path: str, source: bytes, tree: ast.Module, version: tuple[int, int], platform: str
    ) -> None:
        self.path = path
        self.source = source
        self.version = version
        self.platform = platform
        self.notes: list[str] = []
        self.marker_uses: list[tuple[str, int]] = []
        self.skip: str | None = None
        self.pytestmark: tuple[_MarkLike, ...] = ()
        self.dunder_test: bool | None = None
        self.generate_tests: _GenTests | None = None
        self.collect_ignore: list[tuple[str, tuple[_Condition, ...]]] | None = None
        self.collect_ignore_glob: list[tuple[str, tuple[_Condition, ...]]] | None = None
        #: the deferred conditions of the blocks being read
        self.conditions: list[_Condition] = []
        self.pytest_plugins: list[str] = []
        self.hooks: list[tuple[str, int]] = []
        self.star_imports: list[_Import] = []
        self.bindings: dict[str, _Member] = {}
        newlines = _Newlines(source)
        self.yield_lines = _Lines(source, _YIELD_TEXT, newlines)
        self.dynamic_lines = _Lines(source, _DYNAMIC_TEXT, newlines)
        self.mark_lines = _Lines(source, _MARK_TEXT, newlines)
        self.server_lines = _Lines(source, _SERVER_TEXT, newlines)
        self.import_lines_found = _Lines(source, _IMPORT_TEXT, newlines)
        # names bound to what decorators refer to
        self.pytest_names: set[str] = set()
        self.mark_names: set[str] = set()
        self.fixture_names: set[str] = set()
        self.param_names: set[str] = set()
        self.given_names: set[str] = set()
        self.patch_names: set[str] = set()
        self.mock_names: set[str] = set()
        self.skip_names: set[str] = set()
        #: names bound to an uncalled mark (``parametrize = pytest.mark.parametrize``)
        self.named_marks: dict[str, str] = {}
        self.imported: set[str] = set()
        self.relative_import = False
        #: Dotted names of what is imported (``urllib.parse``, ``urllib.request``…).
        self.modules: set[str] = set()
        self.import_lines: dict[str, int] = {}
        self._aliases(tree)

    # -- imports and aliases

    def _aliases(self, tree: ast.Module) -> None:
        for node in self.import_lines_found.walk(tree.body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    self.imported.add(top)
                    self.modules.add(alias.name)
                    self.import_lines.setdefault(top, node.lineno)
                    bound = alias.asname or top
                    if alias.name == "pytest":
                        self.pytest_names.add(bound)
                    elif alias.name in ("mock", "unittest.mock") and alias.asname:
                        self.mock_names.add(bound)
                    elif alias.name == "mock":
                        self.mock_names.add("mock")
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level > 0:
                    self.relative_import = True
                if node.level == 0 and module:
                    top = module.split(".")[0]
                    self.imported.add(top)
                    self.modules.add(module)
                    self.modules.update(f"{module}.{alias.name}" for alias in node.names)
                    self.import_lines.setdefault(top, node.lineno)
                for alias in node.names:
                    bound = alias.asname or alias.name
                    if module in ("pytest", "_pytest.mark") and alias.name == "mark":
                        self.mark_names.add(bound)
                    elif module in ("pytest", "pytest_asyncio") and alias.name == "fixture":
                        self.fixture_names.add(bound)
                    elif module == "pytest" and alias.name == "param":
                        self.param_names.add(bound)
                    elif module == "pytest" and alias.name == "skip":
                        self.skip_names.add(bound)
                    elif module == "hypothesis" and alias.name == "given":
                        self.given_names.add(bound)
                    elif module in ("unittest", "") and alias.name == "mock":
                        self.mock_names.add(bound)
                    elif module in ("mock", "unittest.mock") and alias.name == "patch":
                        self.patch_names.add(bound)
        for match in _DYNAMIC_IMPORT.finditer(self.source):
            self.imported.add(match.group(1).decode().split(".")[0])

    def note(self, text: str) -> None:
        if len(self.notes) < _MAX_NOTES:
            self.notes.append(text)

    # -- marks

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

    # -- lengths

    def length(self, node: ast.expr, class_scope: Mapping[str, _Len] | None = None) -> _Len:
        """The length of a sequence expression (see the module docstring), or a formula."""
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            parts: list[_Len] = []
            plain = 0
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    parts.append(self.length(element.value, class_scope))
                else:
                    plain += 1
            if isinstance(node, ast.Set) and not parts:
                constants = [e.value for e in node.elts if isinstance(e, ast.Constant)]
                if len(constants) == plain:
                    plain = len(set(constants))
            return _sum(plain, parts)
        if isinstance(node, ast.Dict):
            parts = [
                self.length(v, class_scope)
                for k, v in zip(node.keys, node.values, strict=True)
                if k is None
            ]
            return _sum(sum(1 for k in node.keys if k is not None), parts)
        if isinstance(node, ast.Constant):
            return len(node.value) if isinstance(node.value, (str, bytes)) else None
        if isinstance(node, (ast.Name, ast.Attribute)):
            dotted = dotted_name(node)
            if dotted is None:
                return None
            if class_scope is not None and dotted in class_scope:
                return class_scope[dotted]
            return _Ref(dotted)
        if isinstance(node, ast.BinOp):
            left = self.length(node.left, class_scope)
            right = self.length(node.right, class_scope)
            if isinstance(node.op, ast.Add):
                return _Op("sum", (left, right))
            if isinstance(node.op, ast.Mult):
                if isinstance(node.right, ast.Constant) and isinstance(node.right.value, int):
                    return _Op("prod", (left, node.right.value))
                if isinstance(node.left, ast.Constant) and isinstance(node.left.value, int):
                    return _Op("prod", (node.left.value, right))
            return None
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            if any(generator.ifs or generator.is_async for generator in node.generators):
                return None
            return _Op("prod", tuple(self.length(g.iter, None) for g in node.generators))
        if isinstance(node, ast.Call):
            return self._call_length(node, class_scope)
        return None

    def _call_length(self, node: ast.Call, class_scope: Mapping[str, _Len] | None) -> _Len:
        name = dotted_name(node.func)
        if name is None:
            if (
                isinstance(node.func, ast.Attribute)
                and node.func.attr in ("items", "keys", "values")
                and not node.args
            ):
                return self.length(node.func.value, class_scope)
            return None
        last = name.rsplit(".", 1)[-1]
        args = node.args
        if node.keywords and last not in ("sorted", "product"):
            return None
        if last == "range" and 1 <= len(args) <= 3:
            bounds = [_int_constant(a) for a in args]
            if all(b is not None for b in bounds):
                return len(range(*[b for b in bounds if b is not None]))
            return None
        if last in ("list", "tuple", "sorted", "reversed", "enumerate") and len(args) == 1:
            return self.length(args[0], class_scope)
        if last == "zip" and args:
            return _Op("min", tuple(self.length(a, class_scope) for a in args))
        if last == "product" and args and not node.keywords:
            return _Op("prod", tuple(self.length(a, class_scope) for a in args))
        if last == "chain" and args:
            return _Op("sum", tuple(self.length(a, class_scope) for a in args))
        if (
            last in ("items", "keys", "values")
            and not args
            and isinstance(node.func, ast.Attribute)
        ):
            return self.length(node.func.value, class_scope)
        return None

    # -- conditions

    def truth(self, node: ast.expr) -> bool | None:
        """The value of a module-level condition, when it can be known."""
        if isinstance(node, ast.Constant):
            return bool(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            value = self.truth(node.operand)
            return None if value is None else not value
        if isinstance(node, ast.BoolOp):
            values = [self.truth(v) for v in node.values]
            if isinstance(node.op, ast.And):
                if any(v is False for v in values):
                    return False
                return True if all(v is True for v in values) else None
            if any(v is True for v in values):
                return True
            return False if all(v is False for v in values) else None
        dotted = dotted_name(node)
        if dotted in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            return False
        if isinstance(node, ast.Name):
            bound = self.bindings.get(node.id)
            return bound.truth if isinstance(bound, _Value) else None
        if isinstance(node, ast.Call):
            func = dotted_name(node.func)
            if (
                func == "sys.platform.startswith"
                and len(node.args) == 1
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, (str, tuple))
            ):
                return self.platform.startswith(node.args[0].value)
            return None
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left = self._known_value(node.left)
            right = self._known_value(node.comparators[0])
            if left is None or right is None:
                return None
            try:
                return bool(_COMPARE[type(node.ops[0])](left, right))
            except (KeyError, TypeError):
                return None
        return None

    def _known_value(self, node: ast.expr) -> object | None:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Tuple):
            values = [self._known_value(e) for e in node.elts]
            return None if any(v is None for v in values) else tuple(values)
        dotted = dotted_name(node)
        if dotted == "__name__":
            return "__pytest_module__"
        if dotted == "sys.platform":
            return self.platform
        if dotted == "os.name":
            return "nt" if self.platform.startswith("win") else "posix"
        if dotted in ("sys.version_info", "version_info"):
            return (*self.version, 99, "final", 0)
        if dotted == "sys.version_info.major":
            return self.version[0]
        if dotted == "sys.version_info.minor":
            return self.version[1]
        if isinstance(node, ast.Subscript) and dotted_name(node.value) in (
            "sys.version_info",
            "version_info",
        ):
            full = (*self.version, 99, "final", 0)
            index = node.slice
            if isinstance(index, ast.Slice):
                lower = _int_constant(index.lower) if index.lower else 0
                upper = _int_constant(index.upper) if index.upper else len(full)
                if lower is None or upper is None or index.step is not None:
                    return None
                return full[lower:upper]
            position = _int_constant(index)
            return full[position] if position is not None and 0 <= position < 2 else None
        return None

    # -- functions and classes

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

    def klass(self, node: ast.ClassDef) -> _Class:
        marks: list[_MarkLike] = []
        init_decorated = False
        for decorator in node.decorator_list:
            self.uses_in(decorator)
            mark = self.mark(decorator, None)
            if mark is not None:
                marks.append(mark)
                continue
            name = (
                dotted_name(decorator.func if isinstance(decorator, ast.Call) else decorator) or ""
            )
            if name in _DATACLASS_DECORATORS or name.rsplit(".", 1)[-1] in _DATACLASS_DECORATORS:
                init_decorated = True
            elif not isinstance(decorator, ast.Call) and name:
                marks.append(_MarkRef(name))
        metaclass = None
        for keyword in node.keywords:
            if keyword.arg == "metaclass":
                metaclass = dotted_name(keyword.value) or ""
        members: dict[str, _Member] = {}
        scope: dict[str, _Len] = {}
        state = _ClassState()
        self._class_body(node.body, members, scope, state)
        marks.extend(state.pytestmark)
        return _Class(
            name=node.name,
            line=node.lineno,
            bases=tuple(dotted_name(base) or "" for base in node.bases),
            metaclass=metaclass,
            init_decorated=init_decorated,
            marks=tuple(marks),
            members=tuple(members.items()),
            dunder_test=state.dunder_test,
            has_init="__init__" in members,
            has_new="__new__" in members,
            generate_tests="pytest_generate_tests" in members,
        )

    def _class_body(
        self,
        body: Sequence[ast.stmt],
        members: dict[str, _Member],
        scope: dict[str, _Len],
        state: _ClassState,
    ) -> None:
        for statement in body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                members[statement.name] = self.function(statement, scope)
            elif isinstance(statement, ast.ClassDef):
                members[statement.name] = self.klass(statement)
            elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
                value = statement.value
                targets = (
                    statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                )
                if value is None:
                    continue
                for target in targets:
                    if isinstance(target, ast.Name):
                        self._class_assign(
                            target.id, value, statement.lineno, members, scope, state
                        )
                    elif (
                        isinstance(target, ast.Attribute)
                        and target.attr == "__test__"
                        and isinstance(target.value, ast.Name)
                    ):
                        self._set_function_test(members, target.value.id, value)
            elif isinstance(statement, ast.If):
                truth = self.truth(statement.test)
                if truth is not False:
                    self._class_body(statement.body, members, scope, state)
                if truth is not True:
                    self._class_body(statement.orelse, members, scope, state)
            elif isinstance(statement, ast.Try):
                for block in (statement.body, *(h.body for h in statement.handlers)):
                    self._class_body(block, members, scope, state)
                self._class_body(statement.orelse, members, scope, state)
                self._class_body(statement.finalbody, members, scope, state)
            elif isinstance(statement, ast.Delete):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        members.pop(target.id, None)

    def _class_assign(
        self,
        name: str,
        value: ast.expr,
        line: int,
        members: dict[str, _Member],
        scope: dict[str, _Len],
        state: _ClassState,
    ) -> None:
        if name == "__test__":
            state.dunder_test = bool(value.value) if isinstance(value, ast.Constant) else None
            return
        if name == "pytestmark":
            self.uses_in(value)
            state.pytestmark = tuple(self.marks_in(value, scope))
            return
        members[name] = self._binding(value, line, scope)
        scope[name] = self.length(value, scope)

    def _binding(self, value: ast.expr, line: int, scope: Mapping[str, _Len] | None) -> _Member:
        if isinstance(value, ast.Lambda):
            return _Lambda(line)
        dotted = dotted_name(value)
        if dotted is not None and not self._is_mark_base(value):
            if self._mark_name(value) is not None:
                self.uses_in(value)
                return _Marks(tuple(self.marks_in(value, scope)), line)
            return _Alias(dotted, line)
        if self._looks_like_marks(value):
            self.uses_in(value)
            return _Marks(tuple(self.marks_in(value, scope)), line)
        return _Value(
            line,
            self.length(value, scope),
            isinstance(value, ast.Call),
            self.truth(value)
            if isinstance(value, (ast.Compare, ast.BoolOp, ast.UnaryOp))
            else None,
        )

    def _looks_like_marks(self, value: ast.expr) -> bool:
        if isinstance(value, (ast.List, ast.Tuple)):
            return bool(value.elts) and all(self._looks_like_marks(e) for e in value.elts)
        if isinstance(value, ast.Call):
            return self._mark_name(value.func) is not None
        return self._mark_name(value) is not None

    @staticmethod
    def _set_function_test(members: dict[str, _Member], name: str, value: ast.expr) -> None:
        found = members.get(name)
        if isinstance(found, _Func) and isinstance(value, ast.Constant):
            members[name] = replace(found, dunder_test=bool(value.value))

    # -- the module body

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

    @staticmethod
    def _guards(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...] | None:
        """The names that every ``metafunc.parametrize`` in the hook is guarded by (``"x" in
        metafunc.fixturenames``); None when some call is not guarded."""
        if not node.args.args:
            return ()
        metafunc = node.args.args[0].arg
        names: set[str] = set()

        def visit(statements: Sequence[ast.stmt], guards: tuple[str, ...]) -> bool:
            for statement in statements:
                if isinstance(statement, ast.If):
                    extra = _fixturenames_guard(statement.test, metafunc)
                    if not visit(statement.body, guards + extra):
                        return False
                    if not visit(statement.orelse, guards):
                        return False
                    continue
                own = [
                    child
                    for child in _walk_outside_defs(
                        [c for c in ast.iter_child_nodes(statement) if isinstance(c, ast.expr)]
                    )
                    if isinstance(child, ast.Call)
                    and isinstance(child.func, ast.Attribute)
                    and child.func.attr == "parametrize"
                    and dotted_name(child.func.value) == metafunc
                ]
                if own:
                    if not guards:
                        return False
                    names.update(guards)
                nested = [s for s in ast.iter_child_nodes(statement) if isinstance(s, ast.stmt)]
                if nested and not visit(nested, guards):
                    return False
            return True

        return tuple(sorted(names)) if visit(node.body, ()) else None


@dataclass
class _ClassState:
    dunder_test: bool | None = None
    pytestmark: tuple[_MarkLike, ...] = ()


_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def _fixturenames_guard(test: ast.expr, metafunc: str) -> tuple[str, ...]:
    """Names X of ``"X" in metafunc.fixturenames`` (also in an ``and``)."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        found: tuple[str, ...] = ()
        for value in test.values:
            found += _fixturenames_guard(value, metafunc)
        return found
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.In)
        and isinstance(test.left, ast.Constant)
        and isinstance(test.left.value, str)
        and dotted_name(test.comparators[0]) == f"{metafunc}.fixturenames"
    ):
        return (test.left.value,)
    return ()


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


def _int_constant(node: ast.expr | None) -> int | None:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    ):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int)
    ):
        return -node.operand.value
    return None


def _sum(plain: int, parts: Sequence[_Len]) -> _Len:
    return _Op("sum", (plain, *parts)) if parts else plain


def _server_evidence(reader: _Reader, tree: ast.Module) -> tuple[list[tuple[int, str]], bool]:
    """(line, what) of the module's talk to a running server; and whether HTTP is mocked."""
    mocked = bool(reader.imported & _HTTP_MOCKS)
    found: list[tuple[int, str]] = []
    for top in ("selenium", "playwright"):
        if top in reader.imported:
            found.append((reader.import_lines.get(top, 1), f"{top} imported"))
    if not reader.server_lines:
        return found, mocked
    http_names = {name for name in _HTTP_CLIENT_CLASSES if name in reader.imported}
    networked = any(
        module in _NETWORK_MODULES or module.startswith(_NETWORK_PREFIXES)
        for module in reader.modules
    )
    for node in reader.server_lines.walk([tree]):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and networked
            and not mocked
        ):
            match = _LOCAL_URL.search(node.value)
            if match:
                found.append((node.lineno, f"URL {_short(match.group(0))}"))
        elif isinstance(node, ast.Call):
            what = _server_call(node, http_names, mocked)
            if what:
                found.append((node.lineno, what))
        elif isinstance(node, ast.arg) and node.arg == "live_server":
            found.append((node.lineno, "live_server fixture"))
        elif isinstance(node, ast.ClassDef) and any(
            (dotted_name(base) or "").endswith("LiveServerTestCase") for base in node.bases
        ):
            found.append((node.lineno, "LiveServerTestCase"))
    return sorted(set(found)), mocked


def _server_call(node: ast.Call, http_names: set[str], mocked: bool) -> str | None:
    name = dotted_name(node.func)
    if name is None:
        return None
    head, _, tail = name.partition(".")
    if not mocked:
        if head in http_names and (tail in _HTTP_VERBS or tail in _HTTP_CLIENT_CLASSES[head]):
            if head == "httpx" and any(kw.arg in ("app", "transport") for kw in node.keywords):
                return None
            return f"{name}() call"
        if name.endswith("urlopen") or name.rsplit(".", 1)[-1] in (
            "HTTPConnection",
            "HTTPSConnection",
        ):
            return f"{name}() call"
    if name in ("socket.create_connection", "websocket.create_connection", "websockets.connect"):
        return f"{name}() call"
    if (
        name.endswith(".connect")
        and node.args
        and isinstance(node.args[0], ast.Tuple)
        and len(node.args[0].elts) == 2
    ):
        return "socket connect"
    if head == "webdriver" and tail:
        return f"selenium {name}()"
    return None


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summarize(path: str, source: bytes, version: tuple[int, int], platform: str) -> _Summary:
    """What a file says (errors come back as data)."""
    collecting = gc.isenabled()
    gc.disable()  # an AST has no cycles: the collector would only walk it, again and again
    try:
        return _summarize_parsed(path, source, version, platform)
    finally:
        if collecting:
            gc.enable()


def _summarize_parsed(
    path: str, source: bytes, version: tuple[int, int], platform: str
) -> _Summary:
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return _Summary(path, error=f"line {exc.lineno}: SyntaxError: {exc.msg}")
    except (ValueError, UnicodeDecodeError) as exc:
        return _Summary(path, error=f"line 1: {type(exc).__name__}: {exc}")
    reader = _Reader(path, source, tree, version, platform)
    reader.module(tree.body)
    if len(_MARK_USE_TEXT.findall(source)) > len(set(reader.marker_uses)):
        # some marks are elsewhere (in a function body, a call…): look everywhere
        reader.marker_uses = []
        reader.uses_in(tree)
    evidence, mocked = _server_evidence(reader, tree)
    return _Summary(
        path=path,
        bindings=tuple(reader.bindings.items()),
        star_imports=tuple(reader.star_imports),
        pytestmark=reader.pytestmark,
        dunder_test=reader.dunder_test,
        generate_tests=reader.generate_tests,
        collect_ignore=tuple(reader.collect_ignore) if reader.collect_ignore is not None else None,
        collect_ignore_glob=(
            tuple(reader.collect_ignore_glob) if reader.collect_ignore_glob is not None else None
        ),
        pytest_plugins=tuple(reader.pytest_plugins),
        hooks=tuple(reader.hooks),
        skip=reader.skip,
        notes=tuple(reader.notes),
        imported=tuple(sorted(reader.imported)),
        relative_import=reader.relative_import,
        server_evidence=tuple(evidence),
        mocks_http=mocked,
        marker_uses=tuple(sorted(set(reader.marker_uses), key=lambda use: (use[1], use[0]))),
    )


#: A task for a worker: absolute path, project path, Python version, platform, and for a file
#: that is read only if it may hold tests, the text a test function's ``def`` starts with.
_Task = tuple[str, str, tuple[int, int], str, "bytes | None"]


def _job(task: _Task) -> _Summary:
    """Worker: one file's summary."""
    absolute, path, version, platform, needed = task
    try:
        source = read_bytes(absolute)
    except OSError as exc:
        return _Summary(path, error=f"line 1: cannot be read: {exc.strerror}")
    if needed is not None and not re.search(needed, source):
        return _Summary(path, unread=True)  # no test-like function: not worth a parse
    return _summarize(path, source, version, platform)


# -- finding the files --------------------------------------------------------------------------


def _fnmatch_ex(pattern: str, path: Path) -> bool:
    """pytest's ``fnmatch_ex``: the name, or for a pattern with a ``/`` the whole path."""
    if os.sep not in pattern and "/" not in pattern:
        return fnmatch.fnmatch(path.name, pattern)
    pattern = pattern.replace("/", os.sep)
    if not Path(pattern).is_absolute():
        pattern = f"*{os.sep}{pattern}"
    return fnmatch.fnmatch(str(path), pattern)


def _in_venv(path: Path) -> bool:
    try:
        return (path / "pyvenv.cfg").is_file() or (path / "conda-meta" / "history").is_file()
    except OSError:
        return False


def _content(name: str) -> bool:
    """A file that is something in a folder (data, a script), not Python (read apart) nor a
    placeholder (``.gitkeep``, a README)."""
    return not (
        name.endswith((".py", ".pyc"))
        or name in _PLACEHOLDERS
        or name.partition(".")[0].upper() == "README"
    )


def _noise(name: str) -> bool:
    """A folder never worth reporting on (pytest's default norecursedirs, caches, packages)."""
    return name in ("__pycache__", "site-packages") or any(
        fnmatch.fnmatch(name, pattern) for pattern in DEFAULT_NORECURSEDIRS
    )


@dataclass
class _Folder:
    """A folder pytest walks, as the empty-folder rule needs it."""

    path: str
    #: In the test tree (see ``_Walker._visit``).
    testish: bool
    root: bool
    #: Named like a test folder (test, tests, *_tests…) or a test category (e2e, integration…).
    named: bool
    #: At the top of the test tree: its parent is not in it, is a testpaths root, or is a
    #: test folder at the top (``tests/e2e``).
    top: bool
    #: The outermost folder of its test tree.
    outermost: bool
    #: Its own .py files: name -> "init" | "conftest" | "test" | "other".
    files: dict[str, str] = field(default_factory=dict)
    #: It holds something besides Python files and placeholders (``.gitkeep``, a README): data,
    #: a script in another language, or a folder pytest is told not to walk.
    others: bool = False


@dataclass
class _Walk:
    test_files: list[str] = field(default_factory=list)
    conftests: list[str] = field(default_factory=list)
    #: .py files pytest does not collect that may hold tests: path -> reason.
    candidates: dict[str, str] = field(default_factory=dict)
    folders: dict[str, _Folder] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)
    #: Test modules and conftest.py files that are FIFOs, devices or sockets: path -> why.
    unreadable: dict[str, str] = field(default_factory=dict)


class _Walker:
    def __init__(
        self, project: _Project, options: InventoryOptions, version: tuple[int, int], platform: str
    ) -> None:
        self.project = project
        self.dir = project.dir
        self.options = options
        self.version = version
        self.platform = platform
        self.result = _Walk()
        self.guard = FolderGuard()
        self.conftest_summaries: dict[str, _Summary] = {}
        #: Some conftest.py sets collect_ignore or collect_ignore_glob.
        self.ignoring = False
        self.files_text = ", ".join(options.python_files)
        self.testpaths_text = ", ".join(options.testpaths)
        self.user_patterns = tuple(
            p for p in options.norecursedirs if p not in DEFAULT_NORECURSEDIRS
        )

    def rel(self, path: Path) -> str:
        relative = path.relative_to(self.dir).as_posix()
        return "" if relative == "." else relative

    def run(self) -> _Walk:
        roots: list[Path] = []
        for pattern in self.options.testpaths:
            # pytest globs testpaths with glob.glob(recursive=True); this finds the same paths
            # without following links to folders in circles
            matches = glob_once(self.dir, pattern)
            for found in sorted(matches):
                path = (self.dir / found).resolve()
                if path.exists() and path not in roots:
                    roots.append(path)
        if not roots:
            roots = [self.dir]
        self.roots = set(roots)
        self.ancestors: set[Path] = set()
        for root in roots:
            self.ancestors.update(p for p in root.parents if p == self.dir or self.dir in p.parents)
        self.ancestors -= self.roots
        self.result.roots = [self.rel(root) for root in roots]
        state = "collect" if self.dir in self.roots else "ancestor"
        self._visit(self.dir, state, None, False)
        return self.result

    def _visit(self, folder: Path, state: str, reason: str | None, testish: bool) -> None:
        """Walk ``folder``: ``state`` is "collect" (pytest walks it), "ancestor" (it holds a
        testpaths root) or "outside" (``reason``); ``testish``: its parent is in the test tree.

        Symbolic links to folders are followed, as pytest does, but never into a folder the
        walk is inside (``tests/self -> ..``), and into a linked folder once."""
        identity = self.guard.enter(folder, is_link(folder))
        if identity is None:
            return
        try:
            self._visit_folder(folder, state, reason, testish)
        finally:
            self.guard.leave(identity)

    def _visit_folder(self, folder: Path, state: str, reason: str | None, testish: bool) -> None:
        """``_visit``'s work, once the folder is known to be new to the walk.

        A folder is in the test tree when its parent is, when it is named like a test folder,
        when it is a testpaths root, when it holds test modules pytest collects, or when it is
        named like a test category and sits in the project folder or a testpaths root."""
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            return
        rel = self.rel(folder)
        files = [e for e in entries if e.name.endswith(".py") and entry_is_file(e)]
        if state != "outside":
            self._note_special(
                e for e in entries if e.name.endswith(".py") and not entry_is_file(e)
            )
        dirs = [e for e in entries if entry_is_dir(e)]
        names = {e.name for e in files}
        if state != "outside" and "conftest.py" in names:
            self._conftest(folder / "conftest.py")
        collected: dict[str, str] = {}
        for entry in files:
            path = Path(entry.path)
            kind = self._file_kind(path, state)
            collected[entry.name] = kind
        parent_in_tree = testish
        is_root = folder in self.roots and folder != self.dir
        named_test = _test_folder_name(folder.name)
        category = category_of_name(folder.name) is not None
        at_top = folder.parent == self.dir or folder.parent in self.roots
        testish = (
            testish
            or named_test
            or is_root
            or (category and at_top)
            or "test" in collected.values()
        )
        if state == "collect":
            parent = self.result.folders.get(self.rel(folder.parent)) if rel else None
            top = (
                not parent_in_tree
                or folder.parent in self.roots
                or (parent is not None and parent.top and _test_folder_name(folder.parent.name))
            )
            self.result.folders[rel] = _Folder(
                rel,
                testish,
                is_root,
                named_test or category,
                top,
                not parent_in_tree,
                {
                    name: (
                        "init"
                        if name == "__init__.py"
                        else "conftest"
                        if name == "conftest.py"
                        else "test"
                        if kind == "test"
                        else "other"
                    )
                    for name, kind in collected.items()
                },
                any(entry_is_file(e) and _content(e.name) for e in entries),
            )
        for entry in files:
            path = Path(entry.path)
            kind = collected[entry.name]
            relpath = self.rel(path)
            if kind == "test":
                self.result.test_files.append(relpath)
                self.result.sizes[relpath] = _size(entry)
                continue
            if entry.name == "conftest.py" and state != "outside":
                continue
            why = self._why_not(path, state, reason, kind)
            matches = self._matches_files(path)
            if why is not None and (matches or testish):
                self.result.candidates[relpath] = why
                self.result.sizes[relpath] = _size(entry)
        for entry in dirs:
            path = Path(entry.path)
            if entry.name == "__pycache__" or _in_venv(path):
                continue
            if state == "ancestor":
                if path in self.roots:
                    self._visit(path, "collect", None, testish)
                elif path in self.ancestors:
                    self._visit(path, "ancestor", None, testish)
                elif not _noise(entry.name):
                    self._visit(
                        path, "outside", f"outside testpaths ({self.testpaths_text})", testish
                    )
            elif state == "collect":
                if path in self.roots or path in self.ancestors:
                    self._visit(path, "collect", None, testish)
                    continue
                pattern = next(
                    (p for p in self.options.norecursedirs if _fnmatch_ex(p, path)), None
                )
                if pattern is not None:
                    if pattern in self.user_patterns and not _noise(entry.name):
                        self.result.folders[rel].others = True
                        self._visit(
                            path,
                            "outside",
                            f"folder {entry.name!r} matches norecursedirs {pattern!r}",
                            testish,
                        )
                    continue
                ignored = self._ignored(path)
                if ignored is not None:
                    if not _noise(entry.name):
                        self.result.folders[rel].others = True
                        self._visit(path, "outside", ignored, testish)
                    continue
                self._visit(path, "collect", None, testish)
            elif not _noise(entry.name):
                self._visit(path, "outside", reason, testish)

    def _note_special(self, entries: Iterable[os.DirEntry[str]]) -> None:
        """Record each test module or conftest.py that is a FIFO, a device or a socket:
        pytest does not collect it, and covgap does not open it (that could block)."""
        for entry in entries:
            kind = special_kind(entry.path)
            if kind is not None and (
                entry.name == "conftest.py" or self._matches_files(Path(entry.path))
            ):
                self.result.unreadable[self.rel(Path(entry.path))] = (
                    f"not a regular file ({kind}); not read (pytest does not collect it either)"
                )

    def _file_kind(self, path: Path, state: str) -> str:
        """ "test" when pytest collects the file, else "ignored:<why>" or "no"."""
        if path in self.roots:
            return "test"
        if state != "collect" or path.name == "conftest.py":
            return "no"
        ignored = self._ignored(path)
        if ignored is not None:
            return "ignored:" + ignored
        return "test" if self._matches_files(path) else "no"

    def _matches_files(self, path: Path) -> bool:
        return any(_fnmatch_ex(pattern, path) for pattern in self.options.python_files)

    def _why_not(self, path: Path, state: str, reason: str | None, kind: str) -> str | None:
        name_reason = (
            None
            if self._matches_files(path)
            else f"{path.name}: does not match python_files ({self.files_text})"
        )
        if kind.startswith("ignored:"):
            return kind[len("ignored:") :]
        if state == "collect":
            return name_reason
        where = reason if state == "outside" else f"outside testpaths ({self.testpaths_text})"
        return f"{where}; {name_reason}" if name_reason else where

    def _conftest(self, path: Path) -> None:
        rel = self.rel(path)
        try:
            source = read_bytes(path)
        except OSError as exc:
            summary = _Summary(rel, error=f"line 1: cannot be read: {exc.strerror}")
        else:
            summary = _summarize(rel, source, self.version, self.platform)
        self.conftest_summaries[rel] = summary
        self.project.summaries[rel] = summary
        if summary.collect_ignore is not None or summary.collect_ignore_glob is not None:
            self.ignoring = True
        self.result.conftests.append(rel)

    def _ignored(self, path: Path) -> str | None:
        """Why the closest conftest.py's ``collect_ignore`` / ``collect_ignore_glob`` ignore it."""
        if not self.ignoring:
            return None
        plain = globbed = False
        folder = path.parent
        while True:
            conftest = self.conftest_summaries.get(self.rel(folder / "conftest.py"))
            if conftest is not None:
                if not plain and conftest.collect_ignore is not None:
                    plain = True
                    if any(
                        (folder / entry).resolve() == path
                        and self.project.conditions(conftest, conditions)
                        for entry, conditions in conftest.collect_ignore
                    ):
                        return f"ignored by collect_ignore in {conftest.path}"
                if not globbed and conftest.collect_ignore_glob is not None:
                    globbed = True
                    if any(
                        fnmatch.fnmatch(str(path), str(folder / entry))
                        and self.project.conditions(conftest, conditions)
                        for entry, conditions in conftest.collect_ignore_glob
                    ):
                        return f"ignored by collect_ignore_glob in {conftest.path}"
            if folder == self.dir or self.dir not in folder.parents:
                return None
            folder = folder.parent


def _size(entry: os.DirEntry[str]) -> int:
    try:
        return entry.stat().st_size
    except OSError:
        return 0


def _parse_all(
    project_dir: Path,
    paths: Sequence[str],
    sizes: Mapping[str, int],
    jobs: int,
    version: tuple[int, int],
    platform: str,
    candidates: Mapping[str, bytes | None],
) -> dict[str, _Summary]:
    tasks: list[_Task] = [
        (str(project_dir / path), path, version, platform, candidates.get(path)) for path in paths
    ]
    workers = jobs
    if workers <= 0:
        total = sum(sizes.get(path, 0) for path in paths)
        workers = min(os.cpu_count() or 1, 8) if total >= _PARALLEL_BYTES else 1
    if workers <= 1 or len(tasks) < 4:
        return {task[1]: _job(task) for task in tasks}
    # biggest first, so that no worker is left with a large file at the end
    tasks.sort(key=lambda task: -sizes.get(task[1], 0))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        found = pool.map(_job, tasks, chunksize=max(1, len(tasks) // (workers * 16)))
        return {summary.path: summary for summary in found}


# -- names across files -------------------------------------------------------------------------


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


# -- items and fixtures -------------------------------------------------------------------------


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


class _ModuleContext:
    """Collecting one test module."""

    def __init__(self, builder: _Builder, summary: _Summary) -> None:
        self.builder = builder
        self.project = builder.project
        self.options = builder.options
        self.summary = summary
        self.path = summary.path
        self.items: list[TestItem] = []
        self.notes: list[str] = []
        self.error: str | None = None
        self.classes_with_items: set[str] = set()
        self.module_marks = self.resolved_marks(summary.pytestmark, summary)
        self.folder_categories = _folder_categories(self.path)
        hooks: list[_GenTests] = []
        if summary.generate_tests is not None:
            hooks.append(summary.generate_tests)
        parts = self.path.split("/")[:-1]
        for folder in ["", *("/".join(parts[: i + 1]) for i in range(len(parts)))]:
            hook = builder.conftest_hooks.get(folder)
            if hook is not None:
                hooks.append(hook)
        self.hooks = hooks

    def resolved_marks(
        self, marks: Iterable[_MarkLike], owner: _Summary
    ) -> list[tuple[_Mark, int | None]]:
        return [
            (mark, self.project.length(mark.count, where) if mark.name == "parametrize" else None)
            for mark, where in self.project.marks(marks, owner)
        ]

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

    def _note(self, text: str) -> None:
        if len(self.notes) < _MAX_NOTES:
            self.notes.append(text)

    # -- classes

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

    # -- functions

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


def _matches(name: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        if name.startswith(pattern):
            return True
        if ("*" in pattern or "?" in pattern or "[" in pattern) and fnmatch.fnmatch(name, pattern):
            return True
    return False


def _marker_names(marks: Iterable[tuple[_Mark, int | None]]) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys(
            mark.name for mark, _ in marks if mark.name not in ("parametrize", "usefixtures")
        )
    )


def _folder_categories(path: str) -> tuple[str, ...]:
    """The categories of a test module's folders inside the test tree: from the first folder
    named like a test folder down (``tests/e2e``, ``integration_tests``), or else the top folder
    (``e2e/``): a package folder above the tests (``physics/units/tests``) says nothing."""
    parts = path.split("/")[:-1]
    start = next((i for i, part in enumerate(parts) if _test_folder_name(part)), None)
    parts = parts[start:] if start is not None else parts[:1]
    found = {category_of_name(part) for part in parts}
    found.discard(None)
    return _ordered_categories(c for c in found if c)


def _ordered_categories(categories: Iterable[str]) -> tuple[str, ...]:
    present = set(categories)
    return tuple(c for c in CATEGORIES if c in present)


# -- what pytest does not collect, and empty folders --------------------------------------------


def _test_like(summary: _Summary, options: InventoryOptions) -> int:
    """Functions and methods in a file that look like tests (by the name rules, unparametrized)."""
    count = 0
    for name, member in summary.bindings:
        if (
            isinstance(member, _Func)
            and member.fixture is None
            and _matches(name, options.python_functions)
        ):
            count += 1
        elif isinstance(member, _Class):
            unittest = any(_is_testcase(base) for base in member.bases)
            if not unittest and not _matches(name, options.python_classes):
                continue
            for member_name, inner in member.members:
                if not isinstance(inner, _Func) or inner.fixture is not None:
                    continue
                if (
                    member_name.startswith("test")
                    if unittest
                    else _matches(member_name, options.python_functions)
                ):
                    count += 1
    return count


def _empty_folders(
    walk: _Walk, modules: Sequence[TestModule]
) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    tests: dict[str, int] = {}
    for module in modules:
        parts = module.path.split("/")[:-1]
        count = module.tests if module.error is None else 1  # an error is not "no tests"
        for i in range(len(parts) + 1):
            folder = "/".join(parts[:i])
            tests[folder] = tests.get(folder, 0) + count
    test_modules = {module.path: module for module in modules}
    folders = walk.folders
    children: dict[str, list[str]] = {}
    for folder in folders:
        if folder:
            parent = folder.rpartition("/")[0]
            children.setdefault(parent, []).append(folder)

    def python_files(folder: str) -> Iterator[tuple[str, str]]:
        info = folders[folder]
        for name, kind in info.files.items():
            yield f"{folder}/{name}" if folder else name, kind
        for child in children.get(folder, []):
            yield from python_files(child)

    def holds_others(folder: str) -> bool:
        return folders[folder].others or any(holds_others(c) for c in children.get(folder, []))

    empty: list[str] = []
    near: list[tuple[str, int]] = []
    for folder in sorted(folders):
        info = folders[folder]
        if not folder or not (info.testish or info.root):
            continue
        count = tests.get(folder, 0)
        if count == 0:
            if any(folder.startswith(f"{done}/") for done in empty):
                continue
            files = list(python_files(folder))
            only_plumbing = all(
                kind in ("init", "conftest")
                or (
                    kind == "test"
                    and path in test_modules
                    and not test_modules[path].items
                    and test_modules[path].error is None
                )
                for path, kind in files
            )
            # Anything else (benchmark scripts, fuzz targets, helpers, data) is what the folder
            # is for: it is not a test folder left empty.
            if not only_plumbing or holds_others(folder):
                continue
            fixtures_only = any(kind == "conftest" for _, kind in files)
            # a folder of data only is reported at the top of the tree, or when it is a category
            placeholder = (info.named or info.root) and info.top
            if placeholder and not files:
                name = folder.rpartition("/")[2]
                placeholder = info.outermost or info.root or category_of_name(name) is not None
            if fixtures_only or placeholder:
                empty.append(folder)
        elif count <= NEAR_EMPTY_TESTS and ((info.named and info.top) or info.root):
            near.append((folder, count))
    return tuple(empty), tuple(near)


# -- the inventory ------------------------------------------------------------------------------


def _test_def_pattern(options: InventoryOptions) -> bytes | None:
    """A regex for the ``def`` of a test-like function (None when a pattern is a glob)."""
    prefixes = {*options.python_functions, "test"}
    if any(c in prefix for prefix in prefixes for c in "*?["):
        return None
    names = b"|".join(re.escape(prefix.encode()) for prefix in sorted(prefixes))
    return rb"(?m)^[ \t]*(?:async[ \t]+)?def[ \t]+(?:" + names + rb")"


def read_inventory(project_dir: Path, options: InventoryOptions) -> TestInventory:
    """The project's tests as pytest would collect them with ``options`` (see the module doc)."""
    project_dir = project_dir.resolve()
    version = options.python_version or (sys.version_info[0], sys.version_info[1])
    platform = options.platform or sys.platform
    project = _Project(project_dir, {}, version, platform)
    walker = _Walker(project, options, version, platform)
    walk = walker.run()
    to_parse = [
        path for path in (*walk.test_files, *walk.candidates) if path not in project.summaries
    ]
    needed = _test_def_pattern(options)
    summaries = _parse_all(
        project_dir,
        to_parse,
        walk.sizes,
        options.jobs,
        version,
        platform,
        dict.fromkeys(walk.candidates, needed),
    )
    project.summaries.update(summaries)
    summaries = project.summaries
    project.use_conftests(walk.conftests)
    builder = _Builder(project, options, walk)
    builder.register_conftests()
    builder.count_fixture_users((_PLUGINS,))
    for folder in builder.conftest_dirs:
        builder.count_fixture_users(builder.folder_scopes(folder))
    modules = tuple(builder.module(path) for path in sorted(set(walk.test_files)))
    uncollected = []
    for path, reason in sorted(walk.candidates.items()):
        summary = summaries.get(path)
        if summary is None or summary.error:
            continue
        count = _test_like(summary, options)
        if count:
            uncollected.append(Uncollected(path, reason, count))
    markers = sorted(
        {
            MarkerUse(name, path, line)
            for path in (*walk.test_files, *walk.conftests)
            if (summary := summaries.get(path)) is not None
            for name, line in summary.marker_uses
        },
        key=lambda use: (use.path, use.line, use.name),
    )
    fixtures = tuple(
        Fixture(
            name=definition.name,
            path=key[0],
            line=key[1],
            scope=definition.scope,
            params=definition.params,
            autouse=definition.autouse,
            users=builder.users.get(key, 0),
            parametrized=definition.parametrized,
        )
        for key, definition in sorted(builder.fixture_info.items())
    )
    empty, near = _empty_folders(walk, modules)
    notes = list(builder.notes)
    names: dict[str, list[str]] = {}
    for module in modules:
        names.setdefault(project.module_name(module.path), []).append(module.path)
    for name, paths in sorted(names.items()):
        if len(paths) > 1:
            notes.append(
                f"{' and '.join(paths)} have the same module name {name!r} (no __init__.py): "
                "with pytest's default import mode only the first imports"
            )
    return TestInventory(
        modules=modules,
        fixtures=fixtures,
        markers=tuple(markers),
        empty_folders=empty,
        uncollected=tuple(uncollected),
        near_empty_folders=near,
        declared_markers=options.declared_markers,
        notes=tuple(notes),
        unreadable=tuple(sorted(walk.unreadable.items())),
    )
