"""The ``llm`` engine: a chat model writes a test module from covgap's facts, and tries again.

Opt-in. It sends the target function's source (and its module's import line, the suite's test
imports, fixture names and covgap's advice) to an OpenAI-compatible chat endpoint the user
chose, with ``POST {base_url}/chat/completions``. The loop is CoverUp's (Pizzorno and Berger,
2024): a prompt with the lines and branches still missing; the answer's module is tried
(``check``); a failure or lines still missing go back to the model in the same conversation,
until every line runs or ``LlmSettings.attempts`` prompts were made. Standard library only.
"""

from __future__ import annotations

import ast
import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NoReturn

from covgap.draft.engines.base import EngineError, LlmSettings
from covgap.errors import ConfigError
from covgap.model.draft import Candidate

if TYPE_CHECKING:
    from covgap.draft.engines.base import Check, EngineContext, Feedback
    from covgap.model.draft import DraftTarget

__all__ = ["LlmEngine", "build_prompt", "extract_code", "llm_settings_from"]

#: What the model is, for every prompt of the conversation.
SYSTEM = (
    "You write pytest tests for Python code. You are given one function of a project and the "
    "lines and branches of it that its test suite does not run yet. You answer with exactly "
    "one complete pytest module, in a single ```python block, and nothing that needs a "
    "network, a clock, randomness or files outside pytest's tmp_path."
)


def llm_settings_from(env: Mapping[str, str], base: LlmSettings) -> LlmSettings:
    """``base`` with what the environment sets: COVGAP_LLM_BASE_URL, COVGAP_LLM_MODEL,
    COVGAP_LLM_API_KEY (else OPENAI_API_KEY), COVGAP_LLM_ATTEMPTS and COVGAP_LLM_TIMEOUT.
    Unset or empty variables leave ``base``'s value."""
    changes: dict[str, Any] = {}
    if url := env.get("COVGAP_LLM_BASE_URL", "").strip():
        changes["base_url"] = url
    if model := env.get("COVGAP_LLM_MODEL", "").strip():
        changes["model"] = model
    key = env.get("COVGAP_LLM_API_KEY", "").strip() or env.get("OPENAI_API_KEY", "").strip()
    if key:
        changes["api_key"] = key
    if attempts := env.get("COVGAP_LLM_ATTEMPTS", "").strip():
        changes["attempts"] = _number("COVGAP_LLM_ATTEMPTS", attempts, int, "a whole number")
    if timeout := env.get("COVGAP_LLM_TIMEOUT", "").strip():
        changes["timeout"] = _number("COVGAP_LLM_TIMEOUT", timeout, float, "a number of seconds")
    return replace(base, **changes)


def _number(name: str, text: str, kind: type[int] | type[float], what: str) -> Any:
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigError(f"{name} must be {what} above 0, not {text!r}")
    return value


class LlmEngine:
    """Tests from a chat model, tried and sent back with what failed or is still missing."""

    name = "llm"

    def unavailable(self, context: EngineContext) -> str | None:
        settings = context.llm
        if not settings.base_url or not settings.model:
            return (
                "the llm engine needs a base URL and a model: set COVGAP_LLM_BASE_URL and "
                "COVGAP_LLM_MODEL, or llm-base-url and llm-model in [tool.covgap]"
            )
        scheme = urllib.parse.urlsplit(settings.base_url).scheme
        if scheme not in ("http", "https"):
            return (
                f"the llm engine's base URL must start with http:// or https://, "
                f"not {_shown_url(settings.base_url)!r}"
            )
        return None

    def candidates(
        self, target: DraftTarget, context: EngineContext, check: Check
    ) -> Iterator[Candidate]:
        settings = context.llm
        client = _Client(settings)
        messages: list[dict[str, str]] = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": build_prompt(target)},
        ]
        for attempt in range(1, max(1, settings.attempts) + 1):
            answer = client.complete(messages)
            messages.append({"role": "assistant", "content": answer})
            source = extract_code(answer)
            if source is None:
                raise EngineError(
                    f"llm: {client.shown_url}: the answer to prompt {attempt} for "
                    f"{target.qualname} has no ```python block"
                )
            feedback = check(target, source)
            yield Candidate(engine=self.name, target=target.key, source=source, attempt=attempt)
            follow_up = _follow_up(target, feedback)
            if follow_up is None:
                return
            messages.append({"role": "user", "content": follow_up})


class _Client:
    """One endpoint's ``/chat/completions``, its errors said in one line without the key."""

    def __init__(self, settings: LlmSettings) -> None:
        self.settings = settings
        self.url = settings.base_url.rstrip("/") + "/chat/completions"
        self.shown_url = _shown_url(self.url)

    def complete(self, messages: Sequence[Mapping[str, str]]) -> str:
        settings = self.settings
        body = json.dumps(
            {
                "model": settings.model,
                "messages": list(messages),
                "temperature": settings.temperature,
            }
        ).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if settings.api_key:
            headers["Authorization"] = f"Bearer {settings.api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=settings.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            detail = _excerpt(error.read().decode("utf-8", "replace")) if error.fp else ""
            reason = f"HTTP {error.code} {error.reason}".rstrip()
            self._fail(f"{reason}: {detail}" if detail else reason)
        except urllib.error.URLError as error:
            self._fail(self._network(error.reason))
        except (OSError, http.client.HTTPException) as error:
            self._fail(self._network(error))
        try:
            data = json.loads(raw)
            content = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            text = _excerpt(raw.decode("utf-8", "replace"))
            self._fail(f"the answer is not a chat completion: {text}")
        if not isinstance(content, str) or not content.strip():
            self._fail("the answer has no message content")
        return content

    def _network(self, reason: object) -> str:
        if isinstance(reason, TimeoutError):
            return f"timed out after {self.settings.timeout:g} s"
        if isinstance(reason, ConnectionRefusedError):
            return "connection refused"
        if isinstance(reason, (http.client.RemoteDisconnected, ConnectionResetError)):
            return "the server closed the connection without an answer"
        if isinstance(reason, http.client.HTTPException):
            return f"a broken answer ({type(reason).__name__})"
        if isinstance(reason, OSError) and reason.strerror:
            return reason.strerror
        return str(reason) or type(reason).__name__

    def _fail(self, why: str) -> NoReturn:
        message = f"llm: {self.shown_url}: {why}"
        if self.settings.api_key:
            message = message.replace(self.settings.api_key, "***")
        raise EngineError(" ".join(message.split()))


def _shown_url(url: str) -> str:
    """The URL without a user and password, should it carry them."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=host))


def _excerpt(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_FENCE = re.compile(r"^```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)


def extract_code(answer: str) -> str | None:
    """The test module in a model's answer: its first ```python block; else its first
    untagged block, or the whole answer, when that compiles; None when there is none."""
    blocks = [(tag.lower(), body) for tag, body in _FENCE.findall(answer)]
    for tag, body in blocks:
        if tag in ("python", "py", "python3") and body.strip():
            return _ending(body)
    for tag, body in blocks:
        if not tag and body.strip() and _compiles(body):
            return _ending(body)
    if not blocks and answer.strip() and _compiles(answer):
        return _ending(answer.strip("\n"))
    return None


def _ending(code: str) -> str:
    return code.rstrip() + "\n"


def _compiles(code: str) -> bool:
    try:
        compile(code, "<answer>", "exec", flags=ast.PyCF_ONLY_AST)
    except (SyntaxError, ValueError):
        return False
    return True


def _ranges(numbers: Iterable[int]) -> str:
    """12, 13, 14, 17 → "12-14, 17"."""
    spans: list[list[int]] = []
    for number in sorted(set(numbers)):
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _arcs(arcs: Iterable[tuple[int, int]]) -> str:
    return ", ".join(
        f"{start} → exit from the function" if end < 0 else f"{start} → {end}"
        for start, end in sorted(set(arcs))
    )


def _import_line(target: DraftTarget) -> str:
    return f"from {target.module} import {target.qualname.split('.')[0]}"


def _numbered(target: DraftTarget) -> str:
    missing = set(target.missing_lines)
    width = len(str(target.start_line + target.source.count("\n")))
    lines = target.source.rstrip("\n").split("\n")
    return "\n".join(
        f"{'>' if number in missing else ' '} {number:>{width}}  {text}".rstrip()
        for number, text in enumerate(lines, start=target.start_line)
    )


def _test_prefix(target: DraftTarget) -> str:
    return "test_" + target.name.lstrip("_").lower()


def build_prompt(target: DraftTarget) -> str:
    """The first prompt: the function, its gap, covgap's advice, the suite's ways, the rules."""
    kind = "async function" if target.is_async else "function"
    if "." in target.qualname:
        kind = "async method" if target.is_async else "method"
    parts = [
        f"Write pytest tests for the {kind} `{target.qualname}` of module `{target.module}` "
        f"(file {target.path}, lines {target.start_line}-{target.end_line}).",
        f"Import it with:\n    {_import_line(target)}",
        "Its source, with line numbers (lines marked > do not run in the test suite yet):\n"
        f"```python\n{_numbered(target)}\n```",
    ]
    gap = []
    if target.missing_lines:
        gap.append(f"- missing lines: {_ranges(target.missing_lines)}")
    if target.missing_arcs:
        gap.append(
            "- missing branches (line → line it should jump to; "
            f"exit means leaving the function): {_arcs(target.missing_arcs)}"
        )
    if gap:
        parts.append("What the tests must make run:\n" + "\n".join(gap))
    if target.suggestions:
        parts.append(
            "The tests to write (the conditions to make true, the exceptions to provoke):\n"
            + "\n".join(
                f"- {item.test_name} (line {item.line}): {item.text}" for item in target.suggestions
            )
        )
    if target.constructor:
        parts.append(f"Build its object like this: `{target.constructor}`.")
    if target.harness is not None:
        parts.append(f"Reach it through {target.harness.framework}: {target.harness.text}")
    if target.is_async:
        parts.append("It is a coroutine: run it with asyncio.run(...) inside a plain test.")
    if target.raises:
        parts.append(
            "Exceptions it raises itself (check them with pytest.raises): "
            + ", ".join(target.raises)
        )
    if target.isolation:
        parts.append(
            "Outside dependencies to fake (never reach the real thing):\n"
            + "\n".join(
                f"- {item.dependency} via {', '.join(item.via) or 'its code'}: "
                f"use {item.fake}; {item.how}" + (f" ({item.inject})" if item.inject else "")
                for item in target.isolation
            )
        )
    suite = []
    if target.test_file:
        state = "exists" if target.test_file_exists else "is new"
        suite.append(f"The tests go in {target.test_file} (it {state}).")
    if target.test_imports:
        suite.append(
            "The suite's test module imports:\n```python\n"
            + "\n".join(target.test_imports)
            + "\n```"
        )
    if target.fixtures:
        suite.append(
            "Fixtures its conftest.py files provide (use them by naming them as arguments): "
            + ", ".join(target.fixtures)
        )
    if suite:
        parts.append("\n".join(suite))
    prefix = _test_prefix(target)
    parts.append(
        "Rules:\n"
        "- Answer with ONE complete pytest module in a single ```python block: its imports "
        "and its test functions, nothing else.\n"
        "- Plain assert statements; pytest.raises for exceptions; monkeypatch or "
        "unittest.mock for the fakes.\n"
        "- No network, no sleeping, no real clock or randomness, no files outside tmp_path: "
        "every run must give the same result.\n"
        f"- Name the tests {prefix}_<what>, each checking one behaviour with the values the "
        "function's code really produces.\n"
        "- Do not change or copy the function: import it."
    )
    return "\n\n".join(parts)


def _follow_up(target: DraftTarget, feedback: Feedback) -> str | None:
    """What to tell the model after its module was tried; None when nothing is left to do."""
    rules = "Answer with the whole corrected module in one ```python block."
    if not feedback.built:
        return (
            "That module did not import, or pytest could not collect its tests:\n"
            f"```\n{feedback.error.strip()}\n```\n{rules}"
        )
    if not feedback.passed:
        return (
            "Some of those tests failed:\n"
            f"```\n{feedback.error.strip()}\n```\n"
            f"Read `{target.qualname}`'s code again: when the test expects the wrong value, "
            f"fix the test, not the function. {rules}"
        )
    if not feedback.missing_lines and not feedback.missing_arcs:
        return None
    still = []
    if feedback.missing_lines:
        still.append(f"lines {_ranges(feedback.missing_lines)}")
    if feedback.missing_arcs:
        still.append(f"branches {_arcs(feedback.missing_arcs)}")
    return (
        f"Those tests pass, but these parts of `{target.qualname}` still do not run: "
        f"{'; '.join(still)}. Add tests that make them run, and keep the tests that pass. "
        "Answer with the whole module in one ```python block."
    )
