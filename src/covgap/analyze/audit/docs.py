"""Testing docs: a README or CONTRIBUTING file that says how to run the tests."""

from __future__ import annotations

from covgap.analyze.audit.rules import _finding
from covgap.collect.project.audit_inputs import AuditFacts
from covgap.model import Evidence, Finding


def _install_command(facts: AuditFacts) -> str:
    """How to install the project with its test dependencies, from where they are kept."""
    home = facts.dependencies.home
    if home is None:
        return "pip install -e . pytest"
    path, where = home
    table, _, group = where.rpartition(".")
    if path != "pyproject.toml":
        return f"pip install -e . -r {path}"
    if table == "project.optional-dependencies":
        return f"pip install -e .[{group}]"
    if table == "dependency-groups":
        return f"pip install -e . --group {group}"
    return "pip install -e . pytest"


def _docs_findings(facts: AuditFacts) -> list[Finding]:
    docs = facts.docs
    findings: list[Finding] = []
    if docs.test_instructions is None:
        findings.append(
            _finding(
                "docs-no-test-instructions",
                "no README or CONTRIBUTING file says how to run the tests",
                [Evidence(path, None, "no test command") for path in docs.files[:3]]
                or [Evidence("README.md", None, "missing")],
                "A new contributor cannot run the suite before sending a change.",
                "## Running the tests\n\n```\n" + _install_command(facts) + "\npytest\n```",
                "CONTRIBUTING.md",
            )
        )
    if docs.contributing is None:
        findings.append(
            _finding(
                "docs-no-contributing",
                "no CONTRIBUTING file",
                [Evidence("CONTRIBUTING.md", None, "missing")],
                "Where tests go, how to run them and what coverage a change needs are "
                "nowhere written down.",
                "# Contributing\n\n## Tests\n\nNew code comes with tests; run them with `pytest`.",
                "CONTRIBUTING.md",
            )
        )
    return findings
