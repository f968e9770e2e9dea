"""The tests to write for one function: from its code's facts and the lines and branches it missed.

Each suggestion is one test: what it must make happen, where in the function, and the name of
the test function to create. The most specific come first (an uncovered ``raise`` names its
exception and the conditions that lead to it, the earlier guards that must not fire included);
a decision's side that only leads to such a site is not suggested twice. ``estimate_effort``
counts them: the effort is an estimate. Names come from what the conditions mean
(``analyze/naming.py``), unique against the project's existing tests.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from covgap.analyze.feasible import contradicts
from covgap.analyze.naming import (
    TestNames,
    condition_words,
    message_words,
    slug,
    snake,
    subject_words,
)
from covgap.collect.code.code_facts import (
    Call,
    Condition,
    Decision,
    FunctionFacts,
    HandlerSite,
    RaiseSite,
)
from covgap.collect.coverage.regions import missing_ranges
from covgap.markup import code_span as code
from covgap.model import MODULE_REGION, Region, Suggestion

__all__ = ["describe_conditions", "estimate_effort", "suggest", "test_name_stem"]

#: Conditions named on the way to a line, at most (the innermost ones): the earlier guards
#: that must not fire count, so a chain of checks before a ``raise`` is named whole.
MAX_CONDITIONS = 5

#: Calls named in an "except" suggestion, at most.
MAX_CALLS_NAMED = 2

#: Negations of comparison operators, to say "when `x is not None`" rather than "when not …".
_NEGATED_OPERATORS: dict[type[ast.cmpop], ast.cmpop] = {
    ast.Eq: ast.NotEq(),
    ast.NotEq: ast.Eq(),
    ast.Lt: ast.GtE(),
    ast.GtE: ast.Lt(),
    ast.Gt: ast.LtE(),
    ast.LtE: ast.Gt(),
    ast.Is: ast.IsNot(),
    ast.IsNot: ast.Is(),
    ast.In: ast.NotIn(),
    ast.NotIn: ast.In(),
}


@dataclass(frozen=True)
class Coverage:
    """What ran and what did not, in one function."""

    statements: frozenset[int]
    missing: frozenset[int]
    #: (line, destination) of branches never taken; empty without branch measurement.
    missing_arcs: frozenset[tuple[int, int]]
    branch_measured: bool

    @classmethod
    def of(cls, region: Region, branch_measured: bool) -> Coverage:
        return cls(
            frozenset(region.statement_lines),
            frozenset(region.missing_lines),
            frozenset(region.missing_arcs),
            branch_measured,
        )

    @property
    def never_ran(self) -> bool:
        return bool(self.statements) and self.statements <= self.missing


@lru_cache(maxsize=65536)
def negate(text: str) -> str:
    """The opposite of a condition, written as a reader would: ``x is None`` → ``x is not None``."""
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return f"not ({text})"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ast.unparse(node.operand)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        opposite = _NEGATED_OPERATORS.get(type(node.ops[0]))
        if opposite is not None:
            return ast.unparse(ast.Compare(node.left, [opposite], node.comparators))
    if isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
        return f"not {text}"
    if isinstance(node, ast.BoolOp):
        # De Morgan, when every part has a plain opposite: ``not (a or b)`` -> ``not a and not b``.
        parts = [negate(ast.unparse(value)) for value in node.values]
        if not any(part.startswith("not (") for part in parts):
            joiner = " or " if isinstance(node.op, ast.And) else " and "
            return joiner.join(f"({p})" if _is_bool_op(p) else p for p in parts)
    return f"not ({text})"


def _is_bool_op(text: str) -> bool:
    try:
        return isinstance(ast.parse(text, mode="eval").body, ast.BoolOp)
    except SyntaxError:
        return False


def _phrase(condition: Condition) -> str:
    if condition.kind in ("if", "while", "guard"):
        return code(condition.text if condition.holds else negate(condition.text))
    if condition.kind == "for":
        return f"{code(condition.text)} has an item"
    if condition.kind == "else-loop":
        return f"the loop {code(condition.text)} ends without `break`"
    if condition.kind == "case":
        subject, _, pattern = condition.text.partition(" matches ")
        return f"{code(subject)} matches {code(pattern)}"
    return f"the `try` at line {condition.line} raises {code(condition.text)}"


def describe_conditions(conditions: Sequence[Condition]) -> str:
    """ " when `a` and `b is None`" — or "" when nothing is needed.

    The innermost MAX_CONDITIONS are named (a long ``elif`` chain would list every earlier test
    negated); the others are counted.
    """
    if not conditions:
        return ""
    shown = conditions[-MAX_CONDITIONS:]
    outer = len(conditions) - len(shown)
    more = f" (and {outer} outer condition{'s' if outer != 1 else ''})" if outer else ""
    return " when " + " and ".join(_phrase(c) for c in shown) + more


def _slug(text: str, limit: int = 5) -> str:
    return slug(text, limit) or "case"


def test_name_stem(facts: FunctionFacts | None, region: Region, module: str = "") -> str:
    """``test_<function>`` in snake case: ``Session.is_valid`` → ``test_session_is_valid``; a
    module's own code: ``test_<module>`` (``shop.invoices`` → ``test_invoices``)."""
    name = facts.name if facts is not None else region.name.partition("@")[0]
    if name == MODULE_REGION:
        return "test_" + (_slug(module.rsplit(".", 1)[-1], limit=8) if module else "module")
    return "test_" + _slug(snake(name).replace(".", "_").strip("_"), limit=8)


def suggest(
    facts: FunctionFacts | None,
    region: Region,
    branch_measured: bool,
    module: str = "",
    existing_names: frozenset[str] = frozenset(),
    reach: str = "",
) -> tuple[Suggestion, ...]:
    """One suggestion per test to write, most specific first, for one function's gap.

    ``module`` is the import name of the function's module, for module-level code;
    ``existing_names``: the names of the project's test functions, which no suggested name
    takes; ``reach``: how a test reaches the function when a plain call is not the right level
    ("request it (`client.get("/x")`) through FastAPI's test client").
    """
    coverage = Coverage.of(region, branch_measured)
    if not coverage.missing and not coverage.missing_arcs:
        return ()
    names = TestNames(test_name_stem(facts, region, module), existing_names)
    shown = region.display_name
    suggestions: list[Suggestion] = []
    if facts is None:
        return (_lines_suggestion(region, coverage, names, shown),)
    if coverage.never_ran and facts.name == MODULE_REGION and module:
        # No test imports the module: one import runs all of its module-level code.
        lines = missing_ranges(region.statement_lines, region.missing_lines)
        text = (
            f"no test imports {code(module)}: a test that imports it (and uses what it defines) "
            f"runs its module-level lines {lines}"
        )
        return (Suggestion("import", region.start_line, text, names.make("imports")),)
    if coverage.never_ran and facts.name != MODULE_REGION:
        suggestions.append(_call_suggestion(facts, names, shown, reach))
    explained: set[int] = set()
    missing_raises = [site for site in facts.raises if site.line in coverage.missing]
    raised = [site.exception for site in missing_raises]
    for site in missing_raises:
        repeated = raised.count(site.exception) > 1
        dead = _unreachable(site.line, site.conditions, shown, "its `raise`")
        suggestions.append(dead or _raise_suggestion(site.line, site, names, shown, repeated))
        explained.add(site.line)
    for handler in facts.handlers:
        if handler.body_line in coverage.missing:
            suggestions.append(_handler_suggestion(handler, facts, names, shown))
            explained.update((handler.line, handler.body_line))
    for ret in facts.returns:
        if ret.line in coverage.missing and ret.conditions and ret.line not in explained:
            dead = _unreachable(ret.line, ret.conditions, shown, f"`return {ret.value}`")
            if dead is not None:
                suggestions.append(dead)
                explained.add(ret.line)
                continue
            text = (
                f"{code(shown)} returns {code(ret.value)}{describe_conditions(ret.conditions)}"
                f" — line {ret.line} never ran"
            )
            test = _return_name(ret.value, ret.conditions, names)
            suggestions.append(Suggestion("return", ret.line, text, test))
            explained.add(ret.line)
    for decision in facts.decisions:
        if _worth_suggesting(decision, coverage):
            suggestions.extend(_decision_suggestions(decision, coverage, explained, names, shown))
    if not suggestions:
        suggestions.append(_lines_suggestion(region, coverage, names, shown))
    return tuple(suggestions)


def estimate_effort(suggestions: Sequence[Suggestion]) -> int:
    """Estimated tests to write: one per suggestion, at least one.

    That is: 1 for a function no test calls, + 1 per uncovered ``raise``, + 1 per uncovered
    ``except`` handler, + 1 per uncovered conditional ``return``, + 1 per untaken side of a
    decision that ran (unless it only leads to one of those sites), + 1 for other lines left.
    """
    return max(1, len(suggestions))


def _own_condition(conditions: Sequence[Condition]) -> str:
    """Name words of the innermost condition that is not an earlier guard ("" when none)."""
    for condition in reversed(conditions):
        if condition.kind in ("if", "while") and not condition.is_guard:
            return condition_words(condition.text, condition.holds)
        if condition.kind == "case":
            subject, _, pattern = condition.text.partition(" matches ")
            return _case_words(subject, pattern)
    return ""


def _case_words(subject: str, pattern: str) -> str:
    words = condition_words(subject)
    if pattern.strip() == "_":
        return f"{words}_is_other"
    return f"{words}_is_{_slug(pattern, limit=3)}"


def _return_name(value: str, conditions: Sequence[Condition], names: TestNames) -> str:
    """``returns_none``, ``returns_false``; a computed value is named by its condition."""
    when = _own_condition(conditions)
    when_part = f"when_{when}" if when else ""
    try:
        literal = isinstance(ast.parse(value, mode="eval").body, ast.Constant)
    except SyntaxError:
        literal = False
    if literal:
        returns = f"returns_{_slug(value, limit=3)}"
        return names.make(returns, f"{returns}_{when_part}" if when_part else "", when_part)
    return names.make(*(c for c in (when_part, f"returns_{_slug(value, limit=3)}") if c))


def _call_suggestion(
    facts: FunctionFacts, names: TestNames, shown: str, reach: str = ""
) -> Suggestion:
    params = ", ".join(facts.params)
    if reach:
        how = reach
    elif facts.is_generator:
        how = "consume it (`list(...)`)"
    elif facts.is_async:
        how = "await it"
    else:
        how = "call it"
    decorated = f" (decorated {code('@' + facts.decorators[0])})" if facts.decorators else ""
    text = (
        f"{code(f'{shown}({params})')}{decorated} never ran: no test calls it — {how} and check "
        "the result"
    )
    return Suggestion("call", facts.line, text, names.make("", "runs", "returns"))


def _raise_suggestion(
    line: int, site: RaiseSite, names: TestNames, shown: str, repeated: bool
) -> Suggestion:
    when = describe_conditions(site.conditions)
    own = _own_condition(site.conditions)
    if site.exception:
        # The message as written is code too: `ValueError("empty amount")`.
        raised = f"{site.exception}({site.message})" if site.message else site.exception
        text = f"{code(shown)} raises {code(raised)}{when} — line {line} never ran"
        exception_name = site.exception.rsplit(".", 1)[-1]
        raises = f"raises_{_slug(snake(exception_name))}"
        message = message_words(site.message) if site.message else ""
        candidates = [
            f"{raises}_for_{message}" if message else "",
            f"{raises}_when_{own}" if own else "",
        ]
        # A function raising one exception twice names each by its message (or condition).
        ordered = [c for c in candidates if c] if repeated else [raises, *candidates]
        test = names.make(*(c for c in ordered if c)) if ordered else names.make(raises)
    else:
        text = f"{code(shown)} re-raises the exception it caught{when} — line {line} never ran"
        test = names.make("reraises", *((f"reraises_when_{own}",) if own else ()))
    return Suggestion("raise", line, text, test)


def _handler_suggestion(
    handler: HandlerSite, facts: FunctionFacts, names: TestNames, shown: str
) -> Suggestion:
    caught = " or ".join(code(e) for e in handler.exceptions) or "any exception"
    first = handler.exceptions[0] if handler.exceptions else "an exception"
    calls = _calls_to_fail(handler)
    if calls:
        named = " or ".join(f"{code(c.target + '(…)')} (line {c.line})" for c in calls)
        how = f"make {named} raise {code(first)}" if handler.exceptions else f"make {named} raise"
    else:
        how = f"make the `try` at line {handler.try_line} raise {code(first)}"
    when = describe_conditions(handler.conditions)
    text = (
        f"{code(shown)} handles {caught} at line {handler.line}{when} — never ran: {how}"
        f" (the handler starts at line {handler.body_line})"
    )
    exception_name = first.rsplit(".", 1)[-1] if handler.exceptions else "errors"
    handles = f"handles_{_slug(snake(exception_name))}"
    failing = [subject_words(_parse_or_name(c.target)) for c in calls]
    test = names.make(handles, *(f"{handles}_from_{'_'.join(w[-3:])}" for w in failing if w))
    return Suggestion("except", handler.line, text, test)


def _parse_or_name(target: str) -> ast.expr:
    try:
        return ast.parse(target, mode="eval").body
    except SyntaxError:
        return ast.Name(id=_slug(target) or "call")


def _calls_to_fail(handler: HandlerSite) -> list[Call]:
    """The calls in the ``try`` that can raise: all of them when there are three at most (any
    may be the one, as ``int(value)`` before ``float(value)``); else the most likely to be made
    to fail: outside ones, then the last."""
    calls = list(handler.calls)
    if len(calls) <= MAX_CALLS_NAMED + 1:
        return calls
    ranked = sorted(calls, key=lambda c: ("." not in c.target, -c.line))
    return [c for c in calls if c in ranked[:MAX_CALLS_NAMED]]


def _worth_suggesting(decision: Decision, coverage: Coverage) -> bool:
    """A decision that ran (a side was missed), or a top-level one of a function never run (an
    earlier guard does not make it nested)."""
    if decision.line not in coverage.missing:
        return True
    return coverage.never_ran and all(c.is_guard for c in decision.conditions)


def _untaken_sides(decision: Decision, coverage: Coverage) -> list[tuple[str, int]]:
    """("true" | "false" | "case:<n>", destination line) for each side never taken."""
    line = decision.line
    if coverage.branch_measured:
        destinations = sorted(d for (source, d) in coverage.missing_arcs if source == line)
        if not destinations and decision.line in coverage.missing and coverage.never_ran:
            # A function never run has every arc missing; coverage lists them on its lines.
            destinations = [decision.true_line]
            if decision.false_line is not None:
                destinations.append(decision.false_line)
    else:
        destinations = []
        if decision.true_line in coverage.missing:
            destinations.append(decision.true_line)
        if decision.false_line is not None and decision.false_line in coverage.missing:
            destinations.append(decision.false_line)
    sides: list[tuple[str, int]] = []
    for destination in destinations:
        if decision.kind == "match":
            case = next(
                (i for i, (_, body) in enumerate(decision.cases) if body == destination), None
            )
            sides.append((f"case:{case}" if case is not None else "false", destination))
        else:
            sides.append(("true" if destination == decision.true_line else "false", destination))
    return sides


def _decision_suggestions(
    decision: Decision,
    coverage: Coverage,
    explained: set[int],
    names: TestNames,
    shown: str,
) -> Iterable[Suggestion]:
    for side, destination in _untaken_sides(decision, coverage):
        if destination in explained:
            continue  # the raise, handler or return it leads to is suggested already
        if coverage.never_ran and decision.kind in ("for", "while") and side != "true":
            continue  # a first test that runs the loop's body also leaves it
        explained.add(destination)
        yield _side_suggestion(decision, side, destination, names, shown)


def _side_suggestion(
    decision: Decision, side: str, destination: int, names: TestNames, shown: str
) -> Suggestion:
    line, text = decision.line, decision.text
    where = describe_conditions(decision.conditions)
    goes = f"line {destination}" if destination > 0 else "the function's exit"
    if decision.kind == "if":
        wanted = text if side == "true" else negate(text)
        if contradicts(_path_conditions(decision, side == "true")):
            sentence = (
                f"line {line}: {code('if ' + text)} was never {side} in {code(shown)}, and no "
                f"test can make it so: {code(wanted)} cannot hold{where} — that side looks "
                "unreachable: remove the test or its dead side (or mark it "
                "`# pragma: no branch`)"
            )
            return Suggestion("unreachable", line, sentence, "")
        sentence = (
            f"line {line}: {code('if ' + text)} was never {side} in {code(shown)} — "
            f"a test where {code(wanted)}{_with(where)} (reaches {goes})"
        )
        test = names.make(f"when_{condition_words(text, side == 'true')}")
        return Suggestion("branch", line, sentence, test)
    if decision.kind in ("for", "while"):
        iterable = text.partition(" in ")[2] if decision.kind == "for" else text
        if side == "true":
            wanted = (
                f"{code(iterable)} has at least one item"
                if decision.kind == "for"
                else f"{code(text)} holds on entry"
            )
            sentence = (
                f"line {line}: the loop {code(text)} in {code(shown)} never ran its body — "
                f"a test where {wanted}{_with(where)}"
            )
            test = names.make(
                f"with_{'_'.join(subject_words(_parse_or_name(iterable))) or 'items'}"
                if decision.kind == "for"
                else f"when_{condition_words(text)}"
            )
        else:
            empty = f", e.g. with an empty {code(iterable)}" if decision.kind == "for" else ""
            sentence = (
                f"line {line}: the loop {code(text)} in {code(shown)} never ended by itself "
                f"(every run left it by `break`, `return` or an exception) — a test where it "
                f"runs to the end{empty}"
            )
            test = names.make(
                f"runs_through_{'_'.join(subject_words(_parse_or_name(iterable))) or 'items'}"
            )
        return Suggestion("loop", line, sentence, test)
    # match
    if side.startswith("case:"):
        pattern = decision.cases[int(side.partition(":")[2])][0]
        sentence = (
            f"line {line}: {code('case ' + pattern)} never matched {code(text)} in {code(shown)} — "
            f"a test where {code(text)} matches {code(pattern)}"
        )
        test = names.make(f"when_{_case_words(text, pattern)}")
    else:
        sentence = (
            f"line {line}: in {code(shown)}, {code('match ' + text)} always matched a case — "
            "a test where no case matches"
        )
        test = names.make(f"when_{condition_words(text)}_matches_no_case")
    return Suggestion("case", line, sentence, test)


def _unreachable(
    line: int, conditions: Sequence[Condition], shown: str, what: str
) -> Suggestion | None:
    """A site whose conditions cannot hold together: dead code to remove, not a test."""
    tests = [(c.text, c.holds) for c in conditions if c.kind in ("if", "while", "guard")]
    if not contradicts(tests):
        return None
    text = (
        f"line {line} ({what}) in {code(shown)} never ran, and no test can make it run: the "
        f"conditions{describe_conditions(conditions)} cannot hold together — it looks "
        "unreachable: remove it (or mark it `# pragma: no cover`)"
    )
    return Suggestion("unreachable", line, text, "")


def _path_conditions(decision: Decision, holds: bool) -> list[tuple[str, bool]]:
    """The tests on the way to one side of an ``if``, and the ``if``'s own, as (text, holds)."""
    found = [(c.text, c.holds) for c in decision.conditions if c.kind in ("if", "while", "guard")]
    return [*found, (decision.text, holds)]


def _lines_suggestion(
    region: Region, coverage: Coverage, names: TestNames, shown: str
) -> Suggestion:
    lines = missing_ranges(region.statement_lines, region.missing_lines)
    first = min(coverage.missing, default=region.start_line)
    if lines:
        text = f"{code(shown)}: lines {lines} never ran — a test that reaches them"
    else:
        arcs = ", ".join(f"{a}->{b if b > 0 else 'exit'}" for a, b in sorted(coverage.missing_arcs))
        text = f"{code(shown)}: branches {arcs} never taken — a test that takes them"
    return Suggestion("lines", first, text, names.make("reaches_missing_lines"))


def _with(where: str) -> str:
    """ " when `a`" (the decision's own conditions) as ", with `a`" inside a sentence."""
    return where.replace(" when ", ", with ", 1)
