"""The reader's state, and what a module imports (the names decorators are read through)."""

from __future__ import annotations

import ast

from covgap.collect.suite.test_inventory.reading.text import (
    _DYNAMIC_IMPORT,
    _DYNAMIC_TEXT,
    _IMPORT_TEXT,
    _MARK_TEXT,
    _SERVER_TEXT,
    _YIELD_TEXT,
    _Lines,
    _Newlines,
)
from covgap.collect.suite.test_inventory.summary import (
    _Condition,
    _GenTests,
    _Import,
    _MarkLike,
    _Member,
)

_MAX_NOTES = 20


class _ReaderBase:
    """The state one pass over a module keeps, and the names its imports bind."""

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
