"""Authentication backed by the real SQLite repository layer."""

from __future__ import annotations

import pytest

from shopapp.auth import AccountLocked, Authenticator, InvalidCredentials
from shopapp.db import Database, UserRepository


@pytest.fixture
def database(tmp_path):
    db = Database(str(tmp_path / "shop.sqlite3"))
    db.migrate()
    yield db
    db.close()


def test_migrations_are_idempotent(database) -> None:
    assert database.version == 4
    assert database.migrate() == 0


def test_login_state_is_persisted(database, clock) -> None:
    auth = Authenticator(
        UserRepository(database), max_attempts=2, lockout_seconds=30, clock=clock
    )
    auth.register("frank", "Hot-Dog-Stand-1", "frank@example.com")

    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            auth.login("frank", "nope")

    # A fresh repository sees the lockout written by the first one.
    fresh = Authenticator(UserRepository(database), clock=clock)
    with pytest.raises(AccountLocked):
        fresh.login("frank", "Hot-Dog-Stand-1")

    clock.advance(31)
    user = fresh.login("frank", "Hot-Dog-Stand-1")
    assert user.failed_attempts == 0
    assert [u.username for u in UserRepository(database).list()] == ["frank"]
