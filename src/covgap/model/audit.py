"""The audit of the suite, its settings and its CI: findings, their evidence, the score."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AreaScore",
    "AuditArea",
    "AuditResult",
    "CiFacts",
    "Evidence",
    "Finding",
    "InventoryFacts",
    "Severity",
]


Severity = Literal["high", "medium", "low", "info"]
AuditArea = Literal["suite", "ci", "settings", "target", "health", "docs"]


@dataclass(frozen=True)
class Evidence:
    """Where a finding was seen: a file, a line when there is one, and what is there."""

    path: str
    line: int | None
    text: str = ""


@dataclass(frozen=True)
class Finding:
    """One thing the audit says to fix, with the proof and the change to make."""

    #: The rule that found it ("pytest-strict-markers"); docs/audit.md lists every rule.
    rule: str
    area: AuditArea
    severity: Severity
    #: One line: what is wrong, with the numbers ("coverage gate 25% is 37.4 points below …").
    title: str
    evidence: tuple[Evidence, ...]
    #: Why it matters, in a sentence or two.
    why: str
    #: The change to make, as text to paste; "" when there is nothing to paste.
    fix: str
    #: Where the fix goes ("pyproject.toml"), or None.
    fix_path: str | None
    #: Points of its area's score this finding costs (docs/audit.md: the scoring).
    points: float


@dataclass(frozen=True)
class AreaScore:
    """One part of the audit score; not measured areas are not scored (``possible`` is 0)."""

    area: AuditArea
    label: str
    earned: float
    possible: float
    #: Why the area was not scored ("no coverage data"), or None when it was.
    unmeasured: str | None = None


@dataclass(frozen=True)
class InventoryFacts:
    """The test suite's inventory in numbers (from the test files' AST, nothing run)."""

    test_files: int
    test_functions: int
    #: Tests as pytest collects them (parametrized cases counted); ``unknown_cases`` test
    #: functions have parameters that are not literal and count as 1.
    tests: int
    unknown_cases: int
    test_classes: int
    fixtures: int
    categories: tuple[tuple[str, int], ...]
    markers_used: tuple[str, ...]
    markers_declared: tuple[str, ...]
    empty_folders: tuple[str, ...]
    uncollected: tuple[str, ...]
    no_project_import: tuple[str, ...]
    unparsable: tuple[str, ...]


@dataclass(frozen=True)
class CiFacts:
    """What the CI files say, in short: for the report's overview of the CI audit."""

    files: tuple[str, ...]
    jobs: int
    #: Commands that run the tests: (file:line, command as written).
    test_runs: tuple[tuple[str, str], ...]
    #: The coverage thresholds enforced (total), lowest first.
    gates: tuple[float, ...]
    python_versions: tuple[str, ...]


@dataclass(frozen=True)
class AuditResult:
    """The audit of the suite, its configuration and its CI: findings and the score."""

    findings: tuple[Finding, ...]
    areas: tuple[AreaScore, ...]
    inventory: InventoryFacts | None
    ci: CiFacts | None
    notes: tuple[str, ...] = ()

    @property
    def earned(self) -> float:
        return sum(area.earned for area in self.areas)

    @property
    def possible(self) -> float:
        return sum(area.possible for area in self.areas)

    def count(self, severity: Severity) -> int:
        return sum(finding.severity == severity for finding in self.findings)
