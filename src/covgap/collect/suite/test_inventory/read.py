"""read_inventory: the folders walked, the files read, the items and fixtures built.

A static inventory of a project's tests: what ``pytest --collect-only`` would list, read from
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

import re
import sys
from pathlib import Path

from covgap.collect.suite.test_inventory.building.builder import _PLUGINS, _Builder
from covgap.collect.suite.test_inventory.model import (
    Fixture,
    InventoryOptions,
    MarkerUse,
    TestInventory,
    Uncollected,
)
from covgap.collect.suite.test_inventory.project import _Project
from covgap.collect.suite.test_inventory.reading.summarize import _parse_all
from covgap.collect.suite.test_inventory.uncollected import _empty_folders, _test_like
from covgap.collect.suite.test_inventory.walk import _Walker


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
