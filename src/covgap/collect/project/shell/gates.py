"""Which commands fail on a coverage threshold, and which upload coverage."""

from __future__ import annotations

from covgap.collect.project.shell.commands import _base
from covgap.collect.project.shell.runners import _number, _option_value

_COVERAGE_REPORTS = frozenset({"report", "html", "xml", "json", "lcov"})


def _gate(argv: list[str]) -> tuple[str, float | None, str] | None:
    """``(tool, threshold, kind)`` when the command can fail on a coverage threshold."""
    if not argv:
        return None
    program = _base(argv[0])
    args = argv[1:]
    if program == "coverage" and args[:1] and args[0] in _COVERAGE_REPORTS:
        return f"coverage {args[0]}", _threshold(args[1:], "--fail-under"), "total"
    if program in {"diff-cover", "diff_cover"}:
        return "diff-cover", _threshold(args, "--fail-under"), "diff"
    if program == "covgap" and args[:1] == ["check"]:
        kind = "diff" if any(a.startswith("--diff") for a in args) else "total"
        return "covgap check", _threshold(args[1:], "--fail-under"), kind
    return None


def _threshold(args: list[str], name: str) -> float | None:
    for index in range(len(args)):
        if value := _option_value(args, index, (name,)):
            return _number(value[1])
    return None


def _upload(argv: list[str]) -> str | None:
    if not argv:
        return None
    program = _base(argv[0])
    if program in {"codecov", "codecovcli", "codecov-cli"}:
        return "codecov"
    if program in {"coveralls", "coveralls-python"}:
        return "coveralls"
    if program in {"bash", "sh"} and any("codecov.io/bash" in a for a in argv[1:]):
        return "codecov"
    return None
