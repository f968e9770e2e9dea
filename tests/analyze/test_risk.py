"""Risk scorers: each factor's value, score and reason; their weighted mean; the levels."""

from __future__ import annotations

from dataclasses import replace

import pytest

from covgap.analyze.exposure import Exposure
from covgap.analyze.risk import (
    Subject,
    assess,
    churn,
    complexity,
    crap,
    crap_score,
    criticality,
    exposure,
    level_for,
    words,
)
from covgap.collect.code.code_facts import Effect
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


WEAK = "(a name alone is a weak signal)"


@pytest.mark.parametrize(
    ("name", "path", "value", "reason"),
    [
        pytest.param("verify_password", "src/app/util.py", 0.3, f"name matches `password*` {WEAK}"),
        pytest.param(
            "RateLimiter.allow", "src/app/util.py", 0.3, f"name matches `rate limit*` {WEAK}"
        ),
        pytest.param("compute", "src/app/payments.py", 0.15, f"path matches `payment*` {WEAK}"),
        # "author" is not "auth": patterns match whole words (or globs), not substrings
        pytest.param("author_name", "src/app/books.py", 0.0, "does nothing critical"),
        pytest.param("tokenize", "src/app/lexer.py", 0.0, "does nothing critical"),
    ],
)
def test_criticality_by_name_is_weak(name: str, path: str, value: float, reason: str) -> None:
    """A critical pattern matching the name (0.3) or only the path (0.15) is a weak signal."""
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
    """Without churn, the other likelihood weights are scaled to sum to 1."""
    absent = assess(subject(commits=None, complexity_value=5), DEFAULT_RISK_WEIGHTS)
    assert [f.name for f in absent.factors] == ["criticality", "complexity"]
    assert absent.factor("complexity").weight == pytest.approx(1)  # type: ignore[union-attr]
    present = assess(subject(commits=3, complexity_value=5), DEFAULT_RISK_WEIGHTS)
    churn_factor = present.factor("churn")
    assert churn_factor is not None and churn_factor.score == pytest.approx(0.5)
    assert churn_factor.reason == "changed in 3 commits in the last 90 days of history"
    assert churn(subject(commits=None)) is None


def test_weights_are_honoured() -> None:
    """A factor with weight 0 is left out; with no likelihood factor, the impact alone."""
    weights = (("criticality", 1.0), ("complexity", 0.0), ("churn", 0.0), ("crap", 0.0))
    risk = assess(subject("login"), weights)
    assert [f.name for f in risk.factors] == ["criticality"]
    # (1 + 1 × 0.3) / (1 + 1): a name only
    assert risk.score == pytest.approx(0.65) and risk.level == "high"


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
    """Critical by what it does, complex and changing outranks merely large and simple."""
    paying = (Effect("money", 3, "stripe.Charge.create"),)
    risky = assess(
        replace(subject("charge", complexity_value=12, commits=6), effects=paying),
        DEFAULT_RISK_WEIGHTS,
    )
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
    assert (criticality(subject).value > 0) is matches


def _with(**changes: object) -> Subject:
    return replace(subject(), **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "value", "reason"),
    [
        pytest.param(
            {"effects": (Effect("credentials", 12, "hmac.compare_digest"),)},
            1.0,
            "checks credentials: `hmac.compare_digest` (src/app/util.py:12)",
            id="credentials",
        ),
        pytest.param(
            {
                "effects": (
                    Effect("network", 5, "requests.post"),
                    Effect("sql", 9, "cur.execute"),
                    Effect("sql", 11, "cur.executemany"),
                )
            },
            # 1 − (1 − 0.8)(1 − 0.6): two kinds combine; the most critical is named first
            pytest.approx(0.92),
            "executes SQL: `cur.execute` (src/app/util.py:9); writes to the network: "
            "`requests.post` (src/app/util.py:5) and 1 more",
            id="kinds-combine",
        ),
        pytest.param(
            {"region": Region("Token.__repr__", 1, 2, Numbers(2, 2))},
            0.0,
            "name matches `token`, but `__repr__` is a special method: not critical by name",
            id="repr",
        ),
        pytest.param(
            {"region": Region("_pprint_session", 1, 9, Numbers(5, 5))},
            0.0,
            "name matches `session`, but a printer or representation: not critical by name",
            id="debug-printer",
        ),
        pytest.param(
            {
                "region": Region("Signer.secret_key", 1, 3, Numbers(1, 1)),
                "decorators": ("property",),
                "lines": 2,
            },
            0.0,
            "name matches `secret*`, but a trivial property: not critical by name",
            id="trivial-property",
        ),
        pytest.param(
            {"region": Region("next_token", 1, 9, Numbers(5, 5)), "path": "src/sql/lexer.py"},
            0.0,
            "name matches `token`, but a lexer/parser context (`src/sql/lexer.py`): "
            "not critical by name",
            id="lexer-path",
        ),
        pytest.param(
            {
                "region": Region("Grouper.token_next", 1, 9, Numbers(5, 5)),
                "lexical": "it imports `sqlparse.tokens`",
            },
            0.0,
            "name matches `token`, but a lexer/parser context (it imports `sqlparse.tokens`): "
            "not critical by name",
            id="token-module",
        ),
        pytest.param(
            {"region": Region("SqlParser.token_at", 1, 9, Numbers(5, 5))},
            0.0,
            "name matches `token`, but a lexer/parser context (class `SqlParser`): "
            "not critical by name",
            id="parser-class",
        ),
    ],
)
def test_criticality_from_what_the_code_does(
    changes: dict[str, object], value: float, reason: str
) -> None:
    """Effects make criticality, with their evidence; names say little, and nothing in a lexer,
    a __repr__, a printer or a trivial property."""
    factor = criticality(_with(**changes))
    assert (factor.value, factor.reason) == (value, reason)


@pytest.mark.parametrize(
    ("found", "score", "reason"),
    [
        pytest.param(None, None, None, id="not-measured"),
        pytest.param(
            Exposure("private", "a private name", 0),
            0.0,
            "a private name; no function of the project calls it",
            id="private",
        ),
        pytest.param(
            Exposure("public", "a public name in `app.util`", 4, ("a", "b", "c")),
            # 1 − (1 − 0.3)(1 − 4/8)
            0.65,
            "a public name in `app.util`; called from 4 functions of the project (`a`, `b`, `c` …)",
            id="public-with-fan-in",
        ),
        pytest.param(
            Exposure("exported", "re-exported by `src/app/__init__.py`", 1, ("main",)),
            1 - 0.4 * 0.8,
            "re-exported by `src/app/__init__.py`; called from 1 function of the project (`main`)",
            id="exported",
        ),
        pytest.param(
            Exposure("entry", "a click command (`@cli.command()`)", 0),
            1.0,
            "a click command (`@cli.command()`); no function of the project calls it",
            id="entry",
        ),
    ],
)
def test_exposure(found: Exposure | None, score: float | None, reason: str | None) -> None:
    """Surface (entry 1, exported 0.6, public 0.3, private 0) and fan-in f/(f+4) combine."""
    factor = exposure(_with(exposure=found))
    if score is None:
        assert factor is None
    else:
        assert factor is not None
        assert (factor.score, factor.reason) == (pytest.approx(score), reason)


def test_risk_is_likelihood_times_impact() -> None:
    """The likelihood factors' weighted mean, scaled by (1 + Σ w·s) / (1 + Σ w) of the impact."""
    weights = (("criticality", 1.0), ("exposure", 0.5), ("complexity", 0.5), ("churn", 0.2))
    found = Exposure("entry", "a route handler", 0)
    risk = assess(
        _with(complexity=11, commits=3, effects=(Effect("sql", 2, "cur.execute"),), exposure=found),
        weights,
    )
    likelihood = (0.5 * 0.5 + 0.2 * 0.5) / 0.7
    impact = (1 + 1.0 * 0.8 + 0.5 * 1.0) / (1 + 1.0 + 0.5)
    assert risk.score == pytest.approx(likelihood * impact)
    shares = {f.name: f.weight for f in risk.factors}
    assert shares == pytest.approx(
        {"criticality": 1 / 2.5, "exposure": 0.5 / 2.5, "complexity": 0.5 / 0.7, "churn": 0.2 / 0.7}
    )


@pytest.mark.parametrize(
    ("effects", "level"),
    [
        pytest.param((Effect("credentials", 3, "hmac.compare_digest"),), "high", id="credentials"),
        pytest.param((Effect("network", 3, "requests.post"),), "medium", id="network"),
        pytest.param((), "low", id="nothing"),
    ],
)
def test_a_small_critical_function_keeps_its_level(effects: tuple[Effect, ...], level: str) -> None:
    """A one-line credential check scores little (simple code) but its level is high."""
    risk = assess(_with(complexity=1, commits=0, effects=effects), DEFAULT_RISK_WEIGHTS)
    assert risk.score < 0.2 and risk.level == level
