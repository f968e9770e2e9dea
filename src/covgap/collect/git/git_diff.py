"""What changed since a git base: the changed files and, in each, the lines that are new or changed.

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

import io
import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Literal

from covgap.collect.git.churn import DEFAULT_TIMEOUT, _command, _environment, _last_line
from covgap.collect.git.hunks import Hunk, diff_header_path, parse_hunk_header, unquote_path
from covgap.errors import DataError, UsageError
from covgap.files import read_bytes

__all__ = [
    "DEFAULT_BRANCHES",
    "DIFF_OPTIONS",
    "ChangedFile",
    "Diff",
    "read_diff",
]

#: The branches tried, in order, when no base is given and origin/HEAD does not exist.
DEFAULT_BRANCHES = ("origin/main", "origin/master", "main", "master")

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

_SHALLOW_HINT = (
    "fetch the history with `git fetch --unshallow` (or fetch-depth: 0 in actions/checkout)"
)

Status = Literal["added", "modified", "renamed"]


@dataclass(frozen=True)
class ChangedFile:
    """A file that differs from the base, and its lines that are new or changed."""

    #: POSIX, relative to the project folder.
    path: str
    #: Line numbers in the current file that are new or changed, ascending.
    added_lines: tuple[int, ...]
    status: Status
    #: The name at the base, for a renamed file.
    old_path: str | None = None


@dataclass(frozen=True)
class Diff:
    """Everything that changed since the base, in the project folder."""

    #: The base as given or detected ("origin/main").
    base: str
    #: The merge base of the base and HEAD: the commit compared with (full sha).
    base_commit: str
    #: How the base was found, in words: "merge base of HEAD and origin/main (origin/HEAD
    #: points to it)", "merge base of HEAD and v2 (--base)".
    how: str
    #: Every changed file (not only Python files), by path.
    files: tuple[ChangedFile, ...]
    #: HEAD's full sha.
    head_commit: str = ""
    #: Files present at the base and deleted since, by their name at the base.
    deleted: tuple[str, ...] = ()
    #: Whether staged and unstaged changes were included, and untracked files.
    include_uncommitted: bool = True
    include_untracked: bool = False
    #: The git commands that produced the diffs, as run (without the pinned ``-c`` settings).
    commands: tuple[str, ...] = field(default=(), compare=False)

    def file(self, path: str) -> ChangedFile | None:
        """The changed file at ``path`` (relative to the project folder), or None."""
        wanted = PurePath(path).as_posix()
        return next((f for f in self.files if f.path == wanted), None)


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


# -- running git --------------------------------------------------------------------------------


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


# -- reading ``git diff -U0`` output --------------------------------------------------------------


@dataclass
class _Patch:
    """One file of a diff: its names on both sides (None: absent) and its lines."""

    old_path: str | None = None
    new_path: str | None = None
    #: From the ``diff --git`` line, used when no other header names the file.
    header_path: str | None = None
    created: bool = False
    removed: bool = False
    renamed: bool = False
    #: Its hunks, as covgap.collect.git.hunks reads them (starts count the lines before).
    hunks: list[Hunk] = field(default_factory=list)
    added: list[int] = field(default_factory=list)

    def finish(self) -> _Patch:
        name = self.header_path
        if self.created:
            self.old_path = None
            self.new_path = self.new_path or name
        elif self.removed:
            self.new_path = None
            self.old_path = self.old_path or name
        else:
            self.old_path = self.old_path or name
            self.new_path = self.new_path or name
        if (self.old_path is None and not self.created) or (
            self.new_path is None and not self.removed
        ):
            raise DataError("cannot read a file name in `git diff` output", slug="git-output")
        return self


def _path(text: bytes, prefix: bytes) -> str | None:
    """A path from a header line: C-quoted or not, its ``a/`` or ``b/`` prefix removed."""
    # git ends a ---/+++ name holding a space with a tab; a tab in a name is always quoted.
    raw = unquote_path(text[:-1] if text.endswith(b"\t") else text)
    if raw == b"/dev/null":
        return None
    if prefix:
        if not raw.startswith(prefix):
            raise DataError("unexpected path prefix in `git diff` output", slug="git-output")
        raw = raw[len(prefix) :]
    return os.fsdecode(raw)


def _parse_diff(output: bytes) -> list[_Patch]:
    """The files of a ``git diff -U0`` patch with covgap's options, with their added lines.

    Lines are read as diff-cover reads them: ``+`` lines inside a hunk are added lines of the
    new side; a hunk ends when its header's counts are used up, so no content line is ever
    taken for a header.
    """
    patches: list[_Patch] = []
    current: _Patch | None = None
    old_left = new_left = new_line = 0
    in_header = False
    for line in output.split(b"\n"):
        if old_left > 0 or new_left > 0:
            mark = line[:1]
            if mark == b"+" and new_left > 0:
                assert current is not None
                current.added.append(new_line)
                new_line += 1
                new_left -= 1
                continue
            if mark == b"-" and old_left > 0:
                old_left -= 1
                continue
            if mark in (b" ", b"") and old_left > 0 and new_left > 0:
                new_line += 1
                old_left -= 1
                new_left -= 1
                continue
            if mark == b"\\":
                continue
            raise DataError("unexpected line inside a hunk of `git diff` output", slug="git-output")
        if line.startswith(b"diff --git "):
            if current is not None:
                patches.append(current.finish())
            current = _Patch(header_path=diff_header_path(line))
            in_header = True
        elif line.startswith((b"diff --cc ", b"diff --combined ")):
            name = os.fsdecode(unquote_path(line.split(b" ", 2)[2]))
            raise DataError(
                f"the work tree has unmerged files ({name}): finish the merge first",
                slug="unmerged",
            )
        elif current is None or line.startswith(b"\\"):
            continue
        elif line.startswith(b"@@ "):
            hunk = parse_hunk_header(line)
            if hunk is None:
                raise DataError("unreadable hunk header in `git diff` output", slug="git-output")
            _, old_left, new_start, new_left = hunk
            new_line = new_start + 1
            current.hunks.append(hunk)
            in_header = False
        elif in_header:
            _read_header_line(current, line)
    if current is not None:
        patches.append(current.finish())
    return patches


def _read_header_line(patch: _Patch, line: bytes) -> None:
    if line.startswith(b"new file mode "):
        patch.created = True
    elif line.startswith(b"deleted file mode "):
        patch.removed = True
    elif line.startswith(b"rename from "):
        patch.renamed = True
        patch.old_path = _path(line[len(b"rename from ") :], b"")
    elif line.startswith(b"rename to "):
        patch.renamed = True
        patch.new_path = _path(line[len(b"rename to ") :], b"")
    elif line.startswith(b"--- "):
        name = _path(line[4:], b"a/")
        if name is not None and not patch.renamed:
            patch.old_path = name
    elif line.startswith(b"+++ "):
        name = _path(line[4:], b"b/")
        if name is not None and not patch.renamed:
            patch.new_path = name


# -- joining the committed, staged and unstaged diffs ---------------------------------------------


@dataclass
class _State:
    #: The file's name at the base; None when it did not exist there.
    base_path: str | None
    lines: set[int]


@dataclass
class _Joined:
    """The changed files so far, by current path, with lines numbered in the newest version."""

    current: dict[str, _State]
    deleted: set[str]

    @classmethod
    def start(cls, committed: list[_Patch]) -> _Joined:
        joined = cls({}, set())
        joined.apply(committed)
        return joined

    def apply(self, patches: list[_Patch]) -> None:
        """Carry the lines found so far through one more diff, and add its lines."""
        # Take every old side out first: a rename's target may be another file's old name.
        before: list[tuple[_Patch, _State | None]] = []
        for patch in patches:
            state: _State | None = None
            if patch.old_path is not None:
                state = self.current.pop(patch.old_path, None)
                if state is None:  # unchanged until now: as it is at the base
                    state = _State(patch.old_path, set())
            elif patch.new_path in self.deleted:  # deleted, then created again
                self.deleted.discard(patch.new_path)
                state = _State(patch.new_path, set())
            before.append((patch, state))
        for patch, state in before:
            if patch.new_path is None:
                if state is not None and state.base_path is not None:
                    self.deleted.add(state.base_path)
                continue
            lines = _carry(state.lines, patch.hunks) if state is not None else set()
            lines.update(patch.added)
            base_path = state.base_path if state is not None else None
            self.current[patch.new_path] = _State(base_path, lines)

    def add_untracked(self, project_dir: Path, names: Iterable[str]) -> None:
        for name in names:
            count = _count_lines(project_dir / name)
            path = PurePath(name).as_posix()
            base_path = path if path in self.deleted else None
            self.deleted.discard(path)
            self.current[path] = _State(base_path, set(range(1, count + 1)))

    def files(self) -> tuple[ChangedFile, ...]:
        files = []
        for path, state in sorted(self.current.items()):
            lines = tuple(sorted(state.lines))
            if state.base_path is None:
                files.append(ChangedFile(path, lines, "added"))
            elif state.base_path != path:
                files.append(ChangedFile(path, lines, "renamed", state.base_path))
            else:
                files.append(ChangedFile(path, lines, "modified"))
        return tuple(files)


def _carry(lines: Iterable[int], hunks: Sequence[Hunk]) -> set[int]:
    """Lines of a diff's old side, renumbered on its new side; those it deletes are dropped.

    Hunks are git's (old_start, old_count, new_start, new_count), each start counting the lines
    before the hunk: the hunk deletes old lines old_start+1 .. old_start+old_count, and every
    old line after them moves by new_count - old_count.
    """
    carried: set[int] = set()
    ordered = sorted(hunks)
    for line in lines:
        shift = 0
        deleted = False
        for old_start, old_count, _, new_count in ordered:
            if line <= old_start:
                break
            if line <= old_start + old_count:
                deleted = True
                break
            shift += new_count - old_count
        if not deleted:
            carried.add(line + shift)
    return carried


def _count_lines(file: Path) -> int:
    """Lines as diff-cover counts an untracked file's: Python's universal newlines."""
    try:
        data = read_bytes(file)
    except OSError:
        return 0
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape")
    return len(text.readlines())
