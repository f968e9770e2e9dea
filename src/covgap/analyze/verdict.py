"""``covgap run``'s exit code: did the suite pass, fail, collect nothing, or run out of time."""

from __future__ import annotations

from covgap.errors import ExitCode
from covgap.model import RunInfo, RunVerdict, SuiteHealth

__all__ = ["run_verdict"]

#: pytest's exit codes (``pytest.ExitCode``) that covgap run can meet after the suite started.
_PYTEST_MEANINGS = {
    1: "tests failed",
    2: "pytest was interrupted",
    3: "pytest hit an internal error",
    4: "pytest was given a usage error",
}


def _failures(health: SuiteHealth) -> str:
    """ "2 failed, 1 error" as pytest's summary counts them (a strict XPASS counts as failed);
    "" when none failed."""
    failed, errors = health.count("failed"), health.count("error")
    parts = [f"{failed} failed"] if failed else []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    return ", ".join(parts)


def run_verdict(health: SuiteHealth, run: RunInfo, *, allow_failures: bool) -> RunVerdict:
    """The exit code for a finished ``covgap run`` (docs/messages.md), most serious first.

    - cut by ``--timeout``: 124, whatever the tests did until then;
    - pytest collected no test (its code 5): 5;
    - a test failed or errored, or pytest ended otherwise than by passing (interrupted, killed
      by a signal, a collection error): 1, or 0 with ``allow_failures``;
    - else 0.
    """
    if run.timed_out:
        return RunVerdict(int(ExitCode.TIMED_OUT), health.stopped or "cut by --timeout")
    code = run.pytest_exit_code
    if code == 5:
        return RunVerdict(
            int(ExitCode.NO_TESTS), "pytest ran no tests (none collected, or all deselected)"
        )
    failures = _failures(health)
    if failures or (code is not None and code != 0):
        if code is not None and code < 0:
            reason = health.stopped or f"pytest was killed by signal {-code}"
        elif code in (2, 3, 4) or not failures:
            reason = health.stopped or _PYTEST_MEANINGS.get(code or 1, f"pytest exit code {code}")
            if failures:
                reason += f" ({failures})"
        else:
            reason = failures
        if allow_failures:
            return RunVerdict(int(ExitCode.OK), reason, failures_allowed=True)
        return RunVerdict(int(ExitCode.TESTS_FAILED), reason)
    return RunVerdict(int(ExitCode.OK), "passed")
