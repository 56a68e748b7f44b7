"""Password hashing: argon2id through argon2-cffi, with its RFC 9106 defaults."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@cache
def _hasher() -> PasswordHasher:
    # argon2-cffi's default profile is RFC 9106's "low memory" one, argon2id
    # (t=3, m=64 MiB, p=4): about 50 ms here, slow enough to make guessing costly.
    return PasswordHasher()


def hash_password(password: str) -> str:
    """The PHC string `$argon2id$v=19$m=…,t=…,p=…$salt$hash`."""
    return _hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when `stored` was made with weaker parameters than today's."""
    return _hasher().check_needs_rehash(stored)


# Verified against when the username is unknown, so that a wrong username takes as long
# as a wrong password and the timing does not tell which usernames exist.
@cache
def dummy_hash() -> str:
    return hash_password("carexport-no-such-user")
