"""Find a file's code facts (``code_facts.py``) in one pass over its AST.

The walk follows coverage.py's RegionFinder, so functions are named and keyed as its regions are.
Texts are the source as written (whitespace runs collapsed, long ones cut with "…"), not
``ast.unparse``'s rewriting, so that a suggestion quotes the user's own code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import cast

from covgap.collect.code.ast_names import dotted_name
from covgap.collect.code.code_facts import (
    Call,
    Condition,
    Decision,
    DecisionKind,
    Effect,
    FileFacts,
    FunctionFacts,
    HandlerSite,
    RaiseSite,
    ReturnSite,
)
from covgap.collect.code.effects import EffectFinder, lexical_reason, token_identifier
from covgap.model import MODULE_REGION

__all__ = ["MAX_TEXT", "facts_from_source"]

#: Texts longer than this are cut, with "…".
MAX_TEXT = 80

#: ``try`` statements; ``try``/``except*`` (Python 3.11+) has the same fields.
_TRY_NODES: tuple[type[ast.stmt], ...] = tuple(
    getattr(ast, name) for name in ("Try", "TryStar") if hasattr(ast, name)
)

#: Built-ins that reach outside the process: files and the terminal.
_BUILTINS_OF_INTEREST = frozenset({"open", "input"})


def facts_from_source(source: str, tree: ast.Module | None = None) -> FileFacts:
    """The facts of every function in ``source`` (raises SyntaxError for invalid Python)."""
    if tree is None:
        tree = ast.parse(source)
    texts = _SourceText(source)
    imports = _imports(tree)
    global_types = _global_types(tree, imports)
    attribute_types = _attribute_types(tree, imports, global_types)
    relative = _relative_imports(tree)
    content_lexical = lexical_reason({**relative, **imports}, 0, 0)
    effects = EffectFinder(imports, attribute_types, lexical=bool(content_lexical))
    finder = _FunctionFinder(texts, imports, effects, global_types)
    finder.module(tree)
    functions = [f for f in finder.functions if f.name != MODULE_REGION]
    lexical = content_lexical or lexical_reason({}, finder.token_functions, len(functions))
    return FileFacts(
        imports=imports,
        functions=tuple(finder.functions),
        attribute_types=attribute_types,
        lexical=lexical,
        exports=_exports(tree),
        relative_imports=relative,
        class_bases=finder.class_bases,
        endpoints=_endpoints(tree, imports),
        main_calls=_main_calls(tree),
        global_types=global_types,
    )


# -- reading the source back -----------------------------------------------------------------


class _SourceText:
    """Source segments by AST position; ast's column offsets count UTF-8 bytes."""

    def __init__(self, source: str) -> None:
        self._lines = [line.encode() for line in source.splitlines(keepends=True)]

    def of(self, node: ast.AST) -> str:
        start = getattr(node, "lineno", None)
        end = getattr(node, "end_lineno", None)
        if start is None or end is None or end > len(self._lines):
            return _short(ast.unparse(node))
        first, last = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
        if start == end:
            raw = self._lines[start - 1][first:last]
        else:
            parts = [self._lines[start - 1][first:]]
            parts.extend(self._lines[start : end - 1])
            parts.append(self._lines[end - 1][:last])
            raw = b"".join(parts)
        return _short(raw.decode(errors="replace"))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1].rstrip() + "…"


# -- imports and attribute types -------------------------------------------------------------


def _all_statements(statements: Sequence[ast.AST]) -> Iterator[ast.stmt]:
    """Every statement under ``statements``, in functions and classes too; expressions are not
    entered (statements cannot be inside them), which makes this much cheaper than ast.walk."""
    stack = list(reversed(statements))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.stmt):
            yield node
        for name in _STATEMENT_FIELDS:
            stack.extend(reversed(getattr(node, name, ())))


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
    (``from .tokens import Token`` -> ``Token``: ``.tokens.Token``)."""
    bound: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level:
            prefix = "." * node.level + (f"{node.module}." if node.module else "")
            for alias in node.names:
                bound[alias.asname or alias.name] = prefix + alias.name
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


# -- functions -------------------------------------------------------------------------------


@dataclass
class _Collector:
    """What one function's body holds, gathered while walking it."""

    raises: list[RaiseSite] = field(default_factory=list)
    handlers: list[HandlerSite] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    returns: list[ReturnSite] = field(default_factory=list)
    references: dict[str, None] = field(default_factory=dict)
    self_attributes: dict[str, None] = field(default_factory=dict)
    effects: dict[tuple[str, int], Effect] = field(default_factory=dict)
    calls: dict[str, None] = field(default_factory=dict)
    is_generator: bool = False
    handles_tokens: bool = False

    def effect(self, found: Effect | None) -> None:
        if found is not None:
            self.effects.setdefault((found.kind, found.line), found)

    #: Names whose uses are references: imports, typed module globals and typed parameters
    #: (a parameter hides a global of its name).
    roots: frozenset[str] = frozenset()


class _FunctionFinder:
    """Walks a module like coverage.py's RegionFinder, and collects each function's facts."""

    def __init__(
        self,
        texts: _SourceText,
        imports: dict[str, str],
        effects: EffectFinder,
        global_types: dict[str, str],
    ) -> None:
        self.texts = texts
        self.imports = imports
        self.effects = effects
        self.global_types = global_types
        self._module_roots = frozenset(imports) | frozenset(global_types) | _BUILTINS_OF_INTEREST
        self.functions: list[FunctionFacts] = []
        #: Functions whose code names tokens (``token``, ``tok``, ``ttype``, ``lexer``).
        self.token_functions = 0
        self.class_bases: dict[str, tuple[str, ...]] = {}
        self._names: list[str] = []
        self._classes: list[str | None] = []

    def module(self, tree: ast.Module) -> None:
        collector = _Collector(roots=self._module_roots)
        self._statements(tree.body, (), collector, top_level=())
        end = max((getattr(n, "end_lineno", 0) or 0 for n in tree.body), default=0)
        self.functions.append(self._facts(MODULE_REGION, 0, end, collector))
        for definition in _definitions_in(tree.body):
            self._define(definition)

    def _facts(
        self,
        name: str,
        line: int,
        end_line: int,
        collector: _Collector,
        node: ast.FunctionDef | ast.AsyncFunctionDef | None = None,
    ) -> FunctionFacts:
        params: tuple[str, ...] = ()
        decorators: tuple[str, ...] = ()
        param_types: tuple[tuple[str, str], ...] = ()
        class_name = self._classes[-1] if self._classes else None
        if node is not None:
            params = _params(node, is_method=class_name is not None)
            decorators = tuple(self.texts.of(d) for d in node.decorator_list)
            param_types = tuple(_typed_params(node, self.imports))
        return FunctionFacts(
            name=name,
            line=line,
            end_line=end_line,
            is_async=isinstance(node, ast.AsyncFunctionDef),
            is_generator=collector.is_generator,
            params=params,
            decorators=decorators,
            class_name=class_name if node is not None else None,
            raises=tuple(collector.raises),
            handlers=tuple(collector.handlers),
            decisions=tuple(collector.decisions),
            returns=tuple(collector.returns),
            references=tuple(collector.references),
            self_attributes=tuple(collector.self_attributes),
            effects=tuple(collector.effects.values()),
            calls=tuple(collector.calls),
            param_types=param_types,
        )

    def _define(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        """A definition: a region of its own (a class: its methods), as coverage.py finds them."""
        self._names.append(node.name)
        if isinstance(node, ast.ClassDef):
            self._classes.append(node.name)
            self.class_bases[".".join(self._names)] = tuple(self.texts.of(b) for b in node.bases)
        else:
            collector = _Collector(roots=self._function_roots(node))
            # What a decorator makes of the function (a Celery task, a route) is its business.
            self._expressions(node.decorator_list, collector)
            for decorator in node.decorator_list:
                collector.effect(self.effects.decorator(decorator))
            self._statements(node.body, (), collector, top_level=node.body)
            if collector.handles_tokens or _names_tokens(node):
                self.token_functions += 1
            name = ".".join(self._names)
            end = node.end_lineno or node.lineno
            self.functions.append(self._facts(name, node.lineno, end, collector, node))
            self._classes.append(None)  # a function's own nested defs are not methods
        for inner in _definitions_in(node.body):
            self._define(inner)
        self._classes.pop()
        self._names.pop()

    def _function_roots(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
        """The names whose uses in ``node`` are references: a parameter hides a module global
        of its name, unless it is annotated with an imported type itself."""
        arguments = node.args
        params = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
        typed = {name for name, _ in _typed_params(node, self.imports)}
        hidden = (params - typed) & frozenset(self.global_types)
        return (self._module_roots - hidden) | typed

    def _statements(
        self,
        statements: Sequence[ast.stmt],
        conditions: tuple[Condition, ...],
        collector: _Collector,
        top_level: Sequence[ast.stmt],
    ) -> None:
        for statement in statements:
            self._statement(statement, conditions, collector, top_level)
            # ``if a: return`` before a line: that line needs ``not a`` (a guard).
            for test, side, line in _guards(statement):
                conditions = (*conditions, Condition("guard", self.texts.of(test), side, line))

    def _statement(
        self,
        node: ast.stmt,
        conditions: tuple[Condition, ...],
        collector: _Collector,
        top_level: Sequence[ast.stmt],
    ) -> None:
        text = self.texts.of
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            # A region of its own (see _define); its decorators run here.
            for decorator in node.decorator_list:
                self._expressions([decorator], collector)
            return
        walk = self._statements
        if isinstance(node, ast.If):
            test = text(node.test)
            collector.decisions.append(
                Decision(
                    node.lineno,
                    "if",
                    test,
                    node.body[0].lineno,
                    node.orelse[0].lineno if node.orelse else None,
                    (),
                    conditions,
                )
            )
            self._expressions([node.test], collector)
            walk(node.body, (*conditions, Condition("if", test, True, node.lineno)), collector, ())
            walk(
                node.orelse, (*conditions, Condition("if", test, False, node.lineno)), collector, ()
            )
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            self._loop(node, conditions, collector)
        elif isinstance(node, ast.Match):
            self._match(node, conditions, collector)
        elif isinstance(node, _TRY_NODES):
            self._try(cast(ast.Try, node), conditions, collector)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            self._expressions([item.context_expr for item in node.items], collector)
            walk(node.body, conditions, collector, ())
        elif isinstance(node, ast.Raise):
            collector.raises.append(self._raise(node, conditions))
            collector.effect(self.effects.raise_(node))
            self._expressions([n for n in (node.exc, node.cause) if n is not None], collector)
        elif isinstance(node, ast.Return):
            # Guards alone do not make a return conditional: it is the function's way out.
            structural = any(not c.is_guard for c in conditions)
            if structural or (top_level and node is not top_level[-1]):
                value = text(node.value) if node.value is not None else "None"
                collector.returns.append(ReturnSite(node.lineno, value, conditions))
            self._expressions([node.value] if node.value else [], collector)
        else:
            self._expressions([node], collector)

    def _loop(
        self,
        node: ast.For | ast.AsyncFor | ast.While,
        conditions: tuple[Condition, ...],
        collector: _Collector,
    ) -> None:
        text = self.texts.of
        inside: Condition
        if isinstance(node, ast.While):
            test = text(node.test)
            kind: DecisionKind = "while"
            inside = Condition("while", test, True, node.lineno)
            self._expressions([node.test], collector)
        else:
            test = f"{text(node.target)} in {text(node.iter)}"
            kind = "for"
            inside = Condition("for", text(node.iter), True, node.lineno)
            self._expressions([node.iter], collector)
        false_line = node.orelse[0].lineno if node.orelse else None
        collector.decisions.append(
            Decision(node.lineno, kind, test, node.body[0].lineno, false_line, (), conditions)
        )
        self._statements(node.body, (*conditions, inside), collector, ())
        finished = Condition("else-loop", test, False, node.lineno)
        self._statements(node.orelse, (*conditions, finished), collector, ())

    def _match(
        self, node: ast.Match, conditions: tuple[Condition, ...], collector: _Collector
    ) -> None:
        subject = self.texts.of(node.subject)
        cases = tuple((self.texts.of(case.pattern), case.body[0].lineno) for case in node.cases)
        collector.decisions.append(
            Decision(node.lineno, "match", subject, cases[0][1], None, cases, conditions)
        )
        self._expressions([node.subject], collector)
        for case, (pattern, _) in zip(node.cases, cases, strict=True):
            matched = Condition("case", f"{subject} matches {pattern}", True, case.pattern.lineno)
            if case.guard is not None:
                self._expressions([case.guard], collector)
            self._statements(case.body, (*conditions, matched), collector, ())

    def _try(self, node: ast.Try, conditions: tuple[Condition, ...], collector: _Collector) -> None:
        self._statements(node.body, conditions, collector, ())
        calls = tuple(self._calls_in(node.body))
        for handler in node.handlers:
            caught = _caught(handler.type, self.texts)
            collector.handlers.append(
                HandlerSite(
                    handler.lineno,
                    handler.body[0].lineno,
                    caught,
                    node.lineno,
                    calls,
                    conditions,
                )
            )
            raised = Condition("except", " or ".join(caught) or "any exception", True, node.lineno)
            if handler.type is not None:
                self._expressions([handler.type], collector)
            self._statements(handler.body, (*conditions, raised), collector, ())
        self._statements(node.orelse, conditions, collector, ())
        self._statements(node.finalbody, conditions, collector, ())

    def _raise(self, node: ast.Raise, conditions: tuple[Condition, ...]) -> RaiseSite:
        exception, message = "", ""
        if node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            exception = self.texts.of(target)
            if isinstance(node.exc, ast.Call) and node.exc.args:
                first = node.exc.args[0]
                literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
                if literal or isinstance(first, ast.JoinedStr):
                    message = self.texts.of(first)
        return RaiseSite(node.lineno, exception, message, conditions)

    def _calls_in(self, statements: Sequence[ast.stmt]) -> Iterator[Call]:
        seen: set[tuple[int, str]] = set()
        for node in _own_nodes(statements):
            if isinstance(node, ast.Call):
                call = Call(node.lineno, self.texts.of(node.func))
                if (call.line, call.target) not in seen:
                    seen.add((call.line, call.target))
                    yield call

    def _expressions(self, nodes: Iterable[ast.AST], collector: _Collector) -> None:
        """References, effects and generator-ness in expressions (not in nested definitions)."""
        effects = self.effects
        class_name = self._classes[-1] if self._classes else None
        for node in _own_nodes(nodes):
            kind = type(node)
            if kind is ast.Call:
                call = cast(ast.Call, node)
                collector.effect(effects.call(call, class_name, _NO_NAMES))
                target = dotted_name(call.func)
                if target is not None:
                    collector.calls[target] = None
                # A function handed to another to call: ``partial(date_convert, …)``,
                # ``map(self.clean, rows)``, ``sorted(items, key=sort_key)``.
                for argument in (*call.args, *(k.value for k in call.keywords)):
                    if isinstance(argument, (ast.Name, ast.Attribute)):
                        passed = dotted_name(argument)
                        if passed is not None:
                            collector.calls[passed] = None
            elif kind is ast.Compare:
                collector.effect(effects.compare(cast(ast.Compare, node)))
            elif kind is ast.BinOp:
                collector.effect(effects.binop(cast(ast.BinOp, node)))
            elif isinstance(node, (ast.Yield, ast.YieldFrom)):
                collector.is_generator = True
            elif isinstance(node, (ast.Attribute, ast.Name)) and isinstance(node.ctx, ast.Load):
                if not collector.handles_tokens:
                    name = node.id if isinstance(node, ast.Name) else node.attr
                    collector.handles_tokens = _token_name(name)
                self._reference(node, collector)

    def _reference(self, node: ast.Attribute | ast.Name, collector: _Collector) -> None:
        dotted = dotted_name(node)
        if dotted is None:
            return
        root, _, rest = dotted.partition(".")
        if root == "self" and rest:
            collector.self_attributes.setdefault(rest.split(".")[0], None)
        elif root in collector.roots:
            # The longest chain wins: "os.environ.get" is seen before "os.environ" and "os".
            longer = (k for k in collector.references if k == dotted or k.startswith(f"{dotted}."))
            if next(longer, None) is None:
                collector.references.setdefault(dotted, None)


#: Local names that shadow ``eval``/``exec``: none are tracked yet.
_NO_NAMES: frozenset[str] = frozenset()


def _token_name(name: str) -> bool:
    """A name of token handling (``token``, ``tok``, ``ttype``, ``lexer``); substring tests
    first, as this runs for every name in the project."""
    lowered = name.lower()
    return ("tok" in lowered or "lex" in lowered or "ttype" in lowered) and token_identifier(
        lowered
    )


def _names_tokens(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Its name or a parameter names tokens (``def group_tokens(tlist, token)``)."""
    arguments = node.args
    names = [node.name, *(a.arg for a in (*arguments.posonlyargs, *arguments.args))]
    return any(_token_name(name) for name in names)


#: Calls that end the program or the request: ``if bad: sys.exit(2)`` is a guard.
_EXIT_CALLS = frozenset({"sys.exit", "exit", "quit", "os._exit", "abort", "flask.abort"})


def _exits(statements: Sequence[ast.stmt]) -> bool:
    """Whether a block always leaves: it ends with ``return``, ``raise``, ``continue``,
    ``break``, a call that exits (``sys.exit``, ``parser.error``), or an ``if``/``else`` whose
    sides both leave."""
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
        return True
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        target = dotted_name(last.value.func) or ""
        return target in _EXIT_CALLS or target.endswith(("parser.error", "parser.exit"))
    if isinstance(last, ast.If):
        return _exits(last.body) and _exits(last.orelse)
    if isinstance(last, (ast.With, ast.AsyncWith)):
        return _exits(last.body)
    return False


def _guards(node: ast.stmt) -> list[tuple[ast.expr, bool, int]]:
    """(test, which way it must go, line) for the lines after ``node`` to run, when ``node`` is
    an ``if`` one of whose sides leaves the block: ``if a: return`` needs ``a`` false, ``if a:
    … else: return`` needs it true; ``if a: return`` / ``elif b: raise`` needs both false."""
    if not isinstance(node, ast.If):
        return []
    body, orelse = _exits(node.body), _exits(node.orelse)
    if body and not orelse:
        elif_chain = len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If)
        later = _guards(node.orelse[0]) if elif_chain else []
        return [(node.test, False, node.lineno), *later]
    if orelse and not body:
        return [(node.test, True, node.lineno)]
    return []


def _own_nodes(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every node under ``nodes`` except inside nested functions and classes (lambdas count)."""
    stack = list(nodes)[::-1]
    while stack:
        node = stack.pop()
        yield node
        for child in reversed(list(ast.iter_child_nodes(node))):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stack.append(child)


#: The fields of a node that hold statements (coverage.py's RegionFinder walks the same ones).
_STATEMENT_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def _definitions_in(
    statements: Sequence[ast.AST],
) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    """The functions and classes defined in a body, inside ifs, loops and trys, not deeper."""
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node
        else:
            for name in _STATEMENT_FIELDS:
                yield from _definitions_in(getattr(node, name, ()))


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef, *, is_method: bool) -> tuple[str, ...]:
    arguments = node.args
    names = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
    static = any(dotted_name(d) == "staticmethod" for d in node.decorator_list)
    if is_method and names and not static and names[0] in ("self", "cls"):
        names = names[1:]
    if arguments.vararg:
        names.append(f"*{arguments.vararg.arg}")
    names.extend(a.arg for a in arguments.kwonlyargs)
    if arguments.kwarg:
        names.append(f"**{arguments.kwarg.arg}")
    return tuple(names)


def _caught(node: ast.expr | None, texts: _SourceText) -> tuple[str, ...]:
    if node is None:
        return ()
    if isinstance(node, ast.Tuple):
        return tuple(texts.of(element) for element in node.elts)
    return (texts.of(node),)
