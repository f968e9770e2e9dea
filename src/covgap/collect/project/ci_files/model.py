"""The neutral model every CI reader returns: jobs, steps, problems, each with file and line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

System = Literal["github", "gitlab", "tox", "nox"]


@dataclass(frozen=True)
class Where:
    """A place in a project's file."""

    #: POSIX, relative to the project folder.
    path: str
    #: 1-based.
    line: int


@dataclass(frozen=True)
class CiStep:
    """One thing a CI job runs: a GitHub step, a GitLab script line, a tox command, a nox run."""

    system: System
    #: The step's first line: a GitHub step item's first key, a GitLab script line, a tox
    #: command's first line, a nox ``session.run`` call.
    where: Where
    #: The GitHub job id, GitLab job name, tox section (``testenv:py312``), nox session name.
    job: str
    #: The step's ``name:``; for GitLab the section (``script``, ``before_script``…); for tox
    #: the option (``commands``, ``commands_pre``…); "" for nox.
    name: str
    #: The shell text run ("" for a ``uses:`` step); for nox, the arguments as a shell line.
    command: str
    #: A GitHub action reference (``codecov/codecov-action@v4``); "" otherwise.
    uses: str
    #: A ``uses:`` step's ``with:`` inputs, as strings.
    inputs: tuple[tuple[str, str], ...]
    #: Why this step may fail without failing the build, or None: ``"continue-on-error: true"``
    #: (step or job level), ``"allow_failure: true"``, ``"after_script"``, ``"|| true"``,
    #: ``"set +e"``, ``"-"`` (tox), ``"success_codes=[0, 1]"`` (nox)…
    may_fail: str | None
    may_fail_where: Where | None
    #: The file line of each line of ``command`` (``command.split("\n")``).
    command_lines: tuple[int, ...] = ()
    #: The line of the key holding the command (GitHub ``run:``); else the step's line.
    command_where: Where | None = None
    #: GitHub ``if:``, a tox factor condition (``py312,py313``); "" when unconditional.
    condition: str = ""
    #: GitHub ``shell:`` (the step's, else ``defaults.run.shell``); "" when not set.
    shell: str = ""
    #: Whether the script runs under ``set -o pipefail``: GitHub with ``shell: bash``, GitLab.
    pipefail: bool = False
    #: GitHub step ``timeout-minutes``.
    timeout_minutes: float | None = None
    timeout_where: Where | None = None

    def line_of(self, offset_line: int) -> int:
        """The file line of line ``offset_line`` (0-based) of ``command``."""
        if not self.command_lines:
            return self.where.line
        return self.command_lines[min(max(offset_line, 0), len(self.command_lines) - 1)]


@dataclass(frozen=True)
class CiJob:
    """A CI job: a GitHub or GitLab job, a tox environment section, a nox session."""

    system: System
    where: Where
    #: GitHub job id, GitLab job name, tox section name, nox session name.
    name: str
    #: GitHub ``timeout-minutes``, GitLab ``timeout`` in minutes; None when absent or not a
    #: number (an expression: see ``timeout_text``).
    timeout_minutes: float | None
    timeout_where: Where | None
    python_versions: tuple[str, ...]
    #: What caches dependencies: ``"actions/cache"``, ``"setup-python cache: pip"``,
    #: ``"setup-uv enable-cache"``, ``"hynek/setup-cached-uv"``, ``"cache: .cache/pip"``…
    caches: tuple[str, ...]
    steps: tuple[CiStep, ...]
    #: Job-level: ``continue-on-error``, ``allow_failure``, ``when: manual``, ``ignore_outcome``.
    may_fail: str | None
    may_fail_where: Where | None
    #: GitHub ``name:`` (as written, expressions unevaluated); "" when absent.
    title: str = ""
    #: A reusable workflow the job calls (GitHub job-level ``uses:``), and its ``with:``.
    uses: str = ""
    inputs: tuple[tuple[str, str], ...] = ()
    #: GitHub ``on:`` events of the workflow.
    triggers: tuple[str, ...] = ()
    #: The timeout as written (``"45"``, ``"1h 30m"``, ``"${{ inputs.timeout }}"``).
    timeout_text: str = ""
    #: tox: the environments the section configures.
    envs: tuple[str, ...] = ()
    #: GitLab ``coverage:`` regex (how GitLab reads the total from the log).
    coverage_regex: str | None = None
    #: GitLab ``artifacts:reports``: ``"coverage_report: cobertura coverage.xml"``, ``"junit:
    #: report.xml"``.
    reports: tuple[str, ...] = ()
    #: GitLab ``parallel``: ``"5"`` or ``"matrix"``.
    parallel: str | None = None


@dataclass(frozen=True)
class CiProblem:
    """Something in a CI file that could not be read, or that leaves a job incomplete."""

    where: Where
    message: str


@dataclass(frozen=True)
class CiConfig:
    """Everything read from a project's CI files."""

    #: Every CI file read, relative POSIX paths.
    files: tuple[str, ...]
    jobs: tuple[CiJob, ...]
    problems: tuple[CiProblem, ...]
