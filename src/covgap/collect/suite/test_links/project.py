"""The project's tests: every test module read (cached), with the conftest.py files above it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from covgap.collect.suite.test_links.model import DataSource, LinkedTest, TestLinks, links_key
from covgap.collect.suite.test_links.reader import file_links
from covgap.files import read_bytes
from covgap.store.cache import AnalysisCache

#: Case files named as examples of a data-driven suite, at most.
MAX_EXAMPLES = 3


def read_test_links(
    project_dir: Path, test_files: Iterable[str], cache_path: Path | None = None
) -> TestLinks:
    """What every test module targets, with the conftest.py files above them for fixtures."""
    modules = list(dict.fromkeys(test_files))
    conftests = _conftests(project_dir, modules)
    paths = [*conftests, *modules]
    payloads = _payloads(project_dir, paths, cache_path)
    errors = tuple(
        (path, str(payloads[path]["error"]))
        for path in modules
        if path in payloads and "error" in payloads[path]
    )
    fixtures: dict[str, str] = {}
    for path in paths:
        for name, line in payloads.get(path, {}).get("fixtures", ()):
            fixtures.setdefault(name, f"{path}:{line}")
    tests: list[LinkedTest] = []
    for path in modules:
        payload = payloads.get(path)
        if payload is None or "error" in payload:
            continue
        chain = [
            payloads[c]
            for c in _conftest_chain(path, conftests)
            if c in payloads and "error" not in payloads[c]
        ]
        tests.extend(_assemble(project_dir, path, payload, chain))
    return TestLinks(tests=tuple(tests), fixtures=fixtures, errors=errors)


def _payloads(
    project_dir: Path, paths: Sequence[str], cache_path: Path | None
) -> dict[str, dict[str, Any]]:
    sources: dict[str, bytes] = {}
    for path in paths:
        try:
            sources[path] = read_bytes(project_dir / path)
        except OSError:
            continue
    keys = {path: links_key(data) for path, data in sources.items()}
    found: dict[str, dict[str, Any]] = {}
    cache = AnalysisCache(cache_path) if cache_path is not None else None
    try:
        cached = cache.get_facts(keys.values()) if cache is not None else {}
        fresh: dict[str, dict[str, Any]] = {}
        for path, key in keys.items():
            payload = cached.get(key)
            if not isinstance(payload, dict) or not ("tests" in payload or "error" in payload):
                payload = fresh[key] = file_links(sources[path], path)
            found[path] = payload
        if cache is not None and fresh:
            cache.put_facts(fresh)
    finally:
        if cache is not None:
            cache.close()
    return found


def _conftests(project_dir: Path, modules: Sequence[str]) -> list[str]:
    """The conftest.py files of the test modules' folders and the folders above them."""
    folders: set[PurePosixPath] = set()
    for module in modules:
        folder = PurePosixPath(module).parent
        folders.add(folder)
        folders.update(folder.parents)
    found = []
    for folder in sorted(folders, key=lambda f: (len(f.parts), str(f))):
        candidate = folder / "conftest.py"
        if (project_dir / candidate).is_file():
            found.append(str(candidate))
    return found


def _conftest_chain(module: str, conftests: Sequence[str]) -> list[str]:
    """The conftest.py files that apply to ``module``, nearest first."""
    folder = PurePosixPath(module).parent
    applying = {str(f / "conftest.py") for f in (folder, *folder.parents)}
    return [c for c in reversed(conftests) if c in applying]


def _assemble(
    project_dir: Path, path: str, payload: dict[str, Any], chain: Sequence[dict[str, Any]]
) -> Iterator[LinkedTest]:
    scopes = [payload, *chain]
    module_imports = frozenset(payload.get("imports", ()))
    for name, owner, line, references, attributes, uses, data, *testcase in payload["tests"]:
        refs, attrs = set(references), set(attributes)
        seen: set[str] = set()
        pending = list(uses)
        source = data
        while pending:
            used = pending.pop()
            if used in seen:
                continue
            seen.add(used)
            for scope in scopes:
                helper = scope["helpers"].get(used)
                if helper is None:
                    continue
                refs.update(helper[0])
                attrs.update(helper[1])
                pending.extend(helper[2])
                source = source or scope["data_fixtures"].get(used)
                break
            source = source or payload.get("generated", {}).get(used)
        nodeid = "::".join(p for p in (path, owner, name) if p)
        yield LinkedTest(
            nodeid=nodeid,
            name=name,
            line=line,
            references=frozenset(refs),
            attributes=frozenset(attrs),
            module_imports=module_imports,
            data=_data(project_dir, source) if source else None,
            unittest=bool(testcase and testcase[-1]),
        )


def _data(project_dir: Path, source: Sequence[str]) -> DataSource:
    folder, pattern, how = source
    examples: tuple[str, ...] = ()
    if folder:
        try:
            matches = sorted(
                p.name for p in (project_dir / folder).glob(pattern or "*") if p.is_file()
            )
            examples = tuple(matches[:MAX_EXAMPLES])
        except (OSError, ValueError):
            examples = ()
    return DataSource(folder=folder, pattern=pattern, how=how, examples=examples)
