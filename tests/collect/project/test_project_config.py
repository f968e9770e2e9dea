"""pytest's and coverage.py's settings as the audit reads them, with their lines, and the
development dependencies; checked against what pytest itself reads from the same files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from covgap.collect.project.project_config import (
    key_lines,
    normalize_name,
    read_coverage_settings,
    read_dev_dependencies,
    read_pytest_config,
)

PYPROJECT_INI = """\
[project]
name = "demo"

[tool.pytest.ini_options]
addopts = "-ra --strict-markers"
testpaths = ["tests"]
markers = [
    "slow: takes long",
    "db",
]
xfail_strict = true
"""

PYTEST_INI = """\
[pytest]
addopts = -ra
    --maxfail=2
testpaths = tests other
markers =
    slow: takes long
    db
filterwarnings =
    error
"""

SETUP_CFG = """\
[metadata]
name = demo

[tool:pytest]
python_files = check_*.py
xfail_strict = 1
"""

TOX_INI = """\
[tox]
envlist = py312

[testenv]
deps = pytest

[pytest]
timeout = 60
"""

NATIVE_TOML = """\
[tool.pytest]
addopts = ["-ra", "--strict-config"]
strict = true
testpaths = ["tests"]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("files", "path", "section", "style"),
    [
        ({"pyproject.toml": PYPROJECT_INI}, "pyproject.toml", "tool.pytest.ini_options",
         "toml-ini"),
        ({"pytest.ini": PYTEST_INI, "pyproject.toml": PYPROJECT_INI}, "pytest.ini", "pytest",
         "ini"),
        ({"setup.cfg": SETUP_CFG}, "setup.cfg", "tool:pytest", "ini"),
        ({"tox.ini": TOX_INI, "setup.cfg": SETUP_CFG}, "tox.ini", "pytest", "ini"),
        ({"pyproject.toml": NATIVE_TOML}, "pyproject.toml", "tool.pytest", "toml"),
        # a pyproject.toml without pytest settings is skipped, as pytest skips it
        ({"pyproject.toml": "[project]\nname = 'x'\n", "setup.cfg": SETUP_CFG}, "setup.cfg",
         "tool:pytest", "ini"),
    ],
)  # fmt: skip
def test_the_file_pytest_reads(
    tmp_path: Path, files: dict[str, str], path: str, section: str, style: str
) -> None:
    for name, text in files.items():
        write(tmp_path, name, text)
    config = read_pytest_config(tmp_path)
    assert (config.path, config.section, config.style) == (path, section, style)
    assert config.problem is None


def pytest_inifile(project: Path) -> str | None:
    """The configuration file pytest itself reports for ``project`` (its header line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--co", "-p", "no:cacheprovider", "-v"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith("configfile:"):
            return line.split(":", 1)[1].split()[0]
    return None


@pytest.mark.parametrize(
    "files",
    [
        {"pyproject.toml": PYPROJECT_INI, "tox.ini": TOX_INI},
        {"pytest.ini": PYTEST_INI, "pyproject.toml": PYPROJECT_INI},
        {"setup.cfg": SETUP_CFG, "tox.ini": "[tox]\nenvlist = py\n"},
        {"tox.ini": TOX_INI, "setup.cfg": SETUP_CFG},
    ],
)
def test_same_file_as_pytest(tmp_path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        write(tmp_path, name, text)
    for folder in ("tests", "other"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"test_{folder}.py").write_text("def test_x():\n    pass\n")
    assert read_pytest_config(tmp_path).path == pytest_inifile(tmp_path)


def test_values_are_typed_as_pytest_types_them(tmp_path: Path) -> None:
    write(tmp_path, "pytest.ini", PYTEST_INI)
    config = read_pytest_config(tmp_path)
    assert config.addopts == ("-ra", "--maxfail=2")
    assert config.words("testpaths") == ("tests", "other")
    assert config.value("markers") == ("slow: takes long", "db")
    assert config.value("filterwarnings") == ("error",)
    assert config.line("addopts") == 2
    assert config.line("markers") == 5
    assert config.section_line == 1


def test_toml_values_and_lines(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", PYPROJECT_INI)
    config = read_pytest_config(tmp_path)
    assert config.addopts == ("-ra", "--strict-markers")
    assert config.options["addopts"].written_as_list is False
    assert config.flag("xfail_strict") is True
    assert config.value("markers") == ("slow: takes long", "db")
    assert (config.line("addopts"), config.line("markers"), config.line("xfail_strict")) == (
        5,
        7,
        11,
    )
    assert config.section_line == 4
    assert not config.flag("strict")


def test_native_toml_flags(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", NATIVE_TOML)
    config = read_pytest_config(tmp_path)
    assert config.flag("strict") is True
    assert config.addopts == ("-ra", "--strict-config")
    assert config.options["addopts"].written_as_list is True


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("pyproject.toml", "[tool.pytest.ini_options]\naddopts = = 1\n", 2),
        ("pytest.ini", "[pytest]\naddopts = -ra\n  = oops\n[[", None),
    ],
)
def test_broken_file_is_a_problem_not_an_exception(
    tmp_path: Path, name: str, text: str, line: int | None
) -> None:
    write(tmp_path, name, text)
    config = read_pytest_config(tmp_path)
    assert config.problem is not None
    assert config.problem.path == name
    if line is not None:
        assert config.problem.line == line


def test_no_configuration_says_where_a_fix_goes(tmp_path: Path) -> None:
    assert read_pytest_config(tmp_path).path is None
    assert read_pytest_config(tmp_path).style == "ini"
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    config = read_pytest_config(tmp_path)
    assert (config.path, config.section, config.style) == (
        None,
        "tool.pytest.ini_options",
        "toml-ini",
    )


def test_key_lines_ini_continuations_are_not_keys() -> None:
    text = "[run]\nomit =\n    a = b\nbranch = true\n"
    found = key_lines(text, toml=False)
    assert found[("run", "omit")] == 2
    assert found[("run", "branch")] == 4
    assert ("run", "a") not in found


def test_key_lines_toml_dotted_keys() -> None:
    found = key_lines(
        "[tool]\ncoverage.run.branch = true\n[tool.coverage.report]\nfail_under = 80\n", toml=True
    )
    assert found[("tool.coverage.run", "branch")] == 2
    assert found[("tool.coverage.report", "fail_under")] == 4


def test_coverage_settings_from_coverage_itself(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        '[tool.coverage.run]\nbranch = true\nsource = ["pkg"]\nomit = ["pkg/gen/*"]\n'
        "parallel = true\n\n[tool.coverage.report]\nfail_under = 75.5\n"
        'exclude_lines = ["if DEBUG:"]\n',
    )
    settings = read_coverage_settings(tmp_path)
    assert settings.problem is None
    assert (settings.path, settings.branch, settings.source, settings.omit) == (
        "pyproject.toml",
        True,
        ("pkg",),
        ("pkg/gen/*",),
    )
    assert settings.fail_under == 75.5
    assert settings.parallel is True
    assert settings.exclude_replaced is True
    assert settings.exclude_lines == ("if DEBUG:",)
    assert settings.pragma_excluded is False  # "# pragma: no cover" no longer works
    assert (settings.line("branch"), settings.line("fail_under", "report")) == (2, 8)
    assert settings.sections == {"run": 1, "report": 7}


def test_coverage_settings_in_setup_cfg(tmp_path: Path) -> None:
    write(
        tmp_path,
        "setup.cfg",
        "[coverage:run]\nsource = pkg\n\n[coverage:report]\nfail_under = 60\n",
    )
    settings = read_coverage_settings(tmp_path)
    assert (settings.path, settings.branch, settings.source, settings.fail_under) == (
        "setup.cfg",
        False,
        ("pkg",),
        60.0,
    )
    assert settings.line("source") == 2
    assert settings.line("branch") == 1  # not set: the [run] section's line
    assert not settings.exclude_replaced
    assert settings.pragma_excluded is True  # coverage.py's default patterns


def test_broken_coverage_configuration_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, ".coveragerc", "[run]\nbranch = maybe\n")
    settings = read_coverage_settings(tmp_path)
    assert settings.problem is not None
    assert settings.problem.path == ".coveragerc"
    assert "maybe" in settings.problem.message


def test_dev_dependencies_everywhere(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        '[project]\nname = "x"\ndependencies = ["requests"]\n\n'
        '[project.optional-dependencies]\ntest = ["pytest>=8", "Pytest_Asyncio[extra]>=0.23"]\n\n'
        '[dependency-groups]\ndev = ["ruff"]\n\n'
        '[tool.poetry.group.test.dependencies]\nrespx = "^0.21"\n',
    )
    (tmp_path / "requirements").mkdir()
    write(
        tmp_path / "requirements",
        "test.txt",
        "# tools\nhypothesis==6.1 ; python_version > '3'\n-r base.txt\n",
    )
    write(tmp_path, "tox.ini", "[testenv]\ndeps =\n    unit: pytest-xdist\n    freezegun\n")
    found = read_dev_dependencies(tmp_path)
    assert found.problems == ()
    assert set(found.names) == {
        "pytest",
        "pytest-asyncio",
        "ruff",
        "respx",
        "hypothesis",
        "pytest-xdist",
        "freezegun",
    }
    assert "requests" not in found.names  # a runtime dependency, not a test one
    assert found.names["pytest-asyncio"] == ("pyproject.toml", 6)
    assert found.names["hypothesis"] == ("requirements/test.txt", 2)
    assert found.names["pytest-xdist"] == ("tox.ini", 3)
    assert found.home == ("pyproject.toml", "project.optional-dependencies.test")
    assert found.has_any(["anyio", "pytest.asyncio"])


def test_normalize_name() -> None:
    assert normalize_name("Pytest_Asyncio") == normalize_name("pytest.asyncio") == "pytest-asyncio"


def test_real_project_settings_read_as_coverage_reads_them(tmp_path: Path) -> None:
    """The same values as coverage.py's own debug output for the same folder."""
    write(
        tmp_path,
        ".coveragerc",
        "[run]\nbranch = True\nsource = pkg\nparallel = True\n[report]\nfail_under = 90\n",
    )
    result = subprocess.run(
        [sys.executable, "-m", "coverage", "debug", "config"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    shown = {
        line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip()
        for line in result.stdout.splitlines()
        if ":" in line
    }
    settings = read_coverage_settings(tmp_path)
    assert shown["branch"] == str(settings.branch)
    assert shown["fail_under"] == str(settings.fail_under)
    assert shown["source"] == ", ".join(settings.source)


@pytest.mark.parametrize(
    ("files", "home"),
    [
        pytest.param(
            {
                "pyproject.toml": '[project]\nname = "x"\n\n[project.optional-dependencies]\n'
                'dev = ["pre-commit"]\n\n[dependency-groups]\ndev = ["pytest>=8", "ruff"]\n'
            },
            ("pyproject.toml", "dependency-groups.dev"),
            id="tools-in-dependency-groups",
        ),
        pytest.param(
            {
                "pyproject.toml": '[project]\nname = "x"\n\n[project.optional-dependencies]\n'
                'test = ["faker"]\n\n[dependency-groups]\nci = ["pytest", "pytest-cov"]\n'
            },
            ("pyproject.toml", "dependency-groups.ci"),
            id="the-group-holding-pytest",
        ),
        pytest.param(
            {
                "pyproject.toml": '[project]\nname = "x"\n\n[project.optional-dependencies]\n'
                'test = ["pytest"]\n\n[dependency-groups]\ndev = ["ruff"]\n'
            },
            ("pyproject.toml", "project.optional-dependencies.test"),
            id="pytest-in-an-extra",
        ),
        pytest.param(
            {
                "pyproject.toml": '[project]\nname = "x"\n\n[project.optional-dependencies]\n'
                'test = ["pytest"]\n\n[dependency-groups]\ndev = ["pytest", "ruff"]\n',
                "tox.ini": "[testenv]\nextras = test\ncommands = pytest\n",
            },
            ("pyproject.toml", "project.optional-dependencies.test"),
            id="what-tox-installs",
        ),
        pytest.param(
            {
                "pyproject.toml": '[project]\nname = "x"\n\n[project.optional-dependencies]\n'
                'docs = ["sphinx"]\n\n[dependency-groups]\nlint = ["ruff"]\n'
            },
            ("pyproject.toml", "dependency-groups.test"),
            id="a-new-group",
        ),
        pytest.param(
            {
                "pyproject.toml": '[project]\nname = "x"\n',
                "requirements-dev.txt": "pytest>=8\nruff\n",
            },
            ("requirements-dev.txt", ""),
            id="requirements-file",
        ),
        pytest.param(
            {
                "pyproject.toml": '[project]\nname = "x"\n\n[tool.hatch.envs.default]\n'
                'dependencies = ["pytest", "coverage[toml]"]\n'
            },
            ("pyproject.toml", "tool.hatch.envs.default"),
            id="hatch-environment",
        ),
    ],
)
def test_new_dev_dependencies_go_where_the_project_keeps_its_tools(
    tmp_path: Path, files: dict[str, str], home: tuple[str, str]
) -> None:
    """The home of a new test dependency: the group tox installs, else the group that holds
    pytest (tool groups before extras), else a test-named group, else a new dependency group."""
    for name, text in files.items():
        write(tmp_path, name, text)
    assert read_dev_dependencies(tmp_path).home == home
