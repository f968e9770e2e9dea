"""The git state a snapshot records: the commit, the branch, and whether the tree differs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

__all__ = [
    "UNTRACKED_CODE",
    "git_state",
]


#: Variables that would point git at another repository than the project's.
_GIT_DROPPED_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR")


#: Untracked files with these suffixes make a work tree dirty: code the commit does not have.
UNTRACKED_CODE = (".py", ".pyw", ".pyi")


def git_state(project_dir: Path, timeout: float = 10.0) -> tuple[str | None, str | None, bool]:
    """The commit checked out in ``project_dir``, its branch and whether the work tree differs
    from it: a tracked file changed, or an untracked (not ignored) Python file is there, such as
    a new test module. Other untracked files (reports, data) and untracked folders do not count.

    (None, None, False) without git or outside a repository, never an error; the commit is None
    before the first commit, the branch None on a detached HEAD. One ``git status`` call.
    """
    env = {k: v for k, v in os.environ.items() if k not in _GIT_DROPPED_ENV}
    env.update(LC_ALL="C", GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0")
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch", "--untracked-files=normal"],
            cwd=project_dir,
            env=env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None, None, False
    if done.returncode:
        return None, None, False
    commit: str | None = None
    branch: str | None = None
    dirty = False
    for line in done.stdout.decode("utf-8", "surrogateescape").splitlines():
        if line.startswith("# branch.oid "):
            oid = line.removeprefix("# branch.oid ").strip()
            commit = None if oid == "(initial)" else oid
        elif line.startswith("# branch.head "):
            head = line.removeprefix("# branch.head ").strip()
            branch = None if head == "(detached)" else head
        elif line.startswith("? "):
            dirty = dirty or line.endswith(UNTRACKED_CODE)
        elif line and not line.startswith("#"):
            dirty = True
    return commit, branch, dirty
