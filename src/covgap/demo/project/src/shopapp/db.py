"""SQLite persistence: schema migrations and repositories."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from shopapp.auth import User
from shopapp.catalog import Product

MIGRATIONS: list[str] = [
    """
    CREATE TABLE users (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        email TEXT NOT NULL UNIQUE,
        roles TEXT NOT NULL DEFAULT '["customer"]',
        active INTEGER NOT NULL DEFAULT 1,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until REAL NOT NULL DEFAULT 0
    )
    """,
    """
    CREATE TABLE products (
        sku TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        price INTEGER NOT NULL CHECK (price >= 0),
        category TEXT NOT NULL,
        stock INTEGER NOT NULL DEFAULT 0,
        tags TEXT NOT NULL DEFAULT '[]',
        description TEXT NOT NULL DEFAULT ''
    )
    """,
    """
    CREATE TABLE orders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL REFERENCES users(username),
        sku TEXT NOT NULL REFERENCES products(sku),
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        charge_id TEXT,
        created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
    )
    """,
    "CREATE INDEX orders_by_user ON orders(username)",
]


class Database:
    """A thread-safe wrapper around one SQLite connection."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._lock = threading.RLock()

    @property
    def version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> int:
        """Apply pending migrations. Returns the number applied."""
        with self._lock:
            current = self.version
            pending = MIGRATIONS[current:]
            for offset, statement in enumerate(pending, start=current + 1):
                with self._conn:
                    self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version = {offset}")
            return len(pending)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block atomically: commit on success, roll back on error."""
        with self._lock:
            try:
                yield self._conn
            except BaseException:
                self._conn.rollback()
                raise
            else:
                self._conn.commit()

    def close(self) -> None:
        self._conn.close()


class UserRepository:
    """Stores :class:`~shopapp.auth.User` objects; satisfies ``UserStore``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def _from_row(row: sqlite3.Row) -> User:
        return User(
            username=row["username"],
            password_hash=row["password_hash"],
            email=row["email"],
            roles=frozenset(json.loads(row["roles"])),
            active=bool(row["active"]),
            failed_attempts=row["failed_attempts"],
            locked_until=row["locked_until"],
        )

    def get(self, username: str) -> User | None:
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM users WHERE username = ?", (username,)
            ).fetchone()
        return None if row is None else self._from_row(row)

    def save(self, user: User) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                """
                INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(username) DO UPDATE SET
                    password_hash = excluded.password_hash,
                    email = excluded.email,
                    roles = excluded.roles,
                    active = excluded.active,
                    failed_attempts = excluded.failed_attempts,
                    locked_until = excluded.locked_until
                """,
                (
                    user.username,
                    user.password_hash,
                    user.email,
                    json.dumps(sorted(user.roles)),
                    int(user.active),
                    user.failed_attempts,
                    user.locked_until,
                ),
            )

    def delete(self, username: str) -> bool:
        with self.db.transaction() as conn:
            cursor = conn.execute("DELETE FROM users WHERE username = ?", (username,))
        return cursor.rowcount > 0

    def list(self, *, active_only: bool = False) -> list[User]:
        query = "SELECT * FROM users"
        if active_only:
            query += " WHERE active = 1"
        with self.db.transaction() as conn:
            rows = conn.execute(query + " ORDER BY username").fetchall()
        return [self._from_row(row) for row in rows]


class ProductRepository:
    """Stores catalog products."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, product: Product) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO products VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    product.sku,
                    product.name,
                    product.price,
                    product.category,
                    product.stock,
                    json.dumps(sorted(product.tags)),
                    product.description,
                ),
            )
