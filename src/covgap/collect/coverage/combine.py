"""``covgap combine``: merge coverage data files from CI shards or other machines into one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import coverage
from coverage.exceptions import CoverageException

from covgap.collect.coverage.coverage_data import check_data_file
from covgap.collect.suite.rcfile import coverage_config_errors, working_directory
from covgap.errors import DataError, OutputError

__all__ = ["combine_data"]


def combine_data(project_dir: Path, inputs: list[Path], output: Path) -> int:
    """Combine ``inputs`` (files, or folders of ``.coverage*`` files) into ``output``.

    The project's coverage configuration applies, its ``[paths]`` above all, so that data measured
    in other checkouts maps onto this one. The inputs are kept; ``output`` is replaced atomically.
    Returns the number of data files combined.
    """
    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
            files += sorted(
                p
                for p in item.glob(".coverage*")
                if p.is_file() and not p.name.endswith("-journal")
            )
        elif item.exists():
            files.append(item)
        else:
            raise DataError("not found", path=str(item), slug="no-data-file")
    if not files:
        raise DataError(
            "no coverage data files in the folders given",
            path=", ".join(map(str, inputs)),
            slug="no-data-file",
        )
    for file in files:
        check_data_file(file, str(file))
    output = output.absolute()
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{output.name}.", suffix=".tmp", dir=output.parent
        )
        os.close(handle)
        Path(temporary).unlink()  # coverage.py makes the database itself
    except OSError as exc:
        raise OutputError(
            f"cannot write: {exc.strerror}", path=str(output), slug="cannot-write"
        ) from exc
    try:
        with working_directory(project_dir.resolve()):
            with coverage_config_errors():
                cov = coverage.Coverage(data_file=temporary, config_file=True)
            cov.combine([str(f.absolute()) for f in files], strict=True, keep=True)
            cov.save()
            cov.get_data().close(force=True)
        Path(temporary).replace(output)
    except CoverageException as exc:
        raise DataError(f"cannot combine: {exc}", path=str(files[0]), slug="bad-data-file") from exc
    except OSError as exc:
        raise OutputError(
            f"cannot write: {exc.strerror}", path=str(output), slug="cannot-write"
        ) from exc
    finally:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
    return len(files)
