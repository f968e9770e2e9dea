"""GitLab CI jobs read from the merged pipeline: scripts, allowed failures, timeouts, versions.

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
"""

from __future__ import annotations

import re
from pathlib import Path

from yaml.nodes import SequenceNode

from covgap.collect.project.ci_files.gitlab_pipeline import _GITLAB_KEYWORDS, _GitLab, _Val
from covgap.collect.project.ci_files.model import CiJob, CiStep, Where
from covgap.collect.project.ci_files.shared import _script_mask, _State, _unique
from covgap.collect.project.ci_files.yaml_doc import _is_true, _line, _scalars, _text, _TooComplex

_GITLAB_VERSION_KEY = re.compile(r"^(?:python|py)(?:_?version)?s?$", re.IGNORECASE)


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
