"""The tests that already target a function, and what to do with them: extend, run, add a case.

A test targets a function when per-test contexts say it ran the function's lines; else when its
code (with its helpers and fixtures) uses the function (``parse_amount(...)``, for a method its
class and ``.method``), resolved through imports; else when its name mentions the function and
its module imports the function's module. Whether it ran in the measured run comes from the
per-test contexts, the run's test reports, or the coverage of the test modules themselves
(``TestsRun``). Then:

- a test that ran and covers part of the function: **extend** its class or module;
- tests that target the function but were not in the run: **run** them first (also when the
  tests that ran reach it only through other code);
- no test targets it, but tests call a function of the project that calls it: extend those, or
  run them first;
- a data-driven test (parametrized over a folder's files) among them: **add a case** there.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from covgap.analyze.naming import snake
from covgap.collect.suite.test_links import LinkedTest, TestLinks
from covgap.markup import code_span as code
from covgap.model import (
    MODULE_REGION,
    CaseFolder,
    ExistingTest,
    ExistingTests,
    FileCoverage,
    ProjectCoverage,
    Region,
)

__all__ = ["MAX_TESTS", "TestIndex", "TestsRun", "existing_tests", "suite_reaching"]

#: Tests named per function, at most.
MAX_TESTS = 5

#: Method names too common to link a test to a method by ``.name`` alone.
_COMMON_METHODS = frozenset(
    {"get", "set", "run", "add", "update", "close", "open", "read", "write", "load", "save"}
)

_EVIDENCE_ORDER = {"contexts": 0, "calls": 1, "name": 2, "caller": 3, "imports": 4}


@dataclass(frozen=True)
class TestsRun:
    """Which tests ran in the measured run, as far as the data says."""

    __test__ = False

    #: Every test that ran (node ids without parameters), when the data lists them all
    #: (per-test contexts, the run's test reports); None otherwise.
    complete: frozenset[str] | None = None
    #: Tests whose own lines were measured: node id -> whether any of them ran.
    measured: Mapping[str, bool] = field(default_factory=dict)
    #: Where ``complete`` comes from, for a reason: "per-test contexts".
    source: str = ""

    def digest(self) -> str:
        """What advice reads here, for the assessments' cache key."""
        complete = sorted(self.complete) if self.complete is not None else None
        return repr((complete, sorted(self.measured.items()), self.source))

    def ran(self, nodeid: str) -> bool | None:
        if self.complete is not None:
            return nodeid in self.complete
        if nodeid in self.measured:
            return self.measured[nodeid]
        return None

    @classmethod
    def of(
        cls,
        project: ProjectCoverage,
        test_modules: Iterable[str],
        reported: Iterable[str] | None = None,
    ) -> TestsRun:
        """From per-test contexts, else the run's test reports (``reported`` node ids), and
        the test modules' own coverage when they were measured."""
        modules = frozenset(test_modules)
        measured: dict[str, bool] = {}
        for file in project.files:
            if file.path in modules:
                measured.update(_test_functions_ran(file))
        if project.test_contexts:
            complete: frozenset[str] | None = frozenset(
                _without_parameters(n) for n in project.test_contexts
            )
            source = "per-test contexts"
        elif reported is not None:
            complete = frozenset(_without_parameters(n) for n in reported)
            source = "the run's test reports"
        else:
            complete, source = None, "the test modules' coverage" if measured else ""
        return cls(complete, measured, source)


def _without_parameters(nodeid: str) -> str:
    head, separator, last = nodeid.rpartition("::")
    return f"{head}{separator}{last.partition('[')[0]}"


def _test_functions_ran(file: FileCoverage) -> dict[str, bool]:
    """Node id -> whether the test function's body ran, from the test module's own coverage."""
    found: dict[str, bool] = {}
    for region in file.regions:
        if region.kind != "function" or not region.statement_lines:
            continue
        parts = region.name.partition("@")[0].split(".")
        if not parts[-1].startswith("test"):
            continue
        nodeid = "::".join([file.path, *parts])
        found[nodeid] = len(region.missing_lines) < len(region.statement_lines)
    return found


class TestIndex:
    """The project's tests, indexed to find the ones that target a function quickly."""

    __test__ = False

    def __init__(self, links: TestLinks) -> None:
        self.links = links
        self._by_nodeid = {test.nodeid: test for test in links.tests}

    @cached_property
    def _by_last_name(self) -> dict[str, list[tuple[str, LinkedTest]]]:
        """The last part of every dotted name a test uses -> (that name, the test)."""
        index: dict[str, list[tuple[str, LinkedTest]]] = defaultdict(list)
        for test in self.links.tests:
            for reference in test.references:
                index[reference.rpartition(".")[2]].append((reference, test))
        return index

    @cached_property
    def _by_name_word(self) -> dict[str, list[LinkedTest]]:
        index: dict[str, list[LinkedTest]] = defaultdict(list)
        for test in self.links.tests:
            for word in set(test.name.split("_")):
                index[word].append(test)
        return index

    def test(self, nodeid: str) -> LinkedTest | None:
        return self._by_nodeid.get(nodeid)

    @cached_property
    def _by_import(self) -> dict[str, list[LinkedTest]]:
        """A module a test module imports (or imports names of) -> its tests."""
        index: dict[str, list[LinkedTest]] = defaultdict(list)
        for test in self.links.tests:
            modules = set()
            for imported in test.module_imports:
                modules.add(imported)
                modules.add(imported.rpartition(".")[0])
            for module in modules:
                if module:
                    index[module].append(test)
        return index

    def importing(self, module: str) -> list[LinkedTest]:
        """The tests of the test modules that import ``module`` or a name from it."""
        return self._by_import.get(module, [])

    @cached_property
    def _suites(self) -> list[LinkedTest]:
        return [t for t in self.links.tests if t.data is not None and t.data.folder]

    def suites_using(self, module: str) -> list[LinkedTest]:
        """Data-driven tests that use a name of ``module``."""
        prefix = f"{module}."
        return [test for test in self._suites if any(r.startswith(prefix) for r in test.references)]

    def targeting(self, module: str, name: str) -> list[tuple[LinkedTest, str]]:
        """(test, "calls" | "name") for the tests whose code or name targets the function
        ``name`` (``Class.method`` for a method) of ``module``."""
        if not name or name == MODULE_REGION or not module:
            return []
        parts = name.partition("@")[0].split(".")
        top = module.split(".")[0]
        found: dict[str, tuple[LinkedTest, str]] = {}
        if len(parts) == 1:
            for test in self._using(parts[0], module, top):
                found.setdefault(test.nodeid, (test, "calls"))
        elif len(parts) == 2:
            cls, method = parts
            for test in self._using(cls, module, top):
                if method in test.attributes or method == "__init__":
                    found.setdefault(test.nodeid, (test, "calls"))
        for test in self._mentioning(parts, module):
            found.setdefault(test.nodeid, (test, "name"))
        return sorted(found.values(), key=lambda item: (_EVIDENCE_ORDER[item[1]], item[0].nodeid))

    def _using(self, last: str, module: str, top: str) -> list[LinkedTest]:
        """Tests that use ``module.last`` (or ``top.….last``, a re-export of the package)."""
        exact = f"{module}.{last}"
        found = []
        for reference, test in self._by_last_name.get(last, ()):
            if (
                reference == exact
                or reference.startswith(f"{exact}.")
                or (reference.split(".")[0] == top and reference.endswith(f".{last}"))
            ):
                found.append(test)
        return found

    def _mentioning(self, parts: Sequence[str], module: str) -> list[LinkedTest]:
        """Tests named after the function (``test_note_repository_find``, ``test_find_…`` for
        a method whose name is not too common) in modules that import its module."""
        wanted = [snake("_".join(parts)).strip("_")]
        if len(parts) == 2 and len(parts[1]) >= 4 and parts[1] not in _COMMON_METHODS:
            wanted.append(snake(parts[1]).strip("_"))
        found = []
        for phrase in wanted:
            words = [w for w in phrase.split("_") if w]
            if not words:
                continue
            for test in self._by_name_word.get(words[0], ()):
                if f"_{phrase}_" not in f"_{test.name}_":
                    continue
                if any(m == module or m.startswith(f"{module}.") for m in test.module_imports):
                    found.append(test)
        return found


def existing_tests(
    module: str,
    region: Region,
    index: TestIndex | None,
    tests_run: TestsRun,
    callers: Sequence[tuple[str, str, int]] = (),
) -> ExistingTests | None:
    """The tests that already target the function, and what to do with them. ``callers``:
    the project's functions that call it, (module, qualified name, calls away), nearest
    first: when no test targets the function, the nearest ones' tests reach it."""
    if region.kind != "function":
        return _importing_module(module, region, index, tests_run)
    linked: dict[str, ExistingTest] = {}
    for nodeid in region.tested_by:
        linked[nodeid] = ExistingTest(nodeid, "contexts", True)
    targeting = index.targeting(module, region.name) if index is not None else []
    direct = frozenset(test.nodeid for test, _ in targeting)
    for test, evidence in targeting:
        if test.nodeid not in linked:
            linked[test.nodeid] = ExistingTest(test.nodeid, evidence, tests_run.ran(test.nodeid))
    if not linked:
        return _through_callers(module, region, index, tests_run, callers)
    tests = sorted(
        linked.values(),
        key=lambda t: (t.nodeid not in direct, *_rank(t, _affinity(t.nodeid, module, region))),
    )
    shown, more = tuple(tests[:MAX_TESTS]), max(0, len(tests) - MAX_TESTS)
    function = region.display_name
    never_ran = _never_ran(region)
    suite = _suite(tests, index)
    if suite is not None:
        folder = suite.folder or "the folder it reads"
        example = f" (like {code(suite.examples[0])})" if suite.examples else ""
        text = (
            f"{code(suite.nodeid)} runs every file of {code(folder)} matching "
            f"{code(suite.pattern or suite.how)}: add a case file there{example} that reaches "
            f"the missing lines of {code(function)}, rather than a new unit test"
        )
        return ExistingTests("add-case", suite.folder or suite.nodeid, text, shown, more, suite)
    ran = [t for t in tests if t.ran]
    not_run = [t for t in tests if t.ran is False]
    ran_direct = [t for t in ran if t.nodeid in direct]
    not_run_direct = [t for t in not_run if t.nodeid in direct]
    if not_run_direct and ran:
        # Tests written for it did not run: run them before extending the ones that did.
        text = _run_text(not_run_direct, function, tests_run)
        verb = "runs" if len(ran) == 1 else "run"
        text += f" ({_names(ran)} {verb} part of it)" if not never_ran else ""
        return ExistingTests("run", _module_of(not_run_direct[0]), text, shown, more)
    if ran_direct and not never_ran:
        return _extend(ran_direct, function, shown, more)
    if ran and not never_ran:
        return _extend(ran, function, shown, more)
    if not_run:
        text = _run_text(not_run, function, tests_run)
        return ExistingTests("run", _module_of(not_run[0]), text, shown, more)
    unknown = [t for t in tests if t.ran is None] or tests
    target = _owner(unknown[0].nodeid)
    if never_ran:
        text = (
            f"{_names(unknown)} target{'s' if len(unknown) == 1 else ''} {code(function)}, yet "
            f"none of its lines ran: run {code(_module_of(unknown[0]))} (was it "
            "left out of this run?) before writing new tests"
        )
        return ExistingTests("run", _module_of(unknown[0]), text, shown, more)
    verb = "targets" if len(unknown) == 1 else "target"
    text = f"extend {code(target)}: {_names(unknown)} already {verb} {code(function)}"
    return ExistingTests("extend", target, text, shown, more)


def _never_ran(region: Region) -> bool:
    return bool(region.statement_lines) and len(region.missing_lines) == len(region.statement_lines)


def _module_of(test: ExistingTest) -> str:
    return test.nodeid.partition("::")[0]


def _extend(
    ran: Sequence[ExistingTest], function: str, shown: tuple[ExistingTest, ...], more: int
) -> ExistingTests:
    target = _owner(ran[0].nodeid)
    text = (
        f"extend {code(target)}: {_names(ran)} already run{'s' if len(ran) == 1 else ''} "
        f"{code(function)}; add the tests below beside {'it' if len(ran) == 1 else 'them'}"
    )
    return ExistingTests("extend", target, text, shown, more)


def _run_text(not_run: Sequence[ExistingTest], function: str, tests_run: TestsRun) -> str:
    modules = list(dict.fromkeys(_module_of(t) for t in not_run))
    source = f" ({tests_run.source})" if tests_run.source else ""
    return (
        f"run {', '.join(code(m) for m in modules[:3])}: "
        f"{_names(not_run)} test{'s' if len(not_run) == 1 else ''} {code(function)} and "
        f"{'was' if len(not_run) == 1 else 'were'} not in this run{source}; write the tests "
        "below only for the lines still missing after"
    )


def _through_callers(
    module: str,
    region: Region,
    index: TestIndex | None,
    tests_run: TestsRun,
    callers: Sequence[tuple[str, str, int]],
) -> ExistingTests | None:
    """No test targets the function: the tests whose code calls the nearest function that
    calls it (``tests/test_match.py`` calls ``match``, which calls ``Version.match``)."""
    if index is None or not callers:
        return None
    found: dict[str, tuple[ExistingTest, str]] = {}
    nearest = None
    nested = False
    for caller_module, caller, hops in callers:
        if nearest is not None and hops > nearest:
            break  # the nearest callers with tests are the ones to name
        targeting = [t for t in index.targeting(caller_module, caller) if t[1] == "calls"]
        outer = caller.partition("@")[0].split(".")[0]
        if not targeting and "." in caller and not outer[:1].isupper():
            # A function nested in another (``cached.decorator``): the outer one's tests.
            targeting, caller = index.targeting(caller_module, outer), outer
            nested = True
        for test, evidence in targeting:
            if evidence == "calls" and test.nodeid not in found:
                linked = ExistingTest(test.nodeid, "caller", tests_run.ran(test.nodeid))
                found[test.nodeid] = (linked, caller)
                nearest = hops
    if not found:
        return None
    ordered = sorted(
        found.values(),
        key=lambda item: _rank(item[0], _affinity(item[0].nodeid, module, region)),
    )
    tests = [test for test, _ in ordered]
    via = list(dict.fromkeys(caller for _, caller in ordered))
    shown, more = tuple(tests[:MAX_TESTS]), max(0, len(tests) - MAX_TESTS)
    function = region.display_name
    through = ", ".join(code(c.partition("@")[0]) for c in via[:2]) + (
        f" and {len(via) - 2} more" if len(via) > 2 else ""
    )
    if nearest == 1 and not nested:
        which = "calls" if len(via) == 1 else "call"
    else:  # through other functions
        which = "leads to" if len(via) == 1 else "lead to"
    ran = [t for t in tests if t.ran]
    if ran and not _never_ran(region):
        target = _owner(ran[0].nodeid)
        text = (
            f"extend {code(target)}: {_names(ran)} reach{'es' if len(ran) == 1 else ''} "
            f"{code(function)} through {through}, which {which} it; add the cases for its "
            "missing lines there"
        )
        return ExistingTests("extend", target, text, shown, more)
    waiting = [t for t in tests if not t.ran] or tests
    modules = list(dict.fromkeys(_module_of(t) for t in waiting))
    status = "were not in this run" if all(t.ran is False for t in waiting) else "may not have run"
    source = f" ({tests_run.source})" if tests_run.source and "not in" in status else ""
    text = (
        f"run {', '.join(code(m) for m in modules[:3])} first: "
        f"{'its' if len(modules) == 1 else 'their'} tests call {through}, which {which} "
        f"{code(function)}, and {status}{source}; write the tests below only for the lines "
        "still missing after"
    )
    return ExistingTests("run", modules[0], text, shown, more)


def _importing_module(
    module: str, region: Region, index: TestIndex | None, tests_run: TestsRun
) -> ExistingTests | None:
    """For module-level code no test imported: the test modules that import it, to run."""
    if index is None or not _never_ran(region):
        return None
    tests = [
        ExistingTest(t.nodeid, "imports", tests_run.ran(t.nodeid)) for t in index.importing(module)
    ]
    if not tests or any(t.ran for t in tests):
        return None
    modules = list(dict.fromkeys(t.nodeid.partition("::")[0] for t in tests))
    several = len(modules) > 1
    not_run = ""
    if all(t.ran is False for t in tests):
        not_run = f" and {'were' if several else 'was'} not in this run"
        not_run += f" ({tests_run.source})" if tests_run.source else ""
    text = (
        f"run {', '.join(code(m) for m in modules[:3])}: "
        f"{'they import' if several else 'it imports'} {code(module)}{not_run}"
    )
    shown, more = tuple(tests[:MAX_TESTS]), max(0, len(tests) - MAX_TESTS)
    return ExistingTests("run", modules[0], text, shown, more)


def suite_reaching(module: str, region: Region, index: TestIndex) -> ExistingTests | None:
    """For a function no test targets, in a module a data-driven suite already reaches (its
    test calls another function of the module): a case file there may reach it too."""
    if region.kind != "function":
        return None
    suites = index.suites_using(module)
    if not suites:
        return None
    test = suites[0]
    data = test.data
    assert data is not None
    through = sorted(r for r in test.references if r.startswith(f"{module}."))[:2]
    cases = CaseFolder(test.nodeid, data.folder, data.pattern, data.how, data.examples)
    text = (
        f"{code(test.nodeid)} runs every file of {code(data.folder)} matching "
        f"{code(data.pattern)} through {', '.join(code(r) for r in through)}: a case file there "
        f"that reaches {code(region.display_name)} may do instead of a new test module"
    )
    linked = (ExistingTest(test.nodeid, "imports", None),)
    return ExistingTests("add-case", data.folder, text, linked, 0, cases)


def _rank(test: ExistingTest, affinity: int = 0) -> tuple[int, int, int, str]:
    ran = {True: 0, None: 1, False: 2}[test.ran]
    return (_EVIDENCE_ORDER[test.evidence], ran, affinity, test.nodeid)


def _affinity(nodeid: str, module: str, region: Region) -> int:
    """0 when the test's module is named after the function's module or the function
    (``tests/test_api_jws.py`` for ``jwt/api_jws.py``, ``tests/test_match.py`` for
    ``Version.match``) or its class after the function's class (``TestPyJWK`` for
    ``PyJWK.__init__``), 1 otherwise: the home of its tests comes first."""
    path, _, rest = nodeid.partition("::")
    stem = "_".join(re.findall(r"[a-z0-9]+", path.rpartition("/")[2].removesuffix(".py").lower()))
    source = module.rpartition(".")[2].lower().strip("_")
    if source and f"_{source}_" in f"_{stem}_":
        return 0
    parts = region.name.partition("@")[0].split(".")
    last = parts[-1].lower().strip("_")
    if len(last) >= 4 and f"_{last}_" in f"_{stem}_":
        return 0
    owner = parts[0].lower() if len(parts) > 1 else ""
    classes = [p.lower() for p in rest.split("::")[:-1]]
    return (
        0
        if owner and any(c in (f"test{owner}", f"{owner}test", f"{owner}tests") for c in classes)
        else 1
    )


def _owner(nodeid: str) -> str:
    """``tests/test_x.py::TestY::test_z`` -> ``tests/test_x.py::TestY``; a module's test -> its
    module."""
    return nodeid.rpartition("::")[0] or nodeid


def _names(tests: Sequence[ExistingTest]) -> str:
    shown = ", ".join(code(t.nodeid) for t in tests[:2])
    return shown + (f" and {len(tests) - 2} more" if len(tests) > 2 else "")


def _suite(tests: Sequence[ExistingTest], index: TestIndex | None) -> CaseFolder | None:
    """The first data-driven test among ``tests`` whose folder is known."""
    if index is None:
        return None
    for test in tests:
        linked = index.test(test.nodeid)
        if linked is not None and linked.data is not None and linked.data.folder:
            data = linked.data
            return CaseFolder(linked.nodeid, data.folder, data.pattern, data.how, data.examples)
    return None
