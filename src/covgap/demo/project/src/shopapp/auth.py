"""User accounts: password hashing, registration and login with lockout."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

ALGORITHM = "pbkdf2_sha256"
# Deliberately low so the demo test suite stays fast; production would use 600k+.
PBKDF2_ITERATIONS = 1_000
MIN_PASSWORD_LENGTH = 8

_USERNAME_RE = re.compile(r"^[a-z0-9_.-]{3,32}$")


class AuthError(Exception):
    """Base class of all authentication failures."""


class InvalidCredentials(AuthError):
    """Unknown user, wrong password or deactivated account."""

    def __init__(self) -> None:
        super().__init__("invalid username or password")


class AccountLocked(AuthError):
    """Too many failed logins; the account is temporarily locked."""

    def __init__(self, username: str, retry_after: float) -> None:
        super().__init__(f"account {username!r} is locked")
        self.retry_after = max(0.0, retry_after)


class WeakPassword(AuthError):
    """The password does not satisfy the password policy."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class UserExists(AuthError):
    """Registration with a username that is already taken."""


def hash_password(
    password: str, *, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS
) -> str:
    """Hash ``password`` with PBKDF2-SHA256, returning an encoded string."""
    if not password:
        raise ValueError("password must not be empty")
    if salt is None:
        salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{ALGORITHM}${iterations}${salt.hex()}${digest.hex()}"


def _decode(encoded: str) -> tuple[int, bytes, bytes] | None:
    parts = encoded.split("$")
    if len(parts) != 4 or parts[0] != ALGORITHM:
        return None
    try:
        return int(parts[1]), bytes.fromhex(parts[2]), bytes.fromhex(parts[3])
    except ValueError:
        return None


def verify_password(password: str, encoded: str) -> bool:
    """Check ``password`` against a hash made by :func:`hash_password`."""
    decoded = _decode(encoded)
    if decoded is None:
        return False
    iterations, salt, expected = decoded
    actual = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return hmac.compare_digest(actual, expected)


def needs_rehash(encoded: str, iterations: int = PBKDF2_ITERATIONS) -> bool:
    """True when ``encoded`` was produced with outdated parameters."""
    decoded = _decode(encoded)
    return decoded is None or decoded[0] != iterations


def password_problems(password: str, *, username: str = "") -> list[str]:
    """List the reasons why ``password`` violates the password policy."""
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if not re.search(r"[A-Z]", password):
        problems.append("must contain an upper-case letter")
    if not re.search(r"[0-9]", password):
        problems.append("must contain a digit")
    if username and username.lower() in password.lower():
        problems.append("must not contain the username")
    return problems


def normalize_username(username: str) -> str:
    """Lower-case and validate a username."""
    candidate = username.strip().lower()
    if not _USERNAME_RE.match(candidate):
        raise ValueError(f"invalid username {username!r}")
    return candidate


@dataclass
class User:
    """A registered customer or staff member."""

    username: str
    password_hash: str
    email: str
    roles: frozenset[str] = frozenset({"customer"})
    active: bool = True
    failed_attempts: int = 0
    locked_until: float = 0.0

    def is_locked(self, now: float) -> bool:
        return self.locked_until > now

    def public(self) -> dict[str, object]:
        """The representation that is safe to send to clients."""
        return {
            "username": self.username,
            "email": self.email,
            "roles": sorted(self.roles),
            "active": self.active,
        }


class UserStore(Protocol):
    """Anything that can load and persist users (see :mod:`shopapp.db`)."""

    def get(self, username: str) -> User | None: ...

    def save(self, user: User) -> None: ...


class InMemoryUserStore:
    """A dictionary backed :class:`UserStore`, used by tests and the demo."""

    def __init__(self, users: Iterable[User] = ()) -> None:
        self._users = {user.username: user for user in users}

    def get(self, username: str) -> User | None:
        return self._users.get(username)

    def save(self, user: User) -> None:
        self._users[user.username] = user


# Verifying against this hash for unknown users keeps login timing uniform.
_DUMMY_HASH = hash_password("not-a-real-password", salt=b"\x00" * 16)


class Authenticator:
    """Registers users and checks logins, locking accounts after failures."""

    def __init__(
        self,
        store: UserStore,
        *,
        max_attempts: int = 5,
        lockout_seconds: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.max_attempts = max_attempts
        self.lockout_seconds = lockout_seconds
        self._clock = clock

    def register(
        self,
        username: str,
        password: str,
        email: str,
        roles: Iterable[str] = ("customer",),
    ) -> User:
        """Create a new user, enforcing the password policy."""
        name = normalize_username(username)
        if self.store.get(name) is not None:
            raise UserExists(name)
        problems = password_problems(password, username=name)
        if problems:
            raise WeakPassword(problems)
        if "@" not in email or email.startswith("@"):
            raise ValueError(f"invalid email address {email!r}")
        user = User(name, hash_password(password), email.lower(), frozenset(roles))
        self.store.save(user)
        return user

    def login(self, username: str, password: str) -> User:
        """Return the user for valid credentials or raise :class:`AuthError`."""
        try:
            name = normalize_username(username)
        except ValueError:
            raise InvalidCredentials() from None
        user = self.store.get(name)
        now = self._clock()
        if user is None:
            verify_password(password, _DUMMY_HASH)
            raise InvalidCredentials()
        if not user.active:
            raise InvalidCredentials()
        if user.is_locked(now):
            raise AccountLocked(user.username, user.locked_until - now)

        if not verify_password(password, user.password_hash):
            user.failed_attempts += 1
            if user.failed_attempts >= self.max_attempts:
                user.locked_until = now + self.lockout_seconds
                user.failed_attempts = 0
            self.store.save(user)
            raise InvalidCredentials()

        user.failed_attempts = 0
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        self.store.save(user)
        return user

    def unlock(self, username: str) -> bool:
        """Lift a lockout early. Returns False if the user was not locked."""
        user = self.store.get(normalize_username(username))
        if user is None or not user.is_locked(self._clock()):
            return False
        user.locked_until = 0.0
        user.failed_attempts = 0
        self.store.save(user)
        return True

    def change_password(self, username: str, old: str, new: str) -> None:
        """Change a password after re-checking the current one."""
        user = self.login(username, old)
        if old == new:
            raise WeakPassword(["must differ from the current password"])
        problems = password_problems(new, username=user.username)
        if problems:
            raise WeakPassword(problems)
        user.password_hash = hash_password(new)
        self.store.save(user)
