"""Reading the files covgap is handed (reports, logs): one DataError naming the file, always."""

from __future__ import annotations

from pathlib import Path

from covgap.errors import DataError

__all__ = ["WIDE_BOMS", "read_input"]

#: Byte-order marks of UTF-16 and UTF-32: an XML file in them defeats a byte search for
#: DOCTYPE and ENTITY declarations, so such files are refused.
WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def read_input(path: Path, what: str, missing_slug: str) -> bytes:
    """The bytes of ``path`` (a ``what``: "coverage report", "test event log"…)."""
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise DataError(f"{what} not found", path=str(path), slug=missing_slug) from exc
    except IsADirectoryError as exc:
        raise DataError(f"is a folder, not a {what}", path=str(path)) from exc
    except OSError as exc:
        raise DataError(f"cannot read the {what} ({exc.strerror})", path=str(path)) from exc
