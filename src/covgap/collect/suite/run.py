"""``covgap run``: the project's pytest suite under coverage.py, set up right, stopped if it hangs.

Measurement settings are layered over the project's own coverage configuration in a temporary
rcfile (``rcfile.py``): branch coverage, ``source`` when the project sets none, subprocesses
(``patch = subprocess``), parallel data, the fastest core that measures what is asked, and
``sigterm`` so that a stopped run still saves its data. Everything covgap writes goes into the
project's ``.covgap/run/`` folder; the project's files are never touched.

The suite is started first, as ``python -m pytest -p covgap_pytest``: while Python and pytest
start up, covgap reads the coverage configuration, writes the rcfile and sends its path down a
pipe to the plugin, which starts coverage.py with it before any conftest or entry-point plugin
is imported (``collect/suite/plugin/covgap_pytest.py``). This module therefore imports coverage.py,
the model and the parsers only once the suite is on its way.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from covgap.collect.suite.interpreter import Launch, choose_core, launch_facts, probe, tracer_core
from covgap.collect.suite.plugin import PLUGIN_DIR, PLUGIN_NAME
from covgap.collect.suite.test_files import has_python_file
from covgap.errors import DataError, NoTestsError, OutputError, Terminated, UsageError

if TYPE_CHECKING:
    from coverage.config import CoverageConfig

    from covgap.collect.suite.events import EventLog
    from covgap.collect.suite.preparse import Prepared, Preparse
    from covgap.model import RunInfo

__all__ = ["Progress", "RunOptions", "SuiteRun", "nothing_measured", "run_suite"]

#: pytest's exit code 5, in words: "no tests ran" is its own summary.
_NO_TESTS = "pytest ran no tests (none collected, or all deselected)"
#: Seconds a stopped suite gets to save its coverage data before it is killed.
_GRACE = 10.0
_ENV_DROPPED = (
    "COVERAGE_FILE",
    "COVERAGE_RCFILE",
    "COVERAGE_PROCESS_START",
    "COVERAGE_PROCESS_CONFIG",
    # covgap's own, from a suite that covgap runs (covgap run in a test of covgap's users).
    "COVGAP_START_FD",
    "COVGAP_CONTEXTS",
    "COVGAP_RESTARTED",
    # covgap run from inside a pytest-xdist worker (a test of a tool that calls it): the suite
    # is not that worker, and its plugins must not think so.
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_XDIST_TESTRUNUID",
    "PYTEST_CURRENT_TEST",
)


@dataclass(frozen=True)
class RunOptions:
    """How to run the suite."""

    project_dir: Path
    python: str
    #: Line coverage only, with sys.monitoring on Python 3.12+.
    fast: bool = False
    #: pytest-xdist workers: a number, "auto", or None for a serial run.
    parallel: str | None = None
    #: Record which test ran which line (coverage.py contexts).
    contexts: bool = False
    #: Seconds for the whole run; None for no limit.
    timeout: float | None = None
    #: Seconds per test (with pytest-timeout); None: half of ``timeout`` when that is given.
    test_timeout: float | None = None
    pytest_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Progress:
    """Where the run is: tests collected, done and failed so far."""

    collected: int | None = None
    done: int = 0
    failed: int = 0
    running: str | None = None


@dataclass(frozen=True)
class SuiteRun:
    """What a run left behind, for the loader and the health report."""

    data_file: Path
    events: Path
    #: The event log, read while the suite ran (its ``outcomes`` are the suite's health).
    event_log: EventLog
    log: Path
    info: RunInfo
    #: Static analyses and code facts of the source files, made while the suite ran.
    prepared: Prepared
    #: Why the run was stopped, or None when pytest finished by itself.
    stopped: str | None = None
    notes: tuple[str, ...] = field(default=())


#: Where ``covgap run`` keeps what the run wrote (its data, event log, pytest's output, rcfile).
RUN_FOLDER = Path(".covgap") / "run"


def last_run_data(project_dir: Path) -> Path | None:
    """The data of the last ``covgap run`` (relative to the project), when the coverage
    configuration's own data file is absent: what ``covgap check`` or ``covgap plan`` after a
    ``covgap run`` should read. None otherwise."""
    from covgap.collect.suite.rcfile import project_coverage_config, working_directory

    with working_directory(project_dir):
        configured = project_dir / project_coverage_config(project_dir).data_file
    if configured.exists() or any(configured.parent.glob(f"{configured.name}.*")):
        return None
    data = project_dir / RUN_FOLDER / ".coverage"
    if data.exists() or any(data.parent.glob(".coverage.*")):
        return data.relative_to(project_dir)
    return None


def _clean(folder: Path) -> None:
    """Empty covgap's run folder of a previous run's files (and nothing else); OutputError when
    it cannot be made or written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for path in folder.iterdir():
            if path.is_file() and (
                path.name.startswith(".coverage")
                or path.name
                in {"junit.xml", "events.jsonl", "pytest.log", "coverage.rc", "coverage-rc.toml"}
            ):
                path.unlink()
        probe = folder / ".covgap-write-probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(
            f"covgap run's folder cannot be written: {exc.strerror or exc}",
            path=str(folder),
            hint="make it writable, or remove it: covgap makes it anew",
            slug="run-folder",
        ) from exc


def _preparse(
    project_dir: Path, source: Sequence[str], config: CoverageConfig, fast: bool
) -> Preparse:
    """Start parsing the sources on the idle core."""
    from coverage.misc import join_regex

    from covgap.collect.coverage.static import AnalysisOptions
    from covgap.collect.suite.preparse import Preparse, source_files

    return Preparse(
        source_files(project_dir, source),
        AnalysisOptions(
            exclude_regex=join_regex(config.exclude_list),
            partial_regex=join_regex(config.partial_list + config.partial_always_list),
            branch=not fast,
        ),
    )


def _pytest_args(
    options: RunOptions, launch: Launch, folder: Path, notes: list[str]
) -> tuple[list[str], int]:
    args = [
        "-p",
        PLUGIN_NAME,
        # pytest's own cache goes to covgap's folder too, so the project stays as it was
        # (unless the cache plugin is off: then the option would be unknown).
        # A module that cannot be imported is reported; the rest of the suite still measures.
        "--continue-on-collection-errors",
    ]
    workers = 1
    if options.parallel:
        if launch.has_xdist:
            args += ["-n", options.parallel]
            workers = (os.cpu_count() or 1) if options.parallel == "auto" else int(options.parallel)
        else:
            notes.append(
                "--parallel asks for pytest-xdist, which is not installed: the run was serial"
            )
    test_timeout = options.test_timeout
    if test_timeout is None and options.timeout is not None:
        test_timeout = options.timeout / 2
    if test_timeout is not None:
        if launch.has_pytest_timeout:
            args.append(f"--timeout={test_timeout:g}")
        elif options.test_timeout is not None:
            notes.append("--test-timeout needs pytest-timeout, which is not installed: not applied")
    if not _cache_disabled(options.pytest_args):
        args += ["-o", f"cache_dir={folder / 'pytest-cache'}"]
    return args + list(options.pytest_args), workers


def _cache_disabled(pytest_args: Sequence[str]) -> bool:
    """Whether the arguments turn pytest's cache plugin off (``-p no:cacheprovider``)."""
    joined = " ".join(pytest_args).replace("-p ", "-p")
    return "-pno:cacheprovider" in joined


def _read_events(events: Path, offset: int, log: EventLog) -> int:
    """Feed ``log`` what the plugin wrote since ``offset``; the new offset."""
    try:
        with events.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
    except OSError:
        return offset
    log.feed(chunk)
    return offset + len(chunk)


def _progress(log: EventLog) -> Progress:
    return Progress(log.collected, log.done, log.failed, log.running)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the whole process group (coverage.py saves its data), then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=_GRACE)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


#: What pytest prints when it cannot start, from the most telling: its argument parser's error,
#: an exception line ("E   RuntimeError: broken conftest"), its "ERROR:" lines, an internal
#: error's last line.
_PYTEST_ERROR_LINES = (
    # "python -m pytest: error: …" (pytest 8+), "__main__.py: error: …" (pytest 7)
    (": error: ", True),
    ("E   ", False),
    ("ERROR: ", True),
    ("INTERNALERROR> ", False),
)


def pytest_error_line(output: str) -> str:
    """pytest's own error line in its output, where coverage.py's warnings and the traceback
    around it would hide it; "while loading conftest X" is kept before an exception's line.
    "no output" when there is none."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    for marker, first in _PYTEST_ERROR_LINES:
        found = [line for line in lines if marker in line and not line.startswith("E ")]
        if marker == "E   ":
            found = [line for line in lines if line.startswith(marker)]
        if not found:
            continue
        line = found[0] if first else found[-1]
        text = line[line.index(marker) + len(marker) :].strip()
        if marker == "E   ":
            loading = [line for line in lines if "while loading conftest" in line]
            if loading:
                where = loading[0].partition("while loading conftest ")[2].rstrip(".")
                text = f"{text} (while loading conftest {where})"
        if text:
            return text
    # Neither: the last line that is not coverage.py's warning or its source line.
    rest = [
        line
        for line in lines
        if "CoverageWarning" not in line and not line.lstrip().startswith("self._warn(")
    ]
    return rest[-1].strip() if rest else "no output"


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """While the suite runs, SIGTERM and SIGHUP raise Terminated (once), as Ctrl-C raises
    KeyboardInterrupt, so that the suite's process group is stopped and its data kept instead of
    being left running without covgap. Only in the main thread, where Python runs handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False
    owner = os.getpid()

    def handler(number: int, frame: object) -> None:
        nonlocal fired
        if os.getpid() != owner:  # a forked parser worker: end as the signal would end it
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
            return
        if not fired:  # a second signal while the suite is being stopped must not cut that
            fired = True
            raise Terminated(number)

    previous = {number: signal.signal(number, handler) for number in _FORWARDED}
    try:
        yield
    finally:
        for number, action in previous.items():
            signal.signal(number, action)


#: The signals that stop covgap run with its suite (CI's job timeouts send SIGTERM).
_FORWARDED = (signal.SIGTERM, signal.SIGHUP)


def nothing_measured(project_dir: Path) -> NoTestsError:
    """The error for a run where pytest ran no test and coverage.py measured no file: there is
    nothing to plan (exit 5)."""
    return NoTestsError(
        f"{_NO_TESTS}, and no code was measured: nothing to plan",
        path=str(project_dir),
        hint="name the tests to run after --, or set [run] source in the coverage configuration",
    )


def _exit_meaning(code: int) -> str | None:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"pytest was killed by {signal.Signals(-code).name}"
        return f"pytest was killed by signal {-code}"
    meanings = {
        2: "pytest was interrupted",
        3: "pytest hit an internal error",
        4: "pytest was given a usage error",
    }
    return meanings.get(code)


def run_suite(
    options: RunOptions,
    on_progress: Callable[[Progress], None] | None = None,
    on_started: Callable[[], None] | None = None,
) -> SuiteRun:
    """Run the suite under coverage; stop it after ``options.timeout``; say what happened.

    ``on_started`` is called as soon as the suite's process is started (to start work that can
    run beside it: before, it would only delay the suite).
    """
    project_dir = options.project_dir.resolve()
    launch = launch_facts(options.python)
    if not has_python_file(project_dir):
        raise NoTestsError(
            "nothing to run: no Python file here (no test, no package or module)",
            path=str(options.project_dir),
            hint="run covgap run in the project's folder, or name it: covgap run PATH",
        )
    folder = project_dir / RUN_FOLDER
    _clean(folder)
    data_file = folder / ".coverage"
    events, log = folder / "events.jsonl", folder / "pytest.log"
    notes: list[str] = []
    pytest_args, workers = _pytest_args(options, launch, folder, notes)

    environment = {k: v for k, v in os.environ.items() if k not in _ENV_DROPPED}
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(PLUGIN_DIR), *filter(None, [environment.get("PYTHONPATH")])]
    )
    environment["COVGAP_EVENTS"] = str(events)
    start_read, start_write = os.pipe()
    environment["COVGAP_START_FD"] = str(start_read)
    command = [options.python, "-m", "pytest", *pytest_args]

    started = time.monotonic()
    stopped: str | None = None
    timed_out = False
    offset = 0
    preparse: Preparse | None = None
    try:
        log_stream = log.open("wb")
    except OSError as exc:
        os.close(start_read)
        os.close(start_write)
        raise OutputError(
            f"cannot be written: {exc.strerror or exc}", path=str(log), slug="run-folder"
        ) from exc
    with log_stream, _signals_raise():
        try:
            process = subprocess.Popen(
                command,
                cwd=project_dir,
                env=environment,
                stdout=log_stream,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                pass_fds=(start_read,),
            )
        except BaseException:
            os.close(start_write)
            raise
        finally:
            os.close(start_read)
        try:
            # While Python and pytest start, the settings; nothing sent calls the run off.
            with os.fdopen(start_write, "w", encoding="utf-8") as start:
                interpreter = launch.interpreter or probe(options.python)
                from covgap.collect.suite.rcfile import layer_settings

                branch = not options.fast
                chosen = choose_core(interpreter, branch)
                layered = layer_settings(
                    project_dir, folder, data_file, branch, chosen, tracer_core(interpreter)
                )
                notes.extend(layered.notes)
                config = layered.config
                contexts = options.contexts and not config.dynamic_context
                if options.contexts and config.dynamic_context:
                    notes.append(
                        f"--contexts left to the project's dynamic_context = "
                        f"{config.dynamic_context}"
                    )
                start.write(json.dumps({"rcfile": str(layered.rcfile), "contexts": contexts}))
            preparse = _preparse(project_dir, layered.source, config, options.fast)
            from covgap.collect.suite.events import EventLog

            event_log = EventLog(events)
            if on_started is not None:
                on_started()
            while process.poll() is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=0.2)  # returns at once when the suite ends
                offset = _read_events(events, offset, event_log)
                if on_progress is not None:
                    on_progress(_progress(event_log))
                if options.timeout is not None and time.monotonic() - started > options.timeout:
                    running = f" while running {event_log.running}" if event_log.running else ""
                    stopped = f"stopped after the --timeout of {options.timeout:g} s{running}"
                    timed_out = True
                    _stop(process)
        except BaseException:
            _stop(process)
            if preparse is not None:
                preparse.results()
            raise
    seconds = time.monotonic() - started
    assert preparse is not None  # made before the loop, which is the only way here
    prepared = preparse.results()
    offset = _read_events(events, offset, event_log)
    if on_progress is not None:
        on_progress(_progress(event_log))
    code = process.returncode
    if stopped is None:
        stopped = _exit_meaning(code)
        if stopped is None and event_log.running and not event_log.finished:
            # os._exit() in a test, say: pytest's exit status says nothing went wrong.
            stopped = f"pytest ended with exit code {code} before the suite did"
        if stopped and event_log.running and not event_log.finished:
            stopped += f" while running {event_log.running}"
    if code == 5:
        notes.append(_NO_TESTS)
    if event_log.pytest_cov is not None:
        given = ", ".join(f"`--cov={source}`" for source in event_log.pytest_cov) or "`--cov`"
        notes.append(
            f"pytest-cov was turned off for this run ({given} in the project's pytest options): "
            "covgap measures the suite itself, with the project's coverage settings; a second "
            "coverage.py would replace the data"
        )
    if event_log.restarted is not None:
        notes.append(
            f"measured under `coverage run`, from Python's start: {event_log.restarted} "
            "(which starts coverage.py later, as pytest-cov does)"
        )
    if code in (3, 4) and not timed_out and not event_log.collected:
        # pytest did not run the suite at all (an internal or usage error): nothing to plan.
        # Its usage errors (a wrong option, a conftest that fails) are the command line's or
        # the configuration's: exit 2, as covgap's own; its internal errors exit 3.
        error = (UsageError if code == 4 else DataError)(
            f"{stopped} (exit code {code}): {pytest_error_line(log.read_text(errors='replace'))}",
            path=str(log),
            hint="run the same pytest command by hand to see the whole message",
            slug="pytest-usage" if code == 4 else "pytest-failed",
        )
        raise error
    if not data_file.exists() and not list(folder.glob(".coverage.*")):
        if code == 5:
            raise nothing_measured(project_dir)
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        raise DataError(
            "the suite wrote no coverage data" + (f" ({stopped})" if stopped else ""),
            path=str(log),
            hint=" | ".join(tail) if tail else None,
            slug="no-run-data",
        )
    from covgap.collect.suite.selection import read_selection
    from covgap.model import RunInfo

    info = RunInfo(
        python=options.python,
        python_version=interpreter.version_text,
        coverage_version=interpreter.coverage_text or "",
        core=layered.core,
        core_reason=layered.core_reason,
        branch=not options.fast,
        source=layered.source,
        source_detected=layered.detected,
        subprocesses=True,
        workers=workers,
        contexts=contexts,
        pytest_exit_code=None if timed_out else code,
        seconds=seconds,
        data_file=str(data_file.relative_to(project_dir)),
        notes=tuple(notes),
        timed_out=timed_out,
        selection=read_selection(
            options.pytest_args, event_log.args, event_log.args_source, event_log.deselected
        ),
    )
    return SuiteRun(data_file, events, event_log, log, info, prepared, stopped, tuple(notes))
