"""The library facade: what the CLI calls, and what other programs may call."""

from __future__ import annotations

from typing import Any

from covgap.api.auditing import audit, read_audit
from covgap.api.checking import check, measure_diff, new_baseline
from covgap.api.drafting import draft
from covgap.api.loading import COVGAP_DIR as COVGAP_DIR
from covgap.api.loading import combine, load
from covgap.api.measuring import ANALYSIS_MODULES as ANALYSIS_MODULES
from covgap.api.measuring import run
from covgap.api.measuring import suite_health as suite_health
from covgap.api.planning import analyze, plan
from covgap.api.planning import junit_health as junit_health
from covgap.api.risk import Assessed as Assessed
from covgap.api.risk import Surroundings as Surroundings
from covgap.api.risk import assess_risk, read_surroundings
from covgap.api.snapshots import history, record
from covgap.api.suite_history import (
    plan_test_history,
    read_test_evidence,
    read_test_history,
    record_test_runs,
)
from covgap.collect.suite.run import Progress, RunOptions

# The analysis modules are imported where they are used, not here: ``covgap run`` starts the
# suite first and loads them while it runs (``ANALYSIS_MODULES``).

__all__ = [
    "FlakyOptions",
    "PlanResult",
    "Progress",
    "RunOptions",
    "analyze",
    "assess_risk",
    "audit",
    "check",
    "combine",
    "draft",
    "flaky",
    "history",
    "load",
    "measure_diff",
    "new_baseline",
    "plan",
    "plan_test_history",
    "read_audit",
    "read_surroundings",
    "read_test_evidence",
    "read_test_history",
    "record",
    "record_test_runs",
    "run",
]


def __getattr__(name: str) -> Any:
    """``PlanResult``, re-exported, imported when first asked for: ``covgap run`` starts the
    suite before it loads the model; ``flaky`` and its ``FlakyOptions`` likewise."""
    if name == "PlanResult":
        from covgap.model import PlanResult

        return PlanResult
    if name in ("flaky", "FlakyOptions"):
        from covgap.api import flakiness

        return getattr(flakiness, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
