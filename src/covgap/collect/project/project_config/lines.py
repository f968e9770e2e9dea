"""Where a configuration file says what: each key's line, from a scan of the file's text.

Lines come from a scan of the file's text: a ``[table]`` header opens a section, ``key =`` (TOML,
any indentation) or ``key =`` / ``key:`` at the start of a line (INI: indented lines are
continuations) names an option. A file that cannot be parsed is reported as a problem, never
raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ReadProblem:
    """A configuration file that could not be read as what it claims to be."""

    path: str
    line: int | None
    message: str


# --- line lookup -------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:[#;].*)?$")
_TOML_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")
_INI_KEY = re.compile(r"^([A-Za-z0-9_\-.]+)\s*[=:]")


def key_lines(text: str, toml: bool) -> dict[tuple[str, str], int]:
    """(section, key) → line, and (section, "") → the section header's line; first one wins."""
    found: dict[tuple[str, str], int] = {}
    section = ""
    key_pattern = _TOML_KEY if toml else _INI_KEY
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("[["):
            section = header.group(1).replace('"', "").replace("'", "").replace(" ", "")
            found.setdefault((section, ""), number)
            continue
        key = key_pattern.match(line)
        if key:
            name = key.group(1).strip("\"'")
            if toml and "." in name:  # dotted key: tool.pytest.ini_options.x = ...
                prefix, name = name.rsplit(".", 1)
                found.setdefault((f"{section}.{prefix}" if section else prefix, name), number)
            else:
                found.setdefault((section, name), number)
    return found


def _error_line(exc: Exception) -> int | None:
    match = re.search(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else None
