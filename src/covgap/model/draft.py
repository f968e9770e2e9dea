"""Drafted tests: the targets, the engines' candidates, what the filter made of them, the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from covgap.model.advice import Harness, Isolation, Suggestion
    from covgap.model.coverage import Numbers

__all__ = [
    "Candidate",
    "DraftResult",
    "DraftTarget",
    "DraftedTest",
    "EngineFunnel",
    "FunctionGain",
    "TestStatus",
    "WrittenFile",
]


@dataclass(frozen=True)
class DraftTarget:
    """A planned function to write tests for, with everything covgap knows of its gap."""

    #: The source file, POSIX, relative to the project folder ("src/shop/text.py").
    path: str
    #: The qualified name inside its module ("camelize", "Cart.add").
    qualname: str
    #: The module's import name ("shop.text").
    module: str
    start_line: int
    end_line: int
    #: The function's source text, as written (decorators included).
    source: str
    missing_lines: tuple[int, ...] = ()
    #: (line, destination) pairs coverage.py reports missing; a negative destination is an exit.
    missing_arcs: tuple[tuple[int, int], ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    isolation: tuple[Isolation, ...] = ()
    #: The test module covgap's placement chose for its tests, and whether it exists.
    test_file: str = ""
    test_file_exists: bool = False
    #: How a method's object is built ("Cart(store)"); "" for a function.
    constructor: str = ""
    harness: Harness | None = None
    is_async: bool = False
    #: Exception names the function raises itself (``raise X``): a test expecting one of them
    #: checks behaviour; expecting another (an IndexError from ``s[0]``) points at a bug.
    raises: tuple[str, ...] = ()
    #: The import statements of the existing test module, as the suite writes them.
    test_imports: tuple[str, ...] = ()
    #: Fixtures the tests can use (names), from the project's conftest files.
    fixtures: tuple[str, ...] = ()
    #: The folder on sys.path from which ``module`` imports ("src", "." for the project folder).
    import_root: str = "."
    #: For a function defined inside another function: the enclosing one's qualified name
    #: (it cannot be imported: tests reach it through that function); "" otherwise.
    enclosing: str = ""
    #: Its decorators, as written without arguments ("validator", "functools.lru_cache").
    decorators: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.path}::{self.qualname}"

    @property
    def name(self) -> str:
        """The last part of the qualified name ("add" for "Cart.add")."""
        return self.qualname.rsplit(".", 1)[-1]

    @property
    def wrapped(self) -> bool:
        """A decorator may change what calling it does (``@validator`` returns an object
        instead of raising): a tool that analyses the undecorated code predicts wrong results."""
        return any(d.rsplit(".", 1)[-1] not in TRANSPARENT_DECORATORS for d in self.decorators)


#: Decorators that leave what a call returns as the function computes it.
TRANSPARENT_DECORATORS = frozenset(
    {
        "staticmethod",
        "classmethod",
        "property",
        "cached_property",
        "setter",
        "getter",
        "deleter",
        "abstractmethod",
        "lru_cache",
        "cache",
        "wraps",
        "overload",
        "override",
        "final",
        "total_ordering",
        "unique",
        "contextmanager",
        "asynccontextmanager",
        "singledispatch",
        "deprecated",
    }
)


@dataclass(frozen=True)
class Candidate:
    """What an engine proposes for one target: a whole test module's source."""

    engine: str
    #: ``DraftTarget.key``.
    target: str
    source: str
    #: A crash probe (the Hypothesis ghostwriter): its failures are findings, its passes are
    #: never kept as coverage.
    probe: bool = False
    #: Which attempt of the engine's loop it is (1 for engines without one).
    attempt: int = 1


TestStatus = Literal[
    # passed every run and added lines or arcs beyond the suite's data and the kept tests
    "kept",
    # passed every run, added nothing new
    "redundant",
    # failed every run with the same exception, raised from the project's code: a suspected bug
    "finding",
    # failed every run for another reason (a wrong oracle, a broken set-up)
    "failed",
    # passed in some runs and failed in others
    "flaky",
    # its module did not import or collect
    "not-built",
    # a crash probe that passed: nothing to report, nothing kept
    "probe-passed",
    # passed every run, but left a global of the project bound to another object: the tests
    # after it would run against changed state
    "pollutes",
]


@dataclass(frozen=True)
class DraftedTest:
    """One candidate test and what the filter made of it."""

    __test__ = False

    engine: str
    target: str
    #: The test function's name in its candidate module ("test_camelize_empty").
    name: str
    status: TestStatus
    runs: int = 0
    passes: int = 0
    #: The failure, one line ("IndexError: string index out of range"); "" when it passed.
    failure: str = ""
    #: For a finding: the call that raised, as the test wrote it ("camelize('', False)").
    call: str = ""
    #: Units it added: ((path, lines), ...) and ((path, arcs), ...), beyond the suite's data and
    #: the tests kept before it.
    new_lines: tuple[tuple[str, tuple[int, ...]], ...] = ()
    new_arcs: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = ()
    #: The test's source: the function, with what it needs from its module.
    source: str = ""
    #: The file it was (or would be) written to, relative to the project; "" when not written.
    written_to: str = ""
    attempt: int = 1


@dataclass(frozen=True)
class EngineFunnel:
    """One engine's funnel: candidate tests → built → passed every run → kept (TestGen-LLM's)."""

    engine: str
    candidates: int = 0
    built: int = 0
    passed: int = 0
    kept: int = 0
    findings: int = 0
    #: Why the engine did not run, or stopped, in one line ("crosshair is not installed …").
    note: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class FunctionGain:
    """A target's coverage before and after the kept tests, in coverage.py's units."""

    target: str
    before: Numbers
    after: Numbers
    kept: int = 0


@dataclass(frozen=True)
class WrittenFile:
    """A new test module: where, what is in it, and whether it is a skeleton to finish."""

    path: str
    tests: tuple[str, ...]
    skeleton: bool = False
    source: str = ""


@dataclass(frozen=True)
class DraftResult:
    """What ``covgap draft`` did: targets, funnels, tests, findings, files, coverage gained."""

    targets: tuple[DraftTarget, ...]
    funnels: tuple[EngineFunnel, ...]
    tests: tuple[DraftedTest, ...]
    files: tuple[WrittenFile, ...]
    #: The project's total before and with the kept tests (coverage.py's, measured: the suite's
    #: data combined with the kept tests' own run); ``after`` is None when nothing was kept.
    before: Numbers
    after: Numbers | None
    functions: tuple[FunctionGain, ...] = ()
    runs: int = 5
    dry_run: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def kept(self) -> tuple[DraftedTest, ...]:
        return tuple(test for test in self.tests if test.status == "kept")

    @property
    def findings(self) -> tuple[DraftedTest, ...]:
        return tuple(test for test in self.tests if test.status == "finding")

    @property
    def flaky(self) -> tuple[DraftedTest, ...]:
        return tuple(test for test in self.tests if test.status == "flaky")
