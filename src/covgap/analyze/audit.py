"""The audit: rules over the suite, its configuration and its CI, each finding with its evidence,
why it matters, the fix to paste and the points it costs; and the score those points make.

Pure: every fact comes in ``AuditFacts`` (read by ``collect``); nothing here reads a file.
docs/audit.md lists every rule, its severity and the scoring.

**Score.** Six areas, each scored only when it was measured: suite organisation (20 points),
CI (20), coverage settings (10), coverage against the target (20, with coverage data), suite
health (20, after ``covgap run``), testing docs (10). A finding costs its area the points of its
severity (high 8, medium 4, low 2, info 0), except the distance to the target, which costs
``20 × (target − total) / target``; an area never goes below 0. So every point lost is a
finding's, and an area that was not measured is left out rather than guessed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from fnmatch import fnmatch
from functools import lru_cache

from covgap.analyze.fixes import coverage_fix, dependency_fix, pytest_fix, pytest_fix_path
from covgap.collect.project.audit_inputs import AuditFacts
from covgap.collect.project.ci_files import CiConfig, CiJob, CiProblem, CiStep
from covgap.collect.project.project_config import (
    DevDependencies,
    PytestConfig,
    normalize_name,
)
from covgap.collect.project.project_scan import SourceFacts
from covgap.collect.project.shell import ScriptFacts, TestRun, analyze_script
from covgap.collect.suite.test_inventory import TestInventory
from covgap.markup import code_span as code
from covgap.model import (
    AreaScore,
    AuditArea,
    AuditResult,
    CiFacts,
    Evidence,
    Finding,
    InventoryFacts,
    Severity,
    SuiteHealth,
)

__all__ = ["AREAS", "POINTS", "AuditFacts", "audit"]

#: Points a finding costs its area, by severity.
POINTS: dict[Severity, float] = {"high": 8.0, "medium": 4.0, "low": 2.0, "info": 0.0}

#: Each area: its label and the points it is worth when measured.
AREAS: dict[AuditArea, tuple[str, float]] = {
    "suite": ("Suite organisation", 20.0),
    "ci": ("CI", 20.0),
    "settings": ("Coverage settings", 10.0),
    "target": ("Coverage vs target", 20.0),
    "health": ("Suite health", 20.0),
    "docs": ("Testing docs", 10.0),
}

#: Markers pytest itself registers.
BUILTIN_MARKERS = frozenset(
    {"parametrize", "skip", "skipif", "xfail", "usefixtures", "filterwarnings", "tryfirst",
     "trylast", "no_cover"}
)  # fmt: skip
#: Markers a plugin registers when it is installed (distribution → markers).
PLUGIN_MARKERS: dict[str, frozenset[str]] = {
    "pytest-asyncio": frozenset({"asyncio"}),
    "anyio": frozenset({"anyio"}),
    "pytest-trio": frozenset({"trio"}),
    "pytest-timeout": frozenset({"timeout"}),
    "pytest-django": frozenset({"django_db", "urls", "ignore_template_errors"}),
    "pytest-benchmark": frozenset({"benchmark"}),
    "pytest-codspeed": frozenset({"benchmark"}),
    "pytest-order": frozenset({"order"}),
    "pytest-xdist": frozenset({"xdist_group"}),
    "flaky": frozenset({"flaky"}),
    "pytest-rerunfailures": frozenset({"flaky"}),
    "pytest-recording": frozenset({"vcr", "block_network", "default_cassette"}),
    "pytest-freezer": frozenset({"freeze_time"}),
    "pytest-freezegun": frozenset({"freeze_time"}),
    "pytest-mypy-plugins": frozenset(),
    "pytest-dependency": frozenset({"dependency"}),
    "pytest-subtests": frozenset(),
}
#: Libraries that run async tests.
ASYNC_RUNNERS = ("pytest-asyncio", "anyio", "pytest-trio", "pytest-aiohttp", "pytest-tornasync")
#: HTTP client → the libraries that fake it in tests.
HTTP_FAKES: dict[str, tuple[str, ...]] = {
    "requests": ("responses", "requests-mock", "pytest-httpserver", "vcrpy", "pytest-recording",
                 "betamax", "httpretty", "requests-mock"),
    "httpx": ("respx", "pytest-httpx", "pytest-httpserver", "vcrpy", "pytest-recording"),
    "aiohttp": ("aioresponses", "pytest-aiohttp", "pytest-httpserver", "vcrpy"),
    "urllib3": ("pytest-httpserver", "vcrpy", "pytest-recording", "httpretty", "responses"),
}  # fmt: skip
RANDOM_ORDER = ("pytest-randomly", "pytest-random-order", "pytest-rng", "pytest-shuffle")
#: GitHub actions and commands that publish coverage or comment it on pull requests.
COVERAGE_PUBLISHERS = (
    "codecov/codecov-action",
    "coverallsapp/github-action",
    "py-cov-action/python-coverage-comment-action",
    "mishakav/pytest-coverage-comment",
    "orgoro/coverage",
    "irongut/codecoveragesummary",
    "5monkeys/cobertura-action",
    "ewjoachim/python-coverage-comment-action",
    "insightsengineering/coverage-action",
)
#: A suite that takes this long (seconds) one test at a time is worth pytest-xdist's workers;
#: below it, starting them (each collects the whole suite) eats most of the gain.
PARALLEL_WORTH = 60.0
#: Seconds a test takes, to estimate a suite's time from its tests before it was ever run.
ESTIMATED_TEST_SECONDS = 0.02
#: A gate this many points below the total no longer protects it.
STALE_GATE = 5.0
#: A test slower than this (seconds) is listed.
SLOW_TEST = 5.0


def _finding(
    rule: str,
    area: AuditArea,
    severity: Severity,
    title: str,
    evidence: Iterable[Evidence],
    why: str,
    fix: str = "",
    fix_path: str | None = None,
    points: float | None = None,
) -> Finding:
    return Finding(
        rule=rule,
        area=area,
        severity=severity,
        title=title,
        evidence=tuple(evidence),
        why=why,
        fix=fix,
        fix_path=fix_path,
        points=POINTS[severity] if points is None else points,
    )


def _pct(value: float) -> str:
    return f"{value:.1f}%"


# --- the suite ---------------------------------------------------------------------------------


def _own_markers(facts: AuditFacts) -> frozenset[str]:
    """The markers a project registers when it is itself the plugin (pytest-asyncio…)."""
    name = normalize_name(facts.project_name or "")
    return PLUGIN_MARKERS.get(name, frozenset()) if facts.pytest_plugin else frozenset()


def _declared_by_plugins(dependencies: DevDependencies) -> set[str]:
    found: set[str] = set()
    for name, markers in PLUGIN_MARKERS.items():
        if normalize_name(name) in dependencies.names:
            found |= markers
    return found


def _suite_findings(facts: AuditFacts) -> list[Finding]:
    inventory, config = facts.inventory, facts.pytest
    findings: list[Finding] = []
    config_path = pytest_fix_path(config)
    modules = inventory.modules
    if not modules:
        findings.append(
            _finding(
                "suite-no-tests",
                "suite",
                "high",
                "no test files found",
                [Evidence(".", None, "python_files: " + " ".join(_python_files(config)))],
                "Without tests there is no coverage to raise; pytest collects files named "
                "like python_files under testpaths.",
                *_first_test(facts.sources.packages),
            )
        )
    broken = [module for module in modules if module.error]
    if broken:
        findings.append(
            _finding(
                "suite-unparsable",
                "suite",
                "high",
                f"{len(broken)} test file{'s' if len(broken) != 1 else ''} cannot be parsed",
                [Evidence(m.path, _error_line(m.error), m.error or "") for m in broken[:10]],
                "pytest reports each as a collection error and runs none of its tests.",
                "Fix the syntax error at the line shown.",
            )
        )
    testpaths = config.words("testpaths")
    named_in_ci = " ".join(run.text for _, _, run in _ci_test_runs(facts.ci))
    misnamed = [
        item
        for item in inventory.uncollected
        if _misnamed(item.reason)
        and _in_test_folder(item.path, testpaths)
        and not _DATA_FOLDERS.intersection(item.path.split("/")[:-1])
        and item.path not in named_in_ci
    ]
    # Outside testpaths: files named as tests anywhere, others only in test folders.
    elsewhere = [
        item
        for item in inventory.uncollected
        if not _misnamed(item.reason)
        and (
            "does not match python_files" not in item.reason
            or _in_test_folder(item.path, testpaths)
        )
    ]
    if misnamed:
        names = ", ".join(_python_files(config))
        findings.append(
            _finding(
                "suite-uncollected",
                "suite",
                "low",
                f"{len(misnamed)} file{'s' if len(misnamed) != 1 else ''} with test functions "
                f"that pytest never collects (named outside {names})",
                [Evidence(item.path, None, item.reason) for item in misnamed[:10]],
                f"pytest only collects files matching {names}: the tests in these files never "
                "run, and what they would cover counts as missing.",
                "# if they are meant to run with the suite:\n"
                + "\n".join(f"git mv {item.path} {_renamed(item.path)}" for item in misnamed[:10]),
            )
        )
    if elsewhere:
        findings.append(
            _finding(
                "suite-outside-testpaths",
                "suite",
                "info",
                f"{len(elsewhere)} file{'s' if len(elsewhere) != 1 else ''} with tests that a "
                "plain `pytest` run skips (outside testpaths, or in norecursedirs)",
                [Evidence(item.path, None, item.reason) for item in elsewhere[:10]],
                "They run only when named on the command line; if CI does not name them, "
                "they never run.",
                "Run them in CI by path, or move them under testpaths.",
            )
        )
    if inventory.empty_folders:
        findings.append(
            _finding(
                "suite-empty-folder",
                "suite",
                "low",
                f"{len(inventory.empty_folders)} empty or near-empty test folder"
                f"{'s' if len(inventory.empty_folders) != 1 else ''}",
                [Evidence(folder, None, "no tests") for folder in inventory.empty_folders[:10]],
                "A folder named for a kind of test that holds none suggests coverage that "
                "does not exist (seed plans list such folders as gaps).",
                "Add the tests the folder is named for, or remove it.",
            )
        )
    no_import = [m for m in modules if not m.error and m.items and not m.imports_project]
    server = [m for m in no_import if m.server_evidence]
    if server and facts.sources.packages:
        measured = facts.coverage.parallel and "subprocess" in facts.coverage.patch
        if not measured:
            path, snippet = coverage_fix(
                facts.coverage, "run", [("parallel", True), ("patch", ["subprocess"])]
            )
            packages = ", ".join(facts.sources.packages)
            findings.append(
                _finding(
                    "suite-no-project-import",
                    "suite",
                    "medium",
                    f"{len(server)} test module{'s' if len(server) != 1 else ''} never "
                    f"import{'s' if len(server) == 1 else ''} the project ({packages}) and "
                    f"talk{'s' if len(server) == 1 else ''} to a running server",
                    [
                        Evidence(m.path, m.server_evidence[0][0], m.server_evidence[0][1])
                        for m in server[:10]
                    ],
                    "Code these tests reach runs in another process (a server started beside "
                    "them): it is measured only when coverage.py follows subprocesses; "
                    "otherwise those tests add 0% however much they exercise. `covgap run` "
                    "sets this up; to do it yourself, start the server under coverage and "
                    "combine the data.",
                    snippet + "\n# then: coverage run -m pytest && coverage combine",
                    path,
                )
            )
    declared = set(config.words("markers")) | {_marker_name(line) for line in _marker_lines(config)}
    known = (
        declared
        | BUILTIN_MARKERS
        | _declared_by_plugins(facts.dependencies)
        | set(facts.registered_markers)
        | _own_markers(facts)
    )
    undeclared: dict[str, list[Evidence]] = {}
    for use in inventory.markers:
        if use.name not in known and not facts.dynamic_markers:
            undeclared.setdefault(use.name, []).append(Evidence(use.path, use.line, use.name))
    if undeclared:
        lines = [*(_marker_lines(config)), *(f"{name}: describe it" for name in sorted(undeclared))]
        findings.append(
            _finding(
                "markers-undeclared",
                "suite",
                "medium",
                f"{len(undeclared)} marker{'s' if len(undeclared) != 1 else ''} used but not "
                f"declared: {', '.join(sorted(undeclared))}",
                [uses[0] for uses in undeclared.values()][:10],
                "A mistyped marker silently selects nothing (`-m integraton`); declared "
                "markers with --strict-markers turn the typo into an error.",
                pytest_fix(config, [("markers", lines)]),
                config_path,
            )
        )
    used_names = {use.name for use in inventory.markers}
    unused = sorted(_marker_name(line) for line in _marker_lines(config))
    unused = [name for name in unused if name and name not in used_names]
    if unused:
        findings.append(
            _finding(
                "markers-unused",
                "suite",
                "info",
                f"{len(unused)} declared marker{'s' if len(unused) != 1 else ''} never used: "
                f"{', '.join(unused)}",
                [Evidence(config_path, config.line("markers"), name) for name in unused[:10]],
                "Declared markers no test carries: a selection like `-m "
                f"{unused[0]}` runs nothing.",
                "Remove them from `markers`, or mark the tests they were meant for.",
            )
        )
    unused_fixtures = [
        fixture
        for fixture in inventory.fixtures
        if fixture.users == 0 and not fixture.autouse and fixture.path.endswith("conftest.py")
    ]
    if unused_fixtures:
        findings.append(
            _finding(
                "fixtures-unused",
                "suite",
                "low",
                f"{len(unused_fixtures)} conftest fixture{'s' if len(unused_fixtures) != 1 else ''}"
                " no test uses",
                [Evidence(f.path, f.line, f.name) for f in unused_fixtures[:10]],
                "Dead fixtures are kept up to date for nothing, and hide which ones matter.",
                "Delete them, or use them in the tests they were written for.",
            )
        )
    for problem in facts.dependencies.problems:
        findings.append(
            _finding(
                "project-config-broken",
                "suite",
                "high",
                f"{problem.path} cannot be read: {problem.message}",
                [Evidence(problem.path, problem.line, problem.message)],
                "pip, pytest, coverage.py and every tool configured there stop on a file they "
                "cannot parse.",
                "Fix the file at the line shown.",
                problem.path,
            )
        )
    findings += _pytest_settings_findings(facts)
    findings += _dependency_findings(facts)
    return findings


def _first_test(packages: Sequence[str]) -> tuple[str, str | None]:
    """The fix for a project without tests: a first test that imports every module of its
    packages (their dependencies are there, their top level runs, and coverage starts
    counting), or, with no package found, what to write."""
    if not packages:
        return (
            "Write a first test of your code in tests/test_<module>.py; `covgap run` then "
            "measures it and plans the next ones.",
            None,
        )
    names = ", ".join(f'"{name}"' for name in packages)
    return (
        '"""A first test: every module of the project imports; `covgap run` plans the next."""\n'
        "\nimport importlib\nimport pkgutil\n\nimport pytest\n\n"
        f"PACKAGES = [{names}]\n\n\n"
        "def modules():\n"
        "    for name in PACKAGES:\n"
        "        yield name\n"
        '        path = getattr(importlib.import_module(name), "__path__", [])\n'
        '        for module in pkgutil.walk_packages(path, name + "."):\n'
        "            yield module.name\n\n\n"
        '@pytest.mark.parametrize("module", list(modules()))\n'
        "def test_imports(module):\n"
        "    importlib.import_module(module)\n",
        "tests/test_imports.py",
    )


def _joined(first: Sequence[tuple[str, str]], last: tuple[str, str]) -> str:
    """Snippets for one finding: the file of each named when they go to different files."""
    parts = [*first, last]
    if len({path for path, _ in parts}) == 1:
        return "\n\n".join(snippet for _, snippet in parts)
    return "\n\n".join(f"# {path}\n{snippet}" for path, snippet in parts)


def _python_files(config: PytestConfig) -> tuple[str, ...]:
    return config.words("python_files") or ("test_*.py", "*_test.py")


_TEST_FOLDERS = frozenset({"test", "tests", "testing", "unittests", "test_suite"})
#: Folders of test data: Python files there are inputs, not tests.
_DATA_FOLDERS = frozenset(
    {"data", "fixtures", "cases", "resources", "assets", "samples", "snapshots", "golden",
     "examples", "testdata", "test_data"}
)  # fmt: skip


def _in_test_folder(path: str, testpaths: Sequence[str]) -> bool:
    """Inside a folder named for tests, or under a configured testpath: where a file holding
    ``test_`` functions is meant as tests (an example or a script elsewhere is not)."""
    folders = path.split("/")[:-1]
    if _TEST_FOLDERS.intersection(part.lower() for part in folders):
        return True
    return any(path.startswith(root.rstrip("/") + "/") for root in testpaths if root != ".")


def _misnamed(reason: str) -> bool:
    """An uncollected file inside the collected folders, left out for its name alone."""
    return (
        "does not match python_files" in reason
        and not reason.startswith(("outside", "in norecursedirs", "norecursedirs"))
        and ";" not in reason
    )


def _renamed(path: str) -> str:
    folder, _, name = path.rpartition("/")
    return f"{folder}/test_{name}" if folder else f"test_{name}"


def _error_line(error: str | None) -> int | None:
    match = re.search(r"line (\d+)", error or "")
    return int(match.group(1)) if match else None


def _marker_lines(config: PytestConfig) -> tuple[str, ...]:
    value = config.value("markers")
    if isinstance(value, tuple):
        return value
    return tuple(line.strip() for line in str(value or "").splitlines() if line.strip())


def _marker_name(line: str) -> str:
    return re.split(r"[:(\s]", line.strip(), maxsplit=1)[0]


def _addopts_has(config: PytestConfig, *flags: str) -> str | None:
    """The addopts item that sets one of ``flags`` (``--x`` or ``--x=v``), or None."""
    for item in config.addopts:
        for flag in flags:
            if (
                item == flag
                or item.startswith(flag + "=")
                or (len(flag) == 2 and item.startswith(flag) and not flag.startswith("--"))
            ):
                return item
    return None


def _pytest_settings_findings(facts: AuditFacts) -> list[Finding]:
    config, deps = facts.pytest, facts.dependencies
    path = pytest_fix_path(config)
    where = (
        Evidence(path, config.section_line, f"[{config.section}]")
        if config.path
        else Evidence(path, None, "no pytest configuration")
    )
    findings: list[Finding] = []
    if config.problem is not None:
        findings.append(
            _finding(
                "pytest-config-broken",
                "suite",
                "high",
                f"pytest's configuration cannot be read: {config.problem.message}",
                [Evidence(config.problem.path, config.problem.line, config.problem.message)],
                "pytest refuses to start with a broken configuration file.",
                "Fix the file at the line shown.",
                config.problem.path,
            )
        )
        return findings
    strict = config.flag("strict") or _addopts_has(config, "--strict") is not None
    addopts = list(config.addopts)

    def with_addopts(*extra: str) -> str:
        return pytest_fix(config, [("addopts", [*addopts, *extra])])

    if not (strict or config.flag("strict_markers") or _addopts_has(config, "--strict-markers")):
        findings.append(
            _finding(
                "pytest-strict-markers",
                "suite",
                "medium",
                "unknown markers are not errors (no --strict-markers)",
                [Evidence(path, config.line("addopts"), " ".join(addopts) or "(no addopts)")],
                "A misspelt marker (`@pytest.mark.slwo`) is accepted silently and the test "
                "escapes every `-m` selection that should include or skip it.",
                with_addopts("--strict-markers"),
                path,
            )
        )
    if not (strict or config.flag("strict_config") or _addopts_has(config, "--strict-config")):
        findings.append(
            _finding(
                "pytest-strict-config",
                "suite",
                "low",
                "unknown pytest settings are not errors (no --strict-config)",
                [Evidence(path, config.line("addopts"), " ".join(addopts) or "(no addopts)")],
                "A misspelt setting (`timout = 60`) is ignored with a warning nobody reads.",
                with_addopts("--strict-config"),
                path,
            )
        )
    if not (strict or config.flag("xfail_strict") or config.flag("strict_xfail")):
        findings.append(
            _finding(
                "pytest-xfail-strict",
                "suite",
                "low",
                "a test marked xfail that passes is not an error (xfail_strict is off)",
                [where],
                "A fixed bug's xfail marker stays forever and the test stops guarding the fix.",
                pytest_fix(config, [("xfail_strict", True)]),
                path,
            )
        )
    filters = (
        config.words("filterwarnings")
        if isinstance(config.value("filterwarnings"), str)
        else (config.value("filterwarnings") or ())
    )
    warning_errors = any(
        str(item).strip().startswith("error")
        for item in (filters if isinstance(filters, tuple) else ())
    ) or any(item in {"-W", "-Werror"} or item.startswith("-Werror") for item in addopts)
    if not warning_errors:
        findings.append(
            _finding(
                "pytest-warnings-not-errors",
                "suite",
                "low",
                "warnings are not errors in the test run",
                [Evidence(path, config.line("filterwarnings"), "filterwarnings")],
                "Deprecation warnings from your code and its dependencies pass unseen until "
                "the next major version breaks them.",
                pytest_fix(config, [("filterwarnings", ["error"])]),
                path,
            )
        )
    ci_runs = list(_ci_test_runs(facts.ci))
    ci_timeout = any(run.timeout for _, _, run in ci_runs)
    if not (config.value("timeout") or _addopts_has(config, "--timeout") or ci_timeout):
        dep_path, dep_snippet = dependency_fix(deps.home, ["pytest-timeout"])
        has_plugin = "pytest-timeout" in deps.names
        findings.append(
            _finding(
                "pytest-no-timeout",
                "suite",
                "medium",
                "no per-test timeout: a hanging test blocks the whole run",
                [where],
                "A test waiting on a socket or a lock runs until CI kills the job (6 hours on "
                "GitHub Actions), with no word on which test hung; pytest-timeout stops it and "
                "names it.",
                _joined(
                    [] if has_plugin else [(dep_path, dep_snippet)],
                    (path, pytest_fix(config, [("timeout", "300")])),
                ),
                path,
            )
        )
    maxfail = _addopts_has(config, "--maxfail", "-x", "--exitfirst")
    if maxfail:
        kept = [item for item in addopts if item != maxfail]
        findings.append(
            _finding(
                "pytest-maxfail",
                "suite",
                "medium",
                f"every run stops early ({maxfail} in addopts)",
                [Evidence(path, config.line("addopts"), " ".join(addopts))],
                "The run stops at the first failures: the rest of the suite never runs, its "
                "failures stay hidden and the coverage it would measure is missing.",
                pytest_fix(config, [("addopts", kept)]),
                path,
            )
        )
    if not any(normalize_name(name) in deps.names for name in RANDOM_ORDER) and not _addopts_has(
        config, "-p"
    ):
        dep_path, dep_snippet = dependency_fix(deps.home, ["pytest-randomly"])
        findings.append(
            _finding(
                "pytest-fixed-order",
                "suite",
                "low",
                "tests always run in the same order",
                [Evidence(deps.home[0] if deps.home else path, None, "no pytest-randomly")],
                "Tests that pass only after another test has run (shared state) go unnoticed "
                "until someone runs one alone; a random order finds them.",
                dep_snippet,
                dep_path,
            )
        )
    parallel = _addopts_has(config, "-n", "--numprocesses") or any(
        run.parallel for _, _, run in ci_runs
    )
    serial = None if parallel else _serial_time(facts)
    if serial is not None:
        title, evidence, estimated = serial
        dep_path, dep_snippet = dependency_fix(deps.home, ["pytest-xdist"])
        findings.append(
            _finding(
                "pytest-serial",
                "suite",
                "low",
                title,
                [where, *evidence],
                "pytest-xdist runs them on every core (`-n auto`); coverage.py combines the "
                "workers' data by itself. Below about a minute, starting the workers costs "
                "about what they save."
                + (" The time is an estimate: `covgap run` measures it." if estimated else ""),
                _joined(
                    [] if "pytest-xdist" in deps.names else [(dep_path, dep_snippet)],
                    (path, with_addopts("-n", "auto")),
                ),
                path,
            )
        )
    return findings


def _serial_time(facts: AuditFacts) -> tuple[str, list[Evidence], bool] | None:
    """When the suite run one test at a time takes ``PARALLEL_WORTH`` seconds or more: the
    finding's title, its evidence and whether the time is an estimate; else None.

    The time is the tests' durations (setup, call, teardown) as pytest timed them in the
    suite's run by covgap, else ``ESTIMATED_TEST_SECONDS`` per test of the inventory.
    """
    health = facts.health
    if health is not None and health.tests:
        seconds = sum(test.duration for test in health.tests)
        if seconds < PARALLEL_WORTH:
            return None
        count = len(health.tests)
        timed = f"{count} tests: {seconds:.1f} s in all, as pytest timed them"
        if health.stopped:
            timed += " before the run was stopped"
        at_least = "at least " if health.stopped else ""
        return (
            f"the {count} tests take {at_least}{_duration(seconds)} one at a time",
            [Evidence(".covgap/run/events.jsonl", None, timed)],
            False,
        )
    tests = facts.inventory.tests if facts.inventory.modules else 0
    seconds = tests * ESTIMATED_TEST_SECONDS
    if seconds < PARALLEL_WORTH:
        return None
    return (
        f"{tests} tests run one at a time: about {_duration(seconds)} (estimated at "
        f"{ESTIMATED_TEST_SECONDS * 1000:g} ms a test)",
        [],
        True,
    )


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _dependency_findings(facts: AuditFacts) -> list[Finding]:
    deps, sources = facts.dependencies, facts.sources
    findings: list[Finding] = []
    # unittest's IsolatedAsyncioTestCase (and aiohttp's AioHTTPTestCase) run their own loop.
    async_tests = [
        item
        for module in facts.inventory.modules
        for item in module.items
        if item.is_async and not item.unittest
    ]
    is_runner = facts.pytest_plugin and normalize_name(facts.project_name or "") in ASYNC_RUNNERS
    unittest_async = any(
        item.is_async and item.unittest
        for module in facts.inventory.modules
        for item in module.items
    )
    needed = async_tests or (sources.async_code and not unittest_async)
    if needed and not deps.has_any(ASYNC_RUNNERS) and not is_runner:
        evidence = (
            Evidence(async_tests[0].path, async_tests[0].line, f"async def {async_tests[0].name}")
            if async_tests
            else Evidence(sources.async_code[0], sources.async_code[1], "async def")  # type: ignore[index]
        )
        path, snippet = dependency_fix(deps.home, ["pytest-asyncio"])
        findings.append(
            _finding(
                "deps-async-runner",
                "suite",
                "high" if async_tests else "low",
                "async code but no async test runner (pytest-asyncio, anyio, pytest-trio)"
                + (f": {len(async_tests)} async tests" if async_tests else ""),
                [evidence],
                "pytest does not run `async def` tests by itself: it skips them with a "
                'warning, and they pass without running a line ("coroutine was never awaited").'
                if async_tests
                else "Testing the async code needs a runner for `async def` tests (or "
                "`asyncio.run` in every test).",
                snippet,
                path,
            )
        )
    for client, (where, line, text) in sorted(sources.http_clients.items()):
        fakes = HTTP_FAKES.get(client, ())
        if fakes and not deps.has_any(fakes):
            path, snippet = dependency_fix(deps.home, [fakes[0]])
            findings.append(
                _finding(
                    "deps-http-fake",
                    "suite",
                    "low",
                    f"the code uses {client} and no library that fakes it is a development "
                    f"dependency ({', '.join(fakes[:3])}…)",
                    [Evidence(where, line, text)],
                    "Without a fake, code that calls out is either untested or tested against "
                    "the real service (slow, flaky, needs the network).",
                    snippet,
                    path,
                )
            )
    return findings


# --- coverage settings and the target -----------------------------------------------------------


def _settings_findings(facts: AuditFacts) -> list[Finding]:
    coverage = facts.coverage
    findings: list[Finding] = []
    if coverage.problem is not None:
        findings.append(
            _finding(
                "coverage-config-broken",
                "settings",
                "high",
                f"coverage.py's configuration cannot be read: {coverage.problem.message}",
                [Evidence(coverage.problem.path, coverage.problem.line, coverage.problem.message)],
                "coverage.py stops with this error: nothing is measured.",
                "Fix the file at the line shown.",
                coverage.problem.path,
            )
        )
        return findings
    # No configuration: the evidence is the file a fix would create the settings in.
    shown = coverage.path or coverage_fix(coverage, "run", [])[0]
    unset = "" if coverage.path else "no coverage configuration"
    # covdefaults (a coverage.py plugin) sets branch and source itself.
    defaults_plugin = "covdefaults" in coverage.plugins
    if not coverage.branch and not defaults_plugin:
        path, snippet = coverage_fix(coverage, "run", [("branch", True)])
        findings.append(
            _finding(
                "coverage-branch-off",
                "settings",
                "medium",
                "branch coverage is off",
                [Evidence(shown, coverage.line("branch"), unset or "branch")],
                "Line coverage counts an `if` as covered when only one side ever ran; the "
                "untested side (often the error path) stays invisible.",
                snippet,
                path,
            )
        )
    if not coverage.source and facts.sources.packages and not defaults_plugin:
        path, snippet = coverage_fix(coverage, "run", [("source", list(facts.sources.packages))])
        findings.append(
            _finding(
                "coverage-no-source",
                "settings",
                "medium",
                "no `source`: files no test imports are left out of the total",
                [Evidence(shown, coverage.line("source"), unset or "source")],
                "coverage.py only reports files that were imported, so a module no test "
                "touches is missing instead of counting as 0%, and the total looks better "
                "than it is.",
                snippet,
                path,
            )
        )
    omitted = _omitted_packages(coverage.omit, facts.sources)
    if omitted:
        pattern, files = omitted
        findings.append(
            _finding(
                "coverage-omit-package",
                "settings",
                "medium",
                f"`omit = {pattern}` leaves {files} of {len(facts.sources.files)} source files "
                "out of the total",
                [Evidence(shown, coverage.line("omit"), pattern)],
                "Omitting whole packages raises the percentage without a test being written; "
                "the gaps are still there.",
                "Remove the pattern from `omit`, or narrow it to generated files.",
                coverage.path,
            )
        )
    if coverage.exclude_replaced and not coverage.pragma_excluded:
        path, snippet = coverage_fix(
            coverage, "report", [("exclude_also", list(coverage.exclude_lines))]
        )
        findings.append(
            _finding(
                "coverage-exclude-replaced",
                "settings",
                "low",
                "`exclude_lines` replaces coverage.py's default: "
                "`# pragma: no cover` no longer works",
                [Evidence(shown, coverage.line("exclude_lines", "report"), "exclude_lines")],
                "Setting exclude_lines drops the default pattern; exclude_also adds to it.",
                snippet,
                path,
            )
        )
    return findings


def _omitted_packages(omit: Sequence[str], sources: SourceFacts) -> tuple[str, int] | None:
    """The first omit pattern that leaves out a quarter or more of the source files."""
    if not sources.files:
        return None
    for pattern in omit:
        files = sum(
            fnmatch(path, pattern)
            or fnmatch(path, pattern.lstrip("*/"))
            or fnmatch("/" + path, pattern)
            for path in sources.files
        )
        if files and files * 4 >= len(sources.files):
            return pattern, files
    return None


def _target_findings(facts: AuditFacts, gates: Sequence[tuple[float, Evidence]]) -> list[Finding]:
    total = facts.total
    if total is None:
        return []
    findings: list[Finding] = []
    coverage = facts.coverage
    if total < facts.target:
        gap = facts.target - total
        points = round(AREAS["target"][1] * gap / facts.target, 1)
        findings.append(
            _finding(
                "coverage-below-target",
                "target",
                "high" if gap > 20 else "medium" if gap > 5 else "low",
                f"total {_pct(total)} is {gap:.1f} points below the {facts.target:g}% target",
                [Evidence(coverage.path or "pyproject.toml", None, f"target {facts.target:g}%")],
                "The plan's phases list the functions whose tests close this gap, in order.",
                "Follow the plan's phases (plan.md).",
                None,
                points=points,
            )
        )
    configured = coverage.fail_under
    if configured > 0:
        where = Evidence(
            coverage.path or "",
            coverage.line("fail_under", "report"),
            f"fail_under = {configured:g}",
        )
        if configured > total + 1e-9:
            path, snippet = coverage_fix(coverage, "report", [("fail_under", math.floor(total))])
            findings.append(
                _finding(
                    "coverage-fail-under-above-total",
                    "settings",
                    "high",
                    f"fail_under = {configured:g} is above the total {_pct(total)}: every "
                    "coverage report fails",
                    [where],
                    "A gate that always fails gets ignored or switched off.",
                    snippet,
                    path,
                )
            )
        elif configured < total - STALE_GATE:
            floor = facts.next_milestone if facts.next_milestone else math.floor(total)
            path, snippet = coverage_fix(coverage, "report", [("fail_under", math.floor(total))])
            findings.append(
                _finding(
                    "coverage-fail-under-stale",
                    "settings",
                    "low",
                    f"fail_under = {configured:g} is {total - configured:.1f} points below the "
                    f"total {_pct(total)}",
                    [where],
                    "Coverage can fall back that far without anyone noticing; raise the gate to "
                    f"the total (a ratchet), and to {floor:g} when the plan's next phase is done.",
                    snippet,
                    path,
                )
            )
    return findings


# --- CI -----------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _analyzed(command: str, pipefail: bool) -> ScriptFacts:
    return analyze_script(command, pipefail=pipefail)


def _script(step: CiStep) -> ScriptFacts | None:
    """What the step's shell text does (None for a step that runs no command)."""
    return _analyzed(step.command, step.pipefail) if step.command else None


def _ci_test_runs(ci: CiConfig) -> Iterable[tuple[CiJob, CiStep, TestRun]]:
    for job in ci.jobs:
        for step in job.steps:
            script = _script(step)
            for run in script.test_runs if script else ():
                yield job, step, run


#: CI problems of a file covgap stopped reading: too large, too deep, too many aliased entries.
_TOO_MUCH = ("too large", "too deeply nested", "too complex")
#: CI problems that mean a file cannot be used at all.
_BROKEN = (
    "broken ",
    "cannot be read",
    "not a workflow",
    "not a GitLab CI file",
    "the tox configuration is not a table",
    "not a regular file",
    *_TOO_MUCH,
)
#: CI problems that mean part of the configuration lives where covgap does not look.
_UNFOLLOWED = ("is not read", "not defined in the files read", "points to nothing", "not found")
#: Test runners whose command says nothing of how the tests are run (coverage or not).
_OPAQUE = frozenset({"make", "script", "pixi run", "hatch run", "hatch test"})
_VERSION = re.compile(r"^(?:\d+\.\d+|pypy)")


def _may_fail_kind(why: str) -> str:
    """The way a failure is hidden, in a word or two (``| jq …`` → ``a pipe``)."""
    if why.startswith("| "):
        return "a pipe without pipefail"
    if why.startswith("- "):
        return "tox's `-` prefix"
    return why.split(":")[0] if why.startswith(("continue-on-error", "allow_failure")) else why


def _may_fail_fix(why: str) -> str:
    """The change that makes a step's failure fail the build, for each way it is hidden."""
    if why.startswith("| "):
        return (
            "Make the pipeline fail when its first command fails: `set -o pipefail` before "
            "it, or `shell: bash` on the step (GitHub runs that with pipefail)."
        )
    if why.startswith("- "):
        return "Remove the leading `-` before the command (tox ignores its exit status)."
    if why.startswith("continue-on-error"):
        return (
            "Remove `continue-on-error` (or set it to false); if the step is known to fail, fix it."
        )
    if why.startswith(("allow_failure", "when: manual")):
        return "Remove `allow_failure: true`; if the job is known to fail, fix it."
    if why.startswith("after_script"):
        return "Move the command from `after_script` to `script`, whose failures fail the job."
    return f"Remove {code(why)}; if the step is known to fail, fix it or delete it."


def _ci_findings(
    facts: AuditFacts,
) -> tuple[list[Finding], list[tuple[float, Evidence]], CiFacts, list[str]]:
    ci, coverage = facts.ci, facts.coverage
    findings: list[Finding] = []
    notes: list[str] = []
    gates: list[tuple[float, Evidence]] = []
    test_runs: list[tuple[str, str]] = []
    measured_at: list[Evidence] = [
        Evidence(path, line, text) for path, line, text in facts.coverage_mentions[:1]
    ]
    measured = bool(facts.coverage_mentions)
    published = facts.coverage_summary or any(
        job.coverage_regex or _coverage_report(job.reports) for job in ci.jobs
    )
    opaque = False
    versions: set[str] = set()
    # Steps whose failure does not fail the build: those that run tests, and the others.
    masked: dict[bool, list[tuple[CiJob, CiStep]]] = {True: [], False: []}
    broken = [p for p in ci.problems if p.message.startswith(_BROKEN)]
    # Includes, templates and components covgap does not follow: what they run is unknown, so
    # "no tests" / "no coverage" / "no gate" cannot be claimed.
    unfollowed = [p for p in ci.problems if any(word in p.message for word in _UNFOLLOWED)]
    by_file: dict[str, list[CiProblem]] = {}
    for problem in broken:
        by_file.setdefault(problem.where.path, []).append(problem)
    for path, problems in by_file.items():
        too_much = problems[0].message.startswith(_TOO_MUCH)
        findings.append(
            _finding(
                "ci-file-broken",
                "ci",
                "high",
                f"{path} cannot be read: {problems[0].message}",
                [Evidence(p.where.path, p.where.line, p.message) for p in problems[:5]],
                "covgap stops reading a CI file past 1 MB, 100 levels of nesting or 100,000 "
                "entries once its anchors and merge keys are expanded (a few lines of anchors "
                "that each merge the previous one twice make billions); CI services refuse "
                "such files too (GitLab caps the size and depth once expanded)."
                if too_much
                else "The CI service refuses a file it cannot parse: none of its jobs run.",
                "Write the jobs out, or share their steps with fewer levels of anchors."
                if too_much
                else "Fix the file at the line shown.",
                path,
            )
        )
    for job in ci.jobs:
        versions.update(v for v in job.python_versions if _VERSION.match(v))
        for step in job.steps:
            if _publishes(step):
                published = True
            if step.may_fail and step.may_fail_where is not None:
                script = _script(step)
                masked[bool(script and script.test_runs)].append((job, step))
            script = _script(step)
            if script is None:
                continue
            published = published or bool(script.uploads)
            for run in script.test_runs:
                line = step.line_of(run.offset_line)
                test_runs.append((f"{step.where.path}:{line}", run.text))
                opaque = opaque or run.runner in _OPAQUE or "{env:" in run.text
                if run.measures_coverage and not any(
                    e.path == step.where.path for e in measured_at
                ):
                    measured_at.insert(0, Evidence(step.where.path, line, run.text))
                measured = measured or run.measures_coverage
                if run.gate is not None:
                    gates.append((run.gate, Evidence(step.where.path, line, run.text)))
            for gate in script.gates:
                if gate.threshold is not None and gate.kind == "total":
                    line = step.line_of(gate.offset_line)
                    gates.append((gate.threshold, Evidence(step.where.path, line, gate.text)))
                    measured = True
    for runs_tests, steps in masked.items():
        if not steps:
            continue
        kinds = sorted({_may_fail_kind(step.may_fail or "") for _, step in steps})
        first_job, first = steps[0]
        label = (
            f"{first_job.name}: step {_step_label(first)}"
            if len(steps) == 1
            else f"{len(steps)} {'test ' if runs_tests else ''}steps"
        )
        findings.append(
            _finding(
                "ci-step-may-fail",
                "ci",
                "high" if runs_tests else "medium",
                f"{label} may fail without failing the build ({', '.join(kinds)})",
                [
                    Evidence(
                        step.may_fail_where.path,
                        step.may_fail_where.line,
                        f"{job.name}: {step.may_fail}",
                    )
                    for job, step in steps[:10]
                    if step.may_fail_where is not None
                ],
                "A failure there is shown green: "
                + ("failing tests pass the build." if runs_tests else "nobody looks at it."),
                "\n".join(dict.fromkeys(_may_fail_fix(step.may_fail or "") for _, step in steps)),
                first.may_fail_where.path if first.may_fail_where else None,
            )
        )
    if measured and coverage.fail_under > 0:
        gates.append(
            (
                coverage.fail_under,
                Evidence(coverage.path or "", coverage.line("fail_under", "report"), "fail_under"),
            )
        )
    if not ci.jobs and not ci.problems:
        findings.append(
            _finding(
                "ci-none",
                "ci",
                "medium" if facts.other_ci else "high",
                "no CI workflow runs the tests"
                + (
                    f" that covgap can read ({', '.join(facts.other_ci)} not read)"
                    if facts.other_ci
                    else ""
                ),
                [Evidence(".github/workflows", None, "no workflow")],
                "Tests that only run on a developer's machine stop guarding the code the day "
                "someone forgets to run them.",
                _workflow_snippet(facts),
                ".github/workflows/tests.yml",
            )
        )
    elif ci.jobs and not test_runs and not unfollowed:
        findings.append(
            _finding(
                "ci-no-tests",
                "ci",
                "high",
                "no CI step runs the tests",
                [Evidence(job.where.path, job.where.line, job.name) for job in ci.jobs[:5]],
                "CI builds and lints, but a change that breaks behaviour passes.",
                _workflow_snippet(facts),
                ".github/workflows/tests.yml",
            )
        )
    elif test_runs and not measured and not opaque and not unfollowed:
        findings.append(
            _finding(
                "ci-no-coverage",
                "ci",
                "medium",
                "the tests run without coverage in "
                + ", ".join(sorted({where.rpartition(":")[0] for where, _ in test_runs})),
                [Evidence(*_split_where(test_runs[0][0]), test_runs[0][1])],
                "Coverage measured only on laptops drifts: nobody sees a drop until the next "
                "hand-written plan.",
                "covgap run --format json   # or: pytest --cov=PKG --cov-branch",
                _split_where(test_runs[0][0])[0],
            )
        )
    elif measured and not gates and not unfollowed and measured_at:
        threshold = math.floor(facts.total) if facts.total is not None else None
        findings.append(
            _finding(
                "ci-no-gate",
                "ci",
                "high",
                "coverage is measured in CI but no threshold fails the build",
                measured_at[:1],
                "Without a gate, coverage falls a little with every change and nothing stops it.",
                f"coverage report --fail-under={threshold if threshold is not None else 'TOTAL'}"
                "   # after the tests; or pytest --cov-fail-under=…",
                measured_at[0].path,
            )
        )
    if unfollowed:
        notes.append(
            f"CI: {len(unfollowed)} include{'s' if len(unfollowed) != 1 else ''}, template"
            "s or references not followed (remote or missing); what they run is not known, "
            "so no finding says CI lacks tests, coverage or a gate"
        )
    if gates and facts.total is not None:
        lowest, where = min(gates, key=lambda item: item[0])
        if lowest > facts.total + 1e-9:
            findings.append(
                _finding(
                    "ci-gate-above-total",
                    "ci",
                    "high",
                    f"the CI gate {lowest:g}% is above the total {_pct(facts.total)}: "
                    "the build fails",
                    [where],
                    "A gate that fails on every run gets switched off.",
                    f"Lower it to {math.floor(facts.total)} and raise it with each phase of "
                    "the plan.",
                    where.path,
                )
            )
        elif lowest < facts.total - STALE_GATE:
            step_to = facts.next_milestone
            findings.append(
                _finding(
                    "ci-gate-stale",
                    "ci",
                    "low",
                    f"the CI gate {lowest:g}% is {facts.total - lowest:.1f} points below the total "
                    f"{_pct(facts.total)}",
                    [where],
                    "Coverage can fall that far before the build says a word. Set the gate to "
                    "the total (a ratchet)"
                    + (
                        f", then to {step_to:g} when the plan's next phase is done."
                        if step_to
                        else "."
                    ),
                    where.text.replace(f"{lowest:g}", str(math.floor(facts.total)), 1)
                    if f"{lowest:g}" in where.text
                    else f"--fail-under={math.floor(facts.total)}",
                    where.path,
                )
            )
    untimed = [
        job
        for job in ci.jobs
        if job.system == "github"
        and job.timeout_minutes is None
        and any((script := _script(step)) and script.test_runs for step in job.steps)
    ]
    if untimed:
        names = ", ".join(job.name for job in untimed)
        findings.append(
            _finding(
                "ci-no-timeout",
                "ci",
                "low",
                f"{len(untimed)} job{'s' if len(untimed) != 1 else ''} running tests "
                f"{'have' if len(untimed) != 1 else 'has'} no timeout-minutes ({names}; "
                "GitHub's default is 6 hours)",
                [Evidence(job.where.path, job.where.line, job.name) for job in untimed],
                "A hanging test holds a runner for six hours before anyone is told.",
                "\n".join(
                    f"# {job.where.path}\n  {job.name}:\n    timeout-minutes: 30"
                    for job in untimed[:5]
                ),
                untimed[0].where.path,
            )
        )
    supported = _supported_versions(facts.requires_python)
    testing = [
        job
        for job in ci.jobs
        if job.python_versions
        and any((script := _script(step)) and script.test_runs for step in job.steps)
    ]
    tested = {v for job in testing for v in job.python_versions if _VERSION.match(v)}
    if len(tested) == 1 and len(supported) > 1:
        first_job = testing[0]
        findings.append(
            _finding(
                "ci-single-python",
                "ci",
                "low",
                f"CI tests one Python ({next(iter(tested))}) while requires-python "
                f"{facts.requires_python} allows {', '.join(supported)}",
                [Evidence(first_job.where.path, first_job.where.line, next(iter(tested)))],
                "Code that breaks on the oldest or newest version you claim to support ships "
                "unnoticed.",
                "strategy:\n  matrix:\n    python-version: ["
                + ", ".join(f'"{v}"' for v in supported)
                + "]",
                first_job.where.path,
            )
        )
    services = [
        job
        for job in ci.jobs
        if job.system in {"github", "gitlab"}
        and any((script := _script(step)) and script.test_runs for step in job.steps)
    ]
    if services and not any(job.caches for job in ci.jobs if job.system in {"github", "gitlab"}):
        findings.append(
            _finding(
                "ci-no-cache",
                "ci",
                "low",
                "CI installs the dependencies from scratch on every run (no cache)",
                [Evidence(services[0].where.path, services[0].where.line, services[0].name)],
                "Minutes per run spent downloading the same packages; slow CI gets run less.",
                "- uses: actions/setup-python@v5\n  with:\n"
                '    python-version: "3.12"\n    cache: pip',
                services[0].where.path,
            )
        )
    if measured and not published and not unfollowed and measured_at:
        findings.append(
            _finding(
                "ci-coverage-unreported",
                "ci",
                "info",
                "coverage is measured in CI but not published or commented on pull requests",
                measured_at[:1],
                "Reviewers cannot see what a change left untested.",
                "- uses: actions/upload-artifact@v4\n  with:\n"
                "    name: coverage\n    path: covgap-report/",
                None,
            )
        )
    summary = CiFacts(
        files=ci.files,
        jobs=len(ci.jobs),
        test_runs=tuple(test_runs),
        gates=tuple(sorted({gate for gate, _ in gates})),
        python_versions=tuple(sorted(versions)),
    )
    return findings, gates, summary, notes


def _publishes(step: CiStep) -> bool:
    """Whether a step shows coverage to reviewers: a coverage service or comment action, an
    uploaded coverage artifact, or a report written to the job summary."""
    uses = step.uses.lower()
    if any(uses.startswith(name) for name in COVERAGE_PUBLISHERS) or any(
        word in uses.split("@")[0] for word in ("codecov", "coveralls", "coverage-comment")
    ):
        return True
    if uses.startswith("actions/upload-artifact"):
        inputs = " ".join(value for _, value in step.inputs).lower()
        return "cov" in inputs
    command = step.command
    return "GITHUB_STEP_SUMMARY" in command and ("coverage" in command or "covgap" in command)


def _coverage_report(reports: Sequence[str]) -> bool:
    """GitLab's ``artifacts:reports`` names a coverage report (shown in merge requests)."""
    return any("coverage" in report for report in reports)


def _step_label(step: CiStep) -> str:
    if step.name:
        return repr(step.name)
    if step.command:
        return repr(step.command.strip().splitlines()[0][:60])
    return repr(step.uses)


def _split_where(text: str) -> tuple[str, int | None]:
    path, _, line = text.rpartition(":")
    return (path, int(line)) if line.isdigit() else (text, None)


def _supported_versions(requires: str | None) -> list[str]:
    """The CPython 3.x versions from 3.9 to 3.14 that ``requires-python`` allows."""
    if not requires:
        return []
    try:
        from packaging.specifiers import SpecifierSet
    except ImportError:  # pragma: no cover - packaging comes with pytest
        return []
    try:
        spec = SpecifierSet(requires)
    except ValueError:
        return []
    return [f"3.{minor}" for minor in range(9, 15) if spec.contains(f"3.{minor}.0")]


def _workflow_snippet(facts: AuditFacts) -> str:
    versions = _supported_versions(facts.requires_python) or ["3.12"]
    return (
        "name: tests\non: [push, pull_request]\njobs:\n  tests:\n    runs-on: ubuntu-latest\n"
        "    timeout-minutes: 30\n    strategy:\n      matrix:\n        python-version: ["
        + ", ".join(f'"{v}"' for v in versions)
        + "]\n    steps:\n      - uses: actions/checkout@v4\n"
        "      - uses: actions/setup-python@v5\n        with:\n"
        "          python-version: ${{ matrix.python-version }}\n          cache: pip\n"
        "      - run: pip install -e . covgap pytest\n      - run: covgap run\n"
    )


# --- health and docs ---------------------------------------------------------------------------


def _health_findings(health: SuiteHealth | None) -> list[Finding]:
    if health is None:
        return []
    findings: list[Finding] = []
    if health.stopped:
        findings.append(
            _finding(
                "health-stopped",
                "health",
                "high",
                f"the suite did not finish: {health.stopped}",
                [Evidence(".covgap/run/pytest.log", None, health.stopped)],
                "Whatever ran after the stop is not measured and its failures are not known.",
                "Fix the test named, or give it a per-test timeout.",
            )
        )
    for group in health.groups:
        tests = group.tests
        findings.append(
            _finding(
                "health-failures",
                "health",
                "high",
                f"{len(tests)} test{'s' if len(tests) != 1 else ''} fail: {group.cause}",
                [
                    Evidence(t.nodeid.split("::")[0], None, f"{t.nodeid}: {t.message}")
                    for t in tests[:5]
                ],
                "Failing tests stop measuring what they cover, and teach everyone to ignore red.",
                group.advice,
            )
        )
    slow = [test for test in health.slowest(10) if test.duration >= SLOW_TEST]
    if slow:
        findings.append(
            _finding(
                "health-slow",
                "health",
                "low",
                f"{len(slow)} test{'s' if len(slow) != 1 else ''} take {SLOW_TEST:g} s or more",
                [
                    Evidence(t.nodeid.split("::")[0], None, f"{t.nodeid}: {t.duration:.1f} s")
                    for t in slow
                ],
                "Slow tests get skipped locally; mark them (`@pytest.mark.slow`) or make them "
                "fast.",
                "",
            )
        )
    return findings


def _install_command(facts: AuditFacts) -> str:
    """How to install the project with its test dependencies, from where they are kept."""
    home = facts.dependencies.home
    if home is None:
        return "pip install -e . pytest"
    path, where = home
    table, _, group = where.rpartition(".")
    if path != "pyproject.toml":
        return f"pip install -e . -r {path}"
    if table == "project.optional-dependencies":
        return f"pip install -e .[{group}]"
    if table == "dependency-groups":
        return f"pip install -e . --group {group}"
    return "pip install -e . pytest"


def _docs_findings(facts: AuditFacts) -> list[Finding]:
    docs = facts.docs
    findings: list[Finding] = []
    if docs.test_instructions is None:
        findings.append(
            _finding(
                "docs-no-test-instructions",
                "docs",
                "medium",
                "no README or CONTRIBUTING file says how to run the tests",
                [Evidence(path, None, "no test command") for path in docs.files[:3]]
                or [Evidence("README.md", None, "missing")],
                "A new contributor cannot run the suite before sending a change.",
                "## Running the tests\n\n```\n" + _install_command(facts) + "\npytest\n```",
                "CONTRIBUTING.md",
            )
        )
    if docs.contributing is None:
        findings.append(
            _finding(
                "docs-no-contributing",
                "docs",
                "low",
                "no CONTRIBUTING file",
                [Evidence("CONTRIBUTING.md", None, "missing")],
                "Where tests go, how to run them and what coverage a change needs are "
                "nowhere written down.",
                "# Contributing\n\n## Tests\n\nNew code comes with tests; run them with `pytest`.",
                "CONTRIBUTING.md",
            )
        )
    return findings


# --- the whole audit -----------------------------------------------------------------------------


def _inventory_facts(inventory: TestInventory, config: PytestConfig) -> InventoryFacts:
    modules = inventory.modules
    categories: Counter[str] = Counter()
    for module in modules:
        for item in module.items:
            categories[_category(module.categories, item)] += item.cases or 1
    return InventoryFacts(
        test_files=len(modules),
        test_functions=sum(len(m.items) for m in modules),
        tests=sum(item.cases or 1 for m in modules for item in m.items),
        unknown_cases=sum(item.cases is None for m in modules for item in m.items),
        test_classes=sum(m.classes for m in modules),
        fixtures=len(inventory.fixtures),
        categories=tuple(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))),
        markers_used=tuple(sorted({use.name for use in inventory.markers})),
        markers_declared=tuple(sorted({_marker_name(line) for line in _marker_lines(config)})),
        empty_folders=tuple(inventory.empty_folders),
        uncollected=tuple(item.path for item in inventory.uncollected),
        no_project_import=tuple(
            m.path for m in modules if m.items and not m.error and not m.imports_project
        ),
        unparsable=tuple(m.path for m in modules if m.error),
    )


def _category(module_categories: Sequence[str], item: object) -> str:
    return module_categories[0] if module_categories else "uncategorized"


def audit(facts: AuditFacts) -> AuditResult:
    """Every finding, and the score by area."""
    findings: list[Finding] = []
    findings += _suite_findings(facts)
    suite_notes = (
        ["some markers are registered at run time under computed names: undeclared markers "
         "are not checked"]
        if facts.dynamic_markers
        else []
    )  # fmt: skip
    ci_findings, gates, ci_summary, ci_notes = _ci_findings(facts)
    findings += ci_findings
    findings += _settings_findings(facts)
    findings += _target_findings(facts, gates)
    findings += _health_findings(facts.health)
    findings += _docs_findings(facts)
    order = {"high": 0, "medium": 1, "low": 2, "info": 3}
    findings.sort(key=lambda f: (order[f.severity], list(AREAS).index(f.area), f.rule))
    unmeasured: dict[AuditArea, str] = {}
    if facts.total is None:
        unmeasured["target"] = "no coverage data"
    if facts.health is None:
        unmeasured["health"] = facts.health_missing
    areas = []
    for area, (label, possible) in AREAS.items():
        if area in unmeasured:
            areas.append(AreaScore(area, label, 0.0, 0.0, unmeasured[area]))
            continue
        lost = sum(f.points for f in findings if f.area == area)
        areas.append(AreaScore(area, label, round(max(0.0, possible - lost), 1), possible))
    return AuditResult(
        findings=tuple(findings),
        areas=tuple(areas),
        inventory=_inventory_facts(facts.inventory, facts.pytest),
        ci=ci_summary,
        notes=(
            *(f"{p.path}: {p.message}" for p in facts.problems),
            *ci_notes,
            *suite_notes,
            *([f"suite health from {facts.health_source}"] if facts.health_source else []),
        ),
    )
