"""The public model: pytest's collection settings, and the tests, fixtures and marks found."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from covgap.collect.suite.test_inventory.categories import CATEGORIES, UNCATEGORIZED

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


#: A category folder (or test root) with at most this many tests is "near-empty".
NEAR_EMPTY_TESTS = 2


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
