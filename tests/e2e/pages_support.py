"""Helpers for page tests: the app on a test store, logins with a session cookie, CSRF.

    from tests.e2e.pages_support import PASSWORD, World, csrf_token, login, make_client
    # the fixtures `world`, `pages_engine` and `engine` come from tests/e2e/conftest.py

    def test_shows_my_applications(world: World) -> None:
        client = login(make_client(), world.applicant)
        page = client.get("/applications")
        assert page.status_code == 200

    def test_submits(world: World) -> None:
        client = login(make_client(), world.applicant)
        client.post("/x", data={"csrf_token": csrf_token(client), ...})

`pages_engine` points the app at `engine` (SQLite and PostgreSQL, migrated, empty) with
cheap argon2 settings; `world` adds on top of it one organisation of each kind and one
user of each role (usernames in World, password PASSWORD). Clients do not follow
redirects, so a test sees the 303s the pages answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from carexport.accounts import service
from carexport.config import get_settings
from carexport.db import UnitOfWork, default_engine
from carexport.domain.uscc import uscc_check_character
from carexport.web.app import create_app
from tests.accounts_fixtures import CHEAP_ARGON2

PASSWORD = "correct horse battery"  # every test user's; at least 12 characters
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_HX_CSRF = re.compile(r'"X-CSRF-Token": "([^"]+)"')


def uscc(serial: int) -> str:
    """A valid USCC (check character computed), distinct for each serial."""
    first17 = f"91120000MA{serial:07d}"
    return first17 + uscc_check_character(first17)


@dataclass(frozen=True)
class World:
    """Organisations (ids) and users (usernames) of every kind and role.

    The first agency is 天津市商务局 (region 12); `other_agency` is in another region
    (31 上海); `other_exporter` is a second exporter, for isolation tests."""

    exporter_org: int
    other_exporter_org: int
    agency_org: int
    other_agency_org: int
    monitor_org: int
    manufacturer_org: int
    exporter_uscc: str
    agency_name: str
    applicant: str = "applicant"
    other_applicant: str = "other.applicant"
    reviewer: str = "reviewer"
    senior_reviewer: str = "senior"
    other_reviewer: str = "other.reviewer"
    monitor: str = "monitor"
    issuer: str = "issuer"
    admin: str = "admin"


@pytest.fixture
def pages_engine(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """`engine` as the store of the app that make_client() builds."""
    monkeypatch.setenv("CAREXPORT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    for name, value in CHEAP_ARGON2.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    default_engine.cache_clear()
    yield engine
    default_engine().dispose()
    default_engine.cache_clear()
    get_settings.cache_clear()


def add_org(
    engine: Engine, kind: str, name: str, *, uscc: str | None = None, region: str | None = None
) -> int:
    with UnitOfWork(engine) as uow:
        return service.add_org(uow=uow, kind=kind, name=name, uscc=uscc, region=region).id


def add_user(
    engine: Engine, username: str, role: str, org_id: int | None, password: str = PASSWORD
) -> str:
    with UnitOfWork(engine) as uow:
        service.add_user(uow=uow, username=username, password=password, role=role, org_id=org_id)
    return username


def make_world(engine: Engine) -> World:
    exporter_uscc = uscc(1)
    exporter = add_org(engine, "exporter", "天津出口有限公司", uscc=exporter_uscc)
    other_exporter = add_org(engine, "exporter", "上海出口有限公司", uscc=uscc(2))
    agency = add_org(engine, "agency", "天津市商务局", region="12")
    other_agency = add_org(engine, "agency", "上海市商务委员会", region="31")
    monitor = add_org(engine, "monitor", "商务部")
    manufacturer = add_org(engine, "manufacturer", "天津汽车制造有限公司", uscc=uscc(3))
    world = World(
        exporter_org=exporter,
        other_exporter_org=other_exporter,
        agency_org=agency,
        other_agency_org=other_agency,
        monitor_org=monitor,
        manufacturer_org=manufacturer,
        exporter_uscc=exporter_uscc,
        agency_name="天津市商务局",
    )
    for username, role, org in [
        (world.applicant, "applicant", exporter),
        (world.other_applicant, "applicant", other_exporter),
        (world.reviewer, "reviewer", agency),
        (world.senior_reviewer, "senior_reviewer", agency),
        (world.other_reviewer, "reviewer", other_agency),
        (world.monitor, "monitor", monitor),
        (world.issuer, "issuer", manufacturer),
        (world.admin, "admin", None),
    ]:
        add_user(engine, username, role, org)
    return world


@pytest.fixture
def world(pages_engine: Engine) -> World:
    return make_world(pages_engine)


def make_client() -> TestClient:
    """A browser without a session, on the store pages_engine set (redirects not followed)."""
    return TestClient(create_app(), follow_redirects=False)


def login_csrf(client: TestClient) -> str:
    """GET /login and the login form's CSRF token (its cookie is now in the client)."""
    page = client.get("/login")
    found = _CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    """Log `client` in through the login form; it then holds the session cookie."""
    token = login_csrf(client)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return client


def csrf_token(client: TestClient, page: str = "/me") -> str:
    """The session's CSRF token, read from a page (every page of a session shows it)."""
    response = client.get(page)
    assert response.status_code == 200, response.text
    found = _HX_CSRF.search(response.text) or _CSRF.search(response.text)
    assert found, response.text
    return found.group(1)


def app_routes(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, frozenset[str]]]:
    """(path, methods) of every API and page route of an app (`make_client().app.routes`),
    through included routers (FastAPI keeps them as _IncludedRouter, not flattened)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from app_routes(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            yield prefix + route.path, frozenset(route.methods or ())


def page_routes(method: str) -> list[str]:
    """The paths of the page (non-/api/) routes that answer `method`."""
    app: Any = make_client().app
    return sorted(
        path
        for path, methods in app_routes(app.routes)
        if method in methods and not path.startswith("/api/")
    )
