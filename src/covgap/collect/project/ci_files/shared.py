"""What every CI reader shares: reading files, recording problems, a script's ignored failures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from covgap.collect.project.ci_files.model import CiJob, CiProblem, Where
from covgap.collect.project.shell import analyze_script
from covgap.files import NotRegularFileError, open_regular, special_kind

#: The largest CI file read: 1 MB, GitLab's first ``max_yaml_size_bytes``.
_MAX_CI_BYTES = 1_000_000


def _present(path: Path) -> bool:
    """A file to read: a regular file, or a FIFO, device or socket, which ``_State.read``
    reports unopened (opening it could block); not a folder."""
    return path.is_file() or special_kind(path) is not None


@dataclass
class _State:
    root: Path
    files: list[str] = field(default_factory=list)
    jobs: list[CiJob] = field(default_factory=list)
    problems: list[CiProblem] = field(default_factory=list)

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def problem(self, path: str, line: int, message: str) -> None:
        problem = CiProblem(Where(path, max(line, 1)), message)
        if problem not in self.problems:  # a template's problem, met again by each job
            self.problems.append(problem)

    def read(self, path: Path) -> str | None:
        """The file's text, recorded as read; None (and a problem) when it cannot be read."""
        relative = self.relative(path)
        try:
            with open_regular(path) as handle:
                data = handle.read(_MAX_CI_BYTES + 1)
            text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        except NotRegularFileError as exc:
            self.problem(relative, 1, str(exc.strerror))
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(relative, 1, f"cannot be read: {exc}")
            return None
        if len(data) > _MAX_CI_BYTES:
            self.problem(
                relative,
                1,
                f"too large: more than {_MAX_CI_BYTES:,} bytes (covgap reads CI files up to 1 MB)",
            )
            return None
        if relative not in self.files:
            self.files.append(relative)
        return text


@lru_cache(maxsize=4096)
def _script_mask(
    command: str, lines: tuple[int, ...], path: str, pipefail: bool
) -> tuple[str | None, Where | None]:
    """The first ignored failure in a script (one on a test run, gate or upload first).

    Cached: a step written once under an anchor is met again in every job that uses it."""
    facts = analyze_script(command, pipefail=pipefail)
    relevant: list[tuple[int, str | None]] = [
        (run.offset_line, run.may_fail) for run in facts.test_runs if run.may_fail
    ]
    relevant += [(gate.offset_line, gate.may_fail) for gate in facts.gates if gate.may_fail]
    relevant += [(up.offset_line, up.may_fail) for up in facts.uploads if up.may_fail]
    relevant += [(command.offset_line, command.may_fail) for command in facts.masked]
    if not relevant:
        return None, None
    offset, reason = relevant[0]
    line = lines[min(offset, len(lines) - 1)] if lines else 1
    return reason, Where(path, line)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))
