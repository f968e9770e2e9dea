"""What risk and advice need beside the coverage: each file's code facts and complexity, the
churn from git, and the project's test modules.

Facts are computed only for files with a gap, in worker processes when there are many, and
cached by content hash in covgap's cache (``facts`` table), like coverage.py's parse.
"""

from __future__ import annotations

import ast
import hashlib
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from covgap.collect.code.code_facts import FACTS_FORMAT, FileFacts
from covgap.collect.code.code_walk import facts_from_source
from covgap.collect.code.complexity import COMPLEXITY_LIBRARY, complexity_by_line
from covgap.collect.code.outline import OUTLINE_FORMAT, FileOutline, outline_of
from covgap.collect.git.churn import Churn
from covgap.collect.suite.test_links import TestLinks
from covgap.files import read_bytes
from covgap.model import ProjectTests
from covgap.store.cache import AnalysisCache

__all__ = [
    "Evidence",
    "evidence_for",
    "facts_key",
    "file_evidence",
    "outline_key",
    "read_outlines",
    "source_keys",
]

#: Below this many files to read, worker processes cost more than they save.
_PARALLEL_THRESHOLD = 24


@dataclass(frozen=True)
class Evidence:
    """What was collected beside the coverage: code facts, complexity, churn, test modules."""

    #: path -> facts, for the files whose source could be read and parsed.
    facts: Mapping[str, FileFacts]
    #: path -> cyclomatic complexity by ``def`` line.
    complexity: Mapping[str, Mapping[int, int]]
    complexity_library: str
    #: None when churn could not be measured; ``churn_absent`` then says why.
    churn: Churn | None
    churn_absent: str | None
    test_files: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    #: What each test targets (None when the tests were not read).
    test_links: TestLinks | None = None
    #: The project's test set-up, for the test strategy.
    project_tests: ProjectTests | None = None


def facts_key(source_bytes: bytes) -> str:
    """The cache key of a file's facts: its bytes, the facts' format, the parser and library."""
    digest = hashlib.sha256(
        "\0".join(
            [
                f"facts-format={FACTS_FORMAT}",
                f"python={sys.version_info[0]}.{sys.version_info[1]}",
                f"complexity={COMPLEXITY_LIBRARY}",
            ]
        ).encode()
    )
    digest.update(b"\0")
    digest.update(source_bytes)
    return digest.hexdigest()


def outline_key(key: str) -> str:
    """The cache key of a file's outline, from its facts key."""
    return f"outline-{OUTLINE_FORMAT}-{key}"


def file_evidence(source_bytes: bytes, *, complexity: bool = True) -> dict[str, Any]:
    """Facts, complexity and outline of one source, as cacheable JSON; {"error": …} when
    unparsable. Without ``complexity``: the outline only (a file with no gap)."""
    try:
        source = source_bytes.decode("utf-8-sig")
        tree = ast.parse(source)
    except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    facts = facts_from_source(source, tree)
    outline = outline_of(facts).to_json()
    if not complexity:
        return {"outline": outline}
    by_line = complexity_by_line(source, tree)
    return {"facts": facts.to_json(), "complexity": sorted(by_line.items()), "outline": outline}


def _job(path: str) -> tuple[str, dict[str, Any]]:
    """Worker: one file's evidence (errors come back as data)."""
    try:
        source_bytes = read_bytes(path)
    except OSError as exc:
        return path, {"error": f"cannot be read: {exc.strerror}"}
    return path, file_evidence(source_bytes)


def _outline_job(path: str) -> tuple[str, dict[str, Any]]:
    """Worker: one file's outline only."""
    try:
        source_bytes = read_bytes(path)
    except OSError as exc:
        return path, {"error": f"cannot be read: {exc.strerror}"}
    return path, file_evidence(source_bytes, complexity=False)


def read_outlines(
    project_dir: Path,
    keys: Mapping[str, str],
    with_facts: frozenset[str],
    cache_path: Path | None,
    jobs: int | None,
    prepared: Mapping[str, dict[str, Any]],
) -> tuple[dict[str, FileOutline], dict[str, dict[str, Any]]]:
    """The outline of every file in ``keys`` (path -> facts key), for the call graph.

    From the cache, from ``prepared``, else parsed; the files in ``with_facts`` (those with a
    gap) are parsed for their whole evidence at once, which is returned (by facts key) to be
    used as ``prepared`` by ``evidence_for``. A file that cannot be parsed has no outline.
    """
    payloads: dict[str, dict[str, Any]] = {}
    cache = AnalysisCache(cache_path) if cache_path else None
    fresh: dict[str, dict[str, Any]] = {}
    try:
        if cache is not None:
            found = cache.get_facts(outline_key(key) for key in keys.values())
            for path, key in keys.items():
                if outline_key(key) in found:
                    payloads[path] = found[outline_key(key)]
        for path, key in keys.items():
            if path not in payloads and "outline" in prepared.get(key, {}):
                payloads[path] = prepared[key]
        missing = [path for path in keys if path not in payloads]
        whole = [path for path in missing if path in with_facts]
        outline_only = [path for path in missing if path not in with_facts]
        for job, paths in ((_job, whole), (_outline_job, outline_only)):
            by_full = {str(project_dir / p): p for p in paths}
            for full_path, payload in _run(list(by_full), jobs, job):
                path = by_full[full_path]
                payloads[path] = payload
                if "facts" in payload:
                    fresh[keys[path]] = payload
        if cache is not None:
            cache.put_facts(
                {
                    outline_key(keys[path]): {"outline": payloads[path]["outline"]}
                    for path in missing
                    if "outline" in payloads[path]
                }
            )
    finally:
        if cache is not None:
            cache.close()
    outlines: dict[str, FileOutline] = {}
    for path, payload in payloads.items():
        try:
            outlines[path] = FileOutline.from_json(payload["outline"])
        except (KeyError, TypeError, ValueError):
            continue  # unparsable, or a damaged entry: no outline (no callers from it)
    return outlines, fresh


def source_keys(project_dir: Path, paths: Iterable[str]) -> dict[str, str]:
    """The facts key of each file that can be read (a report from elsewhere may name files
    that are not on this disk: they have no facts, which each of their functions says)."""
    keys: dict[str, str] = {}
    for path in paths:
        try:
            keys[path] = facts_key(read_bytes(project_dir / path))
        except OSError:
            continue
    return keys


def evidence_for(
    project_dir: Path,
    keys: Mapping[str, str],
    churn: Churn | str,
    test_files: tuple[str, ...],
    cache_path: Path | None,
    jobs: int | None,
    prepared: Mapping[str, dict[str, Any]],
    test_links: TestLinks | None = None,
    project_tests: ProjectTests | None = None,
) -> Evidence:
    """Evidence with the facts of the files in ``keys`` (path -> facts key)."""
    facts, complexity, notes = _facts(project_dir, keys, cache_path, jobs, prepared)
    return Evidence(
        facts=facts,
        complexity=complexity,
        complexity_library=COMPLEXITY_LIBRARY,
        churn=churn if isinstance(churn, Churn) else None,
        churn_absent=churn if isinstance(churn, str) else None,
        test_files=test_files,
        notes=tuple(notes),
        test_links=test_links,
        project_tests=project_tests,
    )


def _facts(
    project_dir: Path,
    keys: Mapping[str, str],
    cache_path: Path | None,
    jobs: int | None,
    prepared: Mapping[str, dict[str, Any]],
) -> tuple[dict[str, FileFacts], dict[str, dict[int, int]], list[str]]:
    decoded: dict[str, _Decoded] = {}
    cache = AnalysisCache(cache_path) if cache_path else None
    try:
        if cache is not None:
            found = cache.get_facts(keys.values())
            for path, key in keys.items():
                if key in found and (entry := _decode(found[key])) is not None:
                    decoded[path] = entry  # a damaged entry is computed again
        computed = {
            path: prepared[key]
            for path, key in keys.items()
            if path not in decoded and key in prepared
        }
        missing = [path for path in keys if path not in decoded and path not in computed]
        fresh = dict(_run([str(project_dir / path) for path in missing], jobs))
        computed.update({path: fresh[str(project_dir / path)] for path in missing})
        for path, payload in computed.items():
            entry = _decode(payload)
            if entry is not None:
                decoded[path] = entry
        if cache is not None:
            cache.put_facts({keys[path]: payload for path, payload in computed.items()})
    finally:
        if cache is not None:
            cache.close()
    facts: dict[str, FileFacts] = {}
    complexity: dict[str, dict[int, int]] = {}
    notes: list[str] = [cache.problem] if cache is not None and cache.problem else []
    for path, entry in sorted(decoded.items()):
        if isinstance(entry, str):
            notes.append(f"{path}: no risk facts ({entry})")
        else:
            facts[path], complexity[path] = entry
    return facts, complexity, notes


#: A decoded payload: the facts and complexity, or why there are none.
_Decoded = tuple[FileFacts, dict[int, int]] | str


def _decode(payload: dict[str, Any]) -> _Decoded | None:
    """A payload read back; None when it is damaged (or of another format)."""
    try:
        if "error" in payload:
            return str(payload["error"])
        complexity = {int(line): int(value) for line, value in payload["complexity"]}
        return FileFacts.from_json(payload["facts"]), complexity
    except (KeyError, TypeError, ValueError):
        return None


def _run(
    paths: list[str],
    jobs: int | None,
    job: Callable[[str], tuple[str, dict[str, Any]]] = _job,
) -> list[tuple[str, dict[str, Any]]]:
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(paths) < _PARALLEL_THRESHOLD:
        return [job(path) for path in paths]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(job, paths, chunksize=max(1, len(paths) // (workers * 8))))
