"""How exposed each function is: its place in the project's surface (an entry point, the public
API, a public name) and how many of the project's own functions call it (pure).

A bug in a function that users call directly, or that much of the project goes through, reaches
more people than one in a private helper called once. The call graph comes from the outlines of
all the project's files (``collect/code/outline.py``): each call, as written, is resolved by name
within the project, through the calling module's imports (absolute and relative), its own
definitions, ``self``/``cls`` in methods, and, for a method called on an object of unknown
type, by the method's name when few of the project's classes define it. Test modules are not
callers: being tested is not being used. docs/risk.md gives the scores.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from typing import Literal

from covgap.analyze.harness import HTTP_VERBS
from covgap.analyze.placement import is_test_module, module_name
from covgap.collect.code.outline import FileOutline, OutlineFunction
from covgap.model import MODULE_REGION

__all__ = [
    "AMBIGUOUS_METHOD_LIMIT",
    "Exposure",
    "ProjectExposure",
    "Surface",
    "project_exposure",
]

#: Where a function sits in the project's surface, most exposed first.
Surface = Literal["entry", "exported", "public", "private"]

#: A method called on an object of unknown type counts as a call of every project method of that
#: name, when at most this many are defined (``obj.save()`` with 40 ``save`` methods says nothing).
AMBIGUOUS_METHOD_LIMIT = 3

#: Method names of the built-in types: ``x.get()``, ``x.append()`` are too common to resolve.
_BUILTIN_METHODS = frozenset(
    name
    for kind in (dict, list, str, bytes, set, frozenset, tuple, int, float, object)
    for name in dir(kind)
) | frozenset({"close", "read", "write", "open", "run", "start", "stop", "send", "flush"})

#: Dunder methods that are part of a class's public surface (constructing it, calling it).
_PUBLIC_DUNDERS = frozenset({"__init__", "__call__", "__enter__", "__exit__", "__iter__"})

#: Decorators that make a function a command of a command-line interface.
_CLI_MODULES = ("click", "typer", "asyncclick", "cloup", "rich_click")
_CLI_DECORATORS = frozenset({"command", "group", "callback", "result_callback"})
#: Web frameworks, and the decorators that make a function one of their route handlers.
_WEB_MODULES = {
    "flask": "Flask",
    "quart": "Quart",
    "fastapi": "FastAPI",
    "starlette": "Starlette",
    "django": "Django",
    "rest_framework": "Django REST framework",
    "aiohttp": "aiohttp",
    "sanic": "Sanic",
    "bottle": "Bottle",
    "falcon": "Falcon",
    "litestar": "Litestar",
    "tornado": "Tornado",
    "pyramid": "Pyramid",
}
_ROUTE_DECORATORS = HTTP_VERBS | {
    "route",
    "api_route",
    "websocket",
    "api_view",
    "action",
    "view_config",
    "require_http_methods",
    "require_GET",
    "require_POST",
    "require_safe",
}
#: The methods of a class-based view that handle requests.
_HANDLER_METHODS = HTTP_VERBS | {
    "list",
    "create",
    "retrieve",
    "update",
    "partial_update",
    "destroy",
    "dispatch",
}
_VIEW_BASE = re.compile(r"(View|ViewSet|APIView|Endpoint|Handler|Resource)$")
#: Names of a script's main function.
_MAIN_NAMES = frozenset({"main", "cli", "run"})


@dataclass(frozen=True)
class Exposure:
    """A function's surface and fan-in, each with its reason."""

    surface: Surface
    #: Why: "a click command (`@cli.command()`)", "re-exported by `pkg/__init__.py`".
    surface_reason: str
    #: Functions of the project (not its tests) that call it.
    fan_in: int
    #: Up to three of them, for the reason ("pkg.api.load", "Signer.sign").
    callers: tuple[str, ...] = ()
    #: The project's functions it calls: (path, qualified name), sorted. A test of it runs
    #: them too (``effort.plan_order`` counts that reach).
    callees: tuple[tuple[str, str], ...] = ()
    #: The project's functions that call it, directly (1) or through others (2, 3): (path,
    #: qualified name, hops), nearest first, at most ``MAX_CALLERS``. Their tests reach it
    #: (``analyze/existing.py`` names them when no test targets it).
    caller_keys: tuple[tuple[str, str, int], ...] = ()


#: Exposure by path, then by ``def`` line (0: module-level code).
ProjectExposure = Mapping[str, Mapping[int, Exposure]]


@dataclass(frozen=True)
class _Function:
    path: str
    module: str
    outline: OutlineFunction

    @property
    def key(self) -> str:
        return f"{self.module}:{self.outline.name}"


class _Index:
    """The project's functions and classes by module, for resolving calls."""

    def __init__(self, outlines: Mapping[str, FileOutline]) -> None:
        self.outlines = outlines
        self.module_of_path = {path: module_name(path) for path in outlines}
        self.path_of_module = {m: p for p, m in self.module_of_path.items()}
        self.functions: dict[str, _Function] = {}
        self.methods_named: dict[str, list[str]] = defaultdict(list)
        self.classes: set[str] = set()
        for path, outline in outlines.items():
            module = self.module_of_path[path]
            for function in outline.functions:
                item = _Function(path, module, function)
                self.functions[item.key] = item
                owner, _, method = function.name.rpartition(".")
                if owner and f"{module}:{owner}" not in self.functions:
                    self.methods_named[method].append(item.key)
            self.classes.update(f"{module}:{name}" for name in outline.class_bases)

    @cached_property
    def packages(self) -> frozenset[str]:
        return frozenset(
            m for p, m in self.module_of_path.items() if PurePosixPath(p).name == "__init__.py"
        )

    def absolute(self, module: str, path: str, target: str) -> str:
        """An import target made absolute: ``.core.Signer`` in ``pkg.sub`` -> ``pkg.core.X``."""
        if not target.startswith("."):
            return target
        level = len(target) - len(target.lstrip("."))
        package = module.split(".")
        if PurePosixPath(path).name != "__init__.py":
            package = package[:-1]
        if level > 1:
            package = package[: len(package) - (level - 1)]
        rest = target[level:]
        return ".".join([*package, rest] if rest else package)

    def lookup(self, dotted: str, hops: int = 3) -> list[str]:
        """The project functions a dotted name stands for: a function, a class's ``__init__``,
        a method, following re-exports (``pkg.Signer`` bound in ``pkg/__init__.py``)."""
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module, rest = ".".join(parts[:cut]), parts[cut:]
            if module not in self.path_of_module:
                continue
            name = ".".join(rest)
            if f"{module}:{name}" in self.functions:
                return [f"{module}:{name}"]
            if f"{module}:{name}" in self.classes:
                init = f"{module}:{name}.__init__"
                return [init] if init in self.functions else []
            outline = self.outlines[self.path_of_module[module]]
            bound = outline.imports.get(rest[0])
            if bound is not None and hops > 0:
                target = self.absolute(module, self.path_of_module[module], bound)
                return self.lookup(".".join([target, *rest[1:]]), hops - 1)
            return []
        return []


def project_exposure(outlines: Mapping[str, FileOutline]) -> dict[str, dict[int, Exposure]]:
    """The exposure of every function in ``outlines`` (path -> outline)."""
    index = _Index(outlines)
    callers: dict[str, set[str]] = defaultdict(set)
    callees: dict[str, set[str]] = defaultdict(set)
    for path, outline in outlines.items():
        if is_test_module(path):
            continue
        module = index.module_of_path[path]
        for function in outline.functions:
            caller = f"{module}:{function.name}"
            for call in function.calls:
                for callee in _resolve(index, path, module, outline, function, call):
                    if callee != caller:
                        callers[callee].add(caller)
                        callees[caller].add(callee)
    entries = _entries(index)
    exported = _exported(index)
    result: dict[str, dict[int, Exposure]] = {}
    for key, item in index.functions.items():
        surface, reason = entries.get(key) or exported.get(key) or _by_name(index, item)
        found = sorted(callers.get(key, ()))
        reached = sorted(
            (index.functions[c].path, index.functions[c].outline.name)
            for c in callees.get(key, ())
            if c in index.functions
        )
        calling = [
            (index.functions[c].path, index.functions[c].outline.name, hops)
            for c, hops in _callers_within(key, callers)
            if c in index.functions
        ]
        result.setdefault(item.path, {})[item.outline.line] = Exposure(
            surface,
            reason,
            len(found),
            tuple(_short(c) for c in found[:3]),
            tuple(reached),
            tuple(calling),
        )
    return result


#: Callers kept per function (``Exposure.caller_keys``), and how many calls away at most.
MAX_CALLERS = 12
MAX_HOPS = 3


def _callers_within(key: str, callers: Mapping[str, set[str]]) -> list[tuple[str, int]]:
    """The functions that call ``key`` directly or through others, nearest first (breadth
    first, then by name), with how many calls away."""
    found: list[tuple[str, int]] = []
    seen = {key}
    level = [key]
    for hops in range(1, MAX_HOPS + 1):
        following = sorted({c for k in level for c in callers.get(k, ())} - seen)
        for caller in following:
            if len(found) == MAX_CALLERS:
                return found
            found.append((caller, hops))
        seen.update(following)
        level = following
    return found


def _short(key: str) -> str:
    """``pkg.mod:Class.method`` -> ``Class.method``; module-level code by its module."""
    module, _, name = key.partition(":")
    return f"{module} (module level)" if name == MODULE_REGION else name


def _resolve(
    index: _Index,
    path: str,
    module: str,
    outline: FileOutline,
    function: OutlineFunction,
    call: str,
) -> list[str]:
    parts = call.split(".")
    head = parts[0]
    owner = function.name.rpartition(".")[0]
    if head in ("self", "cls") and len(parts) == 2:
        # The enclosing class's method, else (inherited) any project method of that name.
        class_name = owner if f"{module}:{owner}" in index.classes else owner.rpartition(".")[0]
        own = f"{module}:{class_name}.{parts[1]}"
        if own in index.functions:
            return [own]
        return _by_method_name(index, parts[1])
    if head in outline.imports:
        target = index.absolute(module, path, outline.imports[head])
        return index.lookup(".".join([target, *parts[1:]]))
    local = f"{module}:{call}"
    if local in index.functions:
        return [local]
    if f"{module}:{call}" in index.classes:
        init = f"{module}:{call}.__init__"
        return [init] if init in index.functions else []
    if len(parts) >= 2:
        return _by_method_name(index, parts[-1])
    return []


def _by_method_name(index: _Index, name: str) -> list[str]:
    if name in _BUILTIN_METHODS or (name.startswith("__") and name.endswith("__")):
        return []
    found = index.methods_named.get(name, [])
    return list(found) if len(found) <= AMBIGUOUS_METHOD_LIMIT else []


def _decorator_name(text: str) -> str:
    """``app.route("/x", methods=["POST"])`` -> ``app.route``."""
    return text.partition("(")[0].strip().lstrip("@")


def _entries(index: _Index) -> dict[str, tuple[Surface, str]]:
    """Command-line commands, route handlers and script entry points."""
    found: dict[str, tuple[Surface, str]] = {}
    for path, outline in index.outlines.items():
        if is_test_module(path):
            continue
        module = index.module_of_path[path]
        roots = {target.lstrip(".").split(".")[0] for target in outline.imports.values()}
        web = next((label for m, label in _WEB_MODULES.items() if m in roots), None)
        cli = next((m for m in _CLI_MODULES if m in roots), None)
        views_module = "views" in PurePosixPath(path).with_suffix("").parts or path.endswith(
            "views.py"
        )
        for function in outline.functions:
            key = f"{module}:{function.name}"
            entry = _entry(function, outline, web, cli, views_module)
            if entry is not None:
                found[key] = ("entry", entry)
        for name in outline.endpoints:
            for callee in _resolve(index, path, module, outline, outline.functions[0], name):
                found[callee] = ("entry", f"a route handler (registered in `{path}`)")
            owner = _resolve_class(index, path, module, outline, name)
            for method in _HANDLER_METHODS:
                key = f"{owner}.{method}"
                if owner and key in index.functions:
                    found[key] = ("entry", f"a route handler (`{name}`, registered in `{path}`)")
        for name in outline.main_calls:
            for callee in _resolve(index, path, module, outline, outline.functions[0], name):
                found.setdefault(callee, ("entry", f"the script's entry point (`{path}`)"))
        if PurePosixPath(path).name == "__main__.py" or "argparse" in roots:
            for function in outline.functions:
                if function.name in _MAIN_NAMES:
                    key = f"{module}:{function.name}"
                    found.setdefault(key, ("entry", f"the command line's main (`{path}`)"))
    return found


def _resolve_class(
    index: _Index, path: str, module: str, outline: FileOutline, name: str
) -> str | None:
    head, _, rest = name.partition(".")
    if head in outline.imports:
        target = index.absolute(module, path, outline.imports[head])
        dotted = ".".join([target, rest]) if rest else target
        for cut in range(dotted.count("."), 0, -1):
            candidate = ".".join(dotted.split(".")[:cut]) + ":" + ".".join(dotted.split(".")[cut:])
            if candidate in index.classes:
                return candidate
        return None
    return f"{module}:{name}" if f"{module}:{name}" in index.classes else None


def _entry(
    function: OutlineFunction,
    outline: FileOutline,
    web: str | None,
    cli: str | None,
    views_module: bool,
) -> str | None:
    for text in function.decorators:
        name = _decorator_name(text)
        last = name.rpartition(".")[2]
        root = outline.imports.get(name.split(".")[0], "").lstrip(".").split(".")[0]
        if cli and (root in _CLI_MODULES or "." in name) and last in _CLI_DECORATORS:
            return f"a {cli} command (`@{text}`)"
        if web and last in _ROUTE_DECORATORS and ("." in name or root in _WEB_MODULES):
            return f"a {web} route handler (`@{text}`)"
    if web is None:
        return None
    owner, _, method = function.name.rpartition(".")
    if owner and method in _HANDLER_METHODS:
        bases = outline.class_bases.get(owner, ())
        if any(_VIEW_BASE.search(base.rpartition(".")[2]) for base in bases):
            return f"a {web} view's `{method}` handler"
    if views_module and not owner and function.params[:1] == ("request",):
        return f"a {web} view (`{function.name}(request, …)`)"
    return None


def _exported(index: _Index) -> dict[str, tuple[Surface, str]]:
    """Functions (and methods of classes) in their module's ``__all__`` or re-exported at the
    top of their package."""
    found: dict[str, tuple[Surface, str]] = {}

    def mark(key: str, reason: str) -> None:
        found.setdefault(key, ("exported", reason))
        # the public methods of an exported class are its API too
        prefix = key + "."
        for other in index.functions:
            if other.startswith(prefix):
                method = other[len(prefix) :]
                if "." not in method and (not method.startswith("_") or method in _PUBLIC_DUNDERS):
                    found.setdefault(other, ("exported", reason))

    for path, outline in index.outlines.items():
        if is_test_module(path):
            continue
        module = index.module_of_path[path]
        if outline.exports is not None:
            for name in outline.exports:
                key = _defined(index, module, name)
                if key:
                    mark(key, f"in `__all__` of `{path}`")
        if module in index.packages and "." not in module:
            # the top-level package: what its __init__ imports is the package's API
            names = outline.exports if outline.exports is not None else tuple(outline.imports)
            for name in names:
                bound = outline.imports.get(name)
                if bound is None or name.startswith("_"):
                    continue
                target = index.absolute(module, path, bound)
                for callee in _defined_by_dotted(index, target):
                    mark(callee, f"re-exported by `{path}`")
    return found


def _defined(index: _Index, module: str, name: str) -> str | None:
    key = f"{module}:{name}"
    return key if key in index.functions or key in index.classes else None


def _defined_by_dotted(index: _Index, dotted: str) -> list[str]:
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module, name = ".".join(parts[:cut]), ".".join(parts[cut:])
        key = _defined(index, module, name)
        if key:
            return [key]
    return []


def _by_name(index: _Index, item: _Function) -> tuple[Surface, str]:
    """Public by naming: no leading underscore in its module's path or its own name, and not
    nested in another function."""
    if item.outline.name == MODULE_REGION:
        return "private", "module-level code"
    name_parts = item.outline.name.split(".")
    for cut in range(1, len(name_parts)):
        if f"{item.module}:{'.'.join(name_parts[:cut])}" not in index.classes:
            return "private", "a nested function"
    private_module = any(
        p.startswith("_") and not p.startswith("__") for p in item.module.split(".")
    )
    private_name = any(p.startswith("_") and p not in _PUBLIC_DUNDERS for p in name_parts)
    if private_module or private_name:
        return "private", "a private name"
    return "public", f"a public name in `{item.module}`"
