"""What changed since a git base: the changed files and, in each, the lines that are new or changed.

``read`` finds the base and describes how the diffs are read (``runner`` runs git, ``parse`` reads
its output, ``join`` joins the committed, staged and unstaged diffs); ``changes`` holds the result.
"""

from __future__ import annotations

from covgap.collect.git.git_diff.changes import ChangedFile, Diff
from covgap.collect.git.git_diff.read import DEFAULT_BRANCHES, read_diff
from covgap.collect.git.git_diff.runner import DIFF_OPTIONS

__all__ = [
    "DEFAULT_BRANCHES",
    "DIFF_OPTIONS",
    "ChangedFile",
    "Diff",
    "read_diff",
]
