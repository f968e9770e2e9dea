"""The plan as work (part of the view): each phase's units of work, and what each function's
tests must do, in a phrase.

A unit of work is what one person picks up at once: a class (its methods, nested functions
included), or a module's functions and module-level code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from covgap.model import FileCoverage, FunctionGap, TestAdvice

__all__ = ["advice_summary", "function_names", "work_units"]

#: "name@12" is coverage.py's key for the second function of that name in a file.
_REPEATED = re.compile(r"@\d+$")


def function_names(files: Sequence[FileCoverage]) -> dict[str, frozenset[str]]:
    """Each file's function names (without coverage.py's ``@line`` suffix), to tell a class's
    method (``Stock.report``) from a nested function (``restock_all.bump``)."""
    return {
        file.path: frozenset(_REPEATED.sub("", r.name) for r in file.regions if r.name)
        for file in files
    }


def _unit_of(item: FunctionGap, functions: frozenset[str]) -> tuple[str, str]:
    """(kind, name): ("class", "Stock") for a method of ``Stock``, ("module", "") otherwise."""
    outer, dot, _ = item.region.name.partition(".")
    if dot and _REPEATED.sub("", outer) not in functions:
        return "class", outer
    return "module", ""


def work_units(
    items: Sequence[FunctionGap],
    functions: Mapping[str, frozenset[str]],
    tests_by_module: Mapping[str, int],
) -> list[dict[str, Any]]:
    """A phase's items grouped into units of work, in the order of each unit's first item.

    ``items`` in each unit are indexes into the phase's items, in plan order. A unit's
    ``estimated_tests`` is its share of its module's tests in this phase (``tests_by_module``;
    a module's units share them by their things to check, largest remainder), so the units add
    up to the phase's estimate.
    """
    units: dict[tuple[str, str, str], dict[str, Any]] = {}
    for index, item in enumerate(items):
        kind, name = _unit_of(item, functions.get(item.path, frozenset()))
        unit = units.setdefault(
            (item.path, kind, name),
            {
                "kind": kind,
                "name": name,
                "path": item.path,
                "estimated_tests": 0,
                "checks": 0,
                "gap": 0,
                "items": [],
            },
        )
        unit["checks"] += item.checks
        unit["gap"] += item.region.numbers.gap
        unit["items"].append(index)
    by_module: dict[str, list[dict[str, Any]]] = {}
    for unit in units.values():
        by_module.setdefault(unit["path"], []).append(unit)
    for path, shared in by_module.items():
        for unit, tests in zip(
            shared,
            _shares(tests_by_module.get(path, 0), [u["checks"] for u in shared]),
            strict=True,
        ):
            unit["estimated_tests"] = tests
    for unit in units.values():
        del unit["checks"]
    return list(units.values())


def _shares(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder; evenly when all are 0)."""
    weights = [w if any(weights) else 1 for w in weights]
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    shares = [int(e) for e in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


#: How a kind of suggestion is counted in the phrase: (one, several with {n}).
_KINDS: tuple[tuple[str, str, str], ...] = (
    ("run", "run the test", "run the {n} tests"),
    ("import", "import the module", "import the module"),
    ("call", "call it", "call it"),
    ("raise", "1 raise", "{n} raises"),
    ("except", "1 except handler", "{n} except handlers"),
    ("return", "1 return", "{n} returns"),
    ("branch", "1 branch", "{n} branches"),
    ("loop", "1 loop", "{n} loops"),
    ("case", "1 match case", "{n} match cases"),
    ("lines", "other lines", "other lines"),
    ("unreachable", "1 side that looks unreachable", "{n} sides that look unreachable"),
)


def advice_summary(advice: TestAdvice) -> str:
    """What the tests of one function must do, in a phrase: "call it; 2 raises, 1 branch; fake
    with responses" (the full suggestions stay in plan.json and the page)."""
    counts: dict[str, int] = {}
    for suggestion in advice.suggestions:
        counts[suggestion.kind] = counts.get(suggestion.kind, 0) + 1
    words = [
        (one if counts[kind] == 1 else several.format(n=counts[kind]))
        for kind, one, several in _KINDS
        if counts.get(kind)
    ]
    words += [kind for kind in counts if kind not in {k for k, _, _ in _KINDS}]
    first = [w for w in words if w in {"call it", "import the module"} or w.startswith("run ")]
    rest = [w for w in words if w not in first]
    phrase = "; ".join(part for part in (", ".join(first), ", ".join(rest)) if part)
    fakes = list(dict.fromkeys(i.fake for i in advice.isolation))
    if fakes:
        phrase += ("; " if phrase else "") + "fake with " + ", ".join(fakes)
    return phrase
