"""Test names a reader understands: from what a condition means, never from a line number.

``if value < 0: raise AmountError("negative amount")`` gives
``test_parse_amount_raises_amount_error`` (or, when the function raises it twice,
``…_for_negative_amount``); ``if len(args.filename) != 1`` gives
``test_main_when_filename_count_is_not_1``. Names are unique within a function's suggestions and
against every test the project already has (``TestNames``); a name that cannot be made unique
from its meaning gets ``_2``, ``_3``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = [
    "MAX_WORDS",
    "TestNames",
    "condition_words",
    "message_words",
    "slug",
    "snake",
    "subject_words",
]

#: Words taken from one condition, subject or message (the name stays readable).
MAX_WORDS = 6

#: Receivers that say nothing in a name: ``self.lines`` is "lines".
_SILENT_ROOTS = frozenset({"self", "cls"})


def snake(name: str) -> str:
    """``GatewayError`` -> ``gateway_error``; ``HTTPError`` -> ``httperror`` (as written)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def slug(text: str, limit: int = MAX_WORDS) -> str:
    """The first ``limit`` lowercase words of ``text``, joined with ``_``; "" when none."""
    return "_".join(re.findall(r"[a-z0-9]+", snake(text))[:limit])


#: Words a message can lose in a name without losing its meaning.
_FILLER = frozenset(
    {"a", "an", "the", "of", "to", "for", "is", "are", "be", "must", "was", "in", "on", "at"}
)


def message_words(message: str, limit: int = 3) -> str:
    """The telling words of a literal message, placeholders left out:
    ``f"refund of {x} exceeds refundable {y}"`` -> ``refund_exceeds_refundable``."""
    text = re.sub(r"\{[^}]*\}", " ", message.lstrip("rbfuRBFU"))
    words = [w for w in re.findall(r"[a-z0-9]+", snake(text)) if w not in _FILLER]
    return "_".join(words[:limit])


def _words(text: str, limit: int = MAX_WORDS) -> list[str]:
    return re.findall(r"[a-z0-9]+", snake(text))[:limit]


#: Strings of one symbol, named: ``"@" in email`` -> "at_in_email".
_SYMBOLS = {
    "@": "at",
    "/": "slash",
    "\\": "backslash",
    ".": "dot",
    "-": "dash",
    "_": "underscore",
    " ": "space",
    ",": "comma",
    ":": "colon",
    ";": "semicolon",
    "#": "hash",
    "=": "equals",
    "?": "question_mark",
    "*": "star",
    "\n": "newline",
    "\t": "tab",
}

#: Attribute names too vague to stand alone: ``charge.status`` keeps "charge".
_VAGUE = frozenset({"value", "values", "data", "name", "id", "status", "type", "kind", "text"})

#: Calls that wrap a value without changing what it is about: ``range(times)`` is "times".
_WRAPPERS = frozenset(
    {
        "str",
        "int",
        "float",
        "bool",
        "range",
        "enumerate",
        "sorted",
        "reversed",
        "list",
        "tuple",
        "set",
        "iter",
        "zip",
    }
)

#: A mapping's views: ``d.items()`` is about "d".
_VIEWS = frozenset({"items", "values", "keys"})

#: Methods that change a value's form, not what it is: ``scheme.lower()`` is "scheme".
_TRANSFORMS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "casefold", "copy"})


def _literal_words(node: ast.expr) -> list[str] | None:
    """Words of a literal (``"world"`` -> world, ``None`` -> none, ``-1`` -> minus_1)."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            if not node.value:
                return ["empty"]
            stripped = node.value.strip() or node.value
            return _words(node.value, 3) or [_SYMBOLS.get(stripped, "symbol")]
        return _words(str(node.value), 3) or ["value"]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _literal_words(node.operand)
        return ["minus", *inner] if inner is not None else None
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and all(
        isinstance(e, ast.Constant) for e in node.elts
    ):
        return [w for e in node.elts[:2] for w in (_literal_words(e) or [])]
    return None


def subject_words(node: ast.expr) -> list[str]:
    """What an expression is about, in a few words: ``self.lines`` -> lines,
    ``len(args.filename)`` -> filename count, ``user.is_locked(now)`` -> user is locked."""
    literal = _literal_words(node)
    if literal is not None:
        return literal
    if isinstance(node, ast.Name):
        return _words(node.id, 3)
    if isinstance(node, ast.Attribute):
        parts: list[str] = [node.attr]
        inner = node.value
        while isinstance(inner, ast.Attribute):
            parts.append(inner.attr)
            inner = inner.value
        if isinstance(inner, ast.Name) and inner.id not in _SILENT_ROOTS:
            parts.append(inner.id)
        kept = parts[:2] if parts[0].strip("_") in _VAGUE else parts[:1]
        return [w for part in reversed(kept) for w in _words(part, 3)]
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id == "len" and node.args:
            return [*subject_words(node.args[0])[:3], "count"]
        if isinstance(func, ast.Name) and func.id in _WRAPPERS and node.args:
            return subject_words(node.args[0])
        if isinstance(func, ast.Attribute) and func.attr in _VIEWS and not node.args:
            return subject_words(func.value)  # ``self._charges.values()``: "charges"
        first = node.args[0] if node.args else None
        key = _literal_words(first) if isinstance(first, ast.Constant) else None
        if isinstance(func, ast.Attribute) and func.attr in _TRANSFORMS:
            return subject_words(func.value)
        if isinstance(func, ast.Attribute) and func.attr == "get" and key:
            return key  # ``os.environ.get("DEBUG")``: "debug"
        words: list[str]
        if isinstance(func, ast.Attribute):
            silent = isinstance(func.value, ast.Name) and func.value.id in _SILENT_ROOTS
            receiver = [] if silent or _is_call(func.value) else subject_words(func.value)[-2:]
            words = [*receiver, *_words(func.attr, 3)]
        else:
            words = subject_words(func)
        if key and isinstance(first, ast.Constant) and isinstance(first.value, str):
            words += key
        return words
    if isinstance(node, ast.Subscript):
        key = _literal_words(node.slice)
        return [*subject_words(node.value)[-2:], *(key or [])]
    if isinstance(node, ast.BinOp):
        return subject_words(node.left)[:2]
    names = [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]
    return [w for name in names[:2] for w in _words(name, 2)]


def _is_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call)


#: Comparison words: (holds, negated).
_COMPARE_WORDS: dict[type[ast.cmpop], tuple[str, str]] = {
    ast.Eq: ("is", "is_not"),
    ast.NotEq: ("is_not", "is"),
    ast.Is: ("is", "is_not"),
    ast.IsNot: ("is_not", "is"),
    ast.Lt: ("below", "at_least"),
    ast.LtE: ("at_most", "above"),
    ast.Gt: ("above", "at_most"),
    ast.GtE: ("at_least", "below"),
    ast.In: ("in", "not_in"),
    ast.NotIn: ("not_in", "in"),
}

#: ``x < 0`` is "x negative", and so on: (operator, negated) -> word.
_AGAINST_ZERO: dict[tuple[type[ast.cmpop], bool], str] = {
    (ast.Lt, False): "negative",
    (ast.GtE, True): "negative",
    (ast.LtE, False): "not_positive",
    (ast.Gt, True): "not_positive",
    (ast.Gt, False): "positive",
    (ast.LtE, True): "positive",
    (ast.GtE, False): "not_negative",
    (ast.Lt, True): "not_negative",
    (ast.Eq, False): "zero",
    (ast.NotEq, True): "zero",
    (ast.NotEq, False): "not_zero",
    (ast.Eq, True): "not_zero",
}


def _is_zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0 and not isinstance(node.value, bool)


def _meaning(node: ast.expr, negated: bool) -> list[str]:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _meaning(node.operand, not negated)
    if isinstance(node, ast.BoolOp):
        conjunction = isinstance(node.op, ast.And) != negated
        if conjunction:  # both must hold: name the first two
            first, second = _meaning(node.values[0], negated), _meaning(node.values[1], negated)
            subject = first[:-1] if first[-1:] == ["present"] else first
            if second[: len(subject)] == subject or (len(subject) == 1 and subject[0] in second):
                return second  # ``key is not None and key in seen``: "key in seen" says both
            shared = 0
            while shared < min(len(first), len(second)) - 1 and first[shared] == second[shared]:
                shared += 1  # ``amount > 0 and amount <= LIMIT``: "amount" once
            return [*first, "and", *second[shared:]]
        return _meaning(node.values[0], negated)  # one is enough: the test picks the first
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        return _compare_meaning(node.left, node.ops[0], node.comparators[0], negated)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "isinstance"
        and len(node.args) == 2
    ):
        kind = subject_words(node.args[1])[:2]
        return [*subject_words(node.args[0])[:3], "is_not" if negated else "is", *kind]
    words = subject_words(node)
    return ["not", *words] if negated else words


def _compare_meaning(left: ast.expr, op: ast.cmpop, right: ast.expr, negated: bool) -> list[str]:
    subject = subject_words(left)[:4]
    if isinstance(right, ast.Constant) and right.value is None:
        none = isinstance(op, (ast.Is, ast.Eq)) != negated
        return ["no", *subject] if none else [*subject, "present"]
    if (
        isinstance(left, ast.Call)
        and isinstance(left.func, ast.Name)
        and left.func.id == "len"
        and _is_zero(right)
        and isinstance(op, (ast.Eq, ast.NotEq))
    ):
        empty = isinstance(op, ast.Eq) != negated
        return ["empty" if empty else "some", *subject[:-1]]
    if _is_zero(right) and (type(op), negated) in _AGAINST_ZERO:
        return [*subject, _AGAINST_ZERO[(type(op), negated)]]
    words = _COMPARE_WORDS.get(type(op))
    if words is None:
        return subject
    against = subject_words(right)
    # ``status is ChargeStatus.FAILED``: "failed" says it; a name's last part is enough.
    against = against[-1:] if isinstance(right, ast.Attribute) else against[:3]
    return [*subject, words[1] if negated else words[0], *against]


@lru_cache(maxsize=65536)
def condition_words(text: str, holds: bool = True) -> str:
    """What a condition (as written) says, as name words: ``value < 0`` -> ``value_negative``,
    ``user is None`` -> ``no_user``; False: what its opposite says."""
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return slug(text, 4)
    words = [w for word in _meaning(node, not holds) for w in word.split("_") if w]
    return "_".join(words[: MAX_WORDS + 2])


#: Words a cut-short name must not end on.
_DANGLING = re.compile(r"_(?:and|or|not|with|of|to|the|is|in|by|for)$")


def tidy(name: str) -> str:
    """One underscore between words (``test__cusip`` -> ``test_cusip`` for a private
    function), and no word left dangling where the name was cut (``…_duration_and``)."""
    name = re.sub(r"_{2,}", "_", name).rstrip("_")
    while True:
        shorter = _DANGLING.sub("", name)
        if shorter == name or shorter.count("_") < 1:
            return name
        name = shorter


class TestNames:
    """Names unique within one function's suggestions and against the project's tests."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, stem: str, taken: Iterable[str] = ()) -> None:
        self.stem = stem
        self.taken = taken if isinstance(taken, (set, frozenset)) else frozenset(taken)
        self.used: set[str] = set()

    def make(self, *candidates: str) -> str:
        """The first of ``stem_<candidate>`` (in order) not used yet and not an existing test;
        else the first with ``_2``, ``_3``…; "" as a candidate is the stem alone."""
        names = [self._join(c) for c in candidates if c is not None] or [self.stem]
        for name in names:
            if self._free(name):
                return self._take(name)
        number = 2
        while not self._free(f"{names[0]}_{number}"):
            number += 1
        return self._take(f"{names[0]}_{number}")

    def _join(self, candidate: str) -> str:
        return tidy(f"{self.stem}_{candidate}" if candidate else self.stem)

    def _free(self, name: str) -> bool:
        return name not in self.used and name not in self.taken

    def _take(self, name: str) -> str:
        self.used.add(name)
        return name
