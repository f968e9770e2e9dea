"""The baseline the ratchet and the phase gate compare with: a committed ``covgap-baseline.json``
(for projects that want it in git), else the history database's last snapshot of another commit.

``covgap-baseline.json`` (format 1)::

    {"format_version": 1, "generator": {"name": "covgap", "version": "0.1.0"},
     "commit": "1a2b3c…" | null, "recorded_at": "2026-11-21T12:00:00+00:00",
     "totals": {"statements": 1500, "missing_statements": 200,
                "branches": 400, "missing_branches": 60, "percent": 86.31…},
     "files": {"src/shop/orders.py": {"statements": 120, "missing_statements": 8}, …},
     "phases": [70.0, 80.0]}

``phases`` are the ``fail_under`` values of the plan's phases when the baseline was written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from covgap import __version__
from covgap.errors import DataError
from covgap.files import NotRegularFileError, read_text
from covgap.inputs import not_regular
from covgap.model import Baseline, Numbers, ProjectCoverage

__all__ = ["BASELINE_FORMAT", "DEFAULT_BASELINE", "baseline_json", "read_baseline"]

BASELINE_FORMAT = 1
#: Where ``--update-baseline`` writes when ``baseline-file`` is not set.
DEFAULT_BASELINE = Path("covgap-baseline.json")


def baseline_json(
    project: ProjectCoverage, commit: str | None, phases: Sequence[float] = ()
) -> str:
    """The baseline of the current measurement, as the file's text."""
    totals = project.totals
    document = {
        "format_version": BASELINE_FORMAT,
        "generator": {"name": "covgap", "version": __version__},
        "commit": commit,
        "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "totals": {
            "statements": totals.statements,
            "missing_statements": totals.missing_statements,
            "branches": totals.branches,
            "missing_branches": totals.missing_branches,
            "percent": totals.percent_covered,
        },
        "files": {
            file.path: {
                "statements": file.numbers.statements,
                "missing_statements": file.numbers.missing_statements,
            }
            for file in sorted(project.files, key=lambda f: f.path)
        },
        "phases": sorted(float(p) for p in phases),
    }
    return json.dumps(document, indent=1, sort_keys=False) + "\n"


def _count(value: Any, what: str, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DataError(f"{what} is {value!r}, not a count", path=str(path), slug="bad-baseline")
    return value


def read_baseline(path: Path) -> Baseline:
    """The baseline in ``path``; DataError naming the file when it is missing or malformed."""
    try:
        document = json.loads(read_text(path))
    except NotRegularFileError as exc:
        raise not_regular(exc, str(path)) from exc
    except FileNotFoundError:
        raise DataError(
            "baseline file not found",
            path=str(path),
            hint="write one with `covgap check --update-baseline`",
            slug="no-baseline",
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(
            f"not a covgap baseline (cannot be read as JSON: {exc})",
            path=str(path),
            slug="bad-baseline",
        ) from None
    if not isinstance(document, dict) or "totals" not in document:
        raise DataError("not a covgap baseline (no totals)", path=str(path), slug="bad-baseline")
    version = document.get("format_version")
    if not isinstance(version, int) or version > BASELINE_FORMAT:
        raise DataError(
            f"baseline format {version!r}: this covgap reads format {BASELINE_FORMAT}",
            path=str(path),
            hint="upgrade covgap, or write the baseline again with this one",
            slug="bad-baseline",
        )
    totals = document["totals"]
    if not isinstance(totals, dict):
        raise DataError("not a covgap baseline (totals)", path=str(path), slug="bad-baseline")
    numbers = Numbers(
        statements=_count(totals.get("statements"), "totals.statements", path),
        missing_statements=_count(
            totals.get("missing_statements"), "totals.missing_statements", path
        ),
        branches=_count(totals.get("branches", 0), "totals.branches", path),
        missing_branches=_count(totals.get("missing_branches", 0), "totals.missing_branches", path),
    )
    files: dict[str, tuple[int, int]] = {}
    raw_files = document.get("files", {})
    if not isinstance(raw_files, dict):
        raise DataError("not a covgap baseline (files)", path=str(path), slug="bad-baseline")
    for name, entry in raw_files.items():
        if not isinstance(entry, dict):
            raise DataError(f"files.{name} is not a table", path=str(path), slug="bad-baseline")
        files[str(name)] = (
            _count(entry.get("missing_statements"), f"files.{name}.missing_statements", path),
            _count(entry.get("statements"), f"files.{name}.statements", path),
        )
    phases = document.get("phases", [])
    if not isinstance(phases, list) or not all(
        isinstance(p, (int, float)) and not isinstance(p, bool) for p in phases
    ):
        raise DataError("phases is not a list of percentages", path=str(path), slug="bad-baseline")
    commit = document.get("commit")
    shown = f"{path.name}" + (f" (commit {str(commit)[:10]})" if commit else "")
    return Baseline(
        source=shown,
        commit=str(commit) if commit else None,
        numbers=numbers,
        files=files,
        phases=tuple(sorted(float(p) for p in phases)),
    )
