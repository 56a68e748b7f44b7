"""A development key-encryption key for tests that make or use signing keys.

Production has no default (docs/decisions/0019-signing-keys.md); tests set this explicit
dev value through the same Settings a deployment uses. Import the fixture to use it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from carexport.config import get_settings

DEV_KEK = "test-only-kek-4b1f0c9e2d7a6b3c"


@pytest.fixture
def dev_kek(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CAREXPORT_KEY_ENCRYPTION_KEY", DEV_KEK)
    get_settings.cache_clear()
    yield DEV_KEK
    get_settings.cache_clear()
