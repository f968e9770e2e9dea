"""Test names from what a condition means: no line numbers, unique against existing tests."""

from __future__ import annotations

import pytest

from covgap.analyze.naming import TestNames, condition_words


@pytest.mark.parametrize(
    ("text", "holds", "words"),
    [
        pytest.param("value < 0", True, "value_negative", id="negative"),
        pytest.param("value < 0", False, "value_not_negative", id="not-negative"),
        pytest.param("len(args.filename) != 1", True, "filename_count_is_not_1", id="len"),
        pytest.param("len(items) == 0", True, "empty_items", id="empty"),
        pytest.param("user is None", True, "no_user", id="none"),
        pytest.param("row is None", False, "row_present", id="present"),
        pytest.param("not self.valid(now)", True, "not_valid", id="method-on-self"),
        pytest.param('name == "world"', True, "name_is_world", id="string"),
        pytest.param("status is Status.FAILED", True, "status_is_failed", id="enum"),
        pytest.param('os.environ.get("ALLOW_LARGE")', True, "allow_large", id="mapping-get"),
        pytest.param('"@" not in email', True, "at_not_in_email", id="symbol"),
        pytest.param("amount <= 0 or amount > LIMIT", True, "amount_not_positive", id="or"),
        pytest.param(
            "amount <= 0 or amount > LIMIT",
            False,
            "amount_positive_and_at_most_limit",
            id="not-or",
        ),
        pytest.param(
            "key is not None and key in self.seen", True, "key_in_seen", id="implied-first"
        ),
        pytest.param(
            "not isinstance(user, str) or not isinstance(pw, str)",
            False,
            "user_is_str_and_pw_is_str",
            id="isinstance",
        ),
    ],
)
def test_condition_words(text: str, holds: bool, words: str) -> None:
    """A condition's meaning in a few words, for a name."""
    assert condition_words(text, holds) == words


def test_names_are_unique_against_existing_tests() -> None:
    """A name an existing test has, or one already given, is never given again: the next
    candidate is taken, then a number."""
    names = TestNames("test_find", taken={"test_find", "test_find_runs"})
    assert names.make("", "runs", "returns") == "test_find_returns"
    assert names.make("when_row_present") == "test_find_when_row_present"
    assert names.make("when_row_present") == "test_find_when_row_present_2"


@pytest.mark.parametrize(
    ("name", "tidy_name"),
    [
        ("test__cusip_checksum", "test_cusip_checksum"),
        (
            "test_duration_isoformat_when_isinstance_tduration_duration_and",
            "test_duration_isoformat_when_isinstance_tduration_duration",
        ),
        ("test_x_when_a_or_not", "test_x_when_a"),
        ("test_and", "test_and"),
        ("test_grade_returns_a", "test_grade_returns_a"),
    ],
)
def test_tidy_names(name: str, tidy_name: str) -> None:
    from covgap.analyze.naming import tidy

    assert tidy(name) == tidy_name
