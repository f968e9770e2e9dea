"""The layered rcfile: the project's coverage settings survive, covgap's are set over them."""

from __future__ import annotations

from pathlib import Path

import pytest
from coverage.config import read_coverage_config

from covgap.collect.suite.rcfile import (
    layer_settings,
    project_coverage_config,
    write_layered_rcfile,
)

OVERRIDES = {
    "run": {
        "branch": True,
        "parallel": True,
        "patch": ["subprocess"],
        "data_file": "/tmp/x/.coverage",
    }
}


COVERAGERC = """\
[run]
omit =
    */gen/*
[report]
exclude_also =
    never
[paths]
source =
    src/
    /ci/src/
"""
SETUP_CFG = """\
[metadata]
name = x
[coverage:run]
omit = */gen/*
[coverage:report]
exclude_also =
    never
[coverage:paths]
source =
    src/
    /ci/src/
"""
TOX_INI = """\
[tox]
envlist = py
[coverage:run]
omit = */gen/*
[coverage:report]
exclude_also = never
[coverage:paths]
source =
    src/
    /ci/src/
"""
PYPROJECT = """\
[project]
name = "x"
[tool.coverage.run]
omit = ["*/gen/*"]
[tool.coverage.report]
exclude_also = ["never"]
[tool.coverage.paths]
source = ["src/", "/ci/src/"]
"""


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param(".coveragerc", COVERAGERC, id="coveragerc"),
        pytest.param("setup.cfg", SETUP_CFG, id="setup.cfg"),
        pytest.param("tox.ini", TOX_INI, id="tox.ini"),
        pytest.param("pyproject.toml", PYPROJECT, id="pyproject"),
    ],
)
def test_project_settings_survive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: str
) -> None:
    """Omit, exclusions and [paths] read back from the layered file as the project set them."""
    project = tmp_path / "project"
    project.mkdir()
    (project / name).write_text(content)
    monkeypatch.chdir(project)
    original = project_coverage_config(project)
    rcfile = write_layered_rcfile(original, OVERRIDES, tmp_path / "out")
    layered = read_coverage_config(config_file=str(rcfile), warn=pytest.fail)
    assert layered.run_omit == original.run_omit == ["*/gen/*"]
    assert layered.exclude_list == original.exclude_list
    assert "never" in layered.exclude_list
    assert layered.paths == original.paths == {"source": ["src/", "/ci/src/"]}
    assert (layered.branch, layered.parallel, layered.patch) == (True, True, ["subprocess"])
    assert layered.data_file == "/tmp/x/.coverage"
    assert (project / name).read_text() == content, "the project's file must not change"


def test_no_project_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without any coverage configuration, the rcfile holds covgap's options alone."""
    monkeypatch.chdir(tmp_path)
    rcfile = write_layered_rcfile(project_coverage_config(tmp_path), OVERRIDES, tmp_path / "out")
    layered = read_coverage_config(config_file=str(rcfile), warn=pytest.fail)
    assert (layered.branch, layered.parallel, layered.patch) == (True, True, ["subprocess"])


def test_project_value_overridden_and_kept_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project that turns branch off gets it on in the layered file, its other options intact."""
    (tmp_path / ".coveragerc").write_text("[run]\nbranch = False\nsource = pkg\ntimid = True\n")
    monkeypatch.chdir(tmp_path)
    rcfile = write_layered_rcfile(project_coverage_config(tmp_path), OVERRIDES, tmp_path / "out")
    layered = read_coverage_config(config_file=str(rcfile), warn=pytest.fail)
    assert layered.branch is True
    assert layered.source == ["pkg"]
    assert layered.timid is True


def test_broken_project_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A coverage configuration coverage.py rejects is a ConfigError."""
    from covgap.errors import ConfigError

    (tmp_path / ".coveragerc").write_text("[run]\nbranch = perhaps\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError):
        project_coverage_config(tmp_path)


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        # a Latin-1 "é" in another tool's section: coverage.py reads the whole file
        pytest.param("setup.cfg", b"[flake8]\n# caf\xe9\n", "byte 0xe9 on line 2", id="setup.cfg"),
        pytest.param(
            "tox.ini", b"[tox]\nenvlist = py\n# \xff\n", "byte 0xff on line 3", id="tox.ini"
        ),
    ],
)
def test_a_config_file_that_is_not_utf8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: bytes, where: str
) -> None:
    """A file coverage.py reads that is not UTF-8 is a ConfigError naming it and the line."""
    from covgap.errors import ConfigError

    (tmp_path / name).write_bytes(content)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=f"not valid UTF-8 \\({where}\\)") as raised:
        project_coverage_config(tmp_path)
    assert raised.value.path == str(tmp_path / name)
    assert raised.value.exit_code == 2
    assert (tmp_path / name).read_bytes() == content


def test_coverage_toml_nested_too_deeply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TOML nested beyond tomllib's recursion is a ConfigError naming the file."""
    from covgap.errors import ConfigError

    deep = "[" * 5000 + "]" * 5000
    (tmp_path / "pyproject.toml").write_text(f"[tool.coverage.run]\nomit = {deep}\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"pyproject\.toml: arrays or inline tables nested too"):
        project_coverage_config(tmp_path)


#: choose_core's answers: sysmon where it measures what is asked, else the C tracer.
SYSMON = ("sysmon", "sys.monitoring, the fastest core, for line coverage on Python 3.12+")
CTRACE_311 = ("ctrace", "the C tracer: sys.monitoring needs Python 3.12+")
TRACER = ("ctrace", "the C tracer")


@pytest.mark.parametrize(
    ("project", "chosen", "core", "reason"),
    [
        pytest.param("", SYSMON, "sysmon", SYSMON[1], id="covgap-chooses"),
        pytest.param(
            'core = "sysmon"\n', CTRACE_311, "ctrace",
            "the C tracer: the project's coverage configuration asks for sysmon, but "
            "sys.monitoring needs Python 3.12+, so coverage.py falls back to its tracer",
            id="project-sysmon-on-3.11",
        ),
        pytest.param(
            'core = "sysmon"\n', SYSMON, "sysmon",
            "set in the project's coverage configuration", id="project-sysmon-usable",
        ),
        pytest.param(
            'dynamic_context = "test_function"\n', SYSMON, "ctrace",
            "the C tracer: sys.monitoring does not support dynamic contexts (test_function)",
            id="dynamic-contexts",
        ),
        pytest.param(
            'concurrency = ["gevent"]\n', SYSMON, "ctrace",
            "the C tracer: sys.monitoring does not support concurrency = gevent",
            id="gevent",
        ),
        pytest.param(
            "timid = true\n", SYSMON, "pytrace",
            "the Python tracer: the project sets timid = true", id="timid",
        ),
    ],
)  # fmt: skip
def test_the_core_reported_is_the_one_coverage_uses(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    project: str,
    chosen: tuple[str, str],
    core: str,
    reason: str,
) -> None:
    """The core in the plan is the one coverage.py measures with: a sysmon it cannot use (an
    old Python, dynamic contexts, gevent) is reported as the tracer it falls back to."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COVERAGE_CORE", raising=False)
    (tmp_path / "pyproject.toml").write_text(f"[tool.coverage.run]\n{project}")
    layered = layer_settings(
        tmp_path, tmp_path / "out", tmp_path / ".coverage", True, chosen, TRACER
    )
    assert (layered.core, layered.core_reason) == (core, reason)
