"""Evidence: code facts and complexity per file with a gap, from the cache, from what was
prepared while the suite ran, or computed; churn and the test modules beside them."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from covgap.collect.code.evidence import (
    Evidence,
    evidence_for,
    facts_key,
    file_evidence,
    source_keys,
)
from covgap.collect.coverage.static import AnalysisOptions
from covgap.collect.git.churn import ChurnWindow, read_churn
from covgap.collect.suite.preparse import Preparse
from covgap.model import FileCoverage, Numbers, ProjectCoverage
from covgap.store.cache import AnalysisCache

SOURCE = "def f(x):\n    if x:\n        raise ValueError('x')\n    return 1\n"


def gather_evidence(
    project_dir: Path,
    project: ProjectCoverage,
    window: str,
    cache_path: Path | None,
    jobs: int | None,
    prepared: dict[str, dict[str, object]] | None = None,
) -> Evidence:
    """Evidence for the files with a gap, as covgap's risk step gathers it."""
    keys = source_keys(project_dir, [f.path for f in project.files if f.numbers.gap])
    churn = read_churn(project_dir, ChurnWindow.parse(window), keys)
    return evidence_for(project_dir, keys, churn, (), cache_path, jobs, prepared or {})


def project_with(tmp_path: Path, files: dict[str, str], gaps: set[str]) -> ProjectCoverage:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return ProjectCoverage(
        files=tuple(
            FileCoverage(name, Numbers(statements=4, missing_statements=2 if name in gaps else 0))
            for name in files
        ),
        branch_measured=True,
        input_kind="coverage-data",
        input_path=".coverage",
    )


def test_facts_only_for_files_with_a_gap(tmp_path: Path) -> None:
    """Fully covered files are not read; the others get facts and complexity by def line."""
    project = project_with(tmp_path, {"a.py": SOURCE, "b.py": SOURCE}, gaps={"a.py"})
    evidence = gather_evidence(tmp_path, project, "90 days", cache_path=None, jobs=1)
    assert set(evidence.facts) == {"a.py"}
    assert evidence.complexity == {"a.py": {1: 2}}
    assert evidence.churn is None and "not in a git repository" in (evidence.churn_absent or "")


def test_unparsable_and_missing_sources_are_noted(tmp_path: Path) -> None:
    """A syntax error is a note, not a failure; a file missing from disk just has no facts."""
    files = {"bad.py": "def (:\n", "ok.py": SOURCE, "gone.py": SOURCE}
    project = project_with(tmp_path, files, set(files))
    (tmp_path / "gone.py").unlink()
    evidence = gather_evidence(tmp_path, project, "90 days", cache_path=None, jobs=1)
    assert set(evidence.facts) == {"ok.py"}
    (note,) = evidence.notes
    assert note.startswith("bad.py: no risk facts (SyntaxError")


def test_cache_round_trip_and_damaged_entries(tmp_path: Path) -> None:
    """Facts are cached by content; a damaged cache entry is computed again, not trusted."""
    project = project_with(tmp_path, {"a.py": SOURCE}, {"a.py"})
    cache_path = tmp_path / ".covgap" / "cache.sqlite3"
    first = gather_evidence(tmp_path, project, "90 days", cache_path, jobs=1)
    key = facts_key(SOURCE.encode())
    with AnalysisCache(cache_path) as cache:
        stored = json.loads(json.dumps(file_evidence(SOURCE.encode())))
        assert cache.get_facts([key])[key] == stored
        cache.put_facts({key: {"facts": {"imports": 3}, "complexity": []}})
    again = gather_evidence(tmp_path, project, "90 days", cache_path, jobs=1)
    assert again.facts == first.facts and again.complexity == first.complexity


def test_prepared_payloads_are_used(tmp_path: Path) -> None:
    """What was made while the suite ran is used as it is (not computed again)."""
    project = project_with(tmp_path, {"a.py": SOURCE}, {"a.py"})
    payload = file_evidence(SOURCE.encode())
    payload["complexity"] = [[1, 7]]  # marks the payload as the prepared one
    evidence = gather_evidence(
        tmp_path, project, "90 days", None, jobs=1, prepared={facts_key(SOURCE.encode()): payload}
    )
    assert evidence.complexity == {"a.py": {1: 7}}


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="preparsing needs an idle core")
def test_preparse_makes_statics_and_facts(tmp_path: Path) -> None:
    """The idle-core worker returns coverage.py's parse and the code facts of each file."""
    (tmp_path / "a.py").write_text(SOURCE)
    options = AnalysisOptions(exclude_regex="#\\s*pragma: no cover", partial_regex="", branch=True)
    prepared = Preparse([tmp_path / "a.py"], options)
    # results() abandons what is not done; wait for the one file to be done first
    prepared.wait(timeout=60)
    done = prepared.results()
    assert len(done.statics) == 1
    assert done.facts == {facts_key(SOURCE.encode()): file_evidence(SOURCE.encode())}


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="preparsing needs an idle core")
@pytest.mark.timeout(60)
def test_preparse_worker_killed_by_a_signal_never_blocks(tmp_path: Path) -> None:
    """A SIGTERM to the whole process group (CI's job timeout) kills the parsing worker in the
    middle of its work: what it sent is kept, and results() returns at once."""
    files = []
    for index in range(400):
        (tmp_path / f"m{index}.py").write_text(SOURCE)
        files.append(tmp_path / f"m{index}.py")
    options = AnalysisOptions(exclude_regex="#\\s*pragma: no cover", partial_regex="", branch=True)
    prepared = Preparse(files, options)
    (worker,) = multiprocessing.active_children()
    time.sleep(0.2)
    os.kill(worker.pid or 0, signal.SIGTERM)
    worker.join(timeout=10)
    assert worker.exitcode == -signal.SIGTERM  # killed, maybe while holding its end of the pipe
    started = time.monotonic()
    done = prepared.results()
    assert time.monotonic() - started < 10
    assert len(done.statics) == len(done.facts) <= len(files)
