"""From parsed options to settings: the overrides, and paths taken from where covgap runs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from covgap.config import Settings


def _data_path(data: str | None, project_dir: Path) -> str | None:
    """``--data`` is relative to where covgap runs; shown relative to the project when inside."""
    if data is None:
        return None
    path = Path(data).absolute()
    try:
        return str(path.relative_to(project_dir.absolute()))
    except ValueError:
        return str(path)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "data-file": _data_path(args.data, Path(args.project)),
        "target": args.target,
        "milestones": args.milestones,
        "skip": args.skip,
        "format": args.format,
        "output": args.output,
        "top": args.top,
        "precision": args.precision,
        "jobs": args.jobs,
        "cache": False if args.no_cache else None,
        "risk": False if args.no_risk else None,
        "churn-window": args.churn_window,
        "audit": False if args.no_audit else None,
    }


def _output_folder(settings: Settings, project_dir: Path) -> str:
    """``--output`` is relative to where covgap runs; the configured one to the project."""
    if str(settings.output) == "-":
        return "-"
    if settings.output.is_absolute() or settings.origins.get("output") == "command line":
        return str(settings.output)
    return str(project_dir / settings.output)
