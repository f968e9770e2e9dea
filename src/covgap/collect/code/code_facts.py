"""What each function's code says about testing it (raises, handlers, decisions, calls, imports),
as plain data; ``code_walk/`` finds it in the source.

Per function (named and keyed as coverage.py's regions are:
``Class.method``, ``outer.inner``, by the line of the ``def``), the sites a test has to reach
and the conditions that lead to them, the calls it makes and the names it uses, plus the file's
imports. ``analyze/suggest.py`` pairs these facts with the coverage measured; nothing here knows
about coverage. ``to_json``/``from_json`` let them be cached by content hash and computed in
worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from covgap.model import MODULE_REGION

__all__ = [
    "FACTS_FORMAT",
    "Call",
    "Condition",
    "Decision",
    "Effect",
    "EffectKind",
    "FileFacts",
    "FunctionFacts",
    "HandlerSite",
    "RaiseSite",
    "ReturnSite",
]

#: Bump when the shape of FileFacts.to_json() changes (cached facts of another format are
#: recomputed).
#: 1: first version.
#: 2: functions and their sites as lists in field order (faster to read than objects).
#: 3: what each function does that makes it critical (``effects``), the calls it makes
#:    (``calls``, for the project's call graph), whether the file is a lexer/parser context
#:    (``lexical``), and what the file exposes (``exports``, ``relative_imports``,
#:    ``class_bases``, ``endpoints``, ``main_calls``).
#: 4: earlier guards on a site's path ("guard" conditions); module globals' and typed
#:    parameters' types (``global_types``, ``param_types``); class-level attributes.
#: 5: a credential word a lexer also uses (``token``, ``digest``) beside a word of a sequence
#:    (``prerelease_token``, ``next_token``) is not a credential compared.
#: 6: a function passed to a call (``partial(date_convert, …)``, ``key=sort_key``) is among
#:    the ``calls``.
#: 7: relative imports inside function bodies (``from ._cached import _wrapper``).
FACTS_FORMAT = 7

ConditionKind = Literal["if", "while", "for", "case", "except", "else-loop", "guard"]
DecisionKind = Literal["if", "while", "for", "match"]
#: What a function does that makes a bug in it costly (docs/risk.md lists the detectors).
EffectKind = Literal[
    "credentials", "crypto", "deserialize", "sql", "money", "destructive", "network"
]


@dataclass(frozen=True)
class Condition:
    """One step on the way to a line: a test that must hold (or fail), a loop, a case.

    A "guard" is an earlier ``if`` of the same block that leaves it (``return``, ``raise``,
    ``continue``, ``break``, ``sys.exit``) when it fires: a later line needs it not to fire.
    """

    kind: ConditionKind
    #: The test as written ("user is None"); for a loop, its iterable; for ``except``, the
    #: exceptions caught; for a case, "subject matches pattern".
    text: str
    #: True: the test must be true (or the loop must run, the case match, the exception be
    #: raised); False: it must be false (the ``else`` side, a guard that must not fire).
    holds: bool
    line: int

    @property
    def is_guard(self) -> bool:
        return self.kind == "guard"


@dataclass(frozen=True)
class Call:
    """A call the function makes, by the callee's text ("requests.get", "self.store.save")."""

    line: int
    target: str


@dataclass(frozen=True)
class Effect:
    """Something critical the function does, where: a call into ``hmac``, SQL executed, a file
    removed, a permission check."""

    kind: EffectKind
    line: int
    #: What was seen, resolved through the module's imports: "hmac.compare_digest",
    #: "raise PermissionError", "@login_required", "password == …".
    what: str


@dataclass(frozen=True)
class RaiseSite:
    line: int
    #: What is raised: "ValueError", "errors.NotFound", a variable's name; "" for a bare
    #: ``raise`` (re-raising the exception being handled).
    exception: str
    #: The message as written (quotes included) when the first argument is a string literal
    #: or an f-string, else "".
    message: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class HandlerSite:
    """An ``except`` clause: reached only when a call in its ``try`` raises."""

    line: int
    body_line: int
    #: The exceptions it catches, as written; () for a bare ``except:``.
    exceptions: tuple[str, ...]
    try_line: int
    #: The calls in the ``try`` body, in source order: one of them must raise.
    calls: tuple[Call, ...]
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Decision:
    """A statement that branches: ``if``/``elif``, ``while``, ``for``, ``match``."""

    line: int
    kind: DecisionKind
    #: The test; for ``for``, "target in iterable"; for ``match``, the subject.
    text: str
    #: The first line run when the test holds (the loop body, the ``if`` body).
    true_line: int
    #: The first line of the ``else``/``elif`` side, or None when there is none.
    false_line: int | None
    #: For ``match``: (pattern, first line of its body) per case.
    cases: tuple[tuple[str, int], ...]
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class ReturnSite:
    """A ``return`` reached only under conditions (an early or alternative exit)."""

    line: int
    value: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class FunctionFacts:
    """One function, method, or a file's module-level code (``name`` = MODULE_REGION)."""

    name: str
    line: int
    end_line: int
    is_async: bool = False
    is_generator: bool = False
    #: Parameters as written, without ``self``/``cls`` of methods.
    params: tuple[str, ...] = ()
    decorators: tuple[str, ...] = ()
    #: The class it is defined in, for methods.
    class_name: str | None = None
    raises: tuple[RaiseSite, ...] = ()
    handlers: tuple[HandlerSite, ...] = ()
    decisions: tuple[Decision, ...] = ()
    returns: tuple[ReturnSite, ...] = ()
    #: Dotted names used (``requests.get``, ``os.environ``, ``open``), rooted at an imported
    #: or built-in name, in order of first use.
    references: tuple[str, ...] = ()
    #: ``self.<attribute>`` names used, for methods (their dependencies may be set in __init__).
    self_attributes: tuple[str, ...] = ()
    #: What it does that makes it critical, in source order (``collect/code/effects.py``).
    effects: tuple[Effect, ...] = ()
    #: What it calls, as written ("helper", "self.save", "models.Order"), once each.
    calls: tuple[str, ...] = ()
    #: (parameter, dotted name of its annotation) for parameters annotated with an imported
    #: type (``conn: sqlite3.Connection``, ``session: Session`` from sqlalchemy.orm).
    param_types: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FileFacts:
    """A file's functions and the names its imports bind (local name -> dotted module name)."""

    imports: dict[str, str]
    functions: tuple[FunctionFacts, ...]
    #: ``self.<attribute>`` -> dotted name of what __init__ (or any method) assigns to it, per
    #: class: ``{"Gateway": {"session": "requests.Session"}}``; also a class-level
    #: ``client = redis.Redis()`` and ``self.conn = conn`` of a parameter typed
    #: ``sqlite3.Connection``.
    attribute_types: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Why the file handles tokens of a language (a lexer, a parser, a formatter): there,
    #: ``token`` is not a credential. "" when it does not.
    lexical: str = ""
    #: The names in ``__all__`` when the file sets it to a literal list (or tuple), else None.
    exports: tuple[str, ...] | None = None
    #: Names bound by relative imports -> the dotted name with its leading dots
    #: (``from .core import Signer`` -> ``.core.Signer``).
    relative_imports: dict[str, str] = field(default_factory=dict)
    #: The bases of each class, as written, by the class's qualified name.
    class_bases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Names handed to a route table at module level (``Route("/", endpoint=home)``,
    #: ``path("x/", views.home)``, ``app.add_url_rule("/", view_func=index)``).
    endpoints: tuple[str, ...] = ()
    #: Calls made under ``if __name__ == "__main__":`` (the script's entry point).
    main_calls: tuple[str, ...] = ()
    #: Module-level names bound to an imported thing or to what a call of one returns:
    #: ``r = redis.Redis()`` -> ``{"r": "redis.Redis"}``, ``app = FastAPI()`` ->
    #: ``{"app": "fastapi.FastAPI"}``.
    global_types: dict[str, str] = field(default_factory=dict)

    def function(self, name: str, line: int) -> FunctionFacts | None:
        """The facts of the region coverage.py names ``name`` and starts at ``line``."""
        if name == MODULE_REGION:
            return self._by_line.get(0)
        return self._by_line.get(line) if line else None

    def named(self, name: str) -> FunctionFacts | None:
        """The function called ``name`` (``helper``, ``Class.method``): the last of that name, as
        the module binds it."""
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, FunctionFacts]:
        return {function.name: function for function in self.functions}

    @cached_property
    def _by_line(self) -> dict[int, FunctionFacts]:
        """Functions by ``def`` line; module-level code at 0."""
        return {(0 if f.name == MODULE_REGION else f.line): f for f in self.functions}

    def to_json(self) -> dict[str, Any]:
        return {
            "imports": self.imports,
            "functions": [_function_to_json(f) for f in self.functions],
            "attribute_types": self.attribute_types,
            "lexical": self.lexical,
            "exports": self.exports,
            "relative_imports": self.relative_imports,
            "class_bases": self.class_bases,
            "endpoints": self.endpoints,
            "main_calls": self.main_calls,
            "global_types": self.global_types,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> FileFacts:
        return cls(
            imports=dict(obj["imports"]),
            functions=tuple(_function_from_json(f) for f in obj["functions"]),
            attribute_types={k: dict(v) for k, v in obj["attribute_types"].items()},
            lexical=str(obj["lexical"]),
            exports=None if obj["exports"] is None else tuple(obj["exports"]),
            relative_imports=dict(obj["relative_imports"]),
            class_bases={k: tuple(v) for k, v in obj["class_bases"].items()},
            endpoints=tuple(obj["endpoints"]),
            main_calls=tuple(obj["main_calls"]),
            global_types=dict(obj["global_types"]),
        )


class _ConditionTable:
    """A function's conditions stored once; sites refer to them by index (they share most)."""

    def __init__(self) -> None:
        self.rows: list[list[Any]] = []
        self._index: dict[Condition, int] = {}

    def refer(self, conditions: tuple[Condition, ...]) -> list[int]:
        refs = []
        for c in conditions:
            if c not in self._index:
                self._index[c] = len(self.rows)
                self.rows.append([c.kind, c.text, c.holds, c.line])
            refs.append(self._index[c])
        return refs


def _calls_json(calls: tuple[Call, ...]) -> list[list[Any]]:
    return [[c.line, c.target] for c in calls]


def _function_to_json(f: FunctionFacts) -> list[Any]:
    """A function's facts as lists in field order (see _function_from_json)."""
    table = _ConditionTable()
    raises = [[r.line, r.exception, r.message, table.refer(r.conditions)] for r in f.raises]
    handlers = [
        [
            h.line,
            h.body_line,
            h.exceptions,
            h.try_line,
            _calls_json(h.calls),
            table.refer(h.conditions),
        ]
        for h in f.handlers
    ]
    decisions = [
        [d.line, d.kind, d.text, d.true_line, d.false_line, d.cases, table.refer(d.conditions)]
        for d in f.decisions
    ]
    returns = [[r.line, r.value, table.refer(r.conditions)] for r in f.returns]
    return [
        f.name,
        f.line,
        f.end_line,
        f.is_async,
        f.is_generator,
        f.params,
        f.decorators,
        f.class_name,
        table.rows,
        raises,
        handlers,
        decisions,
        returns,
        f.references,
        f.self_attributes,
        [[e.kind, e.line, e.what] for e in f.effects],
        f.calls,
        f.param_types,
    ]


def _calls(items: list[list[Any]]) -> tuple[Call, ...]:
    return tuple(Call(line, target) for line, target in items)


def _function_from_json(obj: list[Any]) -> FunctionFacts:
    (
        name,
        line,
        end_line,
        is_async,
        is_generator,
        params,
        decorators,
        class_name,
        table,
        raises,
        handlers,
        decisions,
        returns,
        references,
        self_attributes,
        effects,
        calls,
        param_types,
    ) = obj
    shared = [Condition(kind, text, holds, at) for kind, text, holds, at in table]

    def _conditions(refs: list[int]) -> tuple[Condition, ...]:
        return tuple(shared[i] for i in refs)

    return FunctionFacts(
        name=name,
        line=line,
        end_line=end_line,
        is_async=is_async,
        is_generator=is_generator,
        params=tuple(params),
        decorators=tuple(decorators),
        class_name=class_name,
        raises=tuple(
            RaiseSite(r_line, exception, message, _conditions(conditions))
            for r_line, exception, message, conditions in raises
        ),
        handlers=tuple(
            HandlerSite(h_line, body, tuple(caught), try_line, _calls(h_calls), _conditions(c))
            for h_line, body, caught, try_line, h_calls, c in handlers
        ),
        decisions=tuple(
            Decision(
                d_line,
                kind,
                text,
                true_line,
                false_line,
                tuple((pattern, case_line) for pattern, case_line in cases),
                _conditions(c),
            )
            for d_line, kind, text, true_line, false_line, cases, c in decisions
        ),
        returns=tuple(ReturnSite(r_line, value, _conditions(c)) for r_line, value, c in returns),
        references=tuple(references),
        self_attributes=tuple(self_attributes),
        effects=tuple(Effect(kind, e_line, what) for kind, e_line, what in effects),
        calls=tuple(calls),
        param_types=tuple((name, dotted) for name, dotted in param_types),
    )
