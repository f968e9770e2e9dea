"""Shell analysis of CI scripts: test runs, coverage gates, uploads and ignored failures."""

from __future__ import annotations

import pytest

from covgap.collect.project.shell import analyze_script, split_words

# (script, runner, measures coverage, gate, parallel, timeout, may_fail, targets)
RUNS = [
    ("pytest", "pytest", False, None, None, None, None, ()),
    ("py.test tests/", "pytest", False, None, None, None, None, ()),
    ("python -m pytest -x", "pytest", False, None, None, None, None, ()),
    ("python3 -m pytest --cov=src", "pytest", True, None, None, None, None, ()),
    ("python3.12 -X dev -W error -m pytest --cov", "pytest", True, None, None, None, None, ()),
    ("py -3.12 -m pytest", "pytest", False, None, None, None, None, ()),
    ("pytest --cov=pkg --cov-fail-under=90", "pytest", True, 90.0, None, None, None, ()),
    ("pytest --cov --cov-fail-under 85.5", "pytest", True, 85.5, None, None, None, ()),
    ("pytest -n auto", "pytest", False, None, "-n auto", None, None, ()),
    ("pytest -n4", "pytest", False, None, "-n4", None, None, ()),
    (
        "pytest --numprocesses=4 --dist loadfile",
        "pytest",
        False,
        None,
        "--numprocesses=4 --dist loadfile",
        None,
        None,
        (),
    ),
    ("pytest --timeout=30", "pytest", False, None, None, "--timeout=30", None, ()),
    (
        "pytest --timeout 30 --timeout-method=thread",
        "pytest",
        False,
        None,
        None,
        "--timeout 30",
        None,
        (),
    ),
    ("timeout 20m pytest", "pytest", False, None, None, "timeout 20m", None, ()),
    ("COVERAGE_CORE=sysmon pytest --cov", "pytest", True, None, None, None, None, ()),
    ("env PYTHONHASHSEED=0 pytest", "pytest", False, None, None, None, None, ()),
    ("uv run pytest --cov", "pytest", True, None, None, None, None, ()),
    ("uv run --frozen --python 3.12 pytest", "pytest", False, None, None, None, None, ()),
    ("poetry run pytest -n auto", "pytest", False, None, "-n auto", None, None, ()),
    ("pdm run pytest", "pytest", False, None, None, None, None, ()),
    ("pipenv run python -m pytest", "pytest", False, None, None, None, None, ()),
    ("hatch run pytest", "pytest", False, None, None, None, None, ()),
    ("hatch run test:cov", "hatch run", False, None, None, None, None, ("test:cov",)),
    ("hatch test --cover --parallel", "hatch test", True, None, "--parallel", None, None, ()),
    (".venv/bin/pytest", "pytest", False, None, None, None, None, ()),
    ("xvfb-run -a pytest", "pytest", False, None, None, None, None, ()),
    ("sudo -E pytest", "pytest", False, None, None, None, None, ()),
    ("coverage run -m pytest", "coverage run", True, None, None, None, None, ()),
    (
        "coverage run --source=src -m pytest -n 2",
        "coverage run",
        True,
        None,
        "-n 2",
        None,
        None,
        (),
    ),
    (
        "python -m coverage run -m unittest discover",
        "coverage run",
        True,
        None,
        None,
        None,
        None,
        (),
    ),
    ("pdm run coverage run -m pytest", "coverage run", True, None, None, None, None, ()),
    ("coverage run {posargs:-n auto}", "coverage run", True, None, None, None, None, ()),
    (
        "coverage run -m pytest {posargs:-n auto}",
        "coverage run",
        True,
        None,
        "-n auto",
        None,
        None,
        (),
    ),
    ("{envpython} -m pytest {posargs}", "pytest", False, None, None, None, None, ()),
    ("{envbindir}/pytest --cov", "pytest", True, None, None, None, None, ()),
    (
        "covgap run --parallel auto --timeout 600",
        "covgap run",
        True,
        None,
        "--parallel auto",
        "--timeout 600",
        None,
        (),
    ),
    ("covgap run -- -n 2", "covgap run", True, None, "-n 2", None, None, ()),
    ("tox", "tox", False, None, None, None, None, ()),
    ("tox -e py312", "tox", False, None, None, None, None, ("py312",)),
    ("tox run -e py311,py312", "tox", False, None, None, None, None, ("py311", "py312")),
    ("tox -p auto", "tox", False, None, "-p auto", None, None, ()),
    ("tox p -e lint,py312", "tox", False, None, "p", None, None, ("lint", "py312")),
    ("tox -e py -- -n 4", "tox", False, None, "-n 4", None, None, ("py",)),
    (
        "tox run -e ${{ matrix.tox_env }}-coverage",
        "tox",
        False,
        None,
        None,
        None,
        None,
        ("${{ matrix.tox_env }}-coverage",),
    ),
    ("uvx --with=tox-uv tox run -e py313", "tox", False, None, None, None, None, ("py313",)),
    ("python -m tox -e py", "tox", False, None, None, None, None, ("py",)),
    ("nox", "nox", False, None, None, None, None, ()),
    ("nox -s tests", "nox", False, None, None, None, None, ("tests",)),
    ("nox -s lint tests-3.12", "nox", False, None, None, None, None, ("lint", "tests-3.12")),
    ("nox --session=tests -- --cov", "nox", True, None, None, None, None, ("tests",)),
    ("pipx run nox -s tests", "nox", False, None, None, None, None, ("tests",)),
    ("python -m unittest discover", "unittest", False, None, None, None, None, ()),
    ("nosetests --with-coverage", "nosetests", True, None, None, None, None, ()),
    ("python setup.py test", "setup.py test", False, None, None, None, None, ()),
    ("python manage.py test", "manage.py test", False, None, None, None, None, ()),
    ("make test", "make", False, None, None, None, None, ("test",)),
    ("make ci", "make", False, None, None, None, None, ("ci",)),
    ("scripts/test", "script", False, None, None, None, None, ("scripts/test",)),
    ("./run_tests.sh", "script", False, None, None, None, None, ("./run_tests.sh",)),
    (
        '${PYTHON:="python"} -m pytest ${PYTEST_OPTIONS}',
        "pytest",
        False,
        None,
        None,
        None,
        None,
        (),
    ),
    ("pytest || true", "pytest", False, None, None, None, "|| true", ()),
    ("pytest || exit 0", "pytest", False, None, None, None, "|| exit 0", ()),
    ("pytest || :", "pytest", False, None, None, None, "|| :", ()),
    (
        "pytest || echo 'tests failed'",
        "pytest",
        False,
        None,
        None,
        None,
        "|| echo tests failed",
        (),
    ),
    ("(cd tests && pytest) || true", "pytest", False, None, None, None, "|| true", ()),
    ("pytest && echo ok || exit 0", "pytest", False, None, None, None, "|| exit 0", ()),
    ("pytest | tee log.txt", "pytest", False, None, None, None, "| tee log.txt", ()),
    ("! pytest", "pytest", False, None, None, None, "!", ()),
]


@pytest.mark.parametrize(
    ("script", "runner", "measures", "gate", "parallel", "timeout", "may_fail", "targets"), RUNS
)
def test_a_command_line_that_runs_the_tests(
    script: str,
    runner: str,
    measures: bool,
    gate: float | None,
    parallel: str | None,
    timeout: str | None,
    may_fail: str | None,
    targets: tuple[str, ...],
) -> None:
    facts = analyze_script(script)
    assert len(facts.test_runs) == 1, facts
    run = facts.test_runs[0]
    assert run.runner == runner
    assert run.measures_coverage is measures
    assert run.gate == gate
    assert run.parallel == parallel
    assert run.timeout == timeout
    assert run.may_fail == may_fail
    assert run.targets == targets
    assert run.offset_line == 0


# Commands whose failure still fails the script.
STRICT = [
    "pytest || exit 1",
    "pytest || { echo failed; exit 1; }",
    "pytest || false",
    "pytest || exit $?",
    "pytest; echo done",
    "pytest && coverage xml",
    "cd tests && pytest",
]


@pytest.mark.parametrize("script", STRICT)
def test_a_failure_that_is_not_ignored(script: str) -> None:
    (run,) = analyze_script(script).test_runs
    assert run.may_fail is None


def test_a_pipe_from_a_command_that_cannot_fail_masks_nothing() -> None:
    facts = analyze_script('echo "ok=1" | tee -a "$GITHUB_OUTPUT"')
    assert all(command.may_fail is None for command in facts.commands)


NOT_TESTS = [
    "pip install -e .[test]",
    "echo pytest",
    "make html",
    "ruff check .",
    "python -c 'import pytest'",
    "coverage combine",
    "hatch run lint:all",
    "uv sync --all-extras",
    "pytest --version",
    "python -m pytest --markers",
    "tox --version",
    "nox --help",
    "tox -e lint,docs",
    "uvx --with=tox-uv tox run -e $TOX_PYTHON-mypy",
    "nox -s lint",
    "nox --list-sessions --json | jq '[.[].session]'",
    "tox -l",
    "tox list",
    "tox --notest -e py312",
]


@pytest.mark.parametrize("script", NOT_TESTS)
def test_commands_that_do_not_run_the_tests(script: str) -> None:
    assert analyze_script(script).test_runs == ()


# (script, tool, threshold, kind)
GATES = [
    ("coverage report --fail-under=80", "coverage report", 80.0, "total"),
    ("coverage report --fail-under 97.5 --show-missing", "coverage report", 97.5, "total"),
    ("coverage report", "coverage report", None, "total"),
    ("coverage xml -o coverage.xml", "coverage xml", None, "total"),
    ("python -m coverage html --fail-under=70", "coverage html", 70.0, "total"),
    ("coverage json --fail-under=60", "coverage json", 60.0, "total"),
    ("uv run coverage lcov", "coverage lcov", None, "total"),
    (
        "diff-cover coverage.xml --compare-branch=origin/main --fail-under=80",
        "diff-cover",
        80.0,
        "diff",
    ),
    ("pytest --cov=src --cov-fail-under=95", "pytest-cov", 95.0, "total"),
    ("pytest --cov=src", "pytest-cov", None, "total"),
    ("covgap check --fail-under 85", "covgap check", 85.0, "total"),
]


@pytest.mark.parametrize(("script", "tool", "threshold", "kind"), GATES)
def test_a_coverage_gate(script: str, tool: str, threshold: float | None, kind: str) -> None:
    (gate,) = analyze_script(script).gates
    assert (gate.tool, gate.threshold, gate.kind) == (tool, threshold, kind)


def test_a_rerun_after_a_failure() -> None:
    first, rerun = analyze_script("pytest --lf || pytest --lf -x").test_runs
    assert (first.may_fail, rerun.may_fail) == ("|| pytest --lf -x", None)


def test_coverage_run_is_not_a_gate_itself() -> None:
    assert analyze_script("coverage run -m pytest").gates == ()
    assert analyze_script("coverage combine && coverage erase").gates == ()


# (script, service, may_fail)
UPLOADS = [
    ("codecov -t $CODECOV_TOKEN", "codecov", None),
    ("./codecov --verbose upload-process", "codecov", None),
    ("codecovcli upload-process -f coverage.xml || echo skipped", "codecov", "|| echo skipped"),
    ("bash <(curl -s https://codecov.io/bash)", "codecov", None),
    ("coveralls --service=github", "coveralls", None),
    ("python -m coveralls", "coveralls", None),
]


@pytest.mark.parametrize(("script", "service", "may_fail"), UPLOADS)
def test_a_coverage_upload(script: str, service: str, may_fail: str | None) -> None:
    (upload,) = analyze_script(script).uploads
    assert (upload.service, upload.may_fail) == (service, may_fail)


def test_lines_of_a_multi_line_script() -> None:
    script = (
        "python -m pip install -U pip\n"
        "\n"
        "# run the suite\n"
        "pytest \\\n"
        "  --cov=src \\\n"
        "  -n auto\n"
        "coverage report --fail-under=100\n"
    )
    facts = analyze_script(script)
    (run,) = facts.test_runs
    assert run.offset_line == 3
    assert run.text == "pytest --cov=src -n auto"
    assert (run.measures_coverage, run.parallel) == (True, "-n auto")
    (gate,) = [g for g in facts.gates if g.tool == "coverage report"]
    assert (gate.offset_line, gate.threshold) == (6, 100.0)
    assert [c.offset_line for c in facts.commands] == [0, 3, 6]


def test_set_plus_e_ignores_failures_until_the_last_command() -> None:
    facts = analyze_script("set +e\npytest\ncoverage report --fail-under=90\necho done")
    assert [(c.argv[0], c.may_fail) for c in facts.commands] == [
        ("set", None),
        ("pytest", "set +e"),
        ("coverage", "set +e"),
        ("echo", None),  # the script's status is the last command's
    ]
    (gate,) = facts.gates
    assert (gate.threshold, gate.may_fail) == (90.0, "set +e")


def test_set_minus_e_turns_failures_back_on() -> None:
    facts = analyze_script("set +e\npip install x\nset -e\npytest\necho done")
    (run,) = facts.test_runs
    assert run.may_fail is None
    assert facts.commands[1].may_fail == "set +e"


def test_pipefail_decides_whether_a_pipe_hides_the_failure() -> None:
    assert analyze_script("pytest | tee log").test_runs[0].may_fail == "| tee log"
    assert analyze_script("pytest | tee log", pipefail=True).test_runs[0].may_fail is None
    script = "set -eo pipefail\npytest | tee log"
    assert analyze_script(script).test_runs[0].may_fail is None
    script = "set -o pipefail\nset +o pipefail\npytest | tee log"
    assert analyze_script(script).test_runs[0].may_fail == "| tee log"


def test_heredoc_bodies_are_not_commands() -> None:
    script = "cat > .coveragerc << EOF\n[run]\npytest = not a command\nEOF\npytest -q\n"
    facts = analyze_script(script)
    assert [c.argv[0] for c in facts.commands] == ["cat", "pytest"]
    assert facts.test_runs[0].offset_line == 4


def test_a_quoted_string_over_several_lines_is_one_command() -> None:
    facts = analyze_script('python -c "\nimport sys\nprint(sys.version)\n"\npytest')
    assert [(c.argv[0], c.offset_line) for c in facts.commands] == [("python", 0), ("pytest", 4)]


def test_unbalanced_quotes_fall_back_to_whitespace_and_go_on() -> None:
    facts = analyze_script('echo "unbalanced\npytest --cov=x -n 2')
    assert facts.unparsed_lines == (0,)
    (run,) = facts.test_runs
    assert (run.offset_line, run.measures_coverage, run.parallel) == (1, True, "-n 2")


def test_expressions_and_substitutions_stay_one_word() -> None:
    words, balanced = split_words(
        "tox run -e ${{ matrix.tox_env }} --installpkg `find dist/*.tar.gz` "
        "--python $(cat .python-version) ${VAR:-a b} && echo ok"
    )
    assert balanced
    assert words == [
        "tox",
        "run",
        "-e",
        "${{ matrix.tox_env }}",
        "--installpkg",
        "`find dist/*.tar.gz`",
        "--python",
        "$(cat .python-version)",
        "${VAR:-a b}",
        "&&",
        "echo",
        "ok",
    ]


def test_environment_assignments_and_redirections() -> None:
    (run,) = analyze_script("COVERAGE_CORE=sysmon X='a b' pytest -q > out.txt 2>&1").test_runs
    assert run.env == ("COVERAGE_CORE=sysmon", "X=a b")
    assert run.argv == ("pytest", "-q")


def test_nothing_in_an_empty_or_comment_only_script() -> None:
    for script in ("", "\n\n", "# just a comment\n   # another"):
        facts = analyze_script(script)
        assert (facts.commands, facts.test_runs, facts.gates, facts.uploads) == ((), (), (), ())


def test_shell_keywords_are_looked_through() -> None:
    script = 'if [ "$RUN" = 1 ]; then\n  pytest --cov\nfi\nfor x in a b; do echo $x; done'
    facts = analyze_script(script)
    assert [r.offset_line for r in facts.test_runs] == [1]
