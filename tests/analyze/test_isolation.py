"""Isolation: the dependencies a function touches, mapped to the fake for each."""

from __future__ import annotations

import pytest

from covgap.analyze.isolation import isolation_for
from covgap.collect.code.code_walk import facts_from_source


def fakes(
    source: str, name: str = "f", line: int | None = None
) -> list[tuple[str, str, tuple[str, ...]]]:
    facts = facts_from_source(source)
    function = next(f for f in facts.functions if f.name == name)
    found = isolation_for(function, facts, own_packages={"shop"}, module="shop.orders")
    return [(i.dependency, i.fake, i.via) for i in found]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            "import requests\ndef f():\n    return requests.get('u')\n",
            [("HTTP (requests)", "responses", ("requests.get",))],
            id="requests",
        ),
        pytest.param(
            "import httpx\nasync def f():\n"
            "    async with httpx.AsyncClient() as c:\n        return await c.get('u')\n",
            [("HTTP (httpx)", "respx", ("httpx.AsyncClient",))],
            id="httpx",
        ),
        pytest.param(
            "import aiohttp\nasync def f():\n    return aiohttp.ClientSession()\n",
            [("HTTP (aiohttp)", "aioresponses", ("aiohttp.ClientSession",))],
            id="aiohttp",
        ),
        pytest.param(
            "from redis import Redis\ndef f():\n    return Redis().get('k')\n",
            [("Redis", "fakeredis", ("Redis",))],
            id="redis",
        ),
        pytest.param(
            "import boto3\ndef f():\n    return boto3.client('s3')\n",
            [("AWS (boto3)", "moto", ("boto3.client",))],
            id="boto3",
        ),
        pytest.param(
            "from sqlalchemy import create_engine\ndef f(url):\n    return create_engine(url)\n",
            [("a database (SQLAlchemy)", "an in-memory SQLite engine", ("create_engine",))],
            id="sqlalchemy",
        ),
        pytest.param(
            "import datetime as dt\ndef f():\n    return dt.date.today()\n",
            [("the clock", "time-machine", ("dt.date.today",))],
            id="dates",
        ),
        pytest.param(
            "from datetime import datetime, timezone\n"
            "def f():\n    return datetime.now(tz=timezone.utc).isoformat()\n",
            [("the clock", "time-machine", ("datetime.now",))],
            id="datetime-now",
        ),
        pytest.param(
            "import datetime as dt\ndef f(issued):\n    return issued + dt.timedelta(days=30)\n",
            [],
            id="timedelta-on-a-stored-date-reads-no-clock",
        ),
        pytest.param(
            "import time\nfrom dateutil import parser\n"
            "def f(text):\n    return parser.parse(text), time.strptime(text, '%Y')\n",
            [],
            id="parsing-dates-reads-no-clock",
        ),
        pytest.param(
            "import time\ndef f():\n    time.sleep(5)\n",
            [("waiting", "monkeypatch", ("time.sleep",))],
            id="sleep-is-not-a-clock",
        ),
        pytest.param(
            "import redis\nr = redis.Redis()\ndef f(key):\n    return r.get(key)\n",
            [("Redis", "fakeredis", ("r.get",))],
            id="module-global-client",
        ),
        pytest.param(
            "import redis\nr = redis.Redis()\ndef f(r):\n    return r.get('k')\n",
            [],
            id="a-parameter-hides-the-global",
        ),
        pytest.param(
            "import sqlite3\ndef f(conn: sqlite3.Connection):\n"
            "    return conn.execute('select 1')\n",
            [("a database (sqlite3)", "an in-memory database", ("conn.execute",))],
            id="typed-parameter",
        ),
        pytest.param(
            "from fastapi import FastAPI, HTTPException\napp = FastAPI()\n"
            "@app.get('/x')\ndef f():\n    raise HTTPException(404)\n",
            [],
            id="frameworks-are-reached-not-faked",
        ),
        pytest.param(
            "import subprocess\ndef f():\n    subprocess.check_call(['ls'])\n",
            [("subprocesses", "pytest-subprocess", ("subprocess.check_call",))],
            id="subprocess",
        ),
        pytest.param(
            "import os\ndef f():\n    return os.environ['X'], os.path.join('a')\n",
            [
                ("environment variables", "monkeypatch", ("os.environ",)),
                ("files", "tmp_path", ("os.path.join",)),
            ],
            id="environ-and-files",
        ),
        pytest.param(
            "def f(p):\n    with open(p) as h:\n        return h.read()\n",
            [("files", "tmp_path", ("open",))],
            id="open",
        ),
        pytest.param(
            "from celery import shared_task\n@shared_task\ndef f():\n    return f.delay()\n",
            [("Celery tasks", "eager mode", ("shared_task",))],
            id="celery-decorator",
        ),
        pytest.param(
            "import json\nfrom shop import models\n"
            "def f(x):\n    return json.dumps(models.load(x))\n",
            [],
            id="stdlib-and-own-code-need-nothing",
        ),
    ],
)
def test_known_dependencies(source: str, expected: list[tuple[str, str, tuple[str, ...]]]) -> None:
    """Each known dependency gets its fake, with the names that reach it."""
    assert fakes(source) == expected


def test_unknown_third_party_gets_a_mock_at_the_right_place() -> None:
    """A from-import is patched where the function looks it up; a module import on the module."""
    source = (
        "import stripe\nfrom twilio.rest import Client\n"
        "def f():\n    stripe.Charge.create()\n    Client().send()\n"
    )
    facts = facts_from_source(source)
    function = next(f for f in facts.functions if f.name == "f")
    found = isolation_for(function, facts, own_packages=set(), module="shop.orders")
    assert [(i.dependency, i.how) for i in found] == [
        ("`stripe` (third-party)", 'a fixture with `mock.patch("stripe.Charge.create")`'),
        ("`twilio` (third-party)", 'a fixture with `mock.patch("shop.orders.Client")`'),
    ]


def test_dependencies_through_self_attributes() -> None:
    """A method using self.session, set to requests.Session() in __init__, needs responses."""
    source = (
        "import requests\n"
        "class Api:\n"
        "    def __init__(self):\n        self.session = requests.Session()\n"
        "    def fetch(self):\n        return self.session.get('u')\n"
    )
    assert fakes(source, name="Api.fetch") == [("HTTP (requests)", "responses", ("self.session",))]


def test_a_stored_reading_of_the_clock_is_plain_data() -> None:
    """``self.timestamp = time.monotonic()`` in ``__init__``: ``__init__`` reads the clock,
    ``get_timestamp`` only returns what was stored; the same for a module global."""
    source = (
        "import os, time\n"
        "STARTED = time.time()\nDEBUG = os.getenv('DEBUG')\n"
        "class Stamp:\n"
        "    def __init__(self):\n        self.timestamp = time.monotonic()\n"
        "    def get_timestamp(self):\n        return self.timestamp\n"
        "def uptime():\n    return STARTED, DEBUG\n"
    )
    assert fakes(source, name="Stamp.__init__") == [
        ("the clock", "time-machine", ("time.monotonic",))
    ]
    assert fakes(source, name="Stamp.get_timestamp") == []
    assert fakes(source, name="uptime") == []


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "import sqlite3\nfrom typing import Optional\n"
            "class Repo:\n"
            "    def __init__(self, conn: Optional[sqlite3.Connection]):\n"
            "        self.conn = conn\n"
            "    def find(self):\n        return self.conn.execute('select 1')\n",
            id="typed-init-parameter",
        ),
        pytest.param(
            "import sqlite3\n"
            "class Repo:\n"
            "    conn = sqlite3.connect(':memory:')\n"
            "    def find(self):\n        return self.conn.execute('select 1')\n",
            id="class-attribute",
        ),
    ],
)
def test_repository_attributes(source: str) -> None:
    """A repository's connection, typed in __init__ or set on the class, is a database."""
    assert fakes(source, name="Repo.find") == [
        ("a database (sqlite3)", "an in-memory database", ("self.conn",))
    ]


def test_names_are_capped() -> None:
    """A function using many names of one dependency lists the first six and counts the rest."""
    names = [f"n{i}" for i in range(8)]
    source = f"from lib import {', '.join(names)}\ndef f():\n    return [{', '.join(names)}]\n"
    ((dependency, _fake, via),) = fakes(source)
    assert dependency == "`lib` (third-party)"
    assert via == ("n0", "n1", "n2", "n3", "n4", "n5", "… 2 more")


def test_the_clock_read_by_a_helper_of_the_module_is_faked_too() -> None:
    """``naturaltime`` calls ``_now()``, which reads the clock: its test fixes the clock."""
    source = (
        "import datetime as dt\n"
        "def _now():\n    return dt.datetime.now()\n"
        "def naturaltime(value):\n    return _now() - value\n"
        "def plain(value):\n    return value\n"
    )
    assert fakes(source, name="naturaltime") == [
        ("the clock", "time-machine", ("dt.datetime.now (through _now())",))
    ]
    assert fakes(source, name="plain") == []
