"""A schema-driven fuzz of the API (schemathesis): it must find nothing.

Every generated request, valid by the published OpenAPI schema or not, must get an
answer the schema documents (200, 413, 415 or 422), in the documented shape, and never a
500. Bounded to a few dozen examples per operation so that `make test` stays quick;
`CAREXPORT_FUZZ_EXAMPLES=2000` runs a longer fuzz by hand.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from carexport.config import get_settings
from carexport.db import default_engine, make_engine
from carexport.migrations import upgrade
from carexport.web.app import create_app
from tests.accounts_fixtures import CHEAP_ARGON2

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())
EXAMPLES = int(os.environ.get("CAREXPORT_FUZZ_EXAMPLES", "40"))


@pytest.fixture(autouse=True, scope="module")
def migrated_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The routes that read the store (login, /me, the workflow) get a migrated, empty
    one: an unmigrated store answers 503, which the fuzz counts as a server error."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz-store') / 'store.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    patch = pytest.MonkeyPatch()
    patch.setenv("CAREXPORT_DATABASE_URL", url)
    for name, value in CHEAP_ARGON2.items():
        patch.setenv(name, value)
    get_settings.cache_clear()
    default_engine.cache_clear()
    yield
    default_engine().dispose()
    patch.undo()
    get_settings.cache_clear()
    default_engine.cache_clear()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_generated_request_as_its_schema_says(
    case: schemathesis.Case[Any],
) -> None:
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )
