"""Server evidence: what in a test module talks to a running server (HTTP, sockets, browsers)."""

from __future__ import annotations

import ast
import re

from covgap.collect.code.ast_names import dotted_name
from covgap.collect.suite.test_inventory.reading.reader import _Reader

_LOCAL_URL = re.compile(
    r"\b(?:https?|wss?)://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::\d+)?[^\s'\"]*"
)
#: Modules whose import makes a localhost URL literal server evidence (else it may be data).
_NETWORK_MODULES = frozenset(
    {
        "requests",
        "httpx",
        "aiohttp",
        "urllib.request",
        "urllib3",
        "http.client",
        "socket",
        "websocket",
        "websockets",
        "selenium",
        "playwright",
        "grpc",
    }
)
_NETWORK_PREFIXES = tuple(f"{name}." for name in _NETWORK_MODULES)
_HTTP_MOCKS = frozenset(
    {"responses", "requests_mock", "respx", "httpretty", "aioresponses", "pytest_httpx", "vcr"}
)
_HTTP_VERBS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"}
)
_HTTP_CLIENT_CLASSES = {
    "requests": frozenset({"Session"}),
    "httpx": frozenset({"Client", "AsyncClient"}),
    "aiohttp": frozenset({"ClientSession"}),
    "urllib3": frozenset({"PoolManager"}),
}


def _server_evidence(reader: _Reader, tree: ast.Module) -> tuple[list[tuple[int, str]], bool]:
    """(line, what) of the module's talk to a running server; and whether HTTP is mocked."""
    mocked = bool(reader.imported & _HTTP_MOCKS)
    found: list[tuple[int, str]] = []
    for top in ("selenium", "playwright"):
        if top in reader.imported:
            found.append((reader.import_lines.get(top, 1), f"{top} imported"))
    if not reader.server_lines:
        return found, mocked
    http_names = {name for name in _HTTP_CLIENT_CLASSES if name in reader.imported}
    networked = any(
        module in _NETWORK_MODULES or module.startswith(_NETWORK_PREFIXES)
        for module in reader.modules
    )
    for node in reader.server_lines.walk([tree]):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and networked
            and not mocked
        ):
            match = _LOCAL_URL.search(node.value)
            if match:
                found.append((node.lineno, f"URL {_short(match.group(0))}"))
        elif isinstance(node, ast.Call):
            what = _server_call(node, http_names, mocked)
            if what:
                found.append((node.lineno, what))
        elif isinstance(node, ast.arg) and node.arg == "live_server":
            found.append((node.lineno, "live_server fixture"))
        elif isinstance(node, ast.ClassDef) and any(
            (dotted_name(base) or "").endswith("LiveServerTestCase") for base in node.bases
        ):
            found.append((node.lineno, "LiveServerTestCase"))
    return sorted(set(found)), mocked


def _server_call(node: ast.Call, http_names: set[str], mocked: bool) -> str | None:
    name = dotted_name(node.func)
    if name is None:
        return None
    head, _, tail = name.partition(".")
    if not mocked:
        if head in http_names and (tail in _HTTP_VERBS or tail in _HTTP_CLIENT_CLASSES[head]):
            if head == "httpx" and any(kw.arg in ("app", "transport") for kw in node.keywords):
                return None
            return f"{name}() call"
        if name.endswith("urlopen") or name.rsplit(".", 1)[-1] in (
            "HTTPConnection",
            "HTTPSConnection",
        ):
            return f"{name}() call"
    if name in ("socket.create_connection", "websocket.create_connection", "websockets.connect"):
        return f"{name}() call"
    if (
        name.endswith(".connect")
        and node.args
        and isinstance(node.args[0], ast.Tuple)
        and len(node.args[0].elts) == 2
    ):
        return "socket connect"
    if head == "webdriver" and tail:
        return f"selenium {name}()"
    return None


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
