"""What a CI script's shell text does for testing: pure analysis of command text, no I/O.

``analyze_script`` reads a script (a GitHub ``run:`` block, a GitLab ``script:`` line, a tox
``commands`` line, a nox ``session.run`` rendered as a command line) and lists its simple
commands, and among them:

- the test runs (pytest, ``coverage run``, ``covgap run``, tox, nox, ``hatch test``, unittest,
  nose, ``setup.py test``, ``manage.py test``, and opaque targets whose name says test,
  coverage or ci: ``make ci``, ``hatch run cov``, ``scripts/test``), with whether they measure
  coverage, the threshold they enforce, their parallelism and timeout flags as written;
- the coverage gates: every command that can fail on a coverage threshold. coverage.py's
  ``report``, ``html``, ``xml``, ``json`` and ``lcov`` all fail under ``--fail-under`` or the
  configuration's ``[report] fail_under``, and so does ``pytest --cov`` (pytest-cov reads the same
  setting); without a threshold on the command line the gate's ``threshold`` is None: the
  project's coverage configuration decides. ``diff-cover --fail-under`` is a gate on the diff;
- the uploads of coverage (the codecov and coveralls command-line tools);
- every command whose failure is ignored, and why (``Command.may_fail``).

How the text is read
    Lines are split on newlines; ``\\`` at the end of a line joins the next one, and so does an
    open quote (up to 50 lines), so ``offset_line`` (0-based, an index into
    ``script.split("\\n")``) is the line where a command starts. Heredoc bodies (``<< EOF`` …
    ``EOF``) are skipped, and so are comments. Each logical line is split with ``shlex``
    (POSIX); on an unbalanced quote it falls back to whitespace splitting and goes on.
    ``${{ … }}`` (GitHub expressions), ``$( … )``, ``<( … )``, backquotes and ``${ … }`` stay
    one word. tox substitutions are understood where they change the arguments:
    ``{posargs:-n auto}`` gives ``-n auto``, ``{posargs}`` nothing, ``{envpython}`` ``python``,
    ``{envbindir}/pytest`` ``pytest``. Commands are split at ``;``, ``&``, ``&&``, ``||``, ``|``,
    parentheses and braces; ``NAME=value`` words before a program are its environment;
    redirections are dropped; wrappers are looked through: ``env``, ``sudo``, ``time``,
    ``nice``, ``timeout`` (kept as the run's timeout), ``xvfb-run``, ``uv run``, ``uvx``,
    ``uv tool run``, ``pipx run``, ``poetry run``, ``pdm run``, ``pipenv run``, ``rye run``,
    ``hatch run``, ``conda``/``mamba``/``micromamba run``, ``python -m``, a virtualenv's
    ``bin/`` and tox's ``{envpython}``.

When a failure is ignored (``may_fail``)
    ``a || b``: ``a`` (and everything before it in the same ``&&``/``||`` list) may fail,
    unless the commands after ``||`` end with ``exit N`` (N not 0), ``false`` or ``return N``:
    written ``"|| true"``, ``"|| exit 0"``, ``"|| :"``, ``"|| echo failed"``. ``a | b``: without
    ``pipefail`` the pipeline's status is its last command's, so ``a`` may fail: ``"| tee
    log"``. ``set +e`` (until ``set -e``): every command but the script's last: ``"set +e"``.
    ``! a``: ``"!"``. Whether ``pipefail`` holds depends on the CI system, so the caller says:
    GitHub sets it only for an explicit ``shell: bash``; GitLab Runner's bash scripts run under
    ``set -eo pipefail``; ``set -o pipefail`` in the script sets it from there on.

Limits: this is not a shell. Functions, loops, ``if`` bodies and command substitutions are
not followed (a command inside ``if …; then`` is still seen, its condition is not), variables
are not expanded, and the scripts that ``make``, ``hatch run``, ``tox`` or ``scripts/test``
run are not read: such a run is recorded with its runner and target only.
"""

from __future__ import annotations

from covgap.collect.project.shell.commands import _items
from covgap.collect.project.shell.facts import (
    Command,
    CoverageGate,
    CoverageUpload,
    ScriptFacts,
    TestRun,
)
from covgap.collect.project.shell.failures import _errexit_off, _mask, _set_options, _with_mask
from covgap.collect.project.shell.gates import _gate, _upload
from covgap.collect.project.shell.runners import _classify
from covgap.collect.project.shell.words import _logical_lines
from covgap.collect.project.shell.wrappers import _script_after_python, _unwrap


def analyze_script(script: str, *, pipefail: bool = False) -> ScriptFacts:
    """The commands of ``script`` and what they do for testing (see the module docstring).

    ``pipefail``: whether the shell runs the script with ``set -o pipefail`` (GitLab Runner's
    bash, GitHub's ``shell: bash``); it decides whether ``pytest | tee log`` may fail.
    """
    commands: list[Command] = []
    runs: list[TestRun] = []
    gates: list[CoverageGate] = []
    uploads: list[CoverageUpload] = []
    unparsed: list[int] = []
    for offset, text, words, balanced in _logical_lines(script):
        if not balanced:
            unparsed.append(offset)
        items = _items(words)
        for index, part in enumerate(items):
            if isinstance(part, str) or not part.argv:
                continue
            mask = _mask(items, index, pipefail)
            if part.argv[0] == "set":
                pipefail = _set_options(part.argv).get("pipefail", pipefail)
            commands.append(Command(text.strip(), offset, tuple(part.argv), tuple(part.env), mask))
    # set +e: a command's failure is ignored unless it is the script's last.
    off = _errexit_off(commands)
    for index in off:
        if index < len(commands) - 1 and commands[index].may_fail is None:
            commands[index] = _with_mask(commands[index], "set +e")
    for command in commands:
        argv = list(command.argv)
        unwrapped, timeouts = _unwrap(argv)
        unwrapped = _script_after_python(unwrapped)
        found = _classify(unwrapped)
        if found is not None:
            runs.append(
                TestRun(
                    text=command.text,
                    offset_line=command.offset_line,
                    runner=found.runner,
                    measures_coverage=found.measures,
                    gate=found.gate,
                    parallel=" ".join(found.parallel) if found.parallel else None,
                    timeout=found.timeout or (timeouts[0] if timeouts else None),
                    may_fail=command.may_fail,
                    argv=command.argv,
                    env=command.env,
                    targets=found.targets,
                )
            )
            pytest_cov = found.measures and found.runner not in {"coverage run", "covgap run"}
            if pytest_cov or found.gate is not None:
                tool = "hatch test" if found.runner == "hatch test" else "pytest-cov"
                gates.append(
                    CoverageGate(
                        command.text,
                        command.offset_line,
                        tool,
                        found.gate,
                        "total",
                        command.may_fail,
                    )
                )
        gate = _gate(unwrapped)
        if gate is not None:
            gates.append(CoverageGate(command.text, command.offset_line, *gate, command.may_fail))
        service = _upload(unwrapped)
        if service is not None:
            uploads.append(
                CoverageUpload(command.text, command.offset_line, service, command.may_fail)
            )
    return ScriptFacts(tuple(commands), tuple(runs), tuple(gates), tuple(uploads), tuple(unparsed))
