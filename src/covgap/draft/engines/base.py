"""The engine interface: a target in, candidate test modules out; with a way to try a candidate."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from covgap.errors import CovgapError

if TYPE_CHECKING:
    from covgap.model.draft import Candidate, DraftTarget

__all__ = [
    "Check",
    "Engine",
    "EngineContext",
    "EngineError",
    "Feedback",
    "LlmSettings",
    "importing_interpreter",
    "run_tool",
    "stop_group",
]


class EngineError(CovgapError):
    """An engine could not run or failed for one target: one line; the other engines go on."""


@dataclass(frozen=True)
class LlmSettings:
    """Where the ``llm`` engine's OpenAI-compatible chat endpoint is, and how hard it tries."""

    #: "https://host/v1" or "http://127.0.0.1:8080/v1": ``/chat/completions`` is added.
    base_url: str = ""
    model: str = ""
    #: The key, from the environment (never from a file in the project); "" for none.
    api_key: str = ""
    #: Prompts per target: the first, then one per failure or lines still missing.
    attempts: int = 3
    #: Seconds one request may take.
    timeout: float = 120.0
    temperature: float = 0.2


@dataclass(frozen=True)
class EngineContext:
    """What an engine may use: the project, its interpreter, a scratch folder, its limits."""

    #: The project folder, absolute.
    project_dir: Path
    #: The project's interpreter (it runs the project's code, and has pytest).
    python: str
    #: Folders that go on sys.path for the project's modules to import (absolute).
    sys_path: tuple[str, ...]
    #: A scratch folder of the engine's own, outside the project (deleted afterwards).
    work_dir: Path
    #: The environment to run the project's code in: HOME and TMPDIR in a temporary folder,
    #: no bytecode written into the project, secrets left out (``draft/sandbox.py``).
    env: Mapping[str, str]
    #: Wall seconds the engine may spend on one target.
    timeout: float = 60.0
    #: CrossHair's ``--per_condition_timeout``.
    per_condition_timeout: float = 4.0
    llm: LlmSettings = field(default_factory=LlmSettings)
    #: A persistent folder for environments an engine builds once (Pynguin's venv):
    #: ``$XDG_CACHE_HOME/covgap`` (``~/.cache/covgap``), never inside the project.
    cache_dir: Path | None = None


@dataclass(frozen=True)
class Feedback:
    """What happened to a candidate when it was tried: for engines that try again (``llm``)."""

    #: The module imported and its tests were collected.
    built: bool
    #: Every test passed.
    passed: bool
    #: The first error, trimmed to what a person (or a model) needs: the exception and the
    #: lines of the test that raised it.
    error: str = ""
    #: The target's lines still missing with the suite's data and this candidate.
    missing_lines: tuple[int, ...] = ()
    #: The target's missing (line, destination) arcs still missing.
    missing_arcs: tuple[tuple[int, int], ...] = ()


class Check(Protocol):
    """Runs a candidate module once, alone, in the sandbox, and says what happened."""

    def __call__(self, target: DraftTarget, source: str) -> Feedback: ...


class Engine(Protocol):
    """A test generator. Each engine is a module of ``covgap.draft.engines`` with one class."""

    #: "crosshair", "pynguin", "hypothesis", "llm", "skeleton".
    name: str

    def unavailable(self, context: EngineContext) -> str | None:
        """Why the engine cannot run here, in one line ("crosshair is not installed in
        .venv/bin/python: pip install crosshair-tool"); None when it can."""
        ...

    def candidates(
        self, target: DraftTarget, context: EngineContext, check: Check
    ) -> Iterable[Candidate]:
        """Candidate test modules for ``target``; ``check`` tries one (engines with a
        feedback loop use it). Raises ``EngineError`` for a failure of this target only."""
        ...


def run_tool(
    argv: Sequence[str],
    *,
    context: EngineContext,
    cwd: Path | None = None,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    what: str,
) -> subprocess.CompletedProcess[str]:
    """Run an engine's tool in the sandbox's environment; a hang or a missing program is an
    ``EngineError`` naming ``what`` ("crosshair cover shop.text.camelize")."""
    limit = context.timeout if timeout is None else timeout
    try:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd or context.work_dir,
            env=dict(env if env is not None else context.env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,  # its children are stopped with it
        )
    except OSError as error:
        raise EngineError(f"{what} could not start: {error.strerror or error}") from None
    try:
        stdout, stderr = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        stop_group(process)
        raise EngineError(f"{what} did not finish in {limit:g} s (stopped)") from None
    except BaseException:
        stop_group(process)
        raise
    return subprocess.CompletedProcess(list(argv), process.returncode, stdout, stderr)


def stop_group(process: subprocess.Popen[str]) -> None:
    """Kill a tool started in a session of its own, and everything it started."""
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def importing_interpreter(
    candidates: Sequence[str | None],
    statement: str,
    context: EngineContext,
    known: dict[str, bool],
) -> str | None:
    """The first of ``candidates`` (the project's interpreter, then covgap's) in which
    ``statement`` ("import crosshair") runs; None when none. ``known`` keeps the answers, per
    interpreter, for the engine's later targets."""
    for python in candidates:
        if not python:
            continue
        if python not in known:
            context.work_dir.mkdir(parents=True, exist_ok=True)
            try:
                done = run_tool(
                    [python, "-c", statement],
                    context=context,
                    cwd=context.work_dir,
                    timeout=60,
                    what=f"{python} -c '{statement}'",
                )
            except EngineError:
                known[python] = False
            else:
                known[python] = done.returncode == 0
        if known[python]:
            return python
    return None
