"""Risk scorers: each factor's value, score and reason; their weighted mean; the levels."""

from __future__ import annotations

import pytest

from covgap.analyze.risk import (
    Subject,
    assess,
    churn,
    complexity,
    crap,
    crap_score,
    criticality,
    level_for,
    words,
)
from covgap.config import DEFAULT_CRITICAL_PATTERNS, DEFAULT_RISK_WEIGHTS
from covgap.model import Numbers, Region


def subject(
    name: str = "compute",
    path: str = "src/app/util.py",
    *,
    complexity_value: int | None = 1,
    commits: int | None = None,
    covered: int = 0,
) -> Subject:
    region = Region(name, 1, 10, Numbers(statements=10, missing_statements=10 - covered))
    return Subject(
        path=path,
        region=region,
        complexity=complexity_value,
        commits=commits,
        file_commits=commits,
        window="the last 90 days of history",
        critical_patterns=DEFAULT_CRITICAL_PATTERNS,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("verify_password", ("verify", "password"), id="snake"),
        pytest.param("RateLimiter.allow", ("rate", "limiter", "allow"), id="camel-and-dot"),
        pytest.param("src/shop/db.py", ("src", "shop", "db", "py"), id="path"),
        pytest.param("HTTPServer", ("http", "server"), id="acronym"),
    ],
)
def test_words(text: str, expected: tuple[str, ...]) -> None:
    """Names and paths split into lower-case words."""
    assert words(text) == expected


@pytest.mark.parametrize(
    ("name", "path", "value", "reason"),
    [
        pytest.param("verify_password", "src/app/util.py", 1.0, "name matches `password*`"),
        pytest.param("RateLimiter.allow", "src/app/util.py", 1.0, "name matches `rate limit*`"),
        pytest.param("compute", "src/app/payments.py", 0.6, "path matches `payment*`"),
        # "author" is not "auth": patterns match whole words (or globs), not substrings
        pytest.param("author_name", "src/app/books.py", 0.0, "no critical pattern matches"),
        pytest.param("tokenize", "src/app/lexer.py", 0.0, "no critical pattern matches"),
    ],
)
def test_criticality(name: str, path: str, value: float, reason: str) -> None:
    """Critical patterns match the function's name (1) or only its path (0.6)."""
    factor = criticality(subject(name, path))
    assert (factor.value, factor.reason) == (value, reason)


@pytest.mark.parametrize(
    ("cc", "score"),
    [(1, 0.0), (11, 0.5), (21, 2 / 3)],
)
def test_complexity_score(cc: int, score: float) -> None:
    """(c − 1) / (c − 1 + 10): 0 for straight-line code, ½ at 11."""
    factor = complexity(subject(complexity_value=cc))
    assert factor is not None and factor.score == pytest.approx(score)


def test_crap() -> None:
    """CRAP = c² × (1 − coverage)³ + c, from the function's own coverage."""
    assert crap_score(10, 0.0) == 110
    assert crap_score(10, 1.0) == 10
    assert crap_score(4, 0.5) == pytest.approx(4 + 16 * 0.125)
    factor = crap(subject(complexity_value=10, covered=5))
    assert factor is not None and factor.value == pytest.approx(10 + 100 * 0.125)
    assert crap(subject(complexity_value=None)) is None


def test_churn_absent_without_git_and_weights_rescaled() -> None:
    """Without churn, the other weights are scaled to sum to 1."""
    absent = assess(subject(commits=None, complexity_value=5), DEFAULT_RISK_WEIGHTS)
    assert [f.name for f in absent.factors] == ["criticality", "complexity", "crap"]
    assert sum(f.weight for f in absent.factors) == pytest.approx(1)
    present = assess(subject(commits=3, complexity_value=5), DEFAULT_RISK_WEIGHTS)
    churn_factor = present.factor("churn")
    assert churn_factor is not None and churn_factor.score == pytest.approx(0.5)
    assert churn_factor.reason == "changed in 3 commits in the last 90 days of history"
    assert churn(subject(commits=None)) is None


def test_weights_are_honoured() -> None:
    """A factor with weight 0 is left out; the risk is the weighted mean."""
    weights = (("criticality", 1.0), ("complexity", 0.0), ("churn", 0.0), ("crap", 0.0))
    risk = assess(subject("login"), weights)
    assert [f.name for f in risk.factors] == ["criticality"]
    assert risk.score == 1.0 and risk.level == "high"


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0.0, "low"),
        (0.19, "low"),
        (0.2, "medium"),
        (0.449, "medium"),
        (0.45, "high"),
        (1.0, "high"),
    ],
)
def test_levels(score: float, level: str) -> None:
    """High from 0.45, medium from 0.2."""
    assert level_for(score) == level


def test_a_reviewer_ranking() -> None:
    """Critical, complex, changing and uncovered outranks merely large and simple."""
    risky = assess(subject("charge", complexity_value=12, commits=6), DEFAULT_RISK_WEIGHTS)
    plain = assess(subject("format_row", complexity_value=1, commits=0), DEFAULT_RISK_WEIGHTS)
    assert risky.level == "high" and plain.level == "low"
    assert risky.score > 3 * plain.score


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        pytest.param("auth*", "authenticate_user", True, id="star"),
        pytest.param("auth*", "oauth_client", False, id="word-start-only"),
        pytest.param("to?en", "token_cache", True, id="question-mark"),
        pytest.param("sess[io]on", "session_store", True, id="class"),
        pytest.param("sess[!i]on", "session_store", False, id="negated-class"),
        pytest.param("rate limit*", "check_rate_limiter", True, id="two-words"),
        pytest.param("rate limit*", "rate_of_limits", False, id="words-must-follow"),
        pytest.param("a.b", "axb_value", False, id="dot-is-literal"),
    ],
)
def test_custom_patterns(pattern: str, name: str, matches: bool) -> None:
    """Globs match whole words in order; everything but * ? [...] is literal."""
    subject = Subject("f.py", Region(name, 1, 2, Numbers(1, 1)), 1, None, None, "", (pattern,))
    assert (criticality(subject).value == 1.0) is matches
