"""The ``llm`` engine against a local server that replays recorded chat-model answers.

The model itself is outside this machine: ``replay_server.py`` (``http.server`` on 127.0.0.1)
stands in for the OpenAI-compatible endpoint, and is the only stand-in here. Every candidate is
tried by a real check: the module is written to a temporary folder and run by pytest in a
subprocess, under coverage.py for the lines of the target still missing.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from replay_server import CLOSE, Slow, Status, replay_server

from covgap.draft.engines.base import EngineContext, EngineError, Feedback, LlmSettings
from covgap.draft.engines.llm import LlmEngine, build_prompt, extract_code, llm_settings_from
from covgap.errors import ConfigError
from covgap.model.advice import Isolation, Suggestion
from covgap.model.draft import Candidate, DraftTarget

KEY = "sk-test-0123456789abcdef"

PRICES = '''\
"""Prices."""


def discount(total: float, code: str) -> float:
    if total < 0:
        raise ValueError("a total cannot be negative")
    if code == "HALF":
        return total / 2
    if code == "TENOFF" and total >= 10:
        return total - 10
    return total
'''

GOOD = """\
Here are the tests.

```python
import pytest

from shop.prices import discount


def test_discount_negative_total():
    with pytest.raises(ValueError):
        discount(-1, "HALF")


def test_discount_half():
    assert discount(20, "HALF") == 10


def test_discount_ten_off():
    assert discount(25, "TENOFF") == 15


def test_discount_no_code():
    assert discount(5, "") == 5
```
"""

WRONG = """\
```python
from shop.prices import discount


def test_discount_half():
    assert discount(20, "HALF") == 11
```
"""

PARTIAL = """\
```python
from shop.prices import discount


def test_discount_half():
    assert discount(20, "HALF") == 10
```
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    package = tmp_path / "project" / "src" / "shop"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "prices.py").write_text(PRICES)
    return tmp_path / "project"


def make_target() -> DraftTarget:
    lines = PRICES.splitlines(keepends=True)
    return DraftTarget(
        path="src/shop/prices.py",
        qualname="discount",
        module="shop.prices",
        start_line=4,
        end_line=11,
        source="".join(lines[3:11]),
        missing_lines=(6, 8, 10),
        missing_arcs=((5, 6), (7, 8), (9, 10)),
        suggestions=(
            Suggestion(
                "raise",
                6,
                "make `total < 0` true and expect ValueError",
                "test_discount_negative_total",
            ),
            Suggestion("branch", 8, 'make `code == "HALF"` true', "test_discount_half"),
        ),
        isolation=(Isolation("time and dates", ("time.time",), "monkeypatch", "patch time.time"),),
        test_file="tests/test_prices.py",
        test_file_exists=True,
        test_imports=("import pytest", "from shop import prices"),
        fixtures=("cart", "tmp_store"),
        import_root="src",
    )


class RealCheck:
    """``Check``: the candidate alone in a temporary folder, run by pytest under coverage.py;
    the target's lines and arcs still missing come from coverage's JSON report."""

    def __init__(self, project: Path, scratch: Path) -> None:
        self.project = project
        self.scratch = scratch
        self.feedback: list[Feedback] = []

    def __call__(self, target: DraftTarget, source: str) -> Feedback:
        folder = self.scratch / f"try{len(self.feedback) + 1}"
        folder.mkdir(parents=True)
        (folder / "test_candidate.py").write_text(source)
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("PYTEST_", "COVERAGE_", "COV_CORE"))
        }
        env.update(
            PYTHONPATH=str(self.project / target.import_root),
            PYTHONDONTWRITEBYTECODE="1",
            PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        )
        module = str(self.project / target.path)
        coverage = [sys.executable, "-m", "coverage", "run", "--branch", f"--include={module}"]
        pytest_args = ["-m", "pytest", "-q", "--tb=short", "-p", "no:cacheprovider"]
        run = subprocess.run(
            [*coverage, *pytest_args, "test_candidate.py"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        output = run.stdout + run.stderr
        built = run.returncode in (0, 1)
        passed = run.returncode == 0
        error = "" if passed else self._error(output)
        lines: tuple[int, ...] = ()
        arcs: tuple[tuple[int, int], ...] = ()
        if passed:
            subprocess.run(
                [sys.executable, "-m", "coverage", "json", "-q", "-o", "cov.json"],
                cwd=folder,
                env=env,
                check=True,
            )
            files = json.loads((folder / "cov.json").read_text())["files"]
            data = next(iter(files.values()))
            inside = range(target.start_line, target.end_line + 1)
            lines = tuple(n for n in data["missing_lines"] if n in inside)
            arcs = tuple((a, b) for a, b in data["missing_branches"] if a in inside)
        result = Feedback(built, passed, error, lines, arcs)
        self.feedback.append(result)
        return result

    @staticmethod
    def _error(output: str) -> str:
        raised = [line for line in output.splitlines() if line.startswith("E ")]
        return "\n".join(raised[:8]) or output[-1500:]


def context_for(project: Path, tmp_path: Path, **llm: object) -> EngineContext:
    options: dict[str, object] = {"model": "replayed", "api_key": KEY, "timeout": 10.0, **llm}
    settings = LlmSettings(**options)  # type: ignore[arg-type]
    return EngineContext(
        project_dir=project,
        python=sys.executable,
        sys_path=(str(project / "src"),),
        work_dir=tmp_path / "work",
        env=dict(os.environ),
        llm=settings,
    )


def run_engine(
    answers: list[object], project: Path, tmp_path: Path, **llm: object
) -> tuple[list[Candidate], RealCheck, list[object]]:
    check = RealCheck(project, tmp_path / "checks")
    with replay_server(answers) as server:
        context = context_for(project, tmp_path, base_url=server.base_url, **llm)
        candidates = list(LlmEngine().candidates(make_target(), context, check))
    return candidates, check, list(server.requests)


def test_first_prompt_carries_covgaps_facts(project: Path, tmp_path: Path) -> None:
    candidates, check, requests = run_engine([GOOD], project, tmp_path)
    assert len(requests) == 1
    request = requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "replayed"
    assert request.body["temperature"] == 0.2
    prompt = request.last_user_message
    assert "missing lines: 6, 8, 10" in prompt
    assert "5 → 6, 7 → 8, 9 → 10" in prompt
    assert "make `total < 0` true and expect ValueError" in prompt
    assert 'make `code == "HALF"` true' in prompt
    assert "import pytest\nfrom shop import prices" in prompt
    assert "cart, tmp_store" in prompt
    assert "from shop.prices import discount" in prompt
    assert "use monkeypatch; patch time.time" in prompt
    assert ">  6          raise ValueError" in prompt
    assert "test_discount_<what>" in prompt
    assert "```python" in prompt
    # the good answer passes and leaves nothing missing: one attempt is enough
    assert check.feedback == [Feedback(True, True, "", (), ())]
    assert candidates == [
        Candidate("llm", "src/shop/prices.py::discount", extract_code(GOOD) or "", attempt=1)
    ]


def test_a_failing_answer_goes_back_with_its_error(project: Path, tmp_path: Path) -> None:
    candidates, check, requests = run_engine([WRONG, GOOD], project, tmp_path)
    first = check.feedback[0]
    assert first.built
    assert not first.passed
    assert "AssertionError" in first.error
    assert len(requests) == 2
    follow_up = requests[1].last_user_message
    assert first.error.strip() in follow_up
    assert "Some of those tests failed" in follow_up
    # the conversation is kept: the first prompt and the model's wrong answer come along
    messages = requests[1].body["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["content"] == WRONG
    assert [c.attempt for c in candidates] == [1, 2]
    assert check.feedback[1].passed


def test_lines_still_missing_are_named_in_the_next_prompt(project: Path, tmp_path: Path) -> None:
    candidates, check, requests = run_engine([PARTIAL, GOOD, GOOD], project, tmp_path)
    first = check.feedback[0]
    assert first.passed
    assert first.missing_lines == (6, 9, 10, 11)
    assert len(requests) == 2  # the second answer leaves nothing missing: no third prompt
    follow_up = requests[1].last_user_message
    assert "still do not run: lines 6, 9-11" in follow_up
    assert "branches 5 → 6" in follow_up
    assert len(candidates) == 2


def test_attempts_are_bounded(project: Path, tmp_path: Path) -> None:
    candidates, check, requests = run_engine([WRONG] * 5, project, tmp_path, attempts=3)
    assert len(requests) == 3
    assert [c.attempt for c in candidates] == [1, 2, 3]
    assert not any(f.passed for f in check.feedback)


def test_the_key_goes_in_the_header_and_never_in_an_error(project: Path, tmp_path: Path) -> None:
    echo = Status(401, json.dumps({"error": f"invalid api key {KEY}"}))
    with pytest.raises(EngineError) as raised:
        run_engine([echo], project, tmp_path)
    message = str(raised.value)
    assert "HTTP 401" in message
    assert KEY not in message
    assert "***" in message
    assert "\n" not in message


def test_the_authorization_header(project: Path, tmp_path: Path) -> None:
    _, _, requests = run_engine([GOOD], project, tmp_path)
    assert requests[0].headers["Authorization"] == f"Bearer {KEY}"
    _, _, requests = run_engine([GOOD], project, tmp_path / "nokey", api_key="")
    assert "Authorization" not in requests[0].headers


def fails_with(answer: object, project: Path, tmp_path: Path, **llm: object) -> str:
    check = RealCheck(project, tmp_path / "checks")
    with replay_server([answer]) as server, pytest.raises(EngineError) as raised:
        context = context_for(project, tmp_path, base_url=server.base_url, **llm)
        list(LlmEngine().candidates(make_target(), context, check))
    assert not check.feedback
    message = str(raised.value)
    assert "\n" not in message
    assert KEY not in message
    assert message.startswith(f"llm: http://127.0.0.1:{server.port}/v1/chat/completions: ")
    return message


def test_a_server_error_is_one_line(project: Path, tmp_path: Path) -> None:
    message = fails_with(Status(500, "upstream\nexploded"), project, tmp_path)
    assert message.endswith(": HTTP 500 Internal Server Error: upstream exploded")


def test_a_closed_connection_is_one_line(project: Path, tmp_path: Path) -> None:
    message = fails_with(CLOSE, project, tmp_path)
    assert message.endswith("the server closed the connection without an answer")


def test_a_slow_server_times_out(project: Path, tmp_path: Path) -> None:
    message = fails_with(Slow(30, GOOD), project, tmp_path, timeout=0.5)
    assert message.endswith("timed out after 0.5 s")


def test_an_answer_without_code(project: Path, tmp_path: Path) -> None:
    message = fails_with("I cannot write tests for this.", project, tmp_path)
    assert message.endswith("the answer to prompt 1 for discount has no ```python block")


def test_a_refused_connection(project: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    context = context_for(project, tmp_path, base_url=f"http://127.0.0.1:{port}/v1")
    check = RealCheck(project, tmp_path / "checks")
    with pytest.raises(EngineError, match=r"^llm: http://127\.0\.0\.1:\d+/v1/chat/completions: "):
        list(LlmEngine().candidates(make_target(), context, check))


def test_the_first_prompt_alone() -> None:
    prompt = build_prompt(make_target())
    assert prompt.startswith("Write pytest tests for the function `discount` of module")
    assert "(file src/shop/prices.py, lines 4-11)" in prompt
    assert "tests/test_prices.py (it exists)" in prompt


def test_extract_code() -> None:
    assert extract_code("text\n```py\nx = 1\n```\n```python\ny = 2\n```") == "x = 1\n"
    assert extract_code("```\nassert True\n```") == "assert True\n"
    assert extract_code("def test_x():\n    assert 1\n") == "def test_x():\n    assert 1\n"
    assert extract_code("Sorry, no.") is None
    assert extract_code("```\nnot python at all\n```") is None


def test_settings_from_the_environment() -> None:
    base = LlmSettings(base_url="http://a/v1", model="m", attempts=3)
    assert llm_settings_from({}, base) == base
    env = {
        "COVGAP_LLM_BASE_URL": "http://b/v1",
        "COVGAP_LLM_MODEL": "n",
        "OPENAI_API_KEY": "openai",
        "COVGAP_LLM_ATTEMPTS": "5",
        "COVGAP_LLM_TIMEOUT": "30",
    }
    settings = llm_settings_from(env, base)
    assert settings == LlmSettings("http://b/v1", "n", "openai", 5, 30.0)
    assert llm_settings_from({**env, "COVGAP_LLM_API_KEY": "own"}, base).api_key == "own"
    assert llm_settings_from({"COVGAP_LLM_MODEL": ""}, base).model == "m"
    with pytest.raises(ConfigError, match="COVGAP_LLM_ATTEMPTS must be a whole number"):
        llm_settings_from({"COVGAP_LLM_ATTEMPTS": "many"}, base)


def test_unavailable_without_a_url_or_a_model(tmp_path: Path) -> None:
    engine = LlmEngine()
    context = context_for(tmp_path, tmp_path, base_url="")
    assert engine.unavailable(context) == (
        "the llm engine needs a base URL and a model: set COVGAP_LLM_BASE_URL and "
        "COVGAP_LLM_MODEL, or llm-base-url and llm-model in [tool.covgap]"
    )
    assert engine.unavailable(context_for(tmp_path, tmp_path, base_url="http://x/v1")) is None
    assert "must start with http://" in (
        engine.unavailable(context_for(tmp_path, tmp_path, base_url="ftp://x")) or ""
    )
