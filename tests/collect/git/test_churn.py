"""Tests for churn from git history, on real repositories made in tmp_path with real git."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covgap.collect.git.churn import Churn, ChurnWindow, read_churn

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

DAY = 86_400
#: Committer date of every repository's first commit: 2023-11-14T22:13:20Z.
EPOCH = 1_700_000_000


@pytest.fixture(autouse=True)
def plain_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every git here, ours and read_churn's, runs without the user's or the system's config."""
    empty = tmp_path / "empty.gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("NAME", "EMAIL"):
        monkeypatch.setenv(f"GIT_AUTHOR_{name}", "Ada" if name == "NAME" else "ada@example.com")
        monkeypatch.setenv(f"GIT_COMMITTER_{name}", "Ada" if name == "NAME" else "ada@example.com")


class Repo:
    """A git repository in a folder, committed to at chosen dates."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.time = EPOCH
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, cwd: Path | None = None) -> str:
        dates = {
            "GIT_AUTHOR_DATE": f"@{self.time} +0000",
            "GIT_COMMITTER_DATE": f"@{self.time} +0000",
        }
        done = subprocess.run(
            ["git", *args],
            cwd=cwd or self.root,
            env={**os.environ, **dates},
            capture_output=True,
            check=True,
        )
        return done.stdout.decode()

    def write(self, path: str, lines: Sequence[str]) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(f"{line}\n" for line in lines))

    def commit(self, message: str, *, after_days: float = 1.0) -> str:
        """Commit everything in the work tree, ``after_days`` after the previous commit."""
        self.time += int(after_days * DAY)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


def read(project: Path, window: str = "all", paths: Sequence[str] | None = None) -> Churn:
    churn = read_churn(project, ChurnWindow.parse(window), paths)
    assert isinstance(churn, Churn), churn
    return churn


def git_log(project: Path, *args: str) -> list[str]:
    """The commit hashes a ``git log`` run in the project folder prints."""
    done = subprocess.run(
        ["git", "log", "--format=%H", *args], cwd=project, capture_output=True, check=True
    )
    return done.stdout.decode().split()


def documented_count(project: Path, churn: Churn, path: str, *extra: str) -> int:
    """The file churn of ``path`` by the git commands in the churn module's docstring."""
    window = churn.window
    if window.days is not None:
        since = re.search(r"since (\S+):", churn.description)
        assert since is not None, churn.description
        args = ["--no-merges", "--full-history", f"--since={since[1]}", *extra]
        return len(git_log(project, *args, "--", path))
    touching = git_log(project, "--no-merges", "--full-history", *extra, "--", path)
    if window.commits is None:
        return len(touching)
    # ... | grep -cxFf <(git log --no-merges --format=%H -n N)
    last = set(git_log(project, "--no-merges", f"-n{window.commits}", *extra))
    return sum(commit in last for commit in touching)


def line_log(project: Path, path: str, first: int, last: int) -> tuple[str, ...]:
    """The commits ``git log -L first,last:path`` lists, newest first."""
    line_range = f"-L{first},{last}:{path}"
    done = subprocess.run(
        ["git", "log", "--format=%H", "--no-merges", "--no-renames", "-s", line_range],
        cwd=project,
        capture_output=True,
        check=True,
    )
    return tuple(done.stdout.decode().split())


def assert_files_match_git(project: Path, churn: Churn, *extra: str) -> None:
    """Every tracked Python file's churn is what the documented git log command counts."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--", "*.py"], cwd=project, capture_output=True, check=True
    ).stdout.decode()
    paths = [path for path in tracked.split("\0") if path]
    assert paths
    for path in paths:
        file = churn.for_file(path)
        assert (file.commits if file else 0) == documented_count(project, churn, path, *extra), path


# -- the window ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("90 days", ChurnWindow(days=90), id="days"),
        pytest.param("90d", ChurnWindow(days=90), id="short-days"),
        pytest.param(" 1 Day ", ChurnWindow(days=1), id="one-day-any-case"),
        pytest.param("500 commits", ChurnWindow(commits=500), id="commits"),
        pytest.param("500c", ChurnWindow(commits=500), id="short-commits"),
        pytest.param("all", ChurnWindow(), id="whole-history"),
    ],
)
def test_window_parse(text: str, expected: ChurnWindow) -> None:
    """Config text names a window of days, commits, or the whole history."""
    assert ChurnWindow.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "is not '<N> days'", id="empty"),
        pytest.param("90", "is not '<N> days'", id="no-unit"),
        pytest.param("90 weeks", "is not '<N> days'", id="unknown-unit"),
        pytest.param("1.5 days", "is not '<N> days'", id="fraction"),
        pytest.param("-3 days", "is not '<N> days'", id="negative"),
        pytest.param("0 commits", "from 1 to 1000000000 commits", id="zero"),
        # a cutoff 10**20 days before the last commit is beyond any clock: a usage error
        pytest.param("99999999999999999999 days", "from 1 to 36500 days", id="huge-days"),
        pytest.param("1000000001 commits", "from 1 to 1000000000 commits", id="huge-commits"),
    ],
)
def test_window_parse_rejects(text: str, message: str) -> None:
    """Bad window text raises ValueError saying what is expected."""
    with pytest.raises(ValueError, match=re.escape(message)):
        ChurnWindow.parse(text)


def test_window_is_days_or_commits() -> None:
    """A window cannot be both days and commits."""
    with pytest.raises(ValueError, match="either days or commits"):
        ChurnWindow(days=3, commits=3)


@pytest.mark.parametrize(
    ("window", "text"),
    [
        (ChurnWindow(days=90), "the 90 days before the last commit"),
        (ChurnWindow(days=1), "the 1 day before the last commit"),
        (ChurnWindow(commits=500), "the last 500 commits"),
        (ChurnWindow(), "the whole history"),
    ],
)
def test_window_describe(window: ChurnWindow, text: str) -> None:
    """A window describes itself in words."""
    assert window.describe() == text


# -- real repositories ---------------------------------------------------------------------------

F_AND_G = [
    "def f(x):",  # 1
    "    a = 1",  # 2
    "    b = 2",  # 3
    "    return a + b + x",  # 4
    "",  # 5
    "",  # 6
    "def g():",  # 7
    "    return 0",  # 8
]


@pytest.fixture
def functions(tmp_path: Path) -> tuple[Repo, dict[str, str]]:
    """f created then edited in 3 commits (twice on one line), g never edited after creation,
    and later 3 lines inserted above both."""
    repo = Repo(tmp_path / "repo")
    lines = list(F_AND_G)
    repo.write("m.py", lines)
    repo.write("other.py", ["X = 1"])
    commits = {"create": repo.commit("create")}
    lines[1] = "    a = 10"
    repo.write("m.py", lines)
    commits["edit a"] = repo.commit("edit a")
    lines[1] = "    a = 100"
    repo.write("m.py", lines)
    commits["edit a again"] = repo.commit("edit a again")
    lines[3] = "    return a * b * x"
    repo.write("m.py", lines)
    repo.write("other.py", ["X = 2"])
    commits["edit return"] = repo.commit("edit return")
    repo.write("m.py", ["import os", "import sys", "", *lines])
    commits["imports"] = repo.commit("imports")
    return repo, commits


def test_function_churn(functions: tuple[Repo, dict[str, str]]) -> None:
    """f counts its creation and 3 edits (lines moved since), g only its creation; as git -L."""
    repo, commits = functions
    churn = read(repo.root)
    m = churn.for_file("m.py")
    assert m is not None and m.commits == 5
    # f is now lines 4-7, g lines 10-11.
    names = {v: k for k, v in commits.items()}
    assert [names[c] for c in m.touching(range(4, 8))] == [
        "edit return",
        "edit a again",
        "edit a",
        "create",
    ]
    assert [names[c] for c in m.touching(range(10, 12))] == ["create"]
    assert m.commits_touching([1, 2]) == 1  # the imports
    # Lines that are not one run (a module's statements): a commit counts if it touched any run.
    imports_and_g = m.touching([1, 2, 10, 11])
    assert set(imports_and_g) == set(m.touching([1, 2])) | set(m.touching([10, 11]))
    assert [names[c] for c in imports_and_g] == ["imports", "create"]
    for first, last in [(4, 7), (10, 11), (1, 3), (5, 5), (1, 11)]:
        assert m.touching(range(first, last + 1)) == line_log(repo.root, "m.py", first, last)
    assert_files_match_git(repo.root, churn)


def test_edited_lines_later_deleted(tmp_path: Path) -> None:
    """A commit whose edit a later commit deleted from inside the function still counts."""
    repo = Repo(tmp_path / "repo")
    body = ["def h():", "    one = 1", "    two = 2", "    three = 3", "    return one"]
    repo.write("h.py", [*body, "", "", "X = 1"])
    create = repo.commit("create")
    body[2] = "    two = 22"
    repo.write("h.py", [*body, "", "", "X = 1"])
    edit = repo.commit("edit two")
    del body[2]
    repo.write("h.py", [*body, "", "", "X = 1"])
    delete = repo.commit("delete two: deletion only, inside h")
    h = read(repo.root).for_file("h.py")
    assert h is not None
    assert h.touching(range(1, 5)) == (delete, edit, create)
    assert h.touching(range(1, 5)) == line_log(repo.root, "h.py", 1, 4)
    assert h.touching([7]) == (create,)  # X = 1: deletions above it are not inside


def test_deleting_a_functions_last_lines_is_not_inside(tmp_path: Path) -> None:
    """As in git -L, a deletion counts only between two lines of the range, not after its end."""
    repo = Repo(tmp_path / "repo")
    repo.write("k.py", ["def k():", "    a = 1", "    return a", "", "", "Y = 2"])
    create = repo.commit("create")
    repo.write("k.py", ["def k():", "    a = 1", "", "", "Y = 2"])
    repo.commit("delete the return")
    k = read(repo.root).for_file("k.py")
    assert k is not None and k.commits == 2
    assert k.touching([1, 2]) == (create,) == line_log(repo.root, "k.py", 1, 2)
    assert k.commits_touching(range(1, 4)) == 2  # with the blank line after it, it is inside


def test_uncommitted_changes_move_lines(functions: tuple[Repo, dict[str, str]]) -> None:
    """Lines are today's working-tree lines: uncommitted edits shift them and count for nothing."""
    repo, _ = functions
    before = read(repo.root).for_file("m.py")
    assert before is not None
    text = (repo.root / "m.py").read_text().splitlines()
    repo.write("m.py", ["# one", "# two", *text, "", "", "def new():", "    return 1"])
    after = read(repo.root).for_file("m.py")
    assert after is not None and after.commits == before.commits
    assert after.touching(range(6, 10)) == before.touching(range(4, 8))  # f, 2 lines lower
    assert after.touching(range(12, 14)) == before.touching(range(10, 12))  # g
    assert after.touching(range(16, 18)) == ()  # not committed yet
    assert after.touching([1]) == ()


@pytest.fixture
def dated(tmp_path: Path) -> Repo:
    """Five commits on days 1, 11, 21, 31 and 32 after EPOCH, two files changing at each."""
    repo = Repo(tmp_path / "repo")
    for number, after in enumerate([1, 10, 10, 10, 1]):
        repo.write("a.py", [f"A = {number}"])
        repo.write(f"b{number % 2}.py", [f"B = {number}"])
        repo.commit(f"commit {number}", after_days=after)
    return repo


@pytest.mark.parametrize(
    ("window", "in_window", "a_count"),
    [
        pytest.param("5 days", 2, 2, id="days"),
        pytest.param("11 days", 3, 3, id="days-cutoff-on-a-commit"),
        pytest.param("10 days", 2, 2, id="days-cutoff-after-a-commit"),
        pytest.param("2 commits", 2, 2, id="commits"),
        pytest.param("4 commits", 4, 4, id="more-commits"),
        pytest.param("50 commits", 5, 5, id="more-commits-than-history"),
        pytest.param("all", 5, 5, id="all"),
    ],
)
def test_windows_match_git_log(dated: Repo, window: str, in_window: int, a_count: int) -> None:
    """Day windows end at the last commit, inclusive at the cutoff; each file as git log says."""
    churn = read(dated.root, window)
    assert churn.commits_in_window == in_window
    a = churn.for_file("a.py")
    assert a is not None and a.commits == a_count
    assert_files_match_git(dated.root, churn)


def test_window_descriptions(dated: Repo) -> None:
    """Descriptions give the dates and commits actually used."""
    assert read(dated.root, "11 days").description == (
        "the 11 days before the last commit"
        " (2023-12-05 to 2023-12-16, since 2023-12-05T22:13:20Z: 3 commits)"
    )
    head = dated.git("rev-parse", "HEAD")[:12]
    assert read(dated.root, "2 commits").description == (
        f"the last 2 commits (2023-12-15 to 2023-12-16: 2 commits up to {head})"
    )
    assert read(dated.root, "50 commits").description.endswith("; the history has only 5")


def test_merges(tmp_path: Path) -> None:
    """Merges never count; the branches' commits do, even when a merge kept the other side."""
    repo = Repo(tmp_path / "repo")
    repo.write("a.py", ["A = 0"])
    repo.write("b.py", ["B = 0"])
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("a.py", ["A = 1"])
    repo.commit("feature: a")
    repo.git("checkout", "-q", "main")
    repo.write("b.py", ["B = 1"])
    repo.commit("main: b")
    repo.time += DAY
    repo.git("merge", "-q", "--no-edit", "feature")
    repo.git("checkout", "-q", "-b", "discarded", "HEAD~1")
    repo.write("a.py", ["A = 2"])
    discarded = repo.commit("discarded: a")
    repo.git("checkout", "-q", "main")
    repo.time += DAY
    repo.git("merge", "-q", "--no-edit", "-s", "ours", "discarded")
    churn = read(repo.root)
    assert churn.commits_in_window == 4  # base, feature: a, main: b, discarded: a
    a = churn.for_file("a.py")
    assert a is not None and a.commits == 3
    assert_files_match_git(repo.root, churn)
    # Why the documented command needs --full-history: plain git log hides the discarded side.
    assert discarded not in git_log(repo.root, "--no-merges", "--", "a.py")


def test_project_in_a_subfolder(tmp_path: Path) -> None:
    """Paths are relative to the project folder; files outside it are left out."""
    repo = Repo(tmp_path / "repo")
    repo.write("top.py", ["T = 1"])
    repo.write("app/src/pkg/mod.py", ["M = 1"])
    repo.write("app/tool.py", ["T = 1"])
    repo.commit("create")
    repo.write("top.py", ["T = 2"])
    repo.write("app/src/pkg/mod.py", ["M = 2"])
    repo.commit("edit")
    project = repo.root / "app"
    churn = read(project)
    assert sorted(churn.files) == ["src/pkg/mod.py", "tool.py"]
    mod = churn.for_file("src/pkg/mod.py")
    assert mod is not None and mod.commits == 2
    assert mod.touching([1]) == tuple(git_log(repo.root, "--", "app/src/pkg/mod.py"))
    assert_files_match_git(project, churn)


def test_odd_file_names(tmp_path: Path) -> None:
    """Names with spaces, quotes and non-ASCII characters are read back whole."""
    repo = Repo(tmp_path / "repo")
    names = ["src/my café.py", 'src/say "hi".py', "src/λ/ü b.py"]
    for name in names:
        repo.write(name, ["def f():", "    return 1"])
    repo.commit("create")
    repo.write(names[0], ["def f():", "    return 2"])
    repo.commit("edit")
    churn = read(repo.root)
    assert sorted(churn.files) == sorted(names)
    cafe = churn.for_file(names[0])
    assert cafe is not None and cafe.commits_touching([1, 2]) == 2
    assert_files_match_git(repo.root, churn)


def test_odd_diffs(tmp_path: Path) -> None:
    """Mode changes, binary content and empty commits count as git log counts them."""
    repo = Repo(tmp_path / "repo")
    repo.write("run.py", ["print(1)"])
    (repo.root / "blob.py").write_bytes(b"\x00\x01\x02")
    repo.commit("create")
    (repo.root / "run.py").chmod(0o755)
    repo.commit("mode only")
    (repo.root / "blob.py").write_bytes(b"\x00\x01\x03")
    repo.commit("binary")
    repo.commit("empty")
    repo.write("gone.py", ["x = 1"])
    repo.commit("add gone")
    (repo.root / "gone.py").unlink()
    repo.commit("delete gone")
    churn = read(repo.root)
    assert churn.commits_in_window == 6
    assert {path: file.commits for path, file in churn.files.items()} == {
        "blob.py": 2,
        "gone.py": 2,
        "run.py": 2,
    }
    run = churn.for_file("run.py")
    assert run is not None and run.commits_touching([1]) == 1  # the mode change has no lines
    for path in churn.files:
        assert churn.files[path].commits == documented_count(repo.root, churn, path)


def test_paths_limit_the_work(tmp_path: Path) -> None:
    """Only the files asked for come back, including ones that do not end in .py."""
    repo = Repo(tmp_path / "repo")
    repo.write("a.py", ["A = 1"])
    repo.write("b.py", ["B = 1"])
    repo.write("bin/tool", ["#!/usr/bin/env python3", "print(1)"])
    repo.commit("create")
    churn = read(repo.root, paths=["a.py", "./bin/tool", "missing.py"])
    assert sorted(churn.files) == ["a.py", "bin/tool"]
    assert churn.for_file("b.py") is None
    assert read(repo.root, paths=[]).files == {}


def test_many_paths_are_asked_for_by_pattern(tmp_path: Path) -> None:
    """Beyond 200 wanted paths git gets a pattern, and the answer is the same."""
    repo = Repo(tmp_path / "repo")
    repo.write("a.py", ["A = 1"])
    repo.write("b.py", ["B = 1"])
    repo.write("tool", ["print(1)"])
    repo.commit("create")
    wanted = ["a.py", "tool", *(f"missing/{n}.py" for n in range(300))]
    assert sorted(read(repo.root, paths=wanted).files) == ["a.py", "tool"]


def test_git_runs_a_fixed_number_of_times(dated: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Five git processes whatever the window and the size of the history."""
    started: list[list[str]] = []

    class Counting(subprocess.Popen):  # type: ignore[type-arg]
        def __init__(self, args: list[str], **kwargs: object) -> None:
            started.append(args)
            super().__init__(args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "Popen", Counting)
    for window in ["5 days", "3 commits", "all"]:
        started.clear()
        read(dated.root, window)
        assert len(started) == 5, started
        assert all(args[0] == "git" for args in started)


def test_user_configuration_changes_nothing(functions: tuple[Repo, dict[str, str]]) -> None:
    """Settings that change what git log prints do not change the churn."""
    repo, _ = functions
    (repo.root / "café.py").write_text("x = 1\n")
    repo.commit("a file with a non-ASCII name")
    plain = read(repo.root)
    for setting in [
        "diff.noprefix=true",
        "diff.mnemonicPrefix=true",
        "color.ui=always",
        "log.showSignature=true",
        "diff.external=false",
        "log.follow=true",
        "diff.relative=true",
        "diff.interHunkContext=10",
        "diff.context=5",
        "diff.renames=copies",
        "diff.algorithm=patience",
        "diff.indentHeuristic=true",
        "log.showRoot=false",
        "core.quotePath=false",
        "diff.submodule=log",
        "format.pretty=fuller",
    ]:
        repo.git("config", *setting.split("=", 1))
    hostile = read(repo.root)
    assert hostile.files == plain.files
    assert hostile.description == plain.description


# -- no churn: the reasons -------------------------------------------------------------------------


def test_not_a_repository(tmp_path: Path) -> None:
    """Outside a repository, the reason says so."""
    folder = tmp_path / "plain"
    folder.mkdir()
    assert read_churn(folder, ChurnWindow()) == f"no churn: {folder} is not in a git repository"


def test_no_folder(tmp_path: Path) -> None:
    """A project folder that does not exist is a reason, not a crash."""
    missing = tmp_path / "missing"
    assert read_churn(missing, ChurnWindow()) == f"no churn: {missing} is not a folder"


def test_git_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without git on PATH, the reason says git is missing."""
    repo = Repo(tmp_path / "repo")
    repo.commit("first")
    empty = tmp_path / "no-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert (
        read_churn(repo.root, ChurnWindow()) == "no churn: git is not installed (no `git` on PATH)"
    )


def test_empty_repository(tmp_path: Path) -> None:
    """Before the first commit there is no churn, and the reason says why."""
    repo = Repo(tmp_path / "repo")
    assert read_churn(repo.root, ChurnWindow()) == "no churn: the git repository has no commits yet"


def test_slow_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A git that takes longer than the timeout is stopped, and the reason names the command."""
    repo = Repo(tmp_path / "repo")
    repo.write("a.py", ["A = 1"])
    repo.commit("first")
    real = shutil.which("git")
    slow = tmp_path / "slow-bin"
    slow.mkdir()
    (slow / "git").write_text(
        f'#!/bin/sh\ncase "$*" in *--stdin*) exec sleep 5;; esac\nexec "{real}" "$@"\n'
    )
    (slow / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{slow}{os.pathsep}{os.environ['PATH']}")
    reason = read_churn(repo.root, ChurnWindow(), timeout=1)
    assert reason == "no churn: `git log` took more than 1 s"


def test_shallow_clone(tmp_path: Path) -> None:
    """A shallow clone's window stops at its boundary, which is left out and named."""
    origin = Repo(tmp_path / "origin")
    for number in range(6):
        origin.write("a.py", [f"A = {number}"])
        origin.write(f"b{number % 3}.py", [f"B = {number}"])
        origin.commit(f"commit {number}")
    clone = tmp_path / "clone"
    origin.git("clone", "-q", "--depth", "3", f"file://{origin.root}", str(clone))
    boundary = (clone / ".git" / "shallow").read_text().split()
    churn = read(clone)
    assert churn.commits_in_window == 2
    assert f"cut at the shallow clone's boundary (2023-11-18, commit {boundary[0][:12]}" in (
        churn.description
    )
    # git log counts the boundary commit as creating every file; --not leaves it out.
    assert_files_match_git(clone, churn, "HEAD", "--not", *boundary)
    assert read(clone, "2 commits").description.count("shallow") == 0  # not reached

    single = tmp_path / "single"
    origin.git("clone", "-q", "--depth", "1", f"file://{origin.root}", str(single))
    reason = read_churn(single, ChurnWindow(days=90))
    assert isinstance(reason, str) and "shallow" in reason and "--unshallow" in reason


# -- the property, against git itself --------------------------------------------------------------


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.lists(st.sampled_from("abc"), min_size=1, max_size=10),
    commits=st.lists(
        st.lists(
            st.tuples(st.integers(0, 12), st.integers(0, 3), st.lists(st.sampled_from("abcd"))),
            min_size=1,
            max_size=3,
        ),
        min_size=1,
        max_size=5,
    ),
)
def test_function_churn_is_git_line_log(
    tmp_path_factory: pytest.TempPathFactory,
    first: list[str],
    commits: list[list[tuple[int, int, list[str]]]],
) -> None:
    """For random histories of a file and every range of lines, the commits are git -L's."""
    repo = Repo(tmp_path_factory.mktemp("random"))
    lines = list(first)
    repo.write("f.py", lines)
    repo.commit("create")
    for edits in commits:
        for position, deleted, inserted in edits:
            position = min(position, len(lines))
            lines[position : position + deleted] = inserted[:4]
        lines = lines or ["z"]
        repo.write("f.py", lines)
        repo.commit("edit")
    file = read(repo.root).for_file("f.py")
    assert file is not None
    for low in range(1, len(lines) + 1):
        for high in range(low, min(low + 4, len(lines)) + 1):
            assert file.touching(range(low, high + 1)) == line_log(repo.root, "f.py", low, high)
