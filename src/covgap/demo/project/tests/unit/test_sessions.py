from __future__ import annotations

from shopapp.sessions import Session, sign, unsign


def test_sign_and_unsign() -> None:
    token = sign("abc123", "secret")
    assert unsign(token, "secret") == "abc123"
    assert unsign(token, "other-secret") is None
    assert unsign("no-signature", "secret") is None


def test_session_expires_and_can_be_revoked() -> None:
    session = Session("token", "alice", created_at=0.0, expires_at=100.0)
    assert session.valid(now=99.9)
    assert not session.valid(now=100.0)
    session.revoke()
    assert not session.valid(now=50.0)
