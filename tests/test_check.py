"""`covgap check` and `covgap history` from the command line, on a real project measured by
coverage.py in a real git repository: exit codes at the gates' boundaries, the diff gate, the
baseline and the ratchet, the comment, annotations and badge, and bad input."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from covgap.cli import main
from covgap.errors import ExitCode

ORDERS = """\
def total(items):
    return sum(items)


def discount(amount, code):
    if code == "HALF":
        return amount / 2
    return amount
"""

TESTS = """\
from shop.orders import discount, total


def test_total():
    assert total([1, 2]) == 3


def test_discount():
    assert discount(10, "HALF") == 5
"""

PYPROJECT = """\
[project]
name = "shop"
version = "1"

[tool.coverage.report]
precision = 2
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=T", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def measure(folder: Path, **variables: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "PYTEST_"))}
    env.update(variables)
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--branch", "--source=shop", "-m", "pytest",
         "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        check=True,
        capture_output=True,
        env=env,
    )  # fmt: skip


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    folder = tmp_path / "shop-project"
    (folder / "shop").mkdir(parents=True)
    (folder / "tests").mkdir()
    (folder / "shop" / "__init__.py").write_text("")
    (folder / "shop" / "orders.py").write_text(ORDERS)
    (folder / "tests" / "test_orders.py").write_text(TESTS)
    (folder / "pyproject.toml").write_text(PYPROJECT)
    (folder / ".gitignore").write_text(".coverage*\n.covgap/\ncovgap-report/\n")
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "start")
    measure(folder)
    return folder


def total_percent(folder: Path) -> float:
    code, out, err = run("check", str(folder), "--format", "json", "--no-diff")
    assert code == ExitCode.OK, err
    return float(json.loads(out)["totals"]["percent"])


def test_total_gate_exit_codes_at_the_boundaries(shop: Path) -> None:
    percent = round(total_percent(shop), 2)
    for threshold, expected in (
        (percent - 0.01, ExitCode.OK),
        (percent, ExitCode.OK),
        (percent + 0.01, ExitCode.GATE_FAILED),
    ):
        code, out, err = run("check", str(shop), "--no-diff", "--fail-under", f"{threshold:.2f}")
        assert code == expected, (threshold, out, err)
        assert ("FAIL total" in out) is (expected == ExitCode.GATE_FAILED)


def test_diff_gate_on_a_feature_branch(shop: Path) -> None:
    git(shop, "checkout", "-q", "-b", "feature")
    orders = shop / "shop" / "orders.py"
    orders.write_text(
        ORDERS
        + "\n\ndef tax(amount):\n    if amount > 100:\n        return amount / 5\n    return 0\n"
    )
    git(shop, "commit", "-qam", "tax")
    measure(shop)
    code, out, err = run("check", str(shop), "--diff-fail-under", "50", "--annotations")
    assert code == ExitCode.GATE_FAILED, out + err
    # `def tax` ran at import; its body never ran.
    assert "FAIL diff coverage 25.00% < 50% (1 of 4 changed statements covered, since main)" in out
    assert "shop/orders.py: `tax`: lines 12-14" in out
    assert "::warning file=shop/orders.py,line=12,endLine=14," in out
    assert "lines 12-14 of tax changed and not covered" in out
    for threshold, expected in (
        ("24.99", ExitCode.OK),
        ("25", ExitCode.OK),
        ("25.01", ExitCode.GATE_FAILED),
    ):
        code, out, err = run("check", str(shop), "--diff-fail-under", threshold)
        assert code == expected, (threshold, out + err)


def test_diff_ranges_show_only_the_uncovered_changed_lines(shop: Path, tmp_path: Path) -> None:
    """A function's uncovered changed lines are listed as they are: a line that ran between
    two of them splits the range (the gate, the comment and the JSON agree with the
    annotations)."""
    git(shop, "checkout", "-q", "-b", "feature")
    orders = shop / "shop" / "orders.py"
    orders.write_text(
        ORDERS + "\n\ndef tax(amount):\n"  # line 11
        "    if amount > 100:\n"
        "        return amount / 5\n"  # 13: never runs
        "    total = amount\n"  # 14: runs
        "\n"
        "    if amount < 0:\n"
        "        return 0\n"  # 17: never runs
        "    return total\n"
    )
    (shop / "tests" / "test_tax.py").write_text(
        "from shop.orders import tax\n\n\ndef test_tax():\n    assert tax(10) == 10\n"
    )
    git(shop, "add", "-A")
    git(shop, "commit", "-qm", "tax")
    measure(shop)
    comment = tmp_path / "comment.md"
    code, out, err = run(
        "check", str(shop), "--diff-fail-under", "100", "--annotations", "--comment", str(comment)
    )
    assert code == ExitCode.GATE_FAILED, out + err
    # branch mode: 12 and 16 ran with an exit not taken, 13 and 17 never ran; 14 ran
    assert "shop/orders.py: `tax`: lines 12-13, 16-17" in out
    assert "lines 12-13 of tax changed and not covered" in out
    assert "lines 16-17 of tax changed and not covered" in out
    assert "`tax`: lines 12-13, 16-17" in comment.read_text()
    code, out, err = run("check", str(shop), "--diff-fail-under", "100", "--format", "json")
    changed = {f["path"]: f for f in json.loads(out)["diff"]["files"]}["shop/orders.py"]
    assert changed["uncovered_display"] == "13, 17"
    assert changed["by_function"] == [
        {"function": "tax", "lines": [12, 13, 16, 17], "display": "12-13, 16-17"}
    ]


def test_comment_badge_and_json(shop: Path, tmp_path: Path) -> None:
    comment, badge = tmp_path / "comment.md", tmp_path / "badge.svg"
    code, out, err = run(
        "check", str(shop), "--fail-under", "10", "--comment", str(comment), "--badge", str(badge)
    )
    assert code == ExitCode.OK, err
    text = comment.read_text()
    assert text.startswith("<!-- covgap check -->")
    assert "✅" in text and "| ✅ | total |" in text
    svg = badge.read_text()
    assert svg.startswith("<svg") and "coverage" in svg and "%" in svg
    code, out, _ = run("check", str(shop), "--format", "github", "--no-diff")
    assert out.startswith("<!-- covgap check -->")


def test_baseline_ratchet_and_update(shop: Path) -> None:
    code, out, err = run("check", str(shop), "--no-diff", "--update-baseline")
    assert code == ExitCode.OK, err
    baseline = json.loads((shop / "covgap-baseline.json").read_text())
    assert baseline["format_version"] == 1 and "shop/orders.py" in baseline["files"]
    # A test removed: less is covered than the baseline says.
    (shop / "tests" / "test_orders.py").write_text(TESTS.split("def test_discount")[0])
    measure(shop)
    code, out, err = run("check", str(shop), "--no-diff")
    assert code == ExitCode.GATE_FAILED, out
    assert "FAIL ratchet: total" in out
    assert "shop/orders.py: 3 uncovered statements, 2 more than the baseline's 1" in out
    code, out, err = run("check", str(shop), "--no-diff", "--update-baseline")
    assert code == ExitCode.GATE_FAILED
    assert "the baseline was not updated" in out


def test_ratchet_against_this_commit_with_uncommitted_work(shop: Path) -> None:
    """The last snapshot of the current commit is a baseline once the working tree differs
    from it: untested code added without a commit fails the ratchet. The same measurement as
    the snapshot (checked right after recording) is not compared with itself."""
    code, _, err = run("plan", str(shop), "--record", "--format", "json", "--output", "-")
    assert code == ExitCode.OK, err
    code, out, err = run("check", str(shop), "--no-diff")
    assert code == ExitCode.OK, err
    assert "ratchet" in out and "no baseline" in out  # only this measurement is recorded
    orders = shop / "shop" / "orders.py"
    orders.write_text(orders.read_text() + "\n\ndef untested(x):\n    return x + 1\n")
    measure(shop)
    code, out, err = run("check", str(shop), "--no-diff")
    assert code == ExitCode.GATE_FAILED, out + err
    assert "FAIL ratchet: total" in out
    assert "shop/orders.py: 2 uncovered statements, 1 more than the baseline's 1" in out
    assert "history snapshot 1 (commit " in out


def test_history_records_and_explains(shop: Path) -> None:
    code, _, err = run(
        "plan", str(shop), "--record", "--format", "json", "--output", str(shop / "out")
    )
    assert code == ExitCode.OK, err
    (shop / "shop" / "extra.py").write_text("def unused(x):\n    return x * 2\n")
    (shop / "tests" / "test_extra.py").write_text("import shop.extra\n")
    measure(shop)
    code, out, err = run(
        "plan", str(shop), "--record", "--format", "json", "--output", str(shop / "out")
    )
    assert code == ExitCode.OK, err
    assert "Recorded snapshot 2" in out
    code, out, err = run("history", str(shop))
    assert code == ExitCode.OK, err
    assert "2 snapshots" in out
    assert "1 covered statement added in shop/extra.py" in out
    assert "1 uncovered statement added in shop/extra.py" in out
    code, out, _ = run("history", str(shop), "--format", "json")
    snapshots = json.loads(out)["snapshots"]
    assert [s["id"] for s in snapshots] == [1, 2]
    assert snapshots[1]["delta"]["statements"]["uncovered_added"] == 1


COIN = '''\
"""Which way the coin fell: what runs depends on the run, not on the code."""
import os


def toss():
    if os.environ.get("COIN") == "heads":
        return "heads"
    return "tails"


if os.name:
    READY = True
'''


def test_history_tells_coverage_that_varied_from_code_that_changed(shop: Path) -> None:
    """Runs of the same commit: equal data is no change (a missing exit from the module, to
    its docstring's line 1, included); data that differs is the suite's variation, with its
    lines, never code added or removed."""
    (shop / "shop" / "coin.py").write_text(COIN)
    (shop / "tests" / "test_coin.py").write_text(
        "from shop.coin import toss\n\n\ndef test_toss():\n    assert toss()\n"
    )
    git(shop, "add", "-A")
    git(shop, "commit", "-qm", "coin")
    for side in ("heads", "tails", "tails"):
        measure(shop, COIN=side)
        code, _, err = run("plan", str(shop), "--record", "--format", "json", "--output", "-")
        assert code == ExitCode.OK, err
    code, out, err = run("history", str(shop))
    assert code == ExitCode.OK, err
    varied, equal = [line.strip() for line in out.splitlines() if " points: " in line]
    assert varied == (
        "+0.0 points: coverage varied between runs of the same code: "
        "1 statement lost coverage, 1 statement gained coverage, "
        "1 branch lost coverage, 1 branch gained coverage; lines shop/coin.py 6-8"
    )
    assert equal == "+0.0 points: no change in statements or branches"
    assert "shop/coin.py (unchanged, +0.00 points)" in out
    assert "lines that lost coverage: 6-7; lines that gained coverage: 6, 8" in out
    code, out, _ = run("history", str(shop), "--format", "json")
    second, third = (s["delta"] for s in json.loads(out)["snapshots"][1:])
    assert second["same_code"] and third["same_code"]
    assert second["files"][0]["lost_lines"] == [6, 7]
    assert second["files"][0]["gained_lines"] == [6, 8]
    assert third["files"] == []
    # the next commit is not the same code: the same change is coverage lost and gained
    (shop / "README.md").write_text("shop\n")
    git(shop, "add", "-A")
    git(shop, "commit", "-qm", "readme")
    measure(shop, COIN="heads")
    assert run("plan", str(shop), "--record", "--format", "json", "--output", "-")[0] == 0
    code, out, _ = run("history", str(shop), "--format", "json")
    last = json.loads(out)["snapshots"][-1]["delta"]
    assert not last["same_code"]
    assert last["text"].startswith("+0.0 points: 1 statement lost coverage in shop/coin.py")


def test_history_explains_each_change_once_a_process(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`api.history` keeps what it explained (`covgap run` explains the trend while the suite
    runs): asked again after a new snapshot, it explains only the new change, and the deltas
    are the ones a fresh process explains."""
    import covgap.analyze.deltas
    import covgap.analyze.trend
    from covgap import api
    from covgap.config import load_settings

    settings = load_settings(shop, {}, environ={})
    for _ in range(3):
        assert run("plan", str(shop), "--record", "--format", "json", "--output", "-")[0] == 0
    monkeypatch.setattr(covgap.analyze.trend, "_EXPLAINED", {})
    explained: list[tuple[int, int]] = []
    real = covgap.analyze.deltas.explain

    def counting(before, after, threshold):  # type: ignore[no-untyped-def]
        explained.append((before.id, after.id))
        return real(before, after, threshold)

    monkeypatch.setattr(covgap.analyze.deltas, "explain", counting)
    _, first = api.history(shop, settings, explain=5)
    assert explained == [(1, 2), (2, 3)]
    (shop / "shop" / "extra.py").write_text("def unused(x):\n    return x * 2\n")
    measure(shop)
    assert run("plan", str(shop), "--record", "--format", "json", "--output", "-")[0] == 0
    _, second = api.history(shop, settings, explain=5)
    assert explained == [(1, 2), (2, 3), (3, 4)]
    assert second[:2] == first
    monkeypatch.setattr(covgap.analyze.trend, "_EXPLAINED", {})
    assert api.history(shop, settings, explain=5)[1] == second


def test_corrupt_history_is_a_data_error(shop: Path) -> None:
    (shop / ".covgap").mkdir(exist_ok=True)
    database = shop / ".covgap" / "history.db"
    database.write_bytes(b"not a database at all" * 100)
    before = database.read_bytes()
    code, _, err = run("history", str(shop))
    assert code == ExitCode.DATA_ERROR
    assert err.startswith("covgap: error: ") and "history.db" in err and "Traceback" not in err
    assert database.read_bytes() == before


def test_diff_gate_outside_git_is_a_usage_error(tmp_path: Path, shop: Path) -> None:
    import shutil

    copy = tmp_path / "no-git"
    shutil.copytree(shop, copy, ignore=shutil.ignore_patterns(".git"))
    code, _, err = run("check", str(copy), "--diff-fail-under", "80")
    assert code == ExitCode.USAGE_ERROR, err
    assert "git" in err and "Traceback" not in err


def test_no_data_is_a_data_error(tmp_path: Path) -> None:
    code, _, err = run("check", str(tmp_path), "--fail-under", "10")
    assert code == ExitCode.DATA_ERROR
    assert err.startswith("covgap: error: ")


def test_bad_threshold_is_a_usage_error(shop: Path) -> None:
    code, _, err = run("check", str(shop), "--fail-under", "120")
    assert code == ExitCode.USAGE_ERROR
    assert "fail-under" in err


@pytest.mark.slow
def test_twenty_concurrent_plan_records(shop: Path) -> None:
    """20 `covgap plan --record` processes at once against one database: 20 snapshots."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "COVGAP_"))}

    def command(n: int) -> list[str]:
        output = str(shop / "out" / str(n))
        return [sys.executable, "-m", "covgap", "plan", str(shop), "--record", "--no-risk",
                "--no-audit", "--format", "json", "--output", output]  # fmt: skip

    processes = [
        subprocess.Popen(command(n), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for n in range(20)
    ]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else b"") for p in processes]
    for process in processes:
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert [code for code, _ in results] == [0] * 20, [err for _, err in results if err]
    code, out, err = run("history", str(shop), "--format", "json")
    assert code == ExitCode.OK, err
    assert sorted(s["id"] for s in json.loads(out)["snapshots"]) == list(range(1, 21))


@pytest.mark.parametrize("gate", ["lines", "branches"])
def test_line_and_branch_gates_exit_codes(shop: Path, gate: str) -> None:
    code, out, err = run("check", str(shop), "--format", "json", "--no-diff")
    totals = json.loads(out)["totals"]
    if gate == "lines":
        covered = totals["statements"] - totals["missing_statements"]
        percent = 100.0 * covered / totals["statements"]
    else:
        covered = totals["branches"] - totals["missing_branches"]
        percent = 100.0 * covered / totals["branches"]
    percent = round(percent, 2)
    for threshold, expected in (
        (percent - 0.01, ExitCode.OK),
        (percent, ExitCode.OK),
        (percent + 0.01, ExitCode.GATE_FAILED),
    ):
        code, out, err = run(
            "check", str(shop), "--no-diff", f"--fail-under-{gate}", f"{threshold:.2f}"
        )
        assert code == expected, (gate, threshold, out, err)


def test_file_floor_and_critical_floor_from_the_configuration(shop: Path) -> None:
    pyproject = shop / "pyproject.toml"
    pyproject.write_text(
        PYPROJECT
        + '\n[tool.covgap]\nfile-floors = {"shop/*" = 100}\n'
        + 'file-floor-exclude = ["shop/__init__.py"]\n'
    )
    code, out, _ = run("check", str(shop), "--no-diff")
    assert code == ExitCode.GATE_FAILED
    assert "FAIL file floors: 1 of 1 file below the floor" in out
    pyproject.write_text(PYPROJECT + '\n[tool.covgap]\nfile-floors = {"shop/*" = 50}\n')
    code, out, _ = run("check", str(shop), "--no-diff")
    assert code == ExitCode.OK, out


def test_check_after_covgap_run_reads_the_runs_data(shop: Path) -> None:
    """`covgap run` keeps its data in .covgap/run/; with no .coverage of the project's own,
    `covgap check` (and `covgap plan`) read that."""
    for data in shop.glob(".coverage*"):
        data.unlink()
    code, _, err = run("run", str(shop), "--format", "json", "--output", str(shop / "out"))
    assert code == ExitCode.OK, err
    code, out, err = run("check", str(shop), "--no-diff", "--fail-under", "50", "--format", "json")
    assert code == ExitCode.OK, err
    plan = json.loads((shop / "out" / "plan.json").read_text())
    assert json.loads(out)["totals"]["percent"] == plan["totals"]["percent_covered"]
