"""Login sessions identified by signed, random tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TOKEN_BYTES = 24
SIGNATURE_LENGTH = 32


class SessionError(Exception):
    """An operation on a session that is no longer usable."""


def sign(raw: str, secret: str) -> str:
    """Return ``raw`` with an HMAC-SHA256 signature appended."""
    mac = hmac.new(secret.encode("utf-8"), raw.encode("utf-8"), hashlib.sha256)
    return f"{raw}.{mac.hexdigest()[:SIGNATURE_LENGTH]}"


def unsign(token: str, secret: str) -> str | None:
    """Return the raw part of a signed token, or None if the signature is bad."""
    raw, dot, _signature = token.rpartition(".")
    if not dot or not raw:
        return None
    expected = sign(raw, secret)
    if not hmac.compare_digest(expected.encode(), token.encode()):
        return None
    return raw


@dataclass
class Session:
    """A server-side session belonging to one user."""

    token: str
    username: str
    created_at: float
    expires_at: float
    revoked: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    def valid(self, now: float | None = None) -> bool:
        """True while the session is neither revoked nor expired."""
        if self.revoked:
            return False
        current = time.time() if now is None else now
        return current < self.expires_at

    def refresh(self, ttl: float, now: float | None = None) -> None:
        """Extend the session so that it expires ``ttl`` seconds from now."""
        current = time.time() if now is None else now
        if not self.valid(current):
            raise SessionError("cannot refresh an expired or revoked session")
        self.expires_at = current + ttl

    def revoke(self) -> None:
        self.revoked = True
        self.data.clear()


class SessionManager:
    """Creates, looks up and expires sessions. Thread safe."""

    def __init__(
        self,
        secret: str,
        *,
        ttl: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("a secret is required to sign session tokens")
        self._secret = secret
        self.ttl = ttl
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, username: str, **data: Any) -> Session:
        """Start a session for ``username`` and return it."""
        now = self._clock()
        token = sign(secrets.token_urlsafe(TOKEN_BYTES), self._secret)
        session = Session(token, username, now, now + self.ttl, data=dict(data))
        with self._lock:
            self._sessions[token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        """Return the live session for ``token`` or None."""
        if not token or unsign(token, self._secret) is None:
            return None
        with self._lock:
            session = self._sessions.get(token)
        if session is None or not session.valid(self._clock()):
            return None
        return session

    def revoke(self, token: str) -> bool:
        with self._lock:
            session = self._sessions.pop(token, None)
        if session is None:
            return False
        session.revoke()
        return True

    def revoke_all(self, username: str) -> int:
        """Log a user out everywhere. Returns the number of revoked sessions."""
        with self._lock:
            tokens = [t for t, s in self._sessions.items() if s.username == username]
            for token in tokens:
                self._sessions.pop(token).revoke()
        return len(tokens)

    def purge_expired(self) -> int:
        """Drop sessions that are no longer valid."""
        now = self._clock()
        with self._lock:
            dead = [t for t, s in self._sessions.items() if not s.valid(now)]
            for token in dead:
                del self._sessions[token]
        return len(dead)
