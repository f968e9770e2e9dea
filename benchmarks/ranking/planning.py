"""covgap's plan of "today" (the partial run), from the covgap of the tree the benchmark is in."""

from __future__ import annotations

import sys
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CovgapPlan", "FunctionKey", "import_covgap", "plan_today"]

#: (file path, region name, start line): one of covgap's regions (a function, or module code).
FunctionKey = tuple[str, str, int]

#: This tree's ``src``: the covgap the benchmark measures.
TREE_SRC = Path(__file__).resolve().parents[2] / "src"


def import_covgap() -> Any:
    """covgap imported from this tree's ``src``, never an installed copy."""
    sys.path.insert(0, str(TREE_SRC))
    import covgap

    where = Path(covgap.__file__).resolve()
    if TREE_SRC not in where.parents:
        raise SystemExit(f"covgap was imported from {where}, not from {TREE_SRC}")
    return covgap


@dataclass(frozen=True)
class PlannedFunction:
    """One function of covgap's ranking, with what covgap said of it."""

    key: FunctionKey
    rank: int
    priority: str | None
    effort: int
    score: float
    risk: float | None
    risk_level: str | None
    complexity: int | None
    missing_statements: int
    missing_branches: int
    phase: int | None
    #: Today's missing units of the region, as the oracle names them.
    units: frozenset[Hashable]

    def to_json(self) -> dict[str, Any]:
        path, name, line = self.key
        return {
            "path": path,
            "name": name or "(module level)",
            "line": line,
            "rank": self.rank,
            "priority": self.priority,
            "estimated_tests": self.effort,
            "score": self.score,
            "risk": self.risk,
            "risk_level": self.risk_level,
            "complexity": self.complexity,
            "missing_statements": self.missing_statements,
            "missing_branches": self.missing_branches,
            "phase": self.phase,
        }


@dataclass(frozen=True)
class PlannedPhase:
    number: int
    milestone: float
    fail_under: float
    functions: tuple[FunctionKey, ...]
    estimated_tests: int


@dataclass(frozen=True)
class CovgapPlan:
    """covgap's ranked functions (plan order) and phases, and the numbers it planned from."""

    functions: tuple[PlannedFunction, ...]
    phases: tuple[PlannedPhase, ...]
    total_units: int
    covered_units: int
    precision: int
    version: str
    seconds: float


def _region_units(path: str, region: Any) -> frozenset[Hashable]:
    units: set[Hashable] = {(path, line) for line in region.missing_lines}
    units |= {(path, start, end) for start, end in region.missing_arcs}
    return frozenset(units)


def plan_today(folder: Path, data_file: Path, target: float | None = None) -> CovgapPlan:
    """covgap's plan of ``data_file`` with default settings (``target``: given as on the command
    line; no cache: a change to covgap's code must never meet an answer cached by the code
    before it; no audit: it has no part in the plan)."""
    import time

    covgap = import_covgap()
    from covgap import api
    from covgap.config import load_settings

    started = time.perf_counter()
    settings = load_settings(
        folder,
        {"data_file": str(data_file), "cache": False, "audit": False, "target": target},
        environ={},
    )
    result = api.plan(folder, settings)
    seconds = time.perf_counter() - started
    phase_of: dict[FunctionKey, int] = {}
    phases = []
    for phase in result.plan.phases:
        keys = tuple((i.path, i.region.name, i.region.start_line) for i in phase.items)
        phase_of.update(dict.fromkeys(keys, phase.number))
        phases.append(
            PlannedPhase(
                phase.number,
                float(phase.milestone),
                float(phase.fail_under),
                keys,
                sum(i.effort for i in phase.items),
            )
        )
    functions = []
    for rank, item in enumerate(result.functions, 1):
        key = (item.path, item.region.name, item.region.start_line)
        numbers = item.region.numbers
        functions.append(
            PlannedFunction(
                key=key,
                rank=rank,
                priority=item.priority,
                effort=item.effort,
                score=item.score,
                risk=item.risk.score if item.risk else None,
                risk_level=item.risk.level if item.risk else None,
                complexity=item.complexity,
                missing_statements=numbers.missing_statements,
                missing_branches=numbers.missing_branches,
                phase=phase_of.get(key),
                units=_region_units(item.path, item.region),
            )
        )
    totals = result.project.totals
    return CovgapPlan(
        functions=tuple(functions),
        phases=tuple(phases),
        total_units=totals.units,
        covered_units=totals.covered_units,
        precision=result.project.coverage_precision,
        version=covgap.__version__,
        seconds=seconds,
    )
