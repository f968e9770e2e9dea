"""A project's CI definitions, read into one neutral model, with file and line for everything."""

from __future__ import annotations

from covgap.collect.project.ci_files.model import (
    CiConfig,
    CiJob,
    CiProblem,
    CiStep,
    System,
    Where,
)
from covgap.collect.project.ci_files.reader import read_ci

__all__ = [
    "CiConfig",
    "CiJob",
    "CiProblem",
    "CiStep",
    "System",
    "Where",
    "read_ci",
]
