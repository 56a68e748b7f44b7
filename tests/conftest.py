"""Settings every test process starts with.

The signing keys need a key-encryption key and production has no default
(docs/decisions/0019-signing-keys.md): the test session sets an explicit development
value, before any Settings object is made, so that the services, the commands run in
subprocesses and the servers the browser tests start all agree on it. A test about a
missing or wrong key sets its own with monkeypatch.
"""

from __future__ import annotations

import os

from tests.keys_fixtures import DEV_KEK

# The key under which resident ID numbers are stored as keyed hashes (ADR 0024).
DEV_PERSON_ID_KEY = "test-only-person-id-key-7c2e91"

os.environ.setdefault("CAREXPORT_KEY_ENCRYPTION_KEY", DEV_KEK)
os.environ.setdefault("CAREXPORT_PERSON_ID_KEY", DEV_PERSON_ID_KEY)
