"""The module-level scan: imports, exports, endpoints, main calls, globals' and class types."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from covgap.collect.code.ast_names import dotted_name
from covgap.collect.code.code_walk.traversal import (
    _STATEMENT_FIELDS,
    _TRY_NODES,
    _all_statements,
    _own_nodes,
)


def _imports(tree: ast.Module) -> dict[str, str]:
    """Every name an import binds, anywhere in the file, to the dotted name it stands for."""
    bound: dict[str, str] = {}
    for node in _all_statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    bound[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if alias.name != "*":
                    bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return bound


def _exports(tree: ast.Module) -> tuple[str, ...] | None:
    """``__all__`` as a literal list or tuple (with ``+=`` and ``.extend`` of literals), or
    None when the module does not set it that way."""
    names: list[str] | None = None
    for node in tree.body:
        value: ast.AST | None = None
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            names, value = [], node.value
        elif (
            isinstance(node, ast.AugAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "__all__"
        ):
            value = node.value
        elif (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and dotted_name(node.value.func) == "__all__.extend"
            and node.value.args
        ):
            value = node.value.args[0]
        if value is None:
            continue
        if names is None:
            names = []
        if isinstance(value, (ast.List, ast.Tuple)):
            names.extend(
                e.value
                for e in value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
    return tuple(names) if names is not None else None


#: Calls that hand a view to a route table: their name-like arguments are endpoints.
_ROUTE_REGISTRATIONS = frozenset(
    {
        "Route",
        "WebSocketRoute",
        "Mount",
        "path",
        "re_path",
        "url",
        "add_url_rule",
        "add_api_route",
        "add_api_websocket_route",
        "add_route",
        "add_get",
        "add_post",
        "add_put",
        "add_patch",
        "add_delete",
        "add_view",
    }
)
#: Frameworks whose ``path``/``url``/``Route`` register views.
_WEB_FRAMEWORKS = ("django", "starlette", "fastapi", "flask", "aiohttp", "litestar", "quart")


def _endpoints(tree: ast.Module, imports: dict[str, str]) -> tuple[str, ...]:
    """Functions handed to a route table at module level (urls.py, a Starlette app)."""
    found: dict[str, None] = {}
    module_level = (
        s for s in tree.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
    )
    for node in _own_nodes(module_level):
        if not isinstance(node, ast.Call):
            continue
        func = dotted_name(node.func)
        if func is None or func.rpartition(".")[2] not in _ROUTE_REGISTRATIONS:
            continue
        if "." not in func:  # ``path(...)`` is a route only when imported from a framework
            origin = imports.get(func, "")
            if not origin.startswith(_WEB_FRAMEWORKS):
                continue
        for argument in (*node.args, *(k.value for k in node.keywords)):
            if isinstance(argument, ast.Call) and dotted_name(argument.func) is not None:
                # ``views.Login.as_view()``: the class's handlers
                argument = argument.func
                name = dotted_name(argument)
                if name is not None and name.endswith(".as_view"):
                    found[name.removesuffix(".as_view")] = None
                continue
            name = dotted_name(argument)
            if name is not None:
                found[name] = None
    return tuple(found)


def _main_calls(tree: ast.Module) -> tuple[str, ...]:
    """What ``if __name__ == "__main__":`` calls."""
    found: dict[str, None] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name)
            and node.test.left.id == "__name__"
        ):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and (name := dotted_name(inner.func)):
                    found[name] = None
    return tuple(found)


def _relative_imports(tree: ast.Module) -> dict[str, str]:
    """Names bound by relative imports, to their dotted name with its leading dots
    (``from .tokens import Token`` -> ``Token``: ``.tokens.Token``); those of a function body
    too (``from ._cached import _wrapper`` inside ``cached()``), unless the module binds the
    name itself."""
    bound: dict[str, str] = {}
    local: dict[str, str] = {}
    top = {id(node) for node in tree.body}
    for node in _all_statements(tree.body):
        if isinstance(node, ast.ImportFrom) and node.level:
            prefix = "." * node.level + (f"{node.module}." if node.module else "")
            into = bound if id(node) in top else local
            for alias in node.names:
                into.setdefault(alias.asname or alias.name, prefix + alias.name)
    for name, target in local.items():
        bound.setdefault(name, target)
    return bound


def _attribute_types(
    tree: ast.Module, imports: dict[str, str], global_types: dict[str, str]
) -> dict[str, dict[str, str]]:
    """``self.x = imported.Thing(...)`` (or ``= imported_name``, or ``= param`` of a parameter
    annotated with an imported type) in a class's methods, and ``x = imported.Thing(...)`` in
    the class body."""
    known = {**imports, **global_types}
    found: dict[str, dict[str, str]] = {}
    for cls in (n for n in _all_statements(tree.body) if isinstance(n, ast.ClassDef)):
        attributes: dict[str, str] = {}
        for node in cls.body:  # class-level attributes: ``client = redis.Redis()``
            for name, bound in _bound_types(node, known):
                attributes.setdefault(name, bound)
        methods = [n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for method in methods:
            typed = dict(_typed_params(method, imports))
            for node in _all_statements(method.body):
                if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
                    continue
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                resolved = _value_type(node.value, known)
                if resolved is None and isinstance(node.value, ast.Name):
                    resolved = typed.get(node.value.id)
                if resolved is None:
                    continue
                for target in targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == "self"
                    ):
                        attributes.setdefault(target.attr, resolved)
        if attributes:
            found[cls.name] = attributes
    return found


def _value_type(value: ast.expr, known: dict[str, str]) -> str | None:
    """What ``imported.Thing(...)``, ``imported.factory()`` or ``imported_name`` stands for."""
    target = value.func if isinstance(value, ast.Call) else value
    dotted = dotted_name(target)
    return _resolve(dotted, known) if dotted else None


def _bound_types(node: ast.AST, known: dict[str, str]) -> Iterator[tuple[str, str]]:
    """(name, type) for ``name = imported.Thing(...)`` (or an annotated assignment)."""
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return
    resolved = _value_type(node.value, known)
    if resolved is None:
        return
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        if isinstance(target, ast.Name):
            yield target.id, resolved


def _global_types(tree: ast.Module, imports: dict[str, str]) -> dict[str, str]:
    """Module-level names bound to an imported thing or a call of one, in the order they are
    bound (``Session = sessionmaker(...)`` then ``session = Session()`` resolves both), inside
    module-level ``if`` and ``try`` too."""
    known = dict(imports)
    found: dict[str, str] = {}
    stack: list[ast.stmt] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.If, *_TRY_NODES)):
            for name in _STATEMENT_FIELDS:
                for child in reversed(getattr(node, name, ())):
                    if isinstance(child, ast.ExceptHandler):
                        stack.extend(reversed(child.body))
                    else:
                        stack.append(child)
            continue
        for name, resolved in _bound_types(node, known):
            if name not in imports:
                found.setdefault(name, resolved)
                known.setdefault(name, resolved)
    return found


def _annotation_type(annotation: ast.expr | None, imports: dict[str, str]) -> str | None:
    """The first imported type named in an annotation: ``Session``, ``Session | None``,
    ``Optional[redis.Redis]``, ``"Session"``."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    for node in ast.walk(annotation):
        if isinstance(node, (ast.Name, ast.Attribute)):
            dotted = dotted_name(node)
            resolved = _resolve(dotted, imports) if dotted else None
            if resolved is not None and resolved.split(".")[0] not in _TYPING_MODULES:
                return resolved
    return None


#: Modules whose names in an annotation say nothing about a dependency (``Optional[X]``).
_TYPING_MODULES = frozenset({"typing", "typing_extensions", "collections", "__future__"})


def _typed_params(
    node: ast.FunctionDef | ast.AsyncFunctionDef, imports: dict[str, str]
) -> Iterator[tuple[str, str]]:
    """(parameter, type) for the parameters annotated with an imported type."""
    arguments = node.args
    for argument in (
        *arguments.posonlyargs,
        *arguments.args,
        *arguments.kwonlyargs,
    ):
        resolved = _annotation_type(argument.annotation, imports)
        if resolved is not None:
            yield argument.arg, resolved


def _resolve(dotted: str, imports: dict[str, str]) -> str | None:
    root, _, rest = dotted.partition(".")
    if root in imports:
        return imports[root] + (f".{rest}" if rest else "")
    return None
