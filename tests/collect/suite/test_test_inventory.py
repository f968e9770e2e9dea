"""The static test inventory: what pytest would collect, read from the AST, compared item by item
with the real ``pytest --collect-only -q`` on fixture projects that exercise each rule."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from covgap.collect.suite.test_inventory import (
    InventoryOptions,
    TestInventory,
    TestModule,
    category_of_name,
    is_known_marker,
    read_inventory,
)

PROJECTS = Path(__file__).parents[2] / "fixtures" / "projects" / "inventory"

#: The options each fixture project's pyproject.toml sets (the caller reads the ini).
OPTIONS = {
    "rules": InventoryOptions(project_packages=("shop",), declared_markers=("slow", "integration")),
    "configured": InventoryOptions(
        testpaths=("tests",),
        python_files=("test_*.py", "check_*.py"),
        python_classes=("Test", "*Suite"),
        python_functions=("test_*", "check"),
        norecursedirs=(".*", "fixtures"),
    ),
}

#: Items whose parameters are not literals: the inventory says "unknown" (cases None).
UNKNOWN = {
    "rules": {
        ("tests/unit/test_functions.py", "test_computed"),
        ("tests/unit/test_functions.py", "test_filtered_comprehension"),
        ("tests/unit/test_hooked.py", "test_n"),
        ("tests/unit/test_classes.py", "TestGenerated::test_z"),
    },
    "configured": set(),
}

_NODE = re.compile(r"^(?P<path>[^\s:][^:]*?\.py)::(?P<name>[^\[]+)")
_ERROR = re.compile(r"^ERROR (?P<path>\S+\.py)")


@dataclass(frozen=True)
class Collected:
    """What ``pytest --collect-only -q`` lists: items per (path, name without parameters)."""

    items: Counter[tuple[str, str]]
    errors: frozenset[str]


def pytest_collect(project: Path) -> Collected:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS") and not key.startswith("PYTEST_XDIST")
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # nothing written into the fixture project
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:benchmark",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    items: Counter[tuple[str, str]] = Counter()
    errors = set()
    for line in done.stdout.splitlines():
        node = _NODE.match(line)
        if node:
            items[node.group("path"), node.group("name")] += 1
        elif error := _ERROR.match(line):
            errors.add(error.group("path"))
    assert items, done.stdout + done.stderr
    return Collected(items, frozenset(errors))


@pytest.fixture(scope="module")
def collected() -> dict[str, Collected]:
    """pytest's collection of each fixture project (one subprocess each, for the module)."""
    return {name: pytest_collect(PROJECTS / name) for name in OPTIONS}


@pytest.fixture(scope="module")
def inventories() -> dict[str, TestInventory]:
    return {name: read_inventory(PROJECTS / name, options) for name, options in OPTIONS.items()}


def module(inventory: TestInventory, path: str) -> TestModule:
    (found,) = [m for m in inventory.modules if m.path == path]
    return found


@pytest.mark.parametrize("project", sorted(OPTIONS))
def test_items_and_cases_equal_pytests(
    project: str, collected: dict[str, Collected], inventories: dict[str, TestInventory]
) -> None:
    """Every test function pytest lists is in the inventory, with as many cases as pytest makes
    of it, except the few whose parameters are not literals (unknown, counted once)."""
    theirs = collected[project].items
    inventory = inventories[project]
    ours = {(item.path, item.name): item.cases for item in inventory.items}
    assert set(ours) == set(theirs)
    unknown = {key for key, cases in ours.items() if cases is None}
    assert unknown == UNKNOWN[project]
    assert {k: c for k, c in ours.items() if c is not None} == {
        k: n for k, n in theirs.items() if k not in unknown
    }
    assert inventory.tests == sum(theirs.values()) - sum(theirs[k] for k in unknown) + len(unknown)
    assert inventory.unknown_cases == len(unknown)


def test_per_file_counts_and_errors_equal_pytests(
    collected: dict[str, Collected], inventories: dict[str, TestInventory]
) -> None:
    """Files that pytest cannot collect (a syntax error, a test that yields) have an error and
    no items; the others count what pytest counts."""
    theirs = collected["rules"]
    inventory = inventories["rules"]
    assert (
        {m.path for m in inventory.errors}
        == theirs.errors
        == {
            "tests/unit/test_broken.py",
            "tests/unit/test_generator.py",
        }
    )
    broken = module(inventory, "tests/unit/test_broken.py")
    assert broken.error == "line 5: SyntaxError: invalid syntax" and broken.items == ()
    generator = module(inventory, "tests/unit/test_generator.py")
    assert generator.error is not None and "'yield' keyword" in generator.error
    per_file = Counter(path for (path, _), count in theirs.items.items() for _ in range(count))
    for found in inventory.modules:
        if not any(item.cases is None for item in found.items):
            assert found.tests == per_file.get(found.path, 0), found.path


def test_what_is_not_collected(inventories: dict[str, TestInventory]) -> None:
    """Modules skipped or disabled count nothing, and say why; helper scripts with tests, files
    ignored by collect_ignore, outside testpaths or in a norecursedirs folder are reported;
    virtualenvs and pytest's default norecursedirs folders are not."""
    rules = inventories["rules"]
    assert module(rules, "tests/unit/test_module_skip.py").items == ()
    assert "pytest.skip" in module(rules, "tests/unit/test_module_skip.py").notes[0]
    assert module(rules, "tests/unit/test_disabled_module.py").items == ()
    assert [(u.path, u.reason, u.tests) for u in rules.uncollected] == [
        (
            "tests/check_api.py",
            "check_api.py: does not match python_files (test_*.py, *_test.py)",
            2,
        ),
        ("tests/helpers.py", "helpers.py: does not match python_files (test_*.py, *_test.py)", 2),
        ("tests/ignored/test_skipme.py", "ignored by collect_ignore in tests/conftest.py", 1),
    ]
    configured = inventories["configured"]
    assert {(u.path, u.reason) for u in configured.uncollected} == {
        ("test_at_root.py", "outside testpaths (tests)"),
        (
            "tests/fixtures/test_sample_case.py",
            "folder 'fixtures' matches norecursedirs 'fixtures'",
        ),
        (
            "tests/checks/shared.py",
            "shared.py: does not match python_files (test_*.py, check_*.py)",
        ),
        ("tests/pkg/cases.py", "cases.py: does not match python_files (test_*.py, check_*.py)"),
    }
    classes = module(rules, "tests/unit/test_classes.py")
    assert any("'TestInit'" in note and "__init__" in note for note in classes.notes)


def test_items_say_where_they_come_from(inventories: dict[str, TestInventory]) -> None:
    """Imported tests are counted where pytest collects them, with the file they are from."""
    imports = module(inventories["rules"], "tests/unit/test_imports.py")
    assert {(i.name, i.origin) for i in imports.items} == {
        ("test_shared", "tests/helpers.py"),
        ("TestShared::test_method", "tests/helpers.py"),
        ("test_uses_shared", None),
    }
    classes = module(inventories["rules"], "tests/unit/test_classes.py")
    case_b = {i.name: i for i in classes.items if i.name.startswith("CaseB::")}
    assert sorted(case_b) == ["CaseB::test_one", "CaseB::test_three", "CaseB::test_two"]
    assert all(i.unittest and i.cases == 1 for i in case_b.values())
    functions = {
        i.name: i for i in module(inventories["rules"], "tests/unit/test_functions.py").items
    }
    assert functions["test_async"].is_async and not functions["test_plain"].is_async
    assert functions["test_patched"].fixtures == ("db",)  # getcwd is the mock
    assert functions["test_usefixtures"].fixtures == ("db",)
    assert functions["test_overrides_db"].fixtures == ()  # parametrized directly
    assert functions["test_slow_alias"].markers == ("slow",)
    assert functions["test_param_objects"].markers == ()  # marks of a case are not the test's
    machine = module(inventories["rules"], "tests/unit/test_machine.py")
    assert [(i.name, i.unittest) for i in machine.items] == [("TestCounter::runTest", True)]


def test_categories(inventories: dict[str, TestInventory]) -> None:
    """From the folders, the markers (module pytestmark too) and the benchmark fixture."""
    rules = inventories["rules"]
    categories = {m.path: m.categories for m in rules.modules}
    assert categories["tests/integration/test_api.py"] == ("integration",)
    assert categories["tests/e2e/test_browser.py"] == ("e2e",)
    assert categories["tests/perf/test_speed.py"] == ("performance",)
    assert categories["tests/unit/test_classes.py"] == ("unit", "smoke")
    assert rules.by_category == {
        "unit": 88,
        "integration": 2,
        "e2e": 1,
        "smoke": 29,
        "performance": 1,
    }
    assert inventories["configured"].by_category == {"uncategorized": 24}
    assert category_of_name("integration_tests") == "integration"
    assert category_of_name("End-To-End") == "e2e"
    assert category_of_name("test_perf") == "performance"
    assert category_of_name("helpers") is None


def test_markers(inventories: dict[str, TestInventory]) -> None:
    """Every mark use with its line; undeclared ones are neither declared nor built in."""
    rules = inventories["rules"]
    assert rules.undeclared_markers == ("e2e", "mystery", "smoke")
    uses = {(u.name, u.path, u.line) for u in rules.markers}
    assert ("mystery", "tests/unit/test_functions.py", 129) in uses
    assert ("xfail", "tests/unit/test_functions.py", 47) in uses  # inside pytest.param
    assert ("slow", "tests/unit/test_functions.py", 11) in uses  # a name bound to a mark
    assert is_known_marker("parametrize") and is_known_marker("asyncio")
    assert not is_known_marker("mystery")


def test_fixtures_and_their_users(inventories: dict[str, TestInventory]) -> None:
    """Users are the tests and fixtures that request a fixture by name where it is visible."""
    rules = inventories["rules"]
    fixtures = {(f.name, f.path): f for f in rules.fixtures}
    db = fixtures["db", "tests/conftest.py"]
    # test_uses_db, client, test_usefixtures, test_patched, test_indirect (not the direct one)
    assert (db.users, db.params, db.parametrized, db.scope) == (5, 2, True, "function")
    assert fixtures["client", "tests/conftest.py"].users == 1
    assert fixtures["shared_fixture", "tests/helpers.py"].users == 1
    assert fixtures["num", "tests/unit/test_classes.py"].params == 3
    # from a module named in pytest_plugins (by the project's top conftest.py, above testpaths)
    (color,) = inventories["configured"].fixtures
    assert (color.name, color.path, color.params, color.users) == (
        "color",
        "tests/plugins/colors.py",
        3,
        1,
    )
    assert fixtures["_reset", "tests/conftest.py"].autouse
    assert {(f.name, f.path) for f in rules.unused_fixtures} == {
        ("unused_helper", "tests/conftest.py"),
        ("nothing_here", "tests/empty/conftest.py"),
        ("test_named_like_a_test_but_a_fixture", "tests/unit/test_functions.py"),
    }


def test_folders(inventories: dict[str, TestInventory]) -> None:
    """A test folder with only __init__.py and conftest.py is empty; a category folder with one
    or two tests is near-empty."""
    rules = inventories["rules"]
    assert rules.empty_folders == ("tests/empty",)
    assert ("tests/smoke", 1) in rules.near_empty_folders
    assert ("tests/integration", 2) in rules.near_empty_folders
    assert inventories["configured"].empty_folders == ()


def test_project_imports_and_server_evidence(inventories: dict[str, TestInventory]) -> None:
    rules = inventories["rules"]
    assert [m.path for m in rules.modules if m.imports_project] == ["tests/unit/test_functions.py"]
    api = module(rules, "tests/integration/test_api.py")
    assert api.server_evidence == (
        (6, "URL http://localhost:8000"),
        (11, "urllib.request.urlopen() call"),
        (16, "socket.create_connection() call"),
    )
    assert module(rules, "tests/e2e/test_browser.py").server_evidence == (
        (6, "playwright imported"),
    )
    assert not module(rules, "tests/unit/test_classes.py").server_evidence


def test_worker_processes_give_the_same_inventory(inventories: dict[str, TestInventory]) -> None:
    options = OPTIONS["rules"]
    assert read_inventory(PROJECTS / "rules", replace(options, jobs=2)) == inventories["rules"]


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_conditions_follow_the_python_version_and_platform(tmp_path: Path) -> None:
    project = write(
        tmp_path,
        {
            "tests/test_versions.py": (
                "import sys\n"
                "if sys.version_info >= (3, 12):\n"
                "    def test_new(): pass\n"
                "if sys.platform.startswith('win'):\n"
                "    def test_windows(): pass\n"
                "if SOMETHING:\n"
                "    def test_unknown(): pass\n"
            ),
        },
    )
    old_linux = read_inventory(project, InventoryOptions(python_version=(3, 10), platform="linux"))
    assert [i.name for i in old_linux.items] == ["test_unknown"]
    assert "condition not evaluated" in old_linux.modules[0].notes[0]
    new_windows = read_inventory(
        project, InventoryOptions(python_version=(3, 13), platform="win32")
    )
    assert [i.name for i in new_windows.items] == ["test_new", "test_windows", "test_unknown"]


def test_imports_from_outside_and_same_named_modules(tmp_path: Path) -> None:
    """A test function imported from outside the project is noted, not counted; test modules
    that share a module name without __init__.py are noted; collect_imported_tests=False."""
    project = write(
        tmp_path,
        {
            "tests/a/test_same.py": "from os.path import join as test_join\n\ndef test_a(): pass\n",
            "tests/b/test_same.py": "from helpers_b import test_helper\n\ndef test_b(): pass\n",
            "tests/b/helpers_b.py": "def test_helper(): pass\n",
        },
    )
    inventory = read_inventory(project, InventoryOptions())
    first, second = inventory.modules
    assert [i.name for i in first.items] == ["test_a"]
    assert "test_join is imported from os.path.join (outside the project)" in first.notes[0]
    assert [i.name for i in second.items] == ["test_helper", "test_b"]
    assert "same module name 'test_same'" in inventory.notes[0]
    alone = read_inventory(project, InventoryOptions(collect_imported_tests=False))
    assert [i.name for i in alone.items] == ["test_a", "test_b"]


def test_unreadable_sources_do_not_raise(tmp_path: Path) -> None:
    project = write(tmp_path, {"test_nul.py": "def test_a(): pass\n"})
    (project / "test_nul.py").write_bytes(b"def test_a():\x00 pass\n")
    (project / "test_latin.py").write_bytes(b"# no coding line\nx = '\xe9'\n")
    inventory = read_inventory(project, InventoryOptions())
    assert all(m.error and m.error.startswith("line ") for m in inventory.modules)
    assert inventory.tests == 0


def test_iterator_parameters_are_counted_and_noted(tmp_path: Path) -> None:
    """pytest 9.2 deprecates iterators as parameter lists: counted, with a note."""
    project = write(
        tmp_path,
        {
            "test_it.py": (
                "import itertools, pytest\n"
                "@pytest.mark.parametrize('a,b', itertools.product([1, 2], 'xyz'))\n"
                "def test_product(a, b): pass\n"
            )
        },
    )
    inventory = read_inventory(project, InventoryOptions())
    assert [i.cases for i in inventory.items] == [6]
    assert "iterator (itertools.product())" in inventory.modules[0].notes[0]


def test_categories_come_from_the_test_tree_only(tmp_path: Path) -> None:
    """A package folder above the tests says nothing (sympy's physics/units/tests is not
    "unit"); a top-level category folder does; a URL string is evidence only in a module that
    imports a network client."""
    project = write(
        tmp_path,
        {
            "pkg/units/tests/test_units.py": "URL = 'http://localhost:1'\n\ndef test_u(): pass\n",
            "unit_tests/test_fast.py": "def test_f(): pass\n",
            "e2e/test_flow.py": "import urllib.request\n\nURL = 'http://127.0.0.1:80/x'\n"
            "def test_flow(): pass\n",
            "tests/test_data/sample.json": "{}\n",
        },
    )
    inventory = read_inventory(project, InventoryOptions())
    assert {m.path: m.categories for m in inventory.modules} == {
        "e2e/test_flow.py": ("e2e",),
        "pkg/units/tests/test_units.py": (),
        "unit_tests/test_fast.py": ("unit",),
    }
    assert {m.path: m.server_evidence for m in inventory.modules if m.server_evidence} == {
        "e2e/test_flow.py": ((3, "URL http://127.0.0.1:80/x"),)
    }
    assert inventory.empty_folders == ()  # tests/ holds data: not a test folder left empty


def link(target: str, path: Path) -> None:
    """A symbolic link at ``path`` to ``target`` (relative to the link's folder)."""
    try:
        path.symlink_to(target, target_is_directory=True)
    except OSError as exc:  # Windows without the privilege
        pytest.skip(f"cannot make a symbolic link here: {exc}")


@pytest.mark.timeout(30)
def test_links_to_an_ancestor_do_not_loop(tmp_path: Path) -> None:
    """Two links to the project folder in tests/ (pytest's own walk never ends there): the walk
    ends, and every test is counted once, as without the links."""
    project = write(tmp_path, {"tests/test_a.py": "def test_a(): pass\n", "src/m.py": ""})
    link("..", project / "tests" / "self")
    link("..", project / "tests" / "self2")
    inventory = read_inventory(project, InventoryOptions())
    assert [m.path for m in inventory.modules] == ["tests/test_a.py"]
    assert inventory.tests == 1
    globbed = read_inventory(project, InventoryOptions(testpaths=("**/tests",)))
    assert [m.path for m in globbed.modules] == ["tests/test_a.py"]


@pytest.mark.timeout(30)
def test_a_linked_test_folder_is_walked_once(tmp_path: Path) -> None:
    """A link to a folder outside testpaths is followed, as pytest follows it: its tests are
    collected under the link's path, once however many links lead there."""
    project = write(
        tmp_path,
        {"tests/test_a.py": "def test_a(): pass\n", "shared/test_s.py": "def test_s(): pass\n"},
    )
    link("../shared", project / "tests" / "shared")
    link("../shared", project / "tests" / "again")
    inventory = read_inventory(project, InventoryOptions(testpaths=("tests",)))
    assert [m.path for m in inventory.modules] == ["tests/again/test_s.py", "tests/test_a.py"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.timeout(30)
def test_a_fifo_named_like_a_test_is_listed_not_opened(tmp_path: Path) -> None:
    """A FIFO named test_*.py or conftest.py is never opened (that would wait for a writer):
    it is listed as unreadable, and pytest does not collect it either."""
    project = write(tmp_path, {"tests/test_a.py": "def test_a(): pass\n"})
    os.mkfifo(project / "tests" / "test_pipe.py")
    os.mkfifo(project / "tests" / "conftest.py")
    inventory = read_inventory(project, InventoryOptions())
    assert [m.path for m in inventory.modules] == ["tests/test_a.py"]
    assert inventory.unreadable == (
        ("tests/conftest.py", "not a regular file (a FIFO); not read (pytest does not collect "
         "it either)"),
        ("tests/test_pipe.py", "not a regular file (a FIFO); not read (pytest does not collect "
         "it either)"),
    )  # fmt: skip


def test_empty_folders_hold_nothing_but_placeholders(tmp_path: Path) -> None:
    """A folder with no test is empty when it holds only placeholders (``.gitkeep``, a README,
    ``__init__.py``, a conftest.py): not with data, scripts, or a folder pytest skips."""
    project = write(
        tmp_path,
        {
            "tests/test_a.py": "def test_a(): pass\n",
            "tests/unit/.gitkeep": "",
            "tests/integration/README.md": "# Integration tests\n",
            "tests/integration/__init__.py": "",
            "tests/fuzz/fuzz_parser.py": "def fuzz(data): pass\n",
            "tests/perf/results.csv": "test,seconds\n",
            "tests/e2e/conftest.py": "",
            "tests/e2e/recordings/a.har": "{}\n",
        },
    )
    options = InventoryOptions(norecursedirs=(*InventoryOptions().norecursedirs, "recordings"))
    inventory = read_inventory(project, options)
    assert inventory.empty_folders == ("tests/integration", "tests/unit")
