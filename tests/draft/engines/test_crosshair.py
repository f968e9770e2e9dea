"""The crosshair engine on a real project: crosshair cover runs, its module is cleaned, and the
tests it wrote run under pytest."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from covgap.draft.engines.base import EngineContext, EngineError, Feedback
from covgap.draft.engines.crosshair import CrossHairEngine
from covgap.draft.sandbox import sandbox_env
from covgap.model.draft import DraftTarget

pytest.importorskip("crosshair")

TEXT = '''\
"""Text helpers."""


def camelize(s: str, upper: bool = True) -> str:
    parts = s.split("_")
    head = parts[0]
    if upper:
        head = s[0].upper() + head[1:]
    return head + "".join(part.title() for part in parts[1:])


def grade(n: int) -> str:
    if n >= 90:
        return "A"
    elif n >= 75:
        return "B"
    elif n >= 50:
        return "C"
    return "F"


class Cart:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, item: str, qty: int = 1) -> int:
        if qty <= 0:
            raise ValueError("qty must be positive")
        self.items.extend([item] * qty)
        return len(self.items)


class Temperature:
    def __init__(self, celsius: int) -> None:
        self.celsius = celsius

    @classmethod
    def at(cls, celsius: int) -> "Temperature":
        return cls(celsius)

    @property
    def state(self) -> str:
        if self.celsius <= 0:
            return "ice"
        return "water"


async def fetch(n: int) -> int:
    return n


def outer(x: int) -> int:
    def inner(y: int) -> int:
        return y + 1

    return inner(x)
'''


def check(target: DraftTarget, source: str) -> Feedback:
    return Feedback(built=True, passed=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    package = tmp_path / "project" / "src" / "textutil"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "text.py").write_text(TEXT)
    (package / "broken.py").write_text(
        "import nosuchmodule\n\n\ndef f(x: int) -> int:\n    return x\n"
    )
    (package / "slow.py").write_text(
        "import time\n\ntime.sleep(30)\n\n\ndef f(x: int) -> int:\n    return x\n"
    )
    return tmp_path / "project"


def make_context(project: Path, python: str = sys.executable, timeout: float = 30) -> EngineContext:
    sys_path = (str(project / "src"),)
    return EngineContext(
        project_dir=project,
        python=python,
        sys_path=sys_path,
        work_dir=project.parent / "work",
        env=sandbox_env(os.environ, project.parent / "sandbox", sys_path),
        timeout=timeout,
        per_condition_timeout=1.5,
    )


def target(project: Path, qualname: str, module: str = "textutil.text") -> DraftTarget:
    path = project / "src" / Path(*module.split(".")).with_suffix(".py")
    source = path.read_text()
    name = qualname.rsplit(".", 1)[-1]
    lines = source.splitlines()
    start = next(
        number
        for number, line in enumerate(lines, 1)
        if line.lstrip().startswith((f"def {name}(", f"async def {name}("))
    )
    end = start
    indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
    while lines[start - 2].lstrip().startswith("@"):  # decorators are part of the source
        start -= 1
    while end < len(lines) and (
        not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
    ):
        end += 1
    return DraftTarget(
        path=path.relative_to(project).as_posix(),
        qualname=qualname,
        module=module,
        start_line=start,
        end_line=end,
        source=textwrap.dedent("\n".join(lines[start - 1 : end])) + "\n",
        is_async=lines[start - 1].lstrip().startswith("async "),
        import_root="src",
    )


def run_pytest(source: str, context: EngineContext, folder: Path) -> list[tuple[str, str]]:
    """Each test of the module run by a real pytest: (name, "passed" or the failure's type)."""
    folder.mkdir(parents=True)
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "test_candidate.py").write_text(source)
    report = folder / "report.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=folder,
        env=dict(context.env),
        capture_output=True,
        timeout=120,
        check=False,
    )
    results = []
    for case in ET.parse(report).getroot().iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        outcome = "passed" if failure is None else str(failure.get("message", "failed"))
        results.append((case.get("name", ""), outcome))
    return results


def test_a_function_with_branches_gets_tests_of_each_path(project: Path) -> None:
    context = make_context(project)
    goal = target(project, "grade")
    engine = CrossHairEngine()
    assert engine.unavailable(context) is None
    (candidate,) = engine.candidates(goal, context, check)
    assert candidate.engine == "crosshair"
    assert candidate.target == "src/textutil/text.py::grade"
    assert not candidate.probe
    compile(candidate.source, "test_candidate.py", "exec")
    assert "from textutil.text import grade\n" in candidate.source
    results = run_pytest(candidate.source, context, project.parent / "run")
    # one test per return: the if/elif chain's four paths
    assert len(results) >= 2, candidate.source
    assert all(outcome == "passed" for _, outcome in results), results
    assert any(name.startswith("test_grade_returns_") for name, _ in results), results


def test_a_raising_path_is_kept_as_a_pytest_raises_test(project: Path) -> None:
    context = make_context(project)
    (candidate,) = CrossHairEngine().candidates(target(project, "camelize"), context, check)
    compile(candidate.source, "test_candidate.py", "exec")
    assert "from textutil.text import camelize\n" in candidate.source
    assert "import pytest\n" in candidate.source
    assert "def test_camelize_raises_index_error():" in candidate.source
    assert "pytest.raises(IndexError" in candidate.source
    results = run_pytest(candidate.source, context, project.parent / "run")
    assert len(results) >= 2, candidate.source
    assert ("test_camelize_raises_index_error", "passed") in results
    # no line with a huge literal
    assert max(len(line) for line in candidate.source.splitlines()) <= 200


def test_a_method_is_called_on_its_object(project: Path) -> None:
    context = make_context(project)
    (candidate,) = CrossHairEngine().candidates(target(project, "Cart.add"), context, check)
    compile(candidate.source, "test_candidate.py", "exec")
    assert "from textutil.text import Cart\n" in candidate.source
    assert "Cart().add(" in candidate.source
    results = run_pytest(candidate.source, context, project.parent / "run")
    assert len(results) >= 2, candidate.source
    assert any("raises_value_error" in name for name, _ in results), results


@pytest.mark.parametrize(
    ("qualname", "call"), [("Temperature.at", "Temperature.at("), ("Temperature.state", ").state")]
)
def test_a_classmethod_and_a_property_are_called_as_written(
    project: Path, qualname: str, call: str
) -> None:
    context = make_context(project)
    (candidate,) = CrossHairEngine().candidates(target(project, qualname), context, check)
    assert call in candidate.source
    assert "Temperature.at(Temperature" not in candidate.source
    assert "Temperature.state(" not in candidate.source
    results = run_pytest(candidate.source, context, project.parent / "run")
    assert results, candidate.source
    assert all(outcome == "passed" for _, outcome in results), results


@pytest.mark.parametrize("qualname", ["fetch", "outer.<locals>.inner", "", "(module level)"])
def test_what_crosshair_cannot_do_is_skipped(project: Path, qualname: str) -> None:
    name = {"fetch": "fetch", "outer.<locals>.inner": "inner"}.get(qualname, "grade")
    goal = dataclasses.replace(target(project, name), qualname=qualname)
    assert list(CrossHairEngine().candidates(goal, make_context(project), check)) == []


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An interpreter without crosshair: a venv without pip."""
    folder = tmp_path_factory.mktemp("bare")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder / "venv")],
        check=True,
        capture_output=True,
    )
    bin_dir = "Scripts" if os.name == "nt" else "bin"
    return str(folder / "venv" / bin_dir / "python")


def test_unavailable_names_the_interpreter_without_crosshair(
    project: Path, bare_python: str
) -> None:
    context = make_context(project, python=bare_python)
    reason = CrossHairEngine(fallback=None).unavailable(context)
    assert reason == f"crosshair is not installed (pip install crosshair-tool into {bare_python})"
    assert "\n" not in reason


def test_covgaps_own_crosshair_is_used_when_the_project_has_none(
    project: Path, bare_python: str
) -> None:
    context = make_context(project, python=bare_python)
    engine = CrossHairEngine()
    assert engine.unavailable(context) is None
    (candidate,) = engine.candidates(target(project, "grade"), context, check)
    assert "def test_grade" in candidate.source


def test_a_module_that_does_not_import_is_one_line_naming_it(project: Path) -> None:
    goal = target(project, "f", module="textutil.broken")
    with pytest.raises(EngineError) as raised:
        CrossHairEngine().candidates(goal, make_context(project), check)
    message = str(raised.value)
    assert message == (
        "crosshair cover textutil.broken.f: ModuleNotFoundError: No module named 'nosuchmodule'"
    )


def test_a_run_past_the_time_limit_is_stopped(project: Path) -> None:
    goal = target(project, "f", module="textutil.slow")
    with pytest.raises(EngineError, match="did not finish in 3 s"):
        CrossHairEngine().candidates(goal, make_context(project, timeout=3), check)
