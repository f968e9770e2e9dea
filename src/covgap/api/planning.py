"""Planning from coverage data: the ranking and the phases, with the suite's facts and health."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from covgap.api.auditing import audit, read_audit
from covgap.api.loading import load
from covgap.api.risk import Assessed, assess_risk
from covgap.config import Settings

if TYPE_CHECKING:
    from covgap.collect.suite.test_inventory import TestInventory
    from covgap.model import (
        PlanResult,
        ProjectCoverage,
        SuiteFacts,
        SuiteHealth,
        TestHistory,
        TestSelection,
    )


def analyze(
    project: ProjectCoverage,
    settings: Settings,
    assessed: Assessed | None = None,
    suite: SuiteFacts | None = None,
) -> PlanResult:
    """Rank the gaps (by risk when ``assessed`` is given) and make the plan (pure: no I/O).

    Test code is never ranked: the measured files ``suite``'s inventory collects as test modules,
    or that pytest's conventions name test code (``analyze/suite_scope.py``); ``suite`` also
    tells which tests did not run (``PlanResult.scope``).
    """
    from covgap.analyze.planning import make_plan
    from covgap.analyze.ranking import rank
    from covgap.analyze.strategy import test_strategy
    from covgap.analyze.suite_scope import find_test_code, suite_scope
    from covgap.model import PlanResult, SuiteFacts

    suite = suite if suite is not None else SuiteFacts()
    collected = {path for path, _ in suite.test_modules}
    if suite.health is not None:  # a module whose tests ran is test code, whatever its name
        collected |= {test.nodeid.split("::", 1)[0] for test in suite.health.tests}
    test_files = find_test_code((file.path for file in project.files), collected)
    scope = suite_scope(project, test_files, suite)
    assessments, risk_info = assessed if assessed is not None else (None, None)
    files, functions = rank(
        project, settings.tiers, settings.effective_file_target, assessments, test_files
    )
    plan = make_plan(
        project,
        functions,
        target=settings.target,
        milestones=settings.milestones,
        skip=settings.skip,
        target_is_explicit=settings.origins.get("target") == "command line",
        test_code_gap=scope.test_numbers.gap,
    )
    strategy = test_strategy(plan, risk_info.tests) if risk_info is not None else None
    return PlanResult(
        project,
        tuple(files),
        tuple(functions),
        plan,
        settings,
        risk=risk_info,
        scope=scope,
        strategy=strategy,
    )


def plan(project_dir: Path, settings: Settings, junit: Path | None = None) -> PlanResult:
    """Load the data and plan: the whole of ``covgap plan`` short of writing reports; with
    ``junit`` (relative to the project, or absolute), the suite's health from that JUnit XML
    report."""
    project = load(project_dir, settings)
    health = junit_health(project_dir / junit) if junit is not None else None
    facts = read_audit(project_dir, settings) if settings.audit else None
    inventory = facts.inventory if facts is not None else _read_tests(project_dir, settings)
    assessed = assess_risk(project_dir, project, settings, health=health) if settings.risk else None
    suite = _suite_facts(inventory)
    result = with_test_history(
        project_dir,
        settings,
        dataclasses.replace(analyze(project, settings, assessed, suite), health=health),
    )
    if facts is not None:
        audited = audit(project_dir, settings, result, health, facts, result.tests_history)
        result = dataclasses.replace(result, audit=audited)
    return result


def with_test_history(
    project_dir: Path,
    settings: Settings,
    result: PlanResult,
    tests: tuple[TestHistory | None, str | None] | None = None,
) -> PlanResult:
    """``result`` with the history's flaky and slow tests (one read of the history), or with a
    note saying why they could not be read; ``tests``: already read (``plan_test_history``'s
    answer)."""
    from covgap.api.suite_history import plan_test_history

    history, note = plan_test_history(project_dir, settings) if tests is None else tests
    if note is not None:
        project = result.project
        project = dataclasses.replace(project, notes=(*project.notes, note))
        return dataclasses.replace(result, project=project)
    return dataclasses.replace(result, tests_history=history)


def _read_tests(project_dir: Path, settings: Settings) -> TestInventory:
    """The project's test modules as pytest collects them (the audit reads them with the rest)."""
    from covgap.collect.project.audit_inputs import read_test_inventory

    return read_test_inventory(project_dir.resolve(), jobs=settings.jobs)


def _suite_facts(
    inventory: TestInventory,
    health: SuiteHealth | None = None,
    selection: TestSelection | None = None,
) -> SuiteFacts:
    """What ``analyze`` needs of the suite: the inventory's test modules with their tests, and
    for ``covgap run`` its outcomes and what it was told to run."""
    from covgap.model import SuiteFacts

    modules = tuple((module.path, module.tests) for module in inventory.modules)
    return SuiteFacts(test_modules=modules, health=health, selection=selection)


def junit_health(path: Path) -> SuiteHealth:
    """The suite's health from pytest's JUnit XML report (``--junitxml``), either family."""
    from covgap.analyze.health import assess
    from covgap.collect.suite.junit import read_junit

    return assess(read_junit(path), source="junit-xml")
