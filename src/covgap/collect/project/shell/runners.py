"""Which commands run the tests (pytest, coverage run, tox, nox, hatch…) and with what flags."""

from __future__ import annotations

import re
from dataclasses import dataclass

from covgap.collect.project.shell.commands import _base
from covgap.collect.project.shell.wrappers import _VALUED, _skip_options

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


@dataclass
class _Found:
    runner: str
    measures: bool = False
    gate: float | None = None
    parallel: list[str] | None = None
    timeout: str | None = None
    targets: tuple[str, ...] = ()


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
