"""Where a function's new tests go: the test module that already runs its file, one named after
it, or a new one that mirrors the source layout."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import PurePosixPath

__all__ = ["is_test_module", "module_name", "own_packages", "place_tests"]

#: Folders that hold a project's packages without being part of their import names.
_SOURCE_ROOTS = ("src", "lib")
#: Folders of installed packages: a measured file under one is named from there on.
_INSTALL_ROOTS = ("site-packages", "dist-packages")
#: Folders that hold tests.
_TEST_FOLDERS = frozenset({"test", "tests", "testing"})


@lru_cache(maxsize=65536)
def module_name(path: str) -> str:
    """The import name of a source file: ``src/shop/auth.py`` -> ``shop.auth``; a file measured
    in an installed package (``…/site-packages/sympy/core/add.py``) -> ``sympy.core.add``."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    installed = [i for i, part in enumerate(parts) if part in _INSTALL_ROOTS]
    if installed and installed[-1] < len(parts) - 1:
        parts = parts[installed[-1] + 1 :]
    elif len(parts) > 1 and parts[0] in _SOURCE_ROOTS:
        parts = parts[1:]
    if len(parts) > 1 and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@lru_cache(maxsize=65536)
def is_test_module(path: str) -> bool:
    """Test code by pytest's conventions: ``test_*.py``, ``*_test.py``, ``conftest.py``, or a
    module in a ``tests`` folder."""
    pure = PurePosixPath(path)
    name = pure.name
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return True
    return any(part in _TEST_FOLDERS for part in pure.parent.parts)


def own_packages(paths: Iterable[str]) -> frozenset[str]:
    """The top-level import names of the measured files: the project's own code."""
    return frozenset(module_name(path).split(".")[0] for path in paths)


def place_tests(
    path: str, tested_by: Sequence[tuple[str, int]], test_files: Sequence[str]
) -> tuple[str, bool, str]:
    """(test module, whether it exists, why it was chosen) for the source file ``path``."""
    if tested_by:
        module, lines = tested_by[0]
        return module, True, f"already runs {lines} of this file's lines (per-test contexts)"
    named = _named_after(path, test_files)
    if named is not None:
        return named, True, "named after this module"
    new = _mirrored(path, test_files)
    return new, new in test_files, f"new: mirrors {path}"


def _stem(path: str) -> str:
    pure = PurePosixPath(path)
    return pure.parent.name if pure.stem == "__init__" else pure.stem


def _public(stem: str) -> str:
    """A private module's name without its underscores (``_cachedmethod``: ``cachedmethod``):
    its tests are named after what it implements."""
    return stem.strip("_") or stem


def _named_after(path: str, test_files: Sequence[str]) -> str | None:
    stem = _stem(path)
    wanted = {f"test_{name}.py" for name in (stem, _public(stem))}
    wanted |= {f"{name}_test.py" for name in (stem, _public(stem))}
    candidates = [t for t in test_files if PurePosixPath(t).name in wanted]
    if not candidates:
        return None
    source_parts = set(PurePosixPath(path).parent.parts)

    def closeness(test: str) -> tuple[int, int, str]:
        shared = len(source_parts & set(PurePosixPath(test).parent.parts))
        return (-shared, len(test), test)

    return min(candidates, key=closeness)


def _tests_root(test_files: Sequence[str]) -> str:
    """The folder most test files live under ("tests", "tests/unit"), or "tests"."""
    if not test_files:
        return "tests"
    tops = Counter(PurePosixPath(t).parts[0] for t in test_files if len(PurePosixPath(t).parts) > 1)
    if not tops:
        return "tests"
    top = tops.most_common(1)[0][0]
    unit = f"{top}/unit"
    if any(t.startswith(f"{unit}/") for t in test_files):
        return unit
    return top


def _mirrored(path: str, test_files: Sequence[str]) -> str:
    """``<tests root>/<subpackages>/test_<module>.py``: the source's place, under the tests."""
    package_parts = module_name(path).split(".")
    inner = package_parts[1:-1] if len(package_parts) > 1 else []
    if PurePosixPath(path).stem == "__init__":
        inner = package_parts[1:-1]
    return str(PurePosixPath(_tests_root(test_files), *inner, f"test_{_public(_stem(path))}.py"))
