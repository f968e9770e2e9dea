"""Facts about the project's code and docs that an audit needs, read as text (fast, nothing run).

- ``scan_sources``: the project's own packages (the import names its tests should import), its
  source files, its first ``async def``, and the HTTP client libraries it imports — a line scan
  for ``async def`` / ``import X`` / ``from X import``, not a parse (a string that looks like an
  import counts; on sympy-sized projects a parse would cost seconds).
- ``scan_docs``: the README, CONTRIBUTING and ``docs/`` files (Markdown, reStructuredText,
  text), and the first line in them that shows how to run the tests (a ``pytest``, ``tox``,
  ``nox``, ``make test``, ``hatch test`` or ``covgap run`` command).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from covgap.files import read_text

__all__ = [
    "DocsFacts",
    "SourceFacts",
    "marker_registrations",
    "project_packages",
    "scan_docs",
    "scan_sources",
]

#: HTTP client libraries whose calls a test should fake (see analyze/isolation.py's table).
HTTP_CLIENTS = ("requests", "httpx", "aiohttp", "urllib3")

_IMPORT = re.compile(r"^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import|import\s+([A-Za-z_][\w.]*))", re.M)
_ASYNC_DEF = re.compile(r"^\s*async\s+def\s", re.M)
_MARKER_REGISTRATION = re.compile(r"addinivalue_line\(\s*[\"']markers[\"']\s*,\s*([^)]*)")
_LITERAL_MARKER = re.compile(r"^[rbu]?[\"']([A-Za-z_]\w*)")
_SKIPPED_PARTS = frozenset({"__pycache__", "node_modules", "site-packages"})

_DOC_NAMES = ("README", "CONTRIBUTING", "TESTING", "HACKING", "DEVELOPMENT")
_DOC_SUFFIXES = frozenset({".md", ".rst", ".txt", ".markdown", ""})
_TEST_COMMAND = re.compile(
    r"(?:^|[\s`$>])(?:python3?\s+-m\s+pytest|pytest|py\.test|tox(?:\s+-e\s*\S+)?|nox(?:\s+-s\s*\S+)?"
    r"|make\s+test\S*|hatch\s+(?:test|run\s+\S*test\S*)|covgap\s+run|uv\s+run\s+pytest)"
    r"(?=$|[\s`])",
    re.M,
)


@dataclass(frozen=True)
class SourceFacts:
    """The project's own code, as an audit sees it."""

    packages: tuple[str, ...]
    files: tuple[str, ...]
    #: The first ``async def`` in the sources: (path, line), or None.
    async_code: tuple[str, int] | None = None
    #: HTTP client library → (path, line, the line's text) of its first import in the sources.
    http_clients: Mapping[str, tuple[str, int, str]] = field(default_factory=dict)
    #: Markers the sources register (``config.addinivalue_line("markers", ...)``: the project
    #: is a pytest plugin), and whether a registration's name is computed.
    registered_markers: tuple[str, ...] = ()
    dynamic_markers: bool = False


@dataclass(frozen=True)
class DocsFacts:
    """The project's documentation files, and where they say how to run the tests."""

    files: tuple[str, ...]
    #: (path, line, command) of the first test command shown, or None.
    test_instructions: tuple[str, int, str] | None
    contributing: str | None


def project_packages(project_dir: Path, source: Sequence[str]) -> tuple[str, ...]:
    """The top-level import names of the project's code: ``src``'s packages and modules, or the
    source entries themselves (``pkg.sub`` → ``pkg``)."""
    names: list[str] = []
    for entry in source:
        folder = project_dir / entry
        if entry == "src" and folder.is_dir():
            names += [
                child.stem if child.suffix == ".py" else child.name
                for child in sorted(folder.iterdir())
                if (child.is_dir() and (child / "__init__.py").exists())
                or (child.suffix == ".py" and child.is_file())
                or (child.is_dir() and any(child.glob("*.py")))
            ]
        else:
            names.append(Path(entry).name.split(".")[0] if "/" in entry else entry.split(".")[0])
    return tuple(dict.fromkeys(name for name in names if name.isidentifier()))


def marker_registrations(text: str) -> tuple[list[str], bool]:
    """The markers ``text`` registers with ``config.addinivalue_line("markers", ...)``, and
    whether one of them is named by an expression (an f-string, a variable)."""
    names: list[str] = []
    dynamic = False
    if "addinivalue_line" not in text:
        return names, dynamic
    for match in _MARKER_REGISTRATION.finditer(text):
        literal = _LITERAL_MARKER.match(match.group(1).strip())
        if literal:
            names.append(literal.group(1))
        else:
            dynamic = True
    return names, dynamic


def scan_sources(project_dir: Path, files: Sequence[Path], packages: Sequence[str]) -> SourceFacts:
    """Read each source file once, looking for ``async def``, HTTP client imports and marker
    registrations."""
    relative: list[str] = []
    async_code: tuple[str, int] | None = None
    clients: dict[str, tuple[str, int, str]] = {}
    markers: list[str] = []
    dynamic = False
    for path in files:
        if _SKIPPED_PARTS.intersection(path.parts):
            continue
        shown = path.relative_to(project_dir).as_posix()
        relative.append(shown)
        try:
            text = read_text(path, errors="replace")
        except OSError:
            continue
        registered, computed = marker_registrations(text)
        markers += registered
        dynamic = dynamic or computed
        if async_code is None and (found := _ASYNC_DEF.search(text)):
            async_code = (shown, text.count("\n", 0, found.start()) + 1)
        for match in _IMPORT.finditer(text):
            top = (match.group(1) or match.group(2)).split(".")[0]
            if top in HTTP_CLIENTS and top not in clients:
                line = text.count("\n", 0, match.start()) + 1
                end = text.find("\n", match.start())
                clients[top] = (
                    shown,
                    line,
                    text[match.start() : end if end >= 0 else None].strip(),
                )
    return SourceFacts(
        tuple(packages),
        tuple(relative),
        async_code,
        clients,
        tuple(dict.fromkeys(markers)),
        dynamic,
    )


def _doc_files(project_dir: Path) -> list[Path]:
    found = [
        path
        for path in sorted(project_dir.iterdir())
        if path.is_file()
        and path.stem.upper() in _DOC_NAMES
        and path.suffix.lower() in _DOC_SUFFIXES
    ]
    for folder in (project_dir / "docs", project_dir / "doc", project_dir / ".github"):
        if folder.is_dir():
            found += sorted(
                path
                for path in folder.rglob("*")
                if path.is_file() and path.suffix.lower() in {".md", ".rst", ".txt"}
            )[:500]
    return found


def scan_docs(project_dir: Path) -> DocsFacts:
    """The docs, and the first place that shows a command running the tests."""
    files = _doc_files(project_dir)
    instructions: tuple[str, int, str] | None = None
    contributing: str | None = None
    for path in files:
        shown = path.relative_to(project_dir).as_posix()
        if contributing is None and path.stem.upper() == "CONTRIBUTING":
            contributing = shown
        if instructions is not None:
            continue
        try:
            text = read_text(path, errors="replace")
        except OSError:
            continue
        if found := _TEST_COMMAND.search(text):
            line = text.count("\n", 0, found.start()) + 1
            command = text.splitlines()[line - 1].strip() if text else ""
            instructions = (shown, line, command[:120])
    return DocsFacts(
        tuple(path.relative_to(project_dir).as_posix() for path in files),
        instructions,
        contributing,
    )
