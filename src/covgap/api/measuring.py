"""covgap run: the suite measured, what the analysis needs read beside it, then the plan."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from covgap.api.auditing import audit, read_audit
from covgap.api.loading import load
from covgap.api.planning import _read_tests, _suite_facts, analyze, with_test_history
from covgap.api.risk import Surroundings, assess_risk, read_surroundings
from covgap.api.suite_history import plan_test_history
from covgap.collect.suite.run import Progress, RunOptions, SuiteRun, nothing_measured, run_suite
from covgap.config import Settings
from covgap.errors import DataError

if TYPE_CHECKING:
    from covgap.collect.project.audit_inputs import AuditFacts
    from covgap.collect.suite.test_inventory import TestInventory
    from covgap.model import PlanResult, SuiteHealth
    from covgap.store.history import TestRunInput


#: What the analysis after a run needs; ``run`` imports them in the background.
ANALYSIS_MODULES = (
    "covgap.analyze.advise",
    "covgap.analyze.audit",
    "covgap.collect.project.audit_inputs",
    "covgap.store.history",
    "covgap.analyze.health",
    "covgap.analyze.planning",
    "covgap.analyze.ranking",
    "covgap.store.assessments",
    "covgap.store.cache",
    "covgap.collect.coverage.detect",
    "covgap.collect.suite.events",
    "covgap.collect.code.evidence",
    # The audit's Python-version rules (it comes with pytest; the audit does without it).
    "packaging.specifiers",
)


def suite_health(suite: SuiteRun) -> SuiteHealth:
    """The suite's health from pytest's reports, as covgap's pytest plugin logged them (read
    while the suite ran)."""
    from covgap.analyze.health import assess

    logged, running = suite.event_log.outcomes()
    return assess(logged, source="events", stopped=suite.stopped, running=running)


def run(
    settings: Settings,
    options: RunOptions,
    on_progress: Callable[[Progress], None] | None = None,
    preload: Sequence[Callable[[], object]] = (),
) -> PlanResult:
    """``covgap run``: measure the suite, then plan from what it measured, with its health.

    Once the suite has started, the analysis modules are loaded and the ``preload`` work is
    done (the caller's reporting, say), and git history, the test modules and what the audit
    reads are read, beside it: none of them depends on it.
    """
    beside: list[concurrent.futures.Future[Surroundings]] = []
    audit_read: list[concurrent.futures.Future[AuditFacts]] = []
    tests_read: list[concurrent.futures.Future[TestInventory]] = []

    def start_beside() -> None:
        for name in ANALYSIS_MODULES:
            pool.submit(importlib.import_module, name)
        for work in preload:
            pool.submit(work)
        if settings.risk:
            beside.append(pool.submit(read_surroundings, options.project_dir, settings))
        if settings.audit:
            audit_read.append(pool.submit(read_audit, options.project_dir, settings))
        else:
            tests_read.append(pool.submit(_read_tests, options.project_dir, settings))

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        suite = run_suite(options, on_progress, on_started=start_beside)
    health = suite_health(suite)
    measured = dataclasses.replace(
        settings, data_file=suite.data_file.relative_to(options.project_dir.resolve())
    )
    try:
        project = load(options.project_dir, measured, suite.prepared.statics)
    except DataError as error:  # an empty data set, after a run that ran no test
        if error.slug == "empty-data" and suite.info.pytest_exit_code == 5:
            raise nothing_measured(options.project_dir) from error
        raise
    assessed = (
        assess_risk(
            options.project_dir,
            project,
            measured,
            suite.prepared.facts,
            beside[0].result() if beside else None,
            health,
        )
        if measured.risk
        else None
    )
    facts = audit_read[0].result() if audit_read else None
    inventory = facts.inventory if facts is not None else tests_read[0].result()
    suite_read = _suite_facts(inventory, health, suite.info.selection)
    result = analyze(project, measured, assessed, suite_read)
    # The recorded runs and this one (the CLI records it after the reports are written).
    this_run = _this_run(options, suite, health, result.scope.partial)
    tests = plan_test_history(options.project_dir, measured, this_run)
    result = with_test_history(options.project_dir, measured, result, tests)
    audited = (
        audit(options.project_dir, measured, result, health, facts, result.tests_history)
        if facts
        else None
    )
    from covgap.analyze.verdict import run_verdict

    verdict = run_verdict(health, suite.info, allow_failures=settings.allow_failures)
    return dataclasses.replace(
        result, run=suite.info, health=health, audit=audited, verdict=verdict
    )


def _this_run(
    options: RunOptions, suite: SuiteRun, health: SuiteHealth, partial: bool
) -> TestRunInput | None:
    """The run's outcomes as ``api.record`` records them (``snapshots._test_run``), with the
    work tree's git state now; None when the CLI does not record it (no test ran, or the run
    was cut by ``--timeout``)."""
    from covgap.store.history import TestRunInput

    info = suite.info
    if info.timed_out or not health.tests:
        return None
    return TestRunInput.measured(
        options.project_dir.resolve(),
        "covgap run",
        health.tests,
        workers=info.workers,
        seconds=info.seconds,
        partial=partial or info.selection.given,
    )
