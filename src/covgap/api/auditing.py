"""The audit of a project's suite, settings and CI, with the health of its last covgap run."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from covgap.config import Settings
from covgap.errors import DataError

if TYPE_CHECKING:
    from covgap.collect.project.audit_inputs import AuditFacts
    from covgap.model import AuditResult, PlanResult, SuiteHealth, TestHistory


def read_audit(project_dir: Path, settings: Settings) -> AuditFacts:
    """What the audit reads from the repository (``run`` reads it while the suite runs)."""
    from covgap.collect.project.audit_inputs import read_audit_facts

    return read_audit_facts(project_dir.resolve(), target=settings.target, jobs=settings.jobs)


def audit(
    project_dir: Path,
    settings: Settings,
    result: PlanResult | None = None,
    health: SuiteHealth | None = None,
    facts: AuditFacts | None = None,
    tests: TestHistory | None = None,
) -> AuditResult:
    """``covgap audit``: the suite, its configuration and CI, read from the repository (nothing
    run; or ``facts`` already read); with ``result``, the coverage against the target too, with
    ``health`` the suite's health, with ``tests`` the flaky tests of the recorded test runs
    (docs/audit.md).

    Alone (neither ``result`` nor ``health``), the audit takes the suite's health from the last
    ``covgap run`` when nothing it ran has changed since; and a folder with no Python project
    in it is a UsageError (``nothing-to-audit``): there is nothing to score.
    """
    from covgap.analyze.audit import audit as audit_facts

    total = next_milestone = None
    if result is not None:
        total = result.project.totals.percent_covered
        upcoming = [phase.fail_under for phase in result.plan.phases if phase.fail_under > total]
        next_milestone = float(min(upcoming)) if upcoming else None
    read = facts if facts is not None else read_audit(project_dir, settings)
    if result is None and not read.python_project:
        from covgap.errors import UsageError

        raise UsageError(
            "nothing to audit: no Python file, pyproject.toml, setup.py or setup.cfg",
            path=str(project_dir),
            hint="run covgap audit in the project's folder, or name it: covgap audit PATH",
            slug="nothing-to-audit",
        )
    if result is None and health is None:
        read = _with_last_run(project_dir, read)
    return audit_facts(
        dataclasses.replace(
            read,
            total=total,
            next_milestone=next_milestone,
            health=health if health is not None else read.health,
            flaky=tests.flaky if tests is not None else (),
            latest_commit=tests.last.commit if tests is not None and tests.last else None,
        )
    )


def _with_last_run(project_dir: Path, facts: AuditFacts) -> AuditFacts:
    """``facts`` with the suite's health from the last ``covgap run`` when there was one and
    none of the files it ran changed since; else with why there is none."""
    from covgap.analyze.health import assess
    from covgap.collect.suite.last_run import EVENTS, read_last_run

    try:
        last = read_last_run(project_dir.resolve(), facts.watched)
    except DataError as error:
        missing = f"the last covgap run's {EVENTS} cannot be read: {error.message}"
        return dataclasses.replace(facts, health_missing=missing)
    if last is None:
        return facts
    run = f"the last covgap run, ended {last.ended},"
    if not last.outcomes and last.running is None:
        return dataclasses.replace(facts, health_missing=f"{run} ran no test")
    if last.changed:
        more = f" and {len(last.changed) - 1} more files" if len(last.changed) > 1 else ""
        missing = f"{run} is older than {last.changed[0]}{more}: run covgap run again"
        return dataclasses.replace(facts, health_missing=missing)
    stopped = None
    if not last.finished:
        stopped = "the run ended before pytest did" + (
            f", while running {last.running}" if last.running else ""
        )
    health = assess(last.outcomes, source="events", stopped=stopped, running=last.running)
    tests = len(health.tests)
    source = f"the last covgap run ({EVENTS}, ended {last.ended}; {tests} test"
    return dataclasses.replace(
        facts, health=health, health_source=source + ("s)" if tests != 1 else ")")
    )
