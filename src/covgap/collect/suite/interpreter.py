"""What the project's interpreter can do: its Python, its coverage.py, its pytest plugins."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covgap.errors import UsageError

__all__ = [
    "PROJECT_VENVS",
    "Interpreter",
    "Launch",
    "choose_core",
    "launch_facts",
    "probe",
    "project_python",
    "tracer_core",
]

#: The project's own virtual environments ``covgap run`` looks for, in this order.
PROJECT_VENVS = (".venv", "venv")

# Versions from the packages themselves (importing importlib.metadata costs more than the rest of
# the probe), from their metadata when a package does not say.
_PROBE = r"""
import importlib.util, json, sys
def version(name, module):
    try:
        found = getattr(__import__(module), "__version__", None)
        if isinstance(found, str) and found[:1].isdigit():
            return found
        from importlib.metadata import version as v
        return v(name)
    except Exception:
        return None
ctracer = False
try:
    from coverage.tracer import CTracer
    ctracer = True
except Exception:
    pass
print(json.dumps({
    "version": list(sys.version_info[:3]),
    "coverage": version("coverage", "coverage"),
    "pytest": version("pytest", "_pytest"),
    "xdist": importlib.util.find_spec("xdist") is not None,
    "timeout": importlib.util.find_spec("pytest_timeout") is not None,
    "ctracer": ctracer,
}))
"""


@dataclass(frozen=True)
class Interpreter:
    """The interpreter ``covgap run`` measures the suite with."""

    path: str
    version: tuple[int, int, int]
    coverage_version: tuple[int, ...] | None
    coverage_text: str | None
    pytest_text: str | None
    has_xdist: bool
    has_pytest_timeout: bool
    has_ctracer: bool

    @property
    def version_text(self) -> str:
        return ".".join(str(part) for part in self.version)


def project_python(project_dir: Path) -> Path | None:
    """The interpreter of the project's own virtual environment (``.venv/``, ``venv/``: a
    folder with a ``pyvenv.cfg``), as a path relative to ``project_dir``; None when it has none,
    or when it is the interpreter running covgap."""
    for name in PROJECT_VENVS:
        folder = project_dir / name
        if not (folder / "pyvenv.cfg").is_file():
            continue
        for python in (folder / "bin" / "python", folder / "Scripts" / "python.exe"):
            if python.is_file():
                if _is_current(str(python)):
                    return None
                return python.relative_to(project_dir)
    return None


def _parse_version(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _is_current(python: str) -> bool:
    """Whether ``python`` is the interpreter running covgap."""
    # Not resolved: a virtual environment's python is a link to the base interpreter, but its
    # packages are another matter.
    return Path(python).absolute() == Path(sys.executable).absolute()


def _ask(python: str) -> dict[str, Any]:
    """The probe's answer: in this process when ``python`` is the one running covgap."""
    if _is_current(python):
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(_PROBE, {})  # our own constant code, run here to save starting a process
        return dict(json.loads(output.getvalue()))
    try:
        answer = subprocess.run(
            [python, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(
            f"cannot run this interpreter ({exc})", path=python, slug="bad-python"
        ) from exc
    if answer.returncode != 0:
        last = (answer.stderr.strip().splitlines() or ["no output"])[-1]
        raise UsageError(f"this interpreter failed ({last})", path=python, slug="bad-python")
    return dict(json.loads(answer.stdout.strip().splitlines()[-1]))


@dataclass(frozen=True)
class Launch:
    """What the suite's command line depends on: the pytest plugins the interpreter has.

    Known without importing anything when the interpreter is covgap's own, so that the suite
    starts at once; the whole probe (coverage.py's version, its C tracer) runs while it starts.
    """

    has_xdist: bool
    has_pytest_timeout: bool
    #: The whole probe when it had to be made first (another interpreter), else None.
    interpreter: Interpreter | None = None


def _no_pytest(python: str) -> UsageError:
    return UsageError(
        "pytest is not installed in this interpreter's environment",
        path=python,
        hint=f"{python} -m pip install pytest",
        slug="no-pytest",
    )


def launch_facts(python: str) -> Launch:
    """What the suite's command needs, found the cheapest way (``find_spec`` imports nothing)."""
    if not _is_current(python):
        interpreter = probe(python)
        return Launch(interpreter.has_xdist, interpreter.has_pytest_timeout, interpreter)
    if importlib.util.find_spec("pytest") is None:
        raise _no_pytest(python)
    return Launch(
        has_xdist=importlib.util.find_spec("xdist") is not None,
        has_pytest_timeout=importlib.util.find_spec("pytest_timeout") is not None,
    )


def probe(python: str) -> Interpreter:
    """Ask ``python`` what it has; UsageError when it is not a usable interpreter."""
    facts = _ask(python)
    interpreter = Interpreter(
        path=python,
        version=(facts["version"][0], facts["version"][1], facts["version"][2]),
        coverage_version=_parse_version(facts["coverage"]),
        coverage_text=facts["coverage"],
        pytest_text=facts["pytest"],
        has_xdist=bool(facts["xdist"]),
        has_pytest_timeout=bool(facts["timeout"]),
        has_ctracer=bool(facts["ctracer"]),
    )
    if interpreter.pytest_text is None:
        raise _no_pytest(python)
    if interpreter.coverage_version is None or interpreter.coverage_version < (7, 10):
        found = interpreter.coverage_text or "none"
        raise UsageError(
            f"coverage.py 7.10 or later is needed in this interpreter's environment "
            f"(found {found})",
            path=python,
            hint=f"{python} -m pip install -U coverage",
            slug="old-coverage",
        )
    return interpreter


def choose_core(interpreter: Interpreter, branch: bool) -> tuple[str, str]:
    """The fastest coverage.py core that measures what is asked, and why it was chosen."""
    major_minor = interpreter.version[:2]
    if major_minor >= (3, 14):
        return "sysmon", "sys.monitoring measures lines and branches on Python 3.14+"
    if major_minor >= (3, 12) and not branch:
        return "sysmon", "sys.monitoring, the fastest core, for line coverage on Python 3.12+"
    reason = (
        "sys.monitoring measures branches only from Python 3.14"
        if major_minor >= (3, 12)
        else "sys.monitoring needs Python 3.12+"
    )
    core, tracer = tracer_core(interpreter)
    return core, f"{tracer}: {reason}"


def tracer_core(interpreter: Interpreter) -> tuple[str, str]:
    """The tracer core coverage.py uses when it does not use sys.monitoring, and its name."""
    if interpreter.has_ctracer:
        return "ctrace", "the C tracer"
    return "pytrace", "the Python tracer (coverage.py's C extension is missing)"
