"""Reading what changed since a git base: finding the base, then the diffs since it, joined.

The base
    ``read_diff(project_dir, "REV")`` compares with the merge base of ``REV`` and HEAD, as
    ``git diff REV...HEAD`` does (``git merge-base REV HEAD``; with several merge bases, the one
    both print). Without a base, the default branch is found: ``origin/HEAD`` when that symbolic
    ref exists (``git remote set-head origin --auto`` makes it; ``git clone`` does), otherwise
    the first of ``origin/main``, ``origin/master``, ``main``, ``master`` that exists and is not
    the branch HEAD is on. HEAD on ``main`` with no ``origin/main`` is not a diff: covgap says
    so and asks for ``--base``.

The changed lines: the same as diff-cover's
    diff-cover (``GitDiffReporter``, default options) reads three diffs and joins them: the
    committed changes ``git diff BASE...HEAD``, the staged ones ``git diff --cached`` and the
    unstaged ones ``git diff``, all ``-U0``. A line is changed when one of the three diffs adds
    it (a ``+`` line: new, or the new side of a modified line); deleted lines leave nothing
    behind. covgap runs the same three diffs (the last two only with ``include_uncommitted``)::

        git diff <options> <merge-base> <HEAD> --       # committed since the base
        git diff <options> --cached <HEAD> --           # staged
        git diff <options> --                           # unstaged (the work tree)
        git ls-files -z --others --exclude-standard     # untracked, with include_untracked

    where ``<options>`` are ``--no-color --no-ext-diff --no-textconv -U0
    --inter-hunk-context=0 --diff-algorithm=myers --indent-heuristic --find-renames -l1000
    --submodule=short --src-prefix=a/ --dst-prefix=b/ --relative`` and every git command runs
    as ``git --no-pager -c core.quotePath=true -c diff.noprefix=false -c
    diff.mnemonicPrefix=false -c log.follow=false -c log.showSignature=false -c color.ui=never``
    in the project folder, without ``GIT_DIR``, ``GIT_EXTERNAL_DIFF``, ``GIT_DIFF_OPTS`` and the
    other variables ``covgap.collect.git.churn`` drops. These are git's defaults (Myers with the
    indent heuristic, renames found at 50% similarity, which plain ``git diff`` has done since
    git 2.9), pinned so that no one's configuration (``diff.algorithm``, ``diff.renames``,
    ``diff.noprefix``, ``diff.external``, ``color.ui=always``, ``diff.interHunkContext``,
    ``diff.relative``, a textconv driver) changes the result. diff-cover itself pins only the
    prefixes, ``--no-color``, ``--no-ext-diff`` and ``-U0``: with default git settings both read
    the same diffs.

    Joining the diffs, covgap carries the lines found so far through each later diff: a line
    that the later diff deletes or rewrites is dropped (its rewrite is added by that diff), and
    the others move by the lines added and removed above them. diff-cover keeps the earlier
    line numbers unchanged and drops those equal to the later diff's deleted lines counted from
    the hunk's *new* start. The two agree whenever the uncommitted changes add as many lines as
    they remove in each hunk above an earlier changed line (in particular when there are none);
    otherwise diff-cover names lines that moved by their old numbers, and covgap by their new
    ones (docs/diff-coverage.md has an example).

    ``--relative`` (run in the project folder) keeps only the files inside it, named relative
    to it: a project in a subfolder of the repository. Paths are POSIX, decoded from git's
    C-quoting (``core.quotePath=true``: non-ASCII names come back as octal escapes, unquoted
    here), and read from the ``rename to``, ``+++ b/...`` or ``diff --git`` header lines, so
    that names with spaces parse.

Files
    ``added`` (absent at the base), ``renamed`` (a rename git found, ``old_path`` the name at
    the base) or ``modified``; deleted files are listed apart (``Diff.deleted``). Every changed
    file is listed, whatever its kind (the caller keeps the Python files); a file whose change
    adds no line (a pure rename, a mode change, a deletion of lines, a binary file) is listed
    with no added lines. Untracked files (``include_untracked``, off by default as in
    diff-cover) count every line as added.

Errors are one line, never a traceback: not a git repository, no commits, no base found (with
the names tried), a base missing from a shallow clone (fetch the history: ``git fetch
--unshallow``, or ``fetch-depth: 0`` for actions/checkout), unmerged files in the work tree.
"""

from __future__ import annotations

from pathlib import Path

from covgap.collect.git.churn import DEFAULT_TIMEOUT
from covgap.collect.git.git_diff.changes import Diff
from covgap.collect.git.git_diff.join import _Joined
from covgap.collect.git.git_diff.parse import _parse_diff
from covgap.collect.git.git_diff.runner import _UNTRACKED, DIFF_OPTIONS, _Git
from covgap.errors import DataError, UsageError

#: The branches tried, in order, when no base is given and origin/HEAD does not exist.
DEFAULT_BRANCHES = ("origin/main", "origin/master", "main", "master")

_SHALLOW_HINT = (
    "fetch the history with `git fetch --unshallow` (or fetch-depth: 0 in actions/checkout)"
)


def read_diff(
    project_dir: Path,
    base: str | None = None,
    *,
    include_uncommitted: bool = True,
    include_untracked: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> Diff:
    """What changed in ``project_dir`` since the merge base of HEAD and ``base``.

    ``base`` None: the default branch (see the module's description). ``include_uncommitted``
    adds the staged and unstaged changes; ``include_untracked`` adds untracked files, every
    line changed. Raises UsageError or DataError, one line each, when there is no diff to read.
    """
    git = _Git(Path(project_dir), timeout)
    shallow = git.check_repository()
    head = git.resolve("HEAD")
    if head is None:
        raise UsageError("the git repository has no commits yet: there is nothing to compare")
    if base is None:
        name, ref, how = _default_base(git, shallow)
        base_sha = git.resolve(ref)
        if base_sha is None:  # gone since it was found
            raise _missing_base(name, shallow)
    else:
        name, how = base, f"merge base of HEAD and {base} (--base)"
        base_sha = git.resolve(base)
        if base_sha is None:
            raise _missing_base(base, shallow)
    merge_base = git.merge_base(base_sha, head)
    if merge_base is None:
        if shallow:
            raise DataError(
                f"HEAD and {name} have no common commit in this shallow clone: {_SHALLOW_HINT}",
                slug="shallow-clone",
            )
        raise UsageError(f"HEAD and {name} have no common commit: there is no diff to measure")

    commands = [f"git diff {' '.join(DIFF_OPTIONS)} {merge_base} {head} --"]
    joined = _Joined.start(_parse_diff(git.diff([merge_base, head])))
    if include_uncommitted:
        commands.append(f"git diff {' '.join(DIFF_OPTIONS)} --cached {head} --")
        joined.apply(_parse_diff(git.diff(["--cached", head])))
        commands.append(f"git diff {' '.join(DIFF_OPTIONS)} --")
        joined.apply(_parse_diff(git.diff([])))
    if include_untracked:
        commands.append(f"git ls-files {' '.join(_UNTRACKED)}")
        joined.add_untracked(git.project_dir, git.untracked())
    return Diff(
        base=name,
        base_commit=merge_base,
        how=how,
        files=joined.files(),
        head_commit=head,
        deleted=tuple(sorted(joined.deleted)),
        include_uncommitted=include_uncommitted,
        include_untracked=include_untracked,
        commands=tuple(commands),
    )


# -- finding the base -----------------------------------------------------------------------------


def _default_base(git: _Git, shallow: bool) -> tuple[str, str, str]:
    """The default branch to compare with: its short name, its full ref, and how it was found."""
    target = git.symbolic_ref("refs/remotes/origin/HEAD")
    if target is not None and target.startswith("refs/remotes/") and git.resolve(target):
        name = target.removeprefix("refs/remotes/")
        return name, target, f"merge base of HEAD and {name} (origin/HEAD points to it)"
    on_branch = git.symbolic_ref("HEAD")
    skipped: list[str] = []
    for name in DEFAULT_BRANCHES:
        ref = f"refs/remotes/{name}" if name.startswith("origin/") else f"refs/heads/{name}"
        if ref == on_branch:
            skipped.append(name)
            continue
        if git.resolve(ref) is not None:
            earlier = ["origin/HEAD", *DEFAULT_BRANCHES[: DEFAULT_BRANCHES.index(name)]]
            missing = [item for item in earlier if item not in skipped]
            why = f"no {' or '.join(missing)}" if missing else "the default branch"
            if skipped:
                why += f"; HEAD is on {skipped[0]}"
            return name, ref, f"merge base of HEAD and {name} ({why})"
    tried = ", ".join(["origin/HEAD", *DEFAULT_BRANCHES])
    if skipped:
        branch = skipped[0]
        raise UsageError(
            f"HEAD is on {branch} and there is no origin/{branch} (tried {tried}): nothing to"
            " compare with; name the base with --base (a branch, tag or commit)",
            slug="no-base",
        )
    message = f"no base branch found (tried {tried}): name one with --base"
    if shallow:
        message += f"; this clone is shallow: {_SHALLOW_HINT}"
    raise UsageError(message, slug="no-base")


def _missing_base(base: str, shallow: bool) -> UsageError | DataError:
    if shallow:
        branch = base.removeprefix("origin/") if base.startswith("origin/") else "<branch>"
        return DataError(
            f"base {base!r} is not in this shallow clone: {_SHALLOW_HINT}, and fetch the"
            f" base's branch (`git fetch origin {branch}`)",
            slug="shallow-clone",
        )
    return UsageError(
        f"base {base!r} not found: it is not a branch, tag or commit of this repository"
        " (a remote branch may need `git fetch` first)",
        slug="no-base",
    )
