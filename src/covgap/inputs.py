"""Reading the files covgap is handed (reports, logs): one DataError naming the file, always."""

from __future__ import annotations

from pathlib import Path

from covgap.errors import DataError
from covgap.files import NotRegularFileError, read_bytes

__all__ = ["WIDE_BOMS", "inside_project", "not_regular", "read_input"]

#: Byte-order marks of UTF-16 and UTF-32: an XML file in them defeats a byte search for
#: DOCTYPE and ENTITY declarations, so such files are refused.
WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def inside_project(project_dir: Path, path: str) -> bool:
    """Whether a measured file's ``path`` (relative to ``project_dir``, or absolute) is inside
    the project folder, links resolved. A coverage file can name any file on the machine (a
    crafted ``.coverage``, an LCOV ``SF:`` line): covgap quotes text only from files inside,
    and reports the others by their numbers alone."""
    root = project_dir.resolve()
    candidate = Path(path)
    try:
        full = (candidate if candidate.is_absolute() else root / candidate).resolve()
    except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL byte in the name
        return False
    return full.is_relative_to(root)


def read_input(path: Path, what: str, missing_slug: str) -> bytes:
    """The bytes of ``path`` (a ``what``: "coverage report", "test event log"…); a FIFO or a
    device is refused unopened, since reading it could wait forever."""
    try:
        return read_bytes(path)
    except NotRegularFileError as exc:
        raise not_regular(exc, str(path)) from exc
    except FileNotFoundError as exc:
        raise DataError(f"{what} not found", path=str(path), slug=missing_slug) from exc
    except IsADirectoryError as exc:
        raise DataError(f"is a folder, not a {what}", path=str(path)) from exc
    except OSError as exc:
        raise DataError(f"cannot read the {what} ({exc.strerror})", path=str(path)) from exc


def not_regular(exc: NotRegularFileError, shown: str) -> DataError:
    """The error for a FIFO, device or socket given where covgap reads a file (exit 3)."""
    return DataError(str(exc.strerror), path=shown, slug="not-regular-file")
