"""Fixtures every e2e module may use without importing them: the stores of
tests/integration/conftest.py (engine on SQLite and PostgreSQL) and the pages'
`pages_engine` and `world` (tests/e2e/pages_support.py)."""

from tests.e2e.pages_support import pages_engine, world  # noqa: F401
from tests.integration.conftest import engine, pg_url, sqlite_template  # noqa: F401
