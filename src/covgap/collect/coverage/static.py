"""coverage.py's static analysis of one source file, as plain data that can be cached and shipped.

The expensive part of reporting is parsing: statements, exclusions, possible arcs and code
regions. Everything here is computed by coverage.py's own parser and region finder; covgap only
stores the results so that a file whose bytes have not changed is never parsed twice, and so that
files can be parsed in worker processes.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import coverage
from coverage.parser import PythonParser
from coverage.phystokens import source_encoding
from coverage.plugin import CodeRegion, FileReporter
from coverage.python import get_python_source, read_python_source
from coverage.regions import code_regions
from coverage.types import TArc, TLineNo

__all__ = ["StaticAnalysis", "StaticFileReporter", "analyze_file", "cache_key"]

#: Bump when the shape of StaticAnalysis.to_json() changes.
#: 1: first version.
STATIC_FORMAT = 1


@dataclass(frozen=True)
class AnalysisOptions:
    """What, beyond the bytes of a file, changes coverage.py's analysis of it."""

    exclude_regex: str
    partial_regex: str
    branch: bool

    def fingerprint(self) -> bytes:
        parts = [
            f"static-format={STATIC_FORMAT}",
            f"coverage={coverage.__version__}",
            # The parser's results depend on the interpreter's grammar and line tables.
            f"python={sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}",
            f"exclude={self.exclude_regex}",
            f"partial={self.partial_regex}",
            f"branch={self.branch}",
        ]
        return "\0".join(parts).encode()


def cache_key(source_bytes: bytes, options: AnalysisOptions) -> str:
    """The cache key of a file: its content hash under these options."""
    digest = hashlib.sha256(options.fingerprint())
    digest.update(b"\0")
    digest.update(source_bytes)
    return digest.hexdigest()


@dataclass(frozen=True)
class StaticAnalysis:
    """What coverage.py's parser found in a file, as plain data."""

    statements: frozenset[TLineNo]
    excluded: frozenset[TLineNo]
    multiline_map: dict[TLineNo, TLineNo]
    arcs: frozenset[TArc]
    with_jump_fixers: dict[TArc, TArc | None]
    no_branch: frozenset[TLineNo]
    regions: tuple[CodeRegion, ...]
    num_lines: int
    #: The bytes were not valid in their declared encoding; coverage.py read them with
    #: replacement characters, and so do we.
    decode_replaced: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "statements": sorted(self.statements),
            "excluded": sorted(self.excluded),
            "multiline_map": sorted(self.multiline_map.items()),
            "arcs": sorted(self.arcs),
            "with_jump_fixers": [
                [a, b, *(fixed if fixed is not None else (None, None))]
                for (a, b), fixed in self.with_jump_fixers.items()
            ],
            "no_branch": sorted(self.no_branch),
            "regions": [[r.kind, r.name, r.start, _to_ranges(r.lines)] for r in self.regions],
            "num_lines": self.num_lines,
            "decode_replaced": self.decode_replaced,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> StaticAnalysis:
        fixers: dict[TArc, TArc | None] = {}
        for a, b, c, d in obj["with_jump_fixers"]:
            fixers[(a, b)] = (c, d) if c is not None else None
        return cls(
            statements=frozenset(obj["statements"]),
            excluded=frozenset(obj["excluded"]),
            multiline_map=dict(obj["multiline_map"]),
            arcs=frozenset((a, b) for a, b in obj["arcs"]),
            with_jump_fixers=fixers,
            no_branch=frozenset(obj["no_branch"]),
            regions=tuple(
                CodeRegion(kind=kind, name=name, start=start, lines=_from_ranges(ranges))
                for kind, name, start, ranges in obj["regions"]
            ),
            num_lines=obj["num_lines"],
            decode_replaced=obj["decode_replaced"],
        )


def analyze_file(filename: str, options: AnalysisOptions) -> StaticAnalysis:
    """Parse one file with coverage.py, exactly as its reporters do.

    Raises coverage's NotPython for a syntax error and NoSource for a missing file.
    """
    text = get_python_source(filename)
    parser = PythonParser(text=text, filename=filename, exclude=options.exclude_regex)
    parser.parse_source()
    arcs: set[TArc] = set()
    if options.branch:
        arcs = parser.arcs()
    no_branch = parser.lines_matching(options.partial_regex) if options.branch else set()
    return StaticAnalysis(
        statements=frozenset(parser.statements),
        excluded=frozenset(parser.excluded),
        multiline_map=dict(parser.multiline_map),
        arcs=frozenset(arcs),
        with_jump_fixers=dict(parser._with_jump_fixers),
        no_branch=frozenset(no_branch),
        regions=tuple(code_regions(text)),
        num_lines=len(text.splitlines()),
        decode_replaced=_decode_replaced(filename),
    )


def _decode_replaced(filename: str) -> bool:
    """Whether coverage.py had to replace undecodable bytes when it read this file."""
    try:
        source_bytes = read_python_source(filename)
    except OSError:  # a file inside a zip: coverage read it; nothing to say here
        return False
    try:
        source_bytes.decode(source_encoding(source_bytes))
    except (UnicodeDecodeError, LookupError, SyntaxError):
        return True
    return False


class StaticFileReporter(FileReporter):
    """A FileReporter answered from a StaticAnalysis, using coverage.py's own parser methods.

    coverage's ``analysis_from_file_reporter`` runs against it unchanged, so the numbers are
    coverage.py's to the last statement.
    """

    def __init__(self, filename: str, relative_name: str, static: StaticAnalysis) -> None:
        super().__init__(filename)
        self._relative_name = relative_name
        self.static = static
        # A parser that skips parsing: its state comes from the stored analysis, and its
        # translate_* methods (multi-line statements, `with` jumps) are coverage's own.
        parser = PythonParser(text="\n", filename=filename, exclude=None)
        parser.statements = set(static.statements)
        parser.excluded = set(static.excluded)
        parser.multiline_map = dict(static.multiline_map)
        parser._all_arcs = set(static.arcs)
        parser._with_jump_fixers = dict(static.with_jump_fixers)
        self._parser = parser

    def relative_filename(self) -> str:
        return self._relative_name

    def lines(self) -> set[TLineNo]:
        return self._parser.statements

    def excluded_lines(self) -> set[TLineNo]:
        return self._parser.excluded

    def translate_lines(self, lines: Iterable[TLineNo]) -> set[TLineNo]:
        return self._parser.translate_lines(lines)

    def translate_arcs(self, arcs: Iterable[TArc]) -> set[TArc]:
        return self._parser.translate_arcs(arcs)

    def no_branch_lines(self) -> set[TLineNo]:
        return set(self.static.no_branch)

    def arcs(self) -> set[TArc]:
        return self._parser.arcs()

    def exit_counts(self) -> dict[TLineNo, int]:
        return self._parser.exit_counts()

    def code_regions(self) -> Iterable[CodeRegion]:
        return self.static.regions


def _to_ranges(lines: Iterable[int]) -> list[list[int]]:
    ranges: list[list[int]] = []
    for line in sorted(lines):
        if ranges and ranges[-1][1] == line - 1:
            ranges[-1][1] = line
        else:
            ranges.append([line, line])
    return ranges


def _from_ranges(ranges: Iterable[list[int]]) -> set[int]:
    lines: set[int] = set()
    for start, end in ranges:
        lines.update(range(start, end + 1))
    return lines
