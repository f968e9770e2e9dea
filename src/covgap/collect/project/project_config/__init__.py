"""The project's test settings as an audit reads them: pytest's, coverage.py's, dev dependencies.

Each value comes with the file and line it is written on: ``pytest_settings`` (pytest's
configuration), ``coverage_settings`` (coverage.py's), ``dev_dependencies`` (the development
dependencies), over ``lines`` (each key's line in a file's text).
"""

from __future__ import annotations

from covgap.collect.project.project_config.coverage_settings import (
    CoverageSettings,
    pragma_excluded,
    read_coverage_settings,
)
from covgap.collect.project.project_config.dev_dependencies import (
    DevDependencies,
    normalize_name,
    read_dev_dependencies,
)
from covgap.collect.project.project_config.lines import ReadProblem, key_lines
from covgap.collect.project.project_config.pytest_settings import (
    IniValue,
    PytestConfig,
    read_pytest_config,
)

__all__ = [
    "CoverageSettings",
    "DevDependencies",
    "IniValue",
    "PytestConfig",
    "ReadProblem",
    "key_lines",
    "normalize_name",
    "pragma_excluded",
    "read_coverage_settings",
    "read_dev_dependencies",
    "read_pytest_config",
]
