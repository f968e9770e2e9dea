"""The audit's rules on repositories made for each: a clean repository with no finding, and for
every rule a copy with one thing wrong, where that rule fires with the right file and line.

Everything is real: the files are written to ``tmp_path`` and read by covgap's readers (pytest
and coverage settings, the test files' AST, PyYAML for the workflow).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from covgap.analyze.audit import AREAS, POINTS, audit
from covgap.analyze.audit.rules import RULES
from covgap.collect.project.audit_inputs import read_audit_facts
from covgap.model import AuditResult, Finding, SuiteHealth, TestOutcome

PYPROJECT = """\
[project]
name = "shop"
version = "1.0"
requires-python = ">=3.12"

[project.optional-dependencies]
test = [
    "pytest>=8",
    "pytest-asyncio>=0.23",
    "pytest-timeout>=2",
    "pytest-randomly>=3",
    "pytest-xdist>=3",
    "responses>=0.25",
]

[tool.pytest.ini_options]
addopts = ["-ra", "--strict-markers", "--strict-config"]
testpaths = ["tests"]
xfail_strict = true
timeout = "300"
filterwarnings = ["error"]
markers = [
    "slow: takes long",
]

[tool.coverage.run]
branch = true
source = ["shop"]

[tool.coverage.report]
fail_under = 60
"""

WORKFLOW = """\
name: tests
on: [push, pull_request]
jobs:
  tests:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    strategy:
      matrix:
        python-version: ["3.12", "3.13"]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python-version }}
          cache: pip
      - run: pip install -e .[test]
      - run: pytest --cov=shop --cov-branch --cov-fail-under=60
      - uses: codecov/codecov-action@v4
"""

SOURCE = {
    "shop/__init__.py": "",
    "shop/orders.py": "import requests\n\n\ndef total(items):\n    return sum(items)\n",
    "shop/payments.py": "async def charge(amount):\n    return amount\n",
    "shop/util.py": "def clamp(x):\n    return max(0, x)\n",
}

TESTS = {
    "tests/__init__.py": "",
    "tests/conftest.py": ("import pytest\n\n\n@pytest.fixture\ndef items():\n    return [1, 2]\n"),
    "tests/test_orders.py": (
        "import pytest\nfrom shop.orders import total\n\n\n@pytest.mark.slow\n"
        "def test_total(items):\n    assert total(items) == 3\n"
    ),
    "tests/test_payments.py": (
        "import pytest\nfrom shop.payments import charge\n\n\n@pytest.mark.asyncio\n"
        "async def test_charge():\n    assert await charge(1) == 1\n"
    ),
}

CONTRIBUTING = "# Contributing\n\nRun the tests:\n\n    pytest\n"


def make_repo(root: Path, changes: dict[str, str | None] | None = None) -> Path:
    """The clean repository, with ``changes`` (path → new text, or None to delete)."""
    files: dict[str, str | None] = {
        "pyproject.toml": PYPROJECT,
        ".github/workflows/tests.yml": WORKFLOW,
        "CONTRIBUTING.md": CONTRIBUTING,
        **SOURCE,
        **TESTS,
        **(changes or {}),
    }
    for name, text in files.items():
        if text is None:
            continue
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run_audit(root: Path, **extra: object) -> AuditResult:
    facts = read_audit_facts(root.resolve(), target=80.0, **extra)  # type: ignore[arg-type]
    return audit(facts)


def rules(result: AuditResult) -> set[str]:
    return {finding.rule for finding in result.findings}


def only(result: AuditResult, rule: str) -> Finding:
    found = [finding for finding in result.findings if finding.rule == rule]
    assert len(found) == 1, [f.rule for f in result.findings]
    return found[0]


def test_clean_repository_has_no_findings(tmp_path: Path) -> None:
    result = run_audit(make_repo(tmp_path))
    assert [f"{f.rule}: {f.title}" for f in result.findings] == []
    assert result.earned == result.possible == 20 + 20 + 10 + 10
    assert {area.area for area in result.areas if area.possible == 0} == {"target", "health"}
    assert result.inventory is not None
    assert (result.inventory.test_files, result.inventory.tests) == (2, 2)
    assert result.ci is not None and result.ci.gates == (60.0,)


def replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


# Each case: the rule, the changes that break the clean repository, and the expected evidence
# (path, line) of the finding's first piece of evidence (line None: a file-level finding).
CASES: list[tuple[str, dict[str, str | None], tuple[str, int | None]]] = [
    (
        "pytest-strict-markers",
        {"pyproject.toml": replace(PYPROJECT, '"--strict-markers", ', "")},
        ("pyproject.toml", line_of(PYPROJECT, "addopts")),
    ),
    (
        "pytest-strict-config",
        {"pyproject.toml": replace(PYPROJECT, ', "--strict-config"', "")},
        ("pyproject.toml", line_of(PYPROJECT, "addopts")),
    ),
    (
        "pytest-xfail-strict",
        {"pyproject.toml": replace(PYPROJECT, "xfail_strict = true\n", "")},
        ("pyproject.toml", line_of(PYPROJECT, "[tool.pytest.ini_options]")),
    ),
    (
        "pytest-warnings-not-errors",
        {"pyproject.toml": replace(PYPROJECT, 'filterwarnings = ["error"]\n', "")},
        ("pyproject.toml", line_of(PYPROJECT, "[tool.pytest.ini_options]")),
    ),
    (
        "pytest-no-timeout",
        {"pyproject.toml": replace(PYPROJECT, 'timeout = "300"\n', "")},
        ("pyproject.toml", line_of(PYPROJECT, "[tool.pytest.ini_options]")),
    ),
    (
        "pytest-maxfail",
        {"pyproject.toml": replace(PYPROJECT, '"-ra", ', '"-ra", "--maxfail=1", ')},
        ("pyproject.toml", line_of(PYPROJECT, "addopts")),
    ),
    (
        "pytest-fixed-order",
        {"pyproject.toml": replace(PYPROJECT, '    "pytest-randomly>=3",\n', "")},
        ("pyproject.toml", None),
    ),
    (
        "pytest-config-broken",
        {"pyproject.toml": replace(PYPROJECT, "xfail_strict = true", "xfail_strict = = true")},
        ("pyproject.toml", line_of(PYPROJECT, "xfail_strict")),
    ),
    (
        "project-config-broken",
        {"pyproject.toml": replace(PYPROJECT, 'version = "1.0"', 'version = = "1.0"')},
        ("pyproject.toml", line_of(PYPROJECT, "version =")),
    ),
    (
        "markers-undeclared",
        {"tests/test_orders.py": replace(TESTS["tests/test_orders.py"], "mark.slow", "mark.slwo")},
        ("tests/test_orders.py", 5),
    ),
    (
        "deps-async-runner",
        {"pyproject.toml": replace(PYPROJECT, '    "pytest-asyncio>=0.23",\n', "")},
        ("tests/test_payments.py", 6),
    ),
    (
        "deps-http-fake",
        {"pyproject.toml": replace(PYPROJECT, '    "responses>=0.25",\n', "")},
        ("shop/orders.py", 1),
    ),
    (
        "suite-unparsable",
        {"tests/test_util.py": "def test_clamp(:\n    pass\n"},
        ("tests/test_util.py", 1),
    ),
    (
        "suite-uncollected",
        {
            "tests/check_util.py": (
                "from shop.util import clamp\n\n\ndef test_clamp():\n    assert clamp(-1) == 0\n"
            )
        },
        ("tests/check_util.py", None),
    ),
    (
        "suite-outside-testpaths",
        {"bench/test_speed.py": "def test_speed():\n    assert True\n"},
        ("bench/test_speed.py", None),
    ),
    (
        "suite-no-project-import",
        {
            "tests/e2e/__init__.py": "",
            "tests/e2e/test_api.py": (
                "import urllib.request\n\n\ndef test_health():\n"
                "    urllib.request.urlopen('http://localhost:8000/health')\n"
            ),
        },
        ("tests/e2e/test_api.py", 5),
    ),
    (
        "fixtures-unused",
        {
            "tests/conftest.py": TESTS["tests/conftest.py"]
            + "\n\n@pytest.fixture\ndef nobody():\n    return 1\n"
        },
        ("tests/conftest.py", 10),
    ),
    (
        "coverage-branch-off",
        {
            "pyproject.toml": replace(PYPROJECT, "branch = true\n", ""),
            ".github/workflows/tests.yml": replace(WORKFLOW, " --cov-branch", ""),
        },
        ("pyproject.toml", line_of(PYPROJECT, "[tool.coverage.run]")),
    ),
    (
        "coverage-no-source",
        {
            "pyproject.toml": replace(PYPROJECT, 'source = ["shop"]\n', ""),
            ".github/workflows/tests.yml": replace(WORKFLOW, "--cov=shop", "--cov"),
        },
        ("pyproject.toml", line_of(PYPROJECT, "[tool.coverage.run]")),
    ),
    (
        "coverage-omit-package",
        {
            "pyproject.toml": replace(
                PYPROJECT, 'source = ["shop"]\n', 'source = ["shop"]\nomit = ["shop/*"]\n'
            )
        },
        ("pyproject.toml", line_of(PYPROJECT, 'source = ["shop"]') + 1),
    ),
    (
        "coverage-exclude-replaced",
        {"pyproject.toml": PYPROJECT + 'exclude_lines = ["if DEBUG:"]\n'},
        ("pyproject.toml", len(PYPROJECT.splitlines()) + 1),
    ),
    (
        "ci-no-gate",
        {
            ".github/workflows/tests.yml": replace(WORKFLOW, " --cov-fail-under=60", ""),
            "pyproject.toml": replace(PYPROJECT, "fail_under = 60\n", ""),
        },
        (".github/workflows/tests.yml", line_of(WORKFLOW, "pytest --cov")),
    ),
    (
        "ci-no-coverage",
        {
            ".github/workflows/tests.yml": replace(
                WORKFLOW, " --cov=shop --cov-branch --cov-fail-under=60", ""
            )
        },
        (".github/workflows/tests.yml", line_of(WORKFLOW, "- run: pytest")),
    ),
    (
        "ci-no-tests",
        {
            ".github/workflows/tests.yml": replace(
                WORKFLOW, "pytest --cov=shop --cov-branch --cov-fail-under=60", "ruff check ."
            )
        },
        (".github/workflows/tests.yml", line_of(WORKFLOW, "  tests:")),
    ),
    (
        "ci-none",
        {".github/workflows/tests.yml": None},
        (".github/workflows", None),
    ),
    (
        "ci-step-may-fail",
        {
            ".github/workflows/tests.yml": replace(
                WORKFLOW, "--cov-fail-under=60", "--cov-fail-under=60 || true"
            )
        },
        (".github/workflows/tests.yml", line_of(WORKFLOW, "- run: pytest")),
    ),
    (
        "ci-no-timeout",
        {".github/workflows/tests.yml": replace(WORKFLOW, "    timeout-minutes: 20\n", "")},
        (".github/workflows/tests.yml", line_of(WORKFLOW, "  tests:")),
    ),
    (
        "ci-single-python",
        {".github/workflows/tests.yml": replace(WORKFLOW, '["3.12", "3.13"]', '["3.12"]')},
        (".github/workflows/tests.yml", line_of(WORKFLOW, "  tests:")),
    ),
    (
        "ci-no-cache",
        {".github/workflows/tests.yml": replace(WORKFLOW, "          cache: pip\n", "")},
        (".github/workflows/tests.yml", line_of(WORKFLOW, "  tests:")),
    ),
    (
        "ci-coverage-unreported",
        {
            ".github/workflows/tests.yml": replace(
                WORKFLOW, "      - uses: codecov/codecov-action@v4\n", ""
            )
        },
        (".github/workflows/tests.yml", line_of(WORKFLOW, "- run: pytest")),
    ),
    (
        "ci-file-broken",
        {".github/workflows/tests.yml": WORKFLOW + "\tbad: 1\n"},
        (".github/workflows/tests.yml", len(WORKFLOW.splitlines()) + 1),
    ),
    (
        "docs-no-contributing",
        {"CONTRIBUTING.md": None, "README.md": "# shop\n\nRun `pytest`.\n"},
        ("CONTRIBUTING.md", None),
    ),
    (
        "docs-no-test-instructions",
        {"CONTRIBUTING.md": "# Contributing\n\nBe nice.\n"},
        ("CONTRIBUTING.md", None),
    ),
]


@pytest.mark.parametrize(("rule", "changes", "where"), CASES, ids=[case[0] for case in CASES])
def test_rule_fires_with_file_and_line(
    tmp_path: Path, rule: str, changes: dict[str, str | None], where: tuple[str, int | None]
) -> None:
    result = run_audit(make_repo(tmp_path, changes))
    finding = only(result, rule)
    first = finding.evidence[0]
    assert (first.path, first.line) == where, finding
    assert finding.why and finding.title
    assert finding.points == (POINTS[finding.severity])
    area = next(a for a in result.areas if a.area == finding.area)
    assert area.earned == max(
        0.0, area.possible - sum(f.points for f in result.findings if f.area == finding.area)
    )


def test_every_rule_has_a_case_and_documentation() -> None:
    documented = (Path(__file__).parents[2] / "docs" / "audit.md").read_text()
    package = Path(__file__).parents[2] / "src" / "covgap" / "analyze" / "audit"
    source = "\n".join(path.read_text() for path in sorted(package.glob("*.py")))
    in_code = set(re.findall(r'_finding\(\s*"([a-z-]+)"', source))
    assert in_code, "no rule found in analyze/audit/"
    assert in_code == set(RULES), in_code ^ set(RULES)
    for rule in in_code:
        assert f"`{rule}`" in documented, rule
    tested = {case[0] for case in CASES} | {
        "suite-no-tests",
        "suite-empty-folder",
        "markers-unused",
        "pytest-serial",
        "coverage-config-broken",
        "coverage-fail-under-above-total",
        "coverage-fail-under-stale",
        "coverage-below-target",
        "ci-gate-above-total",
        "ci-gate-stale",
        "health-stopped",
        "health-failures",
        "health-slow",
        "health-flaky",  # tests/report/test_tests_history.py
    }
    assert in_code <= tested, in_code - tested


def test_pytest_cov_flags_set_branch_and_source(tmp_path: Path) -> None:
    """``pytest --cov=shop --cov-branch`` in CI (or tox, or addopts) measures branches of
    ``shop``: no "branch coverage is off" or "no source" although the configuration says
    neither (cachetools' tox.ini)."""
    settings = replace(PYPROJECT, "branch = true\n", "")
    settings = replace(settings, 'source = ["shop"]\n', "")
    found = rules(run_audit(make_repo(tmp_path, {"pyproject.toml": settings})))
    assert not {"coverage-branch-off", "coverage-no-source"} & found


def test_fix_keeps_what_addopts_held(tmp_path: Path) -> None:
    changes = {"pyproject.toml": replace(PYPROJECT, '"--strict-markers", ', "")}
    finding = only(run_audit(make_repo(tmp_path, changes)), "pytest-strict-markers")
    assert finding.fix_path == "pyproject.toml"
    assert finding.fix == (
        '[tool.pytest.ini_options]\naddopts = ["-ra", "--strict-config", "--strict-markers"]'
    )


def test_fix_in_ini_style(tmp_path: Path) -> None:
    changes = {
        "pyproject.toml": PYPROJECT.split("[tool.pytest.ini_options]")[0]
        + PYPROJECT.split("[tool.coverage.run]", 1)[1].join(["[tool.coverage.run]", ""]),
        "pytest.ini": "[pytest]\naddopts = -ra --strict-markers\ntestpaths = tests\n"
        "timeout = 300\nfilterwarnings =\n    error\nmarkers =\n    slow: takes long\n",
    }
    result = run_audit(make_repo(tmp_path, changes))
    finding = only(result, "pytest-xfail-strict")
    assert (finding.fix_path, finding.fix) == ("pytest.ini", "[pytest]\nxfail_strict = true")
    strict = only(result, "pytest-strict-config")
    assert strict.fix == "[pytest]\naddopts = -ra --strict-markers --strict-config"


def test_no_project_import_not_reported_when_subprocesses_are_measured(tmp_path: Path) -> None:
    changes = {
        "tests/e2e/test_api.py": "import urllib.request\n\n\ndef test_health():\n"
        "    urllib.request.urlopen('http://localhost:8000/health')\n",
        "pyproject.toml": replace(
            PYPROJECT, "branch = true\n", 'branch = true\nparallel = true\npatch = ["subprocess"]\n'
        ),
    }
    assert "suite-no-project-import" not in rules(run_audit(make_repo(tmp_path, changes)))


@pytest.mark.parametrize(
    ("fail_under", "total", "rule", "severity"),
    [
        (60, 59.9, "coverage-fail-under-above-total", "high"),
        (60, 60.0, None, None),
        (60, 65.0, None, None),
        (60, 65.1, "coverage-fail-under-stale", "low"),
    ],
)
def test_fail_under_against_the_total(
    tmp_path: Path, fail_under: float, total: float, rule: str | None, severity: str | None
) -> None:
    changes = {
        "pyproject.toml": replace(PYPROJECT, "fail_under = 60", f"fail_under = {fail_under}")
    }
    result = run_audit(make_repo(tmp_path, changes), total=total, next_milestone=70.0)
    found = rules(result) & {"coverage-fail-under-above-total", "coverage-fail-under-stale"}
    assert found == ({rule} if rule else set())
    if rule:
        finding = only(result, rule)
        assert finding.severity == severity
        assert (finding.evidence[0].path, finding.evidence[0].line) == (
            "pyproject.toml",
            line_of(PYPROJECT, "fail_under"),
        )


@pytest.mark.parametrize(
    ("gate", "total", "rule"),
    [
        (60, 59.0, "ci-gate-above-total"),
        (60, 60.0, None),
        (60, 65.0, None),
        (60, 66.0, "ci-gate-stale"),
    ],
)
def test_ci_gate_against_the_total(
    tmp_path: Path, gate: int, total: float, rule: str | None
) -> None:
    result = run_audit(make_repo(tmp_path), total=total, next_milestone=70.0)
    found = rules(result) & {"ci-gate-above-total", "ci-gate-stale"}
    assert found == ({rule} if rule else set())
    if rule:
        finding = only(result, rule)
        assert finding.evidence[0].path in {".github/workflows/tests.yml", "pyproject.toml"}


def test_target_area_costs_the_distance(tmp_path: Path) -> None:
    result = run_audit(make_repo(tmp_path), total=60.0)
    finding = only(result, "coverage-below-target")
    assert finding.points == round(20 * (80 - 60) / 80, 1) == 5.0
    target = next(a for a in result.areas if a.area == "target")
    assert (target.earned, target.possible) == (15.0, 20.0)
    assert finding.severity == "medium"


def outcome(nodeid: str, result: str, duration: float = 0.1, message: str = "") -> TestOutcome:
    return TestOutcome(nodeid, result, duration, message, "call" if result == "failed" else "")  # type: ignore[arg-type]


def test_health_findings(tmp_path: Path) -> None:
    from covgap.analyze.health import assess

    health: SuiteHealth = assess(
        (
            outcome("tests/test_a.py::test_ok", "passed", 6.0),
            outcome("tests/test_a.py::test_bad", "failed", 0.1, "AssertionError: assert 1 == 2"),
        ),
        source="junit-xml",
        stopped="stopped after the --timeout of 60 s",
        running=None,
    )
    result = run_audit(make_repo(tmp_path), health=health)
    assert {"health-failures", "health-slow", "health-stopped"} <= rules(result)
    health_area = next(a for a in result.areas if a.area == "health")
    assert health_area.possible == AREAS["health"][1]
    assert health_area.earned == max(0.0, 20 - 8 - 8 - 2)


def test_empty_repository(tmp_path: Path) -> None:
    """A folder with nothing in it is no Python project (`covgap audit` says so and stops)."""
    assert not read_audit_facts(tmp_path.resolve(), target=80.0).python_project
    (tmp_path / "notes" / "scripts").mkdir(parents=True)
    (tmp_path / "notes" / "scripts" / "tool.py").write_text("print('hi')\n")
    assert read_audit_facts(tmp_path.resolve(), target=80.0).python_project


@pytest.mark.parametrize(
    ("files", "fix_path", "imports"),
    [
        pytest.param(
            {"pyproject.toml": '[project]\nname = "shop"\n', **SOURCE},
            "tests/test_imports.py",
            'PACKAGES = ["shop"]',
            id="package",
        ),
        pytest.param(
            {"pyproject.toml": '[project]\nname = "shop"\n'}, None, None, id="no-code-yet"
        ),
    ],
)
def test_no_tests_first_test_is_a_real_one(
    tmp_path: Path, files: dict[str, str | None], fix_path: str | None, imports: str | None
) -> None:
    """A project without tests is offered a first test that imports its modules, never an
    `assert True`; with no package to import, it is told what to write."""
    for name, text in files.items():
        assert text is not None
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    finding = only(run_audit(tmp_path), "suite-no-tests")
    assert finding.fix_path == fix_path
    assert "assert True" not in finding.fix
    if imports:
        assert imports in finding.fix and "importlib.import_module(module)" in finding.fix
        compile(finding.fix, "test_imports.py", "exec")


def test_broken_coverage_configuration_is_a_finding(tmp_path: Path) -> None:
    result = run_audit(make_repo(tmp_path, {".coveragerc": "[run]\nbranch = maybe\n"}))
    finding = only(result, "coverage-config-broken")
    assert finding.evidence[0].path == ".coveragerc"


def many_tests(count: int) -> dict[str, str | None]:
    """A test module of ``count`` parametrized cases (the clean repository has 2 more)."""
    values = "[" + ", ".join(str(i) for i in range(count)) + "]"
    body = (
        f"import pytest\nfrom shop.util import clamp\n\n\n@pytest.mark.parametrize('x', {values})\n"
    )
    return {"tests/test_util.py": body + "def test_clamp(x):\n    assert clamp(x) == x\n"}


@pytest.mark.parametrize(
    ("count", "title"),
    [
        pytest.param(600, None, id="602-tests-a-few-seconds"),
        # 20 ms a test, estimated: 3000 tests make the minute pytest-xdist is worth
        pytest.param(2990, None, id="2992-tests"),
        pytest.param(3000, "3002 tests run one at a time: about 60 s", id="3002-tests"),
    ],
)
def test_serial_suite_estimated_from_its_tests(
    tmp_path: Path, count: int, title: str | None
) -> None:
    """Without a run, the time is estimated from the number of tests, and parallel workers are
    recommended only for a suite estimated at a minute or more, with the time said."""
    result = run_audit(make_repo(tmp_path, many_tests(count)))
    found = [f for f in result.findings if f.rule == "pytest-serial"]
    assert [f.title.startswith(title) for f in found] == ([True] if title else [])
    if title:
        assert "estimate" in found[0].title and '"-n", "auto"' in found[0].fix


@pytest.mark.parametrize(
    ("tests", "seconds", "title"),
    [
        # the suite: many tests, 3.5 s in all
        pytest.param(700, 0.005, None, id="700-tests-in-3.5s"),
        pytest.param(40, 1.4, None, id="40-tests-in-56s"),
        pytest.param(40, 1.6, "the 40 tests take 64 s one at a time", id="40-tests-in-64s"),
        pytest.param(3000, 0.5, "the 3000 tests take 25 min one at a time", id="25-minutes"),
    ],
)
def test_serial_suite_by_its_measured_time(
    tmp_path: Path, tests: int, seconds: float, title: str | None
) -> None:
    """After a run the suite's measured time decides (the tests' durations, as pytest timed
    them), whatever the number of tests; the finding says the time."""
    from covgap.analyze.health import assess

    health = assess(
        tuple(outcome(f"tests/test_a.py::test_{i}", "passed", seconds) for i in range(tests)),
        source="events",
    )
    result = run_audit(make_repo(tmp_path, many_tests(3000)), health=health)
    found = [f for f in result.findings if f.rule == "pytest-serial"]
    assert [f.title for f in found] == ([title] if title else [])


def test_empty_folder_and_unused_marker(tmp_path: Path) -> None:
    changes: dict[str, str | None] = {
        "tests/integration/__init__.py": "",
        "tests/test_orders.py": replace(TESTS["tests/test_orders.py"], "@pytest.mark.slow\n", ""),
    }
    result = run_audit(make_repo(tmp_path, changes))
    assert only(result, "suite-empty-folder").evidence[0].path == "tests/integration"
    unused = only(result, "markers-unused")
    assert unused.severity == "info" and unused.points == 0


@pytest.mark.timeout(60)
def test_a_workflow_of_doubling_merge_keys_is_a_finding(tmp_path: Path) -> None:
    """A workflow whose merge keys double at each of 27 levels (97 s before covgap capped the
    work) is ci-file-broken at the line where the cap was passed; the audit takes no longer
    than for any other repository."""
    levels = [
        f"x{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}], k{i}: v}}" for i in range(1, 28)
    ]  # fmt: skip
    bomb = "\n".join(["on: push", "x0: &a0 {k0: v}", *levels, "jobs:", "  t: {<<: *a27}", ""])
    result = run_audit(make_repo(tmp_path, {".github/workflows/bomb.yml": bomb}))
    finding = only(result, "ci-file-broken")
    assert (finding.evidence[0].path, finding.evidence[0].line) == (
        ".github/workflows/bomb.yml",
        17,
    )
    assert finding.title.startswith(".github/workflows/bomb.yml cannot be read: too complex")
    assert "covgap stops reading" in finding.why


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.timeout(60)
def test_fifos_among_the_files_read_are_findings_and_notes(tmp_path: Path) -> None:
    """FIFOs where the audit reads (a workflow, a requirements file, a test module, a helper of
    a test folder, a doc) are never opened: a finding for a CI file and a requirements file (pip
    would wait on it too), a note for a test module, nothing for the others."""
    root = make_repo(tmp_path)
    for name in ("tests/test_pipe.py", "tests/helper.py", "requirements-dev.txt", "docs/x.md"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(root / name)
    os.mkfifo(root / ".github" / "workflows" / "pipe.yml")
    result = run_audit(root)
    finding = only(result, "ci-file-broken")
    assert finding.title == ".github/workflows/pipe.yml cannot be read: not a regular file (a FIFO)"
    assert "tests/test_pipe.py: not a regular file (a FIFO); not read" in " ".join(result.notes)
    requirements = only(result, "project-config-broken")
    assert requirements.title == "requirements-dev.txt cannot be read: not a regular file (a FIFO)"


@pytest.mark.parametrize(
    ("report", "fires"),
    [
        pytest.param('exclude_lines = ["if DEBUG:"]\n', True, id="pragma-gone"),
        # coverage.py searches each line for the pattern: "no cov" is found in "no cover"
        pytest.param('exclude_lines = ["no cov", "if DEBUG:"]\n', False, id="no-cov"),
        pytest.param('exclude_lines = ["pragma: no cover"]\n', False, id="plain-words"),
        pytest.param(
            'exclude_lines = ["(?i)#\\\\s*pragma:\\\\s*no\\\\s*cover"]\n', False, id="regex"
        ),
        # found by a pattern written for another pragma, not by "# pragma: no cover"
        pytest.param('exclude_lines = ["no-cover"]\n', True, id="other-spelling"),
        pytest.param('exclude_lines = ["nocover"]\n', True, id="no-space"),
        # exclude_also is added to exclude_lines
        pytest.param(
            'exclude_lines = ["if DEBUG:"]\nexclude_also = ["no cover"]\n', False, id="also"
        ),
    ],
)
def test_exclude_replaced_tests_the_pragma_as_coverage_does(
    tmp_path: Path, report: str, fires: bool
) -> None:
    """`coverage-exclude-replaced` fires only when coverage.py, with the project's patterns,
    no longer excludes a line carrying `# pragma: no cover`."""
    result = run_audit(make_repo(tmp_path, {"pyproject.toml": PYPROJECT + report}))
    assert ("coverage-exclude-replaced" in rules(result)) is fires


NO_TESTPATHS = replace(PYPROJECT, 'testpaths = ["tests"]\n', "")


@pytest.mark.parametrize(
    ("changes", "reported"),
    [
        pytest.param({"tests/unit/.gitkeep": ""}, ("tests/unit",), id="unit-gitkeep"),
        pytest.param(
            {"tests/e2e/__init__.py": "", "tests/e2e/README.md": "End-to-end tests go here.\n"},
            ("tests/e2e",),
            id="e2e-init-and-readme",
        ),
        pytest.param(
            {
                "pyproject.toml": NO_TESTPATHS,
                "benchmarks/bench_plan.py": "def main():\n    pass\n",
                "benchmarks/README.md": "# Benchmarks\n",
            },
            (),
            id="benchmark-scripts",
        ),
        pytest.param(
            {
                "tests/fuzz/__init__.py": "",
                "tests/fuzz/fuzz_parser.py": "def fuzz(data):\n    pass\n",
            },
            (),
            id="fuzz-targets",
        ),
        pytest.param({"tests/fuzz/corpus/seed-1": "{]"}, (), id="fuzz-corpus"),
        pytest.param(
            {"tests/perf/.gitkeep": "", "tests/perf/results.csv": "test,seconds\n"},
            (),
            id="data-beside-gitkeep",
        ),
    ],
)
def test_empty_folder_holds_nothing_but_placeholders(
    tmp_path: Path, changes: dict[str, str | None], reported: tuple[str, ...]
) -> None:
    """A test folder is reported empty when it holds no test and nothing else but `__init__.py`,
    `conftest.py`, `.gitkeep` or a README; a folder of scripts, fuzz targets or data is not."""
    result = run_audit(make_repo(tmp_path, changes))
    found = [f for f in result.findings if f.rule == "suite-empty-folder"]
    assert tuple(e.path for f in found for e in f.evidence) == reported


def test_dependency_fix_follows_the_projects_groups(tmp_path: Path) -> None:
    """A project keeping its tools in [dependency-groups] (its extras are for users) is told to
    add the missing plugin there, not to [project.optional-dependencies]."""
    pyproject = replace(
        PYPROJECT,
        '[project.optional-dependencies]\ntest = [\n    "pytest>=8",\n',
        '[project.optional-dependencies]\ntest = ["faker"]\n\n[dependency-groups]\ndev = [\n'
        '    "pytest>=8",\n',
    )
    pyproject = replace(pyproject, '    "pytest-randomly>=3",\n', "")
    finding = only(
        run_audit(make_repo(tmp_path, {"pyproject.toml": pyproject})), "pytest-fixed-order"
    )
    assert (finding.fix_path, finding.fix) == (
        "pyproject.toml",
        '[dependency-groups]\ndev = [..., "pytest-randomly"]',
    )


def test_serial_suite_stopped_run_says_at_least(tmp_path: Path) -> None:
    """A run stopped before its end timed only the tests that ran: the time is a lower bound."""
    from covgap.analyze.health import assess

    health = assess(
        tuple(outcome(f"tests/test_a.py::test_{i}", "passed", 2.0) for i in range(40)),
        source="events",
        stopped="stopped after the --timeout of 90 s",
    )
    finding = only(run_audit(make_repo(tmp_path), health=health), "pytest-serial")
    assert finding.title == "the 40 tests take at least 80 s one at a time"
    assert finding.evidence[1].path == ".covgap/run/events.jsonl"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.timeout(60)
def test_a_fifo_pyproject_is_not_opened(tmp_path: Path) -> None:
    """A pyproject.toml that is a FIFO is read by nobody (coverage.py's settings are then the
    finding coverage-config-broken); the audit goes on."""
    root = make_repo(tmp_path, {"pyproject.toml": None})
    os.mkfifo(root / "pyproject.toml")
    finding = only(run_audit(root), "coverage-config-broken")
    assert finding.evidence[0].path == "pyproject.toml"
    assert "not a regular file (a FIFO)" in finding.title
