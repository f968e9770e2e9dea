"""The whole audit: every area's findings in order, the score by area, the inventory in numbers.

**Score.** Six areas, each scored only when it was measured: suite organisation (20 points),
CI (20), coverage settings (10), coverage against the target (20, with coverage data), suite
health (20, after ``covgap run``), testing docs (10). A finding costs its area the points of its
severity (high 8, medium 4, low 2, info 0), except the distance to the target, which costs
``20 × (target − total) / target``; an area never goes below 0. So every point lost is a
finding's, and an area that was not measured is left out rather than guessed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from covgap.analyze.audit.ci import _ci_findings
from covgap.analyze.audit.docs import _docs_findings
from covgap.analyze.audit.flaky import _flaky_findings
from covgap.analyze.audit.health import _health_findings
from covgap.analyze.audit.rules import AREAS
from covgap.analyze.audit.settings import _settings_findings
from covgap.analyze.audit.suite import _marker_lines, _marker_name, _suite_findings
from covgap.analyze.audit.target import _target_findings
from covgap.collect.project.audit_inputs import AuditFacts
from covgap.collect.project.project_config import PytestConfig
from covgap.collect.suite.test_inventory import TestInventory
from covgap.model import AreaScore, AuditArea, AuditResult, Finding, InventoryFacts


def _inventory_facts(inventory: TestInventory, config: PytestConfig) -> InventoryFacts:
    modules = inventory.modules
    categories: Counter[str] = Counter()
    for module in modules:
        for item in module.items:
            categories[_category(module.categories, item)] += item.cases or 1
    return InventoryFacts(
        test_files=len(modules),
        test_functions=sum(len(m.items) for m in modules),
        tests=sum(item.cases or 1 for m in modules for item in m.items),
        unknown_cases=sum(item.cases is None for m in modules for item in m.items),
        test_classes=sum(m.classes for m in modules),
        fixtures=len(inventory.fixtures),
        categories=tuple(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))),
        markers_used=tuple(sorted({use.name for use in inventory.markers})),
        markers_declared=tuple(sorted({_marker_name(line) for line in _marker_lines(config)})),
        empty_folders=tuple(inventory.empty_folders),
        uncollected=tuple(item.path for item in inventory.uncollected),
        no_project_import=tuple(
            m.path for m in modules if m.items and not m.error and not m.imports_project
        ),
        unparsable=tuple(m.path for m in modules if m.error),
    )


def _category(module_categories: Sequence[str], item: object) -> str:
    return module_categories[0] if module_categories else "uncategorized"


def audit(facts: AuditFacts) -> AuditResult:
    """Every finding, and the score by area."""
    findings: list[Finding] = []
    findings += _suite_findings(facts)
    suite_notes = (
        ["some markers are registered at run time under computed names: undeclared markers "
         "are not checked"]
        if facts.dynamic_markers
        else []
    )  # fmt: skip
    ci_findings, gates, ci_summary, ci_notes = _ci_findings(facts)
    findings += ci_findings
    findings += _settings_findings(facts)
    findings += _target_findings(facts, gates)
    findings += _health_findings(facts.health)
    findings += _flaky_findings(facts.flaky, facts.latest_commit)
    findings += _docs_findings(facts)
    order = {"high": 0, "medium": 1, "low": 2, "info": 3}
    findings.sort(key=lambda f: (order[f.severity], list(AREAS).index(f.area), f.rule))
    unmeasured: dict[AuditArea, str] = {}
    if facts.total is None:
        unmeasured["target"] = "no coverage data"
    if facts.health is None:
        unmeasured["health"] = facts.health_missing
    areas = []
    for area, (label, possible) in AREAS.items():
        if area in unmeasured:
            areas.append(AreaScore(area, label, 0.0, 0.0, unmeasured[area]))
            continue
        lost = sum(f.points for f in findings if f.area == area)
        areas.append(AreaScore(area, label, round(max(0.0, possible - lost), 1), possible))
    return AuditResult(
        findings=tuple(findings),
        areas=tuple(areas),
        inventory=_inventory_facts(facts.inventory, facts.pytest),
        ci=ci_summary,
        notes=(
            *(f"{p.path}: {p.message}" for p in facts.problems),
            *ci_notes,
            *suite_notes,
            *([f"suite health from {facts.health_source}"] if facts.health_source else []),
        ),
    )
