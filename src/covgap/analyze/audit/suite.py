"""The suite's organisation: its test files, markers, fixtures, an unreadable pyproject.toml."""

from __future__ import annotations

import re
from collections.abc import Sequence

from covgap.analyze.audit.ci_steps import _ci_test_runs
from covgap.analyze.audit.rules import _finding
from covgap.analyze.audit.suite_dependencies import _dependency_findings
from covgap.analyze.audit.suite_pytest import _pytest_settings_findings
from covgap.analyze.fixes import coverage_fix, pytest_fix, pytest_fix_path
from covgap.collect.project.audit_inputs import AuditFacts
from covgap.collect.project.project_config import DevDependencies, PytestConfig, normalize_name
from covgap.model import Evidence, Finding

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
