"""A stand-in for an OpenAI-compatible chat endpoint that replays recorded answers.

The model the ``llm`` engine talks to lives outside this machine, so its tests cannot reach a
real one: this server (``http.server`` in a thread, on 127.0.0.1 and a free port) is the only
stand-in they use. It records every request (path, headers, JSON body) and answers them in
order from a list: a chat model's reply (a string, wrapped in a chat-completion JSON), an HTTP
error (``Status(500, "...")``), a connection closed without an answer (``CLOSE``), or an answer
that comes too late (``Slow(seconds, reply)``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["CLOSE", "Recorded", "ReplayServer", "Slow", "Status", "completion", "replay_server"]


@dataclass(frozen=True)
class Status:
    """An HTTP error answer."""

    code: int
    body: str = ""


@dataclass(frozen=True)
class Slow:
    """A reply sent only after ``seconds`` (or when the server stops)."""

    seconds: float
    reply: str = ""


#: Close the connection without answering.
CLOSE = object()


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def last_user_message(self) -> str:
        users = [m["content"] for m in self.body["messages"] if m["role"] == "user"]
        return str(users[-1])


def completion(content: str, model: str = "replayed") -> dict[str, Any]:
    """A chat-completion JSON as OpenAI-compatible servers send it."""
    return {
        "id": "chatcmpl-replay",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


@dataclass
class ReplayServer:
    answers: list[object]
    requests: list[Recorded] = field(default_factory=list)
    port: int = 0
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def next_answer(self) -> object:
        if not self.answers:
            return Status(500, "the replay server has no answer left")
        return self.answers.pop(0)


def _handler(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            server.requests.append(Recorded(self.path, dict(self.headers.items()), body))
            answer = server.next_answer()
            if answer is CLOSE:
                self.close_connection = True
                return
            if isinstance(answer, Slow):
                server.release.wait(answer.seconds)
                answer = answer.reply
            if isinstance(answer, Status):
                self._send(answer.code, answer.body.encode())
            else:
                self._send(200, json.dumps(completion(str(answer))).encode())

        def _send(self, code: int, payload: bytes) -> None:
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (a timeout test)

    return Handler


@contextmanager
def replay_server(answers: Sequence[object]) -> Iterator[ReplayServer]:
    """A running replay server on 127.0.0.1; stopped (and any slow answer released) after."""
    state = ReplayServer(list(answers))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    httpd.block_on_close = False
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
