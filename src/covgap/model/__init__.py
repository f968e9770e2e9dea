"""The data covgap works on: frozen dataclasses for coverage, gaps and plans; no I/O here.

By concern: ``coverage`` (numbers, regions, files, the project), ``plan`` (gaps, priorities,
phases, the baseline, the result), ``advice`` (risk and test advice, the strategy), ``suite``
(outcomes, health, selection, what ran), ``runs`` (recorded test runs; flaky and slow tests,
the suite's time), ``flaky`` (re-runs and unstable tests), ``draft`` (drafted tests) and
``audit``. Every public name is here too: those
``__all__`` lists, and as ``X as X`` the others (the ``Literal`` types, the audit's, ``Baseline``).
"""

from __future__ import annotations

from covgap.model.advice import (
    Assessment,
    CaseFolder,
    ExistingTest,
    ExistingTests,
    Harness,
    Isolation,
    ProjectTests,
    Risk,
    RiskFactor,
    RiskInfo,
    RiskLevel,
    StrategyItem,
    Suggestion,
    TestAdvice,
    TestStrategy,
)
from covgap.model.audit import AreaScore as AreaScore
from covgap.model.audit import AuditArea as AuditArea
from covgap.model.audit import AuditResult as AuditResult
from covgap.model.audit import CiFacts as CiFacts
from covgap.model.audit import Evidence as Evidence
from covgap.model.audit import Finding as Finding
from covgap.model.audit import InventoryFacts as InventoryFacts
from covgap.model.audit import Severity as Severity
from covgap.model.coverage import MODULE_REGION, FileCoverage, Numbers, ProjectCoverage, Region
from covgap.model.coverage import InputKind as InputKind
from covgap.model.flaky import CoverageJitter, FlakyReport, FlakyRun, FlakyTest, RunTest
from covgap.model.flaky import FlakyKind as FlakyKind
from covgap.model.flaky import SuspectedCause as SuspectedCause
from covgap.model.plan import Baseline as Baseline
from covgap.model.plan import FileGap, FolderGain, FunctionGap, Phase, Plan, PlanResult
from covgap.model.plan import Priority as Priority
from covgap.model.runs import (
    TEST_RUN_SOURCES,
    DurationBin,
    FlakyRecord,
    RunMark,
    SlowRegression,
    SuiteEstimate,
    SuiteTiming,
    TestEvidence,
    TestHistory,
    TestRun,
    TestTiming,
    WorkerEstimate,
)
from covgap.model.runs import TestRunSource as TestRunSource
from covgap.model.suite import (
    FailureGroup,
    RunInfo,
    RunVerdict,
    SuiteFacts,
    SuiteHealth,
    SuiteScope,
    TestOutcome,
    TestSelection,
    UnrunTests,
)
from covgap.model.suite import Outcome as Outcome

__all__ = [
    "MODULE_REGION",
    "TEST_RUN_SOURCES",
    "Assessment",
    "CaseFolder",
    "CoverageJitter",
    "DurationBin",
    "ExistingTest",
    "ExistingTests",
    "FailureGroup",
    "FileCoverage",
    "FileGap",
    "FlakyRecord",
    "FlakyReport",
    "FlakyRun",
    "FlakyTest",
    "FolderGain",
    "FunctionGap",
    "Harness",
    "Isolation",
    "Numbers",
    "Phase",
    "Plan",
    "PlanResult",
    "ProjectCoverage",
    "ProjectTests",
    "Region",
    "Risk",
    "RiskFactor",
    "RiskInfo",
    "RiskLevel",
    "RunInfo",
    "RunMark",
    "RunTest",
    "RunVerdict",
    "SlowRegression",
    "StrategyItem",
    "Suggestion",
    "SuiteEstimate",
    "SuiteFacts",
    "SuiteHealth",
    "SuiteScope",
    "SuiteTiming",
    "TestAdvice",
    "TestEvidence",
    "TestHistory",
    "TestOutcome",
    "TestRun",
    "TestSelection",
    "TestStrategy",
    "TestTiming",
    "UnrunTests",
    "WorkerEstimate",
]
