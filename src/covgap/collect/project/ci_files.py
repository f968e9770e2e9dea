"""A project's CI definitions, read into one neutral model, with file and line for everything.

``read_ci(project_dir)`` reads, relative to the project folder:

GitHub Actions: ``.github/workflows/*.yml`` and ``*.yaml`` (not sub-folders: GitHub ignores them)
    One ``CiJob`` per job id, its ``steps`` one ``CiStep`` per step item. The step's line is its
    first key's; ``command`` is the whole ``run:`` script as YAML gives it (a ``|`` block keeps
    its lines, a ``>`` block is folded), ``command_where`` is the ``run:`` key's line and
    ``command_lines`` the file line of each line of ``command``, so a finding at
    ``offset_line`` of ``analyze_script(step.command, pipefail=step.pipefail)``
    (``covgap.collect.project.shell``) is at ``step.line_of(offset_line)`` (not ``step.where.line +
    offset_line``: a block's lines start after its key). ``uses:`` steps keep the action
    reference and their ``with:`` inputs as strings. A step written as a YAML alias
    (``- *checkout``) is at its anchor's line: the composed YAML does not keep where an alias
    is. A job that calls a reusable workflow (``uses:`` at job level) is recorded
    with the reference and no steps; the called workflow, when it is in the folder, is read as
    a workflow of its own; remote ones are not fetched. Local composite actions
    (``uses: ./.github/actions/x``) are recorded as references too, their steps are not read.
    ``python_versions``: ``strategy.matrix`` keys named like ``python``, ``python-version``,
    ``py`` (lists, scalars and ``include`` entries; ``exclude`` is not applied), and the
    ``python-version`` input of setup actions. ``${{ … }}`` expressions are never evaluated:
    a matrix made by ``fromJson(…)`` gives no versions. ``continue-on-error``: ``true`` or
    ``false``, ``${{ true }}``/``${{ false }}``; any other expression is taken as "may fail"
    and kept as written (``continue-on-error: ${{ matrix.experimental }}``), since it does for
    some runs. A job-level one applies to every step. ``triggers`` are the ``on:`` events
    (GitHub's ``on`` key stays the string "on": the YAML is composed, never constructed).

GitLab CI: ``.gitlab-ci.yml``, and its local ``include:`` files (strings or ``local:``, globs,
nested includes); ``project:``, ``remote:``, ``template:`` and ``component:`` includes are not
fetched and are reported as problems, since jobs may extend what they define.
    Jobs are the top-level mappings that are not keywords and not hidden (``.name``); hidden
    jobs are templates. ``extends:`` (chains, several parents) is resolved by GitLab's deep merge
    (mappings merged, lists replaced), as are ``default:`` and the old global keywords
    (``image``, ``before_script``, ``after_script``, ``cache``, ``services``), with
    ``inherit: default``; ``!reference [.job, key]`` tags and YAML anchors and merge keys are
    resolved. Every line of ``before_script``, ``script`` and ``after_script`` is a step (its
    ``name`` is the section), at its own line. ``after_script`` steps may fail (GitLab ignores
    their exit status). ``allow_failure: true``, ``allow_failure: {exit_codes: …}``, ``when:
    manual`` (allow_failure then defaults to true) and ``rules: - allow_failure: true`` make a
    job's steps "may fail". ``timeout`` is parsed (``1h 30m``, ``90 minutes``, ``3600`` =
    seconds). Python versions come from the image (``python:3.12-slim``,
    ``registry/python:3.8``, ``uv:python3.12-…``, ``$PYTHON_VERSION`` filled from
    ``parallel:matrix`` and ``variables``) and from ``parallel:matrix`` keys named like
    ``PYTHON_VERSION``. ``coverage:`` (the total's regex) and ``artifacts:reports`` are kept.
    Child pipelines (``trigger:``) and ``rules`` conditions are not followed.

tox: the first of ``tox.ini``, ``setup.cfg`` (with ``[tox:tox]``), ``pyproject.toml`` (with
``[tool.tox]``: native TOML or ``legacy_tox_ini``) and ``tox.toml``, as tox picks it
    One job per environment section (``testenv``, ``testenv:py312``; in TOML ``env_run_base``,
    ``env.py312``), its steps one per command of ``commands_pre``, ``commands`` and
    ``commands_post`` (the step's ``name``), at the command's line, with the factor condition
    (``tests: pytest``) in ``condition``; a command continued with ``\\`` is one step, its
    lines kept (``command_lines``). A section that sets no commands runs ``[testenv]``'s
    and has no steps of its own. ``{[section]commands}`` references are replaced by that
    section's commands (at their own lines). A ``-`` prefix (exit status ignored) and
    ``ignore_outcome = true`` make a command "may fail". ``envs``: the environments the section
    configures (generative names ``py3{9-14}-tests`` expanded; ``[testenv]``: the
    ``env_list``); ``python_versions`` from their factors (``py312``, ``py3.12``, ``3.12``,
    ``pypy310``) and ``base_python``. tox commands are not shell: ``analyze_script`` is right
    for them with ``pipefail`` irrelevant. Broken INI is a problem with its line.

nox: ``noxfile.py``, read with ``ast`` (never imported)
    One job per function decorated with ``nox.session`` (or ``session`` imported from nox),
    named by ``name=`` or the function; ``python=`` (literals, or module-level constants) and
    ``@nox.parametrize("python", …)`` give the versions. Each ``session.run(…)`` and
    ``session.run_always(…)`` call in its body is a step at the call's line, the arguments
    joined as a shell line: literals quoted, f-strings with ``{expr}``, starred
    ``session.posargs or [defaults]`` (directly or through a local name) as the defaults,
    other expressions as a quoted ``{expr}`` word; an ``env={…}`` literal becomes ``NAME=value``
    words in front. ``success_codes`` with a non-zero code makes the step "may fail".

Every problem (file unreadable, broken YAML/INI/Python, a YAML file that is not a workflow, an
``extends`` or ``!reference`` that points to nothing, a missing local include) is a
``CiProblem`` with file and line; nothing here raises on a project's files.
"""

from __future__ import annotations

import ast
import configparser
import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from covgap import tomlparse
from covgap.collect.project.shell import analyze_script
from covgap.files import NotRegularFileError, open_regular, read_text, special_kind

__all__ = [
    "CiConfig",
    "CiJob",
    "CiProblem",
    "CiStep",
    "System",
    "Where",
    "read_ci",
]

System = Literal["github", "gitlab", "tox", "nox"]

#: PyYAML's C loader when it was built with libyaml: the same nodes, faster.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Where:
    """A place in a project's file."""

    #: POSIX, relative to the project folder.
    path: str
    #: 1-based.
    line: int


@dataclass(frozen=True)
class CiStep:
    """One thing a CI job runs: a GitHub step, a GitLab script line, a tox command, a nox run."""

    system: System
    #: The step's first line: a GitHub step item's first key, a GitLab script line, a tox
    #: command's first line, a nox ``session.run`` call.
    where: Where
    #: The GitHub job id, GitLab job name, tox section (``testenv:py312``), nox session name.
    job: str
    #: The step's ``name:``; for GitLab the section (``script``, ``before_script``…); for tox
    #: the option (``commands``, ``commands_pre``…); "" for nox.
    name: str
    #: The shell text run ("" for a ``uses:`` step); for nox, the arguments as a shell line.
    command: str
    #: A GitHub action reference (``codecov/codecov-action@v4``); "" otherwise.
    uses: str
    #: A ``uses:`` step's ``with:`` inputs, as strings.
    inputs: tuple[tuple[str, str], ...]
    #: Why this step may fail without failing the build, or None: ``"continue-on-error: true"``
    #: (step or job level), ``"allow_failure: true"``, ``"after_script"``, ``"|| true"``,
    #: ``"set +e"``, ``"-"`` (tox), ``"success_codes=[0, 1]"`` (nox)…
    may_fail: str | None
    may_fail_where: Where | None
    #: The file line of each line of ``command`` (``command.split("\n")``).
    command_lines: tuple[int, ...] = ()
    #: The line of the key holding the command (GitHub ``run:``); else the step's line.
    command_where: Where | None = None
    #: GitHub ``if:``, a tox factor condition (``py312,py313``); "" when unconditional.
    condition: str = ""
    #: GitHub ``shell:`` (the step's, else ``defaults.run.shell``); "" when not set.
    shell: str = ""
    #: Whether the script runs under ``set -o pipefail``: GitHub with ``shell: bash``, GitLab.
    pipefail: bool = False
    #: GitHub step ``timeout-minutes``.
    timeout_minutes: float | None = None
    timeout_where: Where | None = None

    def line_of(self, offset_line: int) -> int:
        """The file line of line ``offset_line`` (0-based) of ``command``."""
        if not self.command_lines:
            return self.where.line
        return self.command_lines[min(max(offset_line, 0), len(self.command_lines) - 1)]


@dataclass(frozen=True)
class CiJob:
    """A CI job: a GitHub or GitLab job, a tox environment section, a nox session."""

    system: System
    where: Where
    #: GitHub job id, GitLab job name, tox section name, nox session name.
    name: str
    #: GitHub ``timeout-minutes``, GitLab ``timeout`` in minutes; None when absent or not a
    #: number (an expression: see ``timeout_text``).
    timeout_minutes: float | None
    timeout_where: Where | None
    python_versions: tuple[str, ...]
    #: What caches dependencies: ``"actions/cache"``, ``"setup-python cache: pip"``,
    #: ``"setup-uv enable-cache"``, ``"hynek/setup-cached-uv"``, ``"cache: .cache/pip"``…
    caches: tuple[str, ...]
    steps: tuple[CiStep, ...]
    #: Job-level: ``continue-on-error``, ``allow_failure``, ``when: manual``, ``ignore_outcome``.
    may_fail: str | None
    may_fail_where: Where | None
    #: GitHub ``name:`` (as written, expressions unevaluated); "" when absent.
    title: str = ""
    #: A reusable workflow the job calls (GitHub job-level ``uses:``), and its ``with:``.
    uses: str = ""
    inputs: tuple[tuple[str, str], ...] = ()
    #: GitHub ``on:`` events of the workflow.
    triggers: tuple[str, ...] = ()
    #: The timeout as written (``"45"``, ``"1h 30m"``, ``"${{ inputs.timeout }}"``).
    timeout_text: str = ""
    #: tox: the environments the section configures.
    envs: tuple[str, ...] = ()
    #: GitLab ``coverage:`` regex (how GitLab reads the total from the log).
    coverage_regex: str | None = None
    #: GitLab ``artifacts:reports``: ``"coverage_report: cobertura coverage.xml"``, ``"junit:
    #: report.xml"``.
    reports: tuple[str, ...] = ()
    #: GitLab ``parallel``: ``"5"`` or ``"matrix"``.
    parallel: str | None = None


@dataclass(frozen=True)
class CiProblem:
    """Something in a CI file that could not be read, or that leaves a job incomplete."""

    where: Where
    message: str


@dataclass(frozen=True)
class CiConfig:
    """Everything read from a project's CI files."""

    #: Every CI file read, relative POSIX paths.
    files: tuple[str, ...]
    jobs: tuple[CiJob, ...]
    problems: tuple[CiProblem, ...]


def read_ci(project_dir: Path) -> CiConfig:
    """Read the CI definitions of the project in ``project_dir`` (see the module docstring)."""
    state = _State(project_dir)
    workflows = project_dir / ".github" / "workflows"
    if workflows.is_dir():
        for path in sorted(workflows.iterdir()):
            if path.suffix in {".yml", ".yaml"} and _present(path):
                _read_github(state, path)
    if _present(project_dir / ".gitlab-ci.yml"):
        _read_gitlab(state, project_dir / ".gitlab-ci.yml")
    _read_tox(state)
    if _present(project_dir / "noxfile.py"):
        _read_nox(state, project_dir / "noxfile.py")
    return CiConfig(tuple(state.files), tuple(state.jobs), tuple(state.problems))


# -- shared ---------------------------------------------------------------------------------

#: The largest CI file read: 1 MB, GitLab's first ``max_yaml_size_bytes``.
_MAX_CI_BYTES = 1_000_000


def _present(path: Path) -> bool:
    """A file to read: a regular file, or a FIFO, device or socket, which ``_State.read``
    reports unopened (opening it could block); not a folder."""
    return path.is_file() or special_kind(path) is not None


@dataclass
class _State:
    root: Path
    files: list[str] = field(default_factory=list)
    jobs: list[CiJob] = field(default_factory=list)
    problems: list[CiProblem] = field(default_factory=list)

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def problem(self, path: str, line: int, message: str) -> None:
        problem = CiProblem(Where(path, max(line, 1)), message)
        if problem not in self.problems:  # a template's problem, met again by each job
            self.problems.append(problem)

    def read(self, path: Path) -> str | None:
        """The file's text, recorded as read; None (and a problem) when it cannot be read."""
        relative = self.relative(path)
        try:
            with open_regular(path) as handle:
                data = handle.read(_MAX_CI_BYTES + 1)
            text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        except NotRegularFileError as exc:
            self.problem(relative, 1, str(exc.strerror))
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(relative, 1, f"cannot be read: {exc}")
            return None
        if len(data) > _MAX_CI_BYTES:
            self.problem(
                relative,
                1,
                f"too large: more than {_MAX_CI_BYTES:,} bytes (covgap reads CI files up to 1 MB)",
            )
            return None
        if relative not in self.files:
            self.files.append(relative)
        return text


@lru_cache(maxsize=4096)
def _script_mask(
    command: str, lines: tuple[int, ...], path: str, pipefail: bool
) -> tuple[str | None, Where | None]:
    """The first ignored failure in a script (one on a test run, gate or upload first).

    Cached: a step written once under an anchor is met again in every job that uses it."""
    facts = analyze_script(command, pipefail=pipefail)
    relevant: list[tuple[int, str | None]] = [
        (run.offset_line, run.may_fail) for run in facts.test_runs if run.may_fail
    ]
    relevant += [(gate.offset_line, gate.may_fail) for gate in facts.gates if gate.may_fail]
    relevant += [(up.offset_line, up.may_fail) for up in facts.uploads if up.may_fail]
    relevant += [(command.offset_line, command.may_fail) for command in facts.masked]
    if not relevant:
        return None, None
    offset, reason = relevant[0]
    line = lines[min(offset, len(lines) - 1)] if lines else 1
    return reason, Where(path, line)


_VERSION_IN_FACTOR = (
    (re.compile(r"py(\d)(\d+)"), r"\1.\2"),
    (re.compile(r"py(\d)\.(\d+)"), r"\1.\2"),
    (re.compile(r"py(\d)"), r"\1"),
    (re.compile(r"(\d)\.(\d+)"), r"\1.\2"),
    (re.compile(r"python(\d)\.?(\d+)"), r"\1.\2"),
    (re.compile(r"python(\d)"), r"\1"),
    (re.compile(r"pypy(\d)(\d+)"), r"pypy\1.\2"),
    (re.compile(r"pypy(\d)\.(\d+)"), r"pypy\1.\2"),
    (re.compile(r"pypy(\d?)"), r"pypy\1"),
)


def _version_of_factor(factor: str) -> str | None:
    """``py312`` -> ``3.12``, ``py3.12`` -> ``3.12``, ``pypy310`` -> ``pypy3.10``; else None."""
    for pattern, template in _VERSION_IN_FACTOR:
        match = pattern.fullmatch(factor)
        if match:
            return match.expand(template)
    return None


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))


# -- YAML -----------------------------------------------------------------------------------

_MERGE_TAG = "tag:yaml.org,2002:merge"
_EXPRESSION = re.compile(r"^\$\{\{\s*(.*?)\s*\}\}$", re.DOTALL)

#: Limits that keep a hostile YAML file cheap (a "billion laughs": anchors that merge or alias
#: the previous one twice double the work at each level). GitLab refuses files past similar
#: ones (``max_yaml_size_bytes``: 1 MB, later 2 MB, counted once expanded; ``max_yaml_depth``:
#: 100, later 150). Nesting counts mappings and sequences, written or reached through aliases
#: and merge keys.
_MAX_YAML_DEPTH = 100
#: What covgap goes through in one file at most: jobs, steps, script lines, and the entries
#: aliases and merge keys bring, each counted every time it is used (an anchor of 5 entries
#: merged into 30 jobs counts 150). Real files stay below a few thousand.
_MAX_YAML_EXPANDED = 100_000


class _TooComplex(Exception):
    """A YAML file past the limits above; the problem is reported at ``line`` of ``path``."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.message = message


class _Yaml:
    """A composed YAML file: nodes with their lines, and the file's lines for scalars.

    Nodes reached through aliases are shared: their entries (merge keys applied) and GitLab
    trees are made once, and ``spend`` counts them each time they are used, up to
    ``_MAX_YAML_EXPANDED``."""

    def __init__(self, state: _State, path: str, text: str) -> None:
        self.state = state
        self.path = path
        self.lines = text.split("\n")
        self.expanded = 0
        #: The composed documents, kept so that no node is freed and its id reused.
        self.composed: list[Node] = []
        #: By node id: its entries, merge keys applied, and how many entries that is with every
        #: merge counted as written.
        self._entries: dict[int, dict[str, tuple[Node, Node]]] = {}
        self._sizes: dict[int, int] = {}
        #: By node id: a GitLab mapping's children, its size and its depth once expanded.
        self.trees: dict[int, tuple[dict[str, _Val], int, int]] = {}
        #: Mappings whose entries, or GitLab tree, are being made: meeting one again is a
        #: mapping that contains itself.
        self.merging: set[int] = set()
        self.building: set[int] = set()

    def spend(self, count: int, node: Node) -> None:
        """Count ``count`` entries brought by aliases or merge keys at ``node``; _TooComplex
        past ``_MAX_YAML_EXPANDED``."""
        self.expanded += count
        if self.expanded > _MAX_YAML_EXPANDED:
            raise _TooComplex(
                self.path,
                _line(node),
                f"too complex: over {_MAX_YAML_EXPANDED:,} entries once its anchors, aliases "
                "and merge keys are expanded (covgap stops there)",
            )

    def too_deep(self, node: Node) -> _TooComplex:
        return _TooComplex(
            self.path,
            _line(node),
            f"too deeply nested: more than {_MAX_YAML_DEPTH} levels of mappings and lists "
            "(counting those reached through aliases and merge keys)",
        )

    def recursive(self, node: Node) -> _TooComplex:
        return _TooComplex(
            self.path,
            _line(node),
            "broken YAML: a mapping contains itself through an alias or a merge key",
        )

    def _check_nesting(self, text: str) -> None:
        """_TooComplex when the text nests mappings and lists deeper than ``_MAX_YAML_DEPTH``
        (composing deeper would overflow Python's stack with PyYAML's pure-Python loader)."""
        depth = 0
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > _MAX_YAML_DEPTH:
                    mark = event.start_mark
                    line = int(mark.line) + 1 if mark is not None else 1
                    raise _TooComplex(
                        self.path,
                        line,
                        f"too deeply nested: more than {_MAX_YAML_DEPTH} levels of mappings "
                        "and lists",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1

    def documents(self, text: str) -> list[Node] | None:
        """The file's documents; None (and a problem) when the YAML is broken or too deep."""
        try:
            self._check_nesting(text)
            documents = yaml.compose_all(text, Loader=_LOADER)
            self.composed = [node for node in documents if node is not None]
            return self.composed
        except _TooComplex as exc:
            self.state.problem(exc.path, exc.line, exc.message)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            last = max((i for i, raw in enumerate(self.lines) if raw.strip()), default=0)
            if exc.context_mark is not None and mark is not None and mark.line > last:
                mark = exc.context_mark  # met the end: an unclosed quote or bracket opens here
            line = mark.line + 1 if mark is not None else 1
            message = ": ".join(part for part in (exc.context, exc.problem) if part)
            self.state.problem(self.path, line, f"broken YAML: {message or exc}")
        except yaml.YAMLError as exc:
            self.state.problem(self.path, 1, f"broken YAML: {exc}")
        return None

    def entries(self, node: Node | None, depth: int = 0) -> dict[str, tuple[Node, Node]]:
        """A mapping's ``key -> (key node, value node)``; merge keys (``<<``) applied.

        Made once per mapping (the dict is shared: never change it); _TooComplex for merges
        that expand too much, chain too deep or merge a mapping into itself."""
        if not isinstance(node, MappingNode):
            return {}
        known = self._entries.get(id(node))
        if known is not None:
            return known
        if id(node) in self.merging:
            raise self.recursive(node)
        if depth > _MAX_YAML_DEPTH:
            raise self.too_deep(node)
        self.merging.add(id(node))
        result: dict[str, tuple[Node, Node]] = {}
        explicit: dict[str, tuple[Node, Node]] = {}
        size = 0
        try:
            for key, value in node.value:
                if key.tag == _MERGE_TAG:
                    sources = value.value if isinstance(value, SequenceNode) else [value]
                    for source in reversed(sources):
                        merged = self.entries(source, depth + 1)
                        size += self._sizes.get(id(source), 0)
                        self.spend(self._sizes.get(id(source), 0), key)
                        result.update(merged)
                elif isinstance(key, ScalarNode):
                    if key.value in explicit:
                        self.state.problem(
                            self.path,
                            _line(key),
                            f"duplicate key `{key.value}`: the last one counts",
                        )
                    explicit[key.value] = (key, value)
        finally:
            self.merging.discard(id(node))
        result.update(explicit)
        self._entries[id(node)] = result
        self._sizes[id(node)] = size + len(explicit)
        return result

    def scalar_lines(self, node: ScalarNode) -> tuple[int, ...]:
        """The file line of each line of a scalar's value."""
        value: str = node.value
        count = value.count("\n") + 1
        first = int(node.start_mark.line) + 1
        if node.style == "|":
            return tuple(first + 1 + index for index in range(count))
        if node.start_mark.line == node.end_mark.line or count == 1:
            return (first,) * count
        start, end = node.start_mark, node.end_mark
        raw_lines = self.lines[start.line : end.line + 1]
        if raw_lines:
            raw_lines[0] = raw_lines[0][start.column :]
        result: list[int] = []
        row, column = 0, 0
        for value_line in node.value.split("\n"):
            words = value_line.split()
            found = False
            if words:
                for candidate in range(row, len(raw_lines)):
                    position = raw_lines[candidate].find(
                        words[0], column if candidate == row else 0
                    )
                    if position >= 0:
                        row, column = candidate, position + len(words[0])
                        found = True
                        break
            if not found and result:
                row = min(row + (0 if words else 1), len(raw_lines) - 1)
            result.append(first + (node.start_mark.line - start.line) + row)
        return tuple(result)


def _line(node: Node) -> int:
    """The 1-based line where a node starts."""
    return int(node.start_mark.line) + 1


def _text(node: Node | None) -> str | None:
    return node.value if isinstance(node, ScalarNode) else None


def _scalars(node: Node | None) -> list[str]:
    """A scalar, or a sequence's scalars, as strings."""
    if isinstance(node, ScalarNode):
        return [node.value] if node.value != "" or node.style else []
    if isinstance(node, SequenceNode):
        return [item.value for item in node.value if isinstance(item, ScalarNode)]
    return []


def _is_true(node: Node | None) -> bool:
    return (_text(node) or "").strip().lower() == "true"


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _source_text(doc: _Yaml, node: Node) -> str:
    """A node's text as written (for ``with:`` inputs that are not scalars)."""
    start, end = node.start_mark, node.end_mark
    lines = doc.lines[start.line : end.line + 1]
    if not lines:
        return ""
    if len(lines) == 1:
        return lines[0][start.column : end.column].strip()
    lines[0] = lines[0][start.column :]
    lines[-1] = lines[-1][: end.column]
    return "\n".join(lines).strip()


# -- GitHub Actions -------------------------------------------------------------------------

_PYTHON_KEY = re.compile(r"^(?:python|py|pyver|pythons|python[-_ ]?versions?|py[-_]?versions?)$")


def _read_github(state: _State, file: Path) -> None:
    text = state.read(file)
    if text is None:
        return
    path = state.relative(file)
    doc = _Yaml(state, path, text)
    jobs = len(state.jobs)
    try:
        _read_workflow(state, path, doc, text)
    except _TooComplex as exc:
        del state.jobs[jobs:]  # nothing of a file covgap stopped reading
        state.problem(exc.path, exc.line, exc.message)


def _read_workflow(state: _State, path: str, doc: _Yaml, text: str) -> None:
    documents = doc.documents(text)
    if documents is None:
        return
    if not documents:
        state.problem(path, 1, "not a workflow: the file is empty")
        return
    if len(documents) > 1:
        state.problem(path, _line(documents[1]), "not a workflow: more than one YAML document")
    root = documents[0]
    if not isinstance(root, MappingNode):
        state.problem(path, _line(root), "not a workflow: the top level is not a mapping")
        return
    top = doc.entries(root)
    if "jobs" not in top:
        state.problem(path, _line(root), "not a workflow: `jobs` is missing")
        return
    jobs_key, jobs_node = top["jobs"]
    if not isinstance(jobs_node, MappingNode):
        state.problem(path, _line(jobs_key), "not a workflow: `jobs` is not a mapping")
        return
    triggers = _triggers(doc, top["on"][1] if "on" in top else None)
    workflow_shell = _default_shell(doc, top)
    for job_id, (key, node) in doc.entries(jobs_node).items():
        if not isinstance(node, MappingNode):
            state.problem(path, _line(key), f"job `{job_id}` is not a mapping")
            continue
        doc.spend(1, node)
        state.jobs.append(_github_job(doc, job_id, key, node, triggers, workflow_shell))


def _triggers(doc: _Yaml, node: Node | None) -> tuple[str, ...]:
    if isinstance(node, MappingNode):
        return tuple(doc.entries(node))
    return tuple(_scalars(node))


def _default_shell(doc: _Yaml, entries: dict[str, tuple[Node, Node]]) -> str:
    defaults = doc.entries(entries["defaults"][1]) if "defaults" in entries else {}
    run = doc.entries(defaults["run"][1]) if "run" in defaults else {}
    return _text(run["shell"][1]) or "" if "shell" in run else ""


def _continue_on_error(node: Node) -> str | None:
    """Why ``continue-on-error`` lets a job or step fail; None when it does not."""
    text = (_text(node) or "").strip()
    expression = _EXPRESSION.match(text)
    inner = expression.group(1).strip().lower() if expression else text.lower()
    if inner == "false" or not text:
        return None
    if inner == "true":
        return "continue-on-error: true"
    return f"continue-on-error: {text}"


def _github_job(
    doc: _Yaml,
    job_id: str,
    key: Node,
    node: MappingNode,
    triggers: tuple[str, ...],
    workflow_shell: str,
) -> CiJob:
    path = doc.path
    entries = doc.entries(node)
    where = Where(path, _line(key))
    timeout, timeout_where, timeout_text = _github_timeout(doc, entries)
    may_fail: str | None = None
    may_fail_where: Where | None = None
    if "continue-on-error" in entries:
        coe_key, coe_node = entries["continue-on-error"]
        may_fail = _continue_on_error(coe_node)
        may_fail_where = Where(path, _line(coe_key)) if may_fail else None
    versions = _matrix_versions(doc, entries)
    shell = _default_shell(doc, entries) or workflow_shell
    steps: list[CiStep] = []
    caches: list[str] = []
    if "steps" in entries:
        steps_key, steps_node = entries["steps"]
        if not isinstance(steps_node, SequenceNode):
            doc.state.problem(path, _line(steps_key), f"job `{job_id}`: `steps` is not a list")
        else:
            for item in steps_node.value:
                doc.spend(1, item)  # a list of steps may be an alias, used by every job
                if not isinstance(item, MappingNode):
                    doc.state.problem(path, _line(item), f"job `{job_id}`: a step is not a mapping")
                    continue
                step = _github_step(doc, job_id, item, shell, may_fail, may_fail_where)
                steps.append(step)
                caches.extend(_step_caches(step))
                versions.extend(_step_versions(step))
    uses = _text(entries["uses"][1]) or "" if "uses" in entries else ""
    return CiJob(
        system="github",
        where=where,
        name=job_id,
        timeout_minutes=timeout,
        timeout_where=timeout_where,
        python_versions=_unique(versions),
        caches=_unique(caches),
        steps=tuple(steps),
        may_fail=may_fail,
        may_fail_where=may_fail_where,
        title=_text(entries["name"][1]) or "" if "name" in entries else "",
        uses=uses,
        inputs=_inputs(doc, entries),
        triggers=triggers,
        timeout_text=timeout_text,
    )


def _github_timeout(
    doc: _Yaml, entries: dict[str, tuple[Node, Node]]
) -> tuple[float | None, Where | None, str]:
    if "timeout-minutes" not in entries:
        return None, None, ""
    key, value = entries["timeout-minutes"]
    text = _text(value) or _source_text(doc, value)
    minutes = _number(text)
    if minutes is None and not _EXPRESSION.match(text.strip()):
        doc.state.problem(doc.path, _line(key), f"`timeout-minutes: {text}` is not a number")
    return minutes, Where(doc.path, _line(key)), text


def _matrix_versions(doc: _Yaml, entries: dict[str, tuple[Node, Node]]) -> list[str]:
    strategy = doc.entries(entries["strategy"][1]) if "strategy" in entries else {}
    matrix = doc.entries(strategy["matrix"][1]) if "matrix" in strategy else {}
    versions: list[str] = []
    for name, (_, value) in matrix.items():
        if name == "include" and isinstance(value, SequenceNode):
            for item in value.value:
                doc.spend(1, item)
                for inner, (_, inner_value) in doc.entries(item).items():
                    if _PYTHON_KEY.match(inner.lower()):
                        versions.extend(_scalars(inner_value))
        elif _PYTHON_KEY.match(name.lower()):
            versions.extend(_scalars(value))
    return [v for v in versions if "${{" not in v]


def _inputs(doc: _Yaml, entries: dict[str, tuple[Node, Node]]) -> tuple[tuple[str, str], ...]:
    if "with" not in entries:
        return ()
    return tuple(
        (name, value.value if isinstance(value, ScalarNode) else _source_text(doc, value))
        for name, (_, value) in doc.entries(entries["with"][1]).items()
    )


def _github_step(
    doc: _Yaml,
    job_id: str,
    node: MappingNode,
    job_shell: str,
    job_may_fail: str | None,
    job_may_fail_where: Where | None,
) -> CiStep:
    path = doc.path
    entries = doc.entries(node)
    where = Where(path, _line(node))
    command = ""
    command_lines: tuple[int, ...] = ()
    command_where: Where | None = None
    if "run" in entries:
        run_key, run_node = entries["run"]
        command_where = Where(path, _line(run_key))
        if isinstance(run_node, ScalarNode):
            command = run_node.value
            command_lines = doc.scalar_lines(run_node)
        else:
            doc.state.problem(path, _line(run_key), f"job `{job_id}`: `run` is not a string")
    shell = _text(entries["shell"][1]) or "" if "shell" in entries else job_shell
    pipefail = shell.strip() == "bash" or "pipefail" in shell
    may_fail: str | None = None
    may_fail_where: Where | None = None
    if "continue-on-error" in entries:
        coe_key, coe_node = entries["continue-on-error"]
        may_fail = _continue_on_error(coe_node)
        may_fail_where = Where(path, _line(coe_key)) if may_fail else None
    if may_fail is None and job_may_fail is not None:
        may_fail, may_fail_where = job_may_fail, job_may_fail_where
    if may_fail is None and command:
        may_fail, may_fail_where = _script_mask(command, command_lines, path, pipefail)
    timeout, timeout_where, _ = _github_timeout(doc, entries)
    return CiStep(
        system="github",
        where=where,
        job=job_id,
        name=_text(entries["name"][1]) or "" if "name" in entries else "",
        command=command,
        uses=_text(entries["uses"][1]) or "" if "uses" in entries else "",
        inputs=_inputs(doc, entries),
        may_fail=may_fail,
        may_fail_where=may_fail_where,
        command_lines=command_lines,
        command_where=command_where,
        condition=_text(entries["if"][1]) or "" if "if" in entries else "",
        shell=shell,
        pipefail=pipefail,
        timeout_minutes=timeout,
        timeout_where=timeout_where,
    )


def _action(uses: str) -> str:
    """``actions/setup-python@v5`` -> ``actions/setup-python``."""
    return uses.split("@", 1)[0].strip().lower()


_CACHE_INPUTS = ("cache", "enable-cache", "cache-environment", "cache-downloads")


def _step_caches(step: CiStep) -> list[str]:
    if not step.uses:
        return []
    action = _action(step.uses)
    inputs = dict(step.inputs)
    if action == "actions/cache" or action.startswith("actions/cache/"):
        return ["actions/cache"]
    if action == "hynek/setup-cached-uv":
        return [action]
    found: list[str] = []
    short = action.rsplit("/", 1)[-1]
    for name in _CACHE_INPUTS:
        value = inputs.get(name, "").strip()
        if value and value.lower() != "false":
            if value.lower() == "true":
                found.append(f"{short} {name}")
            else:
                found.append(f"{short} {name}: {value}")
    return found


def _step_versions(step: CiStep) -> list[str]:
    if not step.uses:
        return []
    value = dict(step.inputs).get("python-version", "")
    versions = [v.strip() for v in re.split(r"[\n,]", value)]
    return [v for v in versions if v and "${{" not in v]


# -- GitLab CI ------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Top-level keys that are not jobs.
_GITLAB_KEYWORDS = _words(
    "image services stages types before_script after_script variables cache include default "
    "workflow spec"
)
#: What ``default:`` can give a job.
_GITLAB_DEFAULTS = _words(
    "image services before_script after_script cache timeout interruptible retry tags "
    "artifacts hooks id_tokens"
)
_GLOBAL_DEFAULTS = ("image", "services", "cache", "before_script", "after_script")
_GITLAB_VERSION_KEY = re.compile(r"^(?:python|py)(?:_?version)?s?$", re.IGNORECASE)


@dataclass
class _Val:
    """A GitLab value with where it came from; a mapping's children merged GitLab's way."""

    node: Node
    doc: _Yaml
    key_line: int
    children: dict[str, _Val] | None = None


def _tree(doc: _Yaml, node: Node, key_line: int, depth: int = 0) -> _Val:
    """A value as GitLab merges it. A mapping's children are made once (an alias shares them:
    they are never changed in place), counted by ``doc.spend`` each time they are used again;
    _TooComplex past ``_MAX_YAML_DEPTH`` levels, or for a mapping that contains itself."""
    if not isinstance(node, MappingNode) or node.tag == "!reference":
        return _Val(node, doc, key_line)
    known = doc.trees.get(id(node))
    if known is not None:
        children, size, _ = known
        doc.spend(size, node)
        return _Val(node, doc, key_line, children)
    if id(node) in doc.building:
        raise doc.recursive(node)
    if depth > _MAX_YAML_DEPTH:
        raise doc.too_deep(node)
    doc.building.add(id(node))
    try:
        children = {
            name: _tree(doc, value, _line(key), depth + 1)
            for name, (key, value) in doc.entries(node).items()
        }
    finally:
        doc.building.discard(id(node))
    size, deepest = 1, 0
    for child in children.values():
        if child.children is not None:
            _, child_size, child_depth = doc.trees[id(child.node)]
            size, deepest = size + child_size, max(deepest, child_depth)
        else:
            size += 1
    if deepest + 1 > _MAX_YAML_DEPTH:  # deep only through aliases, each shallow where written
        raise doc.too_deep(node)
    doc.trees[id(node)] = (children, size, deepest + 1)
    return _Val(node, doc, key_line, children)


def _deep_merge(base: _Val, over: _Val) -> _Val:
    """GitLab's merge: mappings merged key by key, anything else replaced."""
    if base.children is None or over.children is None:
        return over
    over.doc.spend(1, over.node)
    children = dict(base.children)
    for name, value in over.children.items():
        children[name] = _deep_merge(children[name], value) if name in children else value
    return _Val(over.node, over.doc, over.key_line, children)


class _GitLab:
    def __init__(self, state: _State) -> None:
        self.state = state
        self.definitions: dict[str, _Val] = {}
        self.resolved: dict[str, _Val] = {}
        self.seen_files: set[str] = set()

    # includes ------------------------------------------------------------------------------

    def load(self, file: Path) -> dict[str, _Val]:
        """The top-level definitions of ``file`` and of what it includes (its own win)."""
        path = self.state.relative(file)
        if path in self.seen_files:
            return {}
        self.seen_files.add(path)
        text = self.state.read(file)
        if text is None:
            return {}
        doc = _Yaml(self.state, path, text)
        documents = doc.documents(text)
        if not documents:
            return {}
        root = documents[0]
        if len(documents) > 1 and "spec" in doc.entries(root):
            root = documents[1]  # a `spec:` header, then the configuration
        if not isinstance(root, MappingNode):
            self.state.problem(
                path, _line(root), "not a GitLab CI file: the top level is not a mapping"
            )
            return {}
        entries = doc.entries(root)
        merged: dict[str, _Val] = {}
        if "include" in entries:
            for included in self._includes(doc, entries["include"][1]):
                for name, loaded in self.load(included).items():
                    merged[name] = _deep_merge(merged[name], loaded) if name in merged else loaded
        for name, (key, node) in entries.items():
            if name == "include":
                continue
            own = _tree(doc, node, _line(key))
            merged[name] = _deep_merge(merged[name], own) if name in merged else own
        return merged

    def _includes(self, doc: _Yaml, node: Node) -> Iterator[Path]:
        items = node.value if isinstance(node, SequenceNode) else [node]
        for item in items:
            if isinstance(item, ScalarNode):
                target = item.value.strip()
                if re.match(r"^https?://", target):
                    self._not_followed(doc, item, f"remote: {target}")
                else:
                    yield from self._local(doc, item, target)
                continue
            entries = doc.entries(item)
            if "local" in entries:
                yield from self._local(doc, entries["local"][1], _text(entries["local"][1]) or "")
                continue
            kind = next(
                (k for k in ("project", "remote", "template", "component") if k in entries), ""
            )
            if kind:
                described = f"{kind}: {_text(entries[kind][1]) or ''}".strip()
                if "file" in entries:
                    described += f" (file: {', '.join(_scalars(entries['file'][1]))})"
                self._not_followed(doc, item, described)
            else:
                self.state.problem(
                    doc.path, _line(item), "an `include` entry that is not understood"
                )

    def _not_followed(self, doc: _Yaml, node: Node, described: str) -> None:
        self.state.problem(
            doc.path,
            _line(node),
            f"`include: {described}` is not read (only local files are): "
            "the jobs and templates it defines are unknown here",
        )

    def _local(self, doc: _Yaml, node: Node, target: str) -> Iterator[Path]:
        relative = target.lstrip("/")
        if not relative:
            return
        if any(char in relative for char in "*?["):
            matches = sorted(p for p in self.state.root.glob(relative) if p.is_file())
            if not matches:
                self.state.problem(doc.path, _line(node), f"`include: {target}` matches no file")
            yield from matches
            return
        candidate = self.state.root / relative
        if candidate.is_file():
            yield candidate
        else:
            self.state.problem(doc.path, _line(node), f"included file `{target}` not found")

    # jobs ----------------------------------------------------------------------------------

    def resolve(self, name: str, stack: tuple[str, ...] = ()) -> _Val:
        """A definition with its ``extends`` chain merged in."""
        if name in self.resolved:
            return self.resolved[name]
        own = self.definitions[name]
        extends = (own.children or {}).get("extends")
        merged: _Val | None = None
        if extends is not None:
            for parent in _scalars(extends.node):
                if parent in stack or parent == name or len(stack) > 10:
                    self.state.problem(
                        extends.doc.path, extends.key_line, f"`{name}` extends `{parent}`: a loop"
                    )
                elif parent not in self.definitions:
                    self.state.problem(
                        extends.doc.path,
                        extends.key_line,
                        f"`{name}` extends `{parent}`, which is not defined in the files read",
                    )
                else:
                    resolved = self.resolve(parent, (*stack, name))
                    merged = resolved if merged is None else _deep_merge(merged, resolved)
        result = own if merged is None else _deep_merge(merged, own)
        self.resolved[name] = result
        return result

    def with_defaults(self, job: _Val) -> _Val:
        children = dict(job.children or {})
        defaults: dict[str, _Val] = {}
        for name in _GLOBAL_DEFAULTS:
            if name in self.definitions:
                defaults[name] = self.definitions[name]
        default = self.definitions.get("default")
        if default is not None and default.children:
            defaults.update({k: v for k, v in default.children.items() if k in _GITLAB_DEFAULTS})
        allowed = set(defaults)
        inherit = children.get("inherit")
        if inherit is not None and inherit.children and "default" in inherit.children:
            setting = inherit.children["default"].node
            if isinstance(setting, SequenceNode):
                allowed &= set(_scalars(setting))
            elif not _is_true(setting):
                allowed = set()
        for name in allowed:
            children.setdefault(name, defaults[name])
        return _Val(job.node, job.doc, job.key_line, children)

    def reference(self, node: Node, depth: int = 0) -> _Val | None:
        """What ``!reference [.job, key, …]`` points to."""
        parts = _scalars(node)
        if len(parts) < 2 or parts[0] not in self.definitions or depth > 10:
            return None
        value: _Val | None = self.resolve(parts[0])
        for part in parts[1:]:
            if value is None or value.children is None:
                return None
            value = value.children.get(part)
        return value

    def script_items(self, value: _Val, depth: int = 0) -> Iterator[tuple[ScalarNode, _Yaml]]:
        node = value.node
        value.doc.spend(1, node)  # nested lists may be aliases of aliases
        if depth > _MAX_YAML_DEPTH:
            raise value.doc.too_deep(node)
        if node.tag == "!reference":
            target = self.reference(node, depth)
            if target is None:
                self.state.problem(
                    value.doc.path,
                    _line(node),
                    f"`!reference [{', '.join(_scalars(node))}]` points to nothing "
                    "in the files read",
                )
                return
            yield from self.script_items(target, depth + 1)
        elif isinstance(node, ScalarNode):
            if node.value.strip():
                yield node, value.doc
        elif isinstance(node, SequenceNode):
            for item in node.value:
                yield from self.script_items(_Val(item, value.doc, _line(item)), depth + 1)


def _read_gitlab(state: _State, file: Path) -> None:
    gitlab = _GitLab(state)
    jobs = len(state.jobs)
    try:
        gitlab.definitions = gitlab.load(file)
        for name, value in gitlab.definitions.items():
            if name in _GITLAB_KEYWORDS or name.startswith(".") or value.children is None:
                continue
            job = gitlab.with_defaults(gitlab.resolve(name))
            state.jobs.append(_gitlab_job(gitlab, name, value, job))
    except _TooComplex as exc:
        del state.jobs[jobs:]  # nothing of a pipeline covgap stopped reading
        state.problem(exc.path, exc.line, exc.message)


def _gitlab_job(gitlab: _GitLab, name: str, own: _Val, job: _Val) -> CiJob:
    children = job.children or {}
    where = Where(own.doc.path, own.key_line)
    may_fail, may_fail_where = _allow_failure(children)
    steps: list[CiStep] = []
    for section in ("before_script", "script", "after_script"):
        if section not in children:
            continue
        for node, doc in gitlab.script_items(children[section]):
            lines = doc.scalar_lines(node)
            step_may_fail, step_where = may_fail, may_fail_where
            if step_may_fail is None and section == "after_script":
                step_may_fail, step_where = "after_script", Where(doc.path, _line(node))
            if step_may_fail is None:
                step_may_fail, step_where = _script_mask(node.value, lines, doc.path, True)
            steps.append(
                CiStep(
                    system="gitlab",
                    where=Where(doc.path, _line(node)),
                    job=name,
                    name=section,
                    command=node.value,
                    uses="",
                    inputs=(),
                    may_fail=step_may_fail,
                    may_fail_where=step_where,
                    command_lines=lines,
                    command_where=Where(doc.path, _line(node)),
                    pipefail=True,
                )
            )
    timeout: float | None = None
    timeout_where: Where | None = None
    timeout_text = ""
    if "timeout" in children:
        value = children["timeout"]
        timeout_text = _text(value.node) or ""
        timeout = _gitlab_minutes(timeout_text)
        timeout_where = Where(value.doc.path, value.key_line)
        if timeout is None:
            gitlab.state.problem(
                value.doc.path, value.key_line, f"`timeout: {timeout_text}` is not a duration"
            )
    return CiJob(
        system="gitlab",
        where=where,
        name=name,
        timeout_minutes=timeout,
        timeout_where=timeout_where,
        python_versions=_gitlab_versions(gitlab, children),
        caches=_gitlab_caches(children),
        steps=tuple(steps),
        may_fail=may_fail,
        may_fail_where=may_fail_where,
        timeout_text=timeout_text,
        coverage_regex=_gitlab_coverage(children),
        reports=_gitlab_reports(children),
        parallel=_gitlab_parallel(children),
    )


def _allow_failure(children: dict[str, _Val]) -> tuple[str | None, Where | None]:
    if "allow_failure" in children:
        value = children["allow_failure"]
        where = Where(value.doc.path, value.key_line)
        if value.children is not None:
            codes = value.children.get("exit_codes")
            listed = ", ".join(_scalars(codes.node)) if codes is not None else ""
            return f"allow_failure: exit_codes {listed}".strip(), where
        return ("allow_failure: true", where) if _is_true(value.node) else (None, None)
    if "when" in children and (_text(children["when"].node) or "") == "manual":
        value = children["when"]
        return "when: manual (allow_failure defaults to true)", Where(
            value.doc.path, value.key_line
        )
    rules = children.get("rules")
    if rules is not None and isinstance(rules.node, SequenceNode):
        for rule in rules.node.value:
            entries = rules.doc.entries(rule)
            if "allow_failure" in entries and _is_true(entries["allow_failure"][1]):
                key = entries["allow_failure"][0]
                return "rules: allow_failure: true", Where(rules.doc.path, _line(key))
    return None, None


_DURATION_PART = re.compile(
    r"(\d+(?:\.\d+)?)\s*(d|days?|h|hrs?|hours?|m|mins?|minutes?|s|secs?|seconds?)(?![a-z])",
    re.IGNORECASE,
)
_UNIT_MINUTES = {"d": 1440.0, "h": 60.0, "m": 1.0, "s": 1 / 60}


def _gitlab_minutes(text: str) -> float | None:
    """``"1h 30m"`` -> 90.0; ``"3600"`` (seconds) -> 60.0; None when not a duration."""
    stripped = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", stripped):
        return float(stripped) / 60
    parts = _DURATION_PART.findall(stripped)
    leftover = re.sub(r"\band\b|[\s,]", "", _DURATION_PART.sub("", stripped))
    if not parts or leftover:
        return None
    return sum(float(number) * _UNIT_MINUTES[unit[0].lower()] for number, unit in parts)


def _gitlab_versions(gitlab: _GitLab, children: dict[str, _Val]) -> tuple[str, ...]:
    variables: dict[str, list[str]] = {}
    for source in (gitlab.definitions.get("variables"), children.get("variables")):
        if source is not None and source.children:
            for name, value in source.children.items():
                if value.children is not None and "value" in value.children:
                    variables[name] = _scalars(value.children["value"].node)
                else:
                    variables[name] = _scalars(value.node)
    versions: list[str] = []
    parallel = children.get("parallel")
    if parallel is not None and parallel.children and "matrix" in parallel.children:
        matrix = parallel.children["matrix"].node
        for entry in matrix.value if isinstance(matrix, SequenceNode) else []:
            for name, (_, node) in parallel.doc.entries(entry).items():
                values = _scalars(node)
                variables[name] = [*variables.get(name, []), *values]
                if _GITLAB_VERSION_KEY.match(name):
                    versions.extend(values)
    image = children.get("image")
    if image is not None:
        name_node = (
            image.children["name"].node
            if image.children and "name" in image.children
            else image.node
        )
        for candidate in _substitute(_text(name_node) or "", variables):
            match = re.search(
                r"(?:^|/)(python|pypy):(\d+(?:\.\d+)*)|:python(\d+(?:\.\d+)*)", candidate
            )
            if match and match.group(1) == "pypy":
                versions.append(f"pypy{match.group(2)}")
            elif match:
                versions.append(match.group(2) or match.group(3))
    return _unique(versions)


def _substitute(text: str, variables: dict[str, list[str]]) -> list[str]:
    """Every way ``$VAR`` / ``${VAR}`` in ``text`` can be filled from ``variables``."""
    names = list(dict.fromkeys(re.findall(r"\$\{?(\w+)\}?", text)))
    results = [text]
    for name in names:
        values = variables.get(name)
        if not values:
            continue
        pattern = re.compile(r"\$\{" + re.escape(name) + r"\}|\$" + re.escape(name) + r"\b")
        results = [pattern.sub(value, result) for result in results for value in values]
    return results


def _gitlab_caches(children: dict[str, _Val]) -> tuple[str, ...]:
    cache = children.get("cache")
    if cache is None:
        return ()
    entries = cache.node.value if isinstance(cache.node, SequenceNode) else [cache.node]
    found: list[str] = []
    for entry in entries:
        mapping = cache.doc.entries(entry)
        if not mapping:
            continue
        paths = _scalars(mapping["paths"][1]) if "paths" in mapping else []
        found.append("cache: " + ", ".join(paths) if paths else "cache")
    return _unique(found)


def _gitlab_coverage(children: dict[str, _Val]) -> str | None:
    coverage = children.get("coverage")
    if coverage is None or coverage.node.tag == "tag:yaml.org,2002:null":
        return None
    return _text(coverage.node)


def _gitlab_reports(children: dict[str, _Val]) -> tuple[str, ...]:
    artifacts = children.get("artifacts")
    if artifacts is None or not artifacts.children or "reports" not in artifacts.children:
        return ()
    reports = artifacts.children["reports"].children or {}
    found: list[str] = []
    for name, value in reports.items():
        if value.children is not None:
            parts = [
                " ".join(_scalars(value.children[k].node))
                for k in ("coverage_format", "path")
                if k in value.children
            ]
            found.append(f"{name}: {' '.join(parts)}".strip())
        else:
            found.append(f"{name}: {' '.join(_scalars(value.node))}".strip())
    return tuple(found)


def _gitlab_parallel(children: dict[str, _Val]) -> str | None:
    parallel = children.get("parallel")
    if parallel is None:
        return None
    if parallel.children is not None:
        return "matrix" if "matrix" in parallel.children else None
    return _text(parallel.node)


# -- tox ------------------------------------------------------------------------------------


@dataclass
class _IniOption:
    line: int
    #: (1-based line, text) of each non-empty, non-comment line of the value.
    lines: list[tuple[int, str]]


@dataclass
class _IniSection:
    line: int
    options: dict[str, _IniOption]


def _ini_layout(text: str, offset: int = 0) -> dict[str, _IniSection]:
    """Where each section and option is (configparser gives the values, not their lines)."""
    sections: dict[str, _IniSection] = {}
    section: _IniSection | None = None
    option: _IniOption | None = None
    for index, raw in enumerate(text.split("\n")):
        number = index + 1 + offset
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        indented = raw[:1].isspace()
        header = re.match(r"^\[(.+)\]", stripped)
        if header and not indented:
            section = sections.setdefault(header.group(1).strip(), _IniSection(number, {}))
            option = None
        elif indented and option is not None:
            option.lines.append((number, stripped))
        elif section is not None:
            parts = re.split(r"[=:]", raw, maxsplit=1)
            key = parts[0].strip().lower()
            value = parts[1].strip() if len(parts) > 1 else ""
            option = _IniOption(number, [(number, value)] if value else [])
            section.options[key] = option
    return sections


def _ini_parser(
    state: _State, path: str, text: str, offset: int = 0
) -> configparser.ConfigParser | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=path)
    except configparser.MissingSectionHeaderError as exc:
        state.problem(path, exc.lineno + offset, "broken INI: a line before the first [section]")
        return None
    except configparser.ParsingError as exc:
        errors = getattr(exc, "errors", None) or [(1, "")]
        lineno, content = errors[0]
        text_of_line = str(content).strip("'\"").replace("\\n", "").strip()
        state.problem(path, lineno + offset, f"broken INI: cannot parse `{text_of_line}`")
        return None
    except configparser.Error as exc:
        lineno = getattr(exc, "lineno", None) or 1
        message = re.sub(r"^While reading from .*?\[line\s*\d+\]: ", "", _first_line(exc))
        state.problem(path, int(lineno) + offset, f"broken INI: {message}")
        return None
    return parser


def _first_line(exc: Exception) -> str:
    return str(exc).strip().split("\n", 1)[0]


_FACTOR_CONDITION = re.compile(r"^([\w{}.!,-]+):\s+(.*)$", re.DOTALL)
_INLINE_COMMENT = re.compile(r"(?<!\\)\s#.*$")


def _expand(name: str) -> list[str]:
    """tox's generative names: ``py3{9-11}-{a,b}`` -> ``py39-a``, ``py39-b``, … ``py311-b``."""
    match = re.search(r"\{([^{}]*)\}", name)
    if not match:
        return [name]
    options: list[str] = []
    for part in match.group(1).split(","):
        part = part.strip()
        numeric = re.fullmatch(r"(\d+)-(\d+)", part)
        if numeric and int(numeric.group(1)) <= int(numeric.group(2)):
            low, high = int(numeric.group(1)), int(numeric.group(2))
            options.extend(str(number) for number in range(low, min(high, low + 100) + 1))
        else:
            options.append(part)
    head, tail = name[: match.start()], name[match.end() :]
    return [expanded for option in options for expanded in _expand(head + option + tail)]


def _env_names(value: str) -> list[str]:
    names: list[str] = []
    for raw in re.split(r"[\n]", value):
        raw = raw.split("#", 1)[0]
        # commas inside braces belong to the generative name
        for part in re.split(r",(?![^{]*\})", raw):
            part = part.strip()
            if part:
                names.extend(_expand(part))
    return names


def _tox_versions(envs: Iterable[str], base_python: str = "") -> list[str]:
    versions: list[str] = []
    for env in envs:
        for factor in env.split("-"):
            version = _version_of_factor(factor)
            if version:
                versions.append(version)
                break
    for token in base_python.replace(",", " ").split():
        version = _version_of_factor(token)
        if version:
            versions.append(version)
    return versions


def _read_tox(state: _State) -> None:
    root = state.root
    tox_ini = root / "tox.ini"
    if _present(tox_ini):
        text = state.read(tox_ini)
        if text is not None:
            _read_tox_ini(state, "tox.ini", text, "tox")
        return
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        raw = _peek(setup_cfg)
        if raw is not None and re.search(r"^\[tox:tox\]", raw, re.MULTILINE):
            text = state.read(setup_cfg)
            if text is not None:
                _read_tox_ini(state, "setup.cfg", text, "tox:tox")
            return
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        raw = _peek(pyproject)
        if raw is not None and re.search(r"^\[tool\.tox[\].]", raw, re.MULTILINE):
            text = state.read(pyproject)
            if text is not None:
                _read_tox_toml(state, "pyproject.toml", text, ("tool", "tox"))
            return
    tox_toml = root / "tox.toml"
    if _present(tox_toml):
        text = state.read(tox_toml)
        if text is not None:
            _read_tox_toml(state, "tox.toml", text, ())


def _peek(path: Path) -> str | None:
    try:
        return read_text(path)
    except (OSError, UnicodeDecodeError):
        return None


def _read_tox_ini(state: _State, path: str, text: str, core: str, offset: int = 0) -> None:
    parser = _ini_parser(state, path, text, offset)
    if parser is None:
        return
    layout = _ini_layout(text, offset)
    env_list: list[str] = []
    if parser.has_section(core):
        for key in ("env_list", "envlist"):
            if parser.has_option(core, key):
                env_list = _env_names(parser.get(core, key))
                break
    for section in parser.sections():
        if section != "testenv" and not section.startswith("testenv:"):
            continue
        envs = env_list if section == "testenv" else _expand(section.split(":", 1)[1])
        _tox_ini_job(state, path, parser, layout, section, envs)


def _tox_ini_job(
    state: _State,
    path: str,
    parser: configparser.ConfigParser,
    layout: dict[str, _IniSection],
    section: str,
    envs: list[str],
) -> None:
    place = layout.get(section, _IniSection(1, {}))
    # only what the section sets itself: [testenv]'s values are [testenv]'s job
    own = {key for key in place.options if parser.has_option(section, key)}
    options = {key: parser.get(section, key) for key in own}
    base_python = options.get("base_python") or options.get("basepython") or ""
    may_fail: str | None = None
    may_fail_where: Where | None = None
    if "ignore_outcome" in own and options.get("ignore_outcome", "").strip().lower() == "true":
        may_fail = "ignore_outcome = true"
        option = place.options.get("ignore_outcome")
        may_fail_where = Where(path, option.line if option else place.line)
    steps: list[CiStep] = []
    for name in ("commands_pre", "commands", "commands_post"):
        if name in own:
            steps.extend(
                _tox_ini_commands(path, layout, section, name, section, may_fail, may_fail_where, 0)
            )
    state.jobs.append(
        CiJob(
            system="tox",
            where=Where(path, place.line),
            name=section,
            timeout_minutes=None,
            timeout_where=None,
            python_versions=_unique(_tox_versions(envs, base_python)),
            caches=(),
            steps=tuple(steps),
            may_fail=may_fail,
            may_fail_where=may_fail_where,
            envs=tuple(envs),
        )
    )


def _tox_ini_commands(
    path: str,
    layout: dict[str, _IniSection],
    section: str,
    option: str,
    job: str,
    may_fail: str | None,
    may_fail_where: Where | None,
    depth: int,
) -> list[CiStep]:
    place = layout.get(section)
    value = place.options.get(option) if place else None
    if value is None:
        return []
    steps: list[CiStep] = []
    pending: list[tuple[int, str]] = []
    for number, text in value.lines:
        pending.append((number, text))
        if text.endswith("\\") and not text.endswith("\\\\"):
            continue
        steps.extend(_tox_step(path, layout, pending, job, option, may_fail, may_fail_where, depth))
        pending = []
    if pending:
        steps.extend(_tox_step(path, layout, pending, job, option, may_fail, may_fail_where, depth))
    return steps


def _tox_step(
    path: str,
    layout: dict[str, _IniSection],
    lines: list[tuple[int, str]],
    job: str,
    option: str,
    may_fail: str | None,
    may_fail_where: Where | None,
    depth: int,
) -> list[CiStep]:
    texts = [_INLINE_COMMENT.sub("", text).rstrip() for _, text in lines]
    condition = ""
    match = _FACTOR_CONDITION.match(texts[0])
    if match:
        condition, texts[0] = match.group(1), match.group(2)
    reference = re.fullmatch(r"\{\[([^\]]+)\]([\w-]+)\}", texts[0].strip())
    if reference and len(texts) == 1 and depth < 5:
        referenced = _tox_ini_commands(
            path,
            layout,
            reference.group(1),
            reference.group(2),
            job,
            may_fail,
            may_fail_where,
            depth + 1,
        )
        return [replace(step, condition=condition or step.condition) for step in referenced]
    first_line = lines[0][0]
    step_may_fail, step_where = may_fail, may_fail_where
    ignored = re.match(r"^-\s*", texts[0])
    if ignored:
        texts[0] = texts[0][ignored.end() :]
        if step_may_fail is None:
            step_may_fail, step_where = "- (tox ignores the exit status)", Where(path, first_line)
    command = "\n".join(texts)
    command_lines = tuple(number for number, _ in lines)
    if step_may_fail is None:
        step_may_fail, step_where = _script_mask(command, command_lines, path, False)
    return [
        CiStep(
            system="tox",
            where=Where(path, first_line),
            job=job,
            name=option,
            command=command,
            uses="",
            inputs=(),
            may_fail=step_may_fail,
            may_fail_where=step_where,
            command_lines=command_lines,
            command_where=Where(path, first_line),
            condition=condition,
        )
    ]


def _read_tox_toml(state: _State, path: str, text: str, prefix: tuple[str, ...]) -> None:
    try:
        document = tomlparse.loads(text)
    except tomlparse.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        state.problem(path, int(found.group(1)) if found else 1, f"broken TOML: {exc}")
        return
    config: object = document
    for part in prefix:
        config = config.get(part, {}) if isinstance(config, dict) else {}
    if not isinstance(config, dict):
        state.problem(path, 1, "the tox configuration is not a table")
        return
    legacy = config.get("legacy_tox_ini")
    if isinstance(legacy, str):
        found = re.search(r"^\s*legacy_tox_ini\s*=\s*(\"\"\"|''')\\?\n?", text, re.MULTILINE)
        offset = text[: found.end()].count("\n") if found else 0
        _read_tox_ini(state, path, legacy, "tox", offset)
        return
    table_prefix = ".".join(prefix)
    listed = config.get("env_list")
    env_list = (
        [name for name in listed if isinstance(name, str)] if isinstance(listed, list) else []
    )
    tables: list[tuple[str, str, dict[str, object], list[str]]] = []
    run_base = config.get("env_run_base")
    if isinstance(run_base, dict):
        tables.append(("env_run_base", "env_run_base", run_base, env_list))
    environments = config.get("env")
    if isinstance(environments, dict):
        for name, table in environments.items():
            if isinstance(table, dict):
                tables.append((f"env.{name}", f"env.{_toml_key(name)}", table, [name]))
    for job, header, table, envs in tables:
        full = f"{table_prefix}.{header}" if table_prefix else header
        header_line = _toml_header_line(text, full)
        base = table.get("base_python", "")
        base_python = " ".join(base) if isinstance(base, list) else str(base)
        may_fail: str | None = None
        may_fail_where: Where | None = None
        if table.get("ignore_outcome") is True:
            may_fail = "ignore_outcome = true"
            may_fail_where = Where(path, _toml_key_line(text, header_line, "ignore_outcome"))
        steps: list[CiStep] = []
        for option in ("commands_pre", "commands", "commands_post"):
            commands = table.get(option)
            if isinstance(commands, list):
                steps.extend(
                    _toml_steps(
                        path, text, header_line, job, option, commands, may_fail, may_fail_where
                    )
                )
        state.jobs.append(
            CiJob(
                system="tox",
                where=Where(path, header_line),
                name=job,
                timeout_minutes=None,
                timeout_where=None,
                python_versions=_unique(_tox_versions(envs, base_python)),
                caches=(),
                steps=tuple(steps),
                may_fail=may_fail,
                may_fail_where=may_fail_where,
                envs=tuple(envs),
            )
        )


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[\w-]+", name) else f'"{name}"'


def _toml_header_line(text: str, header: str) -> int:
    pattern = re.compile(r"^\s*\[\s*" + re.escape(header).replace(r"\.", r"\s*\.\s*") + r"\s*\]")
    for index, raw in enumerate(text.split("\n")):
        if pattern.match(raw):
            return index + 1
    return 1


_TOML_TABLE = re.compile(r"^\[\[?[^\[\]]+\]\]?\s*(?:#.*)?$")


def _toml_key_line(text: str, start: int, key: str) -> int:
    """The line of ``key = …`` in the table whose header is at line ``start``; else ``start``."""
    lines = text.split("\n")
    for index in range(start, len(lines)):  # from the line after the header
        if _TOML_TABLE.match(lines[index]):
            break
        if re.match(r"^\s*" + re.escape(key) + r"\s*=", lines[index]):
            return index + 1
    return start


def _render_toml_word(word: object) -> list[str]:
    if isinstance(word, str):
        return [shlex.quote(word)]
    if isinstance(word, dict):
        if word.get("replace") == "posargs":
            default = word.get("default", [])
            return [shlex.quote(str(item)) for item in default] if isinstance(default, list) else []
        if word.get("replace") == "env":
            return [f"${word.get('name', '')}"]
        return [shlex.quote("{" + ",".join(f"{k}={v}" for k, v in word.items()) + "}")]
    return [shlex.quote(str(word))]


def _toml_steps(
    path: str,
    text: str,
    header_line: int,
    job: str,
    option: str,
    commands: list[object],
    may_fail: str | None,
    may_fail_where: Where | None,
) -> list[CiStep]:
    key_line = _toml_key_line(text, header_line, option)
    cursor = sum(len(raw) + 1 for raw in text.split("\n")[: key_line - 1])
    steps: list[CiStep] = []
    for command in commands:
        words = command if isinstance(command, list) else [command]
        rendered = " ".join(part for word in words for part in _render_toml_word(word))
        first = next((w for w in words if isinstance(w, str)), "")
        number = text.count("\n", 0, cursor) + 1
        if first:
            found = re.compile(r"([\"'])" + re.escape(first) + r"\1").search(text, cursor)
            if found:
                cursor = found.end()
                number = text.count("\n", 0, found.start()) + 1
        step_may_fail, step_where = may_fail, may_fail_where
        if step_may_fail is None:
            step_may_fail, step_where = _script_mask(rendered, (number,), path, False)
        steps.append(
            CiStep(
                system="tox",
                where=Where(path, number),
                job=job,
                name=option,
                command=rendered,
                uses="",
                inputs=(),
                may_fail=step_may_fail,
                may_fail_where=step_where,
                command_lines=(number,),
                command_where=Where(path, number),
            )
        )
    return steps


# -- nox ------------------------------------------------------------------------------------


def _read_nox(state: _State, file: Path) -> None:
    text = state.read(file)
    if text is None:
        return
    path = state.relative(file)
    try:
        module = ast.parse(text, filename=path)
    except SyntaxError as exc:
        state.problem(path, exc.lineno or 1, f"broken Python: {exc.msg}")
        return
    except ValueError as exc:  # null bytes, on Python 3.10 and 3.11
        state.problem(path, 1, f"broken Python: {exc}")
        return
    nox_names, session_names = _nox_imports(module)
    constants = _literal_assignments(module.body)
    for node in module.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        decorator = next(
            (d for d in node.decorator_list if _is_session_decorator(d, nox_names, session_names)),
            None,
        )
        if decorator is None:
            continue
        state.jobs.append(_nox_job(path, node, decorator, nox_names, constants))


def _nox_imports(module: ast.Module) -> tuple[set[str], set[str]]:
    """The names bound to the nox module, and to ``nox.session``."""
    nox_names: set[str] = set()
    session_names: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "nox":
                    nox_names.add(alias.asname or "nox")
        elif isinstance(node, ast.ImportFrom) and node.module == "nox":
            for alias in node.names:
                if alias.name == "session":
                    session_names.add(alias.asname or "session")
    return nox_names or {"nox"}, session_names


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _is_session_decorator(node: ast.expr, nox_names: set[str], session_names: set[str]) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    name = _dotted(target)
    return name in session_names or any(name == f"{alias}.session" for alias in nox_names)


def _literal_assignments(body: Iterable[ast.stmt]) -> dict[str, ast.expr]:
    """``NAME = <expr>`` at this level (the last one wins)."""
    found: dict[str, ast.expr] = {}
    for statement in body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = statement.value
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.value is not None
        ):
            found[statement.target.id] = statement.value
    return found


def _literal_strings(
    node: ast.expr | None, names: dict[str, ast.expr], depth: int = 0
) -> list[str]:
    """A str, or a list/tuple of them, directly or through a name; [] otherwise."""
    if node is None or depth > 5:
        return []
    if isinstance(node, ast.Name) and node.id in names:
        return _literal_strings(names[node.id], names, depth + 1)
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)):
        if isinstance(node.value, bool):
            return []
        return [str(node.value)]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [s for element in node.elts for s in _literal_strings(element, names, depth + 1)]
    return []


def _nox_job(
    path: str,
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    decorator: ast.expr,
    nox_names: set[str],
    constants: dict[str, ast.expr],
) -> CiJob:
    name = node.name
    versions: list[str] = []
    if isinstance(decorator, ast.Call):
        for keyword in decorator.keywords:
            if keyword.arg == "name":
                name = next(iter(_literal_strings(keyword.value, constants)), name)
            elif keyword.arg in {"python", "py"}:
                versions.extend(_literal_strings(keyword.value, constants))
    for other in node.decorator_list:
        if (
            isinstance(other, ast.Call)
            and _dotted(other.func).endswith("parametrize")
            and len(other.args) >= 2
            and _literal_strings(other.args[0], constants) in (["python"], ["py"])
        ):
            versions.extend(_literal_strings(other.args[1], constants))
    parameter = node.args.args[0].arg if node.args.args else "session"
    statements = [n for n in ast.walk(node) if isinstance(n, ast.stmt) and n is not node]
    local = {**constants, **_literal_assignments(statements)}
    steps: list[CiStep] = []
    for call in sorted(
        (n for n in ast.walk(node) if isinstance(n, ast.Call)),
        key=lambda n: (n.lineno, n.col_offset),
    ):
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in {"run", "run_always"}
            and isinstance(func.value, ast.Name)
            and func.value.id == parameter
        ):
            steps.append(_nox_step(path, name, call, parameter, local))
    return CiJob(
        system="nox",
        where=Where(path, node.decorator_list[0].lineno if node.decorator_list else node.lineno),
        name=name,
        timeout_minutes=None,
        timeout_where=None,
        python_versions=_unique(versions),
        caches=(),
        steps=tuple(steps),
        may_fail=None,
        may_fail_where=None,
    )


def _render_arg(
    node: ast.expr, parameter: str, names: dict[str, ast.expr], depth: int = 0
) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [shlex.quote(node.value)]
    if isinstance(node, ast.Constant):
        return [shlex.quote(str(node.value))]
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                known = _literal_strings(value.value, names) if depth < 5 else []
                constant = isinstance(value.value, ast.Name) and len(known) == 1
                parts.append(known[0] if constant else "{" + ast.unparse(value.value) + "}")
        return [shlex.quote("".join(parts))]
    if isinstance(node, ast.Starred):
        return _render_sequence(node.value, parameter, names, depth)
    if isinstance(node, ast.Name) and node.id in names and depth < 5:
        strings = _literal_strings(names[node.id], names)
        if strings and isinstance(names[node.id], ast.Constant):
            return [shlex.quote(strings[0])]
    return [shlex.quote(_placeholder(node))]


def _placeholder(node: ast.expr, starred: bool = False) -> str:
    """An expression the step's text cannot resolve, as one word: ``{*glob.glob(dist/*)}``."""
    return "{" + ("*" if starred else "") + re.sub(r"['\"]", "", ast.unparse(node)) + "}"


def _render_sequence(
    node: ast.expr, parameter: str, names: dict[str, ast.expr], depth: int
) -> list[str]:
    """A starred argument: literal lists, ``session.posargs or [defaults]``, names of those."""
    if depth > 5:
        return [shlex.quote(_placeholder(node, starred=True))]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [
            w for element in node.elts for w in _render_arg(element, parameter, names, depth + 1)
        ]
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and len(node.values) == 2:
        first, default = node.values
        if ast.unparse(first) == f"{parameter}.posargs":
            return _render_sequence(default, parameter, names, depth + 1)
    if isinstance(node, ast.Name) and node.id in names:
        return _render_sequence(names[node.id], parameter, names, depth + 1)
    if ast.unparse(node) == f"{parameter}.posargs":
        return []
    return [shlex.quote(_placeholder(node, starred=True))]


def _nox_step(
    path: str, job: str, call: ast.Call, parameter: str, names: dict[str, ast.expr]
) -> CiStep:
    words = [w for arg in call.args for w in _render_arg(arg, parameter, names)]
    env: list[str] = []
    may_fail: str | None = None
    may_fail_where: Where | None = None
    for keyword in call.keywords:
        if keyword.arg == "env" and isinstance(keyword.value, ast.Dict):
            for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(value, ast.Constant):
                    env.append(shlex.quote(f"{key.value!s}={value.value!s}"))
        elif keyword.arg == "success_codes":
            codes = _literal_strings(keyword.value, names)
            if any(code != "0" for code in codes):
                may_fail = f"success_codes={ast.unparse(keyword.value)}"
                may_fail_where = Where(path, keyword.value.lineno)
    command = " ".join([*env, *words])
    number = call.lineno
    if may_fail is None:
        may_fail, may_fail_where = _script_mask(command, (number,), path, False)
    return CiStep(
        system="nox",
        where=Where(path, number),
        job=job,
        name="",
        command=command,
        uses="",
        inputs=(),
        may_fail=may_fail,
        may_fail_where=may_fail_where,
        command_lines=(number,),
        command_where=Where(path, number),
    )
