"""The draft benchmark's pure parts (benchmarks/draft/): reading pytest's and git's output,
rewriting covgap run's rcfile, and the report's tables. The inputs are real output of pytest
9.2.0, git and covgap run (validators 0.36.0, isodate 0.7.2); nothing is downloaded or run but
coverage.py reading a rewritten rcfile."""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

import coverage

from covgap import tomlparse

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from draft.checks import (  # noqa: E402
    classify_status,
    collected_ids,
    parse_outcomes,
    parse_summary,
    rewrite_rcfile,
)
from draft.report import group_findings, render, render_project  # noqa: E402

#: pytest -rA's short summary of a module with a parametrized test whose ids hold spaces and
#: " - ", an error with brackets in its message, and an xfail (pytest 9.2.0).
SHAPES = """\
=========================== short test summary info ============================
PASSED tests/test_shapes.py::test_p[a b]
XFAIL tests/test_shapes.py::test_x
FAILED tests/test_shapes.py::test_p[c - d] - AssertionError: assert 'c - d' =...
FAILED tests/test_shapes.py::test_e - ValueError: x - [y]
==================== 2 failed, 1 passed, 1 xfailed in 1.79s ====================
"""

#: The whole suite of validators 0.36.0 with the generated and starter files (check c).
SUITE = """\
=========================== short test summary info ============================
PASSED tests/test_finance_generated.py::test_cusip_checksum_returns_false
SKIPPED [9] tests/test_finance_todo.py: covgap draft skeleton: finish these tests first
SKIPPED [21] tests/test_uri_todo.py: covgap draft skeleton: finish these tests first
FAILED tests/crypto_addresses/test_eth_address.py::test_returns_true_on_valid_eth_address[0x57Ab\
1ec28D129707052df4dF418D58a2D46d5f51]
======================= 18 failed, 1051 passed in 2.70s ========================
"""


def test_outcomes_are_read_per_node_id_with_spaces_and_dashes_in_parameter_ids() -> None:
    assert parse_outcomes(SHAPES) == {
        "tests/test_shapes.py::test_p[a b]": "PASSED",
        "tests/test_shapes.py::test_x": "XFAIL",
        "tests/test_shapes.py::test_p[c - d]": "FAILED",
        "tests/test_shapes.py::test_e": "FAILED",
    }


def test_skipped_lines_name_no_test_and_are_not_read() -> None:
    outcomes = parse_outcomes(SUITE)
    assert outcomes == {
        "tests/test_finance_generated.py::test_cusip_checksum_returns_false": "PASSED",
        "tests/crypto_addresses/test_eth_address.py::test_returns_true_on_valid_eth_address"
        "[0x57Ab1ec28D129707052df4dF418D58a2D46d5f51]": "FAILED",
    }


def test_errors_of_collection_and_of_set_up_are_errors() -> None:
    collection = "ERROR tests/test_broken.py\n!!!! Interrupted: 1 error during collection !!!!\n"
    set_up = "ERROR tests/test_fixture.py::test_f\n"
    assert parse_outcomes(collection) == {"tests/test_broken.py": "ERROR"}
    assert parse_outcomes(set_up) == {"tests/test_fixture.py::test_f": "ERROR"}


#: titlecase 2.4.1's suite in an order where a generated test had changed its word lists: one
#: unittest subTest fails, and pytest 9.2.0 lists the test itself as passed.
SUBTESTS = """\
PASSED titlecase/tests.py::TestStringSuite::test_specific_string
FAILED titlecase/tests.py::TestCallback::test_callback - AssertionError: 'A S...
SUBFAILED(<subtest>) titlecase/tests.py::TestStringSuite::test_specific_string
SUBFAILED(<subtest>) titlecase/tests.py::TestStringSuite::test_specific_string
================== 39 failed, 12 passed, 26 skipped in 1.73s ===================
"""


def test_a_failed_subtest_fails_its_test() -> None:
    assert parse_outcomes(SUBTESTS) == {
        "titlecase/tests.py::TestStringSuite::test_specific_string": "FAILED",
        "titlecase/tests.py::TestCallback::test_callback": "FAILED",
    }
    assert parse_outcomes("SUBPASSED(x=1) tests/t.py::test_s\n") == {"tests/t.py::test_s": "PASSED"}
    assert parse_summary(SUBTESTS) == {"failed": 39, "passed": 12, "skipped": 26}
    assert parse_summary("== 1321 passed, 158 subtests passed in 131.15s ==") == {
        "passed": 1321,
        "subtests passed": 158,
    }


def test_a_test_failing_in_teardown_after_it_passed_counts_as_failing() -> None:
    text = "PASSED tests/t.py::test_a\nERROR tests/t.py::test_a - RuntimeError: teardown\n"
    assert parse_outcomes(text) == {"tests/t.py::test_a": "ERROR"}
    text = "ERROR tests/t.py::test_a - RuntimeError: teardown\nPASSED tests/t.py::test_a\n"
    assert parse_outcomes(text) == {"tests/t.py::test_a": "ERROR"}


def test_summary_counts_come_from_the_closing_line() -> None:
    assert parse_summary(SHAPES) == {"failed": 2, "passed": 1, "xfailed": 1}
    assert parse_summary(SUITE) == {"failed": 18, "passed": 1051}
    assert parse_summary("....\n34 passed in 1.48s\n") == {"passed": 34}
    assert parse_summary("=============================== 1 error in 1.37s ====\n") == {"errors": 1}
    assert parse_summary("== 3 passed, 1 warning in 62.10s (0:01:02) ==\n") == {
        "passed": 3,
        "warnings": 1,
    }
    assert parse_summary("============================ no tests ran in 2.77s ===\n") == {}
    assert parse_summary("no closing line\n") == {}


def test_collected_ids_stop_at_the_blank_line() -> None:
    output = (
        "tests/test_shapes.py::test_p[c - d]\n"
        "tests/test_shapes.py::test_x\n"
        "tests/test_between.py::test_returns_true_on_valid_range[0--1-3]\n"
        "\n"
        "3 tests collected in 2.37s\n"
    )
    assert collected_ids(output) == [
        "tests/test_shapes.py::test_p[c - d]",
        "tests/test_shapes.py::test_x",
        "tests/test_between.py::test_returns_true_on_valid_range[0--1-3]",
    ]


#: covgap run's rcfile for validators 0.36.0 (INI: the project has no coverage settings).
INI_RC = """\
# Written by covgap run: the project's coverage settings, covgap's layered over.
[run]
branch = true
parallel = true
patch = 
    subprocess
data_file = /tmp/bench/draft/validators/project/.covgap/run/.coverage
sigterm = true
omit = 
    /work/src/covgap/collect/suite/plugin/*
source = 
    src
core = ctrace

"""  # noqa: W291 (covgap writes "patch = " before a list)

#: covgap run's rcfile for isodate 0.7.2 (TOML: its settings are in pyproject.toml).
TOML_RC = """\
# Written by covgap run: the project's coverage settings, covgap's layered over.
[tool.coverage.run]
source_pkgs = ["isodate"]
omit = ["tests/", "/work/src/covgap/collect/suite/plugin/*"]
branch = true
parallel = true
patch = ["subprocess"]
data_file = "/tmp/bench/draft/isodate/project/.covgap/run/.coverage"
sigterm = true
core = "ctrace"

"""


def _read_config(path: Path) -> coverage.Coverage:
    return coverage.Coverage(config_file=str(path))


def test_the_ini_rcfile_gets_another_data_file_and_parallel_off(tmp_path: Path) -> None:
    data = str(tmp_path / "check" / ".coverage")
    rcfile = tmp_path / "coverage.rc"
    rcfile.write_text(rewrite_rcfile(INI_RC, data, toml=False))
    written = configparser.RawConfigParser()
    written.read(rcfile)
    assert written.get("run", "data_file") == data
    assert written.get("run", "parallel") == "false"
    config = _read_config(rcfile).config
    assert config.data_file == data
    # coverage.py turns parallel on again for patch = subprocess: the check combines
    assert config.parallel is True
    assert config.branch is True
    assert config.source == ["src"]
    assert config.patch == ["subprocess"]
    assert config.timid is False and config.sigterm is True
    assert INI_RC.count("\n") == rcfile.read_text().count("\n")


def test_the_toml_rcfile_gets_another_data_file_and_parallel_off(tmp_path: Path) -> None:
    data = str(tmp_path / "check" / ".coverage")
    rcfile = tmp_path / "coverage-rc.toml"
    rcfile.write_text(rewrite_rcfile(TOML_RC, data, toml=True))
    run = tomlparse.loads(rcfile.read_text())["tool"]["coverage"]["run"]
    assert run["data_file"] == data
    assert run["parallel"] is False
    assert run["source_pkgs"] == ["isodate"]
    config = _read_config(rcfile).config
    assert config.data_file == data
    assert config.source_pkgs == ["isodate"]
    without_patch = tmp_path / "no-patch.toml"
    without_patch.write_text(rcfile.read_text().replace('patch = ["subprocess"]\n', ""))
    assert _read_config(without_patch).config.parallel is False


def test_an_rcfile_without_those_options_gets_them() -> None:
    text = rewrite_rcfile("[run]\nbranch = true\n\n[report]\nprecision = 2\n", "/d", toml=False)
    assert text.index("data_file = /d") < text.index("[report]")
    assert "parallel = false" in text
    assert rewrite_rcfile("[report]\nprecision = 2\n", "/d", toml=True).endswith(
        '[tool.coverage.run]\ndata_file = "/d"\nparallel = false\n'
    )


#: ``git status --porcelain --ignored`` of validators' tree before covgap draft.
IGNORED = "!! .covgap/\n!! .venv/\n"


def test_only_new_generated_and_todo_files_pass_check_a() -> None:
    now = (
        "?? tests/test_finance_generated.py\n"
        "?? tests/test_finance_todo.py\n"
        "?? tests/test_uri_generated_2.py\n"
        "?? tests/test_uri_todo_3.py\n"
    )
    result = classify_status(now, IGNORED, "", IGNORED)
    assert result["ok"]
    assert result["generated_files"] == [
        "tests/test_finance_generated.py",
        "tests/test_uri_generated_2.py",
    ]
    assert result["todo_files"] == ["tests/test_finance_todo.py", "tests/test_uri_todo_3.py"]
    assert result["summary"] == (
        "2 new *_generated file(s), 2 new *_todo file(s), 0 other change(s), 0 new ignored path(s)"
    )


def test_a_modified_file_another_new_file_or_a_new_ignored_one_fails_check_a() -> None:
    modified = classify_status(" M src/validators/uri.py\n", IGNORED, "", IGNORED)
    assert not modified["ok"]
    assert modified["other_changes"] == [" M src/validators/uri.py"]
    other = classify_status("?? tests/conftest_generated.txt\n", IGNORED, "", IGNORED)
    assert not other["ok"]
    ignored = classify_status("", IGNORED + "!! .hypothesis/\n", "", IGNORED)
    assert ignored["new_ignored"] == ["!! .hypothesis/"]
    assert not ignored["ok"]
    dirty_before = classify_status("", IGNORED, "?? covgap-report/\n", IGNORED)
    assert not dirty_before["ok"]


#: Two findings of validators 0.36.0's run, as covgap draft's JSON lists them.
FINDINGS = [
    {
        "engine": "crosshair",
        "target": "src/validators/finance.py::_cusip_checksum",
        "call": call,
        "exception": "IndexError (the test expects it; _cusip_checksum never raises it)",
        "test": "test__cusip_checksum_raises_index_error",
    }
    for call in (
        "_cusip_checksum('10')",
        "_cusip_checksum('#0#')",
        "_cusip_checksum('')",
        "_cusip_checksum('#')",
        "_cusip_checksum('1')",
    )
] + [
    {
        "engine": "hypothesis",
        "target": "src/validators/finance.py::_isin_checksum",
        "call": "_isin_checksum(value='')",
        "exception": "IndexError: string index out of range",
        "test": "test_fuzz__isin_checksum",
    }
]


def test_findings_of_one_function_engine_and_exception_are_one_row() -> None:
    groups = group_findings(FINDINGS)
    assert [(g["engine"], len(g["calls"])) for g in groups] == [("crosshair", 5), ("hypothesis", 1)]


def _numbers(statements: int, missing: int, branches: int, missing_b: int) -> dict[str, object]:
    units = statements + branches
    covered = units - missing - missing_b
    return {
        "statements": statements,
        "missing_statements": missing,
        "branches": branches,
        "missing_branches": missing_b,
        "percent_covered": 100.0 * covered / units,
    }


def _record(d_ok: bool = True) -> dict[str, object]:
    """validators 0.36.0's record as the benchmark measured it (2026-12-08), trimmed."""
    check = {"ok": True, "summary": "…", "problems": []}
    return {
        "name": "validators",
        "version": "0.36.0",
        "partial": ["tests/test_between.py", "tests/test_length.py"],
        "run": {"summary": "22 passed", "totals": _numbers(818, 496, 304, 286)},
        "draft": {
            "seconds": 48.04,
            "engines": ["crosshair", "hypothesis", "skeleton"],
            "result": {
                "runs": 5,
                "funnels": [
                    {"engine": "crosshair", "candidates": 91, "built": 91, "passed": 63}
                    | {"kept": 12, "findings": 12, "seconds": 14.21, "note": ""},
                    {"engine": "hypothesis", "candidates": 5, "built": 5, "passed": 3}
                    | {"kept": 0, "findings": 2, "seconds": 2.15, "note": ""},
                ],
                "before": _numbers(818, 496, 304, 286),
                "after": _numbers(818, 435, 304, 247),
                "functions": [
                    {
                        "target": "src/validators/finance.py::_cusip_checksum",
                        "kept": 1,
                        "before": _numbers(20, 20, 16, 16),
                        "after": _numbers(20, 4, 16, 4),
                    }
                ],
                "findings": FINDINGS,
                "notes": [] if d_ok else ["1 kept test(s) failed beside the others: left out"],
            },
        },
        "checks": {
            "a": check,
            "b": check,
            "c": check,
            "d": {
                "ok": d_ok,
                "summary": "coverage.py 39.2157%, covgap 39.2157%, difference 0 points",
                "problems": [] if d_ok else ["coverage.py 39.0 ≠ covgap 39.2 (percent)"],
            },
        },
    }


def test_the_project_table_shows_the_funnel_beside_meta_and_leaves_the_judgement_blank() -> None:
    text = render_project(_record())
    lines = text.splitlines()
    assert "| crosshair | 91 | 91 (100%) | 63 (69%) | 12 (13%) | 12 | 14.2 |" in lines
    assert "| all engines | 96 | 96 (100%) | 66 (69%) | 12 (12%) | 14 | 16.4 |" in lines
    assert "| TestGen-LLM at Meta |  | 75% | 57% | 25% |  |  |" in lines
    assert "Coverage: 30.30% → 39.22% (+8.91 points); covgap run's total 30.30%." in lines
    assert "| `src/validators/finance.py::_cusip_checksum` | 0.00% | 77.78% | +77.78 | 1 |" in lines
    assert "Findings (6, 2 distinct):" in lines
    row = next(
        line
        for line in lines
        if line.startswith("| `src/validators/finance.py::_cusip_checksum` | crosshair")
    )
    assert row.endswith(
        "`_cusip_checksum('10')`, `_cusip_checksum('#0#')`, `_cusip_checksum('')` (+2 more) |  |"
    )


def test_a_check_that_does_not_hold_is_shown_as_such() -> None:
    text = render_project(_record(d_ok=False))
    assert "| **NO** |" in text
    assert "**(d) fails**: coverage.py 39.0 ≠ covgap 39.2 (percent)" in text
    assert "covgap's note: 1 kept test(s) failed beside the others: left out" in text
    assert "covgap's note" not in render_project(_record())
    summary = render([_record(), _record(d_ok=False)], "# header")
    assert "| validators 0.36.0 | crosshair 91→91→63→12 · hypothesis 5→5→3→0 | 6 |" in summary
    assert summary.count("| yes | yes | yes | **NO** |") == 1
    assert "| crosshair | 182 | 182 (100%) | 126 (69%) | 24 (13%) | 24 | 28.4 |" in summary
