"""The hypothesis engine on a real project: the ghostwriter's fuzz test, made to run, fails the
same way in every run on a function that crashes."""

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
from covgap.draft.engines.hypothesis import HypothesisEngine, strategy_for
from covgap.draft.sandbox import sandbox_env
from covgap.model.draft import DraftTarget

pytest.importorskip("hypothesis.extra.ghostwriter")
pytest.importorskip("black")

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
    return "F"


def repeat(word, n):
    if n < 0:
        raise ValueError("n must not be negative")
    return word * n


def mystery(blob):
    return blob


class Cart:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, item: str, qty: int = 1) -> int:
        self.items.extend([item] * qty)
        return len(self.items) // qty


async def fetch(n: int) -> int:
    return n
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


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The engines' cache: Hypothesis' table of Unicode characters, built once here (seconds)."""
    return tmp_path_factory.mktemp("cache")


def make_context(
    project: Path, cache: Path, python: str = sys.executable, timeout: float = 30
) -> EngineContext:
    sys_path = (str(project / "src"),)
    return EngineContext(
        project_dir=project,
        python=python,
        sys_path=sys_path,
        work_dir=project.parent / "work",
        env=sandbox_env(os.environ, project.parent / "sandbox", sys_path),
        timeout=timeout,
        cache_dir=cache,
    )


def target(project: Path, qualname: str, module: str = "textutil.text") -> DraftTarget:
    path = project / "src" / Path(*module.split(".")).with_suffix(".py")
    lines = path.read_text().splitlines()
    name = qualname.rsplit(".", 1)[-1]
    start = next(
        number
        for number, line in enumerate(lines, 1)
        if line.lstrip().startswith((f"def {name}(", f"async def {name}("))
    )
    end = start
    indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
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
    """Each test of the module run by a real pytest: (name, "passed" or the failure's message)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "test_candidate.py").write_text(source)
    report = folder / "report.xml"
    report.unlink(missing_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=folder,
        env={
            **context.env,
            "HYPOTHESIS_STORAGE_DIRECTORY": str(Path(context.cache_dir or folder) / "hypothesis"),
        },
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


def test_a_crash_fails_the_probe_the_same_way_in_every_run(project: Path, cache: Path) -> None:
    context = make_context(project, cache)
    engine = HypothesisEngine()
    assert engine.unavailable(context) is None
    (candidate,) = engine.candidates(target(project, "camelize"), context, check)
    assert candidate.engine == "hypothesis"
    assert candidate.target == "src/textutil/text.py::camelize"
    assert candidate.probe
    compile(candidate.source, "test_candidate.py", "exec")
    assert "from textutil.text import camelize\n" in candidate.source
    assert "derandomize=True" in candidate.source
    assert "max_examples=50" in candidate.source
    assert "deadline=None" in candidate.source
    runs = [run_pytest(candidate.source, context, project.parent / "run") for _ in range(3)]
    for results in runs:
        ((name, outcome),) = results
        assert name == "test_fuzz_camelize"
        assert outcome.startswith("IndexError: string index out of range"), outcome
    assert runs[0] == runs[1] == runs[2]


def test_a_function_that_does_not_crash_passes_its_probe(project: Path, cache: Path) -> None:
    context = make_context(project, cache)
    (candidate,) = HypothesisEngine().candidates(target(project, "grade"), context, check)
    assert run_pytest(candidate.source, context, project.parent / "run") == [
        ("test_fuzz_grade", "passed")
    ]


def test_parameters_without_hints_get_a_strategy_from_their_names(
    project: Path, cache: Path
) -> None:
    context = make_context(project, cache)
    (candidate,) = HypothesisEngine().candidates(target(project, "repeat"), context, check)
    assert "st.nothing()" not in candidate.source
    assert "n=st.integers()" in candidate.source
    ((_, outcome),) = run_pytest(candidate.source, context, project.parent / "run")
    assert outcome.startswith("ValueError: n must not be negative"), outcome


def test_a_parameter_nothing_is_known_of_skips_the_target(project: Path, cache: Path) -> None:
    context = make_context(project, cache)
    assert list(HypothesisEngine().candidates(target(project, "mystery"), context, check)) == []


def test_strategies_by_default_and_name() -> None:
    assert strategy_for("count", None) == "st.integers()"
    assert strategy_for("text", None) == "st.text()"
    assert strategy_for("anything", "float") == "st.floats(allow_nan=False)"
    assert strategy_for("blob", None) is None


def test_a_method_gets_its_object_built(project: Path, cache: Path) -> None:
    context = make_context(project, cache)
    (candidate,) = HypothesisEngine().candidates(target(project, "Cart.add"), context, check)
    assert "self=st.builds(Cart)" in candidate.source
    ((_, outcome),) = run_pytest(candidate.source, context, project.parent / "run")
    assert outcome.startswith("ZeroDivisionError"), outcome


@pytest.mark.parametrize("qualname", ["fetch", "outer.<locals>.inner", "", "(module level)"])
def test_what_the_ghostwriter_cannot_do_is_skipped(
    project: Path, cache: Path, qualname: str
) -> None:
    source = target(project, "fetch" if qualname == "fetch" else "grade")
    goal = dataclasses.replace(source, qualname=qualname)
    assert list(HypothesisEngine().candidates(goal, make_context(project, cache), check)) == []


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An interpreter without hypothesis: a venv without pip."""
    folder = tmp_path_factory.mktemp("bare")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder / "venv")],
        check=True,
        capture_output=True,
    )
    return str(folder / "venv" / ("Scripts" if os.name == "nt" else "bin") / "python")


def test_unavailable_names_the_interpreter_without_hypothesis(
    project: Path, cache: Path, bare_python: str
) -> None:
    context = make_context(project, cache, python=bare_python)
    reason = HypothesisEngine(fallback=None).unavailable(context)
    assert reason is not None
    assert "\n" not in reason
    assert bare_python in reason
    assert "hypothesis[ghostwriter]" in reason
    # covgap's own hypothesis is used when the project has none
    engine = HypothesisEngine()
    assert engine.unavailable(context) is None
    (candidate,) = engine.candidates(target(project, "grade"), context, check)
    assert "def test_fuzz_grade" in candidate.source


def test_a_module_that_does_not_import_is_one_line_naming_it(project: Path, cache: Path) -> None:
    goal = target(project, "f", module="textutil.broken")
    with pytest.raises(EngineError) as raised:
        HypothesisEngine().candidates(goal, make_context(project, cache), check)
    assert str(raised.value) == (
        "hypothesis ghostwriter textutil.broken.f:"
        " ModuleNotFoundError: No module named 'nosuchmodule'"
    )


def test_a_run_past_the_time_limit_is_stopped(project: Path, cache: Path) -> None:
    goal = target(project, "f", module="textutil.slow")
    with pytest.raises(EngineError, match="did not finish in 3 s"):
        HypothesisEngine().candidates(goal, make_context(project, cache, timeout=3), check)
