"""Whether the conditions on a path can hold together: checked against brute force."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from covgap.analyze.feasible import contradicts

#: Integer bounds, so every non-empty set of numbers they cut holds a multiple of 1/4.
_BOUNDS = st.integers(-5, 15)
_OPS = st.sampled_from(["<", "<=", ">", ">=", "=="])
_VALUES = [k / 4 for k in range(-40, 81)] + [-1000.0, 1000.0]


@st.composite
def _comparison(draw: st.DrawFn) -> str:
    bound, op = draw(_BOUNDS), draw(_OPS)
    if draw(st.booleans()):
        return f"x {op} {bound}"
    low, high = sorted((bound, draw(_BOUNDS)))
    return (
        f"{low} {draw(st.sampled_from(['<', '<=']))} x {draw(st.sampled_from(['<', '<=']))} {high}"
    )


@st.composite
def _condition(draw: st.DrawFn) -> str:
    parts = draw(st.lists(_comparison(), min_size=1, max_size=3))
    text = f" {draw(st.sampled_from(['and', 'or']))} ".join(f"({p})" for p in parts)
    return f"not ({text})" if draw(st.booleans()) else text


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_condition(), st.booleans()), min_size=1, max_size=4))
def test_a_contradiction_is_exactly_no_number_satisfying_them_all(
    conditions: list[tuple[str, bool]],
) -> None:
    satisfiable = any(
        all(bool(eval(text, {}, {"x": x})) == holds for text, holds in conditions) for x in _VALUES
    )
    assert contradicts(conditions) == (not satisfiable)


def test_the_dead_side_of_naturaldelta() -> None:
    """humanize's naturaldelta: with ``delta.seconds >= 60`` and the earlier guard
    ``60 <= delta.seconds < 3600`` not firing, ``3600 > delta.seconds`` cannot be true."""
    assert contradicts(
        [
            ("delta.seconds >= 60", True),
            ("60 <= delta.seconds < 3600", False),
            ("3600 > delta.seconds", True),
        ]
    )
    assert not contradicts([("delta.seconds >= 60", True), ("3600 > delta.seconds", True)])


def test_what_cannot_be_told_is_not_a_contradiction() -> None:
    """Calls, two expressions compared, ``!=`` and unparsable text constrain nothing."""
    assert not contradicts([("len(x) > 3", True), ("len(x) < 2", True)])
    assert not contradicts([("x > y", True), ("x < y", True)])
    assert not contradicts([("x != 3", True), ("x == 3", True)])
    assert not contradicts([("x >", True), ("x < 1", False)])
    assert contradicts([("a.b > 3", True), ("a.b < 2", True)])
