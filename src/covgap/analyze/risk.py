"""How risky an uncovered function is: small pure scorers, one per factor, weighted together.

Each scorer takes a ``Subject`` (what is known of one function) and returns a ``RiskFactor``
(its raw value, that value mapped to 0..1, and the reason in words) or None when the factor
could not be measured (no git history, no source). The risk is the weighted mean of the factors
present, with the configured weights scaled to sum to 1 over them. The formulas are in
docs/risk.md; every constant here is named there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from covgap.markup import code_span as code
from covgap.model import Region, Risk, RiskFactor, RiskLevel

__all__ = [
    "HIGH_RISK",
    "MEDIUM_RISK",
    "SCORERS",
    "Subject",
    "assess",
    "churn",
    "complexity",
    "crap",
    "crap_score",
    "critical_pattern",
    "criticality",
    "level_for",
    "words",
]

#: Risk at or above these is high / medium; below MEDIUM_RISK it is low.
HIGH_RISK = 0.45
MEDIUM_RISK = 0.2

#: A complexity of 1 + COMPLEXITY_HALF scores 0.5 (11: the start of radon's grade C).
COMPLEXITY_HALF = 10
#: This many commits in the window score 0.5.
CHURN_HALF = 3
#: A CRAP score of 1 + CRAP_HALF scores 0.5 (31: just over the original "crappy" threshold, 30).
CRAP_HALF = 30
#: Criticality when only the file's path matches (the function's own name matching scores 1).
PATH_ONLY_CRITICALITY = 0.6


@dataclass(frozen=True)
class Subject:
    """What is known of one function with a gap."""

    path: str
    region: Region
    #: Cyclomatic complexity; None when the source could not be read or parsed.
    complexity: int | None
    #: Commits in the churn window that changed the function (its current lines); None: no git.
    commits: int | None
    #: Commits in the window that changed the file.
    file_commits: int | None
    #: A description of the churn window, for reasons ("the last 90 days").
    window: str
    critical_patterns: tuple[str, ...]


#: A scorer: one factor of a subject's risk, or None when it cannot be measured.
Scorer = Callable[[Subject], "RiskFactor | None"]


def _saturating(value: float, half: float) -> float:
    """0 at 0, 0.5 at ``half``, approaching 1: a factor with no natural maximum."""
    value = max(0.0, value)
    return value / (value + half)


def words(text: str) -> tuple[str, ...]:
    """The lower-case words of a path or a name: snake_case, camelCase, dots and slashes split."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    return tuple(word for word in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if word)


def _glob_regex(glob: str) -> str:
    """One word's glob as a regex that stays inside the word: ``*`` any letters, ``?`` one,
    ``[...]`` a class (``[!...]`` negated); everything else literal."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        end = glob.find("]", i + 2) if char == "[" else -1
        if char == "*":
            out.append("[^ ]*")
        elif char == "?":
            out.append("[^ ]")
        elif end != -1:
            inside = glob[i + 1 : end]
            inside = "^" + inside[1:] if inside.startswith("!") else inside
            out.append(f"[{inside.replace(chr(92), chr(92) * 2)}]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _pattern_regex(pattern: str) -> str:
    """A word pattern ("rate limit*") as a regex over space-joined words: whole words only."""
    body = " ".join(_glob_regex(part) for part in pattern.lower().split())
    return f"(?:^| ){body}(?: |$)"


@lru_cache(maxsize=64)
def _matchers(patterns: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[re.Pattern[str], ...]]:
    """The literal start of every pattern's first word (a quick "no": most names match none),
    and one regex per pattern."""
    named = [p for p in patterns if p.split()]
    starts = tuple(re.split(r"[*?\[]", p.lower().split()[0])[0] for p in named)
    return starts, tuple(re.compile(_pattern_regex(p)) for p in named)


@lru_cache(maxsize=65536)
def _first_match(patterns: tuple[str, ...], text: str) -> str | None:
    """The first pattern (in the configured order) that matches the words of ``text``."""
    text_words = words(text)
    starts, each = _matchers(patterns)
    if not any(word.startswith(starts) for word in text_words):
        return None
    joined = " ".join(text_words)
    named = [p for p in patterns if p.split()]
    return next((p for p, m in zip(named, each, strict=True) if m.search(joined)), None)


def critical_pattern(patterns: tuple[str, ...], text: str) -> str | None:
    """The first critical pattern that matches the words of ``text`` (a path, a name), or None."""
    return _first_match(patterns, text)


def criticality(subject: Subject) -> RiskFactor:
    """1 when the function's name matches a critical pattern, 0.6 when only its path does."""
    name = subject.region.name.partition("@")[0]
    on_name = _first_match(subject.critical_patterns, name)
    if on_name is not None:
        return RiskFactor("criticality", 1.0, 1.0, 0.0, f"name matches {code(on_name)}")
    on_path = _first_match(subject.critical_patterns, subject.path.removesuffix(".py"))
    if on_path is not None:
        return RiskFactor(
            "criticality",
            PATH_ONLY_CRITICALITY,
            PATH_ONLY_CRITICALITY,
            0.0,
            f"path matches {code(on_path)}",
        )
    return RiskFactor("criticality", 0.0, 0.0, 0.0, "no critical pattern matches")


def complexity(subject: Subject) -> RiskFactor | None:
    """Cyclomatic complexity c scores (c − 1) / (c − 1 + 10): 0 for straight-line code."""
    if subject.complexity is None:
        return None
    value = subject.complexity
    return RiskFactor(
        "complexity",
        float(value),
        _saturating(value - 1, COMPLEXITY_HALF),
        0.0,
        f"cyclomatic complexity {value}",
    )


def churn(subject: Subject) -> RiskFactor | None:
    """n commits in the window that changed the function score n / (n + 3)."""
    if subject.commits is None:
        return None
    n = subject.commits
    commits = "commit" if n == 1 else "commits"
    of_file = (
        f" (the file: {subject.file_commits})"
        if subject.file_commits is not None and subject.file_commits != n
        else ""
    )
    return RiskFactor(
        "churn",
        float(n),
        _saturating(n, CHURN_HALF),
        0.0,
        f"changed in {n} {commits} in {subject.window}{of_file}",
    )


def crap_score(complexity_value: int, covered_ratio: float) -> float:
    """CRAP = complexity² × (1 − coverage)³ + complexity (coverage as a ratio, 0..1)."""
    return complexity_value**2 * (1 - covered_ratio) ** 3 + complexity_value


def crap(subject: Subject) -> RiskFactor | None:
    """The CRAP score s, from complexity and the function's coverage, scores (s − 1) / (s + 29)."""
    if subject.complexity is None:
        return None
    ratio = float(subject.region.numbers.ratio)
    score = crap_score(subject.complexity, ratio)
    return RiskFactor(
        "crap",
        score,
        _saturating(score - 1, CRAP_HALF),
        0.0,
        f"CRAP {score:.1f} (complexity {subject.complexity}, {100 * ratio:.0f}% covered)",
    )


#: The scorers, in the order their reasons are listed.
SCORERS: tuple[Scorer, ...] = (criticality, complexity, churn, crap)


def level_for(score: float) -> RiskLevel:
    if score >= HIGH_RISK:
        return "high"
    if score >= MEDIUM_RISK:
        return "medium"
    return "low"


def assess(
    subject: Subject,
    weights: Sequence[tuple[str, float]],
    scorers: Sequence[Scorer] = SCORERS,
) -> Risk:
    """The weighted mean of the factors measured; weights of absent factors are left out."""
    weight_of = dict(weights)
    measured = [factor for scorer in scorers if (factor := scorer(subject)) is not None]
    present = [f for f in measured if weight_of.get(f.name, 0.0) > 0]
    total_weight = sum(weight_of[f.name] for f in present)
    factors = tuple(
        RiskFactor(f.name, f.value, f.score, weight_of[f.name] / total_weight, f.reason)
        for f in present
    )
    score = sum(f.weight * f.score for f in factors)
    return Risk(score=score, level=level_for(score), factors=factors)
