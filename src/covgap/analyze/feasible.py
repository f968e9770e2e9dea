"""Whether the conditions on a path can hold together: intervals over numeric comparisons.

A suggestion asks for a test where ``3600 > delta.seconds``, with the earlier guards that must
not fire (``not (60 <= delta.seconds < 3600)``) and the tests that led there
(``delta.seconds >= 60``). When the conditions compare the same expression with numbers and no
number satisfies them all, that side of the branch cannot be reached by any test: the code is
dead, and the advice says so instead of asking for the impossible.

Only what can be decided is decided: comparisons (chained or not) of one expression with
numeric literals, ``not``, ``and``, and ``or`` over the same expression. Anything else (calls,
names compared with names, ``!=``) constrains nothing, so a contradiction is reported only when
it is certain for the numbers (the expression is read twice unchanged: no call in it).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["contradicts"]

#: A set of numbers: a union of disjoint intervals (low, low closed, high, high closed).
Interval = tuple[float, bool, float, bool]
Numbers = tuple[Interval, ...]

_ALL: Numbers = ((-math.inf, False, math.inf, False),)
#: expression -> the numbers it may take.
Constraint = dict[str, Numbers]


def contradicts(conditions: Iterable[tuple[str, bool]]) -> bool:
    """True when no values satisfy every ``(text, holds)`` together (``holds`` False: the test
    must be false); False when they can, or when it cannot be told."""
    known: Constraint = {}
    for text, holds in conditions:
        constraint = _constraint(text, holds)
        if constraint is None:
            continue
        for subject, numbers in constraint.items():
            known[subject] = _intersect(known.get(subject, _ALL), numbers)
            if not known[subject]:
                return True
    return False


@lru_cache(maxsize=4096)
def _constraint(text: str, holds: bool) -> Constraint | None:
    try:
        node = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError):
        return None
    return _of(node, holds)


def _of(node: ast.expr, holds: bool) -> Constraint | None:
    """What ``node`` being ``holds`` says of the numbers; None when nothing can be told."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _of(node.operand, not holds)
    if isinstance(node, ast.BoolOp):
        parts = [_of(value, holds) for value in node.values]
        # a and b true, or (a or b) false: every part holds; else one of them does.
        every = isinstance(node.op, ast.And) == holds
        if every:
            merged: Constraint = {}
            for part in parts:
                for subject, numbers in (part or {}).items():
                    merged[subject] = _intersect(merged.get(subject, _ALL), numbers)
            return merged or None
        subjects = {s for part in parts if part for s in part}
        if any(part is None or len(part) != 1 for part in parts) or len(subjects) != 1:
            return None
        subject = subjects.pop()
        union: Numbers = ()
        for part in parts:
            assert part is not None
            union = _union(union, part[subject])
        return {subject: union}
    if isinstance(node, ast.Compare):
        found = _compare(node)
        if found is None:
            return None
        subject, numbers = found
        return {subject: numbers if holds else _complement(numbers)}
    return None


def _compare(node: ast.Compare) -> tuple[str, Numbers] | None:
    """``a < x <= b``, ``x >= 60``, ``3600 > x``, ``x == 3``: the expression and its numbers."""
    operands = [node.left, *node.comparators]
    numbers = [_number(o) for o in operands]
    subjects = {ast.unparse(o) for o, n in zip(operands, numbers, strict=True) if n is None}
    if len(subjects) != 1 or any(_has_call(o) for o in operands):
        return None
    subject = subjects.pop()
    result: Numbers = _ALL
    for index, op in enumerate(node.ops):
        left, right = numbers[index], numbers[index + 1]
        if (left is None) == (right is None):
            return None  # two numbers, or the expression twice
        if left is not None:  # 3600 > x: x < 3600
            op = _FLIPPED.get(type(op), op)
        bound = left if left is not None else right
        assert bound is not None
        interval = _interval(op, bound)
        if interval is None:
            return None
        result = _intersect(result, interval)
    return subject, result


_FLIPPED: dict[type[ast.cmpop], ast.cmpop] = {
    ast.Lt: ast.Gt(),
    ast.LtE: ast.GtE(),
    ast.Gt: ast.Lt(),
    ast.GtE: ast.LtE(),
    ast.Eq: ast.Eq(),
}


def _interval(op: ast.cmpop, bound: float) -> Numbers | None:
    """The numbers ``x op bound`` allows."""
    if isinstance(op, ast.Lt):
        return ((-math.inf, False, bound, False),)
    if isinstance(op, ast.LtE):
        return ((-math.inf, False, bound, True),)
    if isinstance(op, ast.Gt):
        return ((bound, False, math.inf, False),)
    if isinstance(op, ast.GtE):
        return ((bound, True, math.inf, False),)
    if isinstance(op, ast.Eq):
        return ((bound, True, bound, True),)
    return None


def _number(node: ast.expr) -> float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return -inner if inner is not None else None
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        if isinstance(node.value, bool):
            return None
        return float(node.value)
    return None


def _has_call(node: ast.expr) -> bool:
    return any(isinstance(child, (ast.Call, ast.Await, ast.NamedExpr)) for child in ast.walk(node))


def _intersect(a: Numbers, b: Numbers) -> Numbers:
    found: list[Interval] = []
    for lo1, lc1, hi1, hc1 in a:
        for lo2, lc2, hi2, hc2 in b:
            lo, lc = (lo1, lc1) if (lo1, not lc1) > (lo2, not lc2) else (lo2, lc2)
            hi, hc = (hi1, hc1) if (hi1, hc1) < (hi2, hc2) else (hi2, hc2)
            if lo < hi or (lo == hi and lc and hc):
                found.append((lo, lc, hi, hc))
    return tuple(sorted(found))


def _complement(numbers: Numbers) -> Numbers:
    found: list[Interval] = []
    low, low_closed = -math.inf, False
    for lo, lc, hi, hc in sorted(numbers):
        if low < lo or (low == lo and low_closed and not lc):
            found.append((low, low_closed, lo, not lc))
        low, low_closed = hi, not hc
    if low < math.inf:
        found.append((low, low_closed, math.inf, False))
    return tuple(i for i in found if i[0] < i[2] or (i[0] == i[2] and i[1] and i[3]))


def _union(a: Numbers, b: Numbers) -> Numbers:
    return _complement(_intersect(_complement(a), _complement(b)))
