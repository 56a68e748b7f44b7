"""Cheap argon2 parameters for tests that log in many times (the real cost is ~0.3 s a try).

The hashes stay argon2id; only the cost is lowered, through the same Settings a deployment
would use. Import the fixture into a test module to use it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from carexport.config import get_settings

CHEAP_ARGON2 = {
    "CAREXPORT_ARGON2_TIME_COST": "1",
    "CAREXPORT_ARGON2_MEMORY_KIB": "64",
    "CAREXPORT_ARGON2_PARALLELISM": "1",
}


@pytest.fixture
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in CHEAP_ARGON2.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
