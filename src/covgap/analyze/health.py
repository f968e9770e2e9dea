"""The suite's health: its failing tests grouped by cause, each cause with what to do about it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, cast

from covgap.model import FailureGroup, SuiteHealth, TestOutcome

__all__ = [
    "ASSERTION",
    "ASYNC",
    "COLLECTION",
    "EXCEPTION_PREFIX",
    "IMPORT",
    "OTHER",
    "SETUP",
    "TEARDOWN",
    "TIMEOUT",
    "UNEXPECTED_PASS",
    "advice_for",
    "assess",
    "cause_of",
    "exception_type",
]

IMPORT = "import error"
COLLECTION = "collection error"
SETUP = "fixture or setup error"
TEARDOWN = "teardown error"
TIMEOUT = "timeout"
ASYNC = "async misuse"
ASSERTION = "assertion failure"
UNEXPECTED_PASS = "unexpected pass"
OTHER = "other"
#: The prefix of the causes named after an exception type: "exception: KeyError".
EXCEPTION_PREFIX = "exception: "

_ADVICE = {
    IMPORT: "Install the missing package or fix the import; no test in a module that fails to "
    "import runs, so none of them covers anything.",
    COLLECTION: "Fix the test module so that pytest can import it (a syntax error or an error "
    "raised at import time); none of its tests ran.",
    SETUP: "Fix the fixture or setup step the message names (a missing fixture, or one that "
    "raises); the test body never ran, so it covered nothing.",
    TEARDOWN: "Fix the fixture's cleanup (the code after its yield, or a finalizer); the test "
    "itself ran, but its cleanup may leave state behind for the tests after it.",
    TIMEOUT: "Find out why the test hangs or is slow (a network call, a lock, a long sleep) or "
    "give it more time; a stopped test covers only what ran before it was stopped.",
    ASYNC: "Install and configure an async plugin (pytest-asyncio or anyio) or await the "
    "coroutine; an async test that is never awaited tests nothing.",
    ASSERTION: "The code does not do what the test expects: fix the code, or the test when its "
    "expectation is wrong.",
    UNEXPECTED_PASS: "A strict xfail test passed: the bug it marks looks fixed, so remove the "
    "xfail marker.",
    OTHER: "Read the test's output: its message does not tell the cause.",
}

_TIMEOUT = re.compile(r"\bTimeout \(?>\s*\d")
_ASYNC = re.compile(
    r"was never awaited"
    r"|async def functions are not natively supported"
    r"|PytestUnhandledCoroutineWarning"
    r"|no running event loop"
    r"|There is no current event loop",
    re.IGNORECASE,
)
_IMPORT = re.compile(r"^(?:\w+\.)*(?:ModuleNotFoundError|ImportError)\b")
_ASSERTION = re.compile(r"^(?:assert\b|AssertionError\b)")
#: "ValueError: msg", "pkg.mod.Error: msg", "KeyError" alone; "E   " before it is dropped.
_EXCEPTION = re.compile(
    r"^(?:E\s+)?(?P<type>(?:[A-Za-z_]\w*\.)*(?P<name>[A-Z]\w*))"
    r"(?::\s|:$|(?<=Error)$|(?<=Exception)$|(?<=Warning)$|(?<=Exit)$|(?<=Interrupt)$"
    r"|(?<=Iteration)$)"
)
_STOPPED = "the run was stopped while this test was running"


def exception_type(message: str) -> str | None:
    """The exception's class name in a message like "pkg.Error: msg" ("Error"), or None."""
    match = _EXCEPTION.match(message.strip())
    return match.group("name") if match is not None else None


def cause_of(test: TestOutcome) -> str:
    """The cause a failed or errored test is grouped under, from its message and phase.

    In order: a pytest-timeout message is a timeout; an async test without a plugin (or an
    un-awaited coroutine, or no event loop) is async misuse; a strict XPASS is an unexpected
    pass; an ImportError or ModuleNotFoundError is an import error in any phase; any other
    failure to collect is a collection error; a failure in setup or teardown is a fixture or
    setup error, or a teardown error; then an assertion, then an exception by its type
    ("exception: KeyError"), and "other" when the message says none of these.
    """
    message = test.message.strip()
    if _TIMEOUT.search(message):
        return TIMEOUT
    if _ASYNC.search(message):
        return ASYNC
    if message.startswith("[XPASS(strict)]"):
        return UNEXPECTED_PASS
    if _IMPORT.match(message):
        return IMPORT
    if test.phase == "collect":
        return COLLECTION
    if test.phase == "setup":
        return SETUP
    if test.phase == "teardown":
        return TEARDOWN
    if _ASSERTION.match(message):
        return ASSERTION
    name = exception_type(message)
    if name is not None:
        return EXCEPTION_PREFIX + name
    return OTHER


def advice_for(cause: str) -> str:
    """What to do about a cause, in one sentence."""
    if cause.startswith(EXCEPTION_PREFIX):
        name = cause[len(EXCEPTION_PREFIX) :]
        return (
            f"The code raised {name} where the test did not expect it: fix its cause, or make "
            "the test expect it."
        )
    return _ADVICE.get(cause, _ADVICE[OTHER])


def assess(
    tests: Sequence[TestOutcome],
    *,
    source: str,
    stopped: str | None = None,
    running: str | None = None,
) -> SuiteHealth:
    """The suite's health: its tests, and the failed and errored ones grouped by cause.

    ``source`` is "junit-xml" or "events"; ``stopped`` says why the run did not finish by
    itself; ``running`` is the test that was running when it was stopped: it is added (or its
    outcome replaced) as an error whose message is ``stopped``, and grouped as a timeout.
    Groups hold the most tests first, then go by cause; tests go by node id inside a group.
    """
    if source not in ("junit-xml", "events"):
        raise ValueError(f"source must be 'junit-xml' or 'events', not {source!r}")
    kind = cast(Literal["junit-xml", "events"], source)
    stopped_tests: set[str] = set()
    all_tests = list(tests)
    if running is not None:
        all_tests = [test for test in all_tests if test.nodeid != running]
        all_tests.append(TestOutcome(running, "error", 0.0, stopped or _STOPPED, "call"))
        stopped_tests.add(running)
    by_cause: dict[str, list[TestOutcome]] = {}
    for test in all_tests:
        if test.outcome not in ("failed", "error"):
            continue
        cause = TIMEOUT if test.nodeid in stopped_tests else cause_of(test)
        by_cause.setdefault(cause, []).append(test)
    groups = tuple(
        FailureGroup(
            cause,
            advice_for(cause),
            tuple(sorted(members, key=lambda test: (test.nodeid, test.phase))),
        )
        for cause, members in sorted(by_cause.items(), key=lambda item: (-len(item[1]), item[0]))
    )
    return SuiteHealth(tuple(all_tests), groups, kind, stopped)
