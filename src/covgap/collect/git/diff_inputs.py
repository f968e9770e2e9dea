"""What diff coverage needs from the project folder besides the data and the diff: the branch
exits of the changed files and why the coverage configuration leaves a file out, both as
coverage.py itself sees them (``analyze/diffcov.py`` puts them together, purely)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

__all__ = ["Exclusion", "read_branch_exits", "read_exclusions"]

#: Why the coverage configuration leaves a file out ("outside [run] source"), or None.
Exclusion = Callable[[str], "str | None"]


def read_branch_exits(project_dir: Path, paths: Iterable[str]) -> dict[str, dict[int, int]]:
    """The branch lines of these files and their number of exits, as coverage.py counts them.

    Each file is parsed by coverage.py's parser with the project's ``[report] exclude_lines``
    (so ``exit_counts`` is the one its reports use); a file that cannot be parsed has none.
    """
    from coverage.exceptions import CoverageException
    from coverage.misc import join_regex
    from coverage.parser import PythonParser
    from coverage.python import get_python_source

    from covgap.collect.suite.rcfile import project_coverage_config, working_directory

    project_dir = Path(project_dir).resolve()
    exits: dict[str, dict[int, int]] = {}
    with working_directory(project_dir):
        exclude = join_regex(project_coverage_config(project_dir).exclude_list)
        for path in paths:
            filename = str(project_dir / path)
            try:
                parser = PythonParser(
                    text=get_python_source(filename), filename=filename, exclude=exclude
                )
                parser.parse_source()
                counts = parser.exit_counts()
            except (CoverageException, OSError, SyntaxError, UnicodeDecodeError):
                counts = {}
            exits[path] = {line: n for line, n in counts.items() if n > 1}
    return exits


def read_exclusions(project_dir: Path) -> Exclusion:
    """Why the project's coverage configuration leaves a file out: the reason, or None.

    Checks, as coverage.py does, ``[run] source`` and ``source_pkgs`` (a folder, or a package
    found by name among the file's folders), ``[run] include`` (ignored when source is set),
    ``[run] omit``, then ``[report] include`` and ``omit``.
    """
    from coverage.files import GlobMatcher, TreeMatcher, canonical_filename, prep_patterns

    from covgap.collect.suite.rcfile import project_coverage_config, working_directory

    project_dir = Path(project_dir).resolve()
    with working_directory(project_dir):
        config = project_coverage_config(project_dir)
        source_dirs: list[str] = []
        packages = [pkg.split(".") for pkg in config.source_pkgs]
        for source in config.source or ():
            if Path(source).is_dir():
                source_dirs.append(canonical_filename(source))
            else:
                packages.append(source.split("."))
        matchers = [
            (name, GlobMatcher(prep_patterns(patterns), name), wanted)
            for name, patterns, wanted in (
                ("[run] include", () if source_dirs or packages else config.run_include, True),
                ("[run] omit", config.run_omit, False),
                ("[report] include", config.report_include, True),
                ("[report] omit", config.report_omit, False),
            )
            if patterns
        ]
        source_match = TreeMatcher(source_dirs, "source") if source_dirs else None

    def why(path: str) -> str | None:
        filename = canonical_filename(os.fspath(project_dir / path))
        if source_dirs or packages:
            inside = source_match is not None and source_match.match(filename)
            if not inside and not any(_in_package(path, parts) for parts in packages):
                return "outside [run] source"
        for name, matcher, wanted in matchers:
            if matcher.match(filename) != wanted:
                return f"outside {name}" if wanted else f"matches {name}"
        return None

    return why


def _in_package(path: str, package: list[str]) -> bool:
    """Whether the module at ``path`` is in the package (its names among the path's parts)."""
    pure = PurePosixPath(path)
    parts = [*pure.parent.parts, pure.stem]
    size = len(package)
    return any(parts[i : i + size] == package for i in range(len(parts) - size + 1))
