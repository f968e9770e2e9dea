"""Cached risk assessments: a file whose inputs are all unchanged gets its assessments back whole.

A file's assessment (risk, complexity and test advice of each region with a gap) depends on its
source (through its code facts), what was measured in it, its churn, where its tests go, and
the settings and program that assessed it. The key hashes all of these, so an entry is used
only when the same inputs would give the same answer; the payload is plain JSON, like every
covgap cache entry.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from typing import Any, Protocol

from covgap import __version__
from covgap.config import Settings
from covgap.model import (
    Assessment,
    CaseFolder,
    ExistingTest,
    ExistingTests,
    FileCoverage,
    Harness,
    Isolation,
    Risk,
    RiskFactor,
    Suggestion,
    TestAdvice,
)

__all__ = [
    "ASSESSMENT_FORMAT",
    "assessment_key",
    "decode_assessments",
    "encode_assessments",
    "shared_key",
]


class ChurnInfo(Protocol):
    """What a key needs of the churn (``collect/git/churn.py``'s ``Churn``)."""

    @property
    def head(self) -> str: ...

    @property
    def description(self) -> str: ...

    def for_file(self, path: str) -> object: ...


#: Bump when the shape of a payload, or what goes into an assessment, changes.
#: 1: first version.
#: 2: test code assessed as test code; at most six names per isolated dependency; at most
#:    three conditions named per suggestion.
#: 3: criticality from what the code does (effects), names weak; the exposure factor.
#: 4: the things to check (``checks``) beside the estimated tests, which are now their root.
#: 5: earlier guards in conditions, readable test names unique against the project's tests; the
#:    existing tests, harness, constructor and where a fake goes in (issue 14).
#: 6: the project's functions each calls (``callees``).
#: 7: existing tests: a test written for the function before one that reaches it through other
#:    code; the tests of its callers when none targets it (evidence "caller").
#: 8: "unreachable" suggestions (conditions that cannot hold together); clock reads through a
#:    helper of the module.
ASSESSMENT_FORMAT = 8


def assessment_key(
    file: FileCoverage,
    facts_key: str,
    churn: ChurnInfo | None,
    settings: Settings,
    shared: str,
    exposure: Mapping[int, Any] | None = None,
) -> str:
    """The key of a file's assessments. ``shared``: what all files' keys share (see below);
    ``exposure``: its functions' exposure by ``def`` line, which depends on the other files."""
    digest = hashlib.sha256()
    file_churn = churn.for_file(file.path) if churn is not None else None
    for part in (
        shared,
        facts_key,
        file.path,
        repr(
            [
                (r.name, r.start_line, r.numbers, r.missing_lines, r.missing_arcs, r.tested_by)
                for r in file.regions
            ]
        ),
        repr(file.tested_by),
        repr(file_churn) if churn is not None else "no churn",
        repr((settings.all_critical_patterns, settings.risk_weights)),
        repr(sorted(exposure.items())) if exposure else "no exposure",
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def shared_key(
    churn: ChurnInfo | None,
    test_files: tuple[str, ...],
    packages: frozenset[str],
    branch: bool,
    tests: str = "",
) -> str:
    """What every file's assessment depends on: covgap itself, the churn window and HEAD, the
    test modules (placement), the project's own packages (isolation), branch measurement, and
    ``tests``: what the tests target and which ran (existing tests, names taken)."""
    window = f"{churn.head}:{churn.description}" if churn is not None else "no git"
    return "\0".join(
        [
            f"assessment-format={ASSESSMENT_FORMAT}",
            f"covgap={__version__}",
            window,
            hashlib.sha256(repr(test_files).encode()).hexdigest(),
            repr(sorted(packages)),
            f"branch={branch}",
            hashlib.sha256(tests.encode()).hexdigest(),
        ]
    )


def encode_assessments(assessed: Mapping[tuple[int, str], Assessment]) -> dict[str, Any]:
    """A file's assessments as JSON."""
    return {"regions": [[start, name, _encode(a)] for (start, name), a in assessed.items()]}


def decode_assessments(payload: dict[str, Any]) -> dict[tuple[int, str], Assessment] | None:
    """A payload read back; None when it is damaged (then the file is assessed again)."""
    shared: dict[tuple[Any, ...], Any] = {}
    try:
        return {
            (int(start), str(name)): _decode(a, shared) for start, name, a in payload["regions"]
        }
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _once(shared: dict[tuple[Any, ...], Any], kind: type, *fields: Any) -> Any:
    key = (kind, *fields)
    made = shared.get(key)
    if made is None:
        made = shared[key] = kind(*fields)
    return made


def _encode(a: Assessment) -> list[Any]:
    risk = [
        a.risk.score,
        a.risk.level,
        [[f.name, f.value, f.score, f.weight, f.reason] for f in a.risk.factors],
    ]
    advice = None
    if a.advice is not None:
        advice = [
            a.advice.test_file,
            a.advice.test_file_exists,
            a.advice.test_file_reason,
            [[s.kind, s.line, s.text, s.test_name] for s in a.advice.suggestions],
            [[i.dependency, i.via, i.fake, i.how, i.inject] for i in a.advice.isolation],
            a.advice.effort,
            a.advice.runner,
            a.advice.checks,
            _encode_harness(a.advice.harness),
            _encode_existing(a.advice.existing),
            a.advice.constructor,
        ]
    return [risk, a.complexity, advice, [list(c) for c in a.callees]]


def _decode(obj: list[Any], shared: dict[tuple[Any, ...], Any]) -> Assessment:
    """One assessment; equal factors and isolations (most of a file's) are made once."""
    (score, level, factors), complexity, advice, callees = obj
    if level not in ("high", "medium", "low"):
        raise ValueError(f"unknown risk level {level!r}")
    risk = Risk(
        score=float(score),
        level=level,
        factors=tuple(_once(shared, RiskFactor, *f) for f in factors),
    )
    effort = int(advice[5]) if advice is not None else 1
    checks = int(advice[7]) if advice is not None else 1
    source = functools.partial(_decode_advice, advice, shared)
    reached = tuple((str(path), str(name)) for path, name in callees)
    return Assessment(risk, complexity, effort, source, checks, reached)


def _decode_advice(
    advice: list[Any] | None, shared: dict[tuple[Any, ...], Any]
) -> TestAdvice | None:
    """The advice, decoded when a report asks for it; a damaged entry gives none (the function
    is then listed without its tests, never a crash)."""
    if advice is None:
        return None
    try:
        (
            test_file,
            exists,
            reason,
            suggestions,
            isolation,
            effort,
            runner,
            checks,
            harness,
            existing,
            constructor,
        ) = advice
        return TestAdvice(
            test_file=test_file,
            test_file_exists=bool(exists),
            test_file_reason=reason,
            suggestions=tuple(Suggestion(k, line, t, name) for k, line, t, name in suggestions),
            isolation=tuple(
                _once(shared, Isolation, d, tuple(via), f, h, inject)
                for d, via, f, h, inject in isolation
            ),
            effort=int(effort),
            runner=runner,
            checks=int(checks),
            harness=_decode_harness(harness),
            existing=_decode_existing(existing),
            constructor=str(constructor),
        )
    except (TypeError, ValueError):
        return None


def _encode_harness(harness: Harness | None) -> list[Any] | None:
    if harness is None:
        return None
    return [
        harness.kind,
        harness.framework,
        harness.text,
        harness.call,
        harness.fixture,
        harness.fixture_how,
        list(harness.packages),
    ]


def _decode_harness(obj: list[Any] | None) -> Harness | None:
    if obj is None:
        return None
    kind, framework, text, call, fixture, fixture_how, packages = obj
    return Harness(kind, framework, text, call, fixture, fixture_how, tuple(packages))


def _encode_existing(existing: ExistingTests | None) -> list[Any] | None:
    if existing is None:
        return None
    cases = existing.cases
    return [
        existing.action,
        existing.target,
        existing.text,
        [[t.nodeid, t.evidence, t.ran] for t in existing.tests],
        existing.more,
        None
        if cases is None
        else [cases.nodeid, cases.folder, cases.pattern, cases.how, list(cases.examples)],
    ]


def _decode_existing(obj: list[Any] | None) -> ExistingTests | None:
    if obj is None:
        return None
    action, target, text, tests, more, cases = obj
    folder = None
    if cases is not None:
        nodeid, path, pattern, how, examples = cases
        folder = CaseFolder(nodeid, path, pattern, how, tuple(examples))
    return ExistingTests(
        action=action,
        target=target,
        text=text,
        tests=tuple(ExistingTest(n, e, r) for n, e, r in tests),
        more=int(more),
        cases=folder,
    )
