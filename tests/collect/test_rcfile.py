"""The layered rcfile: the project's coverage settings survive, covgap's are set over them."""

from __future__ import annotations

from pathlib import Path

import pytest
from coverage.config import read_coverage_config

from covgap.collect.rcfile import project_coverage_config, write_layered_rcfile

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
