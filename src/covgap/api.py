"""The library facade: what the CLI calls, and what other programs may call."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from covgap.collect.suite.run import Progress, RunOptions, SuiteRun, nothing_measured, run_suite
from covgap.config import Settings
from covgap.errors import DataError

if TYPE_CHECKING:
    from covgap.analyze.advise import RegionKey
    from covgap.analyze.deltas import Delta
    from covgap.analyze.diffcov import DiffCoverage
    from covgap.analyze.gates import CheckResult
    from covgap.collect.coverage.static import StaticAnalysis
    from covgap.collect.git.churn import Churn
    from covgap.collect.project.audit_inputs import AuditFacts
    from covgap.collect.suite.test_inventory import TestInventory
    from covgap.collect.suite.test_links import TestLinks
    from covgap.model import (
        Assessment,
        AuditResult,
        Baseline,
        Numbers,
        PlanResult,
        ProjectCoverage,
        ProjectTests,
        RiskInfo,
        SuiteFacts,
        SuiteHealth,
        TestSelection,
    )
    from covgap.store.history import SnapshotSummary

# The analysis modules are imported where they are used, not here: ``covgap run`` starts the
# suite first and loads them while it runs (``ANALYSIS_MODULES``).

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

__all__ = [
    "PlanResult",
    "Progress",
    "RunOptions",
    "analyze",
    "assess_risk",
    "audit",
    "check",
    "combine",
    "history",
    "load",
    "measure_diff",
    "new_baseline",
    "plan",
    "read_audit",
    "read_surroundings",
    "record",
    "run",
]


def __getattr__(name: str) -> Any:
    """``PlanResult``, re-exported, imported when first asked for: ``covgap run`` starts the
    suite before it loads the model."""
    if name == "PlanResult":
        from covgap.model import PlanResult

        return PlanResult
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: covgap's own folder inside a project: the cache (and later the history database).
COVGAP_DIR = ".covgap"


def load(
    project_dir: Path, settings: Settings, prepared: Mapping[str, StaticAnalysis] | None = None
) -> ProjectCoverage:
    """Read the project's coverage data in whatever form ``settings.data_file`` names (by
    default the coverage configuration's data file, or, when it is absent, the last
    ``covgap run``'s data in .covgap/run/).

    ``prepared``: static analyses already made (by ``run`` while the suite ran), by cache key.
    """
    from covgap.collect.coverage.coverage_data import LoadOptions
    from covgap.collect.coverage.detect import load_project
    from covgap.collect.suite.run import last_run_data

    project_dir = project_dir.resolve()
    data_file = settings.data_file
    if data_file is None:  # no data file of its own: the last covgap run's
        data_file = last_run_data(project_dir)
    return load_project(
        LoadOptions(
            project_dir=project_dir,
            data_file=data_file,
            jobs=settings.jobs,
            cache_path=(project_dir / COVGAP_DIR / "cache.sqlite3") if settings.cache else None,
            prepared=prepared or {},
        )
    )


#: Assessments by region, and how risk was assessed: what ``analyze`` ranks with.
Assessed: TypeAlias = "tuple[dict[RegionKey, Assessment], RiskInfo]"


#: What ``assess_risk`` reads besides the sources: the churn (or why there is none), the test
#: modules, what each test targets and the project's test set-up. ``run`` reads them while the
#: suite runs.
Surroundings: TypeAlias = "tuple[Churn | str, tuple[str, ...], TestLinks, ProjectTests]"


def read_surroundings(
    project_dir: Path, settings: Settings, paths: Iterable[str] | None = None
) -> Surroundings:
    """The project's churn over the configured window (of ``paths``, or every file), its test
    modules, what each of their tests targets, and its test set-up."""
    from covgap.collect.git.churn import ChurnWindow, read_churn
    from covgap.collect.suite.test_files import find_test_files
    from covgap.collect.suite.test_links import read_test_links
    from covgap.collect.suite.test_setup import read_project_tests

    project_dir = project_dir.resolve()
    window = ChurnWindow.parse(settings.churn_window)
    test_files = find_test_files(project_dir)
    cache_path = (project_dir / COVGAP_DIR / "cache.sqlite3") if settings.cache else None
    links = read_test_links(project_dir, test_files, cache_path)
    setup = read_project_tests(project_dir, test_files, links)
    return read_churn(project_dir, window, paths), test_files, links, setup


def assess_risk(
    project_dir: Path,
    project: ProjectCoverage,
    settings: Settings,
    prepared: Mapping[str, dict[str, Any]] | None = None,
    surroundings: Surroundings | None = None,
    health: SuiteHealth | None = None,
) -> Assessed:
    """Risk and test advice for every region with a gap.

    A file whose inputs are unchanged (source, measurement, churn, settings, test modules and
    what their tests target, which tests ran) gets its assessments from the cache; the others
    are assessed from their code facts (cached by content, or ``prepared`` by ``run`` while the
    suite ran), churn and the tests. ``health``: the run's test reports, which say which tests
    ran when per-test contexts do not.
    """
    from covgap.analyze.advise import assess_project
    from covgap.analyze.existing import TestsRun
    from covgap.analyze.exposure import project_exposure
    from covgap.analyze.placement import own_packages
    from covgap.collect.code.evidence import evidence_for, read_outlines, source_keys
    from covgap.collect.git.churn import Churn
    from covgap.store.assessments import (
        assessment_key,
        decode_assessments,
        encode_assessments,
        shared_key,
    )
    from covgap.store.cache import AnalysisCache

    project_dir = project_dir.resolve()
    cache_path = (project_dir / COVGAP_DIR / "cache.sqlite3") if settings.cache else None
    by_path = {f.path: f for f in project.files}
    # A file outside the project folder is never read: no text of its source in any report.
    # Every other file is read for the call graph (its calls make other functions' fan-in).
    all_keys = source_keys(project_dir, [f.path for f in project.files if not f.outside])
    keys = {path: key for path, key in all_keys.items() if by_path[path].numbers.gap}
    outlines, parsed = read_outlines(
        project_dir, all_keys, frozenset(keys), cache_path, settings.jobs, prepared or {}
    )
    exposure = project_exposure(outlines)
    churn, test_files, links, setup = surroundings or read_surroundings(project_dir, settings, keys)
    found_churn = churn if isinstance(churn, Churn) else None
    reported = [t.nodeid for t in health.tests] if health is not None else None
    tests_run = TestsRun.of(project, {t.path for t in links.tests}, reported)
    shared = shared_key(
        found_churn,
        test_files,
        own_packages(f.path for f in project.files),
        project.branch_measured,
        tests=f"{links.digest()}\0{tests_run.digest()}\0{setup!r}",
    )
    assessment_keys = {
        path: assessment_key(
            by_path[path], key, found_churn, settings, shared, exposure.get(path, {})
        )
        for path, key in keys.items()
    }
    cached: dict[str, dict[tuple[int, str], Assessment]] = {}
    cache_problems: list[str] = []
    if cache_path is not None:
        with AnalysisCache(cache_path) as cache:
            found = cache.get_assessments(assessment_keys.values())
        cache_problems += [cache.problem] if cache.problem else []
        for path, key in assessment_keys.items():
            if key in found and (decoded := decode_assessments(found[key])) is not None:
                cached[path] = decoded
    needed = {path: key for path, key in keys.items() if path not in cached}
    evidence = evidence_for(
        project_dir,
        needed,
        churn,
        test_files,
        cache_path,
        settings.jobs,
        {**(prepared or {}), **parsed},
        test_links=links,
        project_tests=setup,
    )
    assessments, info = assess_project(project, evidence, settings, cached, exposure, tests_run)
    if cache_path is not None:
        fresh: dict[str, dict[tuple[int, str], Assessment]] = {path: {} for path in needed}
        for (path, start, name), assessment in assessments.items():
            if path in fresh:
                fresh[path][(start, name)] = assessment
        with AnalysisCache(cache_path) as cache:
            cache.put_assessments(
                {assessment_keys[path]: encode_assessments(a) for path, a in fresh.items()}
            )
        cache_problems += [cache.problem] if cache.problem else []
    # The cache is an optimisation: a problem with it (a full disk…) is a note, never a stop.
    shown = {*info.notes, *project.notes}
    new_problems = [p for p in dict.fromkeys(cache_problems) if p not in shown]
    if new_problems:
        info = dataclasses.replace(info, notes=(*info.notes, *new_problems))
    return assessments, info


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
    test_files = find_test_code(
        (file.path for file in project.files), {path for path, _ in suite.test_modules}
    )
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
    result = dataclasses.replace(analyze(project, settings, assessed, suite), health=health)
    if facts is not None:
        audited = audit(project_dir, settings, result, health, facts)
        result = dataclasses.replace(result, audit=audited)
    return result


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
) -> AuditResult:
    """``covgap audit``: the suite, its configuration and CI, read from the repository (nothing
    run; or ``facts`` already read); with ``result``, the coverage against the target too, with
    ``health`` the suite's health (docs/audit.md).

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
    audited = audit(options.project_dir, measured, result, health, facts) if facts else None
    from covgap.analyze.verdict import run_verdict

    verdict = run_verdict(health, suite.info, allow_failures=settings.allow_failures)
    return dataclasses.replace(
        result, run=suite.info, health=health, audit=audited, verdict=verdict
    )


def combine(project_dir: Path, inputs: list[Path], output: Path) -> int:
    """``covgap combine``: merge data files (CI shards, other machines) into ``output``."""
    from covgap.collect.coverage.combine import combine_data

    return combine_data(project_dir, inputs, output)


def record(project_dir: Path, result: PlanResult) -> int:
    """Store a snapshot of ``result`` (and its suite health) in the history database."""
    from covgap.store.history import History, SnapshotInput

    snapshot = SnapshotInput.measured(
        result.project,
        project_dir.resolve(),
        result.health,
        result.run.seconds if result.run is not None else None,
    )
    from covgap.analyze.trend import history_path

    with History(history_path(project_dir, result.settings)) as database:
        return database.record(snapshot)


def history(
    project_dir: Path, settings: Settings, limit: int | None = None, explain: int | None = None
) -> tuple[list[SnapshotSummary], list[Delta]]:
    """The recorded snapshots, oldest first, and each one's delta from the one before it (only
    the last ``explain`` deltas when given: explaining loads both snapshots' files)."""
    from covgap.analyze.trend import history as read_history

    return read_history(project_dir, settings, limit, explain)


def _baseline(
    project_dir: Path, settings: Settings, head: str | None, project: ProjectCoverage
) -> Baseline | None:
    """The committed baseline file when there is one, else the history's last snapshot that is
    not this very measurement (docs/check.md): a snapshot of another commit, or of this commit
    whose sources or numbers differ from ``project``'s (work not committed yet). A snapshot of
    this commit with the same sources and numbers is the run just recorded, say, and comparing
    with it would pass any ratchet."""
    from covgap.analyze.trend import history_path
    from covgap.model import Baseline
    from covgap.store.baseline import DEFAULT_BASELINE, read_baseline
    from covgap.store.history import History, read_record

    configured = settings.baseline_file
    file = project_dir / (configured or DEFAULT_BASELINE)
    if configured is not None or file.exists():
        return read_baseline(file)
    path = history_path(project_dir, settings)
    if not path.exists():
        return None
    now: dict[str, tuple[Numbers, str | None]] | None = None
    with History(path, writing=False) as database:
        summaries = sorted(database.snapshots(), key=lambda s: s.id, reverse=True)
        snapshot = None
        for summary in summaries:
            candidate = database.load(summary.id)
            if summary.commit != head:
                snapshot = candidate
                break
            if now is None:  # this measurement as a snapshot holds it, read once
                now = {
                    f.path: (f.numbers, read_record(f, project_dir).content_hash)
                    for f in project.files
                }
            then = {
                path: (record.numbers, record.content_hash)
                for path, record in candidate.files.items()
            }
            if then != now:
                snapshot = candidate
                break
        if snapshot is None:
            return None
    commit = f"commit {snapshot.commit[:10]}, " if snapshot.commit else ""
    return Baseline(
        source=f"history snapshot {snapshot.id} ({commit}{snapshot.recorded_at})",
        commit=snapshot.commit,
        numbers=snapshot.totals,
        files={
            path: (record.numbers.missing_statements, record.numbers.statements)
            for path, record in snapshot.files.items()
        },
        phases=tuple(float(m) for m in settings.milestones),
    )


def check(project_dir: Path, settings: Settings, *, diff: bool = True) -> CheckResult:
    """``covgap check``: every gate with its verdict (docs/check.md).

    The diff since the base is read when a gate needs it (``diff-fail-under``,
    ``new-file-floor``, an explicit ``base``), or, with ``diff``, for the report when the
    project is in a git repository with a base to compare with.
    """
    from covgap.analyze.gates import evaluate
    from covgap.errors import CovgapError
    from covgap.store.history import git_state

    project_dir = project_dir.resolve()
    project = load(project_dir, settings)
    needed = (
        settings.diff_fail_under is not None
        or settings.new_file_floor is not None
        or settings.base is not None
    )
    notes: list[str] = []
    changes = None
    if needed or diff:
        try:
            changes = measure_diff(project_dir, settings.base, project=project)
        except CovgapError as error:
            if needed:
                raise
            notes.append(f"no diff coverage: {error.message}")
    head, _, _ = git_state(project_dir)
    baseline = _baseline(project_dir, settings, head, project)
    result = evaluate(project, settings, changes, baseline)
    # The data's own notes first: sources changed since measurement make every verdict suspect.
    return dataclasses.replace(result, notes=(*project.notes, *result.notes, *notes))


def new_baseline(
    project_dir: Path, settings: Settings, project: ProjectCoverage
) -> tuple[Path, str]:
    """Where ``--update-baseline`` writes, and the baseline of ``project`` with the phases of
    its plan (for the phase gate) and the current commit."""
    from covgap.store.baseline import DEFAULT_BASELINE, baseline_json
    from covgap.store.history import git_state

    plan_now = analyze(project, settings)  # impact alone: the phases' fail_under is all it needs
    commit, _, _ = git_state(project_dir.resolve())
    phases = [float(phase.fail_under) for phase in plan_now.plan.phases]
    path = project_dir / (settings.baseline_file or DEFAULT_BASELINE)
    return path, baseline_json(project, commit, phases)


def measure_diff(
    project_dir: Path,
    base: str | None = None,
    *,
    project: ProjectCoverage | None = None,
    settings: Settings | None = None,
    branch: bool | None = None,
    include_uncommitted: bool = True,
    include_untracked: bool = False,
) -> DiffCoverage:
    """Diff coverage since ``base`` (docs/diff-coverage.md): the diff, the coverage data
    (``project``, or loaded with ``settings``) and what coverage.py says of the changed files.

    ``branch`` None: branch mode when the data measured branches.
    """
    from covgap.analyze.diffcov import diff_coverage
    from covgap.collect.git.diff_inputs import read_branch_exits, read_exclusions
    from covgap.collect.git.git_diff import read_diff
    from covgap.config import load_settings

    project_dir = Path(project_dir)
    diff = read_diff(
        project_dir,
        base,
        include_uncommitted=include_uncommitted,
        include_untracked=include_untracked,
    )
    if project is None:
        settings = settings if settings is not None else load_settings(project_dir, {}, environ={})
        project = load(project_dir, settings)
    branch = project.branch_measured if branch is None else branch
    known = {file.path for file in project.files}
    exits = None
    if branch and project.branch_measured:
        exits = read_branch_exits(project_dir, [f.path for f in diff.files if f.path in known])
    return diff_coverage(
        project, diff, branch=branch, exits=exits, exclusion=read_exclusions(project_dir)
    )
