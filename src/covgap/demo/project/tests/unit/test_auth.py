from __future__ import annotations

import pytest

from shopapp.auth import (
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)


def test_hash_roundtrip() -> None:
    encoded = hash_password("Correct-Horse-9")
    assert encoded.startswith("pbkdf2_sha256$")
    assert verify_password("Correct-Horse-9", encoded)
    assert not verify_password("correct-horse-9", encoded)


def test_verify_rejects_garbage() -> None:
    assert not verify_password("x", "md5$abc")
    assert not verify_password("x", "pbkdf2_sha256$10$zz$zz")


def test_needs_rehash_for_old_iteration_count() -> None:
    old = hash_password("Legacy-Pass-1", iterations=500)
    assert needs_rehash(old)
    assert not needs_rehash(hash_password("Fresh-Pass-1"))


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("short1A", "must be at least 8 characters"),
        ("alllowercase1", "must contain an upper-case letter"),
        ("NoDigitsHere", "must contain a digit"),
    ],
)
def test_password_problems(password: str, expected: str) -> None:
    assert expected in password_problems(password)


def test_strong_password_has_no_problems() -> None:
    assert password_problems("Tr0ub4dor&3") == []
