"""Walking the folders as pytest does: testpaths, norecursedirs, python_files, conftest.py."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from covgap.collect.suite.test_inventory.categories import _test_folder_name, category_of_name
from covgap.collect.suite.test_inventory.model import DEFAULT_NORECURSEDIRS, InventoryOptions
from covgap.collect.suite.test_inventory.project import _Project
from covgap.collect.suite.test_inventory.reading.summarize import _summarize
from covgap.collect.suite.test_inventory.summary import _Summary
from covgap.files import (
    FolderGuard,
    entry_is_dir,
    entry_is_file,
    glob_once,
    is_link,
    read_bytes,
    special_kind,
)

#: Files that keep a folder in git or say what it is for, and leave it empty all the same.
_PLACEHOLDERS = frozenset({".gitkeep", ".keep", ".gitignore", ".DS_Store"})


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
