"""Gaps and the plan: ranked functions and files, priorities, phases, the baseline, the result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

from covgap.model.advice import _no_advice
from covgap.model.suite import SuiteScope

if TYPE_CHECKING:
    from covgap.config import Settings
    from covgap.model.advice import Risk, RiskInfo, TestAdvice, TestStrategy
    from covgap.model.audit import AuditResult
    from covgap.model.coverage import FileCoverage, Numbers, ProjectCoverage, Region
    from covgap.model.runs import TestHistory
    from covgap.model.suite import RunInfo, RunVerdict, SuiteHealth

__all__ = [
    "Baseline",
    "FileGap",
    "FolderGain",
    "FunctionGap",
    "Phase",
    "Plan",
    "PlanResult",
    "Priority",
]


Priority = Literal["P0", "P1", "P2", "P3"]


@dataclass(frozen=True)
class FunctionGap:
    """A region with its place in the ranking."""

    path: str
    region: Region
    #: Points of total coverage gained if this region were fully covered (exact fraction × 100).
    impact: Fraction
    #: The score that ordered the ranking (higher first): impact, risk and effort together.
    score: float
    priority: Priority | None
    missing_ranges: str
    #: None when risk was not assessed (``risk = false``).
    risk: Risk | None = None
    #: Cyclomatic complexity, when the source could be read and parsed.
    complexity: int | None = None
    #: Estimated tests to write (1 when there is no advice to count from): an estimate.
    effort: int = 1
    #: Makes the advice (see ``Assessment``); the advice is None without risk analysis.
    advice_source: Callable[[], TestAdvice | None] = field(
        default=_no_advice, compare=False, repr=False
    )
    #: The distinct things its tests must check (``analyze/effort.py``).
    checks: int = 1
    #: The project's functions it calls, (path, qualified name): a test of it runs them too.
    callees: tuple[tuple[str, str], ...] = ()
    #: For module-level code the plan folds into its module's first planned function: that
    #: function's display name (its first test imports the module and runs these lines, so they
    #: cost no test of their own). "" otherwise.
    runs_with: str = ""

    @property
    def advice(self) -> TestAdvice | None:
        """The tests to write; None when the source was not available to derive them from."""
        return self.advice_source()


@dataclass(frozen=True)
class FileGap:
    """A file with its tier, impact and ranked regions."""

    file: FileCoverage
    tier: str
    #: Points of total coverage gained if the file were fully covered.
    impact: Fraction
    #: Points of total coverage gained if the file reached its target (0 when it already does).
    impact_to_target: Fraction
    file_target: float
    missing_ranges: str
    functions: tuple[FunctionGap, ...]


@dataclass(frozen=True)
class Phase:
    """One step of the plan: cover these regions fully and the total becomes ``projected``."""

    number: int
    milestone: Fraction
    items: tuple[FunctionGap, ...]
    #: Covered units of the whole project once this phase and all earlier ones are done.
    projected_covered_units: int
    total_units: int
    #: The ``fail_under`` to set when the phase is done (a ratchet), at coverage's precision.
    fail_under: Fraction
    #: Estimated tests to write, module by module (``analyze/effort.phase_tests``): an estimate.
    estimated_tests: int = 0
    #: The same per module (file path): they add up to ``estimated_tests``.
    tests_by_module: Mapping[str, int] = field(default_factory=dict)

    @property
    def projected_ratio(self) -> Fraction:
        return (
            Fraction(self.projected_covered_units, self.total_units)
            if self.total_units
            else Fraction(1)
        )

    @property
    def projected_percent(self) -> float:
        """The total coverage.py would report, computed with its own float formula."""
        if self.total_units > 0:
            return (100.0 * self.projected_covered_units) / self.total_units
        return 100.0

    @property
    def gap_closed(self) -> int:
        return sum(item.region.numbers.gap for item in self.items)


@dataclass(frozen=True)
class FolderGain:
    """A folder's share of the plan: its numbers now and once every phase is done."""

    folder: str
    now: Numbers
    after: Numbers


@dataclass(frozen=True)
class Plan:
    """The whole plan: from the current total to the target, in phases."""

    target: Fraction
    current: Numbers
    phases: tuple[Phase, ...]
    #: The highest total the plan can reach (100 unless files are left out of the plan).
    maximum: Fraction
    reachable: bool
    milestones_source: Literal["given", "computed"]
    gains: tuple[FolderGain, ...] = ()
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Baseline:
    """What the ratchet and the phase gate compare with."""

    #: Where it came from: "covgap-baseline.json (commit 1a2b3c4)", "history snapshot 12 …".
    source: str
    commit: str | None
    numbers: Numbers
    #: path -> (uncovered statements, statements).
    files: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: The ``fail_under`` of each phase of the plan when the baseline was taken, lowest first.
    phases: tuple[float, ...] = ()


@dataclass(frozen=True)
class PlanResult:
    """Everything a report shows: the coverage, the ranked gaps, the plan and the settings."""

    project: ProjectCoverage
    files: tuple[FileGap, ...]
    functions: tuple[FunctionGap, ...]
    plan: Plan
    settings: Settings
    #: Only for ``covgap run``: how the suite was measured, and its health.
    run: RunInfo | None = None
    health: SuiteHealth | None = None
    #: How risk was assessed; None when it was turned off.
    risk: RiskInfo | None = None
    #: The audit of the suite, configuration and CI; None when it was turned off.
    audit: AuditResult | None = None
    #: Only for ``covgap run``: the exit code the suite's outcome asks for.
    verdict: RunVerdict | None = None
    #: The test code measured, the tests that did not run, whether the run was partial.
    scope: SuiteScope = field(default_factory=SuiteScope)
    #: What to set up once for the planned tests; None without risk analysis.
    strategy: TestStrategy | None = None
    #: The flaky and slow tests of the history's recorded test runs (``covgap history
    #: --tests``'s facts); None when the history has no test run, or could not be read.
    tests_history: TestHistory | None = None
