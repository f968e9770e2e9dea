"""The ``skeleton`` engine: a readable starter module from covgap's own suggestions, to finish.

Always available. One test per suggestion, arrange / act / assert, with the fakes covgap chose
wired in as fixtures or comments, the object built for a method, and ``...`` where a person must
decide (arguments, the expected value). The module is marked skipped: it is a draft for a person
to finish, never run by the filter nor counted as kept tests.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from covgap.draft.engines.base import Check, EngineContext
    from covgap.model.advice import Suggestion
    from covgap.model.draft import Candidate, DraftTarget

__all__ = ["SkeletonEngine", "skeleton_module"]

#: Fixtures pytest or a well-known plugin provides, by the fake covgap names.
_FAKE_FIXTURES = {
    "monkeypatch": "monkeypatch",
    "tmp_path": "tmp_path",
    "freezegun": "freezer",
    "pytest-freezer": "freezer",
    "time-machine": "time_machine",
    "responses": "mocked_responses",
    "respx": "respx_mock",
    "pytest-httpx": "httpx_mock",
    "caplog": "caplog",
    "capsys": "capsys",
}
_PLACEHOLDER = "..."


class SkeletonEngine:
    """Starter tests from covgap's suggestions (never kept: they are marked skipped)."""

    name = "skeleton"

    def unavailable(self, context: EngineContext) -> str | None:
        return None

    def candidates(
        self, target: DraftTarget, context: EngineContext, check: Check
    ) -> Iterable[Candidate]:
        from covgap.model.draft import Candidate

        return [Candidate(engine=self.name, target=target.key, source=skeleton_module([target]))]


def _parameters(target: DraftTarget) -> tuple[list[str], list[str]]:
    """The function's (required, optional) parameters, without self and cls."""
    try:
        tree = ast.parse(_dedent(target.source))
    except (SyntaxError, ValueError):
        return [], []
    node = next(
        (n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None
    )
    if node is None:
        return [], []
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    required = positional[: len(positional) - len(args.defaults)]
    names = [a.arg for a in required]
    names += [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    optional = [a.arg for a in positional[len(required) :]]
    optional += [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d]
    if names and names[0] in ("self", "cls") and "." in target.qualname:
        names = names[1:]
    return names, optional


def _attributes(target: DraftTarget) -> list[str]:
    """The attributes ``__init__`` sets (``self.x = …``), in order."""
    return list(dict.fromkeys(re.findall(r"\bself\.(\w+)\s*(?::[^=]+)?=[^=]", target.source)))


def _dedent(source: str) -> str:
    lines = source.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] for line in lines)


def _is_method(target: DraftTarget) -> bool:
    if target.enclosing:
        return False
    return "." in target.qualname and not target.qualname.split(".")[-2].startswith("<")


def _imports(targets: list[DraftTarget]) -> list[str]:
    names: dict[str, list[str]] = {}
    for target in targets:
        root = (target.enclosing or target.qualname).split(".")[0]
        # the exceptions it raises that are not builtins: from its module, where it names them
        raised = {_raised(s, target) for s in target.suggestions} - {""}
        wanted = [root, *sorted(n for n in raised if n.isidentifier() and not _builtin(n))]
        cls = target.constructor.split("(")[0]
        if target.constructor and cls.isidentifier():
            wanted.append(cls)
        found = names.setdefault(target.module, [])
        for name in wanted:
            if name not in found:
                found.append(name)
    lines = ["import pytest", ""]
    extra = _harness_imports(targets)
    if extra:
        lines = ["import sys", *lines] if "import sys" in extra else lines
        lines += [line for line in extra if line != "import sys"]
    for module, imported in names.items():
        lines.append(f"from {module} import {', '.join(sorted(imported))}")
    return lines


def _builtin(name: str) -> bool:
    import builtins

    return hasattr(builtins, name)


def _harness_imports(targets: list[DraftTarget]) -> list[str]:
    found: list[str] = []
    for target in targets:
        harness = target.harness
        if harness is None:
            continue
        if harness.kind == "main" and "(sys," in harness.call and "import sys" not in found:
            found.append("import sys")
        if harness.kind == "command":
            module = re.search(r"from `([\w.]+)`", harness.fixture_how)
            line = f"from {module.group(1) if module else 'click.testing'} import CliRunner"
            if line not in found:
                found.append(line)
    return found


def _fixtures(target: DraftTarget) -> list[str]:
    found: list[str] = []
    for fake in target.isolation:
        fixture = _FAKE_FIXTURES.get(fake.fake)
        if fixture and fixture not in found:
            found.append(fixture)
    if target.harness is not None and target.harness.fixture:
        found.append(target.harness.fixture)
    return found


def _test_name(suggestion: Suggestion, used: set[str], target: DraftTarget) -> str:
    fallback = re.sub(r"\W+", "_", target.qualname).lower()
    base = suggestion.test_name or f"test_{fallback}"
    name, number = base, 2
    while name in used:
        name, number = f"{base}_{number}", number + 1
    used.add(name)
    return name


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace('"""', "'''").replace("\\", "\\\\")


def _harness_code(target: DraftTarget) -> list[str]:
    """The statements that drive a route, a command or an entry point, from the harness's
    call (``client.get("/x")``; ``monkeypatch.setattr(sys, "argv", […]); main()``)."""
    harness = target.harness
    if harness is None or harness.kind not in ("route", "command", "main"):
        return []
    found = re.search(r"`([^`]+)`", harness.call)
    if found is None:
        return []
    statements = [part.strip() for part in found.group(1).split(";") if part.strip()]
    if harness.kind == "route":
        return [f"response = {statements[-1]}  # TODO: the path and the payload"]
    if harness.kind == "command":
        return ["runner = CliRunner()", f"result = {statements[-1]}  # TODO: the arguments"]
    lines = [f"{s}  # TODO: the arguments" if "argv" in s else s for s in statements[:-1]]
    return [*lines, statements[-1]]


def _harness_assert(target: DraftTarget) -> str:
    kind = target.harness.kind if target.harness is not None else ""
    return {
        "route": "assert response.status_code == ...  # TODO: and the body",
        "command": "assert result.exit_code == 0, result.output  # TODO: and the output",
        "main": "assert ... in capsys.readouterr().out  # TODO: what it prints",
    }.get(kind, "")


def _test(
    target: DraftTarget, suggestion: Suggestion, used: set[str], *, first: bool = True
) -> list[str]:
    name = _test_name(suggestion, used, target)
    fixtures = _fixtures(target)
    driven = _harness_code(target)
    if driven and any("monkeypatch." in line for line in driven):
        fixtures = [*fixtures, "monkeypatch"] if "monkeypatch" not in fixtures else fixtures
    prefix = "async def" if target.is_async else "def"
    lines = []
    if target.is_async:
        lines.append("@pytest.mark.anyio  # or pytest.mark.asyncio: the runner your suite uses")
    lines.append(f"{prefix} {name}({', '.join(fixtures)}):")
    lines.append(f'    """{_one_line(suggestion.text)}"""')
    lines.append("    # Arrange")
    for fake in target.isolation if first else ():
        how = _one_line(fake.how)
        where = f" ({_one_line(fake.inject)})" if fake.inject else ""
        lines.append(f"    # fake {_one_line(fake.dependency)} with {fake.fake}{where}: {how}")
    required, optional = _parameters(target)
    mentioned = [p for p in optional if re.search(rf"\b{re.escape(p)}\b", suggestion.text)]
    for param in [*required, *mentioned]:
        lines.append(f"    {param} = {_PLACEHOLDER}  # TODO: a value for this case")
    call_args = ", ".join([*required, *(f"{p}={p}" for p in mentioned)])
    if _is_method(target) and target.name == "__init__":
        cls = target.qualname.split(".")[-2]
        attributes = _attributes(target) or ["attribute"]
        lines.append("    # Act and assert")
        lines.append(f"    obj = {cls}({call_args})")
        lines.append(f"    assert obj.{attributes[0]} == {_PLACEHOLDER}  # TODO: what it holds")
        return lines
    if _is_method(target):
        constructor = target.constructor or f"{target.qualname.split('.')[-2]}({_PLACEHOLDER})"
        inner = constructor.partition("(")[2].rpartition(")")[0]
        defined = {*required, *mentioned}
        for name in re.findall(r"(?<![=\w.])([A-Za-z_]\w*)(?=\s*(?:,|$))", inner):
            if name not in defined and name not in ("None", "True", "False"):
                defined.add(name)
                lines.append(f"    {name} = {_PLACEHOLDER}  # TODO: what {constructor} needs")
        lines.append(f"    obj = {constructor}  # TODO: build it for this case")
        callee = f"obj.{target.name}"
    elif target.enclosing:
        lines.append(
            f"    # {target.name} is defined inside {target.enclosing}: call that, with arguments "
            f"that lead to it"
        )
        callee, call_args = target.enclosing, _PLACEHOLDER
    else:
        callee = target.qualname
    awaited = "await " if target.is_async else ""
    call = f"{awaited}{callee}({call_args})"
    if driven:
        lines.append("    # Act and assert")
        raised = _raised(suggestion, target) or (
            "SystemExit"
            if target.harness and target.harness.kind == "main" and suggestion.kind == "raise"
            else ""
        )
        if raised:
            lines.append(f"    with pytest.raises({raised}):")
            lines += [f"        {line}" for line in driven]
        else:
            lines += [f"    {line}" for line in driven]
            lines.append(f"    {_harness_assert(target)}")
        return lines
    if target.harness is not None and target.harness.call and first:
        lines.append(
            f"    # reach it through {target.harness.framework}: {_one_line(target.harness.text)}"
        )
    lines.append("    # Act and assert")
    raised = _raised(suggestion, target)
    if raised:
        lines.append(f"    with pytest.raises({raised}):")
        lines.append(f"        {call}")
    else:
        lines.append(f"    result = {call}")
        expected = "" if target.wrapped or target.enclosing else _expected(suggestion)
        if expected:
            lines.append(f"    assert result == {expected}")
        else:
            lines.append(f"    assert result == {_PLACEHOLDER}  # TODO: the expected value")
    return lines


def _expected(suggestion: Suggestion) -> str:
    """The literal a "return" suggestion names ("returns `"A"` when …"), or ""."""
    if suggestion.kind != "return":
        return ""
    found = re.search(r"returns `(.+?)` when", suggestion.text)
    if found is None:
        return ""
    try:
        ast.literal_eval(found.group(1))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ""
    return found.group(1)


def _raised(suggestion: Suggestion, target: DraftTarget) -> str:
    if suggestion.kind != "raise":
        return ""
    for name in target.raises:
        if re.search(rf"`{re.escape(name)}[`(]", suggestion.text):
            return name
    return ""


#: Suggestions about a branch: done when no missing arc leaves their line.
_BRANCHING = frozenset({"branch", "loop", "case"})


def _done(suggestion: Suggestion, target: DraftTarget, covered: Covered) -> bool:
    lines, arcs = covered
    if suggestion.kind == "call":
        return bool(lines or arcs)
    if suggestion.kind in _BRANCHING:
        leaving = {arc for arc in target.missing_arcs if arc[0] == suggestion.line}
        return bool(leaving) and leaving <= arcs
    return suggestion.line in lines


#: What the kept tests cover of a target: (lines, arcs).
Covered = tuple[frozenset[int], frozenset[tuple[int, int]]]


def skeleton_module(
    targets: list[DraftTarget], covered: Mapping[str, Covered] | None = None
) -> str:
    """A starter test module for ``targets`` (of one source module), marked skipped.

    ``covered``: by target key, the lines and arcs kept tests already cover: suggestions about
    them are left out (and "call it" once a kept test calls it)."""
    covered = covered or {}
    names = ", ".join(f"`{t.qualname}`" for t in targets)
    module = targets[0].module if targets else ""
    out = [
        f'"""To finish: tests covgap drafted for {_one_line(module)} ({_one_line(names)}).',
        "",
        "Written from covgap's plan, not run: each test says what it must make happen. Fill in the",
        "values marked TODO and the expected results, then delete the skip mark below.",
        '"""',
        "",
        *_imports(targets),
        "",
        'pytestmark = pytest.mark.skip(reason="covgap draft skeleton: finish these tests first")',
    ]
    used: set[str] = set()
    for target in targets:
        done = covered.get(target.key)
        suggestions = [
            s
            for s in target.suggestions
            if s.kind not in ("unreachable", "run", "import")
            and not (done is not None and _done(s, target, done))
        ]
        if not suggestions and done is not None:
            continue
        if not suggestions:
            from covgap.model.advice import Suggestion

            suggestions = [Suggestion("call", target.start_line, f"call `{target.qualname}`", "")]
        for number, suggestion in enumerate(suggestions):
            out += ["", "", *_test(target, suggestion, used, first=number == 0)]
    return "\n".join(out) + "\n"
