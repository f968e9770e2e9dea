"""Running git in the project folder for the diff: pinned options and settings, one-line errors."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from covgap.collect.git.churn import _command, _environment, _last_line
from covgap.errors import DataError, UsageError

#: Options of every ``git diff``: git's defaults, pinned against anyone's configuration.
DIFF_OPTIONS = (
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "-U0",
    "--inter-hunk-context=0",
    "--diff-algorithm=myers",
    "--indent-heuristic",
    "--find-renames",
    "-l1000",
    "--submodule=short",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--relative",
)


class _GitFailed(Exception):
    """A git command exited with an error; the message is its last line of stderr."""


#: Options of ``git ls-files`` listing the untracked files diff-cover lists.
_UNTRACKED = ("-z", "--others", "--exclude-standard")


class _Git:
    """git run in one folder with the settings covgap.collect.git.churn pins (``_command``)."""

    def __init__(self, project_dir: Path, timeout: float) -> None:
        self.project_dir = project_dir
        self.timeout = timeout

    def run(self, args: Sequence[str], *, ok: tuple[int, ...] = (0,)) -> tuple[int, bytes]:
        try:
            done = subprocess.run(
                _command(list(args)),
                cwd=self.project_dir,
                env=_environment(),
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError:
            raise DataError("git is not installed (no `git` on PATH)", slug="no-git") from None
        except subprocess.TimeoutExpired:
            raise DataError(
                f"`git {args[0]}` took more than {self.timeout:g} s", slug="git-timeout"
            ) from None
        if done.returncode not in ok:
            raise _GitFailed(_last_line(done.stderr))
        return done.returncode, done.stdout

    def text(self, args: Sequence[str], *, ok: tuple[int, ...] = (0,)) -> str | None:
        """The output's first line, or None when git exits with another accepted status."""
        code, out = self.run(args, ok=ok)
        if code:
            return None
        lines = out.decode("utf-8", "surrogateescape").splitlines()
        return lines[0] if lines else ""

    def check_repository(self) -> bool:
        """Fail unless the folder is in a git work tree; whether the clone is shallow."""
        if not self.project_dir.is_dir():
            raise UsageError(f"{self.project_dir} is not a folder", slug="no-project")
        try:
            _, out = self.run(["rev-parse", "--is-inside-work-tree", "--is-shallow-repository"])
        except _GitFailed as error:
            if "not a git repository" in str(error):
                raise UsageError(
                    f"{self.project_dir} is not in a git repository: diff coverage compares"
                    " with a git base",
                    slug="not-git",
                ) from None
            raise DataError(f"git failed: {error}") from None
        answers = out.decode("ascii", "replace").split()
        if answers[:1] != ["true"]:
            raise UsageError(
                f"{self.project_dir} is not in a git work tree (a bare repository or .git)",
                slug="not-git",
            )
        return answers[1:2] == ["true"]

    def resolve(self, rev: str) -> str | None:
        """The commit a revision names (full sha), or None."""
        try:
            return self.text(
                ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
                ok=(0, 1),
            )
        except _GitFailed:  # a malformed name: treated as missing
            return None

    def symbolic_ref(self, name: str) -> str | None:
        """Where a symbolic ref points ("refs/heads/main"), or None (detached, missing)."""
        try:
            return self.text(["symbolic-ref", "--quiet", name], ok=(0, 1))
        except _GitFailed:
            return None

    def merge_base(self, base: str, head: str) -> str | None:
        """``git merge-base BASE HEAD`` (the order of ``git diff BASE...HEAD``), or None."""
        try:
            return self.text(["merge-base", base, head], ok=(0, 1))
        except _GitFailed as error:
            raise DataError(f"`git merge-base` failed: {error}") from None

    def diff(self, revisions: Sequence[str]) -> bytes:
        try:
            return self.run(["diff", *DIFF_OPTIONS, *revisions, "--"])[1]
        except _GitFailed as error:
            raise DataError(f"`git diff` failed: {error}") from None

    def untracked(self) -> list[str]:
        try:
            out = self.run(["ls-files", *_UNTRACKED])[1]
        except _GitFailed as error:
            raise DataError(f"`git ls-files` failed: {error}") from None
        return [os.fsdecode(name) for name in out.split(b"\0") if name]
