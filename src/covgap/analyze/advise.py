"""Risk and test advice for every function with a gap: the scorers, suggestions, isolation and
placement put together, from the coverage and the evidence collected beside it (pure)."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from covgap.analyze.effort import RISK_WEIGHT, checks_for, estimate_tests
from covgap.analyze.existing import TestIndex, TestsRun, existing_tests, suite_reaching
from covgap.analyze.exposure import Exposure, ProjectExposure
from covgap.analyze.harness import harness_for
from covgap.analyze.isolation import isolation_for
from covgap.analyze.placement import is_test_module, module_name, own_packages, place_tests
from covgap.analyze.risk import Subject, assess
from covgap.analyze.suggest import suggest
from covgap.collect.code.code_facts import FileFacts, FunctionFacts
from covgap.collect.code.evidence import Evidence
from covgap.config import Settings
from covgap.markup import code_span as code
from covgap.model import (
    Assessment,
    FileCoverage,
    ProjectCoverage,
    Region,
    Risk,
    RiskFactor,
    RiskInfo,
    RiskLevel,
    Suggestion,
    TestAdvice,
)

__all__ = ["RegionKey", "assess_file", "assess_project", "risk_score"]

#: Key of a region in a project: (file path, region start line, region name).
RegionKey = tuple[str, int, str]

#: Module-level code counts as straight-line code: definitions and constants run on import.
MODULE_COMPLEXITY = 1


def assess_project(
    project: ProjectCoverage,
    evidence: Evidence,
    settings: Settings,
    cached: Mapping[str, Mapping[tuple[int, str], Assessment]] | None = None,
    exposure: ProjectExposure | None = None,
    tests_run: TestsRun | None = None,
) -> tuple[dict[RegionKey, Assessment], RiskInfo]:
    """An assessment of every region with a gap, and what the report says about how.

    ``cached``: the assessments of files whose inputs have not changed, by path (see
    ``store/assessments.py``); the others are assessed from ``evidence``. ``exposure``: each
    function's surface and fan-in (``analyze/exposure.py``); without it, no exposure factor.
    ``tests_run``: which tests ran (by default from the per-test contexts and the test modules'
    coverage).
    """
    cached = cached or {}
    context = _Context.of(project, evidence, settings, exposure, tests_run)
    assessments: dict[RegionKey, Assessment] = {}
    for file in project.files:
        if not file.numbers.gap:
            continue
        per_region = cached.get(file.path)
        if per_region is None:
            per_region = assess_file(file, context)
        for (start, name), assessment in per_region.items():
            assessments[(file.path, start, name)] = assessment
    levels: Counter[RiskLevel] = Counter(a.risk.level for a in assessments.values())
    info = RiskInfo(
        complexity_library=evidence.complexity_library,
        churn_window=evidence.churn.description if evidence.churn else None,
        churn_absent=evidence.churn_absent,
        weights=settings.risk_weights,
        levels=tuple((level, levels[level]) for level in ("high", "medium", "low")),
        notes=evidence.notes,
        tests=evidence.project_tests,
    )
    return assessments, info


@dataclass(frozen=True)
class _Context:
    """What every file's assessment shares."""

    evidence: Evidence
    settings: Settings
    packages: frozenset[str]
    branch_measured: bool
    #: The project's tests, indexed (None when they were not read).
    tests: TestIndex | None
    tests_run: TestsRun
    #: The names of the project's test functions: no suggested test takes one.
    existing_names: frozenset[str]
    exposure: ProjectExposure | None = None

    @classmethod
    def of(
        cls,
        project: ProjectCoverage,
        evidence: Evidence,
        settings: Settings,
        exposure: ProjectExposure | None = None,
        tests_run: TestsRun | None = None,
    ) -> _Context:
        packages = own_packages(f.path for f in project.files)
        links = evidence.test_links
        index = TestIndex(links) if links is not None else None
        modules = {t.path for t in links.tests} if links is not None else set()
        run = tests_run if tests_run is not None else TestsRun.of(project, modules)
        names = links.names if links is not None else frozenset()
        return cls(
            evidence, settings, packages, project.branch_measured, index, run, names, exposure
        )


def assess_file(file: FileCoverage, context: _Context) -> dict[tuple[int, str], Assessment]:
    """Every region with a gap in one file, by (start line, name)."""
    evidence, settings = context.evidence, context.settings
    file_facts = evidence.facts.get(file.path)
    complexities = evidence.complexity.get(file.path, {})
    assessed: dict[tuple[int, str], Assessment] = {}
    for region in file.regions:
        if not region.numbers.gap:
            continue
        facts = file_facts.function(region.name, region.start_line) if file_facts else None
        complexity = (
            complexities.get(region.start_line)
            if region.kind == "function"
            else MODULE_COMPLEXITY
            if file_facts is not None
            else None
        )
        exposure = None
        if file.outside:
            risk, advice = OUTSIDE_RISK, None
        elif is_test_module(file.path):
            risk, advice = _test_code(file, region)
        else:
            subject = _subject(
                file, region, facts, complexity, evidence, settings.all_critical_patterns
            )
            exposure = _exposure_of(context, file.path, region, facts)
            subject = dataclasses.replace(
                subject, lexical=file_facts.lexical if file_facts else "", exposure=exposure
            )
            risk = assess(subject, settings.risk_weights)
            advice = _advice(file, region, facts, file_facts, evidence, context)
        assessed[(region.start_line, region.name)] = Assessment(
            risk,
            complexity,
            advice.effort if advice else 1,
            functools.partial(_given, advice),
            advice.checks if advice else 1,
            exposure.callees if exposure is not None else (),
        )
    return assessed


#: The risk of test code: tests are run, not tested.
TEST_CODE_RISK = Risk(
    score=0.0,
    level="low",
    factors=(RiskFactor("criticality", 0.0, 0.0, 1.0, "test code: the suite runs it"),),
)


#: The risk of code outside the project folder (``FileCoverage.outside``): reported by its
#: numbers only, its source never read, so nothing to weigh and no tests to suggest.
OUTSIDE_RISK = Risk(
    score=0.0,
    level="low",
    factors=(RiskFactor("criticality", 0.0, 0.0, 1.0, "outside the project folder: numbers only"),),
)


def _test_code(file: FileCoverage, region: Region) -> tuple[Risk, TestAdvice]:
    """Code in a test module with a gap: a test (or helper) that did not run; nothing to write."""
    shown = region.display_name
    if region.kind == "module":
        text = (
            f"{code(file.path)} did not run: check that pytest collects it "
            "(`testpaths`, `python_files`, an import error) and that it is part of the run"
        )
    else:
        text = (
            f"{code(shown)} in a test module did not run (all or part): check that pytest "
            f"collects it ({code(f'pytest --collect-only -q {file.path}')}) and that no `-k`, "
            "marker or skip leaves it out; a helper no test calls can go"
        )
    slug = "_".join(re.findall(r"[a-z0-9]+", shown.lower()))[:60] or "module"
    name = slug if slug.startswith("test_") else f"test_{slug}"
    suggestion = Suggestion("run", region.start_line, text, name)
    advice = TestAdvice(
        test_file=file.path,
        test_file_exists=True,
        test_file_reason="it is test code",
        suggestions=(suggestion,),
        isolation=(),
        effort=1,
    )
    return TEST_CODE_RISK, advice


def risk_score(impact: Fraction, assessment: Assessment | None) -> float:
    """A region's score: coverage points per estimated test, weighted by risk.

    score = impact × (1 + RISK_WEIGHT × risk) / effort (``effort.py``, the value its order
    follows). Without an assessment, the impact alone.
    """
    if assessment is None:
        return float(impact)
    return float(impact) * (1 + RISK_WEIGHT * assessment.risk.score) / assessment.effort


def _subject(
    file: FileCoverage,
    region: Region,
    facts: FunctionFacts | None,
    complexity: int | None,
    evidence: Evidence,
    patterns: tuple[str, ...],
) -> Subject:
    commits: int | None = None
    file_commits: int | None = None
    if evidence.churn is not None:
        file_churn = evidence.churn.for_file(file.path)
        file_commits = file_churn.commits if file_churn else 0
        if file_churn is None:
            commits = 0
        elif region.kind == "module":
            commits = file_churn.commits_touching(region.statement_lines)
        else:
            first, last = (
                (facts.line, facts.end_line) if facts else (region.start_line, region.end_line)
            )
            commits = file_churn.commits_touching(range(first, last + 1))
    return Subject(
        path=file.path,
        region=region,
        complexity=complexity,
        commits=commits,
        file_commits=file_commits,
        window=_window_words(evidence),
        critical_patterns=patterns,
        effects=facts.effects if facts else (),
        decorators=facts.decorators if facts else (),
        lines=facts.end_line - facts.line + 1 if facts and facts.line else 0,
    )


def _exposure_of(
    context: _Context, path: str, region: Region, facts: FunctionFacts | None
) -> Exposure | None:
    """The function's exposure, by its ``def`` line (module-level code: 0)."""
    if context.exposure is None:
        return None
    of_file = context.exposure.get(path)
    if of_file is None:
        return None
    line = 0 if region.kind == "module" else (facts.line if facts else region.start_line)
    return of_file.get(line)


@lru_cache(maxsize=1024)
def _placement_cached(
    path: str, tested_by: tuple[tuple[str, int], ...], test_files: tuple[str, ...]
) -> tuple[str, bool, str]:
    return place_tests(path, tested_by, test_files)


def _placement(file: FileCoverage, test_files: tuple[str, ...]) -> tuple[str, bool, str]:
    """Where the file's tests go: the same for all of its functions, so worked out once."""
    return _placement_cached(file.path, file.tested_by, test_files)


def _given(advice: TestAdvice | None) -> TestAdvice | None:
    return advice


def _window_words(evidence: Evidence) -> str:
    """The churn window, short, for a reason: "the last 90 days", "the last 500 commits"."""
    if evidence.churn is None:
        return ""
    window = evidence.churn.window
    if window.days is not None:
        return f"the last {window.days} days of history"
    return f"the last {window.commits} commits"


def _advice(
    file: FileCoverage,
    region: Region,
    facts: FunctionFacts | None,
    file_facts: FileFacts | None,
    evidence: Evidence,
    context: _Context,
) -> TestAdvice:
    module = module_name(file.path)
    harness = (
        harness_for(facts, file_facts, file.path)
        if facts is not None and file_facts is not None
        else None
    )
    suggestions = suggest(
        facts,
        region,
        context.branch_measured,
        module,
        context.existing_names,
        reach=harness.call if harness is not None else "",
    )
    checks = checks_for(suggestions, facts)
    isolation = (
        isolation_for(facts, file_facts, context.packages, module)
        if facts is not None and file_facts is not None
        else ()
    )
    test_file, exists, reason = _placement(file, evidence.test_files)
    exposure = _exposure_of(context, file.path, region, facts)
    callers = (
        [(module_name(path), name, hops) for path, name, hops in exposure.caller_keys]
        if exposure is not None
        else []
    )
    existing = existing_tests(module, region, context.tests, context.tests_run, callers)
    if existing is None and not exists and context.tests is not None:
        existing = suite_reaching(module, region, context.tests)
    if existing is not None:
        test_file, exists = existing.target.partition("::")[0], True
        if existing.cases is not None:
            test_file = existing.cases.nodeid.partition("::")[0]
        reason = _EXISTING_REASONS[existing.action]
    return TestAdvice(
        test_file=test_file,
        test_file_exists=exists,
        test_file_reason=reason,
        suggestions=suggestions,
        isolation=isolation,
        effort=estimate_tests(checks),
        runner=harness.text if harness is not None and harness.kind == "async" else "",
        checks=checks,
        harness=harness,
        existing=existing,
        constructor=_constructor(facts, file_facts),
    )


def _constructor(facts: FunctionFacts | None, file_facts: FileFacts | None) -> str:
    """``NoteRepository(conn)`` for a method of ``NoteRepository``; "" for a function."""
    if facts is None or file_facts is None or facts.class_name is None:
        return ""
    init = next((f for f in file_facts.functions if f.name == f"{facts.class_name}.__init__"), None)
    if init is None:  # a dataclass, attrs, a NamedTuple: its fields are not known here
        return f"{facts.class_name}(…)"
    params = ", ".join(p for p in init.params if not p.startswith("*"))
    return f"{facts.class_name}({params})"


#: Why the tests go where existing tests are, by what to do with them.
_EXISTING_REASONS = {
    "extend": "its tests already run this function",
    "run": "its tests target this function but did not run it",
    "add-case": "its data-driven suite reaches this function",
}
