"""Evaluate covgap's diff coverage against diff-cover on real diffs: two releases of real projects.

For each project (``PROJECTS``) the script:

1. downloads the source distributions of two consecutive releases from the package index
   (``pip download --no-deps --no-binary :all: NAME==OLD NAME==NEW``) into ``WORKDIR/sdists``;
2. makes a git repository ``WORKDIR/NAME/repo``: the older release committed on ``main``, then a
   branch ``new`` with the newer release committed on top (every file of the sdist, as ``git add
   -A`` takes it: the sdist's own ``.gitignore`` applies to both commits alike);
3. runs the newer release's tests (all or a subset, ``Project.tests``) with the newer release's
   sources first on the path (``PYTHONPATH``), under ``coverage run --branch
   --source=DIR,...``, then ``coverage combine`` (when the project's own configuration says
   ``parallel``) and ``coverage xml``; failing tests do not matter, only what ran;
4. runs diff-cover twice on that XML, from the repository root, with ``--compare-branch=main
   --format json:... --total-percent-float``, once in line mode and once with
   ``--branch-coverage`` (a line is then a violation when missing or partial);
5. runs covgap (``--measure``, in the same virtual environment, so that the same coverage.py
   parses the sources): ``covgap.api.measure_diff(repo, "main")`` on the same
   ``.coverage`` data, and diff-cover's own ``GitDiffReporter`` on the repository, for the changed
   lines of every file (not only Python files);
6. compares, per file: the changed lines (every file of the diff), the changed statements
   (diff-cover's covered + violation lines), the uncovered lines (violation lines), the
   ``--branch-coverage`` violations (covgap's uncovered + partial lines), the files diff-cover
   reports (those with changed statements), and the totals (number of lines, violations, the
   percentage). It lists the changed Python files covgap reports as not measured (flagged, or
   left out by the coverage configuration, with the reason): diff-cover skips them silently.

A difference in the changed lines is *explained* (listed, not counted) when diff-cover's own
parser, given the same ``git diff`` text without its ``\\ No newline at end of file`` markers,
finds covgap's lines: diff-cover counts such a marker as a line of context, and numbers the
added lines after it one too high. A project may be listed with ``expected`` differences (the
second attrs row: two source folders, where coverage.py's XML loses a file, coveragepy#1508);
its row is shown and does not count in the exit status.

All git commands (diff-cover's and covgap's) run with ``GIT_CONFIG_GLOBAL`` pointing at an
empty file and ``GIT_CONFIG_NOSYSTEM=1``: diff-cover does not pin git's diff options, so this
gives it git's defaults, which covgap pins.

Run it (needs network access to the package index, and git)::

    python3 benchmarks/eval_diffcov.py                       # every project, WORKDIR /tmp/diffcov
    python3 benchmarks/eval_diffcov.py --only attrs cachetools --workdir /tmp/diffcov

``--venv`` (default ``WORKDIR/venv``) is created when missing: ``python3 -m venv``, then ``pip
install diff-cover coverage pytest`` and covgap from this repository (editable); each project's
test dependencies are installed into it. The table is printed as Markdown and the details go to
``WORKDIR/results.json``. Exit status: 0 when every comparison agrees (the not-measured files
aside, which are listed), 1 when one differs, 2 when a command failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Project:
    #: The distribution's name on the package index.
    name: str
    old: str
    new: str
    #: Source folders measured (coverage run --source), relative to the sdist's root.
    sources: tuple[str, ...]
    #: Put first on PYTHONPATH (the folder holding the package).
    path: str = "."
    #: pytest arguments: the tests to run.
    tests: tuple[str, ...] = ("tests",)
    #: Test dependencies installed into the virtual environment.
    deps: tuple[str, ...] = ()
    timeout: float = 900.0
    #: A name for the table and the work folder, when the same project is measured twice.
    label: str = ""
    #: Why differences are expected: the row is shown, and not counted in the exit status.
    expected: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name


ATTRS_TESTS = ("tests", "--ignore=tests/test_mypy.yml", "-p", "no:mypy-plugins")

PROJECTS = (
    # the mypy plugin tests need pytest-mypy-plugins; everything else runs
    Project(
        "attrs",
        "25.3.0",
        "25.4.0",
        sources=("src",),
        path="src",
        deps=("hypothesis", "cloudpickle", "pympler"),
        tests=ATTRS_TESTS,
    ),
    Project("cachetools", "6.1.0", "6.2.0", sources=("src/cachetools",), path="src"),
    Project("more-itertools", "10.7.0", "10.8.0", sources=("more_itertools",)),
    Project("tomlkit", "0.13.2", "0.13.3", sources=("tomlkit",)),
    Project(
        "pyparsing", "3.2.3", "3.2.5", sources=("pyparsing",), deps=("railroad-diagrams", "jinja2")
    ),
    # Two source folders holding files of the same relative names (attr/validators.py and
    # attrs/validators.py): coverage.py's XML names files relative to their source folder, so
    # one replaces the other there (coveragepy#1508), and diff-cover reads the wrong lines.
    Project(
        "attrs",
        "25.3.0",
        "25.4.0",
        sources=("src/attr", "src/attrs"),
        path="src",
        deps=("hypothesis", "cloudpickle", "pympler"),
        tests=ATTRS_TESTS,
        label="attrs, --source=src/attr,src/attrs",
        expected="coverage.py's XML keeps one of two files with the same name relative to"
        " their source folders (coveragepy#1508): diff-cover reads the other's lines",
    ),
)


class CommandFailed(Exception):
    pass


def git_env(workdir: Path) -> dict[str, str]:
    empty = workdir / "empty.gitconfig"
    empty.write_text("")
    env = dict(os.environ)
    env.update(
        GIT_CONFIG_GLOBAL=str(empty),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="eval",
        GIT_AUTHOR_EMAIL="eval@example.com",
        GIT_COMMITTER_NAME="eval",
        GIT_COMMITTER_EMAIL="eval@example.com",
        GIT_AUTHOR_DATE="@1700000000 +0000",
        GIT_COMMITTER_DATE="@1700000000 +0000",
    )
    env.pop("PYTHONPATH", None)
    return env


def run(
    command: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 900.0,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and done.returncode:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise CommandFailed(f"{' '.join(command)} (exit {done.returncode}):\n{tail}")
    return done


# -- set-up -----------------------------------------------------------------------------------


def ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", str(venv)])
        run([str(python), "-m", "pip", "install", "-q", "diff-cover", "coverage", "pytest"])
        run([str(python), "-m", "pip", "install", "-q", "-e", str(ROOT)])
    return python


def sdist(python: Path, workdir: Path, name: str, version: str) -> Path:
    folder = workdir / "sdists"
    folder.mkdir(parents=True, exist_ok=True)
    stem = name.replace("-", "_").lower()
    for candidate in folder.glob("*.tar.gz"):
        if candidate.name.lower() in (f"{stem}-{version}.tar.gz", f"{name}-{version}.tar.gz"):
            return candidate
    run(
        [
            *(str(python), "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"),
            *(f"{name}=={version}", "-d", str(folder)),
        ]
    )
    return sdist(python, workdir, name, version)


def unpack(archive: Path, destination: Path) -> None:
    """The sdist's files into ``destination``, without its top folder."""
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts[1:]
            if not parts or not (member.isfile() or member.isdir()):
                continue
            member.name = str(Path(*parts))
            if hasattr(tarfile, "data_filter"):  # Python 3.10.12+, 3.11.4+
                tar.extract(member, destination, filter="data")
            else:  # pragma: no cover - older interpreters
                tar.extract(member, destination)


def folder_name(project: Project) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in project.title)


def make_repository(project: Project, python: Path, workdir: Path, env: dict[str, str]) -> Path:
    repo = workdir / folder_name(project) / "repo"
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    run(["git", "init", "-q", "-b", "main"], cwd=repo, env=env)
    unpack(sdist(python, workdir, project.name, project.old), repo)
    run(["git", "add", "-A"], cwd=repo, env=env)
    run(["git", "commit", "-q", "-m", f"{project.name} {project.old}"], cwd=repo, env=env)
    run(["git", "checkout", "-q", "-b", "new"], cwd=repo, env=env)
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    unpack(sdist(python, workdir, project.name, project.new), repo)
    run(["git", "add", "-A"], cwd=repo, env=env)
    run(["git", "commit", "-q", "-m", f"{project.name} {project.new}"], cwd=repo, env=env)
    return repo


def write_rcfile(project: Project, repo: Path, rcfile: Path) -> None:
    """A coverage.py rcfile for the run: branch, the sources, and the project's own exclusions.

    It lives outside the repository (``COVERAGE_RCFILE``), so that the diff stays the releases'
    diff, and it names the sources in the configuration, where covgap can read them (a
    ``--source`` given on the command line is not recorded in the data).
    """
    from coverage.config import read_coverage_config

    previous = Path.cwd()
    os.chdir(repo)
    try:
        config = read_coverage_config(config_file=True, warn=lambda message: None)
    finally:
        os.chdir(previous)

    def toml_list(items: list[str] | tuple[str, ...]) -> str:
        return "[" + ", ".join(json.dumps(item) for item in items) + "]"

    rcfile.write_text(
        "[tool.coverage.run]\n"
        "branch = true\n"
        f"source = {toml_list(project.sources)}\n"
        "[tool.coverage.report]\n"
        f"exclude_lines = {toml_list(config.exclude_list)}\n"
        f"partial_branches = {toml_list(config.partial_list)}\n"
    )


def measure_tests(
    project: Project, python: Path, repo: Path, env: dict[str, str]
) -> tuple[float, str]:
    """Run the tests under coverage (``env`` has COVERAGE_RCFILE): seconds, pytest's summary."""
    if project.deps:
        run([str(python), "-m", "pip", "install", "-q", *project.deps])
    test_env = {**env, "PYTHONPATH": str(repo / project.path)}
    for stale in [repo / ".coverage", *repo.glob(".coverage.*"), repo / "coverage.xml"]:
        stale.unlink(missing_ok=True)  # (not .coveragerc: a tracked file)
    started = time.perf_counter()
    done = run(
        [
            *(str(python), "-m", "coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider"),
            *project.tests,
        ],
        cwd=repo,
        env=test_env,
        timeout=project.timeout,
        check=False,  # failing tests do not matter: only what ran
    )
    seconds = time.perf_counter() - started
    xml = [str(python), "-m", "coverage", "xml", "-q", "-o", "coverage.xml"]
    run(xml, cwd=repo, env=test_env, check=False)
    if not (repo / ".coverage").exists() or not (repo / "coverage.xml").exists():
        raise CommandFailed(f"{project.name}: no coverage data after the test run")
    lines = done.stdout.strip().splitlines()
    return seconds, lines[-1].strip("= ") if lines else ""


def diff_cover(python: Path, repo: Path, env: dict[str, str], *options: str) -> dict[str, Any]:
    output = repo.parent / f"diff-cover{''.join(options).replace('-', '_')}.json"
    run(
        [
            *(str(python), "-m", "diff_cover.diff_cover_tool", "coverage.xml"),
            *("--compare-branch=main", f"--format=json:{output}", "--total-percent-float", "-q"),
            *options,
        ],
        cwd=repo,
        env=env,
        check=False,  # exits 1 under its default fail-under only with --fail-under; be lenient
    )
    result: dict[str, Any] = json.loads(output.read_text())
    return result


def covgap_side(python: Path, repo: Path, env: dict[str, str]) -> dict[str, Any]:
    done = run([str(python), str(Path(__file__).resolve()), "--measure", str(repo)], env=env)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# -- the covgap side (run in the virtual environment) ---------------------------------------------


def measure(repo: Path) -> dict[str, Any]:
    """covgap's diff coverage of ``repo`` against main, and diff-cover's changed lines."""
    from diff_cover.diff_reporter import GitDiffReporter
    from diff_cover.git_diff import GitDiffTool

    from covgap.api import measure_diff

    os.chdir(repo)
    result = measure_diff(repo, "main")
    tool = GitDiffTool("...", ignore_whitespace=False)
    reporter = GitDiffReporter("main", git_diff=tool)
    theirs = {path: list(reporter.lines_changed(path)) for path in reporter.src_paths_changed()}
    # diff-cover's parser counts a "\\ No newline at end of file" marker as a line of context,
    # so the new lines after it are numbered one too high: its own parser, without the markers
    committed = tool.diff_committed("main")
    unmarked = "\n".join(line for line in committed.split("\n") if not line.startswith("\\"))
    without_markers = {
        path: sorted(set(added)) for path, (added, _) in reporter._parse_diff_str(unmarked).items()
    }
    diff = result.diff
    return {
        "base": diff.base,
        "base_commit": diff.base_commit,
        "how": diff.how,
        "commands": list(diff.commands),
        "diff_files": {
            f.path: {"lines": list(f.added_lines), "status": f.status, "old_path": f.old_path}
            for f in diff.files
        },
        "deleted": list(diff.deleted),
        "diff_cover_lines": theirs,
        "diff_cover_lines_without_markers": without_markers,
        "files": [
            {
                "path": f.path,
                "measured": f.measured,
                "excluded": f.excluded,
                "added": f.added,
                "changed_statements": list(f.changed_statements),
                "uncovered": list(f.uncovered),
                "partial": list(f.partial),
                "changed_branches": f.changed_branches,
                "uncovered_branches": [list(arc) for arc in f.uncovered_branches],
                "by_function": [[name, list(lines)] for name, lines in f.by_function],
            }
            for f in result.files
        ],
        "totals": {
            "statements": result.statements,
            "uncovered": result.uncovered_statements,
            "percent": result.percent,
            "ratio": [result.ratio.numerator, result.ratio.denominator],
            "branches": result.branches,
            "uncovered_branches": result.uncovered_branch_count,
            "branch_percent": result.branch_percent,
        },
    }


# -- comparing ------------------------------------------------------------------------------------


def compare(
    ours: dict[str, Any], line_report: dict[str, Any], branch_report: dict[str, Any]
) -> dict[str, Any]:
    differences: list[str] = []
    explained: list[str] = []
    # 1. changed lines of every file in the diff (diff-cover lists deleted files with no lines)
    our_lines = {path: item["lines"] for path, item in ours["diff_files"].items()}
    our_lines.update({path: [] for path in ours["deleted"]})
    theirs = ours["diff_cover_lines"]
    for path in sorted(set(our_lines) | set(theirs)):
        if our_lines.get(path) != theirs.get(path):
            mine, other = our_lines.get(path), theirs.get(path)
            text = f"changed lines of {path}: covgap {mine}, diff-cover {other}"
            if ours["diff_cover_lines_without_markers"].get(path) == mine:
                explained.append(
                    f"{text} (diff-cover counts the marker '\\ No newline at end of file' as a"
                    " line: without the markers, its parser finds covgap's lines)"
                )
            else:
                differences.append(text)
    # 2. files reported, and per file
    files = {f["path"]: f for f in ours["files"]}
    with_statements = sorted(p for p, f in files.items() if f["changed_statements"])
    stats = line_report["src_stats"]
    if sorted(stats) != with_statements:
        differences.append(f"files: covgap {with_statements}, diff-cover {sorted(stats)}")
    branch_stats = branch_report["src_stats"]
    for path in sorted(set(stats) & set(files)):
        mine = files[path]
        line_stats = stats[path]
        measured = sorted(line_stats["covered_lines"] + line_stats["violation_lines"])
        if measured != mine["changed_statements"]:
            differences.append(f"{path}: changed statements differ")
        if line_stats["violation_lines"] != mine["uncovered"]:
            other = line_stats["violation_lines"]
            differences.append(f"{path}: uncovered covgap {mine['uncovered']}, diff-cover {other}")
        violations = sorted({*mine["uncovered"], *mine["partial"]})
        if branch_stats.get(path, {}).get("violation_lines") != violations:
            differences.append(f"{path}: --branch-coverage violations differ")
    # 3. totals
    totals = ours["totals"]
    numerator, denominator = totals["ratio"]
    if line_report["total_num_lines"] != totals["statements"]:
        differences.append("total changed statements differ")
    if line_report["total_num_violations"] != totals["uncovered"]:
        differences.append("total uncovered statements differ")
    # diff-cover: float(covered) / total * 100, rounded to 2 digits (--total-percent-float)
    expected = round(float(numerator) / denominator * 100, 2) if totals["statements"] else 100.0
    if line_report["total_percent_covered"] != expected:
        differences.append("total percentage differs")
    flagged = [f["path"] for f in ours["files"] if not f["measured"] and f["excluded"] is None]
    excluded = [
        (f["path"], f["excluded"]) for f in ours["files"] if not f["measured"] and f["excluded"]
    ]
    return {
        "differences": differences,
        "explained": explained,
        "changed_files": len(ours["diff_files"]) + len(ours["deleted"]),
        "python_files": sum(1 for p in ours["diff_files"] if p.endswith((".py", ".pyw"))),
        "files_compared": len(stats),
        "statements": totals["statements"],
        "uncovered": totals["uncovered"],
        "covgap_percent": totals["percent"],
        "diff_cover_percent": line_report["total_percent_covered"],
        "covgap_branch_percent": totals["branch_percent"],
        "diff_cover_branch_mode_percent": branch_report["total_percent_covered"],
        "not_measured": flagged,
        "excluded": excluded,
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| project | versions | files changed (.py) | files compared | changed statements |"
        " uncovered | covgap % | diff-cover % | covgap branch % | diff-cover --branch-coverage % |"
        " not measured: flagged / excluded | differences (explained) |",
        "|" + " --- |" * 12,
    ]
    for row in rows:
        if "error" in row:
            lines.append(
                f"| {row['project']} | {row['versions']} | error: {row['error']} |" + " |" * 9
            )
            continue
        lines.append(
            f"| {row['project']} | {row['versions']}"
            f" | {row['changed_files']} ({row['python_files']}) | {row['files_compared']}"
            f" | {row['statements']} | {row['uncovered']}"
            f" | {row['covgap_percent']:.2f} | {row['diff_cover_percent']:.2f}"
            f" | {row['covgap_branch_percent']:.2f} | {row['diff_cover_branch_mode_percent']:.2f}"
            f" | {len(row['not_measured'])} / {len(row['excluded'])}"
            f" | {len(row['differences'])} ({len(row['explained'])}) |"
        )
    return "\n".join(lines)


def evaluate(project: Project, python: Path, workdir: Path) -> dict[str, Any]:
    env = git_env(workdir)
    repo = make_repository(project, python, workdir, env)
    rcfile = workdir / folder_name(project) / "coveragerc.toml"
    write_rcfile(project, repo, rcfile)
    env["COVERAGE_RCFILE"] = str(rcfile)
    seconds, summary = measure_tests(project, python, repo, env)
    line_report = diff_cover(python, repo, env)
    branch_report = diff_cover(python, repo, env, "--branch-coverage")
    ours = covgap_side(python, repo, env)
    row = compare(ours, line_report, branch_report)
    row.update(
        project=project.title,
        versions=f"{project.old} → {project.new}",
        test_seconds=seconds,
        tests=summary,
        expected=project.expected,
    )
    row["how"] = ours["how"]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/diffcov"))
    parser.add_argument("--venv", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=None, help="project names")
    parser.add_argument("--measure", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure is not None:
        json.dump(measure(args.measure), sys.stdout)
        return 0
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    python = ensure_venv(args.venv or workdir / "venv")
    rows: list[dict[str, Any]] = []
    failed = False
    for project in PROJECTS:
        if args.only and project.name not in args.only and project.title not in args.only:
            continue
        print(f"{project.title} {project.old} → {project.new} ...", file=sys.stderr, flush=True)
        try:
            rows.append(evaluate(project, python, workdir))
        except (CommandFailed, subprocess.TimeoutExpired) as error:
            failed = True
            rows.append(
                {
                    "project": project.name,
                    "versions": f"{project.old} → {project.new}",
                    "error": str(error).splitlines()[0],
                }
            )
            print(error, file=sys.stderr)
    (workdir / "results.json").write_text(json.dumps(rows, indent=2, ensure_ascii=False))
    print(table(rows))
    for row in rows:
        if row.get("expected") and row.get("differences"):
            print(f"- {row['project']}: differences expected: {row['expected']}")
        for item in row.get("differences", []):
            print(f"- {row['project']}: {item}")
        for item in row.get("explained", []):
            print(f"- {row['project']}: explained: {item}")
        if row.get("not_measured"):
            print(f"- {row['project']}: not measured (flagged): {', '.join(row['not_measured'])}")
        reasons: dict[str, list[str]] = {}
        for path, reason in row.get("excluded", []):
            reasons.setdefault(reason, []).append(path)
        for reason, paths in reasons.items():
            print(f"- {row['project']}: {len(paths)} not measured, {reason}: {', '.join(paths)}")
        if row.get("tests"):
            print(f"- {row['project']}: tests: {row['tests']} ({row['test_seconds']:.0f} s)")
    if failed:
        return 2
    unexpected = [row for row in rows if row.get("differences") and not row.get("expected")]
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
