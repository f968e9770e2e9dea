"""The new test modules: kept tests grouped where their tests go, new names only, formatted."""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from covgap.analyze.naming import tidy
from covgap.analyze.placement import module_name

if TYPE_CHECKING:
    from covgap.model.draft import Candidate, DraftedTest, DraftTarget, WrittenFile

__all__ = ["format_source", "new_path", "plan_files", "skeleton_files"]

#: The suffixes of the modules covgap draft writes: verified tests, and skeletons to finish.
KEPT_SUFFIX = "_generated"
SKELETON_SUFFIX = "_todo"


#: A module covgap draft wrote (``test_x_generated.py``, ``test_x_todo_2.py``).
DRAFTED = re.compile(rf"(.+?)(?:{KEPT_SUFFIX}|{SKELETON_SUFFIX})(?:_\d+)?$")


def _base(target: DraftTarget) -> str:
    """The test module the target's tests belong to; for a module covgap draft wrote before
    (placement may pick it), the one it was written beside."""
    if target.test_file:
        pure = PurePosixPath(target.test_file)
        drafted = DRAFTED.fullmatch(pure.stem)
        if drafted is not None:
            return (pure.parent / f"{drafted.group(1)}{pure.suffix}").as_posix()
        return target.test_file
    return f"tests/test_{module_name(target.path).rsplit('.', 1)[-1].strip('_') or 'module'}.py"


def new_path(project_dir: Path, base: str, suffix: str, taken: set[str]) -> str:
    """``tests/test_text.py`` -> ``tests/test_text<suffix>.py``, or ``…<suffix>_2.py`` and so on:
    never a file that exists, nor one already chosen in this run."""
    pure = PurePosixPath(base)
    stem = pure.stem
    number = 1
    while True:
        name = f"{stem}{suffix}{'' if number == 1 else f'_{number}'}.py"
        candidate = (pure.parent / name).as_posix()
        if candidate not in taken and not (project_dir / candidate).exists():
            taken.add(candidate)
            return candidate
        number += 1


def format_source(source: str) -> str:
    """The module formatted with black when it is installed (else as it is)."""
    try:
        import black
    except ImportError:
        return source
    try:
        return black.format_str(source, mode=black.Mode())
    except Exception:
        return source


def _header_parts(source: str) -> tuple[list[str], list[str]]:
    """(import statements, other top-level statements that are not tests) of a candidate."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return [], []
    imports: list[str] = []
    helpers: list[str] = []
    for node in tree.body:
        segment = ast.get_source_segment(source, node, padded=False) or ""
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(segment)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        elif (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name.startswith("test")
        ) or (isinstance(node, ast.ClassDef) and node.name.startswith("Test")):
            continue
        else:
            decorators = getattr(node, "decorator_list", [])
            if decorators:
                start = min(d.lineno for d in decorators)
                segment = "\n".join(source.splitlines()[start - 1 : node.end_lineno])
            helpers.append(segment)
    return imports, helpers


_SIMPLE_FROM = re.compile(r"from ([\w.]+) import ([\w, ]+)")


def _bound_names(statement: str) -> list[str]:
    """The names an import statement binds (``import a.b`` binds ``a``)."""
    try:
        node = ast.parse(statement).body[0]
    except (SyntaxError, ValueError, IndexError):
        return []
    if isinstance(node, ast.Import):
        return [(alias.asname or alias.name).split(".")[0] for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        return [alias.asname or alias.name for alias in node.names]
    return []


def _used_imports(imports: Iterable[str], code: str) -> list[str]:
    """The imports (and the names of a ``from`` import) that ``code`` uses: a candidate's
    header serves all its tests, and only some of them are kept."""
    words = set(re.findall(r"[A-Za-z_]\w*", code))
    kept: list[str] = []
    for statement in imports:
        if statement.startswith("from __future__"):
            kept.append(statement)
            continue
        names = _bound_names(statement)
        match = _SIMPLE_FROM.fullmatch(statement.strip())
        if match is not None and " as " not in statement and len(names) > 1:
            used = [name for name in names if name in words]
            if used:
                kept.append(f"from {match.group(1)} import {', '.join(used)}")
        elif any(name in words for name in names) or (not names and statement):
            kept.append(statement)
    return kept


def _sorted_imports(imports: Iterable[str], own: frozenset[str]) -> list[str]:
    """The imports deduplicated, ``from m import a`` and ``from m import b`` merged, in
    isort's groups: __future__, then the rest, then the project's own packages."""
    plain: list[str] = []
    names: dict[str, list[str]] = {}
    for line in dict.fromkeys(imports):
        match = _SIMPLE_FROM.fullmatch(line.strip())
        if match is None or " as " in line:
            plain.append(line)
            continue
        found = names.setdefault(match.group(1), [])
        for name in (part.strip() for part in match.group(2).split(",")):
            if name and name not in found:
                found.append(name)
    lines = plain + [f"from {module} import {', '.join(sorted(n))}" for module, n in names.items()]

    def module_of(line: str) -> str:
        return line.split()[1]

    future = [line for line in lines if module_of(line) == "__future__"]
    mine = [line for line in lines if module_of(line).split(".")[0] in own]
    rest = [line for line in lines if line not in future and line not in mine]

    def key(line: str) -> tuple[bool, str]:
        return (line.startswith("from "), module_of(line))

    groups = [future, sorted(rest, key=key), sorted(mine, key=key)]
    out: list[str] = []
    for group in groups:
        if group:
            out += [*([""] if out else []), *group]
    return out


#: Kinds of suggestion whose name says most about a test, first.
_TELLING = ("raise", "except", "return", "branch", "case", "loop", "lines", "call")


def _generic(name: str, target: DraftTarget) -> bool:
    """An engine's numbered name (``test_camelize_2``, ``test_case_3``) that says nothing."""
    base = re.escape(re.sub(r"\W+", "_", target.name).strip("_").lower())
    return bool(re.fullmatch(rf"test_(?:case_?\d+|{base}(?:_\d+)?|\d+)", name.lower()))


def _readable(test: DraftedTest, target: DraftTarget, used: set[str]) -> str:
    """The suggestion's name for what the test covers (the line it reaches that the suggestion
    is about), when the engine's name is a number; else the engine's."""
    name = test.name.split("::", 1)[0]
    if not _generic(name, target):
        return name
    lines = {line for path, found in test.new_lines if path == target.path for line in found}
    arcs = {arc for path, found in test.new_arcs if path == target.path for arc in found}
    reached = lines | {a for a, _ in arcs} | {b for _, b in arcs}
    fitting = [
        s
        for s in target.suggestions
        if s.test_name and s.line in reached and s.test_name not in used
    ]
    fitting.sort(key=lambda s: _TELLING.index(s.kind) if s.kind in _TELLING else len(_TELLING))
    return fitting[0].test_name if fitting else name


def _rename(source: str, old: str, new: str) -> str:
    return re.sub(
        rf"^(\s*(?:async\s+)?def\s+){re.escape(old)}\b", rf"\g<1>{new}", source, count=1, flags=re.M
    )


def plan_files(
    project_dir: Path,
    kept: Sequence[DraftedTest],
    targets: Mapping[str, DraftTarget],
    candidates: Mapping[tuple[str, str, int], Candidate],
    *,
    runs: int,
    taken: set[str],
) -> list[tuple[WrittenFile, list[DraftedTest]]]:
    """The modules to write for the kept tests, one beside each test module they belong to,
    with each test's ``written_to`` set (tests renamed where two share a name)."""
    from dataclasses import replace

    from covgap.model.draft import WrittenFile

    groups: dict[str, list[DraftedTest]] = {}
    order = {key: index for index, key in enumerate(targets)}

    def reading_order(test: DraftedTest) -> tuple[int, int]:
        """By function, then by the first line the test adds."""
        lines = [line for _, found in test.new_lines for line in found]
        lines += [arc[0] for _, found in test.new_arcs for arc in found]
        return order.get(test.target, len(order)), min(lines, default=0)

    for test in sorted(kept, key=reading_order):
        groups.setdefault(_base(targets[test.target]), []).append(test)
    files: list[tuple[WrittenFile, list[DraftedTest]]] = []
    for base, tests in groups.items():
        path = new_path(project_dir, base, KEPT_SUFFIX, taken)
        imports: list[str] = []
        helpers: list[str] = []
        bodies: list[str] = []
        names: list[str] = []
        written: list[DraftedTest] = []
        for test in tests:
            candidate = candidates[(test.engine, test.target, test.attempt)]
            more_imports, more_helpers = _header_parts(candidate.source)
            imports += more_imports
            helpers += [h for h in more_helpers if h not in helpers]
            name = test.name.split("::", 1)[0]
            # an engine's count (test_x_7 after it dropped six) means nothing to a reader
            readable = tidy(
                re.sub(r"(?<=[a-z])_\d+$", "", _readable(test, targets[test.target], set(names)))
            )
            new_name, number = readable, 2
            while new_name in names:
                new_name, number = f"{readable}_{number}", number + 1
            names.append(new_name)
            bodies.append(_rename(test.source, name, new_name) if new_name != name else test.source)
            written.append(replace(test, written_to=path, name=new_name))
        functions = sorted({targets[t.target].qualname for t in tests})
        engines = sorted({t.engine for t in tests})
        doc = (
            f'"""Tests covgap draft generated for {targets[tests[0].target].module}: '
            f"{', '.join(functions)}.\n\n"
            f"Each passed {runs} runs out of {runs} in random order and covers lines or branches "
            f"the suite did not\n(engines: {', '.join(engines)}). The expected values are what "
            "the code does today: read them\nbefore you commit.\n"
            '"""'
        )
        own = frozenset(targets[t.target].module.split(".")[0] for t in tests)
        used = _used_imports(dict.fromkeys(imports), "\n".join([*helpers, *bodies]))
        parts = [doc, "", *_sorted_imports(used, own)]
        for helper in helpers:
            parts += ["", "", helper]
        for body in bodies:
            parts += ["", "", body]
        source = format_source("\n".join(parts) + "\n")
        files.append((WrittenFile(path=path, tests=tuple(names), source=source), written))
    return files


def skeleton_files(
    project_dir: Path,
    targets: Sequence[DraftTarget],
    taken: set[str],
    kept: Sequence[DraftedTest] = (),
) -> list[WrittenFile]:
    """One starter module per test module the targets belong to, for a person to finish; what
    the ``kept`` tests already cover is left out."""
    from covgap.draft.engines.skeleton import skeleton_module
    from covgap.model.draft import WrittenFile

    # what every kept test covers, by file: a test of one function runs others too
    lines_by_path: dict[str, set[int]] = {}
    arcs_by_path: dict[str, set[tuple[int, int]]] = {}
    for test in kept:
        for path, found in test.new_lines:
            lines_by_path.setdefault(path, set()).update(found)
        for path, found_arcs in test.new_arcs:
            arcs_by_path.setdefault(path, set()).update(found_arcs)
    covered: dict[str, tuple[frozenset[int], frozenset[tuple[int, int]]]] = {}
    for target in targets:
        span = range(target.start_line, target.end_line + 1)
        lines = frozenset(n for n in lines_by_path.get(target.path, ()) if n in span)
        arcs = frozenset(a for a in arcs_by_path.get(target.path, ()) if a[0] in span)
        if lines or arcs:
            covered[target.key] = (lines, arcs)
    groups: dict[str, list[DraftTarget]] = {}
    for target in targets:
        groups.setdefault(_base(target), []).append(target)
    files = []
    for base, group in groups.items():
        module = skeleton_module(group, covered)
        if "\ndef test" not in module and "\nasync def test" not in module:
            continue
        path = new_path(project_dir, base, SKELETON_SUFFIX, taken)
        source = format_source(module)
        names = tuple(re.findall(r"^(?:async\s+)?def\s+(test\w*)", source, re.M))
        files.append(WrittenFile(path=path, tests=names, skeleton=True, source=source))
    return files


def function_shape(source: str) -> str:
    """A test function's code without its name and formatting (its AST), to tell the same test
    written twice; "" when it does not parse."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except (SyntaxError, ValueError):
        return ""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.name = "_"
            return ast.dump(ast.Module(body=node.body, type_ignores=[]))
    return ""


def drafted_before(project_dir: Path) -> dict[str, str]:
    """The tests of the modules covgap draft wrote in the project before (``*_generated*.py``),
    by shape, with their file."""
    found: dict[str, str] = {}
    for path in sorted(project_dir.rglob(f"*{KEPT_SUFFIX}*.py")):
        relative = path.relative_to(project_dir)
        if any(part.startswith(".") or part in ("venv", "node_modules") for part in relative.parts):
            continue
        if DRAFTED.fullmatch(path.stem) is None:
            continue
        try:
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text)
        except (OSError, UnicodeError, SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                shape = function_shape(ast.get_source_segment(text, node) or "")
                if shape:
                    found.setdefault(shape, relative.as_posix())
    return found


def write_files(project_dir: Path, files: Iterable[WrittenFile]) -> None:
    """Create each file; never overwrite one (``x`` mode: a file that appeared meanwhile is an
    error, not a loss)."""
    for file in files:
        path = project_dir / file.path
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as stream:
            stream.write(file.source)
