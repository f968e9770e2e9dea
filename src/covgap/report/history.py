"""What ``covgap history`` prints: the trend, and each change of the total explained."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from covgap import __version__
from covgap.config import Settings

if TYPE_CHECKING:
    from covgap.analyze.deltas import Delta
    from covgap.store.history import SnapshotSummary

__all__ = ["history_json", "history_text", "snapshot_rows"]

#: Files named per delta in the text view.
FILES_SHOWN = 5


def history_text(
    summaries: Sequence[SnapshotSummary], deltas: Sequence[Delta], settings: Settings
) -> str:
    if not summaries:
        return (
            f"No snapshots in {settings.history} yet: `covgap run`, or `covgap plan --record`, "
            "stores one.\n"
        )
    by_after = {delta.after_id: delta for delta in deltas}
    lines = [f"{len(summaries)} snapshot{'s' if len(summaries) != 1 else ''} in {settings.history}"]
    for summary in summaries:
        commit = (summary.commit or "no commit")[:10] + ("+" if summary.dirty else "")
        branch = f" {summary.branch}" if summary.branch else ""
        tests = ""
        if summary.health is not None:
            health = summary.health
            tests = f"; tests {health.passed} passed, {health.failed} failed"
        lines.append(
            f"#{summary.id:<4} {summary.recorded_at}  {commit}{branch}  "
            f"{summary.percent:.1f}%{tests}"
        )
        delta = by_after.get(summary.id)
        if delta is None:
            continue
        lines.append(f"      {delta.text}")
        for file in delta.files[:FILES_SHOWN]:
            parts = []
            for unit, change in (("statements", file.statements), ("branches", file.branches)):
                counts = [
                    f"{getattr(change, name)} {label}"
                    for name, label in (
                        ("covered_added", "covered added"),
                        ("uncovered_added", "uncovered added"),
                        ("covered_removed", "covered removed"),
                        ("uncovered_removed", "uncovered removed"),
                        ("lost", "lost coverage"),
                        ("gained", "gained coverage"),
                    )
                    if getattr(change, name)
                ]
                if counts:
                    parts.append(f"{unit}: {', '.join(counts)}")
            for varied, what in ((file.lost_lines, "lost"), (file.gained_lines, "gained")):
                if varied:
                    parts.append(f"lines that {what} coverage: {_ranges(varied)}")
            lines.append(
                f"        {file.path} ({file.status}, {float(file.impact):+.2f} points): "
                + "; ".join(parts)
            )
        if len(delta.files) > FILES_SHOWN:
            lines.append(f"        … and {len(delta.files) - FILES_SHOWN} more files")
    flagged = [delta for delta in deltas if delta.flagged]
    if flagged:
        lines.append(
            f"{len(flagged)} drop{'s' if len(flagged) != 1 else ''} of more than "
            f"{settings.drop_alert:g} points"
        )
    return "\n".join(lines) + "\n"


def _ranges(lines: Sequence[int]) -> str:
    """Ascending lines as runs: "12-14, 20"."""
    runs: list[list[int]] = []
    for line in lines:
        if runs and line == runs[-1][1] + 1:
            runs[-1][1] = line
        else:
            runs.append([line, line])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _change(change: Any) -> dict[str, int]:
    return {
        name: int(getattr(change, name))
        for name in (
            "covered_added",
            "uncovered_added",
            "covered_removed",
            "uncovered_removed",
            "lost",
            "gained",
        )
    }


def snapshot_rows(
    summaries: Sequence[SnapshotSummary], deltas: Sequence[Delta], *, detailed: bool = True
) -> list[dict[str, Any]]:
    """Each snapshot with the delta that led to it (its parts and files when ``detailed``):
    what ``covgap history --format json`` lists and the HTML page's trend draws."""
    by_after = {delta.after_id: delta for delta in deltas}
    rows = []
    for summary in summaries:
        delta = by_after.get(summary.id)
        row: dict[str, Any] = {
            "id": summary.id,
            "commit": summary.commit,
            "branch": summary.branch,
            "dirty": summary.dirty,
            "recorded_at": summary.recorded_at,
            "percent": summary.percent,
        }
        explained: dict[str, Any] | None = None
        if delta is not None:
            explained = {
                "points": float(delta.points),
                "flagged": delta.flagged,
                "same_code": delta.same_code,
                "text": delta.text,
            }
        if detailed:
            row.update(
                statements=summary.totals.statements,
                missing_statements=summary.totals.missing_statements,
                branches=summary.totals.branches,
                missing_branches=summary.totals.missing_branches,
                health=None if summary.health is None else vars(summary.health),
            )
            if delta is not None and explained is not None:
                explained.update(
                    statements=_change(delta.statements),
                    branches=_change(delta.branches),
                    files=[
                        {
                            "path": f.path,
                            "status": f.status,
                            "impact": float(f.impact),
                            "statements": _change(f.statements),
                            "branches": _change(f.branches),
                            "lost_lines": list(f.lost_lines),
                            "gained_lines": list(f.gained_lines),
                        }
                        for f in delta.files
                    ],
                )
        row["delta"] = explained
        rows.append(row)
    return rows


def history_json(
    summaries: Sequence[SnapshotSummary], deltas: Sequence[Delta], settings: Settings
) -> str:
    document = {
        "format_version": 1,
        "generator": {"name": "covgap", "version": __version__},
        "drop_alert": settings.drop_alert,
        "snapshots": snapshot_rows(summaries, deltas),
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"
