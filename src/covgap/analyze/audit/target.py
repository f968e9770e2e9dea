"""Coverage against the target: the distance to it, and coverage.py's fail_under by the total."""

from __future__ import annotations

import math
from collections.abc import Sequence

from covgap.analyze.audit.rules import AREAS, _finding, _pct
from covgap.analyze.fixes import coverage_fix
from covgap.collect.project.audit_inputs import AuditFacts
from covgap.model import Evidence, Finding

#: A gate this many points below the total no longer protects it.
STALE_GATE = 5.0


def _target_findings(facts: AuditFacts, gates: Sequence[tuple[float, Evidence]]) -> list[Finding]:
    total = facts.total
    if total is None:
        return []
    findings: list[Finding] = []
    coverage = facts.coverage
    if total < facts.target:
        gap = facts.target - total
        points = round(AREAS["target"][1] * gap / facts.target, 1)
        findings.append(
            _finding(
                "coverage-below-target",
                f"total {_pct(total)} is {gap:.1f} points below the {facts.target:g}% target",
                [Evidence(coverage.path or "pyproject.toml", None, f"target {facts.target:g}%")],
                "The plan's phases list the functions whose tests close this gap, in order.",
                "Follow the plan's phases (plan.md).",
                None,
                points=points,
                severity="high" if gap > 20 else "medium" if gap > 5 else "low",
            )
        )
    configured = coverage.fail_under
    if configured > 0:
        where = Evidence(
            coverage.path or "",
            coverage.line("fail_under", "report"),
            f"fail_under = {configured:g}",
        )
        if configured > total + 1e-9:
            path, snippet = coverage_fix(coverage, "report", [("fail_under", math.floor(total))])
            findings.append(
                _finding(
                    "coverage-fail-under-above-total",
                    f"fail_under = {configured:g} is above the total {_pct(total)}: every "
                    "coverage report fails",
                    [where],
                    "A gate that always fails gets ignored or switched off.",
                    snippet,
                    path,
                )
            )
        elif configured < total - STALE_GATE:
            floor = facts.next_milestone if facts.next_milestone else math.floor(total)
            path, snippet = coverage_fix(coverage, "report", [("fail_under", math.floor(total))])
            findings.append(
                _finding(
                    "coverage-fail-under-stale",
                    f"fail_under = {configured:g} is {total - configured:.1f} points below the "
                    f"total {_pct(total)}",
                    [where],
                    "Coverage can fall back that far without anyone noticing; raise the gate to "
                    f"the total (a ratchet), and to {floor:g} when the plan's next phase is done.",
                    snippet,
                    path,
                )
            )
    return findings
