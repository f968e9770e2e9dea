"""Flaky tests across recorded runs: a test that both passed and failed on the same code (pure).

Runs ran the same code when they are of the same commit with a clean work tree, or when they
were recorded together (one batch: ``covgap flaky``'s re-runs); ``TestRun.code_key``. A run on a
work tree with changes not committed is compared with nothing else: its code is not known. A
test failed in a run when its outcome, or the second outcome pytest counts for it (an error in
teardown), is ``failed`` or ``error``; it passed when it is ``passed`` and nothing failed.
Skipped, xfailed and xpassed outcomes count as neither. docs/history.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from covgap.model import FlakyRecord, RunMark, TestOutcome, TestRun

__all__ = ["failed", "find_flaky", "passed"]

_FAILING = frozenset({"failed", "error"})


def failed(outcome: TestOutcome) -> bool:
    """The test failed or errored (in its call, setup or teardown)."""
    return outcome.outcome in _FAILING or outcome.also in _FAILING


def passed(outcome: TestOutcome) -> bool:
    return outcome.outcome == "passed" and not failed(outcome)


def _groups(runs: Iterable[TestRun]) -> list[list[TestRun]]:
    """The runs by the code they ran, each group in run order."""
    groups: dict[tuple[str, str | int], list[TestRun]] = defaultdict(list)
    for run in sorted(runs, key=lambda run: run.id):
        groups[run.code_key].append(run)
    return [group for group in groups.values() if len(group) > 1]


def find_flaky(runs: Sequence[TestRun]) -> tuple[FlakyRecord, ...]:
    """Every test that passed in some run and failed in another of the same code, with how
    often it failed on such code, when it first and last failed there, and its last message.

    The most often failing first (then the most failures, the most recently seen).
    """
    # per test: (runs, failures, failing (mark, message) in order, commits)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failing: dict[str, list[tuple[RunMark, str]]] = defaultdict(list)
    commits: dict[str, dict[str, None]] = defaultdict(dict)
    for group in _groups(runs):
        seen: dict[str, list[tuple[TestRun, TestOutcome]]] = defaultdict(list)
        for run in group:
            for outcome in run.outcomes:
                if failed(outcome) or passed(outcome):
                    seen[outcome.nodeid].append((run, outcome))
        for nodeid, results in seen.items():
            fails = [(run, outcome) for run, outcome in results if failed(outcome)]
            if not fails or len(fails) == len(results):
                continue
            counts[nodeid][0] += len(results)
            counts[nodeid][1] += len(fails)
            failing[nodeid] += [(run.mark, outcome.message) for run, outcome in fails]
            first = group[0]
            if first.code_key[0] == "commit" and first.commit is not None:
                commits[nodeid][first.commit] = None
    records = []
    for nodeid, (total, failures) in counts.items():
        marks = sorted(failing[nodeid], key=lambda item: item[0].run_id)
        records.append(
            FlakyRecord(
                nodeid=nodeid,
                runs=total,
                failures=failures,
                first_seen=marks[0][0],
                last_seen=marks[-1][0],
                message=marks[-1][1],
                commits=tuple(commits[nodeid]),
            )
        )
    return tuple(
        sorted(
            records,
            key=lambda r: (-r.frequency, -r.failures, -r.last_seen.run_id, r.nodeid),
        )
    )
