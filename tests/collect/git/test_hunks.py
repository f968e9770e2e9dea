"""Tests for the pure half of churn: parsing ``git log -p -U0`` and carrying lines back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covgap.collect.git.churn import FileChurn
from covgap.collect.git.hunks import (
    Hunk,
    diff_header_path,
    line_runs,
    parse_hunk_header,
    pull_back,
    unquote_path,
)

# -- parsing and line runs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "hunk"),
    [
        (b"@@ -3,0 +4 @@ def f():\n", (3, 0, 3, 1)),  # one line inserted after line 3
        (b"@@ -4,2 +3,0 @@\n", (3, 2, 3, 0)),  # lines 4-5 deleted, after new line 3
        (b"@@ -0,0 +1,5 @@\n", (0, 0, 0, 5)),  # a new file
        (b"@@ -7 +7 @@ x\n", (6, 1, 6, 1)),  # counts of 1 are left out
        (b"@@ -1,3 +0,0 @@\n", (0, 3, 0, 0)),  # everything deleted
    ],
)
def test_parse_hunk_header(line: bytes, hunk: Hunk) -> None:
    """Hunk headers become git's 0-based starts (lines before the hunk) and counts."""
    assert parse_hunk_header(line) == hunk


@pytest.mark.parametrize(
    ("line", "path"),
    [
        (b"diff --git a/src/m.py b/src/m.py\n", "src/m.py"),
        (b"diff --git a/x b/y.py b/x b/y.py\n", "x b/y.py"),  # " b/" inside the name
        (b'diff --git "a/caf\\303\\251 \\"q\\".py" "b/caf\\303\\251 \\"q\\".py"\n', 'café "q".py'),
        (b'diff --git "a/tab\\there.py" "b/tab\\there.py"\n', "tab\there.py"),
        (b"diff --git a/old.py b/new.py\n", None),  # a rename: never asked for
    ],
)
def test_diff_header_path(line: bytes, path: str | None) -> None:
    """The path of a diff header, quoted or not, even with spaces and " b/" in it."""
    assert diff_header_path(line) == path


@pytest.mark.parametrize(
    ("lines", "runs"),
    [
        ([], []),
        ([5], [(4, 5)]),
        (range(3, 8), [(2, 7)]),
        ([9, 1, 2, 2, 3, 7], [(0, 3), (6, 7), (8, 9)]),  # unsorted, repeated
    ],
)
def test_line_runs(lines: list[int], runs: list[tuple[int, int]]) -> None:
    """Lines group into runs of consecutive numbers, as 0-based half-open ranges."""
    assert line_runs(lines) == runs


def test_unquote_path_keeps_bytes() -> None:
    """Octal escapes are bytes, not characters: a UTF-8 name comes back whole."""
    assert unquote_path(b'"\\316\\273.py"').decode() == "λ.py"
    assert unquote_path(b"plain.py") == b"plain.py"


@pytest.mark.parametrize(
    ("start", "end", "hunks", "expected"),
    [
        # The range is lines 5-10 ([4, 10) 0-based) of the commit's version of the file.
        pytest.param(4, 10, [(0, 0, 0, 3)], (False, 1, 7), id="insert-above-shifts"),
        pytest.param(4, 10, [(20, 1, 20, 1)], (False, 4, 10), id="change-below-ignored"),
        pytest.param(4, 10, [(6, 1, 6, 1)], (True, 4, 10), id="change-inside"),
        pytest.param(4, 10, [(6, 0, 6, 2)], (True, 4, 8), id="insert-inside-shrinks"),
        pytest.param(4, 10, [(6, 3, 6, 0)], (True, 4, 13), id="delete-inside-grows"),
        pytest.param(4, 10, [(4, 3, 4, 0)], (False, 7, 13), id="delete-at-start-not-inside"),
        pytest.param(4, 10, [(10, 3, 10, 0)], (False, 4, 10), id="delete-at-end-not-inside"),
        pytest.param(4, 10, [(2, 1, 2, 3)], (True, 2, 8), id="overlap-start"),
        pytest.param(4, 10, [(8, 5, 8, 4)], (True, 4, 13), id="overlap-end"),
        pytest.param(4, 10, [(3, 0, 3, 8)], (True, 3, 3), id="all-new-empty"),
        pytest.param(4, 10, [(3, 2, 3, 8)], (True, 3, 5), id="all-rewritten"),
        pytest.param(
            4, 10, [(0, 2, 0, 0), (5, 1, 3, 2), (9, 0, 8, 1), (30, 1, 30, 0)], (True, 5, 10),
            id="several",
        ),
    ],
)  # fmt: skip
def test_pull_back(
    start: int, end: int, hunks: list[Hunk], expected: tuple[bool, int, int]
) -> None:
    """A range crosses a commit's hunks to its parent the way git log -L carries it."""
    assert pull_back(start, end, hunks) == expected


# -- the property: pull_back's arithmetic against line-by-line sets --------------------------------

#: One hunk to make: unchanged lines before it (at least 1 after another hunk), lines deleted,
#: lines inserted.
EDITS = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3), st.integers(0, 3)), max_size=4)


def apply(
    lines: list[int], edits: list[tuple[int, int, int]], new_ids: Iterator[int]
) -> tuple[list[int], list[Hunk]]:
    """The file after the edits, and their hunks; every inserted line gets a new id."""
    out: list[int] = []
    hunks: list[Hunk] = []
    position = 0
    for index, (gap, deleted, inserted) in enumerate(edits):
        gap = max(gap, 0 if index == 0 or not hunks else 1)
        if position + gap > len(lines):
            break
        out += lines[position : position + gap]
        position += gap
        deleted = min(deleted, len(lines) - position)
        if not deleted and not inserted:
            continue
        hunks.append((position, deleted, len(out), inserted))
        out += [next(new_ids) for _ in range(inserted)]
        position += deleted
    return out + lines[position:], hunks


def oracle(lines: set[int], hunks: list[Hunk], old_length: int) -> tuple[bool, set[int]]:
    """git -L's step on an explicit set of 0-based lines, one line at a time."""
    new_to_old: dict[int, int] = {}
    old = new = 0
    for old_start, old_count, _, new_count in [*hunks, (old_length, 0, -1, 0)]:
        while old < old_start:
            new_to_old[new] = old
            old, new = old + 1, new + 1
        old, new = old + old_count, new + new_count
    touched = False
    parent = {new_to_old[line] for line in lines if line in new_to_old}
    for old_start, old_count, new_start, new_count in hunks:
        added = set(range(new_start, new_start + new_count))
        if (added & lines) if new_count else {new_start - 1, new_start} <= lines:
            touched = True
            parent |= set(range(old_start, old_start + old_count))
    return touched, parent


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.integers(1, 12),
    commits=st.lists(EDITS, min_size=1, max_size=6),
    uncommitted=EDITS,
    data=st.data(),
)
def test_pull_back_agrees_with_line_sets(
    first: int,
    commits: list[list[tuple[int, int, int]]],
    uncommitted: list[tuple[int, int, int]],
    data: st.DataObject,
) -> None:
    """Interval arithmetic gives git -L's answer, and every commit that wrote a line counts."""
    new_ids = iter(range(10_000))
    versions = [[next(new_ids) for _ in range(first)]]
    writer = dict.fromkeys(versions[0], 0)
    history: list[list[Hunk]] = []
    for number, edits in enumerate([*commits, uncommitted], start=1):
        lines, hunks = apply(versions[-1], edits, new_ids)
        writer.update((line, number) for line in lines if line not in writer)
        versions.append(lines)
        history.append(hunks)
    current = versions[-1]
    if not current:
        return
    low = data.draw(st.integers(1, len(current)))
    high = data.draw(st.integers(low, len(current)))
    changes = tuple((f"c{n}", tuple(h)) for n, h in reversed(list(enumerate(history[:-1], 1))))
    file = FileChurn(len(changes), changes, tuple(history[-1]))

    expected = []
    lines = set(range(low - 1, high))
    for number in range(len(history), 0, -1):
        touched, lines = oracle(lines, history[number - 1], len(versions[number - 1]))
        if touched and number < len(history):
            expected.append(f"c{number}")
        if not lines:
            break
    assert file.touching(range(low, high + 1)) == tuple(expected)
    # Blame is a lower bound: each commit that wrote a current line of the range counts.
    writers = {writer[line] for line in current[low - 1 : high]}
    assert {f"c{n}" for n in writers if 0 < n < len(history)} <= set(expected)
