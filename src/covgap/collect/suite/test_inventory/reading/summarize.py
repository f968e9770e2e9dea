"""One file's summary, and many files' in worker processes when they add up to enough bytes."""

from __future__ import annotations

import ast
import gc
import os
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from covgap.collect.suite.test_inventory.reading.reader import _Reader
from covgap.collect.suite.test_inventory.reading.server import _server_evidence
from covgap.collect.suite.test_inventory.reading.text import _MARK_USE_TEXT
from covgap.collect.suite.test_inventory.summary import _Summary
from covgap.files import read_bytes

#: Below this many bytes of files to read, worker processes cost more than they save.
_PARALLEL_BYTES = 300_000


def _summarize(path: str, source: bytes, version: tuple[int, int], platform: str) -> _Summary:
    """What a file says (errors come back as data)."""
    collecting = gc.isenabled()
    gc.disable()  # an AST has no cycles: the collector would only walk it, again and again
    try:
        return _summarize_parsed(path, source, version, platform)
    finally:
        if collecting:
            gc.enable()


def _summarize_parsed(
    path: str, source: bytes, version: tuple[int, int], platform: str
) -> _Summary:
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return _Summary(path, error=f"line {exc.lineno}: SyntaxError: {exc.msg}")
    except (ValueError, UnicodeDecodeError) as exc:
        return _Summary(path, error=f"line 1: {type(exc).__name__}: {exc}")
    reader = _Reader(path, source, tree, version, platform)
    reader.module(tree.body)
    if len(_MARK_USE_TEXT.findall(source)) > len(set(reader.marker_uses)):
        # some marks are elsewhere (in a function body, a call…): look everywhere
        reader.marker_uses = []
        reader.uses_in(tree)
    evidence, mocked = _server_evidence(reader, tree)
    return _Summary(
        path=path,
        bindings=tuple(reader.bindings.items()),
        star_imports=tuple(reader.star_imports),
        pytestmark=reader.pytestmark,
        dunder_test=reader.dunder_test,
        generate_tests=reader.generate_tests,
        collect_ignore=tuple(reader.collect_ignore) if reader.collect_ignore is not None else None,
        collect_ignore_glob=(
            tuple(reader.collect_ignore_glob) if reader.collect_ignore_glob is not None else None
        ),
        pytest_plugins=tuple(reader.pytest_plugins),
        hooks=tuple(reader.hooks),
        skip=reader.skip,
        notes=tuple(reader.notes),
        imported=tuple(sorted(reader.imported)),
        relative_import=reader.relative_import,
        server_evidence=tuple(evidence),
        mocks_http=mocked,
        marker_uses=tuple(sorted(set(reader.marker_uses), key=lambda use: (use[1], use[0]))),
    )


#: A task for a worker: absolute path, project path, Python version, platform, and for a file
#: that is read only if it may hold tests, the text a test function's ``def`` starts with.
_Task = tuple[str, str, tuple[int, int], str, "bytes | None"]


def _job(task: _Task) -> _Summary:
    """Worker: one file's summary."""
    absolute, path, version, platform, needed = task
    try:
        source = read_bytes(absolute)
    except OSError as exc:
        return _Summary(path, error=f"line 1: cannot be read: {exc.strerror}")
    if needed is not None and not re.search(needed, source):
        return _Summary(path, unread=True)  # no test-like function: not worth a parse
    return _summarize(path, source, version, platform)


def _parse_all(
    project_dir: Path,
    paths: Sequence[str],
    sizes: Mapping[str, int],
    jobs: int,
    version: tuple[int, int],
    platform: str,
    candidates: Mapping[str, bytes | None],
) -> dict[str, _Summary]:
    tasks: list[_Task] = [
        (str(project_dir / path), path, version, platform, candidates.get(path)) for path in paths
    ]
    workers = jobs
    if workers <= 0:
        total = sum(sizes.get(path, 0) for path in paths)
        workers = min(os.cpu_count() or 1, 8) if total >= _PARALLEL_BYTES else 1
    if workers <= 1 or len(tasks) < 4:
        return {task[1]: _job(task) for task in tasks}
    # biggest first, so that no worker is left with a large file at the end
    tasks.sort(key=lambda task: -sizes.get(task[1], 0))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        found = pool.map(_job, tasks, chunksize=max(1, len(tasks) // (workers * 16)))
        return {summary.path: summary for summary in found}
