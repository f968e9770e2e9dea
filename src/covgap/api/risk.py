"""Risk: what surrounds the code (churn, the tests, their set-up), and each gap's assessment."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from covgap.api.loading import COVGAP_DIR
from covgap.config import Settings

if TYPE_CHECKING:
    from covgap.analyze.advise import RegionKey
    from covgap.collect.git.churn import Churn
    from covgap.collect.suite.test_links import TestLinks
    from covgap.model import (
        Assessment,
        ProjectCoverage,
        ProjectTests,
        RiskInfo,
        SuiteHealth,
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
