"""CrossHair's ``cover``: one function explored symbolically, a pytest module of the paths found.

CrossHair records what the function did on each input it found (the symbolic run's result) as
the test's oracle; it can be wrong, and the filter reruns every test concretely. Tests that
expect an exception (``with pytest.raises(IndexError): f('')``) are kept: the filter tells a
finding from a behaviour.
"""

from __future__ import annotations

import ast
import builtins
import math
import re
import sys
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from covgap.draft.engines.base import (
    Check,
    EngineContext,
    EngineError,
    importing_interpreter,
    run_tool,
)
from covgap.model.draft import Candidate, DraftTarget

__all__ = ["CrossHairEngine"]

#: A line of a test longer than this holds a literal nobody wants to read: the test is dropped.
_LONG_LINE = 200
#: At most this many tests in a candidate (path coverage finds many near-copies).
_MAX_TESTS = 25
#: How an object without a literal form is printed: ``<shop.cart.Cart object at 0x7f…>``.
_OBJECT_REPR = re.compile(
    r"^(?P<indent>\s*)assert (?P<call>.+) == <(?P<type>[\w.]+) object at 0x[0-9a-f]+>\s*$"
)
#: A line of a traceback that names the exception: "ModuleNotFoundError: No module named 'x'".
_EXCEPTION_LINE = re.compile(r"^(?P<name>[A-Za-z_][\w.]*): (?P<message>.*)$")


class CrossHairEngine:
    """``crosshair cover --coverage_type=path`` on one function at a time."""

    name = "crosshair"

    #: ``--max_uninteresting_iterations``: iterations without new coverage before it stops.
    max_uninteresting_iterations = 10

    def __init__(self, fallback: str | None = sys.executable) -> None:
        #: The interpreter used when the project's has no crosshair (covgap's own); None: none.
        self.fallback = fallback
        self._importable: dict[str, bool] = {}

    def unavailable(self, context: EngineContext) -> str | None:
        if self._interpreter(context) is None:
            return f"crosshair is not installed (pip install crosshair-tool into {context.python})"
        return None

    def candidates(
        self, target: DraftTarget, context: EngineContext, check: Check
    ) -> Iterable[Candidate]:
        kind = _kind(target)
        if kind is None:
            return []
        python = self._interpreter(context)
        if python is None:
            raise EngineError(
                f"crosshair is not installed (pip install crosshair-tool into {context.python})"
            )
        dotted = f"{target.module}.{target.qualname}"
        what = f"crosshair cover {dotted}"
        argv = [
            python,
            "-m",
            "crosshair",
            "cover",
            "--example_output_format=pytest",
            "--coverage_type=path",
            f"--per_condition_timeout={context.per_condition_timeout:g}",
            # crosshair's documented default (its square root), given explicitly: without it a
            # path can run far longer (inflection.parameterize: 87 s instead of 20 s)
            f"--per_path_timeout={math.sqrt(max(context.per_condition_timeout, 0.01)):.2g}",
            f"--max_uninteresting_iterations={self.max_uninteresting_iterations}",
            dotted,
        ]
        done = run_tool(argv, context=context, cwd=context.work_dir, env=context.env, what=what)
        if done.returncode != 0:
            reason = _failure(done.stderr) or f"exit code {done.returncode}"
            if python != context.python and ("ImportError" in reason or "NotFound" in reason):
                reason += (
                    f" (crosshair ran in covgap's {python}; pip install crosshair-tool"
                    f" into {context.python})"
                )
            raise EngineError(f"{what}: {reason}")
        names = _module_names(context.project_dir / target.path, target.module)
        source = clean(done.stdout, target, kind, names)
        if not source:
            return []
        return [Candidate(engine=self.name, target=target.key, source=source)]

    def _interpreter(self, context: EngineContext) -> str | None:
        """The project's interpreter if crosshair imports there, else covgap's, else None."""
        return importing_interpreter(
            (context.python, self.fallback), "import crosshair", context, self._importable
        )


def _kind(target: DraftTarget) -> str | None:
    """ "function", "method", "staticmethod", "classmethod" or "property"; None for what
    crosshair cannot do: module level, nested functions, async functions, generators."""
    parts = target.qualname.split(".")
    if not target.qualname or target.qualname.startswith("(") or "<locals>" in parts:
        return None
    if len(parts) > 2 or target.is_async or target.enclosing:
        return None
    node = _function_node(target.source)
    if node is None or isinstance(node, ast.AsyncFunctionDef) or _is_generator(node):
        return None
    if len(parts) == 1:
        return "function"
    decorators = {_decorator_name(decorator) for decorator in node.decorator_list}
    for kind in ("staticmethod", "classmethod"):
        if kind in decorators:
            return kind
    if decorators & {"property", "cached_property"}:
        return "property"
    return "method"


def _function_node(source: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node
    return None


def _is_generator(function: ast.FunctionDef) -> bool:
    """A ``yield`` in the function itself (not in a function or class inside it)."""
    todo: list[ast.AST] = list(function.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return False


def _decorator_name(decorator: ast.expr) -> str:
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    if isinstance(decorator, ast.Attribute):
        return decorator.attr
    if isinstance(decorator, ast.Name):
        return decorator.id
    return ""


def _failure(stderr: str) -> str:
    """The exception a traceback ends with, one line: "ModuleNotFoundError: No module named 'x'"."""
    for line in reversed(stderr.splitlines()):
        found = _EXCEPTION_LINE.match(line)
        if found and not line.startswith(("Traceback", "During handling", "The above")):
            name = found["name"].rsplit(".", 1)[-1]
            return f"{name}: {found['message']}"[:300]
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _module_names(path: Path, module: str) -> dict[str, tuple[str, str | None]]:
    """The names a module defines or imports at its top level (its tests may import them):
    name -> (module to import from, name there; None for ``import module``)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: dict[str, tuple[str, str | None]] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = (module, node.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = (module, alias.asname)
                else:
                    top = alias.name.split(".")[0]
                    names[top] = (top, None)
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                source = ".".join([*base, source] if source else base)
            for alias in node.names:
                if alias.name != "*":
                    names[alias.asname or alias.name] = (source, alias.name)
        else:
            for child in ast.walk(node):
                if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                    names[child.id] = (module, child.id)
    return names


# The clean-up of crosshair's module -----------------------------------------------------------


@dataclass
class _Imports:
    """What the tests need: ``import X`` modules and ``from M import N`` names."""

    modules: set[str] = field(default_factory=set)
    #: local name -> (module, name there)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)

    def text(self) -> str:
        stdlib = sorted(m for m in self.modules if m != "pytest")
        froms = sorted(
            (module, f"{imported} as {name}" if imported != name else name)
            for name, (module, imported) in self.names.items()
        )
        groups = [
            [f"import {module}" for module in stdlib]
            + [f"from {module} import {name}" for module, name in froms if _is_stdlib(module)],
            ["import pytest"] if "pytest" in self.modules else [],
            [f"from {module} import {name}" for module, name in froms if not _is_stdlib(module)],
        ]
        return "\n\n".join("\n".join(group) for group in groups if group)


def _is_stdlib(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names


def clean(
    output: str,
    target: DraftTarget,
    kind: str,
    module_names: dict[str, tuple[str, str | None]],
) -> str:
    """Crosshair's pytest module made readable: tests named by what they show, methods called
    on their object, imports each test needs; tests that cannot run or that hold huge literals
    left out. "" when no test is left."""
    header, blocks = _split(output)
    known: dict[str, tuple[str, str | None]] = {}  # name -> (module, imported name or None)
    for line in header:
        try:
            tree = ast.parse(line.strip())
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    known[(alias.asname or alias.name).split(".")[0]] = (alias.name, None)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    known[alias.asname or alias.name] = (node.module, alias.name)
    for name, origin in module_names.items():
        known.setdefault(name, origin)
    known.setdefault(target.qualname.split(".")[0], (target.module, target.qualname.split(".")[0]))

    imports = _Imports()
    tests: list[tuple[str, str]] = []  # (name, body source without the def line)
    seen: set[str] = set()
    for block in blocks:
        function = _parse_test(block, known)
        if function is None:
            continue
        function = _Rewrite(target, kind).visit(function)
        body = "\n".join(ast.unparse(statement) for statement in function.body)
        if body in seen or any(len(line) > _LONG_LINE for line in body.splitlines()):
            continue
        needed = _needed(function, known, target.module)
        if needed is None:
            continue
        seen.add(body)
        for name in needed:
            module, imported = known.get(name, (name, None))
            if imported is None:
                imports.modules.add(module)
            else:
                imports.names[name] = (module, imported)
        tests.append((_test_name(target, function), body))
        if len(tests) >= _MAX_TESTS:
            break
    if not tests:
        return ""
    used: set[str] = set()
    parts = [imports.text()]
    for name, body in tests:
        unique, number = name, 1
        while unique in used:
            number += 1
            unique = f"{name}_{number}"
        used.add(unique)
        parts.append(f"def {unique}():\n{textwrap.indent(body, '    ')}")
    return "\n\n\n".join(parts) + "\n"


def _split(output: str) -> tuple[list[str], list[str]]:
    """The import lines before the first test, and each ``def test_…`` block."""
    header: list[str] = []
    blocks: list[list[str]] = []
    for line in output.splitlines():
        if line.startswith("def test"):
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
        elif line.startswith(("import ", "from ")):
            header.append(line)
    return header, ["\n".join(block).rstrip() for block in blocks]


def _parse_test(block: str, known: dict[str, tuple[str, str | None]]) -> ast.FunctionDef | None:
    """A test block as a function; ``assert f(x) == <Cart object at 0x…>`` (no literal for
    the result) becomes ``assert isinstance(f(x), Cart)`` when the type can be imported, else
    the call alone."""
    lines = []
    for line in block.splitlines():
        found = _OBJECT_REPR.match(line)
        if found:
            module, _, type_name = found["type"].rpartition(".")
            if known.get(type_name, (None,))[0] == module:
                line = f"{found['indent']}assert isinstance({found['call']}, {type_name})"
            else:
                line = f"{found['indent']}{found['call']}"
        lines.append(line)
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    return tree.body[0]


def _needed(
    function: ast.FunctionDef, known: dict[str, tuple[str, str | None]], target_module: str
) -> set[str] | None:
    """The names the test needs imported; None when one of them cannot be (crosshair's own
    ``SideEffectDetected``) or should not be (a private name of another module,
    ``ssl._TLSContentType``): such a test cannot run, or is not worth reading."""
    needed: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            name = node.id
            if name in known:
                if name.startswith("_") and known[name][0] != target_module:
                    return None
                needed.add(name)
            elif name == "pytest":
                needed.add(name)
            elif hasattr(builtins, name):
                continue
            elif name in sys.stdlib_module_names:
                needed.add(name)
            else:
                return None
    return needed


class _Rewrite(ast.NodeTransformer):
    """``Cart.add(Cart(), 2)`` → ``Cart().add(2)``, ``== True`` → ``is True``, no unreadable
    ``match=`` (crosshair's symbolic types, or a huge message)."""

    def __init__(self, target: DraftTarget, kind: str) -> None:
        self.kind = kind
        self.owner, _, self.attr = target.qualname.rpartition(".")

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if (
            self.owner
            and isinstance(func, ast.Attribute)
            and func.attr == self.attr
            and isinstance(func.value, ast.Name)
            and func.value.id == self.owner
            and node.args
        ):
            first = node.args[0]
            if self.kind == "method":
                return ast.Call(
                    func=ast.Attribute(value=first, attr=self.attr, ctx=ast.Load()),
                    args=node.args[1:],
                    keywords=node.keywords,
                )
            if self.kind == "property" and len(node.args) == 1 and not node.keywords:
                return ast.Attribute(value=first, attr=self.attr, ctx=ast.Load())
            if (
                self.kind == "classmethod"
                and isinstance(first, ast.Name)
                and first.id == self.owner
            ):
                node.args = node.args[1:]
        if _is_raises(node):
            node.keywords = [
                keyword
                for keyword in node.keywords
                if not (keyword.arg == "match" and _unreadable(keyword.value))
            ]
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if (
            len(node.ops) == 1
            and isinstance(node.ops[0], ast.Eq)
            and isinstance(node.comparators[0], ast.Constant)
            and (node.comparators[0].value is None or isinstance(node.comparators[0].value, bool))
        ):
            node.ops = [ast.Is()]
        return node


def _is_raises(node: ast.Call) -> bool:
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "raises"
        and isinstance(func.value, ast.Name)
        and func.value.id == "pytest"
    )


def _unreadable(value: ast.expr) -> bool:
    if not isinstance(value, ast.Constant) or not isinstance(value.value, str):
        return True
    return "Symbolic" in value.value or len(value.value) > _LONG_LINE // 2


def _test_name(target: DraftTarget, function: ast.FunctionDef) -> str:
    """``test_<function>_raises_<exception>`` or ``test_<function>_returns_<value>`` when the
    value is short, else ``test_<function>``."""
    base = "test_" + target.qualname.replace(".", "_").lower()
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and _is_raises(node) and node.args:
            exception = node.args[0]
            if isinstance(exception, ast.Name):
                return f"{base}_raises_{_snake(exception.id)}"
            if isinstance(exception, ast.Attribute):
                return f"{base}_raises_{_snake(exception.attr)}"
            return base
    for statement in function.body:
        if isinstance(statement, ast.Assert) and isinstance(statement.test, ast.Compare):
            expected = statement.test.comparators[0]
            slug = _slug(expected)
            if slug:
                return f"{base}_returns_{slug}"
    return base


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _slug(node: ast.expr) -> str:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _slug(node.operand)
        return f"minus_{inner}" if inner else ""
    if not isinstance(node, ast.Constant):
        if isinstance(node, (ast.List, ast.Tuple, ast.Dict, ast.Set)) and not ast.unparse(
            node
        ).strip("[](){}"):
            return "empty"
        return ""
    value = node.value
    if value is None or isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value).replace(".", "_").replace("-", "minus_")
    if isinstance(value, (str, bytes)):
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        if not text:
            return "empty"
        if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_ ]{0,19}", text):
            return re.sub(r"\s+", "_", text.strip()).lower()
    return ""
