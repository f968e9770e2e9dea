"""The audit's rule table: every rule's area and severity, the areas' points, and a finding."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from covgap.model import AuditArea, Evidence, Finding, Severity

#: Points a finding costs its area, by severity.
POINTS: dict[Severity, float] = {"high": 8.0, "medium": 4.0, "low": 2.0, "info": 0.0}

#: Each area: its label and the points it is worth when measured.
AREAS: dict[AuditArea, tuple[str, float]] = {
    "suite": ("Suite organisation", 20.0),
    "ci": ("CI", 20.0),
    "settings": ("Coverage settings", 10.0),
    "target": ("Coverage vs target", 20.0),
    "health": ("Suite health", 20.0),
    "docs": ("Testing docs", 10.0),
}


class Rule(NamedTuple):
    """A rule: the area whose points its findings cost, and the severities they can have (the
    first unless the facts choose another, as docs/audit.md says for each)."""

    area: AuditArea
    severities: tuple[Severity, ...]


#: Every rule of the audit, by id, in the order of docs/audit.md; each area's module checks its
#: own and builds each finding's title, evidence and fix from the facts.
RULES: dict[str, Rule] = {
    # the suite's organisation (suite.py)
    "suite-no-tests": Rule("suite", ("high",)),
    "suite-unparsable": Rule("suite", ("high",)),
    "suite-uncollected": Rule("suite", ("low",)),
    "suite-outside-testpaths": Rule("suite", ("info",)),
    "suite-empty-folder": Rule("suite", ("low",)),
    "suite-no-project-import": Rule("suite", ("medium",)),
    "markers-undeclared": Rule("suite", ("medium",)),
    "markers-unused": Rule("suite", ("info",)),
    "fixtures-unused": Rule("suite", ("low",)),
    "project-config-broken": Rule("suite", ("high",)),
    # pytest's settings (suite_pytest.py)
    "pytest-config-broken": Rule("suite", ("high",)),
    "pytest-strict-markers": Rule("suite", ("medium",)),
    "pytest-strict-config": Rule("suite", ("low",)),
    "pytest-xfail-strict": Rule("suite", ("low",)),
    "pytest-warnings-not-errors": Rule("suite", ("low",)),
    "pytest-no-timeout": Rule("suite", ("medium",)),
    "pytest-maxfail": Rule("suite", ("medium",)),
    "pytest-fixed-order": Rule("suite", ("low",)),
    "pytest-serial": Rule("suite", ("low",)),
    # the development dependencies (suite_dependencies.py)
    "deps-async-runner": Rule("suite", ("high", "low")),  # high with async tests
    "deps-http-fake": Rule("suite", ("low",)),
    # coverage settings (settings.py; fail_under beside the total in target.py)
    "coverage-config-broken": Rule("settings", ("high",)),
    "coverage-branch-off": Rule("settings", ("medium",)),
    "coverage-no-source": Rule("settings", ("medium",)),
    "coverage-omit-package": Rule("settings", ("medium",)),
    "coverage-exclude-replaced": Rule("settings", ("low",)),
    "coverage-fail-under-above-total": Rule("settings", ("high",)),
    "coverage-fail-under-stale": Rule("settings", ("low",)),
    # coverage against the target (target.py): the severity by the gap, the points by distance
    "coverage-below-target": Rule("target", ("high", "medium", "low")),
    # CI (ci.py)
    "ci-file-broken": Rule("ci", ("high",)),
    "ci-none": Rule("ci", ("high", "medium")),  # medium when another CI system's file is there
    "ci-no-tests": Rule("ci", ("high",)),
    "ci-no-coverage": Rule("ci", ("medium",)),
    "ci-no-gate": Rule("ci", ("high",)),
    "ci-gate-above-total": Rule("ci", ("high",)),
    "ci-gate-stale": Rule("ci", ("low",)),
    "ci-step-may-fail": Rule("ci", ("high", "medium")),  # high for steps that run tests
    "ci-no-timeout": Rule("ci", ("low",)),
    "ci-single-python": Rule("ci", ("low",)),
    "ci-no-cache": Rule("ci", ("low",)),
    "ci-coverage-unreported": Rule("ci", ("info",)),
    # suite health (health.py)
    "health-stopped": Rule("health", ("high",)),
    "health-failures": Rule("health", ("high",)),
    "health-slow": Rule("health", ("low",)),
    # flaky tests of the recorded test runs (flaky.py): high when it failed on the latest commit
    "health-flaky": Rule("health", ("medium", "high")),
    # testing docs (docs.py)
    "docs-no-test-instructions": Rule("docs", ("medium",)),
    "docs-no-contributing": Rule("docs", ("low",)),
}


def _finding(
    rule: str,
    title: str,
    evidence: Iterable[Evidence],
    why: str,
    fix: str = "",
    fix_path: str | None = None,
    points: float | None = None,
    *,
    severity: Severity | None = None,
) -> Finding:
    """A finding of ``rule``, in its area, at its severity: the first of the rule's unless the
    facts chose ``severity``."""
    area, severities = RULES[rule]
    severity = severities[0] if severity is None else severity
    return Finding(
        rule=rule,
        area=area,
        severity=severity,
        title=title,
        evidence=tuple(evidence),
        why=why,
        fix=fix,
        fix_path=fix_path,
        points=POINTS[severity] if points is None else points,
    )


def _pct(value: float) -> str:
    return f"{value:.1f}%"
