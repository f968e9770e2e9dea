"""Where drafted tests run: a temporary HOME, TMPDIR and working folder, no secrets, no bytecode."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["SECRET_NAME", "Sandbox", "sandbox_env"]

#: Environment variables that carry credentials: never passed to generated code, nor to an
#: engine's tools (the llm engine reads its own key before the sandbox is made).
SECRET_NAME = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|AUTH|SESSION"
    r"|COOKIE|^AWS_|^AZURE_|^GCP_|^GOOGLE_APPLICATION|^GH_|^GITHUB_|^GITLAB_|^CI_JOB_|^NPM_|"
    r"^PYPI_|^TWINE_|^SSH_|^GPG_|^DOCKER_|^KUBE|^VAULT_|^DATABASE_URL$|_DSN$)",
    re.IGNORECASE,
)
#: Variables of tools whose settings would change how the candidates run or are measured.
_DROPPED = re.compile(r"^(COVERAGE_|COVGAP_|PYTEST_|PYTHONSTARTUP$|PYTHONPATH$|PYTHONHOME$)")


def sandbox_env(
    base: Mapping[str, str], root: Path, sys_path: Sequence[str], *, seed: int = 0
) -> dict[str, str]:
    """``base`` with HOME, TMPDIR and the XDG folders under ``root``, the project's import roots
    on PYTHONPATH, bytecode off (nothing is written into the project), a fixed hash seed, and
    neither credentials nor coverage/pytest settings."""
    home = root / "home"
    tmp = root / "tmp"
    for folder in (home, tmp):
        folder.mkdir(parents=True, exist_ok=True)
    env = {
        name: value
        for name, value in base.items()
        if not SECRET_NAME.search(name) and not _DROPPED.search(name)
    }
    env.update(
        HOME=str(home),
        USERPROFILE=str(home),
        TMPDIR=str(tmp),
        TEMP=str(tmp),
        TMP=str(tmp),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONHASHSEED=str(seed),
        PYTHONPATH=os.pathsep.join(sys_path),
        PYTHONNOUSERSITE="1",
    )
    return env


class Sandbox:
    """A temporary folder for one ``covgap draft``: ``work/`` (the working folder), ``home/``,
    ``tmp/``, and a scratch folder per engine."""

    def __init__(self, root: Path, sys_path: Sequence[str], base: Mapping[str, str]) -> None:
        self.root = root
        self.work = root / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        self.sys_path = tuple(sys_path)
        self._base = dict(base)

    def env(self, seed: int = 0, extra_path: Sequence[str] = ()) -> dict[str, str]:
        return sandbox_env(self._base, self.root, (*extra_path, *self.sys_path), seed=seed)

    def scratch(self, name: str) -> Path:
        folder = self.root / "engines" / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder
