"""Find a project's CI files and read each with its system's reader.

``read_ci(project_dir)`` reads, relative to the project folder (each system's module says what
it reads and how):

GitHub Actions: ``.github/workflows/*.yml`` and ``*.yaml`` (``github.py``)

GitLab CI: ``.gitlab-ci.yml`` and its local ``include:`` files (``gitlab_pipeline.py``,
``gitlab.py``)

tox: the first of ``tox.ini``, ``setup.cfg``, ``pyproject.toml`` and ``tox.toml``, as tox
picks it (``tox.py``, ``tox_ini.py``, ``tox_toml.py``)

nox: ``noxfile.py``, read with ``ast`` (``nox.py``)

Every problem (file unreadable, broken YAML/INI/Python, a YAML file that is not a workflow, an
``extends`` or ``!reference`` that points to nothing, a missing local include) is a
``CiProblem`` with file and line; nothing here raises on a project's files.
"""

from __future__ import annotations

from pathlib import Path

from covgap.collect.project.ci_files.github import _read_github
from covgap.collect.project.ci_files.gitlab import _read_gitlab
from covgap.collect.project.ci_files.model import CiConfig
from covgap.collect.project.ci_files.nox import _read_nox
from covgap.collect.project.ci_files.shared import _present, _State
from covgap.collect.project.ci_files.tox import _read_tox


def read_ci(project_dir: Path) -> CiConfig:
    """Read the CI definitions of the project in ``project_dir`` (see the module docstring)."""
    state = _State(project_dir)
    workflows = project_dir / ".github" / "workflows"
    if workflows.is_dir():
        for path in sorted(workflows.iterdir()):
            if path.suffix in {".yml", ".yaml"} and _present(path):
                _read_github(state, path)
    if _present(project_dir / ".gitlab-ci.yml"):
        _read_gitlab(state, project_dir / ".gitlab-ci.yml")
    _read_tox(state)
    if _present(project_dir / "noxfile.py"):
        _read_nox(state, project_dir / "noxfile.py")
    return CiConfig(tuple(state.files), tuple(state.jobs), tuple(state.problems))
