"""Parse the project's sources while its suite runs, on a core the suite leaves idle: coverage.py's
static analysis, then the code facts and complexity that risk and advice need."""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.pool
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from covgap.collect.files import read_bytes
from covgap.collect.static import AnalysisOptions, StaticAnalysis, analyze_file, cache_key

__all__ = ["Prepared", "Preparse", "source_files"]


@dataclass
class Prepared:
    """What was made while the suite ran, by cache key."""

    statics: dict[str, StaticAnalysis] = field(default_factory=dict)
    #: Code facts and complexity payloads (``evidence.file_evidence``), by ``facts_key``.
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)


def _lower_priority() -> None:
    """In the parsing worker: give way to the test suite."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)


def _parse_chunk(filenames: list[str], options: AnalysisOptions) -> Prepared:
    """Worker: coverage.py's static analysis of some files, then their code facts, by cache key;
    failures left out (the loader meets them again and reports them properly)."""
    # Imported here, in the worker: the suite starts before covgap loads its analysis modules.
    from covgap.collect.evidence import facts_key, file_evidence

    prepared = Prepared()
    sources: list[bytes] = []
    for filename in filenames:
        with contextlib.suppress(Exception):
            source_bytes = read_bytes(filename)
            prepared.statics[cache_key(source_bytes, options)] = analyze_file(filename, options)
            sources.append(source_bytes)
    for source_bytes in sources:
        with contextlib.suppress(Exception):
            prepared.facts[facts_key(source_bytes)] = file_evidence(source_bytes)
    return prepared


class Preparse:
    """Parse the project's sources while the suite runs: a core the suite leaves idle does the
    work the plan would otherwise do after it. What is not done when the suite ends is left to
    the loader, which parses in parallel: the worker is stopped, never waited for (on a busy
    machine a low-priority worker may get no CPU at all)."""

    CHUNK = 2

    def __init__(self, files: list[Path], options: AnalysisOptions) -> None:
        self._pool: multiprocessing.pool.Pool | None = None
        self._chunks: list[multiprocessing.pool.AsyncResult[Prepared]] = []
        if not files or (os.cpu_count() or 1) < 2:
            return
        self._pool = multiprocessing.Pool(processes=1, initializer=_lower_priority)
        names = [str(f) for f in files]
        for start in range(0, len(names), self.CHUNK):
            chunk = names[start : start + self.CHUNK]
            self._chunks.append(self._pool.apply_async(_parse_chunk, (chunk, options)))

    def results(self) -> Prepared:
        """What was parsed by now; the rest is abandoned and the worker stopped."""
        done = Prepared()
        if self._pool is None:
            return done
        for chunk in self._chunks:
            if chunk.ready() and chunk.successful():
                prepared = chunk.get()
                done.statics.update(prepared.statics)
                done.facts.update(prepared.facts)
        self._pool.terminate()
        self._pool.join()
        self._pool = None
        return done


def source_files(project_dir: Path, source: Sequence[str]) -> list[Path]:
    """The .py files under the source folders (package names are looked for as folders)."""
    files: list[Path] = []
    for entry in source:
        folder = next(
            (
                p
                for p in (project_dir / entry, project_dir / "src" / entry.replace(".", "/"))
                if p.is_dir()
            ),
            None,
        )
        if folder is None:
            continue
        files += [
            path
            for path in folder.rglob("*.py")
            if not any(
                part.startswith(".") or part == "__pycache__"
                for part in path.relative_to(folder).parts
            )
        ]
    return sorted(set(files))
