"""The filter every engine's candidates go through: built, passed every run, added coverage.

Engine-independent (TestGen-LLM's funnel): each candidate module is written into the project's
copy where its tests will live; all of them run ``runs`` times together, each run in another
seeded random order, each test in a coverage context of its own. A test is kept only when it
passed every run and adds lines or arcs that neither the suite's data nor the tests kept before
it cover (greedy: the test adding most first). A test that failed every run with the same
exception raised from the project's code, or that passed only by expecting an exception the
function never raises itself (``pytest.raises(IndexError)`` around ``s[0]``), is a finding: a
suspected bug, not a test to keep.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from covgap.draft.engines.base import Feedback
from covgap.draft.runner import RunResult, TestRun, Workspace

if TYPE_CHECKING:
    from covgap.model import ProjectCoverage
    from covgap.model.draft import Candidate, DraftedTest, DraftTarget

__all__ = ["Missing", "candidate_path", "filter_candidates", "make_check", "missing_of"]

#: Exceptions that a function raising without a ``raise`` of its own points at a bug.
BUG_EXCEPTIONS = frozenset(
    {
        "IndexError",
        "KeyError",
        "AttributeError",
        "TypeError",
        "ZeroDivisionError",
        "UnboundLocalError",
        "NameError",
        "RecursionError",
        "AssertionError",
        "OverflowError",
        "UnicodeDecodeError",
        "UnicodeEncodeError",
        "StopIteration",
    }
)


@dataclass(frozen=True)
class Missing:
    """What the suite's data leaves uncovered, by file (relative paths)."""

    lines: Mapping[str, frozenset[int]]
    arcs: Mapping[str, frozenset[tuple[int, int]]]

    def new_in(
        self,
        test: TestRun,
        covered_lines: Mapping[str, set[int]],
        covered_arcs: Mapping[str, set[tuple[int, int]]],
    ) -> tuple[dict[str, frozenset[int]], dict[str, frozenset[tuple[int, int]]]]:
        lines = {}
        for path, ran in test.lines.items():
            new = (ran & self.lines.get(path, frozenset())) - covered_lines.get(path, set())
            if new:
                lines[path] = frozenset(new)
        arcs = {}
        for path, ran_arcs in test.arcs.items():
            new_arcs = (ran_arcs & self.arcs.get(path, frozenset())) - covered_arcs.get(path, set())
            if new_arcs:
                arcs[path] = frozenset(new_arcs)
        return lines, arcs


def missing_of(project: ProjectCoverage) -> Missing:
    return Missing(
        lines={f.path: frozenset(f.missing_lines) for f in project.files if f.missing_lines},
        arcs={f.path: frozenset(f.missing_arcs) for f in project.files if f.missing_arcs},
    )


def candidate_path(target: DraftTarget, number: int) -> str:
    """Where candidate ``number`` is written in the copy: beside the target's test module, so
    its conftest files apply."""
    folder = PurePosixPath(target.test_file).parent if target.test_file else PurePosixPath("tests")
    return (folder / f"test_covgap_candidate_{number}.py").as_posix()


def _test_names(source: str) -> list[str]:
    """The test functions of a module (for one that does not parse: the ``def test_`` lines)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return re.findall(r"^\s*(?:async\s+)?def\s+(test\w*)", source, re.MULTILINE) or ["(module)"]
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
            "test"
        ):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names += [
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                and item.name.startswith("test")
            ]
    return names


def _base_name(nodeid: str) -> str:
    """``tests/test_c.py::TestX::test_y[1]`` -> ``TestX::test_y``."""
    return nodeid.split("::", 1)[-1].split("[", 1)[0]


@dataclass
class _Entry:
    candidate: Candidate
    target: DraftTarget
    path: str
    names: list[str]
    compiles: bool


def filter_candidates(
    workspace: Workspace,
    pairs: Sequence[tuple[Candidate, DraftTarget]],
    missing: Missing,
    *,
    runs: int,
    timeout: float,
    seed: int = 0,
) -> list[DraftedTest]:
    """Every candidate test, with its status (``TestStatus``)."""

    entries: list[_Entry] = []
    for number, (candidate, target) in enumerate(pairs, 1):
        path = candidate_path(target, number)
        compiles = _compiles(candidate.source)
        entries.append(_Entry(candidate, target, path, _test_names(candidate.source), compiles))
        if compiles:
            workspace.write(path, candidate.source)
    files = [entry.path for entry in entries if entry.compiles]
    results: list[RunResult] = []
    if files:
        for run in range(runs):
            results.append(workspace.run(files, seed=seed + run, timeout=timeout))
    for path in files:
        workspace.remove(path)
    tests: list[DraftedTest] = []
    passing: list[tuple[DraftedTest, list[TestRun]]] = []
    for entry in entries:
        by_test = _runs_of(entry, results)
        if not entry.compiles or any(entry.path in result.collect_errors for result in results):
            error = next(
                (r.collect_errors[entry.path] for r in results if entry.path in r.collect_errors),
                _syntax_error(entry.candidate.source) or "did not collect",
            )
            for name in entry.names:
                tests.append(_drafted(entry, name, "not-built", failure=error))
            continue
        for name, test_runs in by_test.items():
            drafted = _judge(entry, name, test_runs, runs)
            if drafted.status == "redundant":  # passed every run: kept if it adds coverage
                passing.append((drafted, test_runs))
            else:
                tests.append(drafted)
    tests += _greedy(passing, missing)
    return tests


def _syntax_error(source: str) -> str:
    """Why the module does not compile, in one line ("" when it does)."""
    try:
        compile(source, "<candidate>", "exec")
    except (SyntaxError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    return ""


def _compiles(source: str) -> bool:
    return not _syntax_error(source)


def _runs_of(entry: _Entry, results: Sequence[RunResult]) -> dict[str, list[TestRun]]:
    """The runs of each test of the candidate (parametrized cases together), by test name."""
    prefix = f"{entry.path}::"
    found: dict[str, list[TestRun]] = {}
    for result in results:
        for nodeid, test in result.tests.items():
            if nodeid.startswith(prefix):
                found.setdefault(_base_name(nodeid), []).append(test)
    return found


def _drafted(entry: _Entry, name: str, status: str, **fields: object) -> DraftedTest:
    from covgap.model.draft import DraftedTest

    return DraftedTest(
        engine=entry.candidate.engine,
        target=entry.target.key,
        name=name,
        status=status,  # type: ignore[arg-type]
        source=test_source(entry.candidate.source, name),
        attempt=entry.candidate.attempt,
        **fields,  # type: ignore[arg-type]
    )


def _judge(entry: _Entry, name: str, test_runs: list[TestRun], runs: int) -> DraftedTest:
    """The status of one test from its runs ("redundant" stands for "passed every run")."""
    passes = sum(1 for t in test_runs if t.outcome == "passed")
    failed = [t for t in test_runs if t.outcome in ("failed", "hung")]
    counts = {"runs": len(test_runs), "passes": passes}
    if failed and passes:
        first = failed[0]
        return _drafted(entry, name, "flaky", failure=_failure(first), **counts)
    if failed:
        first = failed[0]
        same = all(
            (t.exc_type, t.exc_message) == (first.exc_type, first.exc_message) for t in failed
        )
        from_project = bool(first.origin) and first.origin != entry.path
        # AssertionError from the test's own assert is a wrong oracle; an exception the
        # function raises itself (``raise ValueError``) is its behaviour, not a bug
        raised_by_code = (first.exc_type != "AssertionError" or first.origin != entry.path) and (
            first.exc_type not in BUG_EXCEPTIONS or _is_bug_class(first.exc_type, entry.target)
        )
        short = first.exc_type.rsplit(".", 1)[-1]
        raised_by_code = raised_by_code and short not in entry.target.raises
        if same and first.outcome == "failed" and from_project and raised_by_code:
            return _drafted(
                entry,
                name,
                "finding",
                failure=_failure(first),
                call=_call_of(first, entry.target),
                **counts,
            )
        if entry.candidate.probe and first.exc_type.rsplit(".", 1)[-1] in entry.target.raises:
            # the probe only met what the function raises on purpose
            return _drafted(entry, name, "probe-passed", failure=_failure(first), **counts)
        return _drafted(entry, name, "failed", failure=_failure(first), **counts)
    if passes < runs or not test_runs:
        return _drafted(entry, name, "failed", failure="skipped", **counts)
    if entry.candidate.probe:
        return _drafted(entry, name, "probe-passed", **counts)
    rebinds = sorted({bound for test in test_runs for bound in test.rebinds})
    if rebinds:
        more = f" (and {len(rebinds) - 3} more)" if len(rebinds) > 3 else ""
        return _drafted(
            entry,
            name,
            "pollutes",
            failure=f"leaves {', '.join(rebinds[:3])}{more} bound to another object",
            **counts,
        )
    expected = _expected_bug(test_source(entry.candidate.source, name), entry.target)
    if expected is not None:
        exception, call = expected
        return _drafted(
            entry,
            name,
            "finding",
            failure=f"{exception} (the test expects it; {entry.target.name} never raises it)",
            call=call,
            **counts,
        )
    return _drafted(entry, name, "redundant", **counts)


def _failure(test: TestRun) -> str:
    if test.outcome == "hung":
        return f"did not finish ({test.exc_message})"
    text = f"{test.exc_type}: {test.exc_message}" if test.exc_message else test.exc_type
    return text or "failed"


def _call_of(test: TestRun, target: DraftTarget) -> str:
    if test.falsifying:
        example = test.falsifying.partition(":")[2].strip()
        args = example.partition("(")[2].rpartition(")")[0].strip().rstrip(",")
        return f"{target.qualname}({args})"
    line = test.test_line
    if line.startswith("assert "):
        line = line.removeprefix("assert ")
        line = re.split(r"\s*(?:==|!=| is | in )\s*", line, maxsplit=1)[0]
    return line.removeprefix("result = ").strip()


#: Exceptions a wrong argument type raises: a bug only when the function declares its types
#: (then the input had the declared types), else the caller's mistake.
_TYPE_CONFUSION = frozenset({"TypeError", "AttributeError"})


def _typed(target: DraftTarget) -> bool:
    """Every parameter of the function (but self and cls) has a type annotation."""
    lines = target.source.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    try:
        tree = ast.parse("\n".join(line[indent:] for line in lines))
    except (SyntaxError, ValueError):
        return False
    node = next(
        (n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None
    )
    if node is None:
        return False
    args = node.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if params and params[0].arg in ("self", "cls"):
        params = params[1:]
    return all(param.annotation is not None for param in params)


def _is_bug_class(exception: str, target: DraftTarget) -> bool:
    exception = exception.rsplit(".", 1)[-1]
    if exception in target.raises:
        return False
    if exception in _TYPE_CONFUSION:
        return _typed(target)
    return True


def _expected_bug(source: str, target: DraftTarget) -> tuple[str, str] | None:
    """(exception, call) when the test only passes by expecting an exception from the bug class
    that the function does not raise itself."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.With):
            continue
        for item in node.items:
            call = item.context_expr
            if not (isinstance(call, ast.Call) and call.args and _is_raises(call.func)):
                continue
            expected = call.args[0]
            name = (
                expected.attr
                if isinstance(expected, ast.Attribute)
                else getattr(expected, "id", "")
            )
            if name in BUG_EXCEPTIONS and _is_bug_class(name, target):
                body = ast.get_source_segment(source, node.body[0]) or ""
                return name, body.strip()
    return None


def _is_raises(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "raises") or (
        isinstance(func, ast.Name) and func.id == "raises"
    )


def _greedy(
    passing: list[tuple[DraftedTest, list[TestRun]]], missing: Missing
) -> list[DraftedTest]:
    """Keep, one at a time, the test that adds the most units not yet covered; the others are
    redundant. A test's units are those it ran in every run that measured it."""
    covered_lines: dict[str, set[int]] = {}
    covered_arcs: dict[str, set[tuple[int, int]]] = {}
    stable = [(drafted, _always(test_runs)) for drafted, test_runs in passing]
    decided: list[DraftedTest] = []
    left = list(range(len(stable)))
    while left:
        best, best_gain = -1, 0
        best_new: tuple[dict[str, frozenset[int]], dict[str, frozenset[tuple[int, int]]]]
        best_new = ({}, {})
        best_odd = 0
        for index in left:
            new_lines, new_arcs = missing.new_in(stable[index][1], covered_lines, covered_arcs)
            gain = sum(map(len, new_lines.values())) + sum(map(len, new_arcs.values()))
            odd = _oddness(stable[index][0].source)
            # as much gained: the test a person reads more easily
            if gain > best_gain or (gain == best_gain and gain and odd < best_odd):
                best, best_gain, best_new, best_odd = index, gain, (new_lines, new_arcs), odd
        if best < 0:
            break
        left.remove(best)
        new_lines, new_arcs = best_new
        for path, lines in new_lines.items():
            covered_lines.setdefault(path, set()).update(lines)
        for path, arcs in new_arcs.items():
            covered_arcs.setdefault(path, set()).update(arcs)
        decided.append(
            replace(
                stable[best][0],
                status="kept",
                new_lines=tuple((p, tuple(sorted(v))) for p, v in sorted(new_lines.items())),
                new_arcs=tuple((p, tuple(sorted(v))) for p, v in sorted(new_arcs.items())),
            )
        )
    decided += [stable[index][0] for index in left]
    return decided


def _oddness(source: str) -> int:
    """How hard a test's literals are to read: escaped control characters, characters outside
    ASCII, and its length, in that order of weight."""
    escapes = len(re.findall(r"\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8}", source))
    foreign = sum(1 for char in source if ord(char) > 127)
    return 1000 * (escapes + foreign) + len(source)


def _always(test_runs: list[TestRun]) -> TestRun:
    """What the test ran in every run that measured it (parametrized cases together)."""
    measured = [t for t in test_runs if t.measured]
    merged = TestRun(nodeid=test_runs[0].nodeid if test_runs else "", outcome="passed")
    if not measured:
        return merged
    # Each case of a parametrized test: what it ran in every run; the test: its cases' union.
    lines: dict[str, set[int]] = {}
    arcs: dict[str, set[tuple[int, int]]] = {}
    cases: dict[str, list[TestRun]] = {}
    for test in measured:
        cases.setdefault(test.nodeid, []).append(test)
    for case_runs in cases.values():
        case_lines = _intersect([t.lines for t in case_runs])
        case_arcs = _intersect([t.arcs for t in case_runs])
        for path, value in case_lines.items():
            lines.setdefault(path, set()).update(value)
        for path, value in case_arcs.items():
            arcs.setdefault(path, set()).update(value)
    merged.lines = {p: frozenset(v) for p, v in lines.items()}
    merged.arcs = {p: frozenset(v) for p, v in arcs.items()}
    merged.measured = True
    return merged


def _intersect(maps: list[dict[str, frozenset]]) -> dict[str, frozenset]:  # type: ignore[type-arg]
    if not maps:
        return {}
    common = set(maps[0])
    for other in maps[1:]:
        common &= set(other)
    return {path: frozenset.intersection(*(m[path] for m in maps)) for path in common}


def test_source(module: str, name: str) -> str:
    """The source of the test ``name`` ("test_x" or "TestY::test_z": the class) in ``module``."""
    top = name.split("::", 1)[0]
    try:
        tree = ast.parse(module)
    except (SyntaxError, ValueError):
        return ""
    for node in tree.body:
        if (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node.name == top
        ):
            start = min([d.lineno for d in node.decorator_list] + [node.lineno])
            lines = module.splitlines()
            return "\n".join(lines[start - 1 : node.end_lineno])
    return ""


def make_check(workspace: Workspace, missing: Missing, *, timeout: float, seed: int = 0):  # type: ignore[no-untyped-def]
    """The ``Check`` engines with a loop call: the candidate alone, one run, and what the
    target still misses with it."""
    counter = iter(range(1, 1_000_000))

    def check(target: DraftTarget, source: str) -> Feedback:
        syntax = _syntax_error(source)
        if syntax:
            return Feedback(built=False, passed=False, error=syntax)
        path = candidate_path(target, 10_000 + next(counter))
        workspace.write(path, source)
        try:
            result = workspace.run([path], seed=seed, timeout=timeout)
        finally:
            workspace.remove(path)
        if path in result.collect_errors or not result.tests:
            why = result.collect_errors.get(path) or _tail(result.output)
            return Feedback(built=False, passed=False, error=why)
        failed = [t for t in result.tests.values() if t.outcome != "passed"]
        lines = set(missing.lines.get(target.path, frozenset()) & set(target.missing_lines))
        arcs = set(missing.arcs.get(target.path, frozenset()) & set(target.missing_arcs))
        for test in result.tests.values():
            lines -= test.lines.get(target.path, frozenset())
            arcs -= test.arcs.get(target.path, frozenset())
        message = ""
        if failed:
            first = failed[0]
            message = f"{_base_name(first.nodeid)}: {_failure(first)}"
            if first.test_line:
                message += f" (at: {first.test_line})"
        return Feedback(
            built=True,
            passed=not failed,
            error=message,
            missing_lines=tuple(sorted(lines)),
            missing_arcs=tuple(sorted(arcs)),
        )

    return check


def _tail(output: str, lines: int = 15) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])
