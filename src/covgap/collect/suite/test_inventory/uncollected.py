"""What pytest does not collect that looks like tests, and test folders left (nearly) empty."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from covgap.collect.suite.test_inventory.building.builder import _matches
from covgap.collect.suite.test_inventory.building.classes import _is_testcase
from covgap.collect.suite.test_inventory.categories import category_of_name
from covgap.collect.suite.test_inventory.model import NEAR_EMPTY_TESTS, InventoryOptions, TestModule
from covgap.collect.suite.test_inventory.summary import _Class, _Func, _Summary
from covgap.collect.suite.test_inventory.walk import _Walk


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
