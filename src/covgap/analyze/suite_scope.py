"""Test code and partial runs: which measured files are the suite itself, which of its test
modules did not run, and whether the run was partial (pure functions).

Test code is run, not tested: it is never ranked or planned. coverage.py still counts it in the
total when its ``source`` holds the tests, so the total, the gates and every phase's projection
keep it in their denominator; only the plan's items leave it out.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Collection, Iterable, Mapping
from fnmatch import fnmatchcase
from functools import reduce
from pathlib import PurePosixPath

from covgap.model import (
    FileCoverage,
    Numbers,
    ProjectCoverage,
    SuiteFacts,
    SuiteScope,
    TestOutcome,
    UnrunTests,
)

__all__ = ["TEST_MODULE_NAMES", "find_test_code", "is_test_module_name", "suite_scope"]

#: pytest's default ``python_files``: a file named so is test code wherever it is.
TEST_MODULE_NAMES = ("test_*.py", "*_test.py")
#: Folders whose files are test code once they hold a test module or a conftest.py.
_TEST_FOLDERS = frozenset({"test", "tests"})
#: A folder of this name is test code only at the project's top (pytest's own ``testing/``):
#: inside a package it is usually a library for tests (``numpy.testing``), code to test.
_TOP_TEST_FOLDER = "testing"


def is_test_module_name(path: str) -> bool:
    """Named like a test module by pytest's default ``python_files``."""
    name = PurePosixPath(path).name
    return any(fnmatchcase(name, pattern) for pattern in TEST_MODULE_NAMES)


def _test_folder(folder: PurePosixPath) -> bool:
    return folder.name in _TEST_FOLDERS or (
        folder.name == _TOP_TEST_FOLDER and len(folder.parts) == 1
    )


def find_test_code(paths: Iterable[str], collected: Collection[str] = ()) -> frozenset[str]:
    """Which of ``paths`` (measured files, relative POSIX paths) are test code.

    A file is test code when pytest collects it as a test module (``collected``: the
    inventory's modules, which follow the project's ``python_files`` and ``testpaths``), when it
    is named like a test module by pytest's defaults (``test_*.py``, ``*_test.py``: a suite
    measured outside the project folder, or one the inventory did not read), when it is a
    ``tests.py`` (Django's and unittest discovery's: ``pkg/tests.py``) or a ``conftest.py``, or
    when it lies in a test folder: a ``tests`` or ``test`` folder, or a top-level ``testing``
    folder, that holds a test module or a conftest.py (``tests/helpers.py``; ``django/test/``,
    which holds none, is a library).
    """
    measured = list(paths)
    modules = {
        path
        for path in measured
        if path in collected or is_test_module_name(path) or PurePosixPath(path).name == "tests.py"
    }
    conftests = {path for path in measured if PurePosixPath(path).name == "conftest.py"}
    holders = {*modules, *collected, *conftests}
    folders = {
        parent for path in holders for parent in PurePosixPath(path).parents if _test_folder(parent)
    }
    return frozenset(
        path
        for path in measured
        if path in holders or not folders.isdisjoint(PurePosixPath(path).parents)
    )


def suite_scope(
    project: ProjectCoverage, test_files: Collection[str], facts: SuiteFacts
) -> SuiteScope:
    """What of the suite ran, told by the best evidence there is: ``covgap run``'s outcomes,
    else the per-test contexts, else the test modules' measured lines."""
    by_path = {file.path: file for file in project.files}
    test_numbers = reduce(
        lambda total, path: total + by_path[path].numbers, sorted(test_files), Numbers()
    )
    inventory = {path: tests for path, tests in facts.test_modules if tests}
    # Without an inventory (no test module in the project folder: a suite measured where it is
    # installed), the measured files named like test modules stand for it.
    candidates = inventory or {path: 0 for path in sorted(test_files) if is_test_module_name(path)}
    scope = SuiteScope(
        test_files=tuple(sorted(test_files)),
        test_numbers=test_numbers,
        test_modules=len(candidates),
        tests=sum(inventory.values()) if inventory else None,
        selection=facts.selection if facts.selection and facts.selection.given else None,
        command=facts.command,
    )
    if facts.health is not None and (found := _from_outcomes(candidates, by_path, facts, scope)):
        return found
    if project.test_contexts and (found := _from_contexts(candidates, by_path, project, scope)):
        return found
    return _from_lines(candidates, by_path, scope)


def _module(nodeid: str) -> str:
    return nodeid.partition("::")[0]


def _selected(module: str, paths: Collection[str]) -> bool:
    """Whether pytest given ``paths`` (relative to the project, or node ids) collects
    ``module`` (no path given: all of them)."""
    if not paths:
        return True
    for given in paths:
        folder = posixpath.normpath(_module(given).replace("\\", "/"))
        if folder == "." or module == folder or module.startswith(folder.rstrip("/") + "/"):
            return True
    return False


def _numbers(by_path: Mapping[str, FileCoverage], path: str) -> Numbers | None:
    file = by_path.get(path)
    return file.numbers if file is not None else None


def _from_outcomes(
    candidates: Mapping[str, int],
    by_path: Mapping[str, FileCoverage],
    facts: SuiteFacts,
    scope: SuiteScope,
) -> SuiteScope | None:
    """From ``covgap run``'s outcomes: a module ran when one of its tests has an outcome. None
    when no outcome names a known test module (pytest's node ids are relative to a rootdir
    above the project, say): they cannot be compared."""
    assert facts.health is not None
    collection: dict[str, TestOutcome] = {}
    ran: set[str] = set()
    tests_run = 0
    for test in facts.health.tests:
        if test.phase == "collect" or "::" not in test.nodeid:
            collection[_module(test.nodeid)] = test
        else:
            ran.add(_module(test.nodeid))
            tests_run += 1
    if ran and ran.isdisjoint(candidates):
        return None
    selection = scope.selection
    not_run = []
    for path, tests in sorted(candidates.items()):
        if path in ran:
            continue
        problem = collection.get(path)
        if problem is not None and problem.outcome == "error":
            reason = f"could not be collected: {problem.message}".rstrip(": ")
        elif problem is not None:
            reason = f"skipped: {problem.message}".rstrip(": ")
        elif selection is not None and (selection.options or not _selected(path, selection.paths)):
            reason = "not selected"
        elif facts.health.stopped:
            reason = "the run stopped before it"
        else:
            reason = "no test of it ran"
        not_run.append(UnrunTests(path, tests, _numbers(by_path, path), reason))
    # Left out by the selection: whole modules, or tests pytest deselected; when pytest did
    # not say how many (pytest-xdist), fewer tests than the inventory counts.
    left_out = selection is not None and (
        any(test.reason == "not selected" for test in not_run)
        or bool(selection.deselected)
        or (selection.deselected is None and tests_run < (scope.tests or 0))
    )
    return dataclasses.replace(
        scope,
        evidence="events",
        tests_run=tests_run,
        not_run=tuple(not_run),
        partial=left_out,
    )


def _from_contexts(
    candidates: Mapping[str, int],
    by_path: Mapping[str, FileCoverage],
    project: ProjectCoverage,
    scope: SuiteScope,
) -> SuiteScope | None:
    """From the per-test contexts: a module ran when a context names one of its tests. None when
    no context names a known test module."""
    ran = {_module(nodeid) for nodeid in project.test_contexts}
    if ran.isdisjoint(candidates):
        return None
    not_run = tuple(
        UnrunTests(path, tests, _numbers(by_path, path), "no per-test context names its tests")
        for path, tests in sorted(candidates.items())
        if path not in ran
    )
    return dataclasses.replace(
        scope,
        evidence="contexts",
        tests_run=len(project.test_contexts),
        not_run=not_run,
        partial=bool(not_run),
    )


def _from_lines(
    candidates: Mapping[str, int], by_path: Mapping[str, FileCoverage], scope: SuiteScope
) -> SuiteScope:
    """From the test modules' measured lines: a module that ran has at least its imports
    covered. Modules the data does not measure say nothing."""
    measured = [path for path in sorted(candidates) if path in by_path]
    if not measured:
        return scope
    not_run = tuple(
        UnrunTests(path, candidates[path], by_path[path].numbers, "none of its lines ran")
        for path in measured
        if by_path[path].numbers.units and not by_path[path].numbers.covered_units
    )
    return dataclasses.replace(scope, evidence="lines", not_run=not_run, partial=bool(not_run))
