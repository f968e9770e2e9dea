"""Tests for reading what changed since a git base, on real repositories made in tmp_path."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covgap.collect.git.git_diff import ChangedFile, Diff, read_diff
from covgap.errors import DataError, UsageError

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def plain_git_environment(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Every git here, ours and read_diff's, runs without the user's or the system's config."""
    empty = folder / "empty.gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(folder))
    for variable in ("GIT_AUTHOR", "GIT_COMMITTER"):
        monkeypatch.setenv(f"{variable}_NAME", "Ada")
        monkeypatch.setenv(f"{variable}_EMAIL", "ada@example.com")
        monkeypatch.setenv(f"{variable}_DATE", "@1700000000 +0000")


@pytest.fixture(autouse=True)
def plain_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain_git_environment(monkeypatch, tmp_path)


class Repo:
    """A git repository in a folder, with helpers to write files and commit."""

    def __init__(self, root: Path, branch: str = "main") -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", branch)

    def git(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(["git", *args], cwd=cwd or self.root, capture_output=True, check=True)
        return done.stdout.decode()

    def write(self, path: str, lines: Sequence[str]) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.sha("HEAD")

    def sha(self, rev: str) -> str:
        return self.git("rev-parse", rev).strip()


def numbered(count: int, prefix: str = "line") -> list[str]:
    return [f"{prefix} {n}" for n in range(1, count + 1)]


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """main: a.py (10 lines) and b.py (5 lines); HEAD on branch feature, at main."""
    repo = Repo(tmp_path / "repo")
    repo.write("a.py", numbered(10))
    repo.write("b.py", numbered(5, "b"))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    return repo


def lines_of(diff: Diff) -> dict[str, tuple[int, ...]]:
    return {f.path: f.added_lines for f in diff.files}


# -- the base -------------------------------------------------------------------------------------


def test_origin_head_is_followed_first(repo: Repo) -> None:
    base = repo.sha("HEAD")
    repo.git("update-ref", "refs/remotes/origin/trunk", base)
    repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk")
    repo.write("a.py", [*numbered(10), "added"])
    repo.commit()
    repo.git("branch", "-f", "main", "HEAD")  # main moves on: origin/HEAD still wins

    diff = read_diff(repo.root)

    assert diff.base == "origin/trunk"
    assert diff.base_commit == base
    assert diff.head_commit == repo.sha("HEAD")
    assert "origin/HEAD" in diff.how
    assert lines_of(diff) == {"a.py": (11,)}


@pytest.mark.parametrize(
    ("refs", "expected"),
    [
        (
            ["refs/remotes/origin/main", "refs/remotes/origin/master", "refs/heads/master"],
            "origin/main",
        ),
        (["refs/remotes/origin/master", "refs/heads/master"], "origin/master"),
        (["refs/heads/master"], "main"),
    ],
)
def test_default_branches_in_order(repo: Repo, refs: list[str], expected: str) -> None:
    base = repo.sha("HEAD")
    for ref in refs:
        repo.git("update-ref", ref, base)
    repo.write("b.py", ["b 1", "changed", "b 3", "b 4", "b 5"])
    repo.commit()

    diff = read_diff(repo.root)

    assert diff.base == expected
    assert diff.base_commit == base
    assert lines_of(diff) == {"b.py": (2,)}


def test_master_when_there_is_no_main(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "old", branch="master")
    repo.write("x.py", ["x = 1"])
    base = repo.commit()
    repo.git("checkout", "-q", "-b", "topic")
    repo.write("x.py", ["x = 1", "y = 2"])
    repo.commit()

    diff = read_diff(repo.root)

    assert (diff.base, diff.base_commit) == ("master", base)
    assert lines_of(diff) == {"x.py": (2,)}


def test_given_base_compares_with_the_merge_base(repo: Repo) -> None:
    fork = repo.sha("HEAD")
    repo.write("a.py", ["feature", *numbered(10)])
    repo.commit("on feature")
    repo.git("checkout", "-q", "main")
    repo.write("b.py", [*numbered(5, "b"), "only on main"])
    repo.commit("main moves on")
    repo.git("tag", "v1")
    repo.git("checkout", "-q", "feature")

    for base in ("main", "v1", repo.sha("main")):
        diff = read_diff(repo.root, base)
        assert diff.base == base
        assert diff.base_commit == fork  # as git diff main...HEAD: main's own commit is not in
        assert lines_of(diff) == {"a.py": (1,)}
        assert "--base" in diff.how


def test_detached_head(repo: Repo) -> None:
    repo.write("a.py", [*numbered(9), "changed"])
    head = repo.commit()
    repo.git("checkout", "-q", "--detach", head)

    diff = read_diff(repo.root)

    assert diff.base == "main"
    assert lines_of(diff) == {"a.py": (10,)}


def test_head_on_main_without_upstream_is_an_error(repo: Repo) -> None:
    repo.git("checkout", "-q", "main")
    with pytest.raises(UsageError) as caught:
        read_diff(repo.root)
    message = str(caught.value)
    assert "HEAD is on main" in message
    assert "--base" in message
    assert "\n" not in message


def test_head_on_main_compares_with_its_upstream(repo: Repo) -> None:
    repo.git("checkout", "-q", "main")
    repo.git("update-ref", "refs/remotes/origin/main", repo.sha("HEAD"))
    repo.write("a.py", ["new", *numbered(10)])
    repo.commit("not pushed")

    diff = read_diff(repo.root)

    assert diff.base == "origin/main"
    assert lines_of(diff) == {"a.py": (1,)}


def test_no_base_branch_at_all(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", branch="dev")
    repo.write("x.py", ["x = 1"])
    repo.commit()
    with pytest.raises(UsageError) as caught:
        read_diff(repo.root)
    message = str(caught.value)
    assert "origin/HEAD, origin/main, origin/master, main, master" in message
    assert "--base" in message


def test_base_not_found(repo: Repo) -> None:
    with pytest.raises(UsageError, match="base 'nope' not found"):
        read_diff(repo.root, "nope")
    with pytest.raises(UsageError, match="not found"):
        read_diff(repo.root, "--output=/tmp/x")  # never taken for an option


def test_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(UsageError, match="not in a git repository"):
        read_diff(tmp_path / "plain")


def test_no_commits_yet(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "empty")
    with pytest.raises(UsageError, match="no commits yet"):
        read_diff(repo.root, "main")


def test_unrelated_histories(repo: Repo) -> None:
    repo.git("checkout", "-q", "--orphan", "other")
    repo.commit("unrelated")
    with pytest.raises(UsageError, match="no common commit"):
        read_diff(repo.root, "main")


# -- files ----------------------------------------------------------------------------------------


def test_added_modified_renamed_deleted(repo: Repo) -> None:
    repo.write("c.py", ["def c():", "    return 3"])
    repo.write("a.py", [*numbered(4), "changed 5", *numbered(10)[5:], "appended"])
    repo.git("mv", "b.py", "moved.py")
    (repo.root / "moved.py").write_text("b 1\nb 2\nb 3 changed\nb 4\nb 5\n")
    repo.commit()
    repo.git("checkout", "-q", "main")
    repo.write("gone.py", ["x"])
    repo.commit("a file that feature deletes")
    repo.git("checkout", "-q", "feature")
    repo.git("merge", "-q", "main", "-m", "merge main")
    (repo.root / "gone.py").unlink()
    repo.commit("delete")

    diff = read_diff(repo.root)

    assert diff.files == (
        ChangedFile("a.py", (5, 11), "modified"),
        ChangedFile("c.py", (1, 2), "added"),
        ChangedFile("moved.py", (3,), "renamed", "b.py"),
    )
    assert diff.deleted == ("gone.py",)  # main was merged: the merge base is main's tip
    assert diff.base_commit == repo.sha("main")


def test_deleted_file_is_listed_apart(repo: Repo) -> None:
    (repo.root / "b.py").unlink()
    repo.git("mv", "a.py", "renamed.py")
    repo.commit()

    diff = read_diff(repo.root)

    assert diff.files == (ChangedFile("renamed.py", (), "renamed", "a.py"),)
    assert diff.deleted == ("b.py",)


def test_non_python_and_binary_files_are_listed(repo: Repo) -> None:
    repo.write("README.md", ["# title"])
    (repo.root / "logo.bin").write_bytes(b"\0\1\2")
    (repo.root / "a.py").chmod(0o755)
    repo.commit()

    diff = read_diff(repo.root)

    assert diff.files == (
        ChangedFile("README.md", (1,), "added"),
        ChangedFile("a.py", (), "modified"),
        ChangedFile("logo.bin", (), "added"),
    )


def test_no_newline_at_end_of_file(repo: Repo) -> None:
    """The marker after a last line without a newline is not a line (diff-cover counts it)."""
    (repo.root / "a.py").write_text("x = 1\ny = 2")
    repo.commit()
    repo.git("branch", "-f", "main", "HEAD")
    (repo.root / "a.py").write_text("x = 1\ny = 3\nz = 4\n")
    repo.commit()

    assert lines_of(read_diff(repo.root)) == {"a.py": (2, 3)}


# -- uncommitted changes --------------------------------------------------------------------------


def test_staged_and_unstaged_changes(repo: Repo) -> None:
    repo.write("a.py", [*numbered(7), "committed 8", "line 9", "line 10"])
    repo.commit()
    repo.write("b.py", ["b 1", "staged 2", "b 3", "b 4", "b 5"])
    repo.git("add", "b.py")
    repo.write(
        "a.py", ["line 1", "unstaged 2", *numbered(7)[2:], "committed 8", "line 9", "line 10"]
    )
    repo.write("new.py", ["untracked"])

    assert lines_of(read_diff(repo.root)) == {"a.py": (2, 8), "b.py": (2,)}
    assert lines_of(read_diff(repo.root, include_uncommitted=False)) == {"a.py": (8,)}
    with_untracked = read_diff(repo.root, include_untracked=True)
    assert lines_of(with_untracked) == {"a.py": (2, 8), "b.py": (2,), "new.py": (1,)}
    assert with_untracked.file("new.py") == ChangedFile("new.py", (1,), "added")


def test_lines_move_with_the_uncommitted_changes(repo: Repo) -> None:
    """A committed change stays on its line when uncommitted lines are added above it.

    diff-cover keeps the committed line's old number here (docs/diff-coverage.md).
    """
    repo.write("a.py", [*numbered(7), "committed 8", "line 9", "line 10"])
    repo.commit()
    repo.write("a.py", ["line 1", "inserted", "also inserted", *numbered(7)[1:], "committed 8"])
    # line 9 and 10 deleted, two lines inserted after line 1: "committed 8" is now line 10

    diff = read_diff(repo.root)

    assert lines_of(diff) == {"a.py": (2, 3, 10)}
    assert (repo.root / "a.py").read_text().splitlines()[9] == "committed 8"


def test_rewritten_then_deleted_lines_are_gone(repo: Repo) -> None:
    repo.write("a.py", [*numbered(4), "committed 5", "committed 6", *numbered(10)[6:]])
    repo.commit()
    repo.write("a.py", [*numbered(4), "committed 6", *numbered(10)[6:]])  # line 5 deleted

    assert lines_of(read_diff(repo.root)) == {"a.py": (5,)}


def test_staged_rename_carries_the_committed_lines(repo: Repo) -> None:
    repo.write("a.py", [*numbered(9), "committed 10"])
    repo.commit()
    repo.git("mv", "a.py", "renamed.py")
    repo.git("rm", "-q", "b.py")

    diff = read_diff(repo.root)

    assert diff.files == (ChangedFile("renamed.py", (10,), "renamed", "a.py"),)
    assert diff.deleted == ("b.py",)


def test_file_added_then_deleted_in_the_work_tree(repo: Repo) -> None:
    repo.write("c.py", ["c"])
    repo.commit()
    (repo.root / "c.py").unlink()
    (repo.root / "a.py").unlink()

    diff = read_diff(repo.root)

    assert diff.files == ()
    assert diff.deleted == ("a.py",)
    assert read_diff(repo.root, include_uncommitted=False).files == (
        ChangedFile("c.py", (1,), "added"),
    )


def test_unmerged_files_are_an_error(repo: Repo) -> None:
    repo.write("a.py", ["feature", *numbered(10)])
    repo.commit()
    repo.git("checkout", "-q", "main")
    repo.write("a.py", ["main", *numbered(10)])
    repo.commit()
    repo.git("checkout", "-q", "feature")
    subprocess.run(["git", "merge", "-q", "main"], cwd=repo.root, capture_output=True, check=False)

    with pytest.raises(DataError, match=r"unmerged files \(a.py\)"):
        read_diff(repo.root)


# -- a project in a subfolder ---------------------------------------------------------------------


def test_project_in_a_subfolder(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "mono")
    repo.write("service/pkg/mod.py", numbered(3))
    repo.write("other/mod.py", numbered(3))
    repo.write("top.py", numbered(3))
    repo.commit()
    repo.git("checkout", "-q", "-b", "feature")
    for path in ("service/pkg/mod.py", "other/mod.py", "top.py"):
        repo.write(path, [*numbered(3), "new"])
    repo.git("mv", "service/pkg/mod.py", "service/pkg/moved.py")
    repo.commit()
    repo.write("service/pkg/moved.py", ["unstaged", *numbered(3), "new"])
    repo.write("service/untracked.py", ["u"])

    diff = read_diff(repo.root / "service", include_untracked=True)

    assert diff.files == (
        ChangedFile("pkg/moved.py", (1, 5), "renamed", "pkg/mod.py"),
        ChangedFile("untracked.py", (1,), "added"),
    )


# -- what users' git configuration cannot change --------------------------------------------------

HOSTILE_CONFIG = {
    "diff.noprefix": "true",
    "diff.mnemonicPrefix": "true",
    "color.ui": "always",
    "color.diff": "always",
    "diff.external": "false",
    "core.quotePath": "false",
    "diff.algorithm": "patience",
    "diff.indentHeuristic": "false",
    "diff.interHunkContext": "20",
    "diff.context": "7",
    "diff.relative": "false",
    "diff.suppressBlankEmpty": "true",
    "diff.submodule": "log",
    "diff.srcPrefix": "x/",
    "diff.dstPrefix": "y/",
    "core.pager": "false",
    "pager.diff": "true",
}

NAMES = ("with space.py", "café/ünïcode.py", "tab\there.py", 'quote"d.py', "日本.py", "a b/c d.py")


@pytest.mark.parametrize("renames", ["false", "copies"])
def test_hostile_configuration_and_odd_names(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, renames: str
) -> None:
    for name in NAMES:
        repo.write(name, ["def f():", "", "    return 1", "", "x = 2"])
    repo.commit()
    repo.git("branch", "-f", "main", "HEAD")
    for name in NAMES:
        repo.write(name, ["def f():", "", "    return 1", "", "x = 3", "", "y = 4"])
    repo.git("mv", "with space.py", "renamed with space.py")
    repo.git("mv", "café/ünïcode.py", "café/rénamed.py")
    repo.commit()
    repo.write("a b/c d.py", ["unstaged", "def f():", "", "    return 1", "", "x = 3", "", "y = 4"])
    expected = read_diff(repo.root)

    for key, value in {**HOSTILE_CONFIG, "diff.renames": renames}.items():
        repo.git("config", key, value)
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", "false")
    monkeypatch.setenv("GIT_DIFF_OPTS", "--unified=5")
    monkeypatch.setenv("GIT_PAGER", "false")
    hostile = read_diff(repo.root)

    assert hostile == expected
    assert {f.path: (f.added_lines, f.status, f.old_path) for f in expected.files} == {
        "renamed with space.py": ((5, 6, 7), "renamed", "with space.py"),
        "café/rénamed.py": ((5, 6, 7), "renamed", "café/ünïcode.py"),
        "tab\there.py": ((5, 6, 7), "modified", None),
        'quote"d.py': ((5, 6, 7), "modified", None),
        "日本.py": ((5, 6, 7), "modified", None),
        "a b/c d.py": ((1, 6, 7, 8), "modified", None),
    }


# -- shallow clones -------------------------------------------------------------------------------


@pytest.fixture
def upstream(tmp_path: Path) -> Repo:
    """A repository with history on main and a feature branch two commits ahead."""
    repo = Repo(tmp_path / "upstream")
    for n in range(3):
        repo.write("a.py", numbered(n + 3))
        repo.commit(f"main {n}")
    repo.git("checkout", "-q", "-b", "feature")
    for n in range(2):
        repo.write("b.py", numbered(n + 1))
        repo.commit(f"feature {n}")
    repo.git("checkout", "-q", "main")
    repo.write("a.py", numbered(9))
    repo.commit("main moves on")
    return repo


def clone(upstream: Repo, destination: Path, *options: str) -> Path:
    subprocess.run(
        ["git", "clone", "-q", *options, f"file://{upstream.root}", str(destination)],
        capture_output=True,
        check=True,
    )
    return destination


def test_shallow_clone_without_the_base(upstream: Repo, tmp_path: Path) -> None:
    cloned = clone(upstream, tmp_path / "shallow", "--depth=1", "--branch=feature")
    with pytest.raises(DataError) as caught:
        read_diff(cloned, "origin/main")
    message = str(caught.value)
    assert "shallow" in message
    assert "git fetch --unshallow" in message
    assert "fetch-depth: 0" in message
    with pytest.raises(UsageError, match="git fetch --unshallow"):
        read_diff(cloned)  # nothing to detect: only origin/feature was fetched


def test_shallow_clone_without_the_merge_base(upstream: Repo, tmp_path: Path) -> None:
    cloned = clone(
        upstream, tmp_path / "shallow", "--depth=1", "--no-single-branch", "--branch=feature"
    )
    with pytest.raises(DataError, match=r"no common commit in this shallow clone.*--unshallow"):
        read_diff(cloned)


def test_deep_enough_clone(upstream: Repo, tmp_path: Path) -> None:
    cloned = clone(upstream, tmp_path / "full", "--branch=feature")

    diff = read_diff(cloned)

    assert diff.base == "origin/main"
    assert "origin/HEAD" in diff.how
    assert diff.files == (ChangedFile("b.py", (1, 2), "added"),)


# -- the same lines as diff-cover -----------------------------------------------------------------


def diff_cover_lines(root: Path, base: str, *, untracked: bool = False) -> dict[str, list[int]]:
    """diff-cover's GitDiffReporter (its defaults) run in ``root``."""
    diff_cover_reporter = pytest.importorskip(
        "diff_cover.diff_reporter", reason="diff-cover is not installed (pip install diff-cover)"
    )
    diff_cover_git = pytest.importorskip("diff_cover.git_diff")
    previous = Path.cwd()
    os.chdir(root)
    try:
        reporter = diff_cover_reporter.GitDiffReporter(
            base,
            git_diff=diff_cover_git.GitDiffTool("...", ignore_whitespace=False),
            include_untracked=untracked,
        )
        paths = reporter.src_paths_changed()
        return {path: list(reporter.lines_changed(path)) for path in paths}
    finally:
        os.chdir(previous)


def test_same_lines_as_diff_cover(repo: Repo) -> None:
    repo.write("a.py", ["top", *numbered(3), "changed 4", *numbered(10)[4:8], "x", "y"])
    repo.write("c.py", ["new", "file"])
    repo.git("mv", "b.py", "b2.py")
    repo.commit()
    repo.write("b2.py", ["b 1", "b 2", "staged", "b 4", "b 5"])
    repo.git("add", "b2.py")
    repo.write("c.py", ["new", "FILE"])  # unstaged, in place: no line moves
    repo.write("u.py", ["untracked", "file", ""])

    ours = read_diff(repo.root, "main", include_untracked=True)

    assert lines_of(ours) == {
        path: tuple(lines)
        for path, lines in diff_cover_lines(repo.root, "main", untracked=True).items()
    }


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.lists(st.tuples(st.integers(0, 30), st.integers(0, 3), st.integers(0, 3)), max_size=4),
        min_size=3,
        max_size=3,
    )
)
def test_changed_lines_are_the_lines_written_since_the_base(
    tmp_path_factory: pytest.TempPathFactory, steps: list[list[tuple[int, int, int]]]
) -> None:
    """Each step (commit, staged, unstaged) deletes and inserts lines of unique text: the lines
    changed since the base are then exactly the lines whose text the base does not have."""
    repo = Repo(tmp_path_factory.mktemp("prop") / "r")
    lines = numbered(20, "base")
    repo.write("f.py", lines)
    repo.commit()
    repo.git("checkout", "-q", "-b", "feature")
    counter = 0
    for index, edits in enumerate(steps):
        for at, removed, inserted in edits:
            at = min(at, len(lines))
            new = [f"step {index} {counter + k}" for k in range(inserted)]
            counter += inserted
            lines[at : at + removed] = new
        repo.write("f.py", lines)
        if index == 0:
            repo.commit()
        elif index == 1:
            repo.git("add", "f.py")

    diff = read_diff(repo.root, "main")

    written = tuple(n for n, text in enumerate(lines, 1) if not text.startswith("base"))
    assert lines_of(diff).get("f.py", ()) == written
