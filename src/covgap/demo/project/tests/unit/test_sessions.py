from __future__ import annotations

import pytest

from shopapp.sessions import Session, SessionError, sign, unsign


def test_sign_and_unsign() -> None:
    token = sign("abc123", "secret")
    assert unsign(token, "secret") == "abc123"
    assert unsign(token, "other-secret") is None
    assert unsign("no-signature", "secret") is None


def test_session_lifecycle() -> None:
    session = Session("t", "alice", created_at=0, expires_at=100)
    assert session.valid(now=50)
    assert not session.valid(now=100)
    session.refresh(200, now=50)
    assert session.expires_at == 250
    session.revoke()
    assert not session.valid(now=60)
    with pytest.raises(SessionError):
        session.refresh(10, now=60)
