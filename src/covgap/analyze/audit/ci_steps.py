"""What a CI step runs and shows: its shell's test runs, published coverage, a failure it hides."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from covgap.collect.project.ci_files import CiConfig, CiJob, CiStep
from covgap.collect.project.shell import ScriptFacts, TestRun, analyze_script
from covgap.markup import code_span as code

#: GitHub actions and commands that publish coverage or comment it on pull requests.
COVERAGE_PUBLISHERS = (
    "codecov/codecov-action",
    "coverallsapp/github-action",
    "py-cov-action/python-coverage-comment-action",
    "mishakav/pytest-coverage-comment",
    "orgoro/coverage",
    "irongut/codecoveragesummary",
    "5monkeys/cobertura-action",
    "ewjoachim/python-coverage-comment-action",
    "insightsengineering/coverage-action",
)


@lru_cache(maxsize=4096)
def _analyzed(command: str, pipefail: bool) -> ScriptFacts:
    return analyze_script(command, pipefail=pipefail)


def _script(step: CiStep) -> ScriptFacts | None:
    """What the step's shell text does (None for a step that runs no command)."""
    return _analyzed(step.command, step.pipefail) if step.command else None


def _ci_test_runs(ci: CiConfig) -> Iterable[tuple[CiJob, CiStep, TestRun]]:
    for job in ci.jobs:
        for step in job.steps:
            script = _script(step)
            for run in script.test_runs if script else ():
                yield job, step, run


def _may_fail_kind(why: str) -> str:
    """The way a failure is hidden, in a word or two (``| jq …`` → ``a pipe``)."""
    if why.startswith("| "):
        return "a pipe without pipefail"
    if why.startswith("- "):
        return "tox's `-` prefix"
    return why.split(":")[0] if why.startswith(("continue-on-error", "allow_failure")) else why


def _may_fail_fix(why: str) -> str:
    """The change that makes a step's failure fail the build, for each way it is hidden."""
    if why.startswith("| "):
        return (
            "Make the pipeline fail when its first command fails: `set -o pipefail` before "
            "it, or `shell: bash` on the step (GitHub runs that with pipefail)."
        )
    if why.startswith("- "):
        return "Remove the leading `-` before the command (tox ignores its exit status)."
    if why.startswith("continue-on-error"):
        return (
            "Remove `continue-on-error` (or set it to false); if the step is known to fail, fix it."
        )
    if why.startswith(("allow_failure", "when: manual")):
        return "Remove `allow_failure: true`; if the job is known to fail, fix it."
    if why.startswith("after_script"):
        return "Move the command from `after_script` to `script`, whose failures fail the job."
    return f"Remove {code(why)}; if the step is known to fail, fix it or delete it."


def _publishes(step: CiStep) -> bool:
    """Whether a step shows coverage to reviewers: a coverage service or comment action, an
    uploaded coverage artifact, or a report written to the job summary."""
    uses = step.uses.lower()
    if any(uses.startswith(name) for name in COVERAGE_PUBLISHERS) or any(
        word in uses.split("@")[0] for word in ("codecov", "coveralls", "coverage-comment")
    ):
        return True
    if uses.startswith("actions/upload-artifact"):
        inputs = " ".join(value for _, value in step.inputs).lower()
        return "cov" in inputs
    command = step.command
    return "GITHUB_STEP_SUMMARY" in command and ("coverage" in command or "covgap" in command)


def _coverage_report(reports: Sequence[str]) -> bool:
    """GitLab's ``artifacts:reports`` names a coverage report (shown in merge requests)."""
    return any("coverage" in report for report in reports)


def _step_label(step: CiStep) -> str:
    if step.name:
        return repr(step.name)
    if step.command:
        return repr(step.command.strip().splitlines()[0][:60])
    return repr(step.uses)


def _split_where(text: str) -> tuple[str, int | None]:
    path, _, line = text.rpartition(":")
    return (path, int(line)) if line.isdigit() else (text, None)
