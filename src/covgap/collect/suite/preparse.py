"""Parse the project's sources while its suite runs, on a core the suite leaves idle: coverage.py's
static analysis, then the code facts and complexity that risk and advice need."""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import multiprocessing.process
import os
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from covgap.collect.coverage.static import AnalysisOptions, StaticAnalysis, analyze_file, cache_key
from covgap.files import read_bytes

__all__ = ["Prepared", "Preparse", "source_files"]


@dataclass
class Prepared:
    """What was made while the suite ran, by cache key."""

    statics: dict[str, StaticAnalysis] = field(default_factory=dict)
    #: Code facts and complexity payloads (``evidence.file_evidence``), by ``facts_key``.
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)


def _worker(
    writer: multiprocessing.connection.Connection, filenames: list[str], options: AnalysisOptions
) -> None:
    """The parsing worker: lower priority, then each chunk of files parsed and sent.

    Ctrl-C is the parent's to handle (it stops this worker); SIGTERM and SIGHUP end it as they
    would any process (the parent's handlers, inherited by a fork, are not for it).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)  # give way to the test suite
    with writer:
        for start in range(0, len(filenames), Preparse.CHUNK):
            writer.send(_parse_chunk(filenames[start : start + Preparse.CHUNK], options))


def _parse_chunk(filenames: list[str], options: AnalysisOptions) -> Prepared:
    """Worker: coverage.py's static analysis of some files, then their code facts, by cache key;
    failures left out (the loader meets them again and reports them properly)."""
    # Imported here, in the worker: the suite starts before covgap loads its analysis modules.
    from covgap.collect.code.evidence import facts_key, file_evidence

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
    the loader, which parses in parallel: the worker is killed, never waited for (on a busy
    machine a low-priority worker may get no CPU at all).

    One worker process sends each chunk's results down a one-way pipe, read by a thread here as
    they come (a pipe holds 64 KiB). No lock is shared with it, so the worker may die at any
    moment (killed here, or by a signal sent to the whole process group) without blocking
    covgap: the reader meets the end of the pipe, and a half-sent chunk is dropped.
    """

    CHUNK = 2

    def __init__(self, files: list[Path], options: AnalysisOptions) -> None:
        self._process: multiprocessing.process.BaseProcess | None = None
        self._reader: threading.Thread | None = None
        self._received: list[Prepared] = []
        if not files or (os.cpu_count() or 1) < 2:
            return
        reader, writer = multiprocessing.Pipe(duplex=False)
        self._process = multiprocessing.get_context().Process(
            target=_worker, args=(writer, [str(f) for f in files], options), daemon=True
        )
        self._process.start()
        writer.close()  # the worker's end: the reader sees the pipe end when the worker does
        self._reader = threading.Thread(target=self._receive, args=(reader,), daemon=True)
        self._reader.start()

    def _receive(self, reader: multiprocessing.connection.Connection) -> None:
        with reader:
            while True:
                try:
                    self._received.append(reader.recv())
                except (EOFError, OSError):  # the worker is done, or was stopped mid-chunk
                    return
                except Exception:  # a chunk that cannot be unpickled: the loader redoes it
                    continue

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the worker to have parsed every file (``covgap run`` never waits)."""
        if self._process is not None:
            self._process.join(timeout)

    def results(self) -> Prepared:
        """What was parsed by now; the rest is abandoned and the worker stopped."""
        done = Prepared()
        if self._process is None or self._reader is None:
            return done
        self._process.kill()
        self._process.join()
        self._reader.join()
        for prepared in self._received:
            done.statics.update(prepared.statics)
            done.facts.update(prepared.facts)
        self._process = self._reader = None
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
