"""Password hashing: argon2id through argon2-cffi.

The cost is in Settings (`argon2_time_cost`, `argon2_memory_kib`, `argon2_parallelism`),
defaulting to argon2-cffi's own profile, RFC 9106's "low memory" one (t=3, m=64 MiB,
p=4). A stored hash made with other parameters is re-made at its next successful login.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from carexport.config import get_settings


@cache
def _hasher_with(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
    )


def _hasher() -> PasswordHasher:
    settings = get_settings()
    return _hasher_with(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )


def hash_password(password: str) -> str:
    """The PHC string `$argon2id$v=19$m=…,t=…,p=…$salt$hash`."""
    return _hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when `stored` was made with other parameters than today's."""
    return _hasher().check_needs_rehash(stored)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("carexport-no-such-user")


def dummy_hash() -> str:
    """Verified against when the username is unknown, so that a wrong username takes as
    long as a wrong password and the timing does not tell which usernames exist."""
    return _dummy_hash(_hasher())
