"""The ``pynguin`` engine: Pynguin's search-based test generation, one run per module.

Opt-in. Pynguin pins its own pytest, black and friends, so it runs in a virtual environment of
its own, made once under ``EngineContext.cache_dir`` with an interpreter of a Python version it
supports (the project's own when it can). The project's dependencies are not installed there:
the project's import roots go on PYTHONPATH, and the project interpreter's site-packages go at
the end of sys.path (after Pynguin's own) when both are the same Python version. A module is
searched once, within the engine's time limit; each target keeps the tests that call it, without
Pynguin's asserts on module globals and its ``xfail`` tests (calls that raised an exception it did
not expect: they check nothing but the crash).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from covgap.draft.engines.base import EngineError, run_tool
from covgap.model.draft import Candidate

if TYPE_CHECKING:
    from covgap.draft.engines.base import Check, EngineContext
    from covgap.model.draft import DraftTarget

__all__ = ["PYNGUIN_VERSION", "PynguinEngine", "keep_tests"]

#: The release installed: its command-line options are the ones used below.
PYNGUIN_VERSION = "0.48.0"
#: The Python versions it runs on (its Requires-Python is >=3.10,<3.16; 3.15 is not out).
PYTHONS = ((3, 10), (3, 11), (3, 12), (3, 13), (3, 14))
_NEEDS = f"pynguin {PYNGUIN_VERSION} needs Python 3.10 to 3.14"
#: Seconds for making the environment and installing Pynguin into it.
SETUP_TIMEOUT = 900.0
_PROBE = (
    "import json, site, sys, sysconfig; print(json.dumps({'version': list(sys.version_info[:2]),"
    " 'executable': sys.executable, 'site': site.getsitepackages()"
    " + [sysconfig.get_paths()['purelib']]}))"
)
#: How Pynguin is started: the project interpreter's site-packages (a JSON list, argv[1]) go
#: after Pynguin's own on sys.path; its worker processes (spawned) inherit that sys.path.
_LAUNCH = (
    "import json, sys; extra = json.loads(sys.argv.pop(1)); "
    "sys.path.extend(p for p in extra if p not in sys.path); "
    "from pynguin.cli import main; sys.exit(main(sys.argv))"
)


@dataclass(frozen=True)
class Interpreter:
    executable: str
    version: tuple[int, int]
    site: tuple[str, ...] = ()

    @property
    def tag(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"


class PynguinEngine:
    """Pynguin's tests for a module, split by the function they call."""

    name = "pynguin"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        #: covgap's own environment (the sandbox's has no COVGAP_ variables).
        self._environ = os.environ if environ is None else environ
        self._probed: dict[str, Interpreter | None] = {}
        self._venv: Path | EngineError | None = None
        self._modules: dict[tuple[str, str], str | EngineError] = {}
        #: The modules searched, in order (one Pynguin run each).
        self.searched: list[str] = []

    # -- where it runs ---------------------------------------------------------------------

    def unavailable(self, context: EngineContext) -> str | None:
        found = self._interpreter(context)
        return found if isinstance(found, str) else None

    def _interpreter(self, context: EngineContext) -> Interpreter | str:
        """The interpreter to build Pynguin's environment with, or why there is none."""
        chosen = self._environ.get("COVGAP_PYNGUIN_PYTHON") or context.env.get(
            "COVGAP_PYNGUIN_PYTHON", ""
        )
        if chosen:
            if os.sep in chosen and not Path(chosen).exists():
                return f"COVGAP_PYNGUIN_PYTHON={chosen} does not exist ({_NEEDS})"
            found = self._probe(chosen)
            if found is None:
                return f"COVGAP_PYNGUIN_PYTHON={chosen} does not run ({_NEEDS})"
            if found.version not in PYTHONS:
                return f"COVGAP_PYNGUIN_PYTHON={chosen} is Python {found.tag}: {_NEEDS}"
            return found
        project = self._probe(context.python)
        if project is not None and project.version in PYTHONS:
            return project
        others = [found for found in map(self._probe, self._candidates()) if found is not None]
        usable = [found for found in others if found.version in PYTHONS]
        if not usable:
            return f"{_NEEDS}: none found on PATH or in pyenv (set COVGAP_PYNGUIN_PYTHON)"
        wanted = project.version[1] if project is not None else PYTHONS[-1][1]
        return min(usable, key=lambda f: (abs(f.version[1] - wanted), -f.version[1]))

    def _candidates(self) -> Iterator[str]:
        """Interpreters on PATH, then pyenv's, newest first."""
        path = self._environ.get("PATH", os.defpath)
        for minor in sorted((minor for _, minor in PYTHONS), reverse=True):
            found = shutil.which(f"python3.{minor}", path=path)
            if found:
                yield found
        root = Path(self._environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
        if root.is_dir():
            for version in sorted(root.iterdir(), key=_version_key, reverse=True):
                python = version / "bin" / "python3"
                if python.exists():
                    yield str(python)

    def _probe(self, python: str) -> Interpreter | None:
        if python not in self._probed:
            self._probed[python] = _probe(python, self._environ)
        return self._probed[python]

    def _environment(self, context: EngineContext) -> Path:
        """Pynguin's virtual environment's interpreter: made once, then reused."""
        if isinstance(self._venv, EngineError):
            raise self._venv
        if self._venv is None:
            try:
                self._venv = self._make_environment(context)
            except EngineError as error:
                self._venv = error
                raise
        return self._venv

    def _make_environment(self, context: EngineContext) -> Path:
        base = self._interpreter(context)
        if isinstance(base, str):
            raise EngineError(base)
        parent = context.cache_dir if context.cache_dir is not None else context.work_dir
        folder = parent / f"pynguin-{PYNGUIN_VERSION}-py{base.tag}"
        if _ready(folder):
            return _python_in(folder)
        parent.mkdir(parents=True, exist_ok=True)
        building = parent / f".{folder.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        env = {
            name: value
            for name, value in self._environ.items()
            if name not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE")
        }
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        what = f"making Pynguin's environment in {folder}"
        requirement = f"pynguin=={PYNGUIN_VERSION}"
        try:
            self._setup_step([base.executable, "-m", "venv", str(building)], context, env, what)
            self._setup_step(
                [str(_python_in(building)), "-m", "pip", "install", "--quiet", requirement],
                context,
                env,
                f"pip install {requirement} into {folder}",
            )
            (building / ".covgap-ready").write_text(f"pynguin {PYNGUIN_VERSION}\n")
            try:
                building.rename(folder)
            except OSError:
                if not _ready(folder):  # a broken one from an earlier try
                    shutil.rmtree(folder, ignore_errors=True)
                    building.rename(folder)
        finally:
            shutil.rmtree(building, ignore_errors=True)
        return _python_in(folder)

    @staticmethod
    def _setup_step(
        argv: list[str], context: EngineContext, env: Mapping[str, str], what: str
    ) -> None:
        done = run_tool(
            argv, context=context, env=env, timeout=SETUP_TIMEOUT, what=what, cwd=context.work_dir
        )
        if done.returncode != 0:
            raise EngineError(f"{what} failed: {_last_line(done.stderr + done.stdout)}")

    # -- the search ------------------------------------------------------------------------

    def candidates(
        self, target: DraftTarget, context: EngineContext, check: Check
    ) -> Iterator[Candidate]:
        if target.enclosing:  # a nested function: no test can call it by name
            return
        tests = self._module_tests(target, context)
        source = keep_tests(tests, target)
        if source is None:
            raise EngineError(
                f"pynguin: none of its tests for {target.module} calls {target.qualname}"
            )
        yield Candidate(engine=self.name, target=target.key, source=source)

    def _module_tests(self, target: DraftTarget, context: EngineContext) -> str:
        key = (target.import_root, target.module)
        if key not in self._modules:
            try:
                self._modules[key] = self._search(target, context)
            except EngineError as error:
                self._modules[key] = error
        found = self._modules[key]
        if isinstance(found, EngineError):
            raise found
        return found

    def _search(self, target: DraftTarget, context: EngineContext) -> str:
        python = self._environment(context)
        base = self._interpreter(context)
        project = self._probe(context.python)
        # The project's own packages, after Pynguin's: only for the same Python version (its
        # compiled extensions are built for it).
        extra: tuple[str, ...] = ()
        if (
            isinstance(base, Interpreter)
            and project is not None
            and project.version == base.version
        ):
            extra = project.site
        self.searched.append(target.module)
        output = context.work_dir / "pynguin" / f"{len(self.searched)}-{target.module}"
        output.mkdir(parents=True, exist_ok=True)
        limit = max(10.0, context.timeout)
        argv = [
            str(python),
            "-c",
            _LAUNCH,
            json.dumps(list(extra)),
            "--project-path",
            str((context.project_dir / target.import_root).resolve()),
            "--module-name",
            target.module,
            "--output-path",
            str(output),
            "--report-dir",
            str(output / "report"),
            "--statistics-backend",
            "NONE",
            "--maximum-search-time",
            str(max(1, int(limit * 0.4))),
            "--maximum-mutation-time",
            str(max(1, int(limit * 0.15))),
            "--seed",
            "20240601",
            "--no-rich",
        ]
        env = dict(context.env)
        env["PYTHONPATH"] = os.pathsep.join(context.sys_path)
        env["PYNGUIN_DANGER_AWARE"] = "1"  # for this process only: it runs the project's code
        what = f"pynguin on {target.module}"
        done = run_tool(argv, context=context, env=env, timeout=limit, what=what, cwd=output)
        written = sorted(output.glob("test_*.py"))
        if done.returncode != 0 or not written:
            why = _last_line(done.stderr + done.stdout) or f"exit code {done.returncode}"
            raise EngineError(f"{what} failed: {why}")
        return written[0].read_text(encoding="utf-8")


def _probe(python: str, environ: Mapping[str, str]) -> Interpreter | None:
    env = {name: value for name, value in environ.items() if not name.startswith("PYTHON")}
    try:
        done = subprocess.run(
            [python, "-I", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        data = json.loads(done.stdout)
        major, minor = data["version"]
        return Interpreter(str(data["executable"]), (int(major), int(minor)), tuple(data["site"]))
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, TypeError):
        return None


def _version_key(folder: Path) -> tuple[int, ...]:
    parts = []
    for part in folder.name.split("."):
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts)


def _python_in(venv: Path) -> Path:
    if sys.platform == "win32":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def _ready(folder: Path) -> bool:
    return (folder / ".covgap-ready").exists() and _python_in(folder).exists()


def _last_line(output: str) -> str:
    lines = [
        line.strip()
        for line in output.splitlines()
        if line.strip() and not line.startswith("WARNING: Location")
    ]
    return lines[-1][:300] if lines else ""


# -- what is kept of Pynguin's module ------------------------------------------------------


def keep_tests(source: str, target: DraftTarget) -> str | None:
    """Pynguin's test module for ``target``'s module, with only the tests that call ``target``
    (renamed ``test_<name>_<n>``), without asserts that only read module globals and bare
    constants; None when no test calls it.

    An ``xfail`` test of Pynguin's ends with the call that raised an exception it did not
    expect (its post-processing cuts the test there): that call and the mark are left out, and
    the statements before it, which passed, are kept."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    refs = _ModuleRefs(tree, target.module)
    tests = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    ]
    if not tests:
        return None
    first = min(_start(node) for node in tests)
    head = "".join(lines[: first - 1]).rstrip() + "\n"
    kept: list[str] = []
    prefix = "test_" + "_".join(part.strip("_") for part in target.qualname.split(".")).lower()
    for node in tests:
        body = node.body
        drop: set[int] = set()
        marks = _xfail(node)
        if marks:
            if len(body) < 2:
                continue
            spans: list[ast.expr | ast.stmt] = [*marks, body[-1]]
            for span in spans:
                drop.update(range(span.lineno, (span.end_lineno or 0) + 1))
            body = body[:-1]
        if not refs.calls(ast.Module(body=body, type_ignores=[]), target):
            continue
        drop |= _dropped(node, body, refs)
        renamed = f"def {prefix}_{len(kept)}("
        text = [
            line.replace(f"def {node.name}(", renamed, 1) if number == node.lineno else line
            for number, line in enumerate(lines[_start(node) - 1 : node.end_lineno], _start(node))
            if number not in drop
        ]
        kept.append("".join(text).rstrip() + "\n")
    if not kept:
        return None
    return head + "".join("\n\n" + test for test in kept)


def _start(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    return min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])


def _xfail(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    """Its ``pytest.mark.xfail`` decorators."""
    return [
        decorator
        for decorator in node.decorator_list
        if isinstance(
            called := decorator.func if isinstance(decorator, ast.Call) else decorator,
            ast.Attribute,
        )
        and called.attr == "xfail"
    ]


class _ModuleRefs:
    """How Pynguin's module names the module under test: ``module_0`` (``import m as
    module_0``), ``m_ = sys.modules["m"]``, the dotted name itself, or names imported from it."""

    def __init__(self, tree: ast.Module, module: str) -> None:
        self.module = module
        self.aliases: set[str] = set()
        self.imported: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == module and alias.asname:
                        self.aliases.add(alias.asname)
            elif isinstance(node, ast.ImportFrom) and node.module == module and not node.level:
                self.imported.update(alias.asname or alias.name for alias in node.names)
            elif (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Subscript)
                and ast.unparse(node.value.value) == "sys.modules"
                and isinstance(node.value.slice, ast.Constant)
                and node.value.slice.value == module
            ):
                self.aliases.add(node.targets[0].id)

    def is_module(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.aliases
        return isinstance(node, ast.Attribute) and ast.unparse(node) == self.module

    def reads_global(self, node: ast.AST) -> bool:
        """Whether ``node`` reads an attribute of the module, or a name imported from it."""
        for child in ast.walk(node):
            if isinstance(child, ast.Attribute) and self.is_module(child.value):
                return True
            if isinstance(child, ast.Name) and child.id in self.imported:
                return True
        return False

    def calls(self, test: ast.AST, target: DraftTarget) -> bool:
        """Whether the test calls ``target``: the function by name through the module, a
        method by name on anything (its class built or named in the test), a constructor by
        building its class."""
        parts = target.qualname.split(".")
        if len(parts) == 1:
            return any(self._names(call.func, parts[0]) for call in _calls(test))
        owner = parts[0]
        if not any(self._names(child, owner) for child in ast.walk(test)):
            return False
        if target.name == "__init__":
            return any(self._names(call.func, owner) for call in _calls(test))
        return any(
            isinstance(call.func, ast.Attribute) and call.func.attr == target.name
            for call in _calls(test)
        )

    def _names(self, node: ast.AST, name: str) -> bool:
        if isinstance(node, ast.Attribute):
            return node.attr == name and self.is_module(node.value)
        return isinstance(node, ast.Name) and node.id == name and name in self.imported


def _calls(node: ast.AST) -> Iterator[ast.Call]:
    return (child for child in ast.walk(node) if isinstance(child, ast.Call))


def _dropped(
    test: ast.FunctionDef | ast.AsyncFunctionDef, body: list[ast.stmt], refs: _ModuleRefs
) -> set[int]:
    """The line numbers of the statements to leave out: asserts on module globals (no local
    variable in them: nothing the test computed), and bare constants (``985``)."""
    local = {
        child.id
        for child in ast.walk(test)
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store)
    }
    drop: set[int] = set()

    def visit(body: list[ast.stmt]) -> None:
        kept = 0
        leaving: list[ast.stmt] = []
        for statement in body:
            names = {n.id for n in ast.walk(statement) if isinstance(n, ast.Name)}
            if (
                isinstance(statement, ast.Assert)
                and refs.reads_global(statement)
                and not names & local
            ) or (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)):
                leaving.append(statement)
            else:
                kept += 1
                for field in ("body", "orelse", "finalbody"):
                    inner = getattr(statement, field, None)
                    if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                        visit(inner)
        if kept:  # a block is never left empty
            for statement in leaving:
                drop.update(range(statement.lineno, (statement.end_lineno or 0) + 1))

    visit(body)
    return drop
