"""nox sessions read from ``noxfile.py`` with ``ast`` (never imported).

nox: ``noxfile.py``, read with ``ast`` (never imported)
    One job per function decorated with ``nox.session`` (or ``session`` imported from nox),
    named by ``name=`` or the function; ``python=`` (literals, or module-level constants) and
    ``@nox.parametrize("python", …)`` give the versions. Each ``session.run(…)`` and
    ``session.run_always(…)`` call in its body is a step at the call's line, the arguments
    joined as a shell line: literals quoted, f-strings with ``{expr}``, starred
    ``session.posargs or [defaults]`` (directly or through a local name) as the defaults,
    other expressions as a quoted ``{expr}`` word; an ``env={…}`` literal becomes ``NAME=value``
    words in front. ``success_codes`` with a non-zero code makes the step "may fail".
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterable
from pathlib import Path

from covgap.collect.project.ci_files.model import CiJob, CiStep, Where
from covgap.collect.project.ci_files.shared import _script_mask, _State, _unique


def _read_nox(state: _State, file: Path) -> None:
    text = state.read(file)
    if text is None:
        return
    path = state.relative(file)
    try:
        module = ast.parse(text, filename=path)
    except SyntaxError as exc:
        state.problem(path, exc.lineno or 1, f"broken Python: {exc.msg}")
        return
    except ValueError as exc:  # null bytes, on Python 3.10 and 3.11
        state.problem(path, 1, f"broken Python: {exc}")
        return
    nox_names, session_names = _nox_imports(module)
    constants = _literal_assignments(module.body)
    for node in module.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        decorator = next(
            (d for d in node.decorator_list if _is_session_decorator(d, nox_names, session_names)),
            None,
        )
        if decorator is None:
            continue
        state.jobs.append(_nox_job(path, node, decorator, nox_names, constants))


def _nox_imports(module: ast.Module) -> tuple[set[str], set[str]]:
    """The names bound to the nox module, and to ``nox.session``."""
    nox_names: set[str] = set()
    session_names: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "nox":
                    nox_names.add(alias.asname or "nox")
        elif isinstance(node, ast.ImportFrom) and node.module == "nox":
            for alias in node.names:
                if alias.name == "session":
                    session_names.add(alias.asname or "session")
    return nox_names or {"nox"}, session_names


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _is_session_decorator(node: ast.expr, nox_names: set[str], session_names: set[str]) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    name = _dotted(target)
    return name in session_names or any(name == f"{alias}.session" for alias in nox_names)


def _literal_assignments(body: Iterable[ast.stmt]) -> dict[str, ast.expr]:
    """``NAME = <expr>`` at this level (the last one wins)."""
    found: dict[str, ast.expr] = {}
    for statement in body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = statement.value
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.value is not None
        ):
            found[statement.target.id] = statement.value
    return found


def _literal_strings(
    node: ast.expr | None, names: dict[str, ast.expr], depth: int = 0
) -> list[str]:
    """A str, or a list/tuple of them, directly or through a name; [] otherwise."""
    if node is None or depth > 5:
        return []
    if isinstance(node, ast.Name) and node.id in names:
        return _literal_strings(names[node.id], names, depth + 1)
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)):
        if isinstance(node.value, bool):
            return []
        return [str(node.value)]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [s for element in node.elts for s in _literal_strings(element, names, depth + 1)]
    return []


def _nox_job(
    path: str,
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    decorator: ast.expr,
    nox_names: set[str],
    constants: dict[str, ast.expr],
) -> CiJob:
    name = node.name
    versions: list[str] = []
    if isinstance(decorator, ast.Call):
        for keyword in decorator.keywords:
            if keyword.arg == "name":
                name = next(iter(_literal_strings(keyword.value, constants)), name)
            elif keyword.arg in {"python", "py"}:
                versions.extend(_literal_strings(keyword.value, constants))
    for other in node.decorator_list:
        if (
            isinstance(other, ast.Call)
            and _dotted(other.func).endswith("parametrize")
            and len(other.args) >= 2
            and _literal_strings(other.args[0], constants) in (["python"], ["py"])
        ):
            versions.extend(_literal_strings(other.args[1], constants))
    parameter = node.args.args[0].arg if node.args.args else "session"
    statements = [n for n in ast.walk(node) if isinstance(n, ast.stmt) and n is not node]
    local = {**constants, **_literal_assignments(statements)}
    steps: list[CiStep] = []
    for call in sorted(
        (n for n in ast.walk(node) if isinstance(n, ast.Call)),
        key=lambda n: (n.lineno, n.col_offset),
    ):
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in {"run", "run_always"}
            and isinstance(func.value, ast.Name)
            and func.value.id == parameter
        ):
            steps.append(_nox_step(path, name, call, parameter, local))
    return CiJob(
        system="nox",
        where=Where(path, node.decorator_list[0].lineno if node.decorator_list else node.lineno),
        name=name,
        timeout_minutes=None,
        timeout_where=None,
        python_versions=_unique(versions),
        caches=(),
        steps=tuple(steps),
        may_fail=None,
        may_fail_where=None,
    )


def _render_arg(
    node: ast.expr, parameter: str, names: dict[str, ast.expr], depth: int = 0
) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [shlex.quote(node.value)]
    if isinstance(node, ast.Constant):
        return [shlex.quote(str(node.value))]
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                known = _literal_strings(value.value, names) if depth < 5 else []
                constant = isinstance(value.value, ast.Name) and len(known) == 1
                parts.append(known[0] if constant else "{" + ast.unparse(value.value) + "}")
        return [shlex.quote("".join(parts))]
    if isinstance(node, ast.Starred):
        return _render_sequence(node.value, parameter, names, depth)
    if isinstance(node, ast.Name) and node.id in names and depth < 5:
        strings = _literal_strings(names[node.id], names)
        if strings and isinstance(names[node.id], ast.Constant):
            return [shlex.quote(strings[0])]
    return [shlex.quote(_placeholder(node))]


def _placeholder(node: ast.expr, starred: bool = False) -> str:
    """An expression the step's text cannot resolve, as one word: ``{*glob.glob(dist/*)}``."""
    return "{" + ("*" if starred else "") + re.sub(r"['\"]", "", ast.unparse(node)) + "}"


def _render_sequence(
    node: ast.expr, parameter: str, names: dict[str, ast.expr], depth: int
) -> list[str]:
    """A starred argument: literal lists, ``session.posargs or [defaults]``, names of those."""
    if depth > 5:
        return [shlex.quote(_placeholder(node, starred=True))]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [
            w for element in node.elts for w in _render_arg(element, parameter, names, depth + 1)
        ]
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and len(node.values) == 2:
        first, default = node.values
        if ast.unparse(first) == f"{parameter}.posargs":
            return _render_sequence(default, parameter, names, depth + 1)
    if isinstance(node, ast.Name) and node.id in names:
        return _render_sequence(names[node.id], parameter, names, depth + 1)
    if ast.unparse(node) == f"{parameter}.posargs":
        return []
    return [shlex.quote(_placeholder(node, starred=True))]


def _nox_step(
    path: str, job: str, call: ast.Call, parameter: str, names: dict[str, ast.expr]
) -> CiStep:
    words = [w for arg in call.args for w in _render_arg(arg, parameter, names)]
    env: list[str] = []
    may_fail: str | None = None
    may_fail_where: Where | None = None
    for keyword in call.keywords:
        if keyword.arg == "env" and isinstance(keyword.value, ast.Dict):
            for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(value, ast.Constant):
                    env.append(shlex.quote(f"{key.value!s}={value.value!s}"))
        elif keyword.arg == "success_codes":
            codes = _literal_strings(keyword.value, names)
            if any(code != "0" for code in codes):
                may_fail = f"success_codes={ast.unparse(keyword.value)}"
                may_fail_where = Where(path, keyword.value.lineno)
    command = " ".join([*env, *words])
    number = call.lineno
    if may_fail is None:
        may_fail, may_fail_where = _script_mask(command, (number,), path, False)
    return CiStep(
        system="nox",
        where=Where(path, number),
        job=job,
        name="",
        command=command,
        uses="",
        inputs=(),
        may_fail=may_fail,
        may_fail_where=may_fail_where,
        command_lines=(number,),
        command_where=Where(path, number),
    )
