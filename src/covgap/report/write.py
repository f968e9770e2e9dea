"""The one owner of output files: atomic writes, "-" for stdout, and a "Wrote …" line each."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from covgap.errors import OutputError

__all__ = ["write_atomic", "write_reports"]


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private; a report gets the permissions of any new file.
        Path(temporary).chmod(0o666 & ~_umask())
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_reports(files: Mapping[str, str], output: str, stdout: TextIO) -> list[Path]:
    """Write each rendered file (name → text) into ``output``, or all to ``stdout`` for "-".

    Everything was rendered before this is called, so a failure here never leaves a report
    half-written: each file is replaced atomically or not at all.
    """
    if output == "-":
        for text in files.values():
            stdout.write(text)
        stdout.flush()
        return []
    folder = Path(output)
    if folder.exists() and not folder.is_dir():
        raise OutputError("exists and is not a folder", path=output, slug="output-not-folder")
    written: list[Path] = []
    for name, text in files.items():
        target = folder / name
        try:
            write_atomic(target, text)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise OutputError(
                f"cannot write the report: {reason}", path=str(target), slug="cannot-write"
            ) from exc
        written.append(target)
    return written
