"""Time ``covgap audit`` against ``pytest --collect-only -q`` on repositories with many test files.

``covgap audit`` reads every test file's AST (the inventory), the settings and the CI files; the
peer that does comparable work is pytest's own collection, which imports every test module. Both
are run on the same repository, in the same round, and the ratio covgap / pytest is reported
(median of ``--runs`` rounds after one untimed warm-up each). Nothing here asserts a timing.

Repositories:

- ``synthetic``: generated under ``--workdir`` (default ``<tempdir>/covgap-bench-audit``):
  ``--files`` test files (default 3,000) in 100 folders with a conftest.py each, every file
  holding 5 test functions, a test class with 3 methods and a parametrized test of 4 literal
  cases (so 3,000 files hold 36,000 tests), a pyproject.toml with pytest and coverage settings
  and a GitHub workflow. Deterministic: the same arguments make the same files.
- ``sympy``: the sympy 1.14.0 source distribution (``pip download --no-deps --no-binary :all:
  sympy==1.14.0``), unpacked under the work folder; its ~600 test files import sympy, so
  pytest's collection is the expensive one there. ``--sympy-sdist PATH`` uses a file already
  downloaded.

Run it (standard library only; ``python`` must have covgap and pytest installed, and for sympy
the sympy package itself, for pytest's collection)::

    python3 benchmarks/bench_audit.py                 # synthetic, 3,000 files, 3 runs
    python3 benchmarks/bench_audit.py --files 6000 --runs 5
    python3 benchmarks/bench_audit.py --repo sympy --runs 3

The counts covgap's inventory finds are printed beside pytest's collected count.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

PYPROJECT = """\
[project]
name = "bigproject"
version = "1.0"
requires-python = ">=3.10"

[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = ["-ra", "--strict-markers"]
markers = ["slow: slow tests"]

[tool.coverage.run]
branch = true
source = ["bigproject"]
"""

WORKFLOW = """\
name: tests
on: [push]
jobs:
  tests:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pytest --cov=bigproject --cov-fail-under=50
"""

TEST_FILE = """\
import pytest

from bigproject import core


def test_a_{n}(): assert core.VALUE == 1
def test_b_{n}(): assert core.VALUE != 2
def test_c_{n}(value): assert value == 1
def test_d_{n}(): assert str(core.VALUE) == "1"
@pytest.mark.slow
def test_e_{n}(): assert core.VALUE


class TestThing{n}:
    def test_one(self): assert True
    def test_two(self): assert True
    def test_three(self): assert True


@pytest.mark.parametrize("x", [1, 2, 3, 4])
def test_param_{n}(x): assert x
"""

CONFTEST = """\
import pytest


@pytest.fixture
def value():
    return 1
"""


def make_synthetic(root: Path, files: int) -> Path:
    repo = root / f"synthetic-{files}"
    marker = repo / ".complete"
    if marker.exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    (repo / "bigproject").mkdir(parents=True)
    (repo / "bigproject" / "__init__.py").write_text("")
    (repo / "bigproject" / "core.py").write_text("VALUE = 1\n")
    (repo / "pyproject.toml").write_text(PYPROJECT)
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "tests.yml").write_text(WORKFLOW)
    (repo / "tests").mkdir()
    (repo / "tests" / "conftest.py").write_text(CONFTEST)
    for number in range(files):
        folder = repo / "tests" / f"area{number % 100:03d}"
        if not folder.exists():
            folder.mkdir()
            (folder / "conftest.py").write_text(CONFTEST)
        (folder / f"test_module{number:05d}.py").write_text(TEST_FILE.format(n=number))
    marker.write_text("")
    return repo


def make_sympy(root: Path, sdist: Path | None) -> Path:
    repo = root / "sympy-1.14.0"
    if repo.exists():
        return repo
    if sdist is None:
        (root / "sdists").mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "sympy==1.14.0", "-d", str(root / "sdists")],
            check=True,
        )  # fmt: skip
        sdist = root / "sdists" / "sympy-1.14.0.tar.gz"
    with tarfile.open(sdist) as archive:
        archive.extractall(root, filter="data")
    return repo


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COVGAP_"))}
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1, 2, 5) or (
        "covgap" in " ".join(command) and result.returncode != 0
    ):
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-2000:]}")
    return seconds, result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", choices=("synthetic", "sympy"), default="synthetic")
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "covgap-bench-audit"
    )
    parser.add_argument("--sympy-sdist", type=Path)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    repo = (
        make_synthetic(args.workdir, args.files)
        if args.repo == "synthetic"
        else make_sympy(args.workdir, args.sympy_sdist)
    )
    covgap = [sys.executable, "-m", "covgap", "audit", ".", "--format", "json", "--output", "-"]
    pytest = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    _, audit_out = timed(covgap, repo)
    _, pytest_out = timed(pytest, repo)  # warm-ups: bytecode, disk cache
    inventory = json.loads(audit_out)["audit"]["inventory"]
    found = re.search(r"(\d+) tests? collected", pytest_out)
    print(f"repository: {repo}")
    print(
        f"covgap inventory: {inventory['tests']} tests in {inventory['test_files']} files "
        f"({inventory['unknown_cases']} functions with non-literal parameters counted once); "
        f"pytest --collect-only: {found.group(1) if found else '?'} tests"
    )
    ratios, covgap_times, pytest_times = [], [], []
    for round_number in range(args.runs):
        order = [("covgap", covgap), ("pytest", pytest)]
        if round_number % 2:
            order.reverse()
        times = {name: timed(command, repo)[0] for name, command in order}
        covgap_times.append(times["covgap"])
        pytest_times.append(times["pytest"])
        ratios.append(times["covgap"] / times["pytest"])
        print(f"  round {round_number + 1}: covgap audit {times['covgap']:.2f} s, "
              f"pytest --collect-only {times['pytest']:.2f} s, ratio {ratios[-1]:.2f}")  # fmt: skip
    print(
        f"median: covgap audit {statistics.median(covgap_times):.2f} s, pytest --collect-only "
        f"{statistics.median(pytest_times):.2f} s, covgap / pytest "
        f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}); "
        f"load {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
