"""Standard output for the command line: a reader that stops reading ends covgap quietly, and a
stream that cannot take the output (a full disk, an error) is one OutputError, not a traceback."""

from __future__ import annotations

import contextlib
import io
import os
import time
from typing import Any, TextIO

from covgap.errors import OutputError

__all__ = ["GuardedStdout", "ReaderGone"]


class ReaderGone(Exception):
    """The reader of standard output stopped reading (``covgap … | head``)."""


class GuardedStdout:
    """A text stream that turns its write errors into ReaderGone or OutputError.

    Everything but ``write`` and ``flush`` is the wrapped stream's (``isatty``, ``encoding``…), so
    rich and the reporters see the stream they were given. After a failure, the stream's file
    descriptor is pointed at the null device: what is still buffered would otherwise fail again
    when Python flushes it at exit (a second message, and exit status 120).
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            raw = self._unbuffered()
            if raw is None:
                return self._stream.write(text)
            self._write_all(raw, text)
            return len(text)
        except OSError as exc:
            raise self._failure(exc) from exc

    def _unbuffered(self) -> io.RawIOBase | None:
        """The raw file under a text stream without a byte buffer (``PYTHONUNBUFFERED=1``,
        common in CI): there, Python drops what a partial write left (a disk that fills), so
        covgap writes the bytes itself."""
        raw = getattr(self._stream, "buffer", None)
        return raw if isinstance(raw, io.RawIOBase) else None

    def _write_all(self, raw: io.RawIOBase, text: str) -> None:
        self._stream.flush()
        if os.linesep != "\n":  # what the text stream would have done
            text = text.replace("\n", os.linesep)
        encoding = getattr(self._stream, "encoding", None) or "utf-8"
        errors = getattr(self._stream, "errors", None) or "strict"
        data = memoryview(text.encode(encoding, errors))
        while data:
            written = raw.write(data)  # the next call raises what stopped this one short
            if written is None:  # a non-blocking stream that is full for now
                time.sleep(0.01)
                continue
            data = data[written:]

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise self._failure(exc) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _failure(self, exc: OSError) -> Exception:
        self._discard_the_rest()
        if isinstance(exc, BrokenPipeError):
            return ReaderGone()
        return OutputError(
            f"cannot write: {exc.strerror or exc}", path="standard output", slug="stdout-unwritable"
        )

    def _discard_the_rest(self) -> None:
        try:
            descriptor = self._stream.fileno()
        except (OSError, ValueError, AttributeError):  # not a file (a StringIO): nothing to do
            return
        with contextlib.suppress(OSError):
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, descriptor)
            finally:
                os.close(null)
