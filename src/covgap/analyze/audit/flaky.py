"""Flaky tests of the recorded test runs: a finding each, with the fix that fits its likely
cause, guessed from its last failure's message and its name (docs/audit.md)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from covgap.analyze.audit.rules import _finding
from covgap.model import Evidence, Finding, FlakyRecord

__all__ = ["CAUSES", "likely_cause"]

#: (cause, what in the message or the name suggests it, the fix), first match wins.
CAUSES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "network",
        re.compile(
            r"connection|timed? ?out|socket|http|urlopen|requests\.|httpx|dns|resolve|"
            r"remote|network|\bapi\b|\burl",
            re.IGNORECASE,
        ),
        "Replace the network with a fake: `responses` (requests) or `respx` (httpx), or a "
        "local server fixture, so that the test never waits on the outside.",
    ),
    (
        "time",
        re.compile(
            r"datetime|\btime\b|\btimes?tamp|\bclock|\bnow\b|today|sleep|timezone|\bdate\b|"
            r"\bexpir|deadline|elapsed",
            re.IGNORECASE,
        ),
        "Freeze the clock: `time-machine` (`@time_machine.travel(...)`) or `freezegun`, "
        "instead of depending on when the test runs.",
    ),
    (
        "randomness",
        re.compile(r"random|shuffle|uuid|\bseed|hypothesis|faker|sample", re.IGNORECASE),
        "Seed the randomness (`random.seed(...)` in a fixture, or pytest-randomly's "
        "`-p randomly -p seed`) so that a failure reproduces.",
    ),
    (
        "shared state or order",
        re.compile(
            r"already exists|already registered|not empty|\bcache|global|singleton|"
            r"\bstate\b|order|leak|left ?over|duplicate|unique constraint|environ|"
            r"monkeypatch|database is locked|\bin use\b",
            re.IGNORECASE,
        ),
        "Isolate it from the tests before it: narrow the fixture's scope (function instead "
        "of module or session), or reset the global or cache it shares in a fixture "
        "(`monkeypatch`, a teardown); `pytest -p randomly` shows the order that breaks it.",
    ),
)
UNKNOWN = (
    "unknown",
    "Run `covgap flaky` to classify it: it re-runs the test on the same code and in another "
    "order, and names what changes its outcome.",
)


def likely_cause(record: FlakyRecord) -> tuple[str, str]:
    """(cause, fix): the first cause whose words the failure message has, else the test's
    name; ("unknown", run `covgap flaky`) when neither tells."""
    name = record.nodeid.rsplit("::", 1)[-1].replace("_", " ")  # test_expiry_at → its words
    for text in (record.message, name):
        for cause, pattern, fix in CAUSES:
            if pattern.search(text):
                return cause, fix
    return UNKNOWN


def _short(commit: str | None) -> str:
    return commit[:10] if commit else "uncommitted work"


def _flaky_findings(flaky: Sequence[FlakyRecord], latest_commit: str | None) -> list[Finding]:
    findings = []
    for record in flaky:
        cause, fix = likely_cause(record)
        latest = latest_commit is not None and record.last_seen.commit == latest_commit
        path = record.nodeid.split("::")[0]
        evidence = [
            Evidence(
                path,
                None,
                f"{record.nodeid}: failed {record.failures} of {record.runs} runs on the same "
                f"code ({record.frequency:.0%})",
            ),
            Evidence(
                path,
                None,
                f"first seen on {_short(record.first_seen.commit)} "
                f"({record.first_seen.recorded_at}), last seen on "
                f"{_short(record.last_seen.commit)} ({record.last_seen.recorded_at})",
            ),
        ]
        if record.message:
            evidence.append(Evidence(path, None, f"last failure: {record.message}"))
        findings.append(
            _finding(
                "health-flaky",
                f"flaky test {record.nodeid}: failed {record.failures} of {record.runs} runs"
                + (", on the latest commit" if latest else "")
                + f" (likely cause: {cause})",
                evidence,
                "A test that passes and fails on the same code teaches everyone to re-run red "
                "builds, and hides the real failures among its own.",
                fix,
                severity="high" if latest else "medium",
            )
        )
    return findings
