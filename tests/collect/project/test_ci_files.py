"""Reading CI definitions: real public workflow files, and fixtures for what they lack.

The fixture folders under tests/fixtures/ci/ are repository-like; SOURCE.txt beside each real
file says which source distribution (from the package index) it was copied from, unchanged.
Every line number asserted here was read off the file by hand.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from covgap.collect.project.ci_files import CiConfig, CiJob, CiStep, Where, read_ci, yaml_doc
from covgap.collect.project.shell import analyze_script

CI = Path(__file__).parents[2] / "fixtures" / "ci"


def read(case: str) -> CiConfig:
    return read_ci(CI / case)


def job(config: CiConfig, name: str) -> CiJob:
    (found,) = [j for j in config.jobs if j.name == name]
    return found


def step(found: CiJob, name: str = "", line: int = 0) -> CiStep:
    (chosen,) = [
        s
        for s in found.steps
        if (not name or s.name == name) and (not line or s.where.line == line)
    ]
    return chosen


# -- GitHub Actions: real files -------------------------------------------------------------


def test_pytest_workflow() -> None:
    """pytest 9.2.0 test.yml: tox under coverage, an expression-driven continue-on-error at job
    level, Python from `include` entries, a 45-minute timeout, a Codecov upload."""
    config = read("pytest")
    path = ".github/workflows/test.yml"
    assert config.files == (path,)
    assert config.problems == ()
    assert [j.name for j in config.jobs] == ["package", "build", "check"]
    build = job(config, "build")
    assert build.where == Where(path, 47)
    assert (build.timeout_minutes, build.timeout_where) == (45.0, Where(path, 51))
    assert build.python_versions == ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15", "pypy-3.11")
    assert build.may_fail == "continue-on-error: ${{ matrix.xfail && true || false }}"
    assert build.may_fail_where == Where(path, 270)
    assert build.triggers == ("push", "pull_request", "workflow_dispatch")
    assert build.caches == ()
    # a local action, kept as written
    assert step(build, "Set up tox").uses == "$/.github/actions/setup-tox"

    with_coverage = step(build, "Test with coverage")
    assert with_coverage.where == Where(path, 303)
    assert with_coverage.condition == "matrix.use_coverage"
    assert (with_coverage.shell, with_coverage.pipefail) == ("bash", True)
    assert with_coverage.command_where == Where(path, 308)
    assert with_coverage.command_lines == (308,)
    # the job's continue-on-error reaches every step
    assert with_coverage.may_fail == build.may_fail
    assert with_coverage.may_fail_where == Where(path, 270)
    (run,) = analyze_script(with_coverage.command).test_runs
    assert (run.runner, run.targets) == ("tox", ("${{ matrix.tox_env }}-coverage",))
    without = step(build, "Test without coverage")
    assert (without.where.line, without.condition) == (296, "! matrix.use_coverage")

    upload = step(build, "Upload coverage to Codecov")
    assert upload.where == Where(path, 310)
    assert upload.condition == "matrix.use_coverage"
    assert upload.uses == "codecov/codecov-action@303a32d7a59b442fa8d48b6a1cc6825c09c847a5"
    assert upload.command == ""
    assert dict(upload.inputs) == {
        "fail_ci_if_error": "false",
        "files": "./coverage.xml",
        "verbose": "true",
    }
    junit = step(build, "Upload JUnit report to Codecov")
    assert (junit.where.line, junit.condition) == (318, "")
    assert dict(junit.inputs)["report_type"] == "test_results"
    assert job(config, "check").may_fail is None
    assert job(config, "check").where == Where(path, 326)


def test_attrs_workflow_and_tox() -> None:
    """attrs 26.1.0: the `coverage` job fails under 100% at line 158; tests run through tox,
    where `py3{9,10,14}-tests` runs `coverage run -m pytest {posargs:-n auto}` (line 47)."""
    config = read("attrs")
    workflow = ".github/workflows/ci.yml"
    assert config.files == (workflow, "tox.ini")
    assert config.problems == ()

    coverage = job(config, "coverage")
    assert coverage.where == Where(workflow, 127)
    combine = step(coverage, "Combine coverage & fail if it's <100%.")
    assert combine.where == Where(workflow, 147)
    gates = analyze_script(combine.command, pipefail=combine.pipefail).gates
    (gate,) = [g for g in gates if g.threshold is not None]
    assert (gate.tool, gate.threshold, gate.kind) == ("coverage report", 100.0, "total")
    assert combine.line_of(gate.offset_line) == 158

    tests = job(config, "tests")
    assert tests.python_versions == ()  # the matrix is `fromJson(...)`: not evaluated
    assert tests.caches == ("hynek/setup-cached-uv",)
    folded = step(tests, line=85)  # `run: >` folds its lines into one command
    assert (
        folded.command == "uvx --with=tox-uv tox run --installpkg dist/*.whl -e $TOX_PYTHON-tests\n"
    )
    assert folded.command_lines[0] == 86
    (run,) = analyze_script(folded.command).test_runs
    assert (run.runner, run.targets) == ("tox", ("$TOX_PYTHON-tests",))
    assert job(config, "tests-pypy").python_versions == ("pypy-3.10",)

    measured = job(config, "testenv:py3{9,10,14}-tests")
    assert measured.system == "tox"
    assert measured.where == Where("tox.ini", 39)
    assert measured.envs == ("py39-tests", "py310-tests", "py314-tests")
    assert measured.python_versions == ("3.9", "3.10", "3.14")
    (command,) = measured.steps
    assert (command.where, command.name) == (Where("tox.ini", 47), "commands")
    assert command.command == "coverage run -m pytest {posargs:-n auto}"
    (run,) = analyze_script(command.command).test_runs
    assert (run.runner, run.measures_coverage, run.parallel) == ("coverage run", True, "-n auto")

    base = job(config, "testenv")
    assert base.where == Where("tox.ini", 21)
    assert base.python_versions == ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "pypy3")
    assert "py314-tests" in base.envs and "typing-pyrefly" in base.envs
    first = base.steps[0]
    assert (first.where.line, first.condition, first.command) == (
        29,
        "tests",
        "pytest {posargs:-n auto}",
    )
    assert [s.condition for s in base.steps] == ["tests", "mypy", "mypy", "mypy"]

    report = step(job(config, "testenv:coverage-report"))
    assert report.where == Where("tox.ini", 66)
    (gate,) = analyze_script(report.command).gates
    assert (gate.tool, gate.threshold) == ("coverage report", None)  # fail_under from config
    assert job(config, "testenv:coverage-report").python_versions == ("3.14",)  # base_python


def test_coverage_workflows() -> None:
    """coverage 7.17.3 coverage.yml and kit.yml: setup-python's pip cache, flow-style `include`
    entries, `defaults.run.shell: bash`, 15-minute timeouts, report and diff-cover gates."""
    config = read("coverage")
    metacov, kit = ".github/workflows/coverage.yml", ".github/workflows/kit.yml"
    assert config.files == (metacov, kit)
    assert config.problems == ()
    assert [j.name for j in config.jobs] == [
        "changed",
        "coverage",
        "combine",
        "publish",
        "wheels",
        "non-binary",
        "sign",
    ]

    measured = job(config, "coverage")
    assert measured.where == Where(metacov, 64)
    assert measured.title == "${{ matrix.python-version }} on ${{ matrix.os }}"
    assert (measured.timeout_minutes, measured.timeout_where) == (15.0, Where(metacov, 67))
    assert measured.python_versions == (
        "3.11",
        "3.12",
        "3.13",
        "3.14",
        "3.14t",
        "3.15",
        "3.15t",
        "3.16",
        "3.16t",
        "pypy-3.11",
    )
    assert measured.caches == ()  # `#cache: pip` at line 129 is a comment
    assert measured.triggers == ("pull_request", "push", "workflow_dispatch")
    tox = step(measured, "Run tox coverage for ${{ matrix.python-version }}")
    assert tox.where == Where(metacov, 145)
    assert (tox.shell, tox.pipefail) == ("bash", True)  # from the workflow's `defaults`
    assert (tox.command, tox.command_where) == ("set -xe\npython -m tox\n", Where(metacov, 149))
    (run,) = analyze_script(tox.command).test_runs
    assert (run.runner, tox.line_of(run.offset_line)) == ("tox", 151)

    combine = job(config, "combine")
    assert combine.where == Where(metacov, 167)
    assert combine.caches == ("setup-python cache: pip",)
    assert combine.python_versions == ("3.11",)  # the inline comment is not the version
    assert combine.timeout_minutes is None
    text_report = step(combine, "Show text report")
    assert text_report.where == Where(metacov, 233)
    (gate,) = analyze_script(text_report.command).gates
    assert (gate.tool, gate.threshold) == ("coverage report", None)
    assert text_report.line_of(gate.offset_line) == 238
    changed = step(combine, "Check coverage on changed lines")
    assert (changed.where.line, changed.condition) == (270, "github.event_name == 'pull_request'")
    (diff_gate,) = analyze_script(changed.command).gates
    assert (diff_gate.tool, diff_gate.kind, diff_gate.threshold) == ("diff-cover", "diff", None)
    assert changed.line_of(diff_gate.offset_line) == 278
    # `|| status=$?` at line 282, but `exit "${status:-0}"` at line 287 fails the step: the
    # step's may_fail is not asserted here
    badge = step(job(config, "publish"), "Create badge")
    assert badge.where == Where(metacov, 368)
    assert badge.condition == (
        "github.repository_owner == 'coveragepy'\n&& github.ref == 'refs/heads/main'\n"
    )

    wheels = job(config, "wheels")
    assert wheels.where == Where(kit, 49)
    assert (
        wheels.title
        == "${{ matrix.py }} ${{ matrix.platform || matrix.os }} ${{ matrix.arch }} wheels"
    )
    assert wheels.caches == ("setup-python cache: pip",)
    # its 62 `include` entries (lines 140-201) give `py: "cp311"`…: cibuildwheel selectors, not
    # the interpreter the job runs (`cipy: "3.11"`); python_versions is not asserted here
    assert wheels.triggers == ("push", "workflow_dispatch", "repository_dispatch")
    install = step(wheels, "Install Python")
    assert install.where == Where(kit, 217)
    assert install.condition == "${{ matrix.arch != 'ppc64le' }}"
    assert dict(install.inputs) == {
        "python-version": "${{ matrix.cipy }}",
        "cache": "pip",
        "cache-dependency-path": "requirements/*.txt",
    }
    rust = step(wheels, "Setup Rust")
    assert (rust.where.line, rust.shell, rust.pipefail) == (228, "pwsh", False)
    assert rust.command_lines == (233, 234, 235, 236)
    non_binary = job(config, "non-binary")
    assert (non_binary.python_versions, non_binary.caches) == (
        ("3.11",),
        ("setup-python cache: pip",),
    )
    count = step(job(config, "sign"), "List distributions")
    assert count.where == Where(kit, 332)
    assert count.may_fail is None  # `|| exit 1` fails the step


def test_pytest_cov_workflow() -> None:
    """pytest-cov 7.1.0 test.yml: a 30-minute timeout, `include` entries (flow-style and block),
    actions/cache for pip, a folded `run: >`."""
    config = read("pytest_cov")
    path = ".github/workflows/test.yml"
    assert config.files == (path,)
    assert config.problems == ()
    assert [j.name for j in config.jobs] == ["examples", "test", "successful"]
    assert config.jobs[0].triggers == ("push", "pull_request", "workflow_dispatch")

    examples = job(config, "examples")
    assert examples.where == Where(path, 4)
    # the list, then `{python-version: …}` entries; `tox-python-version` is not a version
    assert examples.python_versions == ("pypy-3.11", "3.11")
    assert examples.caches == ("actions/cache",)
    assert examples.timeout_minutes is None
    cache = step(examples, "Cache")
    assert (cache.where.line, dict(cache.inputs)["path"]) == (26, "~/.cache/pip")
    tox_examples = step(examples, "Examples")
    assert tox_examples.command == (
        "cd examples/${{ matrix.target }}\ntox -v -e ${{ matrix.tox-python-version }}\n"
    )
    assert (tox_examples.command_where, tox_examples.command_lines) == (
        Where(path, 42),
        (43, 44, 45),
    )
    (run,) = analyze_script(tox_examples.command).test_runs
    assert (run.runner, run.targets) == ("tox", ("${{ matrix.tox-python-version }}",))
    assert tox_examples.line_of(run.offset_line) == 44

    tests = job(config, "test")
    assert tests.where == Where(path, 45)
    assert tests.title == "${{ matrix.name }}"
    assert (tests.timeout_minutes, tests.timeout_where) == (30.0, Where(path, 48))
    assert tests.python_versions == (
        "3.11",
        "3.10",
        "3.12",
        "3.13",
        "3.14",
        "pypy-3.10",
        "pypy-3.11",
        "3.9",
        "pypy-3.9",
    )
    assert tests.caches == ()
    setup = step(tests, line=229)
    assert dict(setup.inputs) == {
        "python-version": "${{ matrix.python }}",
        "architecture": "${{ matrix.python_arch }}",
    }
    folded = step(tests, "test")  # `run: >` folds its lines into one command
    assert folded.where == Where(path, 240)
    assert folded.command == "tox -e ${{ matrix.tox_env }} -v\n"
    assert (folded.command_where, folded.command_lines[0]) == (Where(path, 243), 244)
    (run,) = analyze_script(folded.command).test_runs
    assert (run.runner, run.targets) == ("tox", ("${{ matrix.tox_env }}",))
    assert job(config, "successful").where == Where(path, 246)


# -- GitHub Actions: what the real files lack -----------------------------------------------


def test_github_features() -> None:
    config = read("github_features")
    ci = ".github/workflows/ci.yml"
    # sub-folders of .github/workflows are not workflows
    assert config.files == (ci, ".github/workflows/reusable.yaml")
    assert config.problems == ()

    tests = job(config, "tests")
    assert tests.timeout_minutes is None  # an expression
    assert (tests.timeout_text, tests.timeout_where) == ("${{ inputs.timeout }}", Where(ci, 8))
    assert tests.may_fail == "continue-on-error: ${{ matrix.experimental }}"
    assert tests.python_versions == ("3.10", "3.11", "3.12", "3.13", "3.14")
    assert tests.caches == ("setup-uv enable-cache", "actions/cache")
    assert tests.triggers == ("push",)

    run_tests = step(tests, "Run tests")
    assert (run_tests.timeout_minutes, run_tests.timeout_where) == (20.0, Where(ci, 29))
    assert run_tests.pipefail is False  # the default shell: `bash -e`, no pipefail
    facts = analyze_script(run_tests.command, pipefail=run_tests.pipefail)
    (run,) = facts.test_runs
    assert (run.measures_coverage, run.gate, run.parallel) == (True, 85.0, "-n auto")
    assert run.may_fail == "| tee pytest.log"
    assert run_tests.line_of(run.offset_line) == 32
    under_bash = step(tests, "Run tests again, under bash")
    assert under_bash.pipefail is True
    (run,) = analyze_script(under_bash.command, pipefail=under_bash.pipefail).test_runs
    assert (run.may_fail, run.timeout) == (None, "--timeout=60")
    upload = step(tests, "Upload coverage")
    assert (upload.may_fail, upload.may_fail_where) == ("continue-on-error: true", Where(ci, 39))

    lint = job(config, "lint")
    assert lint.may_fail is None  # `continue-on-error: false`
    assert lint.python_versions == ("3.12", "3.13")  # a multi-line python-version input
    assert lint.caches == ("setup-python cache: pip",)
    assert lint.steps[0].uses == "actions/checkout@v4"  # `- *checkout`, an alias
    allowed = step(lint, "Lint, allowed to fail")
    assert (allowed.may_fail, allowed.may_fail_where) == ("|| true", Where(ci, 56))
    types = step(lint, "Types")
    assert types.command == 'set +e; mypy src; echo "mypy done"'
    assert (types.may_fail, types.may_fail_where) == ("set +e", Where(ci, 58))

    comment = step(job(config, "coverage-comment"))
    assert comment.uses == "py-cov-action/python-coverage-comment-action@v3"
    assert dict(comment.inputs)["MINIMUM_GREEN"] == "90"

    called = job(config, "call-reusable")
    assert called.uses == "./.github/workflows/reusable.yaml"
    assert (called.inputs, called.steps) == ((("python", "3.12"),), ())

    reusable = job(config, "test")
    assert reusable.where.path == ".github/workflows/reusable.yaml"
    assert reusable.triggers == ("workflow_call",)
    assert reusable.timeout_minutes == 30.0
    last = reusable.steps[-1]
    assert (last.shell, last.pipefail) == ("bash", True)  # from `defaults.run.shell`
    (run,) = analyze_script(last.command, pipefail=last.pipefail).test_runs
    assert (run.runner, run.parallel, run.may_fail) == ("tox", "-n 4", None)


# -- GitLab CI -------------------------------------------------------------------------------


def test_edspdf_gitlab() -> None:
    """edspdf 0.10.0 .gitlab-ci.yml: pytest --cov at line 36, coverage xml in after_script, the
    global image python:3.8-slim for every job, a cache keyed on a file, the coverage regex."""
    config = read("edspdf")
    path = ".gitlab-ci.yml"
    assert config.files == (path,)
    assert config.problems == ()
    assert [j.name for j in config.jobs] == [
        "Linting",
        "Running Pytest",
        "Installation",
        "Test documentation",
        "pages",
        "Package",
    ]
    # `image:` at line 1 is a registry path ending in `/python:3.8-slim`
    assert all(j.python_versions == ("3.8",) for j in config.jobs)
    assert job(config, "Linting").caches == ("cache: ~/.pre-commit",)

    pytest_job = job(config, "Running Pytest")
    assert pytest_job.where == Where(path, 30)
    assert pytest_job.coverage_regex == "/TOTAL.+ ([0-9]{1,3}%)/"
    assert pytest_job.reports == ("junit: report.xml", "coverage_report: cobertura coverage.xml")
    assert pytest_job.may_fail is None
    install = step(pytest_job, line=33)
    assert (install.name, install.command) == ("before_script", "pip install cython setuptools")
    script = step(pytest_job, "script")
    assert script.where == Where(path, 36)
    assert script.pipefail is True
    (run,) = analyze_script(script.command).test_runs
    assert (run.runner, run.measures_coverage) == ("pytest", True)
    after = step(pytest_job, "after_script")
    assert (after.where, after.may_fail) == (Where(path, 38), "after_script")
    assert analyze_script(after.command).gates[0].tool == "coverage xml"

    package = job(config, "Package")
    assert package.where == Where(path, 91)
    assert package.may_fail is None  # `only: tags`, not manual
    assert [s.where.line for s in package.steps] == [94, 95, 97]


def test_gwosc_gitlab_with_includes() -> None:
    """gwosc 0.7.0: local includes, templates and !reference from a remote include."""
    config = read("gwosc")
    assert config.files == (".gitlab-ci.yml", ".gitlab/ci/python.yml", ".gitlab/ci/test.yml")
    problems = {(p.where.path, p.where.line, p.message) for p in config.problems}
    missing = {line for path, line, message in problems if message.endswith("not found")}
    assert missing == {11, 13, 15, 19, 21}  # the five includes left out of the fixture
    assert (".gitlab-ci.yml", 11, "included file `/.gitlab/ci/dist.yml` not found") in problems
    assert (
        ".gitlab/ci/test.yml",
        16,
        "`.test` extends `.python:pytest`, which is not defined in the files read",
    ) in problems
    assert (
        ".gitlab/ci/python.yml",
        45,
        "`!reference [.python:pytest, before_script]` points to nothing in the files read",
    ) in problems
    assert (
        ".gitlab/ci/test.yml",
        38,
        "`!reference [.python:pytest, script]` points to nothing in the files read",
    ) in problems
    remote = [p for p in config.problems if "computing/gitlab-ci-templates" in p.message]
    assert {(p.where.path, p.where.line) for p in remote} == {
        (".gitlab/ci/python.yml", 7),
        (".gitlab/ci/test.yml", 7),
    }
    assert len(config.problems) == len(set(config.problems))  # each reported once

    names = [j.name for j in config.jobs]
    assert "test:python3.10:remote" in names and ".test" not in names and ".test:pip" not in names
    remote_job = job(config, "test:python3.10:remote")
    assert remote_job.where == Where(".gitlab/ci/python.yml", 72)
    assert remote_job.python_versions == ("3.10",)  # the image, through two `extends`
    assert remote_job.coverage_regex is None  # `coverage: null` in `.test`
    assert job(config, "wheel").python_versions == ("3",)
    # `extends: .test:pip` as a scalar, indented by three spaces
    assert job(config, "test:python3.11").python_versions == ("3.11",)
    steps = [(s.where.path, s.where.line, s.name) for s in remote_job.steps]
    assert steps == [
        (".gitlab/ci/python.yml", 42, "before_script"),
        (".gitlab/ci/python.yml", 43, "before_script"),
        (".gitlab/ci/test.yml", 31, "script"),
    ]
    heredoc = remote_job.steps[-1]
    assert heredoc.command_lines == (32, 33, 34, 35, 36, 37)  # the block ends with a newline
    assert [c.argv[0] for c in analyze_script(heredoc.command).commands] == ["cat"]
    combine = job(config, "coverage")
    assert combine.where == Where(".gitlab/ci/test.yml", 56)
    assert combine.steps == ()  # everything it runs is in the remote template


def test_gitlab_features() -> None:
    config = read("gitlab_features")
    root, template = ".gitlab-ci.yml", "ci/templates/tests.yml"
    assert config.files == (root, template)  # the glob include
    problems = [(p.where.line, p.message) for p in config.problems]
    assert problems == [
        (
            3,
            "`include: template: Security/SAST.gitlab-ci.yml` is not read (only local files "
            "are): the jobs and templates it defines are unknown here",
        ),
        (64, "`broken-extends` extends `.nowhere`, which is not defined in the files read"),
        (67, "`timeout: soon` is not a duration"),
    ]

    tests = job(config, "tests")
    assert tests.python_versions == ("3.10", "3.11", "3.12", "3.13")  # parallel:matrix
    assert tests.parallel == "matrix"
    assert (tests.timeout_minutes, tests.timeout_where) == (90.0, Where(root, 33))
    assert tests.caches == ("cache: .cache/pip",)  # from `default:`
    assert tests.coverage_regex == r"/TOTAL.*\s+(\d+%)$/"  # from the template
    assert [(s.where.path, s.where.line, s.name) for s in tests.steps] == [
        (root, 15, "before_script"),  # default
        (template, 13, "script"),  # !reference [.install, script]
        (root, 31, "script"),
        (root, 32, "script"),
    ]
    (gate,) = analyze_script(tests.steps[-1].command).gates
    assert gate.threshold == 90.0

    nightly = job(config, "nightly")
    assert nightly.may_fail == "allow_failure: exit_codes 137, 143"
    assert nightly.may_fail_where == Where(root, 37)
    assert nightly.timeout_minutes == 120.0
    assert len(nightly.steps) == 4  # everything from `tests`

    lint = job(config, "lint")
    assert (lint.caches, lint.python_versions) == ((), ("3.13",))  # inherit: default: false
    assert [s.name for s in lint.steps] == ["script"]
    assert (lint.may_fail, lint.may_fail_where) == ("rules: allow_failure: true", Where(root, 49))
    assert analyze_script(lint.steps[0].command).commands[0].may_fail == "|| true"

    experimental = job(config, "experimental")
    assert experimental.python_versions == ("pypy3.10",)
    assert experimental.timeout_minutes == 30.0  # default: timeout: 30m
    script = step(experimental, "script")
    # GitLab runs scripts under pipefail: the pipe hides nothing
    assert script.pipefail and script.may_fail is None
    upload = step(experimental, "after_script")
    assert upload.may_fail == "after_script"
    assert analyze_script(upload.command).uploads[0].service == "codecov"

    docs = job(config, "deploy-docs")
    assert docs.may_fail is None  # when: manual, but allow_failure: false
    assert step(docs, "script").command == "mkdocs build"


# -- tox -------------------------------------------------------------------------------------


def test_tox_in_setup_cfg() -> None:
    config = read("tox_setup_cfg")
    assert config.files == ("setup.cfg",)
    base = job(config, "testenv")
    assert base.envs == ("py310", "py311", "py312", "lint")
    assert base.python_versions == ("3.10", "3.11", "3.12")
    erase, run, report = base.steps
    assert (erase.name, erase.where.line, erase.command) == ("commands_pre", 12, "coverage erase")
    assert erase.may_fail == "- (tox ignores the exit status)"
    assert (run.where.line, run.command_lines) == (14, (14, 15))
    (test_run,) = analyze_script(run.command).test_runs
    assert (test_run.gate, test_run.parallel) == (80.0, "-n auto")
    assert report.command == "coverage report --fail-under=80"  # the inline comment is gone
    lint = job(config, "testenv:lint")
    assert (lint.may_fail, lint.may_fail_where) == ("ignore_outcome = true", Where("setup.cfg", 21))
    py312 = job(config, "testenv:py312")
    # {[testenv]commands} is [testenv]'s command, at its own line
    assert [(s.where.line, s.condition) for s in py312.steps] == [(14, ""), (27, "py312")]


def test_tox_toml() -> None:
    config = read("tox_toml")
    base = job(config, "env_run_base")
    assert base.where == Where("tox.toml", 4)
    assert base.python_versions == ("3.13", "3.12")
    (command,) = base.steps
    assert (command.where.line, command.command) == (8, "pytest --cov -n auto tests")
    typing = job(config, "env.type")
    assert (typing.where.line, typing.may_fail) == (11, "ignore_outcome = true")
    assert typing.steps[0].where.line == 14


def test_tox_in_pyproject() -> None:
    legacy = read("tox_pyproject_legacy")
    base = job(legacy, "testenv")
    assert base.where == Where("pyproject.toml", 10)
    assert base.steps[0].where == Where("pyproject.toml", 12)
    assert base.python_versions == ("3.11", "3.12")
    native = read("tox_pyproject")
    base = job(native, "env_run_base")
    assert base.where == Where("pyproject.toml", 8)
    assert [(s.where.line, s.command) for s in base.steps] == [
        (10, "coverage run -m pytest"),
        (11, "coverage report"),
    ]


# -- nox -------------------------------------------------------------------------------------


def test_nox_noxfile() -> None:
    """nox 2026.10.20 noxfile.py: `session.run("coverage", "run", "-m", "pytest", *parallel, …,
    env=env)` at line 63, where parallel is `[]` on Windows and `["--numprocesses=auto"]`
    elsewhere; helpers' runs; a 100% gate."""
    config = read("nox")
    assert config.files == ("noxfile.py",)
    assert config.problems == ()
    assert [j.name for j in config.jobs] == [
        "tests",
        "minimums",
        "conda_tests",
        "mamba_tests",
        "micromamba_tests",
        "rattler_tests",
        "cover",
        "lint",
        "docs",
        "github_actions_default_tests",
        "github_actions_all_tests",
    ]
    tests = job(config, "tests")
    assert tests.where == Where("noxfile.py", 45)
    assert tests.python_versions == ()  # python=ALL_PYTHONS, read from pyproject.toml at run time
    assert [s.where.line for s in tests.steps] == [62, 63, 74, 75]
    assert tests.steps[0].command == "coverage erase"
    measured = step(tests, line=63)
    assert measured.command.startswith("coverage run -m pytest ")
    assert "--numprocesses=auto" in measured.command  # the run-time choice, as one word
    assert measured.command.endswith(" -m 'not conda and not rattler'")  # posargs: none
    # env=env names the dict of lines 52-55; what the command shows of it is not asserted
    (run,) = analyze_script(measured.command).test_runs
    assert (run.runner, run.measures_coverage) == ("coverage run", True)
    (gate,) = analyze_script(tests.steps[-1].command).gates
    assert (gate.tool, gate.threshold) == ("coverage report", None)

    # xonda_tests() is a helper: its session.run calls (lines 108-120) are no session's steps
    assert job(config, "conda_tests").steps == ()
    assert all(not 92 <= s.where.line <= 120 for j in config.jobs for s in j.steps)
    rattler = job(config, "rattler_tests")
    assert [s.where.line for s in rattler.steps] == [150, 151, 154, 155]
    assert rattler.steps[1].command == "coverage run -m pytest -m rattler"

    minimums = job(config, "minimums")
    assert minimums.where == Where("noxfile.py", 78)
    assert [(s.where.line, s.command) for s in minimums.steps] == [
        (88, "uv pip list"),
        (89, "pytest -m 'not conda and not rattler'"),
    ]
    cover = step(job(config, "cover"), line=167)
    assert cover.command == "coverage report --fail-under=100 --show-missing"
    (gate,) = analyze_script(cover.command).gates
    assert (gate.tool, gate.threshold) == ("coverage report", 100.0)

    lint = job(config, "lint")
    assert lint.python_versions == ("3.12",)
    assert [(s.where.line, s.command) for s in lint.steps] == [(175, "prek run --all-files")]
    # docs (line 202) runs sphinx-build or sphinx-autobuild by `session.interactive`: not asserted
    # [*ALL_PYTHONS, "pypy3.10", "pypy3.11"]: only the literal entries are known
    assert job(config, "github_actions_all_tests").python_versions == ("pypy3.10", "pypy3.11")


def test_nox_features() -> None:
    config = read("nox_features")
    tests = job(config, "tests")
    assert tests.python_versions == ("3.11", "3.12", "3.13")  # a module constant
    run, report = tests.steps
    assert run.command == "coverage run -m pytest -n auto"
    assert report.command == "coverage report --fail-under=90"  # f-string of a constant
    lint = job(config, "lint")  # `from nox import session as sess`, name=
    assert lint.python_versions == ("3.12",)
    assert (lint.steps[0].may_fail, lint.steps[0].may_fail_where) == (
        "success_codes=[0, 1]",
        Where("noxfile.py", 21),
    )
    compat = job(config, "compat")
    assert compat.python_versions == ("3.10", "pypy3.10")  # nox.parametrize("python", ...)
    assert compat.steps[0].command == "COVERAGE_CORE=sysmon pytest -x"  # run_always, env=
    assert {j.name for j in config.jobs} == {"tests", "lint", "compat"}


# -- broken and missing ----------------------------------------------------------------------


def test_broken_files_are_problems_with_file_and_line() -> None:
    config = read("broken")
    assert config.jobs == ()
    expected = [
        # libyaml and PyYAML word YAML errors their own way: the start is the same
        (".github/workflows/broken.yml", 8, "broken YAML: while parsing a block mapping: "),
        (".github/workflows/empty.yml", 1, "not a workflow: the file is empty"),
        (".github/workflows/labels.yml", 2, "not a workflow: the top level is not a mapping"),
        (".github/workflows/notes.yaml", 1, "not a workflow: `jobs` is missing"),
        (".gitlab-ci.yml", 4, "broken YAML: while scanning a quoted scalar: "),
        ("tox.ini", 8, "broken INI: cannot parse `this line has no equals sign`"),
        ("noxfile.py", 6, "broken Python: '(' was never closed"),
    ]
    assert len(config.problems) == len(expected)
    for problem, (path, line, message) in zip(config.problems, expected, strict=True):
        assert (problem.where.path, problem.where.line) == (path, line)
        assert problem.message.startswith(message)


CASES = sorted(p.name for p in CI.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES)
def test_the_pure_python_loader_reads_the_same(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """PyYAML without libyaml gives the same model (YAML error wording aside)."""
    fast = read(case)
    monkeypatch.setattr(yaml_doc, "_LOADER", yaml.SafeLoader)
    slow = read(case)
    assert slow.jobs == fast.jobs
    assert [p.where for p in slow.problems] == [p.where for p in fast.problems]


def test_a_project_without_ci(tmp_path: Path) -> None:
    assert read_ci(tmp_path) == CiConfig((), (), ())


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("name: x\non: push\njobs: [a, b]\n", 3, "not a workflow: `jobs` is not a mapping"),
        ("on: push\njobs:\n  a: 3\n", 3, "job `a` is not a mapping"),
        ("on: push\njobs:\n  a:\n    steps: run\n", 4, "job `a`: `steps` is not a list"),
        (
            "on: push\njobs:\n  a:\n    timeout-minutes: soon\n",
            4,
            "`timeout-minutes: soon` is not a number",
        ),
        (
            "on: push\njobs:\n  a:\n    runs-on: x\n    runs-on: y\n",
            5,
            "duplicate key `runs-on`: the last one counts",
        ),
        # libyaml and PyYAML word it differently: both say where the sequence opens
        ("a: [1\n", 1, "broken YAML: while parsing a flow sequence"),
    ],
)
def test_workflow_shapes_that_are_problems(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "w.yml").write_text(text, encoding="utf-8")
    config = read_ci(tmp_path)
    (problem,) = config.problems
    assert problem.where.line == line
    assert problem.message.startswith(message)


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "noxfile.py").write_bytes(b"\xff\xfe not utf-8")
    (problem,) = read_ci(tmp_path).problems
    assert problem.where == Where("noxfile.py", 1)
    assert problem.message.startswith("cannot be read:")


def test_on_key_stays_a_string(tmp_path: Path) -> None:
    """YAML 1.1 reads a bare `on` as true; composing keeps GitHub's key as written."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "w.yaml").write_text(
        "on:\n  pull_request:\njobs:\n  t:\n    continue-on-error: yes\n    steps:\n"
        "      - run: pytest\n",
        encoding="utf-8",
    )
    (found,) = read_ci(tmp_path).jobs
    assert found.triggers == ("pull_request",)
    assert found.may_fail == "continue-on-error: yes"  # not `true`: said as written


# -- hostile files: each costs milliseconds and is one problem ------------------------------


def doubling(levels: int, template: str) -> list[str]:
    """Anchors ``&a1``… each using the one before twice (``template`` with ``{i}`` and
    ``{prev}``): written in a few lines, 2**levels entries once expanded."""
    return [template.format(i=i, prev=i - 1) for i in range(1, levels + 1)]


#: The issue's workflow: 27 levels of ``<<: [*a, *a]``, 999 bytes, 97 s before the limits.
MERGE_BOMB = "\n".join(
    [
        "on: push",
        "x0: &a0 {k0: v}",
        *doubling(27, "x{i}: &a{i} {{<<: [*a{prev}, *a{prev}], k{i}: v}}"),
        "jobs:",
        "  test:",
        "    <<: *a27",
        "    runs-on: ubuntu-latest",
        "    steps:",
        "      - run: pytest",
    ]
)
GITLAB_ALIAS_BOMB = "\n".join(
    [
        ".a0: &a0 {script: [pytest]}",
        *doubling(40, ".a{i}: &a{i} {{x: *a{prev}, y: *a{prev}}}"),
        "job: {extends: .a40, script: [pytest]}",
    ]
)
GITLAB_SCRIPT_BOMB = "\n".join(
    ["s0: &s0 [echo]", *doubling(40, "s{i}: &s{i} [*s{prev}, *s{prev}]"), "job: {script: *s40}"]
)
DEEP = "on: push\njobs:\n" + "".join("  " * level + f"k{level}:\n" for level in range(1, 151))
ALIAS_CHAIN = "\n".join(
    [
        ".a0: &a0 {script: [pytest]}",
        *(f".a{i}: &a{i} {{x: *a{i - 1}}}" for i in range(1, 400)),
        "job: {extends: .a399}",
    ]
)
TOO_LARGE = "on: push\njobs:\n  t:\n    steps:\n" + "      - run: echo x\n" * 60_000


@pytest.mark.parametrize("loader", ["libyaml", "pure Python"])
@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        pytest.param(
            ".github/workflows/ci.yml",
            MERGE_BOMB,
            17,
            "too complex: over 100,000 entries once its anchors, aliases and merge keys are",
            id="merge keys doubling",
        ),
        pytest.param(
            ".gitlab-ci.yml",
            GITLAB_ALIAS_BOMB,
            15,
            "too complex: over 100,000 entries once its anchors, aliases and merge keys are",
            id="aliases doubling",
        ),
        pytest.param(
            ".gitlab-ci.yml",
            GITLAB_SCRIPT_BOMB,
            2,
            "too complex: over 100,000 entries once its anchors, aliases and merge keys are",
            id="script lists doubling",
        ),
        pytest.param(
            ".github/workflows/ci.yml",
            "on: push\nx: &a {<<: *a, k: v}\njobs:\n  t: {<<: *a, steps: [{run: pytest}]}\n",
            2,
            "broken YAML: a mapping contains itself through an alias or a merge key",
            id="a mapping merged into itself",
        ),
        pytest.param(
            ".gitlab-ci.yml",
            ".t: &a {script: [pytest], again: *a}\njob: {extends: .t}\n",
            1,
            "broken YAML: a mapping contains itself through an alias or a merge key",
            id="a mapping inside itself",
        ),
        pytest.param(
            ".github/workflows/ci.yml",
            DEEP,
            102,
            "too deeply nested: more than 100 levels of mappings and lists",
            id="nested 150 levels",
        ),
        pytest.param(
            ".gitlab-ci.yml",
            ALIAS_CHAIN,
            101,
            "too deeply nested: more than 100 levels",
            id="400 aliases in a chain",
        ),
        pytest.param(
            ".github/workflows/ci.yml",
            TOO_LARGE,
            1,
            "too large: more than 1,000,000 bytes",
            id="over 1 MB",
        ),
    ],
)
@pytest.mark.timeout(30)
def test_hostile_files_are_one_problem(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    loader: str,
    name: str,
    text: str,
    line: int,
    message: str,
) -> None:
    """A file past covgap's limits (size, nesting, entries brought by aliases and merge keys)
    is one problem at the line where the limit was passed, none of its jobs read, in
    milliseconds (the merge keys doubling took 97 s before)."""
    if loader == "pure Python":
        monkeypatch.setattr(yaml_doc, "_LOADER", yaml.SafeLoader)
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    config = read_ci(tmp_path)
    assert config.jobs == ()
    (problem,) = config.problems
    assert problem.where == Where(name, line)
    assert problem.message.startswith(message)


def test_anchors_used_many_times_read_as_written_out(tmp_path: Path) -> None:
    """Anchors, aliases and merge keys shared by many jobs give the jobs the same file written
    out in full gives (what is made once for an anchor is shared, never changed)."""
    shared = tmp_path / "shared" / ".github" / "workflows"
    shared.mkdir(parents=True)
    jobs = "".join(
        f"  j{i}:\n    <<: *defaults\n    steps:\n      - *checkout\n      - run: pytest -k {i}\n"
        for i in range(50)
    )
    (shared / "ci.yml").write_text(
        "on: push\n"
        "x-defaults: &defaults\n  runs-on: ubuntu-latest\n  timeout-minutes: 9\n"
        "  strategy: {matrix: {python-version: ['3.12', '3.13']}}\n"
        "x-checkout: &checkout {uses: actions/checkout@v4}\n"
        f"jobs:\n{jobs}",
        encoding="utf-8",
    )
    written = tmp_path / "written" / ".github" / "workflows"
    written.mkdir(parents=True)
    (written / "ci.yml").write_text(
        "on: push\njobs:\n"
        + "".join(
            f"  j{i}:\n    runs-on: ubuntu-latest\n    timeout-minutes: 9\n"
            "    strategy: {matrix: {python-version: ['3.12', '3.13']}}\n"
            f"    steps:\n      - uses: actions/checkout@v4\n      - run: pytest -k {i}\n"
            for i in range(50)
        ),
        encoding="utf-8",
    )

    def shape(config: CiConfig) -> list[tuple[object, ...]]:
        return [
            (j.name, j.timeout_minutes, j.python_versions, [(s.uses, s.command) for s in j.steps])
            for j in config.jobs
        ]

    from_anchors = read_ci(tmp_path / "shared")
    assert from_anchors.problems == ()
    assert shape(from_anchors) == shape(read_ci(tmp_path / "written"))
    assert len(from_anchors.jobs) == 50


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.timeout(30)
def test_a_fifo_is_a_problem_never_opened(tmp_path: Path) -> None:
    """A workflow, tox.ini or noxfile.py that is a FIFO is a problem; opening it would wait for
    a writer forever."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    os.mkfifo(workflows / "ci.yml")
    os.mkfifo(tmp_path / "tox.ini")
    os.mkfifo(tmp_path / "noxfile.py")
    config = read_ci(tmp_path)
    assert config.files == ()
    assert [(p.where, p.message) for p in config.problems] == [
        (Where(".github/workflows/ci.yml", 1), "not a regular file (a FIFO)"),
        (Where("tox.ini", 1), "not a regular file (a FIFO)"),
        (Where("noxfile.py", 1), "not a regular file (a FIFO)"),
    ]
