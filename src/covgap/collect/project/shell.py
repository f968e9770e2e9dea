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

import re
import shlex
from dataclasses import dataclass

__all__ = [
    "Command",
    "CoverageGate",
    "CoverageUpload",
    "ScriptFacts",
    "TestRun",
    "analyze_script",
    "split_words",
]

_TEST_WORD = re.compile(r"test|cov|(?:^|[-_:/])ci(?:$|[-_:])", re.IGNORECASE)
#: A tox environment or nox session that runs the tests: a test word, or a bare interpreter
#: (``py312``, ``pypy3``: tox's default environments run the tests).
_TEST_ENV = re.compile(
    r"test|cov|unit|integration|e2e|(?:^|[-_:/])ci(?:$|[-_:])|^-?(?:py|pypy)[\d.]*(?:-|$)",
    re.IGNORECASE,
)
_VARIABLE = re.compile(r"\$\{\{[^}]*\}\}|\$\{?\w+\}?")


def _runs_tests(targets: list[str]) -> bool:
    """Whether tox environments / nox sessions named ``targets`` run the tests; a target that
    is only a variable (``$TOXENV``) may, and counts."""
    for target in targets:
        known = _VARIABLE.sub("", target).strip("-_")
        if not known or _TEST_ENV.search(known):
            return True
    return False


_PYTHON = re.compile(
    r"^(?:python[\d.]*w?|pypy[\d.]*|py)(?:\.exe)?$|^\$\{?PYTHON\w*(?::?[-=][^}]*)?\}?$",
    re.IGNORECASE,
)
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_OPERATORS = frozenset({";", "&", "&&", "||", "|", "|&", "(", ")", "((", "))", "{", "}", ";;"})
_REDIRECT = re.compile(r"^\d*(?:>>?|<<?<?|>&|<&|&>>?|>\|)$")
_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "exec", "command"})
_ENDERS = frozenset({"fi", "done", "esac", "[[", "]]", "[", "]"})
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][\w]*)\1")
_COVERAGE_REPORTS = frozenset({"report", "html", "xml", "json", "lcov"})


@dataclass(frozen=True)
class Command:
    """One simple command of a script."""

    #: The logical line it is on, as written (continuation lines joined with a space).
    text: str
    #: 0-based index into ``script.split("\\n")`` of the line where the command starts.
    offset_line: int
    #: The program and its arguments, environment assignments left out, quotes removed.
    argv: tuple[str, ...]
    #: ``NAME=value`` assignments written before the program.
    env: tuple[str, ...]
    #: Why its failure does not fail the script (``"|| true"``, ``"set +e"``…), or None.
    may_fail: str | None


@dataclass(frozen=True)
class TestRun:
    """One command line in a script that runs the test suite."""

    __test__ = False  # a name pytest would collect

    #: The command as written (continuation lines joined).
    text: str
    #: 0-based line within the script where it starts (see ``Command.offset_line``).
    offset_line: int
    #: ``"pytest"``, ``"coverage run"``, ``"covgap run"``, ``"tox"``, ``"nox"``,
    #: ``"hatch test"``, ``"unittest"``, ``"nose2"``, ``"nosetests"``, ``"setup.py test"``,
    #: ``"manage.py test"``, ``"make"``, ``"hatch run"``, ``"pixi run"``, ``"script"``.
    runner: str
    #: Whether the run measures coverage itself: ``--cov``, ``coverage run``, ``covgap run``,
    #: ``hatch test --cover``, ``nosetests --with-coverage``. A tox or nox run is False here:
    #: what its environment runs is in the tox or nox configuration.
    measures_coverage: bool
    #: The threshold written on the command line (``--cov-fail-under``), or None.
    gate: float | None
    #: The parallelism flags as written (``"-n auto"``, ``"--numprocesses 4 --dist loadfile"``,
    #: ``"-p auto"`` for tox, ``"--parallel 4"`` for covgap), or None.
    parallel: str | None
    #: The timeout as written (``"--timeout=30"``, ``"--timeout 30"``, ``"timeout 20m"``), or None.
    timeout: str | None
    #: Why its failure may not fail the script, or None (see ``Command.may_fail``).
    may_fail: str | None
    #: The program and its arguments (wrappers included), environment assignments left out.
    argv: tuple[str, ...]
    #: ``NAME=value`` assignments written before the command (``COVERAGE_CORE=sysmon``).
    env: tuple[str, ...]
    #: The tox environments (``-e``), nox sessions (``-s``), make targets or task names named.
    targets: tuple[str, ...]


@dataclass(frozen=True)
class CoverageGate:
    """A command that fails when coverage is under a threshold."""

    text: str
    offset_line: int
    #: ``"coverage report"`` (or ``html``, ``xml``, ``json``, ``lcov``), ``"pytest-cov"``,
    #: ``"covgap check"``, ``"diff-cover"``.
    tool: str
    #: The threshold on the command line; None: the coverage configuration's ``fail_under``
    #: decides (no gate if it sets none).
    threshold: float | None
    #: ``"total"`` or ``"diff"`` (only the changed lines).
    kind: str
    may_fail: str | None


@dataclass(frozen=True)
class CoverageUpload:
    """A command that sends coverage to a service."""

    text: str
    offset_line: int
    #: ``"codecov"`` or ``"coveralls"``.
    service: str
    may_fail: str | None


@dataclass(frozen=True)
class ScriptFacts:
    """What a script does for testing."""

    commands: tuple[Command, ...]
    test_runs: tuple[TestRun, ...]
    gates: tuple[CoverageGate, ...]
    uploads: tuple[CoverageUpload, ...]
    #: 0-based lines whose quotes did not balance: split on whitespace instead.
    unparsed_lines: tuple[int, ...]

    @property
    def masked(self) -> tuple[Command, ...]:
        """The commands whose failure is ignored."""
        return tuple(command for command in self.commands if command.may_fail)


# -- splitting ------------------------------------------------------------------------------


def _protect(line: str) -> tuple[str, list[str]]:
    """Replace substitutions and expressions by placeholder words; return the text and them."""
    kept: list[str] = []

    def keep(text: str) -> str:
        kept.append(text)
        return f"\x00{len(kept) - 1}\x00"

    out: list[str] = []
    index = 0
    quote = ""
    while index < len(line):
        char = line[index]
        if quote == "'":
            out.append(char)
            if char == "'":
                quote = ""
            index += 1
            continue
        if char == "\\" and index + 1 < len(line):
            out.append(line[index : index + 2])
            index += 2
            continue
        if char == '"':
            quote = "" if quote == '"' else '"'
            out.append(char)
            index += 1
            continue
        if char == "'" and not quote:
            quote = "'"
            out.append(char)
            index += 1
            continue
        end = _substitution_end(line, index)
        if end > index:
            out.append(keep(line[index:end]))
            index = end
            continue
        out.append(char)
        index += 1
    return "".join(out), kept


def _substitution_end(line: str, index: int) -> int:
    """The end of a ``${{ }}``, ``$( )``, ``<( )``, ``${ }`` or backquote at ``index``; or index."""
    rest = line[index:]
    if rest.startswith("${{"):
        close = line.find("}}", index + 3)
        return close + 2 if close >= 0 else index
    if rest.startswith(("$(", "<(", ">(")):
        depth = 0
        for position in range(index + 1, len(line)):
            if line[position] == "(":
                depth += 1
            elif line[position] == ")":
                depth -= 1
                if depth == 0:
                    return position + 1
        return index
    if rest.startswith("${"):
        close = line.find("}", index + 2)
        return close + 1 if close >= 0 else index
    if rest.startswith("`"):
        close = line.find("`", index + 1)
        return close + 1 if close >= 0 else index
    return index


_TOX_SUBSTITUTIONS = (
    (re.compile(r"\{posargs:([^{}]*)\}"), r"\1"),
    (re.compile(r"\{posargs\}|\[\]"), ""),
    (re.compile(r"\{envpython\}"), "python"),
    (re.compile(r"\{envbindir\}[/\\]"), ""),
)


def split_words(line: str) -> tuple[list[str], bool]:
    """Split one logical line into words and operators; say whether the quotes balanced.

    Operators (``;``, ``&&``, ``||``, ``|``, parentheses…) are words of their own.
    Substitutions and expressions stay whole. Never raises.
    """
    for pattern, replacement in _TOX_SUBSTITUTIONS:
        line = pattern.sub(replacement, line)
    protected, kept = _protect(line)
    balanced = True
    try:
        lexer = shlex.shlex(protected, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(lexer)
    except ValueError:
        balanced = False
        words = re.findall(r"&&|\|\||[;&|()]|[^\s;&|()]+", protected.split(" #", 1)[0])
    restored = [re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], w) for w in words]
    return restored, balanced


def _logical_lines(script: str) -> list[tuple[int, str, list[str], bool]]:
    """``(offset_line, text, words, balanced)`` for each logical line, heredoc bodies skipped."""
    lines = script.split("\n")
    result: list[tuple[int, str, list[str], bool]] = []
    index = 0
    while index < len(lines):
        start = index
        text = lines[index]
        while _continues(text) and index + 1 < len(lines):
            index += 1
            text = text.rstrip()[:-1].rstrip() + " " + lines[index].strip()
        words, balanced = split_words(text)
        joined = index
        while not balanced and joined + 1 < len(lines) and joined - index < 50:
            joined += 1
            candidate = text + "\n" + lines[joined]
            words_more, balanced_more = split_words(candidate)
            if balanced_more:
                text, words, balanced, index = candidate, words_more, True, joined
        index += 1
        if not text.strip() or text.strip().startswith("#"):
            continue
        result.append((start, " ".join(part.strip() for part in text.split("\n")), words, balanced))
        heredoc = _HEREDOC.search(_protect(text)[0])
        if heredoc and "<<<" not in text:
            delimiter = heredoc.group(2)
            while index < len(lines) and lines[index].strip() != delimiter:
                index += 1
            index += 1
    return result


def _continues(text: str) -> bool:
    stripped = text.rstrip()
    backslashes = len(stripped) - len(stripped.rstrip("\\"))
    return backslashes % 2 == 1


# -- commands and their failures ------------------------------------------------------------


@dataclass
class _Simple:
    argv: list[str]
    env: list[str]
    negated: bool


_OPEN = frozenset({"(", "{", "(("})
_CLOSE = frozenset({")", "}", "))"})
_LIST_END = frozenset({";", "&", ";;"})


def _items(words: list[str]) -> list[_Simple | str]:
    """The commands of a logical line, with the operators between them (strings)."""
    items: list[_Simple | str] = []
    current: list[str] = []
    for word in words:
        if word in _OPERATORS:
            if current:
                items.append(_make_simple(current))
            items.append(word)
            current = []
        else:
            current.append(word)
    if current:
        items.append(_make_simple(current))
    return items


def _make_simple(words: list[str]) -> _Simple:
    argv: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if _REDIRECT.match(word):
            skip = True
            if argv and argv[-1] in {"0", "1", "2"}:
                argv.pop()
            continue
        argv.append(word)
    negated = False
    env: list[str] = []
    while argv:
        if argv[0] in _KEYWORDS:
            argv.pop(0)
        elif argv[0] == "!":
            negated = True
            argv.pop(0)
        elif not env and argv[0] in _ENDERS:
            argv = []
        elif _ASSIGNMENT.match(argv[0]):
            env.append(argv.pop(0))
        else:
            break
    if argv and argv[0] in {"for", "case", "select", "function"}:
        argv = []
    return _Simple(argv, env, negated)


def _branch_fails(branch: list[_Simple | str]) -> bool:
    """Whether the commands after ``||`` end the script with a failure."""
    for item in branch:
        if isinstance(item, str) or not item.argv:
            continue
        program = item.argv[0]
        if program == "false":
            return True
        if program in {"exit", "return"} and len(item.argv) > 1:
            return item.argv[1] != "0"
    return False


def _branch(items: list[_Simple | str], start: int) -> list[_Simple | str]:
    """The ``||`` branch starting at ``start``: up to ``;`` or ``&`` at its depth."""
    depth = 0
    for index in range(start, len(items)):
        item = items[index]
        if not isinstance(item, str):
            continue
        if item in _OPEN:
            depth += 1
        elif item in _CLOSE:
            depth -= 1
            if depth < 0:
                return items[start:index]
        elif depth == 0 and item in _LIST_END:
            return items[start:index]
    return items[start:]


#: Commands whose failure in a pipeline is not worth a word (they print what they are given).
_CANNOT_FAIL = frozenset({"echo", "printf", "cat", "true", ":", "yes"})


def _can_fail(command: _Simple) -> bool:
    return not command.argv or _base(command.argv[0]) not in _CANNOT_FAIL


def _mask(items: list[_Simple | str], index: int, pipefail: bool) -> str | None:
    """Why the failure of the command at ``index`` does not stop the script, or None."""
    command = items[index]
    assert isinstance(command, _Simple)
    if command.negated:
        return "!"
    following = items[index + 1] if index + 1 < len(items) else ""
    if following in {"|", "|&"} and not pipefail and _can_fail(command):
        after = next((i for i in items[index + 2 :] if isinstance(i, _Simple)), None)
        if after is not None:
            return "| " + " ".join(after.argv[:3])
    depth = level = 0  # level: the depth of the group the failure has reached
    for position in range(index + 1, len(items)):
        item = items[position]
        if not isinstance(item, str):
            continue
        if item in _OPEN:
            depth += 1
        elif item in _CLOSE:
            depth -= 1
            level = min(level, depth)  # (pytest) || true: the group fails, and goes on
        elif depth == level and item in _LIST_END:
            return None
        elif depth == level and item == "||":
            branch = _branch(items, position + 1)
            if _branch_fails(branch):
                return None
            first = next((i for i in branch if isinstance(i, _Simple) and i.argv), None)
            return "|| " + " ".join(first.argv) if first is not None else "||"
    return None


def _set_options(argv: list[str]) -> dict[str, bool]:
    """The errexit/pipefail changes a ``set`` command makes."""
    changes: dict[str, bool] = {}
    words = argv[1:]
    index = 0
    while index < len(words):
        word = words[index]
        if word in {"-o", "+o"} and index + 1 < len(words):
            name = words[index + 1]
            if name in {"errexit", "pipefail"}:
                changes["errexit" if name == "errexit" else "pipefail"] = word == "-o"
            index += 2
            continue
        if re.fullmatch(r"[-+][a-zA-Z]+", word):
            on = word[0] == "-"
            letters = word[1:]
            if "e" in letters:
                changes["errexit"] = on
            if letters.endswith("o") and index + 1 < len(words) and words[index + 1] == "pipefail":
                changes["pipefail"] = on
                index += 1
        index += 1
    return changes


# -- what the commands are ------------------------------------------------------------------


def _options(names: str) -> set[str]:
    return set(names.split())


#: The options of wrappers and runners that take a value (so the word after is skipped).
_VALUED: dict[str, set[str]] = {
    "uv": _options(
        "--cache-dir --config-file --directory --env-file --extra "
        "--extra-index-url --from --group --index --index-url --no-group "
        "--only-group --package --project --python --with --with-editable "
        "--with-requirements -p"
    ),
    "pipx": _options("--index-url --pip-args --python --spec"),
    "conda": _options("--name --prefix -e -n -p"),
    "pixi": _options("--environment --manifest-path -e"),
    "sudo": _options("-C -U -g -h -p -u"),
    "timeout": _options("--kill-after --signal -k -s"),
    "xvfb-run": _options("--error-file --server-args --server-num -e -f -n -s"),
    "python": _options("-Q -W -X"),
    "coverage": _options(
        "--concurrency --context --data-file --debug --include --omit --rcfile --source"
    ),
    "covgap": _options(
        "--churn-window --data --fail-under --format --jobs --output --parallel "
        "--precision --python --skip --target --test-timeout --timeout --top"
    ),
}


@dataclass
class _Found:
    runner: str
    measures: bool = False
    gate: float | None = None
    parallel: list[str] | None = None
    timeout: str | None = None
    targets: tuple[str, ...] = ()


def _base(word: str) -> str:
    name = word.replace("\\", "/").rsplit("/", 1)[-1]
    return name[:-4] if name.lower().endswith(".exe") else name


def _skip_options(argv: list[str], index: int, valued: set[str]) -> int:
    """The index of the first non-option word at or after ``index``."""
    while index < len(argv) and argv[index].startswith("-") and argv[index] != "-":
        word = argv[index]
        if word == "--":
            return index + 1
        index += 2 if word in valued else 1
    return index


def _unwrap(argv: list[str]) -> tuple[list[str], list[str]]:
    """Look through wrappers: the wrapped command, and timeouts met on the way."""
    timeouts: list[str] = []
    for _ in range(12):
        if not argv:
            break
        program = _base(argv[0])
        if program in {"env", "nice", "nohup", "time", "command", "exec", "sudo"}:
            index = _skip_options(argv, 1, _VALUED["sudo"] if program == "sudo" else set())
            while index < len(argv) and _ASSIGNMENT.match(argv[index]):
                index += 1
            argv = argv[index:]
        elif program == "timeout":
            index = _skip_options(argv, 1, _VALUED["timeout"])
            if index < len(argv):
                timeouts.append(f"timeout {argv[index]}")
            argv = argv[index + 1 :]
        elif program == "xvfb-run":
            argv = argv[_skip_options(argv, 1, _VALUED["xvfb-run"]) :]
        elif program == "uv" and len(argv) > 1 and argv[1] == "run":
            argv = argv[_skip_options(argv, 2, _VALUED["uv"] | {"-m", "--module"}) :]
        elif program == "uv" and argv[1:3] == ["tool", "run"]:
            argv = argv[_skip_options(argv, 3, _VALUED["uv"]) :]
        elif program == "uvx":
            argv = argv[_skip_options(argv, 1, _VALUED["uv"]) :]
        elif program == "pipx" and len(argv) > 1 and argv[1] == "run":
            argv = argv[_skip_options(argv, 2, _VALUED["pipx"]) :]
        elif program in {"poetry", "pdm", "pipenv", "rye"} and len(argv) > 1 and argv[1] == "run":
            argv = argv[_skip_options(argv, 2, set()) :]
        elif program in {"conda", "mamba", "micromamba"} and len(argv) > 1 and argv[1] == "run":
            argv = argv[_skip_options(argv, 2, _VALUED["conda"]) :]
        elif _PYTHON.match(program) or program == "{envpython}":
            index = 1
            while index < len(argv) and argv[index].startswith("-"):
                word = argv[index]
                if word == "-m":
                    break
                if re.fullmatch(r"-\d(?:\.\d+)?(?:-\d+)?", word) and program == "py":
                    index += 1
                    continue
                index += 2 if word in _VALUED["python"] else 1
            if index + 1 < len(argv) and argv[index] == "-m":
                argv = [argv[index + 1], *argv[index + 2 :]]
            else:
                break
        else:
            break
    return argv, timeouts


#: Options after which a test runner only prints something.
_NOT_A_RUN = frozenset(
    {"--version", "-V", "--help", "-h", "--fixtures", "--markers", "--collect-only", "--co"}
)
#: Options after which tox or nox only list or prepare.
_LISTING = frozenset(
    {"-l", "-a", "--list", "--list-sessions", "--listenvs", "--listenvs-all", "--notest"}
)
#: tox subcommands that run no tests.
_TOX_NOT_A_RUN = frozenset(
    {"list", "l", "config", "c", "devenv", "d", "quickstart", "q", "depends", "de", "legacy", "le"}
)


def _classify(argv: list[str]) -> _Found | None:
    """What a (wrapper-free) command runs, when it runs tests."""
    if not argv:
        return None
    program = _base(argv[0])
    args = argv[1:]
    if any(arg in _NOT_A_RUN for arg in args):  # `pytest --version`, `tox --help`: no tests
        return None
    if program in {"pytest", "py.test"}:
        return _pytest(args, "pytest")
    if program == "coverage" and args[:1] == ["run"]:
        return _coverage_run(args[1:])
    if program == "covgap" and args[:1] == ["run"]:
        return _covgap_run(args[1:])
    if program == "tox":
        return _tox(args)
    if program == "nox":
        return _nox(args)
    if program == "hatch":
        return _hatch(args)
    if program == "unittest":
        return _Found("unittest")
    if program in {"nose2", "nosetests", "nose"}:
        measures = any(a.startswith(("--with-coverage", "--coverage")) for a in args)
        return _Found("nosetests" if program != "nose2" else "nose2", measures=measures)
    if program == "make":
        targets = tuple(a for a in args if not a.startswith("-") and "=" not in a)
        if any(_TEST_WORD.search(target) for target in targets):
            return _Found("make", targets=targets)
        return None
    if program == "pixi" and args[:1] == ["run"]:
        rest = args[_skip_options(args, 1, _VALUED["pixi"]) :]
        if rest and _TEST_WORD.search(rest[0]):
            return _Found("pixi run", targets=(rest[0],))
        return None
    if program == "setup.py" or (program.endswith(".py") and args[:1] == ["test"]):
        if args[:1] == ["test"]:
            return _Found(f"{program} test")
        return None
    if ("/" in argv[0] or program.endswith((".sh", ".py"))) and _TEST_WORD.search(program):
        return _Found("script", targets=(argv[0],))
    return None


def _script_after_python(argv: list[str]) -> list[str]:
    """``python setup.py test`` -> ``setup.py test``; other commands unchanged."""
    if argv and (_PYTHON.match(_base(argv[0])) or argv[0] == "{envpython}"):
        index = _skip_options(argv, 1, _VALUED["python"])
        if index < len(argv) and argv[index].endswith(".py"):
            return argv[index:]
    return argv


def _option_value(args: list[str], index: int, names: tuple[str, ...]) -> tuple[str, str] | None:
    """``(as written, value)`` for an option at ``index`` spelt ``--x=v``, ``--x v`` or ``-xv``."""
    word = args[index]
    for name in names:
        if word == name and index + 1 < len(args):
            return f"{word} {args[index + 1]}", args[index + 1]
        if word.startswith(name + "="):
            return word, word[len(name) + 1 :]
        if len(name) == 2 and word.startswith(name) and len(word) > 2 and name != "--":
            return word, word[2:].lstrip("=")
    return None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


#: pytest-xdist's and pytest-parallel's options.
_PARALLEL_OPTIONS = ("-n", "--numprocesses", "--dist", "--workers", "--tests-per-worker")


def _pytest(args: list[str], runner: str) -> _Found:
    found = _Found(runner)
    parallel: list[str] = []
    for index, word in enumerate(args):
        if word == "--cov" or word.startswith("--cov="):
            found.measures = True
        elif value := _option_value(args, index, ("--cov-fail-under",)):
            found.gate = _number(value[1])
        elif value := _option_value(args, index, _PARALLEL_OPTIONS):
            parallel.append(value[0])
        elif (value := _option_value(args, index, ("--timeout",))) and found.timeout is None:
            found.timeout = value[0]
    found.parallel = parallel or None
    return found


def _coverage_run(args: list[str]) -> _Found:
    index = _skip_options(args, 0, _VALUED["coverage"])
    found = _Found("coverage run", measures=True)
    inner = args[index:]
    if inner and _base(inner[0]) in {"pytest", "py.test"}:
        pytest = _pytest(inner[1:], "coverage run")
        found.parallel, found.timeout = pytest.parallel, pytest.timeout
    return found


def _covgap_run(args: list[str]) -> _Found:
    found = _Found("covgap run", measures=True)
    split = args.index("--") if "--" in args else len(args)
    for index in range(split):
        if value := _option_value(args, index, ("--parallel",)):
            found.parallel = [value[0]]
        elif value := _option_value(args, index, ("--timeout", "--test-timeout")):
            found.timeout = found.timeout or value[0]
    if split < len(args):
        pytest = _pytest(args[split + 1 :], "covgap run")
        found.parallel = found.parallel or pytest.parallel
        found.timeout = found.timeout or pytest.timeout
        found.gate = pytest.gate
    return found


def _tox(args: list[str]) -> _Found | None:
    if (args[:1] and args[0] in _TOX_NOT_A_RUN) or _LISTING.intersection(args):
        return None
    found = _Found("tox")
    split = args.index("--") if "--" in args else len(args)
    head = args[:split]
    targets: list[str] = []
    parallel: list[str] = []
    for index, word in enumerate(head):
        if index == 0 and word in {"p", "run-parallel"}:
            parallel.append(word)
        elif value := _option_value(head, index, ("-e", "--env", "-f")):
            targets.extend(part for part in value[1].split(",") if part)
        elif word in {"-p", "--parallel"}:
            following = head[index + 1] if index + 1 < split else ""
            counted = following in {"auto", "all"} or following.isdigit()
            parallel.append(f"{word} {following}" if counted else word)
        elif word.startswith("--parallel=") or re.fullmatch(r"-p(?:\d+|auto|all)", word):
            parallel.append(word)
    if targets and not _runs_tests(targets):  # `tox -e lint,docs`: no tests
        return None
    if split < len(args):
        pytest = _pytest(args[split + 1 :], "tox")
        parallel.extend(pytest.parallel or [])
        found.timeout, found.gate, found.measures = pytest.timeout, pytest.gate, pytest.measures
    found.targets = tuple(targets)
    found.parallel = parallel or None
    return found


def _nox(args: list[str]) -> _Found | None:
    if _LISTING.intersection(args):
        return None
    found = _Found("nox")
    split = args.index("--") if "--" in args else len(args)
    head = args[:split]
    targets: list[str] = []
    for index, word in enumerate(head):
        if word in {"-s", "--session", "--sessions", "-e", "--env"}:
            # nox takes several sessions after -s: nox -s lint tests
            following = index + 1
            while following < split and not head[following].startswith("-"):
                targets.append(head[following])
                following += 1
        elif word.startswith(("--session=", "--sessions=")):
            targets.extend(word.split("=", 1)[1].split(","))
        elif re.fullmatch(r"-s\S+", word):
            targets.append(word[2:])
    if targets and not _runs_tests(targets):  # `nox -s lint`: no tests
        return None
    if split < len(args):
        pytest = _pytest(args[split + 1 :], "nox")
        found.parallel, found.timeout, found.gate = pytest.parallel, pytest.timeout, pytest.gate
        found.measures = pytest.measures
    found.targets = tuple(dict.fromkeys(targets))
    return found


def _hatch(args: list[str]) -> _Found | None:
    if args[:1] == ["test"]:
        rest = args[1:]
        found = _pytest(rest, "hatch test")
        found.measures = found.measures or any(a in {"--cover", "-c"} for a in rest)
        parallel = [a for a in rest if a in {"-p", "--parallel"}]
        found.parallel = parallel + (found.parallel or []) or None
        return found
    if args[:1] == ["run"]:
        rest = args[_skip_options(args, 1, set()) :]
        if not rest:
            return None
        script = rest[0].split(":", 1)[-1]
        if script in {"pytest", "py.test"}:
            return _pytest(rest[1:], "pytest")
        if script == "coverage" and rest[1:2] == ["run"]:
            return _coverage_run(rest[2:])
        if _TEST_WORD.search(script):
            found = _pytest(rest[1:], "hatch run")
            found.targets = (rest[0],)
            return found
    return None


def _gate(argv: list[str]) -> tuple[str, float | None, str] | None:
    """``(tool, threshold, kind)`` when the command can fail on a coverage threshold."""
    if not argv:
        return None
    program = _base(argv[0])
    args = argv[1:]
    if program == "coverage" and args[:1] and args[0] in _COVERAGE_REPORTS:
        return f"coverage {args[0]}", _threshold(args[1:], "--fail-under"), "total"
    if program in {"diff-cover", "diff_cover"}:
        return "diff-cover", _threshold(args, "--fail-under"), "diff"
    if program == "covgap" and args[:1] == ["check"]:
        kind = "diff" if any(a.startswith("--diff") for a in args) else "total"
        return "covgap check", _threshold(args[1:], "--fail-under"), kind
    return None


def _threshold(args: list[str], name: str) -> float | None:
    for index in range(len(args)):
        if value := _option_value(args, index, (name,)):
            return _number(value[1])
    return None


def _upload(argv: list[str]) -> str | None:
    if not argv:
        return None
    program = _base(argv[0])
    if program in {"codecov", "codecovcli", "codecov-cli"}:
        return "codecov"
    if program in {"coveralls", "coveralls-python"}:
        return "coveralls"
    if program in {"bash", "sh"} and any("codecov.io/bash" in a for a in argv[1:]):
        return "codecov"
    return None


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


def _errexit_off(commands: list[Command]) -> list[int]:
    """Indexes of the commands that run while ``set +e`` is in force."""
    off: list[int] = []
    on = True
    for index, command in enumerate(commands):
        if command.argv[0] == "set":
            changes = _set_options(list(command.argv))
            if "errexit" in changes:
                on = changes["errexit"]
            continue
        if not on:
            off.append(index)
    return off


def _with_mask(command: Command, mask: str) -> Command:
    return Command(command.text, command.offset_line, command.argv, command.env, mask)
