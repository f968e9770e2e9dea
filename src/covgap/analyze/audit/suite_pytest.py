"""pytest's settings, judged for the suite: strictness, warnings, a timeout, order and workers."""

from __future__ import annotations

from collections.abc import Sequence

from covgap.analyze.audit.ci_steps import _ci_test_runs
from covgap.analyze.audit.rules import _finding
from covgap.analyze.fixes import dependency_fix, pytest_fix, pytest_fix_path
from covgap.collect.project.audit_inputs import AuditFacts
from covgap.collect.project.project_config import PytestConfig, normalize_name
from covgap.model import Evidence, Finding

RANDOM_ORDER = ("pytest-randomly", "pytest-random-order", "pytest-rng", "pytest-shuffle")

#: A suite that takes this long (seconds) one test at a time is worth pytest-xdist's workers;
#: below it, starting them (each collects the whole suite) eats most of the gain.
PARALLEL_WORTH = 60.0
#: Seconds a test takes, to estimate a suite's time from its tests before it was ever run.
ESTIMATED_TEST_SECONDS = 0.02


def _joined(first: Sequence[tuple[str, str]], last: tuple[str, str]) -> str:
    """Snippets for one finding: the file of each named when they go to different files."""
    parts = [*first, last]
    if len({path for path, _ in parts}) == 1:
        return "\n\n".join(snippet for _, snippet in parts)
    return "\n\n".join(f"# {path}\n{snippet}" for path, snippet in parts)


def _addopts_has(config: PytestConfig, *flags: str) -> str | None:
    """The addopts item that sets one of ``flags`` (``--x`` or ``--x=v``), or None."""
    for item in config.addopts:
        for flag in flags:
            if (
                item == flag
                or item.startswith(flag + "=")
                or (len(flag) == 2 and item.startswith(flag) and not flag.startswith("--"))
            ):
                return item
    return None


def _pytest_settings_findings(facts: AuditFacts) -> list[Finding]:
    config, deps = facts.pytest, facts.dependencies
    path = pytest_fix_path(config)
    where = (
        Evidence(path, config.section_line, f"[{config.section}]")
        if config.path
        else Evidence(path, None, "no pytest configuration")
    )
    findings: list[Finding] = []
    if config.problem is not None:
        findings.append(
            _finding(
                "pytest-config-broken",
                f"pytest's configuration cannot be read: {config.problem.message}",
                [Evidence(config.problem.path, config.problem.line, config.problem.message)],
                "pytest refuses to start with a broken configuration file.",
                "Fix the file at the line shown.",
                config.problem.path,
            )
        )
        return findings
    strict = config.flag("strict") or _addopts_has(config, "--strict") is not None
    addopts = list(config.addopts)

    def with_addopts(*extra: str) -> str:
        return pytest_fix(config, [("addopts", [*addopts, *extra])])

    if not (strict or config.flag("strict_markers") or _addopts_has(config, "--strict-markers")):
        findings.append(
            _finding(
                "pytest-strict-markers",
                "unknown markers are not errors (no --strict-markers)",
                [Evidence(path, config.line("addopts"), " ".join(addopts) or "(no addopts)")],
                "A misspelt marker (`@pytest.mark.slwo`) is accepted silently and the test "
                "escapes every `-m` selection that should include or skip it.",
                with_addopts("--strict-markers"),
                path,
            )
        )
    if not (strict or config.flag("strict_config") or _addopts_has(config, "--strict-config")):
        findings.append(
            _finding(
                "pytest-strict-config",
                "unknown pytest settings are not errors (no --strict-config)",
                [Evidence(path, config.line("addopts"), " ".join(addopts) or "(no addopts)")],
                "A misspelt setting (`timout = 60`) is ignored with a warning nobody reads.",
                with_addopts("--strict-config"),
                path,
            )
        )
    if not (strict or config.flag("xfail_strict") or config.flag("strict_xfail")):
        findings.append(
            _finding(
                "pytest-xfail-strict",
                "a test marked xfail that passes is not an error (xfail_strict is off)",
                [where],
                "A fixed bug's xfail marker stays forever and the test stops guarding the fix.",
                pytest_fix(config, [("xfail_strict", True)]),
                path,
            )
        )
    filters = (
        config.words("filterwarnings")
        if isinstance(config.value("filterwarnings"), str)
        else (config.value("filterwarnings") or ())
    )
    warning_errors = any(
        str(item).strip().startswith("error")
        for item in (filters if isinstance(filters, tuple) else ())
    ) or any(item in {"-W", "-Werror"} or item.startswith("-Werror") for item in addopts)
    if not warning_errors:
        findings.append(
            _finding(
                "pytest-warnings-not-errors",
                "warnings are not errors in the test run",
                [Evidence(path, config.line("filterwarnings"), "filterwarnings")],
                "Deprecation warnings from your code and its dependencies pass unseen until "
                "the next major version breaks them.",
                pytest_fix(config, [("filterwarnings", ["error"])]),
                path,
            )
        )
    ci_runs = list(_ci_test_runs(facts.ci))
    ci_timeout = any(run.timeout for _, _, run in ci_runs)
    if not (config.value("timeout") or _addopts_has(config, "--timeout") or ci_timeout):
        dep_path, dep_snippet = dependency_fix(deps.home, ["pytest-timeout"])
        has_plugin = "pytest-timeout" in deps.names
        findings.append(
            _finding(
                "pytest-no-timeout",
                "no per-test timeout: a hanging test blocks the whole run",
                [where],
                "A test waiting on a socket or a lock runs until CI kills the job (6 hours on "
                "GitHub Actions), with no word on which test hung; pytest-timeout stops it and "
                "names it.",
                _joined(
                    [] if has_plugin else [(dep_path, dep_snippet)],
                    (path, pytest_fix(config, [("timeout", "300")])),
                ),
                path,
            )
        )
    maxfail = _addopts_has(config, "--maxfail", "-x", "--exitfirst")
    if maxfail:
        kept = [item for item in addopts if item != maxfail]
        findings.append(
            _finding(
                "pytest-maxfail",
                f"every run stops early ({maxfail} in addopts)",
                [Evidence(path, config.line("addopts"), " ".join(addopts))],
                "The run stops at the first failures: the rest of the suite never runs, its "
                "failures stay hidden and the coverage it would measure is missing.",
                pytest_fix(config, [("addopts", kept)]),
                path,
            )
        )
    if not any(normalize_name(name) in deps.names for name in RANDOM_ORDER) and not _addopts_has(
        config, "-p"
    ):
        dep_path, dep_snippet = dependency_fix(deps.home, ["pytest-randomly"])
        findings.append(
            _finding(
                "pytest-fixed-order",
                "tests always run in the same order",
                [Evidence(deps.home[0] if deps.home else path, None, "no pytest-randomly")],
                "Tests that pass only after another test has run (shared state) go unnoticed "
                "until someone runs one alone; a random order finds them.",
                dep_snippet,
                dep_path,
            )
        )
    parallel = _addopts_has(config, "-n", "--numprocesses") or any(
        run.parallel for _, _, run in ci_runs
    )
    serial = None if parallel else _serial_time(facts)
    if serial is not None:
        title, evidence, estimated = serial
        dep_path, dep_snippet = dependency_fix(deps.home, ["pytest-xdist"])
        findings.append(
            _finding(
                "pytest-serial",
                title,
                [where, *evidence],
                "pytest-xdist runs them on every core (`-n auto`); coverage.py combines the "
                "workers' data by itself. Below about a minute, starting the workers costs "
                "about what they save."
                + (" The time is an estimate: `covgap run` measures it." if estimated else ""),
                _joined(
                    [] if "pytest-xdist" in deps.names else [(dep_path, dep_snippet)],
                    (path, with_addopts("-n", "auto")),
                ),
                path,
            )
        )
    return findings


def _serial_time(facts: AuditFacts) -> tuple[str, list[Evidence], bool] | None:
    """When the suite run one test at a time takes ``PARALLEL_WORTH`` seconds or more: the
    finding's title, its evidence and whether the time is an estimate; else None.

    The time is the tests' durations (setup, call, teardown) as pytest timed them in the
    suite's run by covgap, else ``ESTIMATED_TEST_SECONDS`` per test of the inventory.
    """
    health = facts.health
    if health is not None and health.tests:
        seconds = sum(test.duration for test in health.tests)
        if seconds < PARALLEL_WORTH:
            return None
        count = len(health.tests)
        timed = f"{count} tests: {seconds:.1f} s in all, as pytest timed them"
        if health.stopped:
            timed += " before the run was stopped"
        at_least = "at least " if health.stopped else ""
        return (
            f"the {count} tests take {at_least}{_duration(seconds)} one at a time",
            [Evidence(".covgap/run/events.jsonl", None, timed)],
            False,
        )
    tests = facts.inventory.tests if facts.inventory.modules else 0
    seconds = tests * ESTIMATED_TEST_SECONDS
    if seconds < PARALLEL_WORTH:
        return None
    return (
        f"{tests} tests run one at a time: about {_duration(seconds)} (estimated at "
        f"{ESTIMATED_TEST_SECONDS * 1000:g} ms a test)",
        [],
        True,
    )


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
