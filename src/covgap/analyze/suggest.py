"""The tests to write for one function: from its code's facts and the lines and branches it missed.

Each suggestion is one test: what it must make happen, where in the function, and the name of
the test function to create. The most specific come first (an uncovered ``raise`` names its
exception and the conditions that lead to it); a decision's side that only leads to such a
site is not suggested twice. ``estimate_effort`` counts them: the effort is an estimate.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from covgap.collect.code_facts import (
    Call,
    Condition,
    Decision,
    FunctionFacts,
    HandlerSite,
    RaiseSite,
)
from covgap.collect.regions import missing_ranges
from covgap.markup import code_span as code
from covgap.model import MODULE_REGION, Region, Suggestion

__all__ = ["describe_conditions", "estimate_effort", "suggest", "test_name_stem"]

#: Conditions named on the way to a line, at most (the innermost ones).
MAX_CONDITIONS = 3

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
    return f"not ({text})"


def _phrase(condition: Condition) -> str:
    if condition.kind in ("if", "while"):
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
    return "_".join(re.findall(r"[a-z0-9]+", text.lower())[:limit]) or "case"


def test_name_stem(facts: FunctionFacts | None, region: Region) -> str:
    """``test_<function>`` in snake case: ``Session.is_valid`` → ``test_session_is_valid``."""
    name = facts.name if facts is not None else region.name.partition("@")[0]
    if name == MODULE_REGION:
        return "test_module"
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    return "test_" + _slug(snake.replace(".", "_").strip("_"), limit=8)


class _Names:
    """Test names unique within one function's suggestions."""

    def __init__(self, stem: str) -> None:
        self.stem = stem
        self.used: set[str] = set()

    def make(self, *parts: str, line: int) -> str:
        name = "_".join([self.stem, *(p for p in parts if p)])
        if name in self.used:
            name = f"{name}_line_{line}"
        self.used.add(name)
        return name


def suggest(
    facts: FunctionFacts | None, region: Region, branch_measured: bool, module: str = ""
) -> tuple[Suggestion, ...]:
    """One suggestion per test to write, most specific first, for one function's gap.

    ``module`` is the import name of the function's module, for module-level code.
    """
    coverage = Coverage.of(region, branch_measured)
    if not coverage.missing and not coverage.missing_arcs:
        return ()
    names = _Names(test_name_stem(facts, region))
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
        return (Suggestion("import", region.start_line, text, names.make("imports", line=0)),)
    if coverage.never_ran and facts.name != MODULE_REGION:
        suggestions.append(_call_suggestion(facts, names, shown))
    explained: set[int] = set()
    for site in facts.raises:
        if site.line in coverage.missing:
            suggestions.append(_raise_suggestion(site.line, site, names, shown))
            explained.add(site.line)
    for handler in facts.handlers:
        if handler.body_line in coverage.missing:
            suggestions.append(_handler_suggestion(handler, facts, names, shown))
            explained.update((handler.line, handler.body_line))
    for ret in facts.returns:
        if ret.line in coverage.missing and ret.conditions and ret.line not in explained:
            text = (
                f"{code(shown)} returns {code(ret.value)}{describe_conditions(ret.conditions)}"
                f" — line {ret.line} never ran"
            )
            test = names.make("returns", _slug(ret.value, limit=3), line=ret.line)
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


def _call_suggestion(facts: FunctionFacts, names: _Names, shown: str) -> Suggestion:
    params = ", ".join(facts.params)
    if facts.is_generator:
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
    return Suggestion("call", facts.line, text, names.make(line=facts.line))


def _raise_suggestion(line: int, site: RaiseSite, names: _Names, shown: str) -> Suggestion:
    when = describe_conditions(site.conditions)
    if site.exception:
        # The message as written is code too: `ValueError("empty amount")`.
        raised = f"{site.exception}({site.message})" if site.message else site.exception
        text = f"{code(shown)} raises {code(raised)}{when} — line {line} never ran"
        exception_name = site.exception.rsplit(".", 1)[-1]
        test = names.make("raises", _slug(_snake(exception_name)), line=line)
    else:
        text = f"{code(shown)} re-raises the exception it caught{when} — line {line} never ran"
        test = names.make("reraises", line=line)
    return Suggestion("raise", line, text, test)


def _handler_suggestion(
    handler: HandlerSite, facts: FunctionFacts, names: _Names, shown: str
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
    test = names.make("handles", _slug(_snake(exception_name)), line=handler.line)
    return Suggestion("except", handler.line, text, test)


def _calls_to_fail(handler: HandlerSite) -> list[Call]:
    """The calls in the ``try`` most likely to be made to fail: outside ones, then the last."""
    calls = list(handler.calls)
    ranked = sorted(calls, key=lambda c: ("." not in c.target, -c.line))
    return [c for c in calls if c in ranked[:MAX_CALLS_NAMED]]


def _worth_suggesting(decision: Decision, coverage: Coverage) -> bool:
    """A decision that ran (a side was missed), or a top-level one of a function never run."""
    if decision.line not in coverage.missing:
        return True
    return coverage.never_ran and not decision.conditions


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
    names: _Names,
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
    decision: Decision, side: str, destination: int, names: _Names, shown: str
) -> Suggestion:
    line, text = decision.line, decision.text
    where = describe_conditions(decision.conditions)
    goes = f"line {destination}" if destination > 0 else "the function's exit"
    if decision.kind == "if":
        wanted = text if side == "true" else negate(text)
        sentence = (
            f"line {line}: {code('if ' + text)} was never {side} in {code(shown)} — "
            f"a test where {code(wanted)}{_with(where)} (reaches {goes})"
        )
        test = names.make("when", _slug(wanted), line=line)
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
            test = names.make("with", _slug(iterable), line=line)
        else:
            empty = f", e.g. with an empty {code(iterable)}" if decision.kind == "for" else ""
            sentence = (
                f"line {line}: the loop {code(text)} in {code(shown)} never ended by itself "
                f"(every run left it by `break`, `return` or an exception) — a test where it "
                f"runs to the end{empty}"
            )
            test = names.make("runs_through", _slug(iterable), line=line)
        return Suggestion("loop", line, sentence, test)
    # match
    if side.startswith("case:"):
        pattern = decision.cases[int(side.partition(":")[2])][0]
        sentence = (
            f"line {line}: {code('case ' + pattern)} never matched {code(text)} in {code(shown)} — "
            f"a test where {code(text)} matches {code(pattern)}"
        )
        test = names.make("case", _slug(pattern), line=line)
    else:
        sentence = (
            f"line {line}: in {code(shown)}, {code('match ' + text)} always matched a case — "
            "a test where no case matches"
        )
        test = names.make("no_case_matches", line=line)
    return Suggestion("case", line, sentence, test)


def _lines_suggestion(region: Region, coverage: Coverage, names: _Names, shown: str) -> Suggestion:
    lines = missing_ranges(region.statement_lines, region.missing_lines)
    first = min(coverage.missing, default=region.start_line)
    if lines:
        text = f"{code(shown)}: lines {lines} never ran — a test that reaches them"
    else:
        arcs = ", ".join(f"{a}->{b if b > 0 else 'exit'}" for a, b in sorted(coverage.missing_arcs))
        text = f"{code(shown)}: branches {arcs} never taken — a test that takes them"
    return Suggestion("lines", first, text, names.make("reaches_lines", str(first), line=first))


def _with(where: str) -> str:
    """ " when `a`" (the decision's own conditions) as ", with `a`" inside a sentence."""
    return where.replace(" when ", ", with ", 1)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
