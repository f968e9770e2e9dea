"""Which outside dependencies a function touches, and the library that fakes each one well.

A dependency is found through the names the function uses (``requests.get``, ``os.environ``,
``open``), resolved through its module's imports; through a module global bound to an imported
thing (``r = redis.Redis()`` at module level, used as ``r.get``); through a parameter annotated
with an imported type (``conn: sqlite3.Connection``); and through ``self.<attribute>`` when the
class assigns such a thing to that attribute. Each is mapped, by the longest dotted prefix, to a
fake from the table below; an imported third-party module with no entry gets a fixture with
``unittest.mock``. Standard-library modules with no entry, the project's own packages, and
frameworks a test reaches through their own test client (``FRAMEWORKS``) need no isolation and
are left out. Time and dates need a clock fake only where the clock is read (``CLOCK_READS``):
``timedelta`` arithmetic on a stored date is plain code, and so is reading a value stored
earlier (``self.timestamp = time.monotonic()`` in ``__init__``, read by ``get_timestamp``): only
``__init__`` reads the clock.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from covgap.collect.code.code_facts import FileFacts, FunctionFacts
from covgap.markup import code_span as code
from covgap.model import Isolation

__all__ = ["CLOCK_READS", "FAKES", "FRAMEWORKS", "MAX_NAMES", "Fake", "isolation_for"]

#: Names listed per dependency (the first ones the function uses); the rest are counted.
MAX_NAMES = 6


@dataclass(frozen=True)
class Fake:
    """Dotted prefixes of a dependency, what it is, and how a test fakes it."""

    prefixes: tuple[str, ...]
    dependency: str
    fake: str
    how: str
    #: The distribution to add to the development dependencies ("" for pytest's own fixtures
    #: and the standard library).
    package: str = ""


#: Calls that read the clock: only these make a function need a clock fake.
CLOCK_READS: tuple[str, ...] = (
    "time.time",
    "time.time_ns",
    "time.monotonic",
    "time.monotonic_ns",
    "time.perf_counter",
    "time.perf_counter_ns",
    "time.localtime",
    "time.gmtime",
    "time.ctime",
    "time.asctime",
    "time.strftime",
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.datetime.today",
    "datetime.date.today",
    "arrow.now",
    "arrow.utcnow",
    "pendulum.now",
    "pendulum.today",
    "pendulum.yesterday",
    "pendulum.tomorrow",
    "django.utils.timezone.now",
    "django.utils.timezone.localdate",
    "django.utils.timezone.localtime",
)

#: Modules of time and dates whose other names are plain computation (``timedelta``, parsing,
#: formatting a given date): no fake.
_DATE_MODULES = frozenset(
    {"time", "datetime", "dateutil", "arrow", "pendulum", "zoneinfo", "calendar", "pytz"}
)

#: Frameworks and libraries a test does not fake: it reaches them through their own test client
#: (``analyze/harness.py``), or they are plain computation.
FRAMEWORKS = frozenset(
    {
        "fastapi",
        "starlette",
        "flask",
        "quart",
        "django",
        "rest_framework",
        "werkzeug",
        "click",
        "typer",
        "pydantic",
        "attr",
        "attrs",
        "marshmallow",
        "jinja2",
        "markupsafe",
        "typing_extensions",
        "anyio",
        "trio",
    }
)

#: The longest matching prefix wins ("os.environ" before "os.path" before "os").
FAKES: tuple[Fake, ...] = (
    Fake(
        ("requests",),
        "HTTP (requests)",
        "responses",
        "`@responses.activate`, and `responses.add(responses.GET, url, json=...)` per call",
        "responses",
    ),
    Fake(
        ("httpx",),
        "HTTP (httpx)",
        "respx",
        "`respx.mock`, and `respx.get(url).respond(...)`",
        "respx",
    ),
    Fake(
        ("aiohttp",),
        "HTTP (aiohttp)",
        "aioresponses",
        "`with aioresponses() as mocked: mocked.get(url, payload=...)`",
        "aioresponses",
    ),
    Fake(
        ("urllib.request", "http.client", "urllib3"),
        "HTTP (standard library)",
        "pytest-httpserver",
        "a local server: `httpserver.expect_request(path).respond_with_json(...)`",
        "pytest-httpserver",
    ),
    Fake(
        ("redis", "aioredis"),
        "Redis",
        "fakeredis",
        "`fakeredis.FakeRedis()` (or `FakeAsyncRedis`) in place of the client",
        "fakeredis",
    ),
    Fake(
        ("boto3", "botocore", "aiobotocore"),
        "AWS (boto3)",
        "moto",
        "`@mock_aws` around the test, and create the buckets or tables it expects",
        "moto",
    ),
    Fake(
        ("sqlalchemy", "sqlmodel"),
        "a database (SQLAlchemy)",
        "an in-memory SQLite engine",
        '`create_engine("sqlite://")` in a fixture, with the tables created',
    ),
    Fake(
        ("sqlite3",),
        "a database (sqlite3)",
        "an in-memory database",
        '`sqlite3.connect(":memory:")` in a fixture, with the schema created',
    ),
    Fake(
        ("psycopg", "psycopg2", "asyncpg", "pymysql", "MySQLdb"),
        "a database server",
        "a throwaway database (pytest-postgresql) or unittest.mock",
        "a fixture that yields a connection to a fresh database, or `mock.patch` on the driver",
        "pytest-postgresql",
    ),
    Fake(
        CLOCK_READS,
        "the clock",
        "time-machine",
        "`time_machine.travel(...)` (or freezegun's `freeze_time`) to fix the clock",
        "time-machine",
    ),
    Fake(
        ("time.sleep", "asyncio.sleep"),
        "waiting",
        "monkeypatch",
        "`monkeypatch.setattr` on the sleep with a function that returns at once, or pass a "
        "shorter delay",
    ),
    Fake(
        ("subprocess", "os.system", "os.popen", "asyncio.create_subprocess_exec"),
        "subprocesses",
        "pytest-subprocess",
        "the `fp` fixture: `fp.register([...], stdout=...)` per command",
        "pytest-subprocess",
    ),
    Fake(
        ("os.environ", "os.getenv", "os.putenv"),
        "environment variables",
        "monkeypatch",
        '`monkeypatch.setenv("NAME", "value")` / `monkeypatch.delenv(...)`',
    ),
    Fake(
        ("open", "pathlib", "shutil", "tempfile", "os.path", "os.remove", "os.makedirs", "glob"),
        "files",
        "tmp_path",
        "the `tmp_path` fixture: create the files the function reads, check what it writes",
    ),
    Fake(("input",), "the terminal", "monkeypatch", '`monkeypatch.setattr("builtins.input", ...)`'),
    Fake(
        ("celery",),
        "Celery tasks",
        "eager mode",
        "`app.conf.task_always_eager = True` (run tasks inline) in a fixture",
    ),
    Fake(
        ("random", "secrets", "uuid"),
        "randomness",
        "monkeypatch",
        "`monkeypatch.setattr` on the generator, or seed it, so the result is known",
    ),
    Fake(
        ("socket", "smtplib", "ftplib", "ssl"),
        "the network",
        "unittest.mock",
        "`mock.patch` on the connection, returning what the server would send",
    ),
)

_STDLIB = frozenset(sys.stdlib_module_names)

#: Calls whose result is a plain value: an attribute or module global bound to one
#: (``self.timestamp = time.monotonic()``, ``DEBUG = os.getenv("DEBUG")``) holds data, and
#: reading it reads neither the clock nor the environment.
_VALUE_READS = frozenset({*CLOCK_READS, "os.getenv", "os.environ.get"})


def isolation_for(
    facts: FunctionFacts,
    file_facts: FileFacts,
    own_packages: Iterable[str],
    module: str | None = None,
) -> tuple[Isolation, ...]:
    """The dependencies ``facts``' function touches, one entry per fake, in order of first use.

    ``module`` is the function's module's import name, for ``mock.patch`` targets.
    """
    own = frozenset(own_packages)
    by_dependency: dict[str, tuple[Fake, list[str]]] = {}
    injected: dict[str, str] = {}
    for shown, resolved in _uses(facts, file_facts):
        root = resolved.split(".")[0]
        if root in own or root == "__future__" or root in FRAMEWORKS:
            continue
        fake = _fake_for(resolved)
        if fake is None:
            if root in _STDLIB or root in _DATE_MODULES:
                continue
            fake = Fake(
                (root,),
                f"{code(root)} (third-party)",
                "unittest.mock",
                "a fixture with " + code(f'mock.patch("{_patch_target(shown, resolved, module)}")'),
            )
        entry = by_dependency.setdefault(fake.dependency, (fake, []))
        if shown not in entry[1]:
            entry[1].append(shown)
        injected.setdefault(fake.dependency, _inject(shown, facts, file_facts, module))
    for helper, shown in _clock_through_helpers(facts, file_facts):
        clock = _fake_for(CLOCK_READS[0])
        assert clock is not None
        entry = by_dependency.setdefault(clock.dependency, (clock, []))
        through = f"{shown} (through {helper}())"
        if through not in entry[1]:
            entry[1].append(through)
    return tuple(
        Isolation(
            dependency=fake.dependency,
            via=_names(via),
            fake=fake.fake,
            how=fake.how,
            inject=injected.get(fake.dependency, ""),
        )
        for fake, via in by_dependency.values()
    )


def _inject(shown: str, facts: FunctionFacts, file_facts: FileFacts, module: str | None) -> str:
    """Where a fake goes in when the function does not make the client itself."""
    root = shown.split(".")[0]
    if root in dict(facts.param_types):
        return f"passed as {code(root)}"
    if root == "self":
        attribute = shown.split(".")[1] if "." in shown else ""
        return f"given to the object as {code('self.' + attribute)}" if attribute else ""
    if root in file_facts.global_types and root not in file_facts.imports:
        where = f"{module}.{root}" if module else root
        return f"patched over the module global {code(where)} (`monkeypatch.setattr`)"
    return ""


def _clock_through_helpers(
    facts: FunctionFacts, file_facts: FileFacts
) -> Iterable[tuple[str, str]]:
    """(helper, clock read) for the functions of the same module (or methods of the same class)
    it calls that read the clock themselves: ``naturaltime`` calls ``_now()``, which calls
    ``datetime.now()``; the test fixes the clock all the same."""
    for call in facts.calls:
        name = call
        if call.startswith("self.") and facts.class_name is not None:
            name = f"{facts.class_name}.{call.removeprefix('self.')}"
        helper = file_facts.named(name)
        if helper is None or helper is facts:
            continue
        for shown, resolved in _uses(helper, file_facts):
            if resolved in CLOCK_READS or any(resolved.startswith(f"{c}.") for c in CLOCK_READS):
                yield call, shown


def _names(via: list[str]) -> tuple[str, ...]:
    """The first MAX_NAMES names, and how many more there are."""
    if len(via) <= MAX_NAMES:
        return tuple(via)
    return (*via[:MAX_NAMES], f"… {len(via) - MAX_NAMES} more")


def _uses(facts: FunctionFacts, file_facts: FileFacts) -> Iterable[tuple[str, str]]:
    """(as written, resolved dotted name) for every outside name the function uses: through a
    typed parameter, a module global (``r.get`` of ``r = redis.Redis()``), an import."""
    params = dict(facts.param_types)
    for reference in facts.references:
        root, _, rest = reference.partition(".")
        tail = f".{rest}" if rest else ""
        if root in params:
            yield reference, params[root] + tail
        elif root in file_facts.global_types:
            if file_facts.global_types[root] not in _VALUE_READS:
                yield reference, file_facts.global_types[root] + tail
        elif root in file_facts.imports:
            yield reference, file_facts.imports[root] + tail
        else:  # a built-in of interest: open, input
            yield reference, reference
    if facts.class_name is not None:
        attributes = file_facts.attribute_types.get(facts.class_name, {})
        for attribute in facts.self_attributes:
            if attribute in attributes and attributes[attribute] not in _VALUE_READS:
                yield f"self.{attribute}", attributes[attribute]


#: Every prefix of the table, to its fake.
_BY_PREFIX: dict[str, Fake] = {prefix: fake for fake in FAKES for prefix in fake.prefixes}


def _fake_for(resolved: str) -> Fake | None:
    """The fake of the longest dotted prefix of ``resolved`` in the table."""
    parts = resolved.split(".")
    for end in range(len(parts), 0, -1):
        fake = _BY_PREFIX.get(".".join(parts[:end]))
        if fake is not None:
            return fake
    return None


def _patch_target(shown: str, resolved: str, module: str | None) -> str:
    """Where to patch: the name in the function's module when an import bound it there
    (``from stripe import Charge``: ``app.billing.Charge``), else the dotted name itself."""
    shown_root = shown.split(".")[0]
    if module and shown_root != resolved.split(".")[0]:
        return f"{module}.{shown_root}"
    parts: Sequence[str] = resolved.split(".")
    return ".".join(parts[:3])
