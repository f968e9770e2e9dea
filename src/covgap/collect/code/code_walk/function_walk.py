"""The per-function walk: each function's facts, as coverage.py's RegionFinder finds regions."""

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
    FunctionFacts,
    HandlerSite,
    RaiseSite,
    ReturnSite,
)
from covgap.collect.code.code_walk.guards import _guards
from covgap.collect.code.code_walk.module_scan import _typed_params
from covgap.collect.code.code_walk.source_text import _SourceText
from covgap.collect.code.code_walk.traversal import _TRY_NODES, _definitions_in, _own_nodes
from covgap.collect.code.effects import EffectFinder, token_identifier
from covgap.model import MODULE_REGION

#: Built-ins that reach outside the process: files and the terminal.
_BUILTINS_OF_INTEREST = frozenset({"open", "input"})


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
