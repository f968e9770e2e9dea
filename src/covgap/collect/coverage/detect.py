"""Tell which kind of coverage file a path holds, from its first bytes, and load it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from covgap.collect.coverage.coverage_data import LoadOptions, load_coverage_data
from covgap.collect.coverage.staleness import with_source_checks
from covgap.errors import DataError
from covgap.files import NotRegularFileError, open_regular
from covgap.inputs import WIDE_BOMS, not_regular
from covgap.model import InputKind, ProjectCoverage

__all__ = ["detect_kind", "load_project"]


def detect_kind(path: Path, shown: str | None = None) -> InputKind:
    """The kind of coverage file at ``path``; DataError (naming ``shown``) when it is none."""
    shown = shown or str(path)
    try:
        with open_regular(path) as handle:
            head = handle.read(4096)
    except NotRegularFileError as exc:
        raise not_regular(exc, shown) from exc
    except FileNotFoundError as exc:
        raise DataError("coverage data file not found", path=shown, slug="no-data-file") from exc
    except OSError as exc:
        raise DataError(f"cannot be read: {exc.strerror}", path=shown) from exc
    if head.startswith(b"SQLite format 3\0"):
        return "coverage-data"
    text = _wide_text(head) or head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return "coverage-json"
    if text.startswith(b"<"):
        return "cobertura-xml"
    if any(line.strip().startswith((b"TN:", b"SF:")) for line in text.splitlines()[:5]):
        return "lcov"
    raise DataError(
        "not coverage data: expected a .coverage (SQLite) file, a coverage JSON report, "
        "a Cobertura XML report or an LCOV file",
        path=shown,
        slug="bad-data-file",
    )


#: UTF-32 before UTF-16: the UTF-32-LE mark starts with the UTF-16-LE one.
_WIDE_CODECS = ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be")


def _wide_text(head: bytes) -> bytes | None:
    """The start of a UTF-16 or UTF-32 text as ASCII bytes, so that a report written in one is
    recognised (its loader then says the encoding is not supported); None for other files."""
    if not head.startswith(WIDE_BOMS) and b"\x00" not in head[:64]:
        return None
    for codec in _WIDE_CODECS:
        usable = len(head) - len(head) % 4
        try:
            text = head[:usable].decode(codec).lstrip("\ufeff \t\r\n")
        except UnicodeDecodeError:
            continue
        if text[:1] in {"<", "{"} or text.startswith(("TN:", "SF:")):
            return text[:16].encode("ascii", "replace")
    return None


def load_project(options: LoadOptions) -> ProjectCoverage:
    """Load whatever ``options.data_file`` holds; the coverage config's data file by default.

    Every loader ends with ``staleness.with_source_checks``: files outside the project folder
    are marked (``FileCoverage.outside``: their numbers only), and sources that changed since
    they were measured are named.
    """
    if options.data_file is None:
        return load_coverage_data(options)
    data_file = options.data_file
    if not data_file.is_absolute():
        data_file = options.project_dir / data_file
    if not data_file.exists() and not any(data_file.parent.glob(data_file.name + ".*")):
        raise DataError(
            "coverage data file not found",
            path=str(options.data_file),
            hint="measure first: `coverage run -m pytest`",
            slug="no-data-file",
        )
    kind = detect_kind(data_file, str(options.data_file)) if data_file.exists() else "coverage-data"
    if kind == "coverage-data":
        return load_coverage_data(options)
    if kind == "coverage-json":
        from covgap.collect.coverage.coverage_json import load_coverage_json

        project = load_coverage_json(data_file, options.project_dir, shown=str(options.data_file))
    elif kind == "cobertura-xml":
        from covgap.collect.coverage.cobertura import load_cobertura

        project = _shown(load_cobertura(data_file, options.project_dir), str(options.data_file))
    else:
        from covgap.collect.coverage.lcov import load_lcov

        project = _shown(load_lcov(data_file, options.project_dir), str(options.data_file))
    return with_source_checks(project, options.project_dir, [data_file])


def _shown(project: ProjectCoverage, path: str) -> ProjectCoverage:
    """The input path as the user gave it, so that reports do not depend on the working folder."""
    return dataclasses.replace(project, input_path=path)
