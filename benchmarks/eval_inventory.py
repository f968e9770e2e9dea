"""Compare covgap's static test inventory (``read_inventory``) with ``pytest --collect-only -q``.

For each project:

1. the project's pytest settings are read from its configuration file (``pytest.ini``,
   ``pyproject.toml``'s ``[tool.pytest.ini_options]``, ``tox.ini``'s ``[pytest]``,
   ``setup.cfg``'s ``[tool:pytest]``) into :class:`InventoryOptions`; the project's packages are
   the folders with an ``__init__.py`` at its top or under ``src/``;
2. ``<python> -m pytest --collect-only -q -p no:cacheprovider`` runs in the project folder (with
   ``PYTEST_ADDOPTS`` and the ``PYTEST_XDIST_*`` variables removed, ``PYTHONDONTWRITEBYTECODE``
   set, so that nothing is written into the project), and its node ids are counted per file;
3. ``read_inventory`` counts the same, per file; every file whose counts differ is listed with the
   reasons the inventory gives (its notes, unknown cases, its error) and pytest's (the last ``E``
   line of the file's collection error);
4. timings: pytest's wall time (best of ``--pytest-runs``), ``read_inventory`` in this process
   (best of ``--repeat``), and ``read_inventory`` in a fresh interpreter (one run: startup and
   imports included), with the ratios pytest / inventory.

Nothing is asserted: the exit code is 0. Run it by hand from the repository root (standard
library and covgap only)::

    python benchmarks/eval_inventory.py                      # the projects found on this machine
    python benchmarks/eval_inventory.py --project /path/to/proj --python /path/to/venv/bin/python
    python benchmarks/eval_inventory.py --only sympy --repeat 5 --jobs 1

The default projects are the sources under ``/tmp/covgap-bench-run/src`` (attrs, pyparsing,
tomlkit, run with ``/tmp/covgap-bench-run/venv-3.12/bin/python``) and sympy as installed in
``/tmp/covgap-bench/venv`` (its ``sympy`` folder is the project: its tests ship with it).
"""

from __future__ import annotations

import argparse
import configparser
import os
import re
import shlex
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from covgap.collect.suite.test_inventory import (
    DEFAULT_NORECURSEDIRS,
    InventoryOptions,
    TestInventory,
    read_inventory,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_RUN = Path("/tmp/covgap-bench-run")
_SYMPY_VENV = Path("/tmp/covgap-bench/venv")
DEFAULT_PROJECTS = (
    ("attrs", _RUN / "src/attrs-26.1.0", _RUN / "venv-3.12/bin/python"),
    ("pyparsing", _RUN / "src/pyparsing-3.3.3", _RUN / "venv-3.12/bin/python"),
    ("tomlkit", _RUN / "src/tomlkit-0.15.2", _RUN / "venv-3.12/bin/python"),
    (
        "sympy",
        _SYMPY_VENV / "lib/python3.11/site-packages/sympy",
        _SYMPY_VENV / "bin/python",
    ),
)

_NODE = re.compile(r"^(?P<path>[^\s:][^:]*?\.py)::(?P<name>[^\[]+)")
_ERROR_HEADER = re.compile(r"^_+ ERROR collecting (?P<path>\S+) _+$")
_SUMMARY_ERROR = re.compile(r"^ERROR (?P<path>\S+\.py)")


@dataclass
class PytestRun:
    counts: Counter[str]
    #: (path, test name without parameters) -> items
    items: Counter[tuple[str, str]]
    errors: dict[str, str]
    seconds: float
    summary: str


def ini_options(project: Path) -> dict[str, list[str] | str]:
    """pytest's ini values for the project, as strings or lists of words."""
    for name in ("pytest.ini", ".pytest.ini"):
        path = project / name
        if path.is_file():
            return _ini_section(path, "pytest")
    pyproject = project / "pyproject.toml"
    if pyproject.is_file():
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        table = data.get("tool", {}).get("pytest", {})
        table = table.get("ini_options", table)
        if table:
            return {
                key: [str(v) for v in value] if isinstance(value, list) else str(value)
                for key, value in table.items()
            }
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        path = project / name
        if path.is_file():
            found = _ini_section(path, section)
            if found:
                return found
    return {}


def _ini_section(path: Path, section: str) -> dict[str, list[str] | str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    if not parser.has_section(section):
        return {}
    return dict(parser.items(section))


def _words(value: list[str] | str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return tuple(value)
    return tuple(shlex.split(value))


def _lines(value: list[str] | str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else value.splitlines()
    return tuple(item.strip() for item in items if item.strip())


def python_version(python: Path) -> tuple[int, int]:
    done = subprocess.run(
        [str(python), "-c", "import sys; print(*sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    major, minor = done.stdout.split()
    return int(major), int(minor)


def options_for(project: Path, jobs: int, python: Path | None = None) -> InventoryOptions:
    ini = ini_options(project)
    defaults = InventoryOptions()
    markers = tuple(line.split(":")[0].split("(")[0].strip() for line in _lines(ini.get("markers")))
    return InventoryOptions(
        python_files=_words(ini.get("python_files")) or defaults.python_files,
        python_classes=_words(ini.get("python_classes")) or defaults.python_classes,
        python_functions=_words(ini.get("python_functions")) or defaults.python_functions,
        testpaths=_words(ini.get("testpaths")) or (),
        norecursedirs=_words(ini.get("norecursedirs")) or DEFAULT_NORECURSEDIRS,
        project_packages=project_packages(project),
        declared_markers=markers,
        jobs=jobs,
        python_version=python_version(python) if python else None,
    )


def project_packages(project: Path) -> tuple[str, ...]:
    if (project / "__init__.py").is_file():
        return (project.name,)
    found: list[str] = []
    for base in (project, project / "src"):
        if base.is_dir():
            found.extend(
                child.name
                for child in sorted(base.iterdir())
                if (child / "__init__.py").is_file() and child.name not in ("tests", "test")
            )
    return tuple(found)


def run_pytest(project: Path, python: Path, runs: int) -> PytestRun:
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "PYTEST_ADDOPTS" and not key.startswith("PYTEST_XDIST")
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [str(python), "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    best = float("inf")
    output = ""
    for _ in range(max(1, runs)):
        start = time.perf_counter()
        done = subprocess.run(
            command, cwd=project, env=env, capture_output=True, text=True, check=False
        )
        best = min(best, time.perf_counter() - start)
        output = done.stdout + done.stderr
    counts: Counter[str] = Counter()
    items: Counter[tuple[str, str]] = Counter()
    errors: dict[str, str] = {}
    current: str | None = None
    summary = ""
    for line in output.splitlines():
        node = _NODE.match(line)
        if node:
            counts[node.group("path")] += 1
            items[node.group("path"), node.group("name")] += 1
            continue
        header = _ERROR_HEADER.match(line)
        if header:
            current = header.group("path")
            errors[current] = "collection error"
        elif current and line.startswith("E "):
            errors[current] = line[2:].strip()
        elif line.startswith("="):
            current = None
        elif _SUMMARY_ERROR.match(line):
            path = _SUMMARY_ERROR.match(line).group("path")  # type: ignore[union-attr]
            errors.setdefault(path, "collection error")
        if re.search(r"\d+ tests? collected|no tests collected", line):
            summary = line.strip()
    return PytestRun(counts, items, errors, best, summary)


def time_inventory(
    project: Path, options: InventoryOptions, repeat: int
) -> tuple[TestInventory, float]:
    best = float("inf")
    inventory = None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        inventory = read_inventory(project, options)
        best = min(best, time.perf_counter() - start)
    assert inventory is not None
    return inventory, best


def cold_inventory(project: Path, options: InventoryOptions) -> float:
    """One read_inventory in a fresh interpreter (startup and imports included)."""
    code = (
        "import sys; from pathlib import Path; "
        "from covgap.collect.suite.test_inventory import InventoryOptions, read_inventory; "
        f"read_inventory(Path({str(project)!r}), InventoryOptions(**{options.__dict__!r}))"
    )
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def compare(name: str, project: Path, python: Path, args: argparse.Namespace) -> None:
    options = options_for(project, args.jobs, python)
    pytest_run = run_pytest(project, python, args.pytest_runs)
    inventory, seconds = time_inventory(project, options, args.repeat)
    cold = cold_inventory(project, options)
    ours = {module.path: module for module in inventory.modules}
    paths = sorted(set(pytest_run.counts) | set(ours) | set(pytest_run.errors))
    differences: list[str] = []
    same = 0
    for path in paths:
        theirs = pytest_run.counts.get(path, 0)
        module = ours.get(path)
        mine = module.tests if module else 0
        unknown_here = sum(1 for item in module.items if item.cases is None) if module else 0
        if theirs == mine and not unknown_here:
            same += 1
            continue
        reasons = []
        if path in pytest_run.errors:
            reasons.append(f"pytest: {pytest_run.errors[path]}")
        if module is None:
            reasons.append("not a test module for the inventory")
        else:
            if module.error:
                reasons.append(f"inventory: {module.error}")
            if unknown_here:
                reasons.append(f"{unknown_here} item(s) with unknown cases (counted 1 each)")
            reasons.extend(module.notes[:4])
        differences.append(f"  {path}: pytest {theirs}, inventory {mine}: " + "; ".join(reasons))
    theirs_items = pytest_run.items
    mine_items = {(item.path, item.name): item.cases for item in inventory.items}
    both = set(theirs_items) & set(mine_items)
    equal = sum(1 for key in both if mine_items[key] == theirs_items[key])
    unknown = [key for key in both if mine_items[key] is None]
    unequal = sorted(
        key for key in both if mine_items[key] is not None and mine_items[key] != theirs_items[key]
    )
    print(f"## {name}  ({project})")
    print(f"pytest:    {pytest_run.summary}")
    print(
        f"inventory: {inventory.tests} tests in {len(inventory.modules)} modules "
        f"({inventory.functions} functions, {inventory.unknown_cases} with unknown cases, "
        f"{len(inventory.errors)} unparsable)"
    )
    print(
        f"files: {len(paths)}, equal: {same}, different: {len(differences)}; "
        f"tests: pytest {sum(pytest_run.counts.values())}, inventory {inventory.tests}"
    )
    print(
        f"items (test functions): pytest {len(theirs_items)}, inventory {len(mine_items)}; "
        f"same cases {equal}, unknown cases {len(unknown)} (pytest makes "
        f"{sum(theirs_items[k] for k in unknown)} of them), different cases {len(unequal)}, "
        f"only in pytest {len(set(theirs_items) - both)}, "
        f"only in the inventory {len(set(mine_items) - both)}"
    )
    for key in unequal:
        print(f"  different: {key[0]}::{key[1]}: pytest {theirs_items[key]}, {mine_items[key]}")
    for line in differences:
        print(line)
    for note in inventory.notes:
        print(f"  note: {note}")
    print(
        f"time: pytest --collect-only {pytest_run.seconds:.2f} s; read_inventory "
        f"{seconds:.3f} s in process (ratio {pytest_run.seconds / seconds:.1f}x), "
        f"{cold:.2f} s in a fresh interpreter (ratio {pytest_run.seconds / cold:.1f}x)"
    )
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--project", type=Path, action="append", default=[])
    parser.add_argument(
        "--python", type=Path, action="append", default=[], help="interpreter for each --project"
    )
    parser.add_argument("--only", action="append", default=[], help="default projects to run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pytest-runs", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=0)
    args = parser.parse_args(argv)
    if args.project:
        pythons = args.python or [Path(sys.executable)]
        projects = [
            (p.name, p, pythons[min(i, len(pythons) - 1)]) for i, p in enumerate(args.project)
        ]
    else:
        projects = [
            (name, path, python)
            for name, path, python in DEFAULT_PROJECTS
            if path.is_dir() and python.exists() and (not args.only or name in args.only)
        ]
    for name, path, python in projects:
        compare(name, path.resolve(), python, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
