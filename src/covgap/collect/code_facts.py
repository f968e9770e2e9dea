"""What each function's code says about testing it (raises, handlers, decisions, calls, imports),
as plain data; ``code_walk.py`` finds it in the source.

Per function (named and keyed as coverage.py's regions are:
``Class.method``, ``outer.inner``, by the line of the ``def``), the sites a test has to reach
and the conditions that lead to them, the calls it makes and the names it uses, plus the file's
imports. ``analyze/suggest.py`` pairs these facts with the coverage measured; nothing here knows
about coverage. ``to_json``/``from_json`` let them be cached by content hash and computed in
worker processes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from covgap.model import MODULE_REGION

__all__ = [
    "FACTS_FORMAT",
    "Call",
    "Condition",
    "Decision",
    "FileFacts",
    "FunctionFacts",
    "HandlerSite",
    "RaiseSite",
    "ReturnSite",
]

#: Bump when the shape of FileFacts.to_json() changes (cached facts of another format are
#: recomputed).
#: 1: first version.
FACTS_FORMAT = 1

ConditionKind = Literal["if", "while", "for", "case", "except", "else-loop"]
DecisionKind = Literal["if", "while", "for", "match"]


@dataclass(frozen=True)
class Condition:
    """One step on the way to a line: a test that must hold (or fail), a loop, a case."""

    kind: ConditionKind
    #: The test as written ("user is None"); for a loop, its iterable; for ``except``, the
    #: exceptions caught; for a case, "subject matches pattern".
    text: str
    #: True: the test must be true (or the loop must run, the case match, the exception be
    #: raised); False: it must be false (the ``else`` side).
    holds: bool
    line: int


@dataclass(frozen=True)
class Call:
    """A call the function makes, by the callee's text ("requests.get", "self.store.save")."""

    line: int
    target: str


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
    calls: tuple[Call, ...] = ()
    #: Dotted names used (``requests.get``, ``os.environ``, ``open``), rooted at an imported
    #: or built-in name, in order of first use.
    references: tuple[str, ...] = ()
    #: ``self.<attribute>`` names used, for methods (their dependencies may be set in __init__).
    self_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileFacts:
    """A file's functions and the names its imports bind (local name -> dotted module name)."""

    imports: dict[str, str]
    functions: tuple[FunctionFacts, ...]
    #: ``self.<attribute>`` -> dotted name of what __init__ (or any method) assigns to it, per
    #: class: ``{"Gateway": {"session": "requests.Session"}}``.
    attribute_types: dict[str, dict[str, str]] = field(default_factory=dict)

    def function(self, name: str, line: int) -> FunctionFacts | None:
        """The facts of the region coverage.py names ``name`` and starts at ``line``."""
        for facts in self.functions:
            if name == MODULE_REGION:
                if facts.name == MODULE_REGION:
                    return facts
            elif facts.line == line and facts.name != MODULE_REGION:
                return facts
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "imports": self.imports,
            "functions": [asdict(f) for f in self.functions],
            "attribute_types": self.attribute_types,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> FileFacts:
        return cls(
            imports=dict(obj["imports"]),
            functions=tuple(_function_from_json(f) for f in obj["functions"]),
            attribute_types={k: dict(v) for k, v in obj["attribute_types"].items()},
        )


def _function_from_json(obj: dict[str, Any]) -> FunctionFacts:
    def conditions(items: list[dict[str, Any]]) -> tuple[Condition, ...]:
        return tuple(Condition(**c) for c in items)

    def calls(items: list[dict[str, Any]]) -> tuple[Call, ...]:
        return tuple(Call(**c) for c in items)

    return FunctionFacts(
        name=obj["name"],
        line=obj["line"],
        end_line=obj["end_line"],
        is_async=obj["is_async"],
        is_generator=obj["is_generator"],
        params=tuple(obj["params"]),
        decorators=tuple(obj["decorators"]),
        class_name=obj["class_name"],
        raises=tuple(
            RaiseSite(r["line"], r["exception"], r["message"], conditions(r["conditions"]))
            for r in obj["raises"]
        ),
        handlers=tuple(
            HandlerSite(
                h["line"],
                h["body_line"],
                tuple(h["exceptions"]),
                h["try_line"],
                calls(h["calls"]),
                conditions(h["conditions"]),
            )
            for h in obj["handlers"]
        ),
        decisions=tuple(
            Decision(
                d["line"],
                d["kind"],
                d["text"],
                d["true_line"],
                d["false_line"],
                tuple((pattern, line) for pattern, line in d["cases"]),
                conditions(d["conditions"]),
            )
            for d in obj["decisions"]
        ),
        returns=tuple(
            ReturnSite(r["line"], r["value"], conditions(r["conditions"])) for r in obj["returns"]
        ),
        calls=calls(obj["calls"]),
        references=tuple(obj["references"]),
        self_attributes=tuple(obj["self_attributes"]),
    )
