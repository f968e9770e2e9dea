"""GitHub Actions workflows read into jobs and steps.

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
"""

from __future__ import annotations

import re
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from covgap.collect.project.ci_files.model import CiJob, CiStep, Where
from covgap.collect.project.ci_files.shared import _script_mask, _State, _unique
from covgap.collect.project.ci_files.yaml_doc import (
    _line,
    _number,
    _scalars,
    _source_text,
    _text,
    _TooComplex,
    _Yaml,
)

_EXPRESSION = re.compile(r"^\$\{\{\s*(.*?)\s*\}\}$", re.DOTALL)
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
