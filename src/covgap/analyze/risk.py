"""How risky an uncovered function is: small pure scorers, one per factor, weighted together.

Each scorer takes a ``Subject`` (what is known of one function) and returns a ``RiskFactor``
(its raw value, that value mapped to 0..1, and the reason in words) or None when the factor
could not be measured (no git history, no source). The risk is likelihood × impact: how likely
a bug is (the weighted mean of complexity, churn and CRAP present) times how much it would cost
(criticality from what the code does, exposure). The formulas, and the defect history they
were validated against, are in docs/risk.md; every constant here is named there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from covgap.analyze.exposure import Exposure
from covgap.collect.code.code_facts import Effect, EffectKind
from covgap.collect.code.effects import LEXICAL_WORDS
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
    "exposure",
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
#: What each kind of effect makes a function's criticality (several kinds combine as
#: 1 − Π(1 − score)): a bug in a credential check or in crypto is a security hole; in SQL or
#: money, corrupted data; in a destructive operation, lost files; in a network write, data sent
#: where it should not go.
EFFECT_CRITICALITY: dict[EffectKind, float] = {
    "credentials": 1.0,
    "crypto": 0.9,
    "deserialize": 0.9,
    "sql": 0.8,
    "money": 0.8,
    "destructive": 0.7,
    "network": 0.6,
}
#: Criticality from a name alone (the function's name matches a critical pattern): a weak
#: signal, as ``token`` in a lexer or ``session`` in a test helper show.
NAME_CRITICALITY = 0.3
#: Criticality when only the file's path matches.
PATH_ONLY_CRITICALITY = 0.15
#: At most this many effects are named in a reason.
EFFECTS_SHOWN = 3

#: Where a function sits in the project's surface (``analyze/exposure.py``).
SURFACE_EXPOSURE = {"entry": 1.0, "exported": 0.6, "public": 0.3, "private": 0.0}
#: This many calling functions in the project score 0.5 of fan-in.
FAN_IN_HALF = 4

#: Words of a function's name that make it a printer or a representation: not critical by name.
_PRINTER_WORDS = frozenset({"repr", "str", "pprint", "print", "dump", "debug", "display", "show"})
#: Decorators of properties: a short one is not critical by its name.
_PROPERTIES = ("property", "cached_property", "functools.cached_property")
#: A property of at most this many lines (``def`` included) is trivial.
TRIVIAL_PROPERTY_LINES = 3


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
    #: What the function does that makes it critical, from its AST; () when unknown.
    effects: tuple[Effect, ...] = ()
    #: Why its file is a lexer/parser context ("" when it is not, or unknown).
    lexical: str = ""
    #: Its decorators as written, and its size in lines (for trivial properties).
    decorators: tuple[str, ...] = ()
    lines: int = 0
    #: Its place in the project's surface and its fan-in; None when not measured.
    exposure: Exposure | None = None


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
    """From what the function does (its effects, each with its evidence line); a name that
    matches a critical pattern is a weak signal, and none in a lexer/parser context, for a
    ``__repr__``, a debug printer or a trivial property."""
    if subject.effects:
        return _from_effects(subject)
    name = subject.region.name.partition("@")[0]
    on_name = _first_match(subject.critical_patterns, name)
    on_path = (
        None
        if on_name is not None
        else _first_match(subject.critical_patterns, subject.path.removesuffix(".py"))
    )
    matched = on_name or on_path
    if matched is None:
        return RiskFactor("criticality", 0.0, 0.0, 0.0, "does nothing critical")
    where = "name" if on_name is not None else "path"
    ignored = _name_ignored(subject)
    if ignored:
        reason = f"{where} matches {code(matched)}, but {ignored}: not critical by name"
        return RiskFactor("criticality", 0.0, 0.0, 0.0, reason)
    value = NAME_CRITICALITY if on_name is not None else PATH_ONLY_CRITICALITY
    reason = f"{where} matches {code(matched)} (a name alone is a weak signal)"
    return RiskFactor("criticality", value, value, 0.0, reason)


def _from_effects(subject: Subject) -> RiskFactor:
    kinds = dict.fromkeys(effect.kind for effect in subject.effects)
    remaining = 1.0
    for kind in kinds:
        remaining *= 1 - EFFECT_CRITICALITY[kind]
    value = 1 - remaining
    # The most critical kinds first, each with its first evidence line.
    order = sorted(kinds, key=lambda k: -EFFECT_CRITICALITY[k])
    first = {kind: next(e for e in subject.effects if e.kind == kind) for kind in order}
    shown = [
        f"{_EFFECT_WORDS[kind]} {code(first[kind].what)} ({subject.path}:{first[kind].line})"
        for kind in order[:EFFECTS_SHOWN]
    ]
    more = len(subject.effects) - len(shown)
    tail = f" and {more} more" if more > 0 else ""
    return RiskFactor("criticality", value, value, 0.0, "; ".join(shown) + tail)


#: How a reason introduces each kind of effect.
_EFFECT_WORDS: dict[EffectKind, str] = {
    "credentials": "checks credentials:",
    "crypto": "cryptography:",
    "deserialize": "deserialises:",
    "sql": "executes SQL:",
    "money": "handles money:",
    "destructive": "destructive:",
    "network": "writes to the network:",
}


def _name_ignored(subject: Subject) -> str:
    """Why a critical name says nothing here, or ""."""
    name = subject.region.name.partition("@")[0]
    parts = name.split(".")
    last = parts[-1]
    if last.startswith("__") and last.endswith("__") and last != "__call__":
        return f"{code(last)} is a special method"
    if _PRINTER_WORDS & set(words(last)):
        return "a printer or representation"
    if (
        any(d.partition("(")[0].strip() in _PROPERTIES for d in subject.decorators)
        and 0 < subject.lines <= TRIVIAL_PROPERTY_LINES
    ):
        return "a trivial property"
    if subject.lexical:
        return f"a lexer/parser context ({subject.lexical})"
    path_words = set(words(subject.path.removesuffix(".py")))
    if path_words & LEXICAL_WORDS:
        return f"a lexer/parser context ({code(subject.path)})"
    for owner in parts[:-1]:
        if set(words(owner)) & LEXICAL_WORDS:
            return f"a lexer/parser context (class {code(owner)})"
    return ""


def exposure(subject: Subject) -> RiskFactor | None:
    """How exposed the function is: its surface (an entry point 1, exported 0.6, a public name
    0.3, private 0) combined with its fan-in f (f / (f + 4)) as 1 − (1 − a)(1 − b)."""
    found = subject.exposure
    if found is None:
        return None
    surface = SURFACE_EXPOSURE[found.surface]
    fan_in = _saturating(found.fan_in, FAN_IN_HALF)
    score = 1 - (1 - surface) * (1 - fan_in)
    if found.fan_in:
        shown = ", ".join(code(c) for c in found.callers)
        more = " …" if found.fan_in > len(found.callers) else ""
        functions = "function" if found.fan_in == 1 else "functions"
        calls = f"called from {found.fan_in} {functions} of the project ({shown}{more})"
    else:
        calls = "no function of the project calls it"
    return RiskFactor(
        "exposure", float(found.fan_in), score, 0.0, f"{found.surface_reason}; {calls}"
    )


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
SCORERS: tuple[Scorer, ...] = (criticality, exposure, complexity, churn, crap)


#: Factors of how much a bug would cost: together they scale the likelihood (the weighted mean
#: of the other factors, complexity, churn and CRAP) by (1 + Σ wᵢ × sᵢ) / (1 + Σ wᵢ).
IMPACT_FACTORS = ("criticality", "exposure")

#: Criticality from what the code does at or above these makes the level at least high /
#: medium, whatever the score: a one-line credential check is small, and a bug in it a hole.
HIGH_CRITICALITY = 0.8
MEDIUM_CRITICALITY = 0.5


def level_for(score: float, critical: float = 0.0) -> RiskLevel:
    """High from a risk of 0.45, medium from 0.2; at least high (medium) for a criticality from
    what the code does of 0.8 (0.5)."""
    if score >= HIGH_RISK or critical >= HIGH_CRITICALITY:
        return "high"
    if score >= MEDIUM_RISK or critical >= MEDIUM_CRITICALITY:
        return "medium"
    return "low"


def assess(
    subject: Subject,
    weights: Sequence[tuple[str, float]],
    scorers: Sequence[Scorer] = SCORERS,
) -> Risk:
    """Likelihood × impact: the weighted mean of the likelihood factors measured, scaled by
    each impact factor measured; weights of absent factors are left out."""
    weight_of = dict(weights)
    measured = [factor for scorer in scorers if (factor := scorer(subject)) is not None]
    present = [f for f in measured if weight_of.get(f.name, 0.0) > 0]
    likely = [f for f in present if f.name not in IMPACT_FACTORS]
    costly = [f for f in present if f.name in IMPACT_FACTORS]
    likely_weight = sum(weight_of[f.name] for f in likely)
    costly_weight = 1 + sum(weight_of[f.name] for f in costly)
    factors = tuple(
        RiskFactor(
            f.name,
            f.value,
            f.score,
            weight_of[f.name] / (costly_weight if f.name in IMPACT_FACTORS else likely_weight),
            f.reason,
        )
        for f in present
    )
    # Without a likelihood factor (all weighted 0), the impact alone orders.
    likelihood = (
        sum(f.weight * f.score for f in factors if f.name not in IMPACT_FACTORS) if likely else 1.0
    )
    impact = (1 + sum(weight_of[f.name] * f.score for f in costly)) / costly_weight
    score = likelihood * impact
    critical = next((f.score for f in present if f.name == "criticality" and subject.effects), 0.0)
    return Risk(score=score, level=level_for(score, critical), factors=factors)
