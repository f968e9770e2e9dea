"""Authentication backed by the real SQLite repository layer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shopapp.auth import Authenticator, InvalidCredentials
from shopapp.db import Database, UserRepository


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(str(tmp_path / "shop.sqlite3"))
    db.migrate()
    yield db
    db.close()


def test_migrations_are_idempotent(database: Database) -> None:
    assert database.version == 4
    assert database.migrate() == 0


def test_registered_user_can_log_in_after_reload(database: Database) -> None:
    Authenticator(UserRepository(database)).register(
        "frank", "Hot-Dog-Stand-1", "Frank@Example.com"
    )

    # A fresh authenticator and repository only see what was persisted.
    auth = Authenticator(UserRepository(database))
    user = auth.login("FRANK", "Hot-Dog-Stand-1")
    assert user.email == "frank@example.com"
    assert user.roles == frozenset({"customer"})
    with pytest.raises(InvalidCredentials):
        auth.login("frank", "wrong password")
