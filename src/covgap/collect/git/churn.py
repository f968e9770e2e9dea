"""Churn from git history: how many commits in a window changed each file and each function.

The window
    ``N days``: the non-merge commits reachable from HEAD whose committer date is at or after
    HEAD's committer date minus N x 24 hours (so the numbers do not drift with the wall clock).
    ``N commits``: the last N non-merge commits reachable from HEAD, in ``git log`` order.
    ``all``: every non-merge commit reachable from HEAD. Merge commits never count: the changes a
    merge brings in are counted through the commits of the merged branch.

File churn
    The number of commits in the window whose diff against their parent touches the path (any
    change: lines, mode, binary content, creation, deletion). Paths are relative to the project
    folder (``--relative``), renames are not followed (``--no-renames``: a rename counts as a
    deletion of the old path and a creation of the new one). For a path P in the project folder
    these ``git log`` commands, run there, print the same numbers::

        git log --no-merges --full-history --format=%H --since=<cutoff> -- P | wc -l   # N days
        git log --no-merges --full-history --format=%H -- P |
            grep -cxFf <(git log --no-merges --format=%H -n N)                         # N commits
        git log --no-merges --full-history --format=%H -- P | wc -l                    # all

    where ``<cutoff>`` is HEAD's committer date minus N days in ISO form (``2026-08-23T09:41:07Z``,
    given in the description). ``--full-history`` matters only when a merge kept one side's
    version of P (``-s ours``, or a conflict resolved that way): plain ``git log -- P`` then hides
    the other side's commits, which changed P on their branch and are counted here. (With
    ``log.follow=true`` in their configuration, git would follow renames: add ``-c
    log.follow=false``.)

Function churn
    The number of commits in the window that ``git log -L <first>,<last>:P`` lists for the
    function's current lines, the range carried back from the newest commit to the oldest as
    git's line-log carries it (``covgap.collect.git.hunks`` says how). So a commit counts
    when it wrote a line of the function as it is now, or deleted lines inside it, or changed
    lines that a later counted commit rewrote or deleted from inside it. Deletions outside the
    range do not count, and neither (as in git) does deleting a function's last lines: that
    deletion is not between two of its lines. For a clean working tree and a file whose history
    in the window is linear, this lists the same commits (those in the window count)::

        git log --no-merges --no-renames -L <first>,<last>:P --format=%H -s

    Lines that are not one run (a module's statements) are carried back run by run, and a
    commit counts if it touched any run. Uncommitted changes (``git diff HEAD``) are crossed
    first, without counting, because coverage measured the working tree. Where parallel
    branches changed the same file, the range is carried through their commits in ``git log``
    order rather than along the graph: off by the lines the other branch added or removed.

Shallow clones
    The commits at the shallow boundary have no parent git can see, so ``git log`` shows them as
    adding every file; they are left out (add ``HEAD --not $(cat "$(git rev-parse --git-path
    shallow)")`` to the commands above), and the description says the window was cut there. A
    clone with no history beyond the boundary (``--depth 1``) has no churn.

Git runs five times at most, whatever the size of the history: ``rev-parse``, ``log -1`` for
HEAD, ``log --format`` to list the window, one streaming ``log -p -U0`` over all its commits, and
``diff -U0 HEAD``. Every option that a user's configuration could change is pinned on the command
line, so the output that ``covgap.collect.git.hunks`` parses has one shape.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePath
from typing import IO

from covgap.collect.git.hunks import (
    CommitChange,
    Hunk,
    collect_files,
    line_runs,
    parse_patches,
    pull_back,
)
from covgap.config import ChurnWindow
from covgap.files import read_text

__all__ = [
    "Churn",
    "ChurnWindow",
    "CommitChange",
    "FileChurn",
    "Hunk",
    "read_churn",
]

#: Seconds any one git command may take.
DEFAULT_TIMEOUT = 300.0

DAY = 86_400

#: Settings that would change the shape of what git prints, pinned for every command.
_CONFIG = (
    "core.quotePath=true",  # paths always C-quoted the same way (unquoted here)
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "log.follow=false",  # '*.py' is a single pathspec: log.follow would switch to --follow
    "log.showSignature=false",
    "color.ui=never",
)
#: Diff options for both ``log -p`` and ``diff``: -U0 hunks computed as ``git log -L`` computes
#: them (Myers, no indent heuristic), with fixed prefixes and no external or text-converting tools.
_DIFF_OPTIONS = (
    "-p",
    "-U0",
    "--inter-hunk-context=0",
    "--diff-algorithm=myers",
    "--no-indent-heuristic",
    "--no-renames",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--submodule=short",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--relative",
)
#: Environment variables that would point git at another repository or change pathspecs.
_DROPPED_ENV = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GIT_EXTERNAL_DIFF",
        "GIT_DIFF_OPTS",
        "GIT_LITERAL_PATHSPECS",
        "GIT_GLOB_PATHSPECS",
        "GIT_NOGLOB_PATHSPECS",
        "GIT_ICASE_PATHSPECS",
    }
)
#: Up to this many wanted paths are given to git by name; beyond, by pattern.
_MAX_NAMED_PATHS = 200

_REV_PARSE = ["rev-parse", "--is-inside-work-tree", "--is-shallow-repository"]
_REV_PARSE += ["--git-path", "shallow"]


@dataclass(frozen=True)
class FileChurn:
    """The commits in the window that changed one file, and their hunks for function churn."""

    #: Commits in the window that touched the file.
    commits: int
    #: Each commit with line changes in the file and its hunks, newest first.
    changes: tuple[CommitChange, ...] = ()
    #: Hunks of the uncommitted changes (``git diff HEAD``), crossed first and never counted.
    uncommitted: tuple[Hunk, ...] = ()

    def touching(self, lines: Iterable[int]) -> tuple[str, ...]:
        """The commits, newest first, that ``git log -L`` lists for these current lines.

        A function's range is one run of lines. Other sets (a module's statements) are taken
        run by run, each carried back on its own: a commit counts if it touched any run.
        """
        found: set[str] = set()
        for start, end in line_runs(lines):
            found.update(self._touching_range(start, end))
        return tuple(commit for commit, _ in self.changes if commit in found)

    def commits_touching(self, lines: Iterable[int]) -> int:
        """How many commits in the window changed these current lines (a function's range)."""
        return len(self.touching(lines))

    def _touching_range(self, start: int, end: int) -> Iterator[str]:
        _, start, end = pull_back(start, end, self.uncommitted)
        for commit, hunks in self.changes:
            if start >= end:
                return
            touched, start, end = pull_back(start, end, hunks)
            if touched:
                yield commit


@dataclass(frozen=True)
class Churn:
    """The churn of a project's files over one window of its git history."""

    window: ChurnWindow
    #: The window in words, with the dates and commits actually used.
    description: str
    head: str
    commits_in_window: int
    #: Files touched in the window, by POSIX path relative to the project folder.
    files: dict[str, FileChurn] = field(default_factory=dict)

    def for_file(self, path: str) -> FileChurn | None:
        """The file's churn; None when no commit in the window touched it (churn 0)."""
        return self.files.get(_normal_path(path))


def read_churn(
    project_dir: Path,
    window: ChurnWindow,
    paths: Iterable[str] | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Churn | str:
    """The churn of the project's files, or a one-line reason why there is none.

    ``paths`` (relative to ``project_dir``) limits the work to those files; None means every
    Python file. Files outside the project folder (absolute paths: data measured elsewhere)
    have no churn here. There is no churn without git, outside a repository, or before the first
    commit.
    """
    wanted = (
        None
        if paths is None
        else frozenset(_normal_path(p) for p in paths if not Path(p).is_absolute())
    )
    try:
        return _read_churn(Path(project_dir), window, wanted, timeout)
    except _NoChurn as reason:
        return str(reason)


# -- running git --------------------------------------------------------------------------------


class _NoChurn(Exception):
    """Why there is no churn, in one line for the report."""


class _GitFailed(Exception):
    """A git command exited with an error; the message is its last line of stderr."""


@dataclass(frozen=True)
class _Listed:
    commit: str
    parents: tuple[str, ...]
    time: int


def _read_churn(
    project_dir: Path, window: ChurnWindow, wanted: frozenset[str] | None, timeout: float
) -> Churn:
    if not project_dir.is_dir():
        raise _NoChurn(f"no churn: {project_dir} is not a folder")
    boundary = _shallow_boundary(project_dir, timeout)
    try:
        head, head_time = _git(project_dir, ["log", "-1", "--format=%H %ct"], timeout).split()
    except _GitFailed as error:
        if "does not have any commits" in str(error) or "bad default revision" in str(error):
            raise _NoChurn("no churn: the git repository has no commits yet") from None
        raise _NoChurn(f"no churn: `git log` failed: {error}") from None
    listed = _list_window(project_dir, window, head, int(head_time), timeout)
    kept = [c for c in listed if c.parents or c.commit not in boundary]
    cut = len(kept) < len(listed)
    if cut and not kept:
        raise _NoChurn(
            "no churn: the clone is shallow with no history before its last commit"
            " (fetch it with `git fetch --unshallow`, or fetch-depth: 0 in actions/checkout)"
        )
    pathspec = ["*.py"] if wanted is None else _pathspec(wanted)
    counts: dict[str, int] = {}
    changes: dict[str, list[CommitChange]] = {}
    if kept and pathspec:
        log = ["log", "--no-walk=unsorted", "--stdin", "--format=%x01%H", "--root"]
        log += ["--no-show-signature", *_DIFF_OPTIONS, "--", *pathspec]
        stdin = "".join(f"{c.commit}\n" for c in kept).encode("ascii")
        stream = _git_lines(project_dir, log, timeout, stdin)
        counts, changes = collect_files(parse_patches(stream), wanted)
    uncommitted: dict[str, tuple[Hunk, ...]] = {}
    if counts:
        diff = _git_lines(project_dir, ["diff", *_DIFF_OPTIONS, head, "--", *pathspec], timeout)
        for patch in parse_patches(diff):
            uncommitted = {path: tuple(hunks) for path, hunks in patch.files.items()}
    files = {
        path: FileChurn(count, tuple(changes.get(path, ())), uncommitted.get(path, ()))
        for path, count in sorted(counts.items())
    }
    description = _describe(window, int(head_time), kept, head)
    if cut:
        edge = next(c for c in listed if c.commit in boundary and not c.parents)
        description += (
            f"; cut at the shallow clone's boundary ({_day(edge.time)}, commit"
            f" {edge.commit[:12]}, left out: git cannot tell what it changed)"
        )
    return Churn(window, description, head, len(kept), files)


def _shallow_boundary(project_dir: Path, timeout: float) -> frozenset[str]:
    """The commits at a shallow clone's edge; also checks that this is a git work tree."""
    try:
        answer = _git(project_dir, _REV_PARSE, timeout)
    except _GitFailed as error:
        if "not a git repository" in str(error):
            raise _NoChurn(f"no churn: {project_dir} is not in a git repository") from None
        raise _NoChurn(f"no churn: git failed: {error}") from None
    inside, shallow, shallow_file = answer.splitlines()
    if inside != "true":
        raise _NoChurn(f"no churn: {project_dir} is not in a git work tree")
    if shallow != "true":
        return frozenset()
    try:
        text = read_text(project_dir / shallow_file)
    except OSError:
        return frozenset()
    return frozenset(text.split())


def _list_window(
    project_dir: Path, window: ChurnWindow, head: str, head_time: int, timeout: float
) -> list[_Listed]:
    """The non-merge commits of the window, newest first, as ``git log`` orders them."""
    args = ["log", "--no-merges", "--format=%H %ct %P"]
    if window.days is not None:
        args.append(f"--since={_iso(head_time - window.days * DAY)}")
    elif window.commits is not None:
        args.append(f"-n{window.commits}")
    listed = []
    for line in _git(project_dir, [*args, head], timeout).splitlines():
        commit, time, *parents = line.split()
        listed.append(_Listed(commit, tuple(parents), int(time)))
    return listed


def _pathspec(wanted: frozenset[str]) -> list[str]:
    """The wanted files by literal name, or when they are many, every Python file and the rest."""
    if len(wanted) <= _MAX_NAMED_PATHS:
        return [f":(literal){path}" for path in sorted(wanted)]
    others = sorted(path for path in wanted if not path.endswith(".py"))
    if len(others) > _MAX_NAMED_PATHS:
        return ["."]
    return ["*.py", *(f":(literal){path}" for path in others)]


def _describe(window: ChurnWindow, head_time: int, listed: list[_Listed], head: str) -> str:
    """The window in words, with its dates, its number of commits and where it ends."""
    count = len(listed)
    if window.days is not None:
        dates = f"{_day(head_time - window.days * DAY)} to {_day(head_time)}"
        since = _iso(head_time - window.days * DAY)
        return f"{window.describe()} ({dates}, since {since}: {_plural(count, 'commit')})"
    span = f"{_day(listed[-1].time)} to {_day(listed[0].time)}" if listed else "none"
    text = f"{window.describe()} ({span}: {_plural(count, 'commit')} up to {head[:12]})"
    if window.commits is not None and count < window.commits:
        text += f"; the history has only {count}"
    return text


def _git(project_dir: Path, args: list[str], timeout: float) -> str:
    """The output of a short git command."""
    try:
        done = subprocess.run(
            _command(args),
            cwd=project_dir,
            env=_environment(),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise _NoChurn("no churn: git is not installed (no `git` on PATH)") from None
    except subprocess.TimeoutExpired:
        raise _NoChurn(f"no churn: `git {args[0]}` took more than {timeout:g} s") from None
    if done.returncode:
        raise _GitFailed(_last_line(done.stderr))
    return done.stdout.decode("utf-8", "surrogateescape")


def _git_lines(
    project_dir: Path, args: list[str], timeout: float, stdin: bytes = b""
) -> Iterator[bytes]:
    """The output lines of a long git command, read as git writes them."""
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                _command(args),
                cwd=project_dir,
                env=_environment(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
            )
        except FileNotFoundError:
            raise _NoChurn("no churn: git is not installed (no `git` on PATH)") from None
        assert process.stdin is not None and process.stdout is not None
        # A thread feeds stdin, so that git can never block on a full pipe either way.
        feeder = threading.Thread(target=_feed, args=(process.stdin, stdin), daemon=True)
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            process.kill()

        timer = threading.Timer(timeout, expire)
        feeder.start()
        timer.start()
        try:
            yield from process.stdout
        finally:
            timer.cancel()
            process.stdout.close()
            if process.poll() is None:
                process.kill()
            code = process.wait()
            feeder.join()
        if expired.is_set():
            raise _NoChurn(f"no churn: `git {args[0]}` took more than {timeout:g} s")
        if code:
            errors.seek(0)
            raise _NoChurn(f"no churn: `git {args[0]}` failed: {_last_line(errors.read())}")


def _feed(pipe: IO[bytes], data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except OSError:  # git stopped reading: its exit status says why
        pass


def _command(args: list[str]) -> list[str]:
    options = [item for setting in _CONFIG for item in ("-c", setting)]
    return ["git", "--no-pager", *options, *args]


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env.update(LC_ALL="C", GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0")
    return env


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1].removeprefix("fatal: ") if lines else "no message"


def _normal_path(path: str) -> str:
    return PurePath(path).as_posix().removeprefix("./")


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
