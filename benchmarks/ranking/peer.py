"""testrisk (the closest peer ranker) on the same partial data: its top 10, as oracle units."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ranking.oracle import write_atomically

__all__ = ["TESTRISK", "PeerItem", "ensure_testrisk", "testrisk_top"]

#: The peer's pinned release (it needs Python 3.12+).
TESTRISK = "testrisk==1.1.0"
#: Every gap, as JSON; ``--no-default-omit``: testrisk leaves out ``__init__.py`` files by
#: default, which would leave it nothing to rank in tabulate (all its code is in one) and rank
#: other files than covgap does.
OPTIONS = ("--top", "0", "--json", "--color", "never", "--no-default-omit")


@dataclass(frozen=True)
class PeerItem:
    """One of testrisk's gaps: the function it names, and its missing units in oracle terms."""

    path: str
    name: str
    score: float
    units: frozenset[Hashable]


def ensure_testrisk(work: Path, python: list[str]) -> Path:
    """testrisk's command, installed in ``work/testrisk/venv`` when missing."""
    venv = work / "testrisk" / "venv"
    command = venv / "bin" / "testrisk"
    if not command.exists():
        env = dict(os.environ)
        subprocess.run([*python, "-m", "venv", str(venv)], check=True, env=env)
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", TESTRISK], check=True
        )
    return command


def _units(gap: dict[str, Any]) -> frozenset[Hashable]:
    path = gap["path"]
    units: set[Hashable] = {(path, line) for line in gap["missing_lines"]}
    units |= {(path, b["line"], b["dest"]) for b in gap["missing_branches"]}
    return frozenset(units)


def testrisk_top(
    command: Path, venv_python: Path, folder: Path, data_file: Path, cache: Path, top: int = 10
) -> tuple[list[PeerItem], str]:
    """testrisk's first ``top`` gaps on ``data_file`` and the input it was given.

    testrisk reads a ``.coverage`` file but then sees no branch (it reported 100% of branches
    covered on every project tried), so it is given the ``coverage json`` report of the same data,
    made with the project's own coverage.py, the input its README shows. Cached in ``cache``
    until the data file changes.
    """
    stamp = f"{data_file.stat().st_mtime_ns}:{data_file.stat().st_size}:{' '.join(OPTIONS)}"
    if cache.exists():
        raw = json.loads(cache.read_text())
        if raw.get("stamp") == stamp:
            return [
                PeerItem(g["path"], g["name"], g["score"], _units(g)) for g in raw["gaps"][:top]
            ], raw["input"]
    report = data_file.with_name(data_file.stem + "-coverage.json")
    env = dict(os.environ, COVERAGE_FILE=str(data_file))
    subprocess.run(
        [str(venv_python), "-m", "coverage", "json", "-q", "-o", str(report)],
        cwd=folder,
        env=env,
        check=True,
    )
    done = subprocess.run(
        [str(command), "--repo", str(folder), "--coverage", str(report), *OPTIONS],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"testrisk failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    gaps = json.loads(done.stdout)["gaps"]
    given = f"coverage json of {data_file.name}"
    write_atomically(cache, json.dumps({"stamp": stamp, "gaps": gaps, "input": given}))
    return [PeerItem(g["path"], g["name"], g["score"], _units(g)) for g in gaps[:top]], given
