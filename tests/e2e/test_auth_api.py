"""POST /api/v1/auth/token and GET /api/v1/me over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from carexport.accounts import service
from carexport.config import get_settings
from carexport.db import UnitOfWork, default_engine
from carexport.web.app import create_app
from tests.accounts_fixtures import CHEAP_ARGON2
from tests.integration.conftest import (  # noqa: F401  (fixtures)
    engine,
    pg_url,
    sqlite_template,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def client(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:  # noqa: F811
    """The app on `engine`, with an exporter, an agency and their users, and an admin."""
    monkeypatch.setenv("CAREXPORT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    for name, value in CHEAP_ARGON2.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    default_engine.cache_clear()
    with UnitOfWork(engine) as uow:
        exporter = service.add_org(
            uow=uow, kind="exporter", name="福州出口有限公司", uscc="91350100M000100Y43"
        ).id
    with UnitOfWork(engine) as uow:
        agency = service.add_org(uow=uow, kind="agency", name="天津市商务局", region="12").id
    for username, role, org in [
        ("exporter.fz", "applicant", exporter),
        ("reviewer.tj", "reviewer", agency),
        ("root", "admin", None),
    ]:
        with UnitOfWork(engine) as uow:
            service.add_user(uow=uow, username=username, password=PASSWORD, role=role, org_id=org)
    yield TestClient(create_app())
    default_engine().dispose()
    default_engine.cache_clear()
    get_settings.cache_clear()


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_issues_a_bearer_token_for_the_right_password(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/token", json={"username": "reviewer.tj", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 8 * 3600
    assert len(body["access_token"]) >= 40


@pytest.mark.parametrize(
    ("username", "password"),
    [("reviewer.tj", "wrong password!"), ("nobody", PASSWORD), ("reviewer.tj", "")],
)
def test_answers_401_alike_for_a_wrong_password_or_username(
    client: TestClient, username: str, password: str
) -> None:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 401
    assert response.json() == {"detail": "用户名或密码错误 / wrong username or password"}


def test_answers_422_with_problems_for_a_body_without_the_fields(client: TestClient) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "reviewer.tj"})
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["problems"]] == ["body.password"]


def test_locks_a_username_after_ten_failures_whatever_the_password(client: TestClient) -> None:
    wrong = {"username": "reviewer.tj", "password": "wrong password!"}
    statuses = [client.post("/api/v1/auth/token", json=wrong).status_code for _ in range(10)]
    assert statuses == [401] * 10
    locked = client.post(
        "/api/v1/auth/token", json={"username": "reviewer.tj", "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    # Another username is not affected.
    assert login(client, "exporter.fz")


def test_me_needs_a_bearer_token(client: TestClient) -> None:
    for headers in ({}, bearer("not-a-token"), {"Authorization": "Basic cm9vdDpyb290"}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_me_shows_the_user_and_their_organisation(client: TestClient) -> None:
    me = client.get("/api/v1/me", headers=bearer(login(client, "reviewer.tj"))).json()
    assert me["username"] == "reviewer.tj"
    assert me["role"] == "reviewer"
    assert me["org"]["kind"] == "agency"
    assert me["org"]["name"] == "天津市商务局"
    assert me["org"]["region"] == "12"
    assert isinstance(me["org"]["id"], int)


def test_me_shows_no_organisation_for_admin(client: TestClient) -> None:
    me = client.get("/api/v1/me", headers=bearer(login(client, "root"))).json()
    assert (me["username"], me["role"], me["org"]) == ("root", "admin", None)


def test_logout_revokes_the_token(client: TestClient) -> None:
    token = login(client, "exporter.fz")
    assert client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_a_body_that_is_not_utf8_json_gets_422_with_problems(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/token", content=b"\xff\xfe", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"].startswith("body")


def test_an_unmigrated_store_answers_503_saying_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAREXPORT_DATABASE_URL", f"sqlite:///{tmp_path}/empty.sqlite3")
    get_settings.cache_clear()
    default_engine.cache_clear()
    try:
        app = TestClient(create_app())
        login_response = app.post("/api/v1/auth/token", json={"username": "a", "password": "b"})
        me_response = app.get("/api/v1/me", headers=bearer("whatever"))
    finally:
        default_engine().dispose()
        default_engine.cache_clear()
        get_settings.cache_clear()
    for response in (login_response, me_response):
        assert response.status_code == 503
        assert "carexport db upgrade" in response.json()["detail"]
