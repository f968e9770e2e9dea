"""The ``pynguin`` engine: real Pynguin, in a real virtual environment, on a tiny module.

Pynguin's environment is made once and kept between runs in ``$COVGAP_TEST_CACHE`` (else
``~/.cache/covgap-tests``), outside the repository: the first run installs Pynguin. The tests
that need it are skipped only when no interpreter Pynguin supports is found.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from covgap.draft.engines.base import EngineContext, EngineError, Feedback
from covgap.draft.engines.pynguin import PynguinEngine, keep_tests
from covgap.draft.sandbox import sandbox_env
from covgap.model.draft import DraftTarget

SHAPES = '''\
"""Shapes: a tiny module with branches, module globals and a class."""

LIMIT = 10
NAMES = ["a", "b"]


def classify(n: int) -> str:
    if n < 0:
        return "negative"
    if n == 0:
        return "zero"
    if n > LIMIT:
        return "big"
    return "small"


class Box:
    def __init__(self, size: int) -> None:
        self.size = size

    def grow(self, by: int) -> int:
        if by < 0:
            raise ValueError("negative")
        self.size += by
        return self.size
'''


def cache_dir() -> Path:
    return Path(os.environ.get("COVGAP_TEST_CACHE") or Path.home() / ".cache" / "covgap-tests")


def target(qualname: str, module: str = "pkg.shapes") -> DraftTarget:
    return DraftTarget(
        path=module.replace(".", "/") + ".py",
        qualname=qualname,
        module=module,
        start_line=1,
        end_line=len(SHAPES.splitlines()),
        source=SHAPES,
    )


def context_for(project: Path, tmp_path: Path) -> EngineContext:
    sys_path = (str(project),)
    work = tmp_path / "work"
    work.mkdir()
    return EngineContext(
        project_dir=project,
        python=sys.executable,
        sys_path=sys_path,
        work_dir=work,
        env=sandbox_env(os.environ, tmp_path / "sandbox", sys_path),
        timeout=60.0,
        cache_dir=cache_dir(),
    )


def no_check(target: DraftTarget, source: str) -> Feedback:
    raise AssertionError("the pynguin engine does not try its candidates")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    package = tmp_path / "project" / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "shapes.py").write_text(SHAPES)
    (package / "needs.py").write_text(
        "import not_installed_anywhere\n\n\ndef f(x):\n    return x\n"
    )
    # radon is in the project's interpreter (covgap's), not in Pynguin's environment
    (package / "uses.py").write_text(
        "import radon\n\n\ndef twice(x: int) -> int:\n    if x > 3:\n        return 2 * x\n"
        "    return x\n"
    )
    return tmp_path / "project"


@pytest.fixture
def engine(project: Path, tmp_path: Path) -> Iterator[tuple[PynguinEngine, EngineContext]]:
    engine = PynguinEngine()
    context = context_for(project, tmp_path)
    reason = engine.unavailable(context)
    if reason is not None:
        pytest.skip(reason)
    yield engine, context


def local_names(test: ast.FunctionDef) -> set[str]:
    return {
        node.id
        for node in ast.walk(test)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }


def test_pynguin_tests_for_two_functions_of_one_module(
    engine: tuple[PynguinEngine, EngineContext], project: Path, tmp_path: Path
) -> None:
    pynguin, context = engine
    for qualname, called in (("classify", "classify"), ("Box.grow", "grow")):
        (candidate,) = pynguin.candidates(target(qualname), context, no_check)
        assert candidate.engine == "pynguin"
        assert candidate.target == f"pkg/shapes.py::{qualname}"
        tree = ast.parse(candidate.source)  # it compiles
        compile(tree, "candidate", "exec")
        tests = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
        assert tests
        prefix = "test_" + qualname.replace(".", "_").lower()  # test_box_grow
        for test in tests:
            assert test.name.startswith(prefix + "_")
            assert not test.decorator_list  # xfail tests are left out
            calls = [node for node in ast.walk(test) if isinstance(node, ast.Call)]
            names = {ast.unparse(call.func).rsplit(".", 1)[-1] for call in calls}
            assert called in names, ast.unparse(test)
            locals_ = local_names(test)
            for check in (node for node in ast.walk(test) if isinstance(node, ast.Assert)):
                read = {n.id for n in ast.walk(check) if isinstance(n, ast.Name)}
                assert read & locals_, f"an assert on module globals: {ast.unparse(check)}"
        assert "LIMIT" not in candidate.source
        assert "NAMES" not in candidate.source
        # and its tests pass in the project's own interpreter
        path = tmp_path / f"test_candidate_{called}.py"
        path.write_text(candidate.source)
        env = {**context.env, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stdout + run.stderr
    assert pynguin.searched == ["pkg.shapes"]  # one search for the module's two targets


def test_a_module_that_does_not_import(engine: tuple[PynguinEngine, EngineContext]) -> None:
    pynguin, context = engine
    for _ in range(2):
        with pytest.raises(EngineError) as raised:
            list(pynguin.candidates(target("f", "pkg.needs"), context, no_check))
        message = str(raised.value)
        assert message.startswith("pynguin on pkg.needs failed: ")
        assert "ModuleNotFoundError" in message
        assert "\n" not in message
    assert pynguin.searched == ["pkg.needs"]  # the failure is remembered, not searched again


def test_the_projects_packages_come_after_pynguins(
    engine: tuple[PynguinEngine, EngineContext],
) -> None:
    pynguin, context = engine
    (candidate,) = pynguin.candidates(target("twice", "pkg.uses"), context, no_check)
    assert "uses_.twice(" in candidate.source or "module_0.twice(" in candidate.source


def test_unavailable_with_a_missing_interpreter(
    monkeypatch: pytest.MonkeyPatch, project: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv("COVGAP_PYNGUIN_PYTHON", str(tmp_path / "no" / "python3.10"))
    reason = PynguinEngine().unavailable(context_for(project, tmp_path))
    assert reason == (
        f"COVGAP_PYNGUIN_PYTHON={tmp_path / 'no' / 'python3.10'} does not exist "
        "(pynguin 0.48.0 needs Python 3.10 to 3.14)"
    )


def test_unavailable_without_any_interpreter(project: Path, tmp_path: Path) -> None:
    environ = {"PATH": str(tmp_path / "empty"), "PYENV_ROOT": str(tmp_path / "nopyenv")}
    context = context_for(project, tmp_path)
    context = replace(context, python=str(tmp_path / "nopython"))
    assert PynguinEngine(environ).unavailable(context) == (
        "pynguin 0.48.0 needs Python 3.10 to 3.14: none found on PATH or in pyenv "
        "(set COVGAP_PYNGUIN_PYTHON)"
    )


MODULE_0 = """\
# Test cases automatically generated by Pynguin (https://www.pynguin.eu).
import pytest
import shop.text as module_0


def test_case_0():
    str_0 = "ab_cd"
    str_1 = module_0.camelize(str_0)
    assert str_1 == "AbCd"
    assert module_0.SEPARATOR == "_"
    assert f"{type(module_0.cache).__module__}.{type(module_0.cache).__qualname__}" == "dict"
    assert len(module_0.cache) == 1


def test_case_1():
    str_0 = "x"
    bool_0 = module_0.is_upper(str_0)
    assert bool_0 is False


@pytest.mark.xfail(strict=True)
def test_case_2():
    none_type_0 = None
    module_0.camelize(none_type_0)


def test_case_3():
    str_0 = "é"
    with pytest.raises(ValueError):
        module_0.camelize(str_0)
"""


def test_keep_tests_in_pynguins_module_0_style() -> None:
    kept = keep_tests(MODULE_0, target("camelize", "shop.text"))
    assert kept == (
        "# Test cases automatically generated by Pynguin (https://www.pynguin.eu).\n"
        "import pytest\n"
        "import shop.text as module_0\n"
        "\n\n"
        "def test_camelize_0():\n"
        '    str_0 = "ab_cd"\n'
        "    str_1 = module_0.camelize(str_0)\n"
        '    assert str_1 == "AbCd"\n'
        "\n\n"
        "def test_camelize_1():\n"
        '    str_0 = "é"\n'
        "    with pytest.raises(ValueError):\n"
        "        module_0.camelize(str_0)\n"
    )
    assert keep_tests(MODULE_0, target("titleize", "shop.text")) is None


def test_keep_tests_for_a_method_and_a_constructor() -> None:
    source = (
        "import pkg.shapes\nimport sys\nshapes_ = sys.modules['pkg.shapes']\n\n\n"
        "def test_0():\n    box_0 = shapes_.Box(size=1)\n    box_0.grow(by=2)\n"
        "    assert box_0.size == 3\n    assert shapes_.LIMIT == 10\n    985\n\n\n"
        "def test_1():\n    int_0 = shapes_.classify(n=1)\n    assert int_0 == 'small'\n"
    )
    grow = keep_tests(source, target("Box.grow"))
    assert grow is not None
    assert "def test_box_grow_0():" in grow
    assert "assert box_0.size == 3" in grow
    assert "LIMIT" not in grow
    assert "985" not in grow
    assert "classify" not in grow
    init = keep_tests(source, target("Box.__init__"))
    assert init is not None
    assert "def test_box_init_0():" in init


def test_an_xfail_test_keeps_what_passed_before_its_crash() -> None:
    source = (
        "import pytest\nimport pkg.shapes as module_0\n\n\n"
        "@pytest.mark.xfail(strict=True)\n"
        "def test_case_0():\n"
        "    int_0 = module_0.classify(n=11)\n"
        "    assert int_0 == 'big'\n"
        "    module_0.classify(n='E)5')\n"
    )
    assert keep_tests(source, target("classify")) == (
        "import pytest\nimport pkg.shapes as module_0\n\n\n"
        "def test_classify_0():\n"
        "    int_0 = module_0.classify(n=11)\n"
        "    assert int_0 == 'big'\n"
    )
    # when its only call of the target is the one that crashed, nothing is left of it
    only = source.replace("    int_0 = module_0.classify(n=11)\n    assert int_0 == 'big'\n", "")
    assert (
        keep_tests(only.replace("    module_0", "    x = 1\n    module_0"), target("classify"))
        is None
    )
