"""One ``covgap draft``: targets, engines, the filter, the files, the coverage before and after."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from covgap.draft.engines import load_engine
from covgap.draft.engines.base import Engine, EngineContext, EngineError, LlmSettings
from covgap.draft.filter import filter_candidates, make_check, missing_of
from covgap.draft.measure import combined
from covgap.draft.output import (
    drafted_before,
    function_shape,
    plan_files,
    skeleton_files,
    write_files,
)
from covgap.draft.runner import Workspace
from covgap.draft.sandbox import Sandbox
from covgap.draft.targets import Selection, choose_targets
from covgap.errors import DataError

if TYPE_CHECKING:
    from covgap.config import Settings
    from covgap.model import Numbers, PlanResult, ProjectCoverage
    from covgap.model.draft import (
        Candidate,
        DraftedTest,
        DraftResult,
        DraftTarget,
        EngineFunnel,
        FunctionGain,
        WrittenFile,
    )

__all__ = ["DraftOptions", "run_draft"]


@dataclass(frozen=True)
class DraftOptions:
    """What ``covgap draft`` was asked for."""

    selection: Selection = field(default_factory=Selection)
    engines: tuple[str, ...] = ("crosshair", "hypothesis", "skeleton")
    #: Runs of every candidate in the filter (each in another random order).
    runs: int = 5
    #: Wall seconds an engine may spend on one target.
    engine_timeout: float = 60.0
    #: Wall seconds one pytest run of the candidates may take (a hang is cut, its test failed).
    run_timeout: float = 120.0
    per_condition_timeout: float = 4.0
    dry_run: bool = False
    #: The first run's seed (the others follow it).
    seed: int = 0
    #: The project's interpreter.
    python: str = sys.executable
    llm: LlmSettings = field(default_factory=LlmSettings)
    #: A folder for environments an engine builds once (Pynguin's); None: a temporary one.
    cache_dir: Path | None = None
    #: The kept tests run once more beside the project's whole suite (``_suite_modules``), so
    #: that a kept test that fails there is left out.
    with_suite: bool = False


#: Says what is happening, one line at a time (to stderr).
Say = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def run_draft(
    project_dir: Path,
    result: PlanResult,
    settings: Settings,
    options: DraftOptions,
    say: Say = _quiet,
    engines: Mapping[str, Engine] | None = None,
) -> DraftResult:
    """Draft tests for the selected planned functions; write the kept ones (and the skeletons)
    as new files unless ``dry_run``. The project is never changed otherwise.

    ``engines``: engine objects by name, used instead of the built-in ones of that name (a
    program's own generator; ``options.engines`` still says which run, in which order)."""
    from covgap.collect.suite.interpreter import probe
    from covgap.model.draft import DraftResult

    project_dir = project_dir.resolve()
    probe(options.python)  # pytest and coverage.py 7.10+ there, or one line saying what to do
    targets = choose_targets(project_dir, result, options.selection)
    before = result.project.totals
    if not targets:
        return DraftResult(
            targets=(),
            funnels=(),
            tests=(),
            files=(),
            before=before,
            after=None,
            runs=options.runs,
            dry_run=options.dry_run,
            notes=("no planned function with a gap to draft tests for",),
        )
    with tempfile.TemporaryDirectory(prefix="covgap-draft-") as folder:
        root = Path(folder)
        roots = sorted({t.import_root for t in targets})
        sandbox = Sandbox(root, (), os.environ)
        workspace = Workspace(
            project_dir,
            sandbox,
            options.python,
            roots,
            (f.path for f in result.project.files if not f.outside),
            branch=result.project.branch_measured,
        )
        say(f"Copying {project_dir.name} into a sandbox…")
        try:
            workspace.copy()
        except (OSError, shutil.Error) as error:
            raise DataError(
                f"cannot copy the project into a sandbox: {_first(error)}",
                path=str(project_dir),
                slug="draft-copy",
            ) from None
        sandbox.sys_path = workspace.sys_path()
        missing = missing_of(result.project)
        check = make_check(workspace, missing, timeout=options.run_timeout, seed=options.seed)
        pairs, funnels = _generate(targets, workspace, sandbox, options, check, say, engines or {})
        say(f"Running {len(pairs)} candidate module(s) {options.runs} times…")
        tests = filter_candidates(
            workspace,
            pairs,
            missing,
            runs=options.runs,
            timeout=options.run_timeout,
            seed=options.seed,
        )
        candidates = {(c.engine, c.target, c.attempt): c for c, _ in pairs}
        by_key = {t.key: t for t in targets}
        taken: set[str] = set()
        files, tests, after, notes = _files_and_after(
            project_dir,
            settings,
            result.project,
            workspace,
            tests,
            by_key,
            candidates,
            options,
            taken,
        )
        if "skeleton" in options.engines:
            kept = [t for t in tests if t.status == "kept"]
            files += skeleton_files(project_dir, _still_missing(targets, after), taken, kept)
        if not options.dry_run:
            write_files(project_dir, files)
    return DraftResult(
        targets=tuple(targets),
        funnels=tuple(_funnels(funnels, tests, options)),
        tests=tuple(tests),
        files=tuple(files),
        before=before,
        after=after.totals if after is not None else None,
        functions=_gains(result, targets, tests, after),
        runs=options.runs,
        dry_run=options.dry_run,
        notes=tuple(notes),
    )


def _first(error: BaseException) -> str:
    """shutil.Error's list of failures, or an OSError's reason, as one line."""
    if isinstance(error, shutil.Error) and error.args and isinstance(error.args[0], list):
        failures = error.args[0]
        if failures:
            source, _, why = failures[0]
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            return f"{source}: {why}{more}"
    if isinstance(error, OSError):
        return f"{error.filename}: {error.strerror}" if error.filename else str(error.strerror)
    return str(error)


def _generate(
    targets: Sequence[DraftTarget],
    workspace: Workspace,
    sandbox: Sandbox,
    options: DraftOptions,
    check: object,
    say: Say,
    given: Mapping[str, Engine],
) -> tuple[list[tuple[Candidate, DraftTarget]], dict[str, tuple[str, float]]]:
    """Every engine's candidates; per engine, (the line that says why it stopped, seconds)."""
    pairs: list[tuple[Candidate, DraftTarget]] = []
    notes: dict[str, tuple[str, float]] = {}
    for name in options.engines:
        if name == "skeleton":
            continue
        started = time.monotonic()
        engine = given[name] if name in given else load_engine(name)
        context = EngineContext(
            project_dir=workspace.root,
            python=options.python,
            sys_path=workspace.sys_path(),
            work_dir=sandbox.scratch(name),
            env=sandbox.env(seed=options.seed),
            timeout=options.engine_timeout,
            per_condition_timeout=options.per_condition_timeout,
            llm=options.llm,
            cache_dir=options.cache_dir,
        )
        why = engine.unavailable(context)
        if why is not None:
            say(f"{name}: skipped: {why}")
            notes[name] = (f"not run: {why}", 0.0)
            continue
        problems: list[str] = []
        for target in targets:
            say(f"{name}: {target.key}…")
            try:
                found = list(engine.candidates(target, context, check))  # type: ignore[arg-type]
            except EngineError as error:
                problems.append(str(error))
                say(str(error) if str(error).startswith(f"{name}") else f"{name}: {error}")
                continue
            except Exception as error:
                problems.append(f"{name} crashed: {type(error).__name__}: {error}")
                say(problems[-1])
                break
            pairs += [(candidate, target) for candidate in found]
        note = (
            problems[0]
            if len(problems) == 1
            else (f"{problems[0]} (and {len(problems) - 1} more)" if problems else "")
        )
        notes[name] = (note, time.monotonic() - started)
    return pairs, notes


def _files_and_after(
    project_dir: Path,
    settings: Settings,
    project: ProjectCoverage,
    workspace: Workspace,
    tests: list[DraftedTest],
    targets: Mapping[str, DraftTarget],
    candidates: Mapping[tuple[str, str, int], Candidate],
    options: DraftOptions,
    taken: set[str],
) -> tuple[list[WrittenFile], list[DraftedTest], ProjectCoverage | None, list[str]]:
    """The files of the kept tests, and the coverage measured with them: they run together once
    more, in the project's copy where they will be written; one failing there is flaky."""
    notes: list[str] = []
    before = drafted_before(project_dir)
    if before:
        again = []
        for test in tests:
            where = before.get(function_shape(test.source)) if test.status == "kept" else None
            again.append(
                dataclasses.replace(test, status="redundant", failure=f"already in {where}")
                if where
                else test
            )
        repeated = sum(1 for old, new in zip(tests, again, strict=True) if old is not new)
        tests = again
        if repeated:
            notes.append(
                f"{repeated} kept test(s) are already in files covgap draft wrote before: run "
                "the suite under coverage (covgap run) before drafting again, so that the data "
                "counts them"
            )
    for _ in range(2):
        kept = [t for t in tests if t.status == "kept"]
        if not kept:
            return [], tests, None, notes
        planned = plan_files(
            project_dir, kept, targets, candidates, runs=options.runs, taken=set(taken)
        )
        for file, _tests in planned:
            workspace.write(file.path, file.source)
        paths = [file.path for file, _ in planned]
        # the measurement: the kept tests alone, as a later run of the suite will add them
        # (what they run when their modules are imported counts too: no context left out)
        run = workspace.run(paths, seed=options.seed + options.runs, timeout=options.run_timeout)
        tried = run
        if options.with_suite:  # and with the whole suite, in random order
            suite = [path for path in _suite_modules(project_dir, project) if path not in paths]
            tried = workspace.run(
                [*suite, *paths],
                seed=options.seed + options.runs + 1,
                timeout=options.run_timeout,
                coverage=False,
            )
            tried.tests.update({k: v for k, v in run.tests.items() if v.outcome != "passed"})
        for file, _tests in planned:
            workspace.remove(file.path)
        ours = {
            nodeid: test for nodeid, test in tried.tests.items() if nodeid.split("::")[0] in paths
        }
        failing = {
            nodeid.split("::", 1)[-1].split("[")[0]: test
            for nodeid, test in ours.items()
            if test.outcome != "passed"
        }
        written = {
            (t.engine, t.target, t.attempt, t.source): t for _, group in planned for t in group
        }
        beside = (
            "failed when run with the suite and the other kept tests"
            if options.with_suite
            else ("failed when run with the other kept tests")
        )
        if failing:
            flaky_names = set(failing)
            tests = [
                dataclasses.replace(t, status="flaky", failure=beside)
                if t.status == "kept" and _written_name(t, written) in flaky_names
                else t
                for t in tests
            ]
            notes.append(f"{len(flaky_names)} kept test(s) failed beside the others: left out")
            continue
        tests = [
            written.get((t.engine, t.target, t.attempt, t.source), t) if t.status == "kept" else t
            for t in tests
        ]
        for file, _ in planned:
            taken.add(file.path)
        after, why = combined(project_dir, settings, project, workspace, run)
        if after is None:
            notes.append(f"coverage after the kept tests not measured: {why}")
        return [file for file, _ in planned], tests, after, notes
    return [], [t for t in tests if t.status != "kept"], None, notes


def _suite_modules(project_dir: Path, project: ProjectCoverage) -> list[str]:
    """The suite's test modules, each named on the command line: those pytest collects by the
    project's settings (covgap's inventory), and those the suite's data measured that its
    ``python_files`` does not name (``titlecase/tests.py``). Named one by one, not as the
    project's folder: pytest 8 drops a folder given beside files inside it."""
    from covgap.analyze.suite_scope import find_test_code, is_test_module_name
    from covgap.collect.project.audit_inputs import read_test_inventory

    collected = {module.path for module in read_test_inventory(project_dir).modules}
    paths = [file.path for file in project.files if not file.outside]
    measured = {
        path
        for path in find_test_code(paths)
        if is_test_module_name(path) or path.rsplit("/", 1)[-1] == "tests.py"
    }
    return sorted(collected | measured)


def _written_name(
    test: DraftedTest, written: Mapping[tuple[str, str, int, str], DraftedTest]
) -> str:
    found = written.get((test.engine, test.target, test.attempt, test.source))
    return found.name if found is not None else test.name


def _still_missing(
    targets: Sequence[DraftTarget], after: ProjectCoverage | None
) -> list[DraftTarget]:
    """The targets with lines or branches still missing once the kept tests are counted."""
    if after is None:
        return list(targets)
    left = []
    for target in targets:
        numbers = _region_numbers(after, target)
        if numbers is None or numbers.gap > 0:
            left.append(target)
    return left


def _region_numbers(project: ProjectCoverage, target: DraftTarget) -> Numbers | None:
    for file in project.files:
        if file.path == target.path:
            for region in file.regions:
                if (
                    region.name.split("@")[0] == target.qualname
                    and region.start_line <= target.end_line
                ):
                    return region.numbers
    return None


def _gains(
    result: PlanResult,
    targets: Sequence[DraftTarget],
    tests: Sequence[DraftedTest],
    after: ProjectCoverage | None,
) -> tuple[FunctionGain, ...]:
    from covgap.model.draft import FunctionGain

    gains = []
    for target in targets:
        before = _region_numbers(result.project, target)
        if before is None:
            continue
        now = _region_numbers(after, target) if after is not None else None
        kept = sum(1 for t in tests if t.status == "kept" and t.target == target.key)
        gains.append(FunctionGain(target.key, before, now or before, kept))
    return tuple(gains)


def _funnels(
    notes: Mapping[str, tuple[str, float]], tests: Sequence[DraftedTest], options: DraftOptions
) -> list[EngineFunnel]:
    from covgap.model.draft import EngineFunnel

    funnels = []
    for name in options.engines:
        if name == "skeleton":
            continue
        mine = [t for t in tests if t.engine == name]
        note, seconds = notes.get(name, ("", 0.0))
        funnels.append(
            EngineFunnel(
                engine=name,
                candidates=len(mine),
                built=sum(1 for t in mine if t.status != "not-built"),
                passed=sum(
                    1 for t in mine if (t.runs and t.passes == t.runs) or t.status == "probe-passed"
                ),
                kept=sum(1 for t in mine if t.status == "kept"),
                findings=sum(1 for t in mine if t.status == "finding"),
                note=note,
                seconds=seconds,
            )
        )
    return funnels
