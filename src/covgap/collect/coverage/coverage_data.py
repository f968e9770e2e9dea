"""Load a coverage.py data file (``.coverage``) through coverage.py, honouring the project's config.

The project's own coverage configuration decides everything it decides for ``coverage report``:
``[paths]`` remapping, ``[report] include/omit``, exclusions, partial-branch patterns, branch or
not, precision and ``ignore_errors``. Parsing is done by coverage.py's parser, in parallel, and
cached by content hash (see ``static.py`` and ``cache.py``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import coverage
from coverage.data import CoverageData, combinable_files
from coverage.exceptions import CoverageException, NoSource, NotPython
from coverage.files import GlobMatcher, prep_patterns
from coverage.misc import join_regex
from coverage.plugin import FileReporter
from coverage.python import PythonFileReporter
from coverage.results import analysis_from_file_reporter

from covgap.collect.coverage.regions import file_from_analysis
from covgap.collect.coverage.staleness import cannot_be_code, with_source_checks
from covgap.collect.coverage.static import (
    AnalysisOptions,
    StaticAnalysis,
    StaticFileReporter,
    analyze_file,
    cache_key,
)
from covgap.collect.suite.rcfile import coverage_config_errors, working_directory
from covgap.errors import DataError
from covgap.files import NotRegularFileError, open_regular, read_bytes
from covgap.inputs import not_regular
from covgap.model import FileCoverage, ProjectCoverage
from covgap.store.cache import AnalysisCache, CachedResult

__all__ = ["LoadOptions", "load_coverage_data", "pytest_node_ids"]

#: coverage.py 7.14+ combines parallel data files into the data file before every report.
COMBINES_IMPLICITLY = coverage.version_info >= (7, 14)

#: Files that are Python source by name; others measured (templates compiled to Python code)
#: are left out with a note when they cannot be parsed.
_PYTHON_SUFFIXES = (".py", ".pyw")

#: Below this many files to parse, worker processes cost more than they save.
_PARALLEL_THRESHOLD = 24


@dataclass(frozen=True)
class LoadOptions:
    """How to read coverage data."""

    project_dir: Path
    data_file: Path | None = None
    #: Worker processes for parsing; None means one per CPU.
    jobs: int | None = None
    #: Where the static-analysis cache lives; None disables it.
    cache_path: Path | None = None
    #: Static analyses already made (by ``covgap run`` while the suite ran), by cache key.
    prepared: Mapping[str, StaticAnalysis] = dataclasses.field(default_factory=dict)


def check_data_file(path: Path, shown: str) -> None:
    """Refuse, read-only, a file that is not coverage.py data.

    coverage.py itself would add its tables to any SQLite file it is given; covgap checks first
    so that a wrongly named file is never changed.
    """
    try:
        with open_regular(path) as handle:
            header = handle.read(16)
    except NotRegularFileError as exc:
        raise not_regular(exc, shown) from exc
    except OSError as exc:
        raise DataError(
            f"cannot be read: {exc.strerror}", path=shown, slug="bad-data-file"
        ) from exc
    if header != b"SQLite format 3\0":
        what = "an empty file" if not header else "not an SQLite database"
        raise DataError(f"not a coverage.py data file ({what})", path=shown, slug="bad-data-file")
    try:
        uri = path.resolve().as_uri() + "?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.Error as exc:
        raise DataError(
            f"not a usable SQLite database ({exc})", path=shown, slug="bad-data-file"
        ) from exc
    if "coverage_schema" not in tables:
        raise DataError(
            "an SQLite database, but not coverage.py data (no coverage_schema table); "
            "left untouched",
            path=shown,
            slug="bad-data-file",
        )


def _make_coverage(data_file: str | None) -> coverage.Coverage:
    with coverage_config_errors():
        if data_file is None:
            return coverage.Coverage(config_file=True)
        return coverage.Coverage(data_file=data_file, config_file=True)


def load_coverage_data(options: LoadOptions) -> ProjectCoverage:
    """Read a ``.coverage`` file (or its parallel pieces) into a ProjectCoverage."""
    project_dir = options.project_dir.resolve()
    if not project_dir.is_dir():
        raise DataError(
            "project folder not found", path=str(options.project_dir), slug="no-project"
        )
    with working_directory(project_dir), tempfile.TemporaryDirectory(prefix="covgap-") as tmp:
        cov, shown_path, data_files = _open_data(options, Path(tmp))
        opened: list[CoverageData] = []
        try:
            opened.append(cov.get_data())
            # [paths] remapping: coverage.py makes a remapped in-memory copy of the data.
            cov._prepare_data_for_reporting()
            data = cov.get_data()
            opened.append(data)
            if not data.measured_files():
                raise DataError(
                    "the data file measured no files (empty data set)",
                    path=shown_path,
                    hint="check [run] source/include in the coverage config and that the tests ran",
                    slug="empty-data",
                )
            branch_measured = data.has_arcs()
            test_contexts = pytest_node_ids(data.measured_contexts())
            files, notes, (parsed, cached), changed = _analyze_all(cov, options)
        except CoverageException as exc:
            raise _unusable(exc, shown_path) from exc
        finally:
            for data_object in opened:
                data_object.close(force=True)
    if not files:
        raise DataError(
            "no measured file is left to report after [report] include/omit",
            path=shown_path,
            slug="empty-data",
        )
    project = ProjectCoverage(
        files=tuple(sorted(files, key=lambda f: f.path)),
        branch_measured=branch_measured,
        input_kind="coverage-data",
        input_path=shown_path,
        coverage_precision=cov.config.precision,
        notes=tuple(notes),
        parsed_files=parsed,
        cached_files=cached,
        test_contexts=test_contexts,
    )
    return with_source_checks(project, project_dir, data_files, changed)


def pytest_node_ids(contexts: Iterable[str]) -> tuple[str, ...]:
    """The pytest node ids among coverage contexts, sorted: covgap records a test's node id,
    pytest-cov its node id and the phase ("tests/test_a.py::test_x|run"); other contexts (the
    empty one, ``dynamic_context = test_function``'s names) are not node ids."""
    return tuple(sorted({context.partition("|")[0] for context in contexts if "::" in context}))


def _combine_hint(message: str, config_files: Sequence[str]) -> str | None:
    """What to change when coverage.py refuses the ``[paths]`` setting it combines with (7.18+:
    "Result path must not contain wildcards")."""
    if "Result path" not in message and "[paths]" not in message:
        return None
    where = ", ".join(config_files) or "the coverage configuration"
    return (
        f"the first path of each [paths] entry (in {where}) is where the others are mapped to: "
        "make it a real folder (`src/`), not a pattern"
    )


def _open_data(
    options: LoadOptions, scratch_dir: Path
) -> tuple[coverage.Coverage, str, list[Path]]:
    """A Coverage object with the project's data loaded, the data's name for messages, and the
    data's files (the data file, its parallel pieces).

    Parallel pieces are combined the way coverage.py's reports combine them, in a copy in
    ``scratch_dir``: the project's own files are never changed.
    """
    cov = _make_coverage(str(options.data_file) if options.data_file else None)
    data_path = Path(cov.config.data_file)
    shown_path = str(options.data_file) if options.data_file else cov.config.data_file
    pieces = combinable_files(str(data_path))
    if not data_path.exists() and not pieces:
        raise DataError(
            "coverage data file not found",
            path=shown_path,
            hint="measure first: `coverage run -m pytest`, or name the file with --data",
            slug="no-data-file",
        )
    if data_path.exists():
        check_data_file(data_path, shown_path)
    try:
        if pieces and (not data_path.exists() or COMBINES_IMPLICITLY):
            # coverage.py 7.14+ reports combine pieces even into an existing data file.
            for piece in pieces:
                check_data_file(Path(piece), piece)
            scratch = scratch_dir / ".coverage"
            if data_path.exists():
                shutil.copyfile(data_path, scratch)
            cov = _make_coverage(str(scratch))
            cov.load()
            try:
                cov.combine(pieces, keep=True)
            except CoverageException as exc:
                raise DataError(
                    f"cannot combine parallel data files: {exc}",
                    path=shown_path,
                    hint=_combine_hint(str(exc), cov.config.config_files_read),
                ) from exc
            if not data_path.exists():
                count = len(pieces)
                shown_path = f"{shown_path}.* ({count} parallel file{'s' if count != 1 else ''})"
        else:
            cov.load()
    except CoverageException as exc:
        raise _unusable(exc, shown_path) from exc
    data_files = [data_path.absolute()] if data_path.exists() else []
    return cov, shown_path, [*data_files, *(Path(piece).absolute() for piece in pieces)]


def _unusable(exc: CoverageException, shown_path: str) -> DataError:
    return DataError(
        f"not a usable coverage.py data file ({_first_line(exc)})",
        path=shown_path,
        slug="bad-data-file",
    )


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _reporters(cov: coverage.Coverage) -> list[tuple[FileReporter, str]]:
    """The files ``coverage report`` would report, after [report] include and omit."""
    pairs: list[tuple[FileReporter, str]] = [
        (fr, str(morf)) for fr, morf in cov._get_file_reporters(None)
    ]
    config = cov.config
    if config.report_include:
        matcher = GlobMatcher(prep_patterns(config.report_include), "report_include")
        pairs = [(fr, morf) for fr, morf in pairs if matcher.match(fr.filename)]
    if config.report_omit:
        matcher = GlobMatcher(prep_patterns(config.report_omit), "report_omit")
        pairs = [(fr, morf) for fr, morf in pairs if not matcher.match(fr.filename)]
    return sorted(pairs, key=lambda pair: pair[1])


def _analyze_job(job: tuple[str, AnalysisOptions]) -> tuple[str, StaticAnalysis | str]:
    """Worker: parse one file; errors come back as text (exceptions may not pickle)."""
    filename, analysis_options = job
    try:
        return filename, analyze_file(filename, analysis_options)
    except NotPython as exc:
        return filename, f"syntax:{_first_line(exc)}"
    except (SyntaxError, UnicodeDecodeError) as exc:
        # coverage.py's encoding detection: bytes that are not UTF-8 in the first two lines,
        # with no coding declaration.
        return filename, f"encoding:{_first_line(exc)}"
    except (NoSource, FileNotFoundError, NotADirectoryError) as exc:
        return filename, f"missing:{_first_line(exc)}"
    except OSError as exc:  # there, but not readable (permissions, a folder)
        return filename, f"unreadable:{exc.strerror or _first_line(exc)}"


def _measured(data: CoverageData, mapped_filename: str) -> tuple[str, set[int]]:
    """A hash of what was measured in one file (with the source's hash, it fixes the result),
    and the lines the data says ran."""
    measured: list[tuple[int, int]] | list[int] | None
    measured = data.arcs(mapped_filename) if data.has_arcs() else data.lines(mapped_filename)
    ordered = sorted(measured or [])
    lines = {
        line
        for item in ordered
        for line in (item if isinstance(item, tuple) else (item,))
        if line > 0
    }
    return hashlib.sha256(repr(ordered).encode()).hexdigest(), lines


#: Every reported file's FileCoverage; notes; (files parsed, files answered from the cache);
#: the files whose measured lines cannot be code in their source now.
_Analyzed = tuple[list[FileCoverage], list[str], tuple[int, int], list[str]]


def _analyze_all(cov: coverage.Coverage, options: LoadOptions) -> _Analyzed:
    """Every reported file's analysis (``_Analyzed``).

    Two cache levels: a file whose bytes and measured data are both unchanged comes back whole
    (``result``); a file whose bytes are unchanged skips parsing (``static``).
    """
    config = cov.config
    data = cov.get_data()
    analysis_options = AnalysisOptions(
        exclude_regex=cov._exclude_regex("exclude"),
        partial_regex=join_regex(config.partial_list + config.partial_always_list),
        branch=data.has_arcs(),
    )
    cache = AnalysisCache(options.cache_path) if options.cache_path else None
    with cache or contextlib.nullcontext():
        return _analyze_with(cov, options, data, analysis_options, cache)


def _analyze_with(
    cov: coverage.Coverage,
    options: LoadOptions,
    data: CoverageData,
    analysis_options: AnalysisOptions,
    cache: AnalysisCache | None,
) -> _Analyzed:
    config = cov.config
    pairs = _reporters(cov)
    notes: list[str] = []
    changed: list[str] = []
    missing_sources: list[str] = []
    unparsable: list[tuple[str, str]] = []

    # 1. Keys: the source's content hash, and with it the measured data's.
    static_keys: dict[str, str] = {}
    result_keys: dict[str, str] = {}
    for fr, _morf in pairs:
        if not isinstance(fr, PythonFileReporter):
            continue
        try:
            source_bytes = read_bytes(fr.filename)
        except NotRegularFileError as exc:  # a FIFO in a source folder: never opened
            unparsable.append((fr.filename, f"special:{exc.strerror}"))
            continue
        except (FileNotFoundError, NotADirectoryError):
            missing_sources.append(fr.filename)
            continue
        except OSError as exc:  # there, but not readable: not "not found on this disk"
            unparsable.append((fr.filename, f"unreadable:{exc.strerror or _first_line(exc)}"))
            continue
        static_keys[fr.filename] = cache_key(source_bytes, analysis_options)
        measured, ran = _measured(data, cov._file_mapper(fr.filename))
        if cannot_be_code(source_bytes, ran):
            changed.append(fr.relative_filename())
        result_keys[fr.filename] = hashlib.sha256(
            f"{static_keys[fr.filename]}\0{fr.relative_filename()}\0{measured}".encode()
        ).hexdigest()

    # 2. Whole results first, then static analyses for the rest, then parse what is left.
    results: dict[str, CachedResult] = {}
    statics: dict[str, StaticAnalysis] = {}
    if cache is not None:
        found = cache.get_results(result_keys.values())
        results = {name: found[key] for name, key in result_keys.items() if key in found}
        wanted = {name: key for name, key in static_keys.items() if name not in results}
        found_static = cache.get_statics(wanted.values(), StaticAnalysis.from_json)
        statics = {name: found_static[key] for name, key in wanted.items() if key in found_static}
    cached_count = len(results) + len(statics)
    prepared = {
        name: options.prepared[key]
        for name, key in static_keys.items()
        if key in options.prepared and name not in results and name not in statics
    }
    to_parse = [
        name
        for name in static_keys
        if name not in results and name not in statics and name not in prepared
    ]
    fresh: dict[str, StaticAnalysis] = {}
    for filename, outcome in _run_jobs(to_parse, analysis_options, options.jobs):
        if isinstance(outcome, StaticAnalysis):
            fresh[filename] = outcome
        elif outcome.startswith(("syntax:", "encoding:", "unreadable:")):
            unparsable.append((filename, outcome))
        else:
            missing_sources.append(filename)
    statics.update(fresh)
    statics.update(prepared)
    fresh.update(prepared)  # new to the cache, like what was parsed here
    _raise_or_note_source_problems(missing_sources, unparsable, config.ignore_errors, notes)

    # 3. Combine with the measured data, through coverage.py's own Analysis.
    with_contexts = bool(data.measured_contexts() - {""})
    files: list[FileCoverage] = []
    new_results: dict[str, CachedResult] = {}
    for fr, morf in pairs:
        relative = fr.relative_filename()
        if isinstance(fr, PythonFileReporter):
            result = results.get(fr.filename)
            if result is None:
                static = statics.get(fr.filename)
                if static is None:
                    continue  # reported above, and skipped under ignore_errors
                reporter = StaticFileReporter(fr.filename, relative, static)
                analysis = analysis_from_file_reporter(
                    data, config.precision, reporter, cov._file_mapper(fr.filename)
                )
                file = file_from_analysis(relative, analysis, static.regions, static.num_lines)
                result = CachedResult(file, static.decode_replaced)
                new_results[result_keys[fr.filename]] = result
            if result.decode_replaced:
                notes.append(
                    f"{relative}: not valid in its declared encoding (UTF-8 unless a coding "
                    "line says otherwise); read with replacement characters, as coverage.py does"
                )
            if with_contexts:
                files.append(_with_tests(result.file, data, cov._file_mapper(fr.filename)))
            else:
                files.append(result.file)
        else:
            plugin_file = _plugin_file(cov, fr, morf, relative, notes)
            if plugin_file is not None:
                files.append(plugin_file)
    if cache is not None:
        cache.put_statics({static_keys[name]: static.to_json() for name, static in fresh.items()})
        cache.put_results(new_results)
        if cache.problem:
            notes.append(cache.problem)
    return files, notes, (len(fresh), cached_count), changed


#: Tests named per function (from per-test contexts), at most.
TESTS_PER_REGION = 5


def test_nodeid(context: str) -> str | None:
    """The pytest node id of a per-test context, without parameters and without pytest-cov's
    ``|run`` phase: ``tests/test_a.py::TestB::test_c[1]|run`` -> ``tests/test_a.py::TestB::
    test_c``; None for a context that is not a test's."""
    if "::" not in context:
        return None
    nodeid = context.rpartition("|")[0] if "|" in context.rpartition("::")[2] else context
    head, separator, last = nodeid.rpartition("::")
    return f"{head}{separator}{last.partition('[')[0]}"


def _with_tests(file: FileCoverage, data: CoverageData, mapped_filename: str) -> FileCoverage:
    """``file`` with the tests that ran its lines (from per-test contexts): the test modules,
    most lines first, and per function the tests, most lines first."""
    by_line: dict[int, set[str]] = {}
    for line, contexts in data.contexts_by_lineno(mapped_filename).items():
        nodeids = {n for c in contexts if (n := test_nodeid(c))}
        if nodeids:
            by_line[line] = nodeids
    lines_by_module: dict[str, set[int]] = {}
    for line, nodeids in by_line.items():
        for nodeid in nodeids:
            lines_by_module.setdefault(nodeid.partition("::")[0], set()).add(line)
    ranked = sorted(lines_by_module.items(), key=lambda item: (-len(item[1]), item[0]))
    regions = []
    for region in file.regions:
        counts: dict[str, int] = {}
        if region.kind == "function":
            for line in region.statement_lines:
                for nodeid in by_line.get(line, ()):
                    counts[nodeid] = counts.get(nodeid, 0) + 1
        best = sorted(counts, key=lambda n: (-counts[n], n))[:TESTS_PER_REGION]
        regions.append(dataclasses.replace(region, tested_by=tuple(best)) if best else region)
    return dataclasses.replace(
        file,
        tested_by=tuple((module, len(lines)) for module, lines in ranked),
        regions=tuple(regions),
    )


def _plugin_file(
    cov: coverage.Coverage, fr: FileReporter, morf: str, relative: str, notes: list[str]
) -> FileCoverage | None:
    """A plugin's file (templates and the like): coverage analyses it, uncached."""
    try:
        analysis = cov._analyze(morf, file_reporter=fr)
        num_lines = len(fr.source().splitlines())
    except CoverageException as exc:
        if cov.config.ignore_errors:
            notes.append(f"{relative}: skipped, as [report] ignore_errors asks ({exc})")
            return None
        raise DataError(f"cannot analyse: {_first_line(exc)}", path=relative) from exc
    return file_from_analysis(relative, analysis, fr.code_regions(), num_lines)


def _run_jobs(
    filenames: list[str], analysis_options: AnalysisOptions, jobs: int | None
) -> list[tuple[str, StaticAnalysis | str]]:
    work = [(name, analysis_options) for name in filenames]
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(work) < _PARALLEL_THRESHOLD:
        return [_analyze_job(job) for job in work]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_analyze_job, work, chunksize=max(1, len(work) // (workers * 8))))


def _raise_or_note_source_problems(
    missing_sources: list[str],
    unparsable: list[tuple[str, str]],
    ignore_errors: bool,
    notes: list[str],
) -> None:
    if missing_sources:
        count = len(missing_sources)
        message = (
            f"source of {count} measured file{'s' if count != 1 else ''} not found on this disk"
            " (data measured on another machine, or files moved since measurement?)"
        )
        if ignore_errors:
            shown = ", ".join(missing_sources[:3]) + (", …" if count > 3 else "")
            notes.append(f"{message}; skipped under [report] ignore_errors: {shown}")
        else:
            raise DataError(
                message,
                path=missing_sources[0],
                hint="map the measured paths to this checkout with a [paths] section in the "
                "coverage config, or set [report] ignore_errors = true to skip them",
                slug="no-source",
            )
    templates = [
        name
        for name, result in unparsable
        if not name.endswith(_PYTHON_SUFFIXES) and not result.startswith("unreadable:")
    ]
    if templates:
        count = len(templates)
        shown = ", ".join(templates[:3]) + (", …" if count > 3 else "")
        notes.append(
            f"{count} measured file{'s' if count != 1 else ''} that {'are' if count != 1 else 'is'}"
            f" not Python source left out ({shown}): code compiled from a template keeps the "
            "template's name (Jinja2, Mako); `[run] omit` them to say so"
        )
    for filename, result in unparsable:
        if filename in templates:
            continue
        kind, _, reason = result.partition(":")
        hint = "fix the file, omit it with [report] omit, or set [report] ignore_errors = true"
        if kind == "encoding":
            message = f"not valid UTF-8 and no coding declaration says otherwise ({reason})"
        elif kind == "special":
            message = reason
        elif kind == "unreadable":
            message = f"source cannot be read ({reason})"
            hint = "make it readable, or set [report] ignore_errors = true to skip it"
        else:
            message = f"cannot be parsed as Python ({reason})"
        if ignore_errors:
            notes.append(f"{filename}: {message}; skipped under [report] ignore_errors")
        else:
            slugs = {
                "encoding": "bad-encoding",
                "unreadable": "unreadable-source",
                "special": "not-regular-file",
            }
            raise DataError(message, path=filename, hint=hint, slug=slugs.get(kind, "not-python"))
