"""What one Python file says: the per-file summary worker processes send back (picklable)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class _Ref:
    """A length to look up: the value bound to a (dotted) name in the module."""

    name: str


@dataclass(frozen=True)
class _Op:
    """A length computed from others: "sum", "prod" or "min" (zip) of the parts."""

    kind: str
    parts: tuple[_Len, ...]


#: The length of a parameter list as far as one file tells: known, unknown (None), or a formula.
_Len = int | _Ref | _Op | None


@dataclass(frozen=True)
class _Mark:
    """A ``pytest.mark.NAME`` applied (decorator, ``pytestmark``, a name bound to a mark)."""

    name: str
    line: int
    argnames: tuple[str, ...] = ()
    #: Names parametrized indirectly (``indirect=True``: all the argnames).
    indirect: tuple[str, ...] = ()
    count: _Len = None
    #: ``usefixtures`` names.
    fixtures: tuple[str, ...] = ()


@dataclass(frozen=True)
class _MarkRef:
    """A decorator or ``pytestmark`` entry that is a plain name: maybe a name bound to marks."""

    name: str


_MarkLike = _Mark | _MarkRef


@dataclass(frozen=True)
class _FixtureSpec:
    name: str
    scope: str
    parametrized: bool
    params: _Len
    autouse: bool


@dataclass(frozen=True)
class _Func:
    name: str
    line: int
    is_async: bool
    #: Arguments without a default (positional-or-keyword, then keyword-only), pytest's way.
    args: tuple[str, ...]
    has_posonly: bool
    static: bool
    marks: tuple[_MarkLike, ...]
    fixture: _FixtureSpec | None
    #: ``yield`` in the body (a generator test is a collection error).
    generator: bool
    #: Leading arguments filled by ``mock.patch`` decorators.
    mock_args: int
    #: Arguments filled by Hypothesis' ``@given``.
    given: tuple[str, ...]
    given_positional: int
    abstract: bool
    #: Literal names passed to ``request.getfixturevalue``.
    dynamic_requests: tuple[str, ...]
    dunder_test: bool | None = None


@dataclass(frozen=True)
class _Lambda:
    line: int


@dataclass(frozen=True)
class _Alias:
    """A name bound to another (dotted) name."""

    target: str
    line: int


@dataclass(frozen=True)
class _Value:
    """A name bound to some other expression: its length if it is a sequence."""

    line: int
    length: _Len
    #: The value is a call (a class or function made at import time is not seen).
    call: bool
    #: Its truth, when it is a condition that can be evaluated (``PY310 = sys.version_info…``).
    truth: bool | None = None


@dataclass(frozen=True)
class _Marks:
    """A name bound to a mark or a list of marks."""

    marks: tuple[_MarkLike, ...]
    line: int


@dataclass(frozen=True)
class _Import:
    """``import module`` (name None) or ``from module import name`` (level: leading dots)."""

    module: str
    name: str | None
    level: int
    line: int


@dataclass(frozen=True)
class _Class:
    name: str
    line: int
    #: Dotted names of the bases ("" for an expression that is not a name).
    bases: tuple[str, ...]
    metaclass: str | None
    #: ``@dataclass`` / attrs: an ``__init__`` is generated.
    init_decorated: bool
    marks: tuple[_MarkLike, ...]
    members: tuple[tuple[str, _Member], ...]
    dunder_test: bool | None
    has_init: bool
    has_new: bool
    generate_tests: bool


_Member = _Func | _Class | _Lambda | _Alias | _Value | _Marks | _Import


#: A condition left to the main process: (dotted name, negated) — ``if NAME:`` / ``if not NAME:``
#: where NAME is imported (``from pkg._compat import PY_3_10_PLUS``).
_Condition = tuple[str, bool]


@dataclass(frozen=True)
class _GenTests:
    """A ``pytest_generate_tests`` hook: the fixture names it is guarded by, None = any test."""

    line: int
    names: tuple[str, ...] | None


@dataclass(frozen=True)
class _Summary:
    """What one Python file says, for the inventory."""

    path: str
    error: str | None = None
    bindings: tuple[tuple[str, _Member], ...] = ()
    star_imports: tuple[_Import, ...] = ()
    pytestmark: tuple[_MarkLike, ...] = ()
    dunder_test: bool | None = None
    generate_tests: _GenTests | None = None
    #: (entry, the conditions it is added under): see ``_Condition``.
    collect_ignore: tuple[tuple[str, tuple[_Condition, ...]], ...] | None = None
    collect_ignore_glob: tuple[tuple[str, tuple[_Condition, ...]], ...] | None = None
    pytest_plugins: tuple[str, ...] = ()
    #: Collection hooks defined (conftest.py): name and line.
    hooks: tuple[tuple[str, int], ...] = ()
    #: "line N: …" of an unconditional module-level skip.
    skip: str | None = None
    notes: tuple[str, ...] = ()
    #: Top-level names of the modules imported anywhere (absolute imports only).
    imported: tuple[str, ...] = ()
    #: A relative import (``from .. import x``): inside a package, it imports that package.
    relative_import: bool = False
    server_evidence: tuple[tuple[int, str], ...] = ()
    #: An HTTP mocking library is imported (HTTP calls are then not server evidence).
    mocks_http: bool = False
    marker_uses: tuple[tuple[str, int], ...] = ()
    #: Not parsed: a helper file without test-like functions (parsed when something imports it).
    unread: bool = False
