"""How a test reaches a function at the right level: a route handler through its framework's test
client, a command through its CLI runner, an async function through an async test runner.

A route handler is found by its decorator (``@app.get("/items/{id}")``, ``@bp.route(...)``,
``@router.post(...)``, ``@api_view``) on an object the module binds to a framework's application
or router (``app = FastAPI()``), or as a Django view (a function of a ``views.py`` taking
``request``, a method named after an HTTP verb of a class based on Django's or DRF's views). A
command: click's and typer's decorators, or a function that builds an ``argparse`` parser. The
test then requests the route or invokes the command, and checks the response or the output:
that covers what the route or command runs, at the level a user sees it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import PurePosixPath

from covgap.collect.code.ast_names import dotted_name
from covgap.collect.code.code_facts import FileFacts, FunctionFacts
from covgap.markup import code_span as code
from covgap.model import Harness

__all__ = ["HTTP_VERBS", "Harness", "harness_for"]

#: Decorator methods that declare a route.
HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
_ROUTE_METHODS = HTTP_VERBS | {"route", "api_route", "websocket"}


@dataclass(frozen=True)
class _Framework:
    name: str
    client: str
    fixture_how: str
    packages: tuple[str, ...]


#: Application and router types, by the dotted name their module binds them to.
_APPS: dict[str, _Framework] = {}
for _prefixes, _framework in (
    (
        ("fastapi.FastAPI", "fastapi.APIRouter", "fastapi.routing.APIRouter"),
        _Framework(
            "FastAPI",
            "`TestClient(app)` (`from fastapi.testclient import TestClient`)",
            "`TestClient(app)` from `fastapi.testclient`, on the application",
            ("httpx",),
        ),
    ),
    (
        ("starlette.applications.Starlette", "starlette.routing.Router"),
        _Framework(
            "Starlette",
            "`TestClient(app)` (`from starlette.testclient import TestClient`)",
            "`TestClient(app)` from `starlette.testclient`, on the application",
            ("httpx",),
        ),
    ),
    (
        ("flask.Flask", "flask.Blueprint"),
        _Framework(
            "Flask",
            "the application's `app.test_client()`",
            "`app.test_client()` of the application (`app.config['TESTING'] = True`)",
            (),
        ),
    ),
    (
        ("quart.Quart", "quart.Blueprint"),
        _Framework(
            "Quart",
            "the application's `app.test_client()` (in an async test)",
            "`app.test_client()` of the application",
            ("pytest-asyncio",),
        ),
    ),
    (
        ("aiohttp.web.RouteTableDef",),
        _Framework(
            "aiohttp",
            "pytest-aiohttp's `aiohttp_client(app)`",
            "`await aiohttp_client(app)` (pytest-aiohttp)",
            ("pytest-aiohttp",),
        ),
    ),
):
    for _prefix in _prefixes:
        _APPS[_prefix] = _framework

_DJANGO = _Framework(
    "Django",
    "the test client (pytest-django's `client` fixture, or `django.test.Client`)",
    "pytest-django's `client` (and `@pytest.mark.django_db` when the view reads the database)",
    ("pytest-django",),
)
_DRF = _Framework(
    "Django REST framework",
    "DRF's `APIClient` (`from rest_framework.test import APIClient`)",
    "`APIClient()` from `rest_framework.test` (with pytest-django for the database)",
    ("pytest-django",),
)


def harness_for(facts: FunctionFacts, file_facts: FileFacts, path: str) -> Harness | None:
    """How a test should reach the function, when a plain call is not the right level."""
    return (
        _route(facts, file_facts, path)
        or _command(facts, file_facts)
        or _argparse_main(facts, file_facts)
        or _async(facts, file_facts)
    )


def _resolve(dotted: str, file_facts: FileFacts) -> str:
    root, _, rest = dotted.partition(".")
    tail = f".{rest}" if rest else ""
    if root in file_facts.global_types:
        return file_facts.global_types[root] + tail
    if root in file_facts.imports:
        return file_facts.imports[root] + tail
    return dotted


def _decorator_calls(facts: FunctionFacts) -> list[tuple[str, ast.Call | None]]:
    """(the decorated-with dotted name, its call or None) per decorator that parses."""
    found: list[tuple[str, ast.Call | None]] = []
    for text in facts.decorators:
        try:
            node = ast.parse(text, mode="eval").body
        except SyntaxError:
            continue
        call = node if isinstance(node, ast.Call) else None
        dotted = dotted_name(call.func if call is not None else node)
        if dotted is not None:
            found.append((dotted, call))
    return found


def _first_string(call: ast.Call | None, keyword: str) -> str | None:
    if call is None:
        return None
    candidates = [*call.args[:1], *(k.value for k in call.keywords if k.arg == keyword)]
    for node in candidates:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
    return None


def _methods(call: ast.Call | None) -> list[str]:
    if call is None:
        return []
    for keyword in call.keywords:
        if keyword.arg == "methods" and isinstance(keyword.value, (ast.List, ast.Tuple)):
            return [
                e.value.lower()
                for e in keyword.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
    return []


def _route(facts: FunctionFacts, file_facts: FileFacts, path: str) -> Harness | None:
    for dotted, call in _decorator_calls(facts):
        owner, _, method = dotted.rpartition(".")
        if not owner or method not in _ROUTE_METHODS:
            continue
        resolved = _resolve(owner, file_facts)
        framework = _APPS.get(resolved) or _framework_of_imports(file_facts)
        if framework is None:
            continue
        route = _first_string(call, "path") or _first_string(call, "rule") or "/"
        verb = method if method in HTTP_VERBS else (_methods(call) or ["get"])[0]
        return _route_harness(framework, verb, route)
    if any(d.rpartition(".")[2] == "api_view" for d, _ in _decorator_calls(facts)):
        return _route_harness(_DRF, "get", "<url of the view>")
    django = _django_view(facts, file_facts, path)
    if django is not None:
        framework, verb = django
        return _route_harness(framework, verb, "<url of the view>")
    return None


def _framework_of_imports(file_facts: FileFacts) -> _Framework | None:
    """A route decorator on an object of unknown type (an application imported from another
    module): the web framework the module imports."""
    roots = {dotted.split(".")[0] for dotted in file_facts.imports.values()}
    for root, prefix in (
        ("fastapi", "fastapi.FastAPI"),
        ("flask", "flask.Flask"),
        ("starlette", "starlette.applications.Starlette"),
        ("quart", "quart.Quart"),
    ):
        if root in roots:
            return _APPS[prefix]
    return None


def _django_view(
    facts: FunctionFacts, file_facts: FileFacts, path: str
) -> tuple[_Framework, str] | None:
    roots = {dotted.split(".")[0] for dotted in file_facts.imports.values()}
    if facts.class_name is not None:
        method = facts.name.rpartition(".")[2]
        written = file_facts.class_bases.get(facts.name.rpartition(".")[0], ())
        bases = tuple(_resolve(base, file_facts) for base in written)
        if method not in HTTP_VERBS or not bases:
            return None
        if any(b.startswith("rest_framework.") for b in bases):
            return _DRF, method
        if any(b.startswith("django.") for b in bases):
            return _DJANGO, method
        return None
    in_views = PurePosixPath(path).name == "views.py"
    if "django" in roots and in_views and facts.params[:1] == ("request",):
        return _DJANGO, "get"
    return None


def _route_harness(framework: _Framework, verb: str, route: str) -> Harness:
    call = f'client.{verb}("{route}")'
    return Harness(
        kind="route",
        framework=framework.name,
        text=(
            f"A {framework.name} route: request it with {framework.client} — "
            f"{code(call)} — and check the status and the body"
        ),
        call=f"request it ({code(call)}) through {framework.name}'s test client",
        fixture="client",
        fixture_how=framework.fixture_how,
        packages=framework.packages,
    )


def _command(facts: FunctionFacts, file_facts: FileFacts) -> Harness | None:
    groups = _click_groups(file_facts)
    for dotted, _call in _decorator_calls(facts):
        resolved = _resolve(dotted, file_facts)
        owner, _, method = dotted.rpartition(".")
        owner_type = _resolve(owner, file_facts) if owner else ""
        if resolved in ("click.command", "click.group") or (
            method in ("command", "group") and (owner in groups or owner_type == "click.Group")
        ):
            return _runner("click", "click.testing", facts.name.rpartition(".")[2])
        if method in ("command", "callback") and owner_type == "typer.Typer":
            return _runner("typer", "typer.testing", owner)
    return None


def _click_groups(file_facts: FileFacts) -> set[str]:
    """Functions of the module decorated as click groups: ``@cli.command()`` hangs off them."""
    groups: set[str] = set()
    for function in file_facts.functions:
        for text in function.decorators:
            dotted = text.partition("(")[0]
            if _resolve(dotted, file_facts) == "click.group" or dotted.endswith(".group"):
                groups.add(function.name)
    return groups


def _runner(tool: str, module: str, target: str) -> Harness:
    call = f'runner.invoke({target}, ["…"])'
    return Harness(
        kind="command",
        framework=tool,
        text=(
            f"A {tool} command: invoke it with `CliRunner` (`from {module} import CliRunner`) — "
            f"{code(call)} — and check `result.exit_code` and `result.output`"
        ),
        call=f"invoke it ({code(call)}) with {tool}'s `CliRunner`",
        fixture="cli_runner",
        fixture_how=f"`CliRunner()` from `{module}`",
    )


def _argparse_main(facts: FunctionFacts, file_facts: FileFacts) -> Harness | None:
    uses = {_resolve(reference, file_facts) for reference in facts.references}
    parser = any(u.startswith("argparse.ArgumentParser") for u in uses)
    reads_argv = any(u.startswith("sys.argv") for u in uses)
    if not parser and not (reads_argv and facts.name == "main"):
        return None
    name = facts.name.rpartition(".")[2]
    if facts.params:
        call = f'{name}(["…"])'
        how = f"call it with the arguments as a list ({code(call)})"
    else:
        call = f'monkeypatch.setattr(sys, "argv", ["prog", "…"]); {name}()'
        how = f"set the arguments and call it ({code(call)})"
    return Harness(
        kind="main",
        framework="argparse",
        text=(
            f"A command-line entry point: {how}, read the output with `capsys`, and expect "
            "argparse's errors as `pytest.raises(SystemExit)`"
        ),
        call=f"{how} and read the output with `capsys`",
        fixture="capsys",
        fixture_how="pytest's `capsys` (built in)",
    )


def _async(facts: FunctionFacts, file_facts: FileFacts) -> Harness | None:
    if not facts.is_async:
        return None
    roots = {dotted.split(".")[0] for dotted in file_facts.imports.values()}
    if roots & {"anyio", "trio"}:
        return Harness(
            kind="async",
            framework="anyio",
            text="async: mark the test `@pytest.mark.anyio` (anyio's pytest plugin) and await it",
            call="await it in an `@pytest.mark.anyio` test",
            fixture="anyio_backend",
            fixture_how='`anyio_backend` returning `"asyncio"` (anyio\'s pytest plugin)',
            packages=("anyio",),
        )
    return Harness(
        kind="async",
        framework="asyncio",
        text=(
            "async: mark the test `@pytest.mark.asyncio` (pytest-asyncio; or "
            '`asyncio_mode = "auto"`), or use anyio, and await it'
        ),
        call="await it in an `@pytest.mark.asyncio` test",
        fixture="",
        fixture_how="",
        packages=("pytest-asyncio",),
    )
