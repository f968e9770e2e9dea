"""The likely cause of a flaky test, and its fix, from its message and name."""

from __future__ import annotations

import pytest

from covgap.analyze.audit.flaky import likely_cause
from covgap.model import FlakyRecord, RunMark

MARK = RunMark(1, "2026-11-01T00:00:00Z", "a" * 40)


def _record(nodeid: str, message: str) -> FlakyRecord:
    return FlakyRecord(nodeid, 4, 1, MARK, MARK, message)


@pytest.mark.parametrize(
    ("nodeid", "message", "cause", "fix"),
    [
        ("t.py::test_fetch", "requests.exceptions.ConnectionError: refused", "network", "respx"),
        ("t.py::test_report", "assert date(2026, 1, 2) == today", "time", "freezegun"),
        ("t.py::test_pick", "AssertionError: random choice was 3", "randomness", "seed"),
        ("t.py::test_add", "UNIQUE constraint failed", "shared state or order", "scope"),
        ("t.py::test_expiry_at_midnight", "assert 1 == 2", "time", "time-machine"),
        ("t.py::test_add", "assert 1 == 2", "unknown", "covgap flaky"),
    ],
)  # fmt: skip
def test_likely_cause(nodeid: str, message: str, cause: str, fix: str) -> None:
    found, advice = likely_cause(_record(nodeid, message))
    assert found == cause
    assert fix in advice
