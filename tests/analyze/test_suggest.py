"""Suggestion texts: conditions, negations, names."""

from __future__ import annotations

import pytest

from covgap.analyze.suggest import describe_conditions, negate
from covgap.collect.code.code_facts import Condition


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        pytest.param("x is None", "x is not None", id="is"),
        pytest.param("a == 'b'", "a != 'b'", id="eq"),
        pytest.param("n < 0", "n >= 0", id="lt"),
        pytest.param("k in seen", "k not in seen", id="in"),
        pytest.param("not ready", "ready", id="not"),
        pytest.param("user.active", "not user.active", id="attribute"),
        pytest.param("a and b", "not a or not b", id="de-morgan-and"),
        pytest.param(
            "amount <= 0 or amount > LIMIT", "amount > 0 and amount <= LIMIT", id="de-morgan-or"
        ),
        pytest.param(
            "not isinstance(u, str) or not isinstance(p, str)",
            "isinstance(u, str) and isinstance(p, str)",
            id="de-morgan-not",
        ),
        pytest.param("(a and b) or c", "(not a or not b) and not c", id="de-morgan-nested"),
        pytest.param("0 < x < 9 or y", "not (0 < x < 9 or y)", id="no-plain-opposite"),
        pytest.param("0 < x < 9", "not (0 < x < 9)", id="chained"),
    ],
)
def test_negate(text: str, negated: str) -> None:
    """The opposite of a condition, as a reader would write it."""
    assert negate(text) == negated


def test_long_chains_name_the_innermost_conditions() -> None:
    """An elif chain does not list every earlier test: the innermost five, and a count."""
    chain = [Condition("if", f"name == {i}", False, i) for i in range(7)]
    chain.append(Condition("if", "ready", True, 9))
    assert describe_conditions(chain) == (
        " when `name != 3` and `name != 4` and `name != 5` and `name != 6` and `ready`"
        " (and 3 outer conditions)"
    )
    assert describe_conditions(chain[-1:]) == " when `ready`"
    assert describe_conditions([]) == ""
