"""Load a Cobertura XML report (``coverage xml``, pytest-cov and similar) into a ProjectCoverage."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from covgap.collect.coverage.line_data import (
    LAST_LINE,
    BranchInfo,
    display_path,
    file_from_lines,
    is_file,
    read_report,
    read_source,
)
from covgap.errors import DataError
from covgap.inputs import WIDE_BOMS
from covgap.model import FileCoverage, ProjectCoverage

__all__ = ["load_cobertura"]

_CONDITION = re.compile(r"\(\s*(\d+)\s*/\s*(\d+)\s*\)")
#: Byte-order marks of encodings in which a plain byte search for "<!DOCTYPE" would not work.


@dataclass
class _FileLines:
    """One source file's lines, merged over every <class> that names it."""

    file: Path | None
    shown: str
    statements: dict[int, int] = field(default_factory=dict)
    branches: dict[int, BranchInfo] = field(default_factory=dict)


def _bad(path: Path, message: str) -> DataError:
    return DataError(
        message,
        path=str(path),
        hint="produce it with `coverage xml` (or pytest --cov-report=xml)",
        slug="bad-report",
    )


def _parse_root(path: Path, data: bytes) -> ET.Element:
    # Refuse DTDs outright: a Cobertura report never needs one, and entity declarations are the
    # vehicle of entity-expansion attacks. The byte search is only reliable for encodings that
    # keep ASCII bytes as they are, so the others (UTF-16/32) are refused as well.
    if data.startswith(WIDE_BOMS):
        raise _bad(path, "XML in UTF-16 or UTF-32 is not supported: write it in UTF-8")
    if b"\x00" in data[:1024]:
        raise _bad(path, "not an XML text file: it has NUL bytes (UTF-16/32 is not supported)")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _bad(path, "XML with a DOCTYPE or ENTITY declaration is refused (not Cobertura)")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise _bad(path, f"not well-formed XML ({exc})") from exc
    if root.tag != "coverage":
        raise _bad(
            path, f"not a Cobertura report: the root element is <{root.tag}>, not <coverage>"
        )
    return root


def _whole_number(path: Path, element: ET.Element, name: str, *, allow_zero: bool) -> int:
    text = element.get(name)
    where = "a <line>" if name == "number" else f"line {element.get('number')}"
    if text is None:
        raise _bad(path, f"{where} has no {name!r} attribute")
    try:
        value = int(text.strip())
    except ValueError:
        raise _bad(path, f"{where}: {name}={text!r} is not a whole number") from None
    if value < 0 or (value == 0 and not allow_zero) or (name == "number" and value > LAST_LINE):
        raise _bad(path, f"{where}: {name}={text!r} is out of range")
    return value


def _branch_info(path: Path, line: ET.Element, number: int) -> BranchInfo | None:
    if line.get("branch", "").strip().lower() != "true":
        return None
    condition = line.get("condition-coverage", "")
    match = _CONDITION.search(condition)
    if match is None:
        raise _bad(
            path,
            f"line {number} is a branch but its condition-coverage {condition!r} "
            "is not like '50% (1/2)'",
        )
    covered, total = int(match.group(1)), int(match.group(2))
    if covered > total:
        raise _bad(path, f"line {number}: condition-coverage {condition!r} covers more than all")
    destinations: list[int] = []
    for token in line.get("missing-branches", "").split(","):
        token = token.strip()
        if not token:
            continue
        if token == "exit":
            destinations.append(-1)
        elif token.isdigit():
            destinations.append(int(token))
        else:
            raise _bad(path, f"line {number}: missing-branches has {token!r}, not a line or 'exit'")
    if len(destinations) > total - covered:
        raise _bad(
            path,
            f"line {number}: missing-branches lists {len(destinations)} destinations "
            f"but condition-coverage {condition!r} misses {total - covered}",
        )
    return BranchInfo(total=total, covered=covered, missing_destinations=tuple(destinations))


def _merge_branch(old: BranchInfo | None, new: BranchInfo) -> BranchInfo:
    """The same line reported twice (a file in several <class> elements): keep the fuller one."""
    if old is None:
        return new
    total = max(old.total, new.total)
    covered = max(old.covered, new.covered)
    destinations = tuple(dict.fromkeys(old.missing_destinations + new.missing_destinations))
    return BranchInfo(total, covered, destinations[: total - covered])


def _locate(filename: str, roots: list[Path], project_dir: Path) -> tuple[Path | None, str]:
    """The file on disk (or None) and the path to report for it."""
    candidates = [root / filename for root in roots] + [project_dir / filename]
    found = next((c for c in candidates if is_file(c)), None)
    chosen = found if found is not None else candidates[0]
    shown = display_path(chosen, project_dir)
    if shown is None:
        shown = chosen.as_posix() if found is not None else filename
    return found, shown


def load_cobertura(path: Path, project_dir: Path) -> ProjectCoverage:
    """Read a Cobertura XML report; regions come from the sources found on disk.

    Each ``<class filename=…>`` is looked for under every ``<sources><source>`` root in turn,
    then under ``project_dir``; several ``<class>`` elements for one file are merged. A file whose
    source is not found is one module-level region with a ``regions_note``.
    """
    root = _parse_root(path, read_report(path))
    roots: list[Path] = []
    for element in root.iterfind("sources/source"):
        text = (element.text or "").strip()
        if text:
            roots.append(project_dir / text)  # an absolute root stays as it is
    files: dict[str, _FileLines] = {}
    branch_measured = False
    for cls in root.iterfind("packages/package/classes/class"):
        filename = (cls.get("filename") or "").strip().replace("\\", "/")
        if not filename:
            raise _bad(path, f"<class name={cls.get('name', '')!r}> has no filename attribute")
        found, shown = _locate(filename, roots, project_dir)
        entry = files.setdefault(shown, _FileLines(found, shown))
        for line in [*cls.iterfind("lines/line"), *cls.iterfind("methods/method/lines/line")]:
            number = _whole_number(path, line, "number", allow_zero=False)
            hits = _whole_number(path, line, "hits", allow_zero=True)
            entry.statements[number] = max(hits, entry.statements.get(number, 0))
            info = _branch_info(path, line, number)
            if info is not None:
                branch_measured = True
                entry.branches[number] = _merge_branch(entry.branches.get(number), info)
    if not files:
        raise DataError(
            "the Cobertura report lists no files",
            path=str(path),
            hint="check [run] source/include in the coverage config and that the tests ran",
            slug="empty-data",
        )
    results: list[FileCoverage] = []
    for entry in files.values():
        if entry.file is None:
            source, reason = None, "source not found"
        else:
            source, reason = read_source(entry.file)
        where = entry.file.as_posix() if entry.file is not None else entry.shown
        results.append(
            file_from_lines(
                entry.shown,
                entry.statements,
                entry.branches,
                source,
                note_if_unknown=f"functions unknown: {reason} at {where}",
            )
        )
    return ProjectCoverage(
        files=tuple(sorted(results, key=lambda f: f.path)),
        branch_measured=branch_measured,
        input_kind="cobertura-xml",
        input_path=str(path),
        coverage_precision=0,
    )
