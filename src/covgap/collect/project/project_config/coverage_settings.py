"""coverage.py's settings for the project, read by coverage.py itself, with their lines.

Read by coverage.py itself (``rcfile.project_coverage_config``); lines are looked up in the file it
read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from covgap.collect.project.project_config.lines import ReadProblem, key_lines
from covgap.collect.suite.rcfile import project_coverage_config, working_directory
from covgap.errors import ConfigError
from covgap.files import read_text


@dataclass(frozen=True)
class CoverageSettings:
    """coverage.py's settings for the project (as coverage.py reads them), with their lines."""

    path: str | None
    branch: bool
    source: tuple[str, ...]
    omit: tuple[str, ...]
    fail_under: float
    parallel: bool
    patch: tuple[str, ...]
    concurrency: tuple[str, ...]
    exclude_lines: tuple[str, ...]
    #: Whether ``exclude_lines`` was set (replacing coverage.py's default, ``pragma: no cover``).
    exclude_replaced: bool
    #: Whether coverage.py, with these settings, still excludes a line ending in
    #: ``# pragma: no cover`` (see ``pragma_excluded``).
    pragma_excluded: bool = True
    #: coverage.py plugins the configuration loads (``covdefaults`` sets branch and source).
    plugins: tuple[str, ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict)
    #: The first line of each coverage section present (``run``, ``report``…).
    sections: Mapping[str, int] = field(default_factory=dict)
    problem: ReadProblem | None = None

    @property
    def toml(self) -> bool:
        return bool(self.path) and str(self.path).endswith(".toml")

    def line(self, option: str, section: str = "run") -> int | None:
        return self.lines.get(option, self.sections.get(section))


# --- coverage.py --------------------------------------------------------------------------------

_COVERAGE_OPTIONS = {
    "run": ("branch", "source", "source_pkgs", "omit", "parallel", "patch", "concurrency", "core"),
    "report": ("fail_under", "exclude_lines", "exclude_also", "omit", "show_missing"),
}


#: Lines that carry coverage.py's documented pragma, as people write it.
_PRAGMA_LINES = "def f():  # pragma: no cover\n    x = 1  # pragma: no cover\n"


def pragma_excluded(exclude_list: Sequence[str]) -> bool:
    """Whether lines ending in ``# pragma: no cover`` are excluded by ``exclude_list`` (after
    ``exclude_also`` was added to it), decided by coverage.py's own parser: it searches the
    source for the patterns joined into one regex, so ``no cov`` still finds ``no cover``."""
    from coverage.misc import join_regex
    from coverage.parser import PythonParser

    if not exclude_list:
        return False
    try:
        matched = PythonParser(_PRAGMA_LINES).lines_matching(join_regex(exclude_list))
    except re.error:  # coverage.py refuses such a pattern when it reads the configuration
        return True
    return {1, 2} <= matched


def read_coverage_settings(project_dir: Path) -> CoverageSettings:
    """coverage.py's settings in ``project_dir``, read by coverage.py, with their lines."""
    try:
        with working_directory(project_dir):
            config = project_coverage_config(project_dir)
    except ConfigError as exc:
        return CoverageSettings(
            None, False, (), (), 0.0, False, (), (), (), False,
            problem=ReadProblem(exc.path or ".coveragerc", None, exc.message),
        )  # fmt: skip
    path: str | None = None
    lines: dict[str, int] = {}
    sections: dict[str, int] = {}
    exclude_replaced = False
    if config.config_file:
        file = Path(config.config_file)
        path = file.name if file.parent.resolve() == project_dir.resolve() else str(file)
        text = read_text(file, errors="replace")
        toml = file.suffix == ".toml"
        found = key_lines(text, toml=toml)
        for kind, options in _COVERAGE_OPTIONS.items():
            names = (
                [f"tool.coverage.{kind}", kind]
                if toml
                else [f"coverage:{kind}", kind]
            )  # fmt: skip
            for section in names:
                if (section, "") in found:
                    sections.setdefault(kind, found[(section, "")])
                for option in options:
                    if (section, option) in found:
                        lines.setdefault(option, found[(section, option)])
                        lines.setdefault(f"{kind}.{option}", found[(section, option)])
        exclude_replaced = "report.exclude_lines" in lines
    return CoverageSettings(
        path=path,
        branch=bool(config.branch),
        source=tuple(config.source or ()) + tuple(config.source_pkgs or ()),
        omit=tuple(config.run_omit or ()),
        fail_under=float(config.fail_under or 0.0),
        parallel=bool(config.parallel),
        patch=tuple(getattr(config, "patch", ()) or ()),
        concurrency=tuple(config.concurrency or ()),
        exclude_lines=tuple(config.exclude_list or ()),
        exclude_replaced=exclude_replaced,
        pragma_excluded=pragma_excluded(config.exclude_list or ()),
        plugins=tuple(config.plugins or ()),
        lines=lines,
        sections=sections,
    )
