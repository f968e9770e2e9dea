"""Coverage settings: branch, source, omit and exclusion patterns in coverage.py's configuration."""

from __future__ import annotations

import re
from collections.abc import Sequence
from fnmatch import fnmatch

from covgap.analyze.audit.rules import _finding
from covgap.analyze.fixes import coverage_fix
from covgap.collect.project.audit_inputs import AuditFacts
from covgap.collect.project.project_scan import SourceFacts
from covgap.model import Evidence, Finding


def _settings_findings(facts: AuditFacts) -> list[Finding]:
    coverage = facts.coverage
    findings: list[Finding] = []
    if coverage.problem is not None:
        findings.append(
            _finding(
                "coverage-config-broken",
                f"coverage.py's configuration cannot be read: {coverage.problem.message}",
                [Evidence(coverage.problem.path, coverage.problem.line, coverage.problem.message)],
                "coverage.py stops with this error: nothing is measured.",
                "Fix the file at the line shown.",
                coverage.problem.path,
            )
        )
        return findings
    # No configuration: the evidence is the file a fix would create the settings in.
    shown = coverage.path or coverage_fix(coverage, "run", [])[0]
    unset = "" if coverage.path else "no coverage configuration"
    # covdefaults (a coverage.py plugin) sets branch and source itself; pytest-cov's flags, in
    # pytest's addopts or the commands that run the tests (tox, CI), set them too.
    defaults_plugin = "covdefaults" in coverage.plugins
    flag_branch, flag_source = _pytest_cov_flags(facts)
    if not coverage.branch and not defaults_plugin and not flag_branch:
        path, snippet = coverage_fix(coverage, "run", [("branch", True)])
        findings.append(
            _finding(
                "coverage-branch-off",
                "branch coverage is off",
                [Evidence(shown, coverage.line("branch"), unset or "branch")],
                "Line coverage counts an `if` as covered when only one side ever ran; the "
                "untested side (often the error path) stays invisible.",
                snippet,
                path,
            )
        )
    if not coverage.source and facts.sources.packages and not defaults_plugin and not flag_source:
        path, snippet = coverage_fix(coverage, "run", [("source", list(facts.sources.packages))])
        findings.append(
            _finding(
                "coverage-no-source",
                "no `source`: files no test imports are left out of the total",
                [Evidence(shown, coverage.line("source"), unset or "source")],
                "coverage.py only reports files that were imported, so a module no test "
                "touches is missing instead of counting as 0%, and the total looks better "
                "than it is.",
                snippet,
                path,
            )
        )
    omitted = _omitted_packages(coverage.omit, facts.sources)
    if omitted:
        pattern, files = omitted
        findings.append(
            _finding(
                "coverage-omit-package",
                f"`omit = {pattern}` leaves {files} of {len(facts.sources.files)} source files "
                "out of the total",
                [Evidence(shown, coverage.line("omit"), pattern)],
                "Omitting whole packages raises the percentage without a test being written; "
                "the gaps are still there.",
                "Remove the pattern from `omit`, or narrow it to generated files.",
                coverage.path,
            )
        )
    if coverage.exclude_replaced and not coverage.pragma_excluded:
        path, snippet = coverage_fix(
            coverage, "report", [("exclude_also", list(coverage.exclude_lines))]
        )
        findings.append(
            _finding(
                "coverage-exclude-replaced",
                "`exclude_lines` replaces coverage.py's default: "
                "`# pragma: no cover` no longer works",
                [Evidence(shown, coverage.line("exclude_lines", "report"), "exclude_lines")],
                "Setting exclude_lines drops the default pattern; exclude_also adds to it.",
                snippet,
                path,
            )
        )
    return findings


def _omitted_packages(omit: Sequence[str], sources: SourceFacts) -> tuple[str, int] | None:
    """The first omit pattern that leaves out a quarter or more of the source files."""
    if not sources.files:
        return None
    for pattern in omit:
        files = sum(
            fnmatch(path, pattern)
            or fnmatch(path, pattern.lstrip("*/"))
            or fnmatch("/" + path, pattern)
            for path in sources.files
        )
        if files and files * 4 >= len(sources.files):
            return pattern, files
    return None


#: pytest-cov's flags: ``--cov-branch``, and ``--cov=PKG`` or ``--cov PKG`` (a source).
_COV_BRANCH = re.compile(r"(?<!\S)--cov-branch(?!\S)")
_COV_SOURCE = re.compile(r"(?<!\S)--cov(?:=|\s+)(?!-)\S+")


def _pytest_cov_flags(facts: AuditFacts) -> tuple[bool, bool]:
    """(branch, source) given to pytest-cov on the command line: in pytest's ``addopts`` or a
    line of the CI files and tox that measures coverage (``pytest --cov=pkg --cov-branch``)."""
    texts = [" ".join(facts.pytest.addopts), *(text for _, _, text in facts.coverage_mentions)]
    branch = any(_COV_BRANCH.search(text) for text in texts)
    source = any(_COV_SOURCE.search(text) for text in texts)
    return branch, source
