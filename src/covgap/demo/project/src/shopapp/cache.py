"""Caching: a client for a tiny key/value server, with an in-memory fallback.

The key/value server speaks a line protocol over TCP::

    PING                 -> PONG
    GET <key>            -> VAL <json> | NIL
    SET <key> <ttl> <json> -> OK
    DEL <key>            -> OK | NIL
"""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class CacheError(Exception):
    """The key/value server answered with something we do not understand."""


def _check_key(key: str) -> str:
    if not key or any(ch.isspace() for ch in key) or len(key) > 250:
        raise ValueError(f"invalid cache key {key!r}")
    return key


class MemoryCache:
    """A thread-safe LRU cache with per-entry expiry."""

    def __init__(
        self, max_entries: int = 1024, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._data: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires and expires <= self._clock():
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return value

    def set(self, key: str, value: Any, ttl: int = 0) -> None:
        expires = self._clock() + ttl if ttl > 0 else 0.0
        with self._lock:
            self._data[_check_key(key)] = (expires, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._data.pop(key, None) is not None


class KVClient:
    """A blocking client for the key/value server."""

    def __init__(self, host: str, port: int, *, timeout: float = 1.0) -> None:
        self.address = (host, port)
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._file: Any = None
        self._lock = threading.Lock()

    def _connect(self) -> None:
        self._sock = socket.create_connection(self.address, timeout=self.timeout)
        self._file = self._sock.makefile("rwb")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _command(self, *parts: str) -> str:
        line = (" ".join(parts) + "\n").encode("utf-8")
        with self._lock:
            for attempt in range(2):
                try:
                    if self._file is None:
                        self._connect()
                    self._file.write(line)
                    self._file.flush()
                    reply = self._file.readline()
                    if not reply:
                        raise ConnectionError("server closed the connection")
                    return reply.decode("utf-8").rstrip("\r\n")
                except OSError:
                    self.close()
                    if attempt:
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, key: str) -> Any:
        reply = self._command("GET", _check_key(key))
        if reply == "NIL":
            return None
        kind, _, payload = reply.partition(" ")
        if kind != "VAL":
            raise CacheError(f"unexpected reply to GET: {reply!r}")
        return json.loads(payload)

    def set(self, key: str, value: Any, ttl: int = 0) -> None:
        payload = json.dumps(value, separators=(",", ":"))
        reply = self._command("SET", _check_key(key), str(int(ttl)), payload)
        if reply != "OK":
            raise CacheError(f"SET failed: {reply!r}")

    def delete(self, key: str) -> bool:
        return self._command("DEL", _check_key(key)) == "OK"


class Cache:
    """Uses the remote server when it is reachable and memory otherwise."""

    def __init__(
        self,
        remote: KVClient | None = None,
        *,
        fallback: MemoryCache | None = None,
        retry_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.remote = remote
        self.fallback = fallback if fallback is not None else MemoryCache()
        self.retry_interval = retry_interval
        self._clock = clock
        self._remote_down_until = 0.0

    @property
    def using_fallback(self) -> bool:
        return self.remote is None or self._clock() < self._remote_down_until

    def _call(self, op: str, *args: Any) -> Any:
        if not self.using_fallback:
            assert self.remote is not None
            try:
                return getattr(self.remote, op)(*args)
            except OSError:
                self._remote_down_until = self._clock() + self.retry_interval
        return getattr(self.fallback, op)(*args)

    def get(self, key: str, default: Any = None) -> Any:
        value = self._call("get", key)
        return default if value is None else value

    def set(self, key: str, value: Any, ttl: int = 0) -> None:
        self._call("set", key, value, ttl)

    def delete(self, key: str) -> bool:
        return bool(self._call("delete", key))

    def get_or_set(self, key: str, factory: Callable[[], Any], ttl: int = 0) -> Any:
        value = self.get(key)
        if value is None:
            value = factory()
            self.set(key, value, ttl)
        return value


def cached(cache: Cache, ttl: int = 60, prefix: str = "") -> Callable[[F], F]:
    """Decorator caching a function's result by its positional arguments.

    The wrapped function gains an ``invalidate(*args)`` method.
    """

    def decorator(func: F) -> F:
        namespace = prefix or f"{func.__module__}.{func.__qualname__}"

        def make_key(args: tuple[Any, ...]) -> str:
            return ":".join([namespace, *(str(arg).replace(" ", "_") for arg in args)])

        @functools.wraps(func)
        def wrapper(*args: Any) -> Any:
            return cache.get_or_set(make_key(args), lambda: func(*args), ttl)

        def invalidate(*args: Any) -> bool:
            return cache.delete(make_key(args))

        wrapper.invalidate = invalidate  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


async def ping_async(host: str, port: int, timeout: float = 1.0) -> bool:
    """Check asynchronously whether a key/value server answers ``PING``."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), timeout
        )
    except (OSError, asyncio.TimeoutError):
        return False
    try:
        writer.write(b"PING\n")
        await writer.drain()
        reply = await asyncio.wait_for(reader.readline(), timeout)
        return reply.strip() == b"PONG"
    except (OSError, asyncio.TimeoutError):
        return False
    finally:
        writer.close()
        await writer.wait_closed()
