"""The Hypothesis Ghostwriter as a crash probe: ``fuzz`` for one function, made to run.

The ghostwriter writes a ``@given`` test that only calls the function; a failure is a crash
on some input (the filter calls a failure that repeats in every run a finding), a pass shows
nothing and is never kept. It runs in a subprocess of the project's interpreter (it imports
the target), or of covgap's when the project's has no hypothesis; this module then gives every
parameter a strategy (from its name or default where the ghostwriter wrote ``st.nothing()``),
builds the object of a method with ``st.builds``, and pins the settings so that a failure is
found again in every run: ``derandomize=True``, no example database, no deadline.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterable
from typing import Any

from covgap.draft.engines.base import (
    Check,
    EngineContext,
    EngineError,
    importing_interpreter,
    run_tool,
)
from covgap.model.draft import Candidate, DraftTarget

__all__ = ["HypothesisEngine"]

#: Examples per run: a probe, not a search (the filter runs each candidate five times).
MAX_EXAMPLES = 50
#: Items taken from a generator function's result.
_GENERATOR_ITEMS = 1000

#: Runs in the chosen interpreter: imports the target, ghostwrites ``fuzz`` for it, and writes
#: what this module needs to finish the test (JSON) to the file named by its third argument.
_GHOSTWRITE = r"""
import importlib, inspect, json, sys, typing

module_name, qualname, out = sys.argv[1:4]


def done(**result):
    with open(out, "w", encoding="utf-8") as file:
        json.dump(result, file)
    sys.exit(0)


try:
    module = importlib.import_module(module_name)
except BaseException as error:  # the project's module does not import
    done(error=f"{type(error).__name__}: {error}")

owner, obj = None, module
for part in qualname.split("."):
    owner = obj
    try:
        obj = inspect.getattr_static(owner, part)
    except AttributeError:
        done(error=f"AttributeError: {part!r} not found in {module_name}")

kind = "function"
if inspect.isclass(owner) and owner is not module:
    if isinstance(obj, (property, staticmethod, classmethod)):
        kind = type(obj).__name__
    elif inspect.isfunction(obj):
        kind = "method"
    else:
        done(skip="not a method")
    if kind == "property":
        done(skip="a property")
    func = getattr(owner, qualname.rsplit(".", 1)[-1])
else:
    func = obj
    if not inspect.isfunction(func) and not inspect.isbuiltin(func):
        done(skip="not a function")
if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):
    done(skip="an async function")

buildable = True
if kind == "method":
    try:
        signature = inspect.signature(owner)
        hints = typing.get_type_hints(owner.__init__)
    except Exception:
        buildable = False
    else:
        for name, parameter in signature.parameters.items():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            if parameter.default is parameter.empty and name not in hints:
                buildable = False

params = {}
try:
    for name, parameter in inspect.signature(func).parameters.items():
        default = parameter.default
        params[name] = {
            "annotated": parameter.annotation is not parameter.empty,
            "default": None if default is parameter.empty else type(default).__name__,
        }
except (TypeError, ValueError):
    pass

from hypothesis.extra import ghostwriter

try:
    source = ghostwriter.fuzz(func)
except Exception as error:
    done(skip=f"the ghostwriter cannot: {type(error).__name__}: {error}")
done(
    source=source,
    kind=kind,
    owner=getattr(owner, "__qualname__", ""),
    buildable=buildable,
    generator=inspect.isgeneratorfunction(func),
    params=params,
)
"""

#: Strategies by parameter name for what the ghostwriter could not infer (no type hints).
_BY_NAME: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"^(s|st|txt|text|string|str|name|word|title|label|prefix|suffix|sep|separator"
            r"|line|msg|message|char|key|slug|value_str)$|_(name|text|str|string)$"
        ),
        "st.text()",
    ),
    (
        re.compile(
            r"^(n|i|j|k|count|num|number|index|idx|size|length|width|height|limit|offset"
            r"|start|stop|end|step|depth|level|times|precision|digits|base|year|month|day)$"
            r"|^(n|num)_|_(count|size|index|len|length|num|number)$"
        ),
        "st.integers()",
    ),
    (
        re.compile(r"^(x|y|z|ratio|rate|factor|fraction|percent|scale|weight|amount|value)$"),
        "st.floats(allow_nan=False)",
    ),
    (re.compile(r"^(is|has|use|allow|enable|should)_|^(flag|verbose|strict)$"), "st.booleans()"),
    (re.compile(r"^(words|lines|names|strings|texts|labels)$"), "st.lists(st.text())"),
    (re.compile(r"^(numbers|nums|ints|values|xs|counts)$"), "st.lists(st.integers())"),
    (re.compile(r"^(data|raw|payload)$|_bytes$"), "st.binary()"),
)
#: Strategies by the type of a parameter's default value.
_BY_DEFAULT = {
    "str": "st.text()",
    "int": "st.integers()",
    "float": "st.floats(allow_nan=False)",
    "bool": "st.booleans()",
    "bytes": "st.binary()",
}
#: Names the probe's module binds itself.
_OWN_NAMES = frozenset({"HealthCheck", "Phase", "given", "settings", "st", "itertools"})
_SETTINGS = f"""@settings(
    max_examples={MAX_EXAMPLES},
    deadline=None,
    derandomize=True,
    database=None,
    report_multiple_bugs=False,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.generate, Phase.shrink],
)"""


class HypothesisEngine:
    """A ghostwritten ``fuzz`` test per function, as a crash probe."""

    name = "hypothesis"

    def __init__(self, fallback: str | None = sys.executable) -> None:
        #: The interpreter used when the project's has no hypothesis (covgap's own); None: none.
        self.fallback = fallback
        self._importable: dict[str, bool] = {}

    def unavailable(self, context: EngineContext) -> str | None:
        if self._interpreter(context) is None:
            return (
                "hypothesis' ghostwriter cannot be imported"
                f" (pip install 'hypothesis[ghostwriter]' into {context.python})"
            )
        return None

    def candidates(
        self, target: DraftTarget, context: EngineContext, check: Check
    ) -> Iterable[Candidate]:
        parts = target.qualname.split(".")
        if not target.qualname or target.qualname.startswith("(") or "<locals>" in parts:
            return []
        if len(parts) > 2 or target.is_async or target.enclosing:
            return []
        python = self._interpreter(context)
        if python is None:
            raise EngineError(self.unavailable(context) or "hypothesis is not installed")
        what = f"hypothesis ghostwriter {target.module}.{target.qualname}"
        script = context.work_dir / "covgap_ghostwrite.py"
        out = context.work_dir / "covgap_ghostwrite.json"
        script.write_text(_GHOSTWRITE, encoding="utf-8")
        out.unlink(missing_ok=True)
        argv = [python, str(script), target.module, target.qualname, str(out)]
        # Hypothesis builds a table of Unicode characters on first use (seconds): keep it.
        storage = (context.cache_dir or context.work_dir) / "hypothesis"
        env = {"HYPOTHESIS_STORAGE_DIRECTORY": str(storage), **context.env}
        done = run_tool(argv, context=context, cwd=context.work_dir, env=env, what=what)
        try:
            result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            reason = lines[-1].strip() if lines else f"exit code {done.returncode}"
            raise EngineError(f"{what}: {reason[:300]}") from None
        if "error" in result:
            reason = str(result["error"])[:300]
            if python != context.python and "Error" in reason.split(":")[0]:
                reason += (
                    f" (the ghostwriter ran in covgap's {python}; pip install"
                    f" 'hypothesis[ghostwriter]' into {context.python})"
                )
            raise EngineError(f"{what}: {reason}")
        if "skip" in result:
            return []
        source = finish(result, target)
        if not source:
            return []
        return [Candidate(engine=self.name, target=target.key, source=source, probe=True)]

    def _interpreter(self, context: EngineContext) -> str | None:
        """The project's interpreter if the ghostwriter imports there, else covgap's, else None."""
        return importing_interpreter(
            (context.python, self.fallback),
            "import hypothesis.extra.ghostwriter, black",
            context,
            self._importable,
        )


def strategy_for(name: str, default: str | None) -> str | None:
    """A strategy (source) for a parameter without type hints: by its default's type, else by
    its name; None when neither says anything."""
    if default in _BY_DEFAULT:
        return _BY_DEFAULT[default]
    for pattern, strategy in _BY_NAME:
        if pattern.search(name):
            return strategy if default is None else None
    return None


def finish(result: dict[str, Any], target: DraftTarget) -> str:
    """The ghostwritten module made to run: strategies for ``st.nothing()``, the object of a
    method built, a generator's items taken, settings pinned, the target imported by name.
    "" when a parameter is left without a strategy (the test would never run)."""
    try:
        tree = ast.parse(str(result.get("source", "")))
    except SyntaxError:
        return ""
    tests = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]
    if len(tests) != 1:
        return ""
    test = tests[0]
    given = next(
        (
            decorator
            for decorator in test.decorator_list
            if isinstance(decorator, ast.Call)
            and isinstance(decorator.func, ast.Name)
            and decorator.func.id == "given"
        ),
        None,
    )
    params: dict[str, dict[str, Any]] = result.get("params") or {}
    owner_path = f"{target.module}.{result.get('owner') or target.qualname.split('.')[0]}"
    for keyword in given.keywords if given else []:
        name = keyword.arg or ""
        info = params.get(name, {})
        text = ast.unparse(keyword.value)
        if name == "self" and result.get("kind") == "method":
            if not result.get("buildable"):
                return ""
            replacement: str | None = f"st.builds({owner_path})"
        elif text == "st.nothing()":
            replacement = None if info.get("annotated") else strategy_for(name, info.get("default"))
            if replacement is None:
                return ""
        elif text == "st.none()" and not info.get("annotated"):
            wider = strategy_for(name, None)
            replacement = f"st.one_of(st.none(), {wider})" if wider else None
        elif (
            re.fullmatch(r"st\.just\(.+\)", text)
            and not info.get("annotated")
            and info.get("default") in _BY_DEFAULT
        ):
            replacement = f"st.one_of({text}, {_BY_DEFAULT[info['default']]})"
        else:
            replacement = None
        if replacement is not None:
            keyword.value = ast.parse(replacement, mode="eval").body
    if result.get("generator"):
        _take_items(test)
    renamer = _ByName(target.module)
    renamed = renamer.visit(ast.parse(ast.unparse(tree)))
    names = sorted(renamer.used)
    if not set(names) & _OWN_NAMES:
        tree = renamed
    else:  # a name of the project's would hide one of the test's own: keep the module's
        names = []
    imports: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom) and node.module == "hypothesis":
                continue
            if names and _imports_only_target(node, target.module):
                continue
            imports.append(ast.unparse(node))
    if result.get("generator"):
        imports.append("import itertools")
    test = next(
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    )
    groups = [
        sorted(set(imports)),
        ["from hypothesis import HealthCheck, Phase, given, settings, strategies as st"],
        [f"from {target.module} import {name}" for name in names],
    ]
    header = "\n\n".join("\n".join(group) for group in groups if group)
    return f"{header}\n\n\n{_format_test(test)}"


def _format_test(test: ast.FunctionDef) -> str:
    """The test with one decorator argument a line when the decorator is long, and pinned
    settings."""
    lines = []
    for decorator in test.decorator_list:
        text = ast.unparse(decorator)
        if len(text) > 90 and isinstance(decorator, ast.Call) and not decorator.args:
            keywords = "".join(f"    {ast.unparse(keyword)},\n" for keyword in decorator.keywords)
            text = f"{ast.unparse(decorator.func)}(\n{keywords})"
        lines.append(f"@{text}")
    lines.append(_SETTINGS)
    test.decorator_list = []
    lines.append(ast.unparse(test))
    return "\n".join(lines) + "\n"


def _take_items(test: ast.FunctionDef) -> None:
    """``gen(n=n)`` → ``list(itertools.islice(gen(n=n), 1000))``: a generator's body runs."""
    for index, statement in enumerate(test.body):
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            wrapped = ast.parse(
                f"list(itertools.islice({ast.unparse(statement.value)}, {_GENERATOR_ITEMS}))",
                mode="eval",
            ).body
            test.body[index] = ast.Expr(value=wrapped)


def _imports_only_target(node: ast.stmt, module: str) -> bool:
    return isinstance(node, ast.Import) and all(alias.name == module for alias in node.names)


class _ByName(ast.NodeTransformer):
    """``shop.text.camelize`` → ``camelize`` (imported ``from shop.text``)."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.used: set[str] = set()

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if ast.unparse(node.value) == self.module:
            self.used.add(node.attr)
            return ast.copy_location(ast.Name(id=node.attr, ctx=node.ctx), node)
        self.generic_visit(node)
        return node
