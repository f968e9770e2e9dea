"""CI: its files read, the tests run with coverage and a gate, its jobs timed, cached, matrixed."""

from __future__ import annotations

import math
import re

from covgap.analyze.audit.ci_steps import (
    _coverage_report,
    _may_fail_fix,
    _may_fail_kind,
    _publishes,
    _script,
    _split_where,
    _step_label,
)
from covgap.analyze.audit.rules import _finding, _pct
from covgap.analyze.audit.target import STALE_GATE
from covgap.collect.project.audit_inputs import AuditFacts
from covgap.collect.project.ci_files import CiJob, CiProblem, CiStep
from covgap.model import CiFacts, Evidence, Finding

#: CI problems of a file covgap stopped reading: too large, too deep, too many aliased entries.
_TOO_MUCH = ("too large", "too deeply nested", "too complex")
#: CI problems that mean a file cannot be used at all.
_BROKEN = (
    "broken ",
    "cannot be read",
    "not a workflow",
    "not a GitLab CI file",
    "the tox configuration is not a table",
    "not a regular file",
    *_TOO_MUCH,
)
#: CI problems that mean part of the configuration lives where covgap does not look.
_UNFOLLOWED = ("is not read", "not defined in the files read", "points to nothing", "not found")
#: Test runners whose command says nothing of how the tests are run (coverage or not).
_OPAQUE = frozenset({"make", "script", "pixi run", "hatch run", "hatch test"})
_VERSION = re.compile(r"^(?:\d+\.\d+|pypy)")


def _ci_findings(
    facts: AuditFacts,
) -> tuple[list[Finding], list[tuple[float, Evidence]], CiFacts, list[str]]:
    ci, coverage = facts.ci, facts.coverage
    findings: list[Finding] = []
    notes: list[str] = []
    gates: list[tuple[float, Evidence]] = []
    test_runs: list[tuple[str, str]] = []
    measured_at: list[Evidence] = [
        Evidence(path, line, text) for path, line, text in facts.coverage_mentions[:1]
    ]
    measured = bool(facts.coverage_mentions)
    published = facts.coverage_summary or any(
        job.coverage_regex or _coverage_report(job.reports) for job in ci.jobs
    )
    opaque = False
    versions: set[str] = set()
    # Steps whose failure does not fail the build: those that run tests, and the others.
    masked: dict[bool, list[tuple[CiJob, CiStep]]] = {True: [], False: []}
    broken = [p for p in ci.problems if p.message.startswith(_BROKEN)]
    # Includes, templates and components covgap does not follow: what they run is unknown, so
    # "no tests" / "no coverage" / "no gate" cannot be claimed.
    unfollowed = [p for p in ci.problems if any(word in p.message for word in _UNFOLLOWED)]
    by_file: dict[str, list[CiProblem]] = {}
    for problem in broken:
        by_file.setdefault(problem.where.path, []).append(problem)
    for path, problems in by_file.items():
        too_much = problems[0].message.startswith(_TOO_MUCH)
        findings.append(
            _finding(
                "ci-file-broken",
                f"{path} cannot be read: {problems[0].message}",
                [Evidence(p.where.path, p.where.line, p.message) for p in problems[:5]],
                "covgap stops reading a CI file past 1 MB, 100 levels of nesting or 100,000 "
                "entries once its anchors and merge keys are expanded (a few lines of anchors "
                "that each merge the previous one twice make billions); CI services refuse "
                "such files too (GitLab caps the size and depth once expanded)."
                if too_much
                else "The CI service refuses a file it cannot parse: none of its jobs run.",
                "Write the jobs out, or share their steps with fewer levels of anchors."
                if too_much
                else "Fix the file at the line shown.",
                path,
            )
        )
    for job in ci.jobs:
        versions.update(v for v in job.python_versions if _VERSION.match(v))
        for step in job.steps:
            if _publishes(step):
                published = True
            if step.may_fail and step.may_fail_where is not None:
                script = _script(step)
                masked[bool(script and script.test_runs)].append((job, step))
            script = _script(step)
            if script is None:
                continue
            published = published or bool(script.uploads)
            for run in script.test_runs:
                line = step.line_of(run.offset_line)
                test_runs.append((f"{step.where.path}:{line}", run.text))
                opaque = opaque or run.runner in _OPAQUE or "{env:" in run.text
                if run.measures_coverage and not any(
                    e.path == step.where.path for e in measured_at
                ):
                    measured_at.insert(0, Evidence(step.where.path, line, run.text))
                measured = measured or run.measures_coverage
                if run.gate is not None:
                    gates.append((run.gate, Evidence(step.where.path, line, run.text)))
            for gate in script.gates:
                if gate.threshold is not None and gate.kind == "total":
                    line = step.line_of(gate.offset_line)
                    gates.append((gate.threshold, Evidence(step.where.path, line, gate.text)))
                    measured = True
    for runs_tests, steps in masked.items():
        if not steps:
            continue
        kinds = sorted({_may_fail_kind(step.may_fail or "") for _, step in steps})
        first_job, first = steps[0]
        label = (
            f"{first_job.name}: step {_step_label(first)}"
            if len(steps) == 1
            else f"{len(steps)} {'test ' if runs_tests else ''}steps"
        )
        findings.append(
            _finding(
                "ci-step-may-fail",
                f"{label} may fail without failing the build ({', '.join(kinds)})",
                [
                    Evidence(
                        step.may_fail_where.path,
                        step.may_fail_where.line,
                        f"{job.name}: {step.may_fail}",
                    )
                    for job, step in steps[:10]
                    if step.may_fail_where is not None
                ],
                "A failure there is shown green: "
                + ("failing tests pass the build." if runs_tests else "nobody looks at it."),
                "\n".join(dict.fromkeys(_may_fail_fix(step.may_fail or "") for _, step in steps)),
                first.may_fail_where.path if first.may_fail_where else None,
                severity="high" if runs_tests else "medium",
            )
        )
    if measured and coverage.fail_under > 0:
        gates.append(
            (
                coverage.fail_under,
                Evidence(coverage.path or "", coverage.line("fail_under", "report"), "fail_under"),
            )
        )
    if not ci.jobs and not ci.problems:
        findings.append(
            _finding(
                "ci-none",
                "no CI workflow runs the tests"
                + (
                    f" that covgap can read ({', '.join(facts.other_ci)} not read)"
                    if facts.other_ci
                    else ""
                ),
                [Evidence(".github/workflows", None, "no workflow")],
                "Tests that only run on a developer's machine stop guarding the code the day "
                "someone forgets to run them.",
                _workflow_snippet(facts),
                ".github/workflows/tests.yml",
                severity="medium" if facts.other_ci else "high",
            )
        )
    elif ci.jobs and not test_runs and not unfollowed:
        findings.append(
            _finding(
                "ci-no-tests",
                "no CI step runs the tests",
                [Evidence(job.where.path, job.where.line, job.name) for job in ci.jobs[:5]],
                "CI builds and lints, but a change that breaks behaviour passes.",
                _workflow_snippet(facts),
                ".github/workflows/tests.yml",
            )
        )
    elif test_runs and not measured and not opaque and not unfollowed:
        findings.append(
            _finding(
                "ci-no-coverage",
                "the tests run without coverage in "
                + ", ".join(sorted({where.rpartition(":")[0] for where, _ in test_runs})),
                [Evidence(*_split_where(test_runs[0][0]), test_runs[0][1])],
                "Coverage measured only on laptops drifts: nobody sees a drop until the next "
                "hand-written plan.",
                "covgap run --format json   # or: pytest --cov=PKG --cov-branch",
                _split_where(test_runs[0][0])[0],
            )
        )
    elif measured and not gates and not unfollowed and measured_at:
        threshold = math.floor(facts.total) if facts.total is not None else None
        findings.append(
            _finding(
                "ci-no-gate",
                "coverage is measured in CI but no threshold fails the build",
                measured_at[:1],
                "Without a gate, coverage falls a little with every change and nothing stops it.",
                f"coverage report --fail-under={threshold if threshold is not None else 'TOTAL'}"
                "   # after the tests; or pytest --cov-fail-under=…",
                measured_at[0].path,
            )
        )
    if unfollowed:
        notes.append(
            f"CI: {len(unfollowed)} include{'s' if len(unfollowed) != 1 else ''}, template"
            "s or references not followed (remote or missing); what they run is not known, "
            "so no finding says CI lacks tests, coverage or a gate"
        )
    if gates and facts.total is not None:
        lowest, where = min(gates, key=lambda item: item[0])
        if lowest > facts.total + 1e-9:
            findings.append(
                _finding(
                    "ci-gate-above-total",
                    f"the CI gate {lowest:g}% is above the total {_pct(facts.total)}: "
                    "the build fails",
                    [where],
                    "A gate that fails on every run gets switched off.",
                    f"Lower it to {math.floor(facts.total)} and raise it with each phase of "
                    "the plan.",
                    where.path,
                )
            )
        elif lowest < facts.total - STALE_GATE:
            step_to = facts.next_milestone
            findings.append(
                _finding(
                    "ci-gate-stale",
                    f"the CI gate {lowest:g}% is {facts.total - lowest:.1f} points below the total "
                    f"{_pct(facts.total)}",
                    [where],
                    "Coverage can fall that far before the build says a word. Set the gate to "
                    "the total (a ratchet)"
                    + (
                        f", then to {step_to:g} when the plan's next phase is done."
                        if step_to
                        else "."
                    ),
                    where.text.replace(f"{lowest:g}", str(math.floor(facts.total)), 1)
                    if f"{lowest:g}" in where.text
                    else f"--fail-under={math.floor(facts.total)}",
                    where.path,
                )
            )
    untimed = [
        job
        for job in ci.jobs
        if job.system == "github"
        and job.timeout_minutes is None
        and any((script := _script(step)) and script.test_runs for step in job.steps)
    ]
    if untimed:
        names = ", ".join(job.name for job in untimed)
        findings.append(
            _finding(
                "ci-no-timeout",
                f"{len(untimed)} job{'s' if len(untimed) != 1 else ''} running tests "
                f"{'have' if len(untimed) != 1 else 'has'} no timeout-minutes ({names}; "
                "GitHub's default is 6 hours)",
                [Evidence(job.where.path, job.where.line, job.name) for job in untimed],
                "A hanging test holds a runner for six hours before anyone is told.",
                "\n".join(
                    f"# {job.where.path}\n  {job.name}:\n    timeout-minutes: 30"
                    for job in untimed[:5]
                ),
                untimed[0].where.path,
            )
        )
    supported = _supported_versions(facts.requires_python)
    testing = [
        job
        for job in ci.jobs
        if job.python_versions
        and any((script := _script(step)) and script.test_runs for step in job.steps)
    ]
    tested = {v for job in testing for v in job.python_versions if _VERSION.match(v)}
    if len(tested) == 1 and len(supported) > 1:
        first_job = testing[0]
        findings.append(
            _finding(
                "ci-single-python",
                f"CI tests one Python ({next(iter(tested))}) while requires-python "
                f"{facts.requires_python} allows {', '.join(supported)}",
                [Evidence(first_job.where.path, first_job.where.line, next(iter(tested)))],
                "Code that breaks on the oldest or newest version you claim to support ships "
                "unnoticed.",
                "strategy:\n  matrix:\n    python-version: ["
                + ", ".join(f'"{v}"' for v in supported)
                + "]",
                first_job.where.path,
            )
        )
    services = [
        job
        for job in ci.jobs
        if job.system in {"github", "gitlab"}
        and any((script := _script(step)) and script.test_runs for step in job.steps)
    ]
    if services and not any(job.caches for job in ci.jobs if job.system in {"github", "gitlab"}):
        findings.append(
            _finding(
                "ci-no-cache",
                "CI installs the dependencies from scratch on every run (no cache)",
                [Evidence(services[0].where.path, services[0].where.line, services[0].name)],
                "Minutes per run spent downloading the same packages; slow CI gets run less.",
                "- uses: actions/setup-python@v5\n  with:\n"
                '    python-version: "3.12"\n    cache: pip',
                services[0].where.path,
            )
        )
    if measured and not published and not unfollowed and measured_at:
        findings.append(
            _finding(
                "ci-coverage-unreported",
                "coverage is measured in CI but not published or commented on pull requests",
                measured_at[:1],
                "Reviewers cannot see what a change left untested.",
                "- uses: actions/upload-artifact@v4\n  with:\n"
                "    name: coverage\n    path: covgap-report/",
                None,
            )
        )
    summary = CiFacts(
        files=ci.files,
        jobs=len(ci.jobs),
        test_runs=tuple(test_runs),
        gates=tuple(sorted({gate for gate, _ in gates})),
        python_versions=tuple(sorted(versions)),
    )
    return findings, gates, summary, notes


def _supported_versions(requires: str | None) -> list[str]:
    """The CPython 3.x versions from 3.9 to 3.14 that ``requires-python`` allows."""
    if not requires:
        return []
    try:
        from packaging.specifiers import SpecifierSet
    except ImportError:  # pragma: no cover - packaging comes with pytest
        return []
    try:
        spec = SpecifierSet(requires)
    except ValueError:
        return []
    return [f"3.{minor}" for minor in range(9, 15) if spec.contains(f"3.{minor}.0")]


def _workflow_snippet(facts: AuditFacts) -> str:
    versions = _supported_versions(facts.requires_python) or ["3.12"]
    return (
        "name: tests\non: [push, pull_request]\njobs:\n  tests:\n    runs-on: ubuntu-latest\n"
        "    timeout-minutes: 30\n    strategy:\n      matrix:\n        python-version: ["
        + ", ".join(f'"{v}"' for v in versions)
        + "]\n    steps:\n      - uses: actions/checkout@v4\n"
        "      - uses: actions/setup-python@v5\n        with:\n"
        "          python-version: ${{ matrix.python-version }}\n          cache: pip\n"
        "      - run: pip install -e . covgap pytest\n      - run: covgap run\n"
    )
