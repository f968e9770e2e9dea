"""Parse the project's sources while its suite runs, on a core the suite leaves idle."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from covgap.collect.static import AnalysisOptions, StaticAnalysis, analyze_file, cache_key

__all__ = ["Preparse", "source_files"]


def _lower_priority() -> None:
    """In the parsing worker: give way to the test suite."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)


def _parse_chunk(filenames: list[str], options: AnalysisOptions) -> dict[str, StaticAnalysis]:
    """Worker: coverage.py's static analysis of some files, by cache key; failures left out
    (the loader meets them again and reports them properly)."""
    parsed: dict[str, StaticAnalysis] = {}
    for filename in filenames:
        with contextlib.suppress(Exception):
            key = cache_key(Path(filename).read_bytes(), options)
            parsed[key] = analyze_file(filename, options)
    return parsed


class Preparse:
    """Parse the project's sources while the suite runs: a core the suite leaves idle does the
    work the plan would otherwise do after it. What is not done when the suite ends is left to
    the loader, which parses in parallel."""

    CHUNK = 8

    def __init__(self, files: list[Path], options: AnalysisOptions) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[dict[str, StaticAnalysis]]] = []
        if not files or (os.cpu_count() or 1) < 2:
            return
        self._pool = ProcessPoolExecutor(max_workers=1, initializer=_lower_priority)
        names = [str(f) for f in files]
        for start in range(0, len(names), self.CHUNK):
            chunk = names[start : start + self.CHUNK]
            self._futures.append(self._pool.submit(_parse_chunk, chunk, options))

    def results(self) -> dict[str, StaticAnalysis]:
        """What was parsed; parsing that had not started is cancelled."""
        if self._pool is None:
            return {}
        for future in self._futures:
            future.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        done: dict[str, StaticAnalysis] = {}
        for future in self._futures:
            if not future.cancelled() and future.exception() is None:
                done.update(future.result())
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
