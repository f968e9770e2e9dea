"""Time covgap's churn collector (``read_churn``) against one plain ``git log --numstat``.

The repository: synthetic, made once with ``git fast-import`` and kept in the work folder
(``--workdir``, by default ``<tempdir>/covgap-bench/churn``; delete it to make it again).
Its ``--commits`` commits (default 30,000) change ``--files`` Python files (default 200, each a
module of small functions): one to three files a commit, a few lines each (edits, insertions,
deletions, now and then a new function); every 40th commit or so starts a side branch of two to
four commits that is merged back (about 2% of the commits are merges). Commit dates are
spread over five years, so that 90 days hold about 1,500 commits. Everything is seeded: the
same arguments make the same repository.

For each window, ``90 days``, ``1000 commits`` and ``all`` (the whole history), it measures:

1. ``read_churn(repo, window)``: churn of every Python file (the git processes it starts are
   counted, by wrapping ``subprocess.Popen``);
2. the peer, a single ``git log --no-merges --numstat`` over the same window (``--since=<the
   cutoff read_churn used>`` or ``-n 1000``), its output read to the end;
3. ``functions``: after 1, the function churn of every function of every file
   (``FileChurn.commits_touching`` on each function's lines, found with ``ast``).

Each is run ``--repeat`` times (default 3) and the best time is kept. The table shows the
seconds, the ratio read_churn / peer, and the number of git processes. Nothing is asserted:
the exit code is 0, or 1 when git failed or read_churn gave a reason instead of churn.

Run it from the repository root (standard library and covgap only)::

    python benchmarks/bench_churn.py                         # 30,000 commits, 200 files
    python benchmarks/bench_churn.py --commits 5000 --files 50 --repeat 5 --workdir /tmp/b
"""

from __future__ import annotations

import argparse
import ast
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from covgap.collect.git.churn import Churn, ChurnWindow, read_churn

START = 1_609_459_200  # 2021-01-01T00:00:00Z
YEARS = 5
WINDOWS = ("90 days", "1000 commits", "all")


class Files:
    """The Python files of the synthetic project, as lists of lines, edited at random."""

    def __init__(self, count: int, rng: random.Random) -> None:
        self.rng = rng
        self.lines = {f"pkg/mod_{n:03d}.py": self._module(n) for n in range(count)}

    def _function(self, name: str) -> list[str]:
        body = [
            f"    v{k} = x * {self.rng.randrange(1000)}" for k in range(self.rng.randrange(3, 9))
        ]
        return ["", "", f"def {name}(x):", *body, "    return x"]

    def _module(self, number: int) -> list[str]:
        lines = [f'"""Module {number}."""']
        for index in range(self.rng.randrange(5, 15)):
            lines += self._function(f"f{index}")
        return lines

    def edit(self, path: str) -> None:
        """One to three random changes inside function bodies, or a new function at the end."""
        lines = self.lines[path]
        for _ in range(self.rng.randrange(1, 4)):
            kind = self.rng.random()
            # Body lines other than the return: changing them keeps the module valid Python.
            body = [
                i for i, line in enumerate(lines) if line.startswith(("    v", "    w", "    u"))
            ]
            where = self.rng.choice(body)
            if kind < 0.6:
                count = 1
                while count < 3 and where + count in body:
                    count += 1
                number = self.rng.randrange(10**6)
                lines[where : where + count] = [f"    w = x + {number + k}" for k in range(count)]
            elif kind < 0.8:
                number = self.rng.randrange(10**6)
                lines[where:where] = [f"    u = {number}"] * self.rng.randrange(1, 6)
            elif kind < 0.95:
                del lines[where]
            else:
                lines += self._function(f"g{self.rng.randrange(10**6)}")

    def blob(self, path: str) -> bytes:
        return "".join(f"{line}\n" for line in self.lines[path]).encode()


def fast_import_stream(commits: int, file_count: int, seed: int) -> Iterator[bytes]:
    """The fast-import commands of the whole synthetic history."""
    rng = random.Random(seed)
    files = Files(file_count, rng)
    paths = sorted(files.lines)
    step = YEARS * 365 * 86_400 / commits
    clock = float(START)
    mark = 0

    def commit(ref: str, message: str, changed: Sequence[str], *parents: int) -> bytes:
        nonlocal mark, clock
        mark += 1
        clock += rng.expovariate(1 / step)
        when = f"{int(clock)} +0000"
        head = [f"commit {ref}", f"mark :{mark}", f"author Bench <b@example.com> {when}"]
        head += [f"committer Bench <b@example.com> {when}", f"data {len(message)}", message]
        head += [
            f"{word} :{parent}" for word, parent in zip(["from", "merge"], parents, strict=False)
        ]
        out = ["\n".join(head).encode() + b"\n"]
        for path in changed:
            blob = files.blob(path)
            out.append(f"M 100644 inline {path}\ndata {len(blob)}\n".encode() + blob + b"\n")
        return b"".join(out)

    yield commit("refs/heads/main", "initial", paths)
    main = mark
    made = 1
    while made < commits:
        if rng.random() < 1 / 40 and made + 6 < commits:
            side_files = rng.sample(paths, 2)
            side = main
            for _ in range(rng.randrange(2, 5)):
                path = rng.choice(side_files)
                files.edit(path)
                yield commit("refs/heads/side", "side", [path], side)
                side, made = mark, made + 1
            yield commit("refs/heads/main", "merge side", side_files, main, side)
            main, made = mark, made + 1
            continue
        changed = rng.sample(paths, rng.randrange(1, 4))
        for path in changed:
            files.edit(path)
        yield commit("refs/heads/main", "change", changed, main)
        main, made = mark, made + 1


def make_repository(repo: Path, commits: int, files: int, seed: int) -> None:
    """The synthetic repository, made once: a ``.complete`` file marks a finished one."""
    if (repo / ".git" / "complete").exists():
        return
    print(f"making {repo} ({commits} commits, {files} files): once", file=sys.stderr)
    subprocess.run(["rm", "-rf", str(repo)], check=True)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    importer = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=repo, stdin=subprocess.PIPE)
    assert importer.stdin is not None
    for chunk in fast_import_stream(commits, files, seed):
        importer.stdin.write(chunk)
    importer.stdin.close()
    if importer.wait():
        raise SystemExit("git fast-import failed")
    git(repo, "checkout", "-q", "-f", "main")
    git(repo, "branch", "-q", "-D", "side")
    git(repo, "gc", "-q")
    (repo / ".git" / "complete").write_text("")


def git(repo: Path, *args: str) -> bytes:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False)
    if done.returncode:
        raise SystemExit(f"git {' '.join(args)} failed: {done.stderr.decode().strip()}")
    return done.stdout


def best_of(repeat: int, action: Callable[[], Any]) -> tuple[float, Any]:
    """The best time of ``repeat`` runs, and the last run's result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - started)
    return best, result


class CountingPopen(subprocess.Popen):  # type: ignore[type-arg]
    """subprocess.Popen that counts the processes it starts."""

    started = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        CountingPopen.started += 1
        super().__init__(*args, **kwargs)


def function_ranges(repo: Path, paths: Sequence[str]) -> dict[str, list[range]]:
    """Every function's lines, by file, from the working tree."""
    ranges = {}
    for path in paths:
        tree = ast.parse((repo / path).read_text())
        ranges[path] = [
            range(node.lineno, (node.end_lineno or node.lineno) + 1)
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef)
        ]
    return ranges


def peer_arguments(window: ChurnWindow, churn: Churn) -> list[str]:
    """The window as ``git log`` options: the cutoff read_churn printed, or the count."""
    if window.days is not None:
        since = re.search(r"since (\S+):", churn.description)
        assert since is not None, churn.description
        return [f"--since={since[1]}"]
    if window.commits is not None:
        return [f"-n{window.commits}"]
    return []


def measure(repo: Path, text: str, repeat: int, ranges: dict[str, list[range]]) -> list[str]:
    window = ChurnWindow.parse(text)
    original = subprocess.Popen
    subprocess.Popen = CountingPopen  # type: ignore[misc]
    try:
        CountingPopen.started = 0
        churn_time, churn = best_of(repeat, lambda: read_churn(repo, window))
        processes = CountingPopen.started // repeat
    finally:
        subprocess.Popen = original  # type: ignore[misc]
    if not isinstance(churn, Churn):
        raise SystemExit(f"read_churn gave no churn: {churn}")
    peer = ["log", "--no-merges", "--numstat", "--format=%H", *peer_arguments(window, churn)]
    peer_time, _ = best_of(repeat, lambda: git(repo, *peer))

    def all_functions() -> int:
        total = 0
        for path, function_lines in ranges.items():
            file = churn.for_file(path)
            if file is not None:
                total += sum(file.commits_touching(lines) for lines in function_lines)
        return total

    function_time, touches = best_of(repeat, all_functions)
    functions = sum(len(r) for r in ranges.values())
    return [
        text,
        f"{churn.commits_in_window}",
        f"{len(churn.files)}",
        f"{churn_time:.2f}",
        f"{peer_time:.2f}",
        f"{churn_time / peer_time:.2f}",
        f"{processes}",
        f"{function_time:.2f} ({functions} fn, {touches} touches)",
    ]


def print_table(rows: list[list[str]]) -> None:
    header = ["window", "commits", "files", "read_churn s", "git log s", "ratio", "gits"]
    header.append("all functions s")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(tempfile.gettempdir()) / "covgap-bench" / "churn"
    parser.add_argument("--workdir", type=Path, default=default, help=f"default: {default}")
    parser.add_argument("--commits", type=int, default=30_000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    repo = args.workdir / f"repo-{args.commits}-{args.files}-{args.seed}"
    started = time.perf_counter()
    make_repository(repo, args.commits, args.files, args.seed)
    print(f"repository ready in {time.perf_counter() - started:.1f} s: {repo}", file=sys.stderr)
    total = int(git(repo, "rev-list", "--count", "HEAD"))
    merges = int(git(repo, "rev-list", "--count", "--merges", "HEAD"))
    print(f"{total} commits ({merges} merges), git {git(repo, 'version').decode().split()[-1]}")
    paths = git(repo, "ls-files", "*.py").decode().split()
    ranges = function_ranges(repo, paths)
    try:
        rows = [measure(repo, text, args.repeat, ranges) for text in WINDOWS]
    except SystemExit as failure:
        print(failure, file=sys.stderr)
        return 1
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
