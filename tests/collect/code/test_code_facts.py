"""Code facts: the sites, conditions, calls and names each function's code holds."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import coverage
import pytest
from coverage.regions import code_regions

from covgap.collect.code.code_facts import FileFacts
from covgap.collect.code.code_walk import facts_from_source
from covgap.model import MODULE_REGION

SOURCE = """\
import os
import requests as rq
from datetime import datetime


class Client:
    def __init__(self, url):
        self.session = rq.Session()
        self.url = url

    def get(self, path):
        try:
            reply = self.session.get(self.url + path)
        except (rq.Timeout, ConnectionError):
            raise
        if reply.status_code == 404:
            return None
        elif reply.status_code >= 500:
            raise RuntimeError("server down: é")
        return reply.json()


def walk(items, *, limit=3):
    for item in items:
        if item is None:
            break
    else:
        return "all"
    while limit > 0:
        limit -= 1

    def inner():
        return os.environ["HOME"], datetime.now()

    return inner
"""


def test_functions_are_named_and_keyed_as_coverage_regions() -> None:
    """Every function region coverage.py finds has facts with the same name and def line."""
    facts = facts_from_source(SOURCE)
    found = {(f.name, f.line) for f in facts.functions if f.name != MODULE_REGION}
    expected = {(r.name, r.start) for r in code_regions(SOURCE) if r.kind == "function"}
    assert (
        found
        == expected
        == {
            ("Client.__init__", 7),
            ("Client.get", 11),
            ("walk", 23),
            ("walk.inner", 32),
        }
    )


def test_raises_with_their_conditions() -> None:
    """A raise names its exception, its literal message, and the conditions that lead to it."""
    get = facts_from_source(SOURCE).function("Client.get", 11)
    assert get is not None
    bare, server = get.raises
    assert (bare.line, bare.exception) == (15, "")
    assert [(c.kind, c.text) for c in bare.conditions] == [
        ("except", "rq.Timeout or ConnectionError")
    ]
    assert (server.line, server.exception, server.message) == (
        19,
        "RuntimeError",
        '"server down: é"',
    )
    assert [(c.text, c.holds) for c in server.conditions] == [
        ("reply.status_code == 404", False),
        ("reply.status_code >= 500", True),
    ]


def test_handlers_list_the_calls_of_their_try() -> None:
    """An except handler knows what it catches and which calls in its try could raise."""
    (handler,) = facts_from_source(SOURCE).function("Client.get", 11).handlers  # type: ignore[union-attr]
    assert handler.line == 14 and handler.body_line == 15 and handler.try_line == 12
    assert handler.exceptions == ("rq.Timeout", "ConnectionError")
    assert [c.target for c in handler.calls] == ["self.session.get"]


def test_decisions_and_returns() -> None:
    """Ifs, elifs and loops are decisions with the first line of each side."""
    facts = facts_from_source(SOURCE)
    get = facts.function("Client.get", 11)
    walk = facts.function("walk", 23)
    assert get is not None and walk is not None
    assert [(d.line, d.kind, d.true_line, d.false_line) for d in get.decisions] == [
        (16, "if", 17, 18),
        (18, "if", 19, None),
    ]
    assert [(d.line, d.kind, d.text) for d in walk.decisions] == [
        (24, "for", "item in items"),
        (25, "if", "item is None"),
        (29, "while", "limit > 0"),
    ]
    assert [(r.line, r.value) for r in get.returns] == [(17, "None")]
    assert [(r.line, r.value, r.conditions[0].kind) for r in walk.returns] == [
        (28, '"all"', "else-loop")
    ]


def test_references_resolve_through_imports_and_attributes() -> None:
    """Names used are kept when imported (longest chain); self attributes map to their types."""
    facts = facts_from_source(SOURCE)
    inner = facts.function("walk.inner", 32)
    get = facts.function("Client.get", 11)
    assert inner is not None and get is not None
    assert inner.references == ("os.environ", "datetime.now")
    assert facts.imports["rq"] == "requests"
    assert facts.imports["datetime"] == "datetime.datetime"
    assert get.self_attributes == ("session", "url")
    assert facts.attribute_types == {"Client": {"session": "requests.Session"}}


def test_nested_function_is_not_part_of_the_outer_one() -> None:
    """As in coverage.py's regions, the inner function's code belongs to the inner function."""
    walk = facts_from_source(SOURCE).function("walk", 23)
    assert walk is not None
    assert "os.environ" not in walk.references
    assert walk.params == ("items", "limit")


def test_facts_survive_json() -> None:
    """to_json and from_json give back the same facts (what the cache stores)."""
    facts = facts_from_source(SOURCE)
    assert FileFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts


def test_match_cases() -> None:
    """A match is a decision with one (pattern, body line) per case."""
    source = (
        "def f(x):\n    match x:\n        case 0:\n            return 'a'\n"
        "        case [y, *_]:\n            return y\n"
    )
    f = facts_from_source(source).function("f", 1)
    assert f is not None
    (decision,) = f.decisions
    assert decision.kind == "match" and decision.cases == (("0", 4), ("[y, *_]", 6))
    assert [r.conditions[0].text for r in f.returns] == ["x matches 0", "x matches [y, *_]"]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="except* is Python 3.11 syntax")
def test_except_star_handlers() -> None:
    """try/except* handlers are found like plain ones."""
    source = "def f():\n    try:\n        g()\n    except* ValueError:\n        return 1\n"
    f = facts_from_source(source).function("f", 1)
    assert f is not None and [h.exceptions for h in f.handlers] == [("ValueError",)]


def test_real_modules_match_coverage_regions() -> None:
    """On coverage.py's own sources, every function region has facts (names and lines agree).

    (coverage.py before 7.17 missed some functions defined under a module-level ``if``; covgap
    finds those too, so the facts may hold more functions than the regions, never fewer.)"""
    for path in sorted(Path(coverage.__file__).parent.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        facts = facts_from_source(source, ast.parse(source))
        found = {(f.name, f.line) for f in facts.functions if f.name != MODULE_REGION}
        expected = {(r.name, r.start) for r in code_regions(source) if r.kind == "function"}
        assert expected <= found, path.name


GUARDS = """\
def f(items, limit):
    if not items:
        return []
    if limit < 0:
        raise ValueError("limit")
    elif limit == 0:
        return []
    out = []
    for item in items:
        if item is None:
            continue
        if item > limit:
            raise OverflowError(item)
    if out:
        pass
    else:
        return None
    raise RuntimeError("end")
"""


def test_earlier_guards_are_conditions_of_what_follows() -> None:
    """``if a: return`` (or raise, continue, an elif chain that leaves) before a line: the line
    needs each such test not to fire; ``if a: … else: return`` needs it to."""
    f = facts_from_source(GUARDS).function("f", 1)
    assert f is not None
    overflow, end = (r for r in f.raises if r.exception != "ValueError")
    assert [(c.kind, c.text, c.holds) for c in overflow.conditions] == [
        ("guard", "not items", False),
        ("guard", "limit < 0", False),
        ("guard", "limit == 0", False),
        ("for", "items", True),
        ("guard", "item is None", False),
        ("if", "item > limit", True),
    ]
    assert [(c.text, c.holds) for c in end.conditions] == [
        ("not items", False),
        ("limit < 0", False),
        ("limit == 0", False),
        ("out", True),
    ]
    # Guards alone do not make a return conditional: the last return is not an early exit.
    assert [r.line for r in f.returns] == [3, 7, 17]


def test_module_globals_and_typed_parameters_are_references() -> None:
    """A module-level client (``r = redis.Redis()``) and a parameter typed with an imported
    class are names the function's dependencies are reached through."""
    source = (
        "import redis\nimport sqlite3\nfrom sqlalchemy.orm import sessionmaker\n"
        "r = redis.Redis()\nSession = sessionmaker()\nsession = Session()\n"
        "def f(conn: sqlite3.Connection, n: int):\n"
        "    return r.get(n), conn.execute('x'), session.query()\n"
        "def g(r):\n    return r.get(1)\n"
    )
    facts = facts_from_source(source)
    assert facts.global_types == {
        "r": "redis.Redis",
        "Session": "sqlalchemy.orm.sessionmaker",
        "session": "sqlalchemy.orm.sessionmaker",
    }
    f = facts.function("f", 7)
    g = facts.function("g", 9)
    assert f is not None and g is not None
    assert f.references == ("r.get", "conn.execute", "session.query")
    assert f.param_types == (("conn", "sqlite3.Connection"),)
    assert g.references == ()  # its parameter ``r`` hides the global
