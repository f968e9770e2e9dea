"""How a test reaches a function: route handlers, commands, entry points, async code."""

from __future__ import annotations

import pytest

from covgap.analyze.harness import harness_for
from covgap.collect.code.code_walk import facts_from_source


def _harness(source: str, name: str, path: str = "app/api.py") -> tuple[str, str] | None:
    facts = facts_from_source(source)
    function = next(f for f in facts.functions if f.name == name)
    found = harness_for(function, facts, path)
    return (found.kind, found.framework) if found is not None else None


@pytest.mark.parametrize(
    ("source", "name", "path", "expected"),
    [
        pytest.param(
            "from fastapi import APIRouter\nrouter = APIRouter()\n"
            "@router.post('/x')\nasync def f(): ...\n",
            "f",
            "app/api.py",
            ("route", "FastAPI"),
            id="fastapi-router",
        ),
        pytest.param(
            "from flask import Blueprint\nbp = Blueprint('b', __name__)\n"
            "@bp.route('/x', methods=['POST'])\ndef f(): ...\n",
            "f",
            "app/api.py",
            ("route", "Flask"),
            id="flask-blueprint",
        ),
        pytest.param(
            "from rest_framework.decorators import api_view\n"
            "@api_view(['GET'])\ndef f(request): ...\n",
            "f",
            "app/api.py",
            ("route", "Django REST framework"),
            id="drf-function",
        ),
        pytest.param(
            "from django.views import View\nclass Notes(View):\n    def get(self, request): ...\n",
            "Notes.get",
            "app/views.py",
            ("route", "Django"),
            id="django-class-based",
        ),
        pytest.param(
            "from django.http import HttpResponse\ndef index(request):\n"
            "    return HttpResponse('x')\n",
            "index",
            "app/views.py",
            ("route", "Django"),
            id="django-function-view",
        ),
        pytest.param(
            "import typer\napp = typer.Typer()\n@app.command()\ndef hello(name: str): ...\n",
            "hello",
            "app/cli.py",
            ("command", "typer"),
            id="typer",
        ),
        pytest.param(
            "import click\n@click.command()\n@click.option('--n')\ndef run(n): ...\n",
            "run",
            "app/cli.py",
            ("command", "click"),
            id="click-command",
        ),
        pytest.param(
            "import argparse\ndef main():\n    p = argparse.ArgumentParser()\n    p.parse_args()\n",
            "main",
            "app/cli.py",
            ("main", "argparse"),
            id="argparse-without-argv",
        ),
        pytest.param(
            "import anyio\nasync def f():\n    await anyio.sleep(0)\n",
            "f",
            "app/jobs.py",
            ("async", "anyio"),
            id="anyio",
        ),
        pytest.param(
            "def get(request): ...\n",
            "get",
            "app/api.py",
            None,
            id="a-plain-function",
        ),
        pytest.param(
            "from cachetools import cached\nfrom functools import lru_cache\n"
            "@lru_cache()\ndef get(x): ...\n",
            "get",
            "app/api.py",
            None,
            id="other-decorators",
        ),
    ],
)
def test_harness(source: str, name: str, path: str, expected: tuple[str, str] | None) -> None:
    """Each kind of entry point is recognised, and only those."""
    assert _harness(source, name, path) == expected
