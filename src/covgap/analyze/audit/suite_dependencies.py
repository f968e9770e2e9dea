"""The development dependencies the suite needs for the code: an async runner, an HTTP fake."""

from __future__ import annotations

from covgap.analyze.audit.rules import _finding
from covgap.analyze.fixes import dependency_fix
from covgap.collect.project.audit_inputs import AuditFacts
from covgap.collect.project.project_config import normalize_name
from covgap.model import Evidence, Finding

#: Libraries that run async tests.
ASYNC_RUNNERS = ("pytest-asyncio", "anyio", "pytest-trio", "pytest-aiohttp", "pytest-tornasync")
#: HTTP client → the libraries that fake it in tests.
HTTP_FAKES: dict[str, tuple[str, ...]] = {
    "requests": ("responses", "requests-mock", "pytest-httpserver", "vcrpy", "pytest-recording",
                 "betamax", "httpretty", "requests-mock"),
    "httpx": ("respx", "pytest-httpx", "pytest-httpserver", "vcrpy", "pytest-recording"),
    "aiohttp": ("aioresponses", "pytest-aiohttp", "pytest-httpserver", "vcrpy"),
    "urllib3": ("pytest-httpserver", "vcrpy", "pytest-recording", "httpretty", "responses"),
}  # fmt: skip


def _dependency_findings(facts: AuditFacts) -> list[Finding]:
    deps, sources = facts.dependencies, facts.sources
    findings: list[Finding] = []
    # unittest's IsolatedAsyncioTestCase (and aiohttp's AioHTTPTestCase) run their own loop.
    async_tests = [
        item
        for module in facts.inventory.modules
        for item in module.items
        if item.is_async and not item.unittest
    ]
    is_runner = facts.pytest_plugin and normalize_name(facts.project_name or "") in ASYNC_RUNNERS
    unittest_async = any(
        item.is_async and item.unittest
        for module in facts.inventory.modules
        for item in module.items
    )
    needed = async_tests or (sources.async_code and not unittest_async)
    if needed and not deps.has_any(ASYNC_RUNNERS) and not is_runner:
        evidence = (
            Evidence(async_tests[0].path, async_tests[0].line, f"async def {async_tests[0].name}")
            if async_tests
            else Evidence(sources.async_code[0], sources.async_code[1], "async def")  # type: ignore[index]
        )
        path, snippet = dependency_fix(deps.home, ["pytest-asyncio"])
        findings.append(
            _finding(
                "deps-async-runner",
                "async code but no async test runner (pytest-asyncio, anyio, pytest-trio)"
                + (f": {len(async_tests)} async tests" if async_tests else ""),
                [evidence],
                "pytest does not run `async def` tests by itself: it skips them with a "
                'warning, and they pass without running a line ("coroutine was never awaited").'
                if async_tests
                else "Testing the async code needs a runner for `async def` tests (or "
                "`asyncio.run` in every test).",
                snippet,
                path,
                severity="high" if async_tests else "low",
            )
        )
    for client, (where, line, text) in sorted(sources.http_clients.items()):
        fakes = HTTP_FAKES.get(client, ())
        if fakes and not deps.has_any(fakes):
            path, snippet = dependency_fix(deps.home, [fakes[0]])
            findings.append(
                _finding(
                    "deps-http-fake",
                    f"the code uses {client} and no library that fakes it is a development "
                    f"dependency ({', '.join(fakes[:3])}…)",
                    [Evidence(where, line, text)],
                    "Without a fake, code that calls out is either untested or tested against "
                    "the real service (slow, flaky, needs the network).",
                    snippet,
                    path,
                )
            )
    return findings
