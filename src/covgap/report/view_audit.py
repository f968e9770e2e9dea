"""The view of the audit: findings, the score by area, the inventory and CI in numbers (part of
the plan's view, and the whole of ``covgap audit``'s)."""

from __future__ import annotations

from typing import Any

from covgap import __version__
from covgap.model import AuditResult, Finding

__all__ = ["AUDIT_FORMAT_VERSION", "audit_view", "build_audit_view"]

#: The version of audit.json (``covgap audit --format json``); docs/audit.md describes it.
AUDIT_FORMAT_VERSION = 1


def _points(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _finding(finding: Finding) -> dict[str, Any]:
    first = finding.evidence[0] if finding.evidence else None
    return {
        "rule": finding.rule,
        "area": finding.area,
        "severity": finding.severity,
        "title": finding.title,
        "where_display": (
            f"{first.path}:{first.line}" if first and first.line else first.path if first else ""
        ),
        "evidence": [
            {"path": item.path, "line": item.line, "text": item.text} for item in finding.evidence
        ],
        "why": finding.why,
        "fix": finding.fix,
        "fix_path": finding.fix_path,
        "points": finding.points,
        "points_display": _points(finding.points),
    }


def audit_view(audit: AuditResult | None) -> dict[str, Any] | None:
    if audit is None:
        return None
    inventory = audit.inventory
    ci = audit.ci
    earned, possible = audit.earned, audit.possible
    return {
        "score": {
            "earned": round(earned, 1),
            "possible": possible,
            "percent": round(100 * earned / possible, 1) if possible else None,
            "display": f"{_points(round(earned, 1))} / {_points(possible)}",
        },
        "areas": [
            {
                "area": area.area,
                "label": area.label,
                "earned": area.earned,
                "possible": area.possible,
                "display": (
                    f"{_points(area.earned)} / {_points(area.possible)}"
                    if area.unmeasured is None
                    else "not scored"
                ),
                "unmeasured": area.unmeasured,
                "findings": [f.rule for f in audit.findings if f.area == area.area],
            }
            for area in audit.areas
        ],
        "counts": {
            severity: audit.count(severity) for severity in ("high", "medium", "low", "info")
        },
        "findings": [_finding(f) for f in audit.findings],
        "inventory": None
        if inventory is None
        else {
            "test_files": inventory.test_files,
            "test_functions": inventory.test_functions,
            "tests": inventory.tests,
            "unknown_cases": inventory.unknown_cases,
            "test_classes": inventory.test_classes,
            "fixtures": inventory.fixtures,
            "categories": [{"name": name, "tests": count} for name, count in inventory.categories],
            "markers_used": list(inventory.markers_used),
            "markers_declared": list(inventory.markers_declared),
            "empty_folders": list(inventory.empty_folders),
            "uncollected": list(inventory.uncollected),
            "no_project_import": list(inventory.no_project_import),
            "unparsable": list(inventory.unparsable),
        },
        "ci": None
        if ci is None
        else {
            "files": list(ci.files),
            "jobs": ci.jobs,
            "test_runs": [{"where": where, "command": command} for where, command in ci.test_runs],
            "gates": list(ci.gates),
            "python_versions": list(ci.python_versions),
        },
        "notes": list(audit.notes),
    }


def build_audit_view(audit: AuditResult, project: str) -> dict[str, Any]:
    """The versioned dict behind ``covgap audit``'s reports."""
    return {
        "format_version": AUDIT_FORMAT_VERSION,
        "generator": {"name": "covgap", "version": __version__},
        "project": project,
        "audit": audit_view(audit),
    }
