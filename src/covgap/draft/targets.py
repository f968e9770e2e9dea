"""Which planned functions to draft tests for, and everything covgap knows of each one's gap."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from covgap.analyze.placement import module_name
from covgap.collect.coverage.line_data import read_source
from covgap.errors import UsageError

if TYPE_CHECKING:
    from covgap.model import FunctionGap, PlanResult
    from covgap.model.draft import DraftTarget

__all__ = ["Selection", "choose_targets", "import_root", "sys_path_for"]


@dataclass(frozen=True)
class Selection:
    """``--top N``, ``--phase K`` or ``--function PATH::QUALNAME`` (repeatable); none of them:
    the plan's first phase."""

    top: int | None = None
    phase: int | None = None
    functions: tuple[str, ...] = ()


def choose_targets(
    project_dir: Path, result: PlanResult, selection: Selection
) -> list[DraftTarget]:
    """The functions to draft tests for, in plan order: module-level code is left out (it runs
    with the first test of anything in its module)."""
    outside = {file.path for file in result.project.files if file.outside}
    gaps = _selected(result, selection)
    targets = []
    for gap in gaps:
        if gap.path in outside:  # measured elsewhere: covgap never writes tests from its text
            continue
        target = _target(project_dir, gap, result)
        if target is not None:
            targets.append(target)
    return targets


def _drafted(gap: FunctionGap) -> bool:
    return gap.region.kind == "function" and not gap.runs_with and gap.region.numbers.gap > 0


def _selected(result: PlanResult, selection: Selection) -> list[FunctionGap]:
    if selection.functions:
        return [_named(result, wanted) for wanted in selection.functions]
    phases = result.plan.phases
    if selection.top is not None:
        ordered = [item for phase in phases for item in phase.items]
        seen = {id(item) for item in ordered}
        ordered += [gap for gap in result.functions if id(gap) not in seen]
        return [gap for gap in ordered if _drafted(gap)][: selection.top]
    if not phases:
        return []
    number = selection.phase if selection.phase is not None else phases[0].number
    phase = next((p for p in phases if p.number == number), None)
    if phase is None:
        raise UsageError(
            f"the plan has no phase {number}: it has {len(phases)} (covgap plan lists them)",
            slug="draft-no-phase",
        )
    return [gap for gap in phase.items if _drafted(gap)]


def _named(result: PlanResult, wanted: str) -> FunctionGap:
    path, sep, qualname = wanted.rpartition("::")
    if not sep or not path or not qualname:
        raise UsageError(
            f"--function takes PATH::QUALNAME (src/shop/cart.py::Cart.add), not {wanted!r}",
            slug="draft-bad-function",
        )
    path = PurePosixPath(path).as_posix().removeprefix("./")
    for gap in result.functions:
        if gap.path == path and gap.region.name.split("@")[0] == qualname:
            if gap.region.kind != "function":
                break
            return gap
    known = [gap for gap in result.functions if gap.path == path]
    reason = (
        f"{path} has no function {qualname!r} with a gap"
        if known
        else f"{path} has no gap in the coverage data (or is not measured)"
    )
    raise UsageError(reason, slug="draft-bad-function")


def import_root(path: str) -> str:
    """The folder from which the file's module imports: ``src/shop/a.py`` (``shop.a``) -> "src",
    ``shop/a.py`` -> "."."""
    module_parts = module_name(path).split(".")
    parts = PurePosixPath(path).with_suffix("").parts
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    root = parts[: len(parts) - len(module_parts)]
    return PurePosixPath(*root).as_posix() if root else "."


def _target(project_dir: Path, gap: FunctionGap, result: PlanResult) -> DraftTarget | None:
    from covgap.model.draft import DraftTarget

    text, _ = read_source(project_dir / gap.path)
    if text is None:
        return None
    lines = text.splitlines()
    region = gap.region
    node, enclosing = _function_node(text, region.start_line)
    start = region.start_line
    if node is not None and node.decorator_list:
        start = min(d.lineno for d in node.decorator_list)
    source = "\n".join(lines[start - 1 : region.end_line])
    advice = gap.advice
    setup = result.risk.tests if result.risk is not None else None
    test_file = advice.test_file if advice is not None else ""
    return DraftTarget(
        path=gap.path,
        qualname=region.name.split("@")[0],
        module=module_name(gap.path),
        start_line=start,
        end_line=region.end_line,
        source=source,
        missing_lines=region.missing_lines,
        missing_arcs=region.missing_arcs,
        suggestions=advice.suggestions if advice is not None else (),
        isolation=advice.isolation if advice is not None else (),
        test_file=test_file,
        test_file_exists=advice.test_file_exists if advice is not None else False,
        constructor=advice.constructor if advice is not None else "",
        harness=advice.harness if advice is not None else None,
        is_async=isinstance(node, ast.AsyncFunctionDef),
        raises=_raised(node),
        test_imports=_imports(project_dir, test_file) if advice is not None else (),
        fixtures=tuple(name for name, _ in setup.fixtures) if setup is not None else (),
        import_root=import_root(gap.path),
        enclosing=enclosing,
        decorators=tuple(_decorator(d) for d in node.decorator_list) if node is not None else (),
    )


def _decorator(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    try:
        return ast.unparse(target)
    except (ValueError, TypeError, AttributeError, RecursionError):
        return ""


def _function_node(
    text: str, line: int
) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef | None, str]:
    """The function defined at ``line``, and for a nested one its enclosing function's
    qualified name ("" otherwise)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None, ""
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)

    def walk(node: ast.AST, path: list[str], inside: str) -> tuple[ast.AST | None, str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (*functions, ast.ClassDef)):
                if isinstance(child, functions) and child.lineno == line:
                    return child, inside
                deeper = ".".join([*path, child.name])
                found = walk(
                    child, [*path, child.name], deeper if isinstance(child, functions) else inside
                )
                if found[0] is not None:
                    return found
            else:
                found = walk(child, path, inside)
                if found[0] is not None:
                    return found
        return None, ""

    node, enclosing = walk(tree, [], "")
    return (node if isinstance(node, functions) else None), enclosing


def _raised(node: ast.AST | None) -> tuple[str, ...]:
    """Names of the exceptions a function raises with ``raise X`` / ``raise X(...)``."""
    if node is None:
        return ()
    names: list[str] = []
    for child in ast.walk(node):
        if isinstance(child, ast.Raise) and child.exc is not None:
            exc = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
            name = exc.attr if isinstance(exc, ast.Attribute) else getattr(exc, "id", "")
            if name and name not in names:
                names.append(name)
    return tuple(names)


def _imports(project_dir: Path, test_file: str) -> tuple[str, ...]:
    """The top-level import statements of an existing test module, as written."""
    if not test_file:
        return ()
    text, _ = read_source(project_dir / test_file)
    if text is None:
        return ()
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return ()
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            segment = ast.get_source_segment(text, node)
            if segment and segment not in found:
                found.append(segment)
    return tuple(found)


def sys_path_for(project_dir: Path, targets: Sequence[DraftTarget]) -> tuple[str, ...]:
    """The targets' import roots, absolute, first seen first."""
    roots: list[str] = []
    for target in targets:
        root = str((project_dir / target.import_root).resolve())
        if root not in roots:
            roots.append(root)
    return tuple(roots)
