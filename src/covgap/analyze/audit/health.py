"""Suite health from covgap's run of it: a stopped run, failing tests by cause, slow tests."""

from __future__ import annotations

from covgap.analyze.audit.rules import _finding
from covgap.model import Evidence, Finding, SuiteHealth

#: A test slower than this (seconds) is listed.
SLOW_TEST = 5.0


def _health_findings(health: SuiteHealth | None) -> list[Finding]:
    if health is None:
        return []
    findings: list[Finding] = []
    if health.stopped:
        findings.append(
            _finding(
                "health-stopped",
                f"the suite did not finish: {health.stopped}",
                [Evidence(".covgap/run/pytest.log", None, health.stopped)],
                "Whatever ran after the stop is not measured and its failures are not known.",
                "Fix the test named, or give it a per-test timeout.",
            )
        )
    for group in health.groups:
        tests = group.tests
        findings.append(
            _finding(
                "health-failures",
                f"{len(tests)} test{'s' if len(tests) != 1 else ''} fail: {group.cause}",
                [
                    Evidence(t.nodeid.split("::")[0], None, f"{t.nodeid}: {t.message}")
                    for t in tests[:5]
                ],
                "Failing tests stop measuring what they cover, and teach everyone to ignore red.",
                group.advice,
            )
        )
    slow = [test for test in health.slowest(10) if test.duration >= SLOW_TEST]
    if slow:
        findings.append(
            _finding(
                "health-slow",
                f"{len(slow)} test{'s' if len(slow) != 1 else ''} take {SLOW_TEST:g} s or more",
                [
                    Evidence(t.nodeid.split("::")[0], None, f"{t.nodeid}: {t.duration:.1f} s")
                    for t in slow
                ],
                "Slow tests get skipped locally; mark them (`@pytest.mark.slow`) or make them "
                "fast.",
                "",
            )
        )
    return findings
