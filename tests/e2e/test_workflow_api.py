"""The workflow's JSON API end to end (WORKFLOW.md), on SQLite and PostgreSQL: filing to
license, the exact error bodies, and the isolation matrix (401 / 404 / 403)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from carexport.accounts import service as accounts
from carexport.config import get_settings
from carexport.db import UnitOfWork, default_engine
from carexport.domain.facts import Facts
from carexport.feeds import service as feeds
from carexport.web.app import create_app
from tests.accounts_fixtures import CHEAP_ARGON2
from tests.integration.conftest import (  # noqa: F401  (fixtures)
    engine,
    pg_url,
    sqlite_template,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PASSWORD = "correct horse battery"
USERS = {
    "applicant": ("exporter", "applicant"),
    "applicant2": ("exporter2", "applicant"),
    "reviewer": ("agency", "reviewer"),
    "senior": ("agency", "senior_reviewer"),
    "other_reviewer": ("agency2", "reviewer"),
    "monitor": ("monitor", "monitor"),
    "admin": (None, "admin"),
}


def document(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / name / "application.json").read_text())
    return body


class Api:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    def headers(self, who: str | None) -> dict[str, str]:
        if who is None:
            return {}
        if who not in self.tokens:
            response = self.client.post(
                "/api/v1/auth/token", json={"username": who, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self.tokens[who] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def call(self, who: str | None, method: str, path: str, body: Any = None) -> Any:
        return self.client.request(method, f"/api/v1{path}", headers=self.headers(who), json=body)


@pytest.fixture
def api(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:  # noqa: F811
    monkeypatch.setenv("CAREXPORT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("CAREXPORT_TODAY", "2026-03-13")
    for name, value in CHEAP_ARGON2.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    default_engine.cache_clear()
    for name in ("pass", "review"):
        facts = Facts.model_validate_json((EXAMPLES / name / "facts.json").read_text())
        with UnitOfWork(engine) as uow:
            feeds.load_facts(uow=uow, facts=facts)
    orgs = {
        "exporter": ("exporter", "天津甲出口公司", document("pass")["enterprise_uscc"], None),
        "exporter2": ("exporter", "天津乙出口公司", document("review")["enterprise_uscc"], None),
        "agency": ("agency", "天津市商务局", None, "12"),
        "agency2": ("agency", "北京市商务局", None, "11"),
        "monitor": ("monitor", "商务部", None, None),
    }
    ids: dict[str, int] = {}
    with UnitOfWork(engine) as uow:
        for key, (kind, name, uscc, region) in orgs.items():
            ids[key] = accounts.add_org(uow=uow, kind=kind, name=name, uscc=uscc, region=region).id
    for username, (org, role) in USERS.items():
        with UnitOfWork(engine) as uow:
            accounts.add_user(
                uow=uow,
                username=username,
                password=PASSWORD,
                role=role,
                org_id=None if org is None else ids[org],
            )
    yield Api(TestClient(create_app(), raise_server_exceptions=False))
    default_engine().dispose()
    default_engine.cache_clear()
    get_settings.cache_clear()


def test_an_application_goes_from_draft_to_license(api: Api) -> None:
    created = api.call("applicant", "POST", "/applications", document("pass"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert {"id", "application_id", "status", "version", "verdict"} <= body.keys()
    assert (body["status"], body["version"], body["verdict"]["decision"]) == ("draft", 1, "pass")
    app = body["id"]

    submitted = api.call("applicant", "POST", f"/applications/{app}/submit", {"version": 1})
    assert submitted.status_code == 200, submitted.text
    assert (submitted.json()["status"], submitted.json()["due_on"]) == ("submitted", "2026-03-18")

    queue = api.call("reviewer", "GET", "/applications?status=submitted").json()["items"]
    assert [(i["id"], i["due_on"], i["decision"]) for i in queue] == [(app, "2026-03-18", "pass")]

    approved = api.call(
        "reviewer", "POST", f"/applications/{app}/decision", {"version": 2, "action": "approve"}
    )
    assert approved.status_code == 200, approved.text
    shown = api.call("applicant", "GET", f"/applications/{app}").json()
    assert (shown["status"], shown["license_no"]) == ("approved", "12-2026-000001")
    assert "recommended_by" not in shown  # the exporter's schema
    assert all("user_id" not in c for c in shown["changes"])

    lic = api.call("applicant", "GET", "/licenses/12-2026-000001")
    assert lic.status_code == 200, lic.text
    assert lic.json()["valid_to"] == "2026-09-12"
    assert [a["vin"] for a in lic.json()["annex"]] == [
        v["vin"] for v in document("pass")["vehicles"]
    ]

    extended = api.call(
        "reviewer",
        "POST",
        "/licenses/12-2026-000001/extend",
        {"valid_to": "2026-12-31", "reason": "船期延误"},
    )
    assert (extended.status_code, extended.json()["status"]) == (200, "extended")

    history = api.call("monitor", "GET", f"/applications/{app}/history").json()
    assert [e["verb"] for e in history] == [
        "application.create",
        "application.submit",
        "license.issued",
        "application.approved",
        "license.extended",
    ]


def test_a_stale_version_gets_409_with_the_current_status_and_version(api: Api) -> None:
    app = api.call("applicant", "POST", "/applications", document("pass")).json()["id"]
    api.call("applicant", "POST", f"/applications/{app}/submit", {"version": 1})
    stale = api.call("applicant", "POST", f"/applications/{app}/withdraw", {"version": 1})
    assert stale.status_code == 409
    assert stale.json().keys() == {"detail", "status", "version"}
    assert (stale.json()["status"], stale.json()["version"]) == ("submitted", 2)
    wrong = api.call("applicant", "POST", f"/applications/{app}/submit", {"version": 2})
    assert (wrong.status_code, wrong.json()["status"]) == (409, "submitted")


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_return_without_a_reason_is_422_with_problems(api: Api, reason: str | None) -> None:
    app = api.call("applicant", "POST", "/applications", document("pass")).json()["id"]
    api.call("applicant", "POST", f"/applications/{app}/submit", {"version": 1})
    response = api.call(
        "reviewer",
        "POST",
        f"/applications/{app}/decision",
        {"version": 2, "action": "return", "reason": reason},
    )
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "body.reason"


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        [],
        {"version": "2", "action": "approve"},
        {"version": 2, "action": "maybe"},
        {"version": 2**40, "action": "approve"},
        {"action": "approve"},
    ],
)
def test_malformed_decisions_are_422_never_500(api: Api, body: Any) -> None:
    app = api.call("applicant", "POST", "/applications", document("pass")).json()["id"]
    response = api.client.post(
        f"/api/v1/applications/{app}/decision",
        headers={**api.headers("reviewer"), "Content-Type": "application/json"},
        content=body if isinstance(body, str) else json.dumps(body),
    )
    assert response.status_code == 422, response.text
    assert "problems" in response.json()


def test_ids_out_of_range_and_unknown_licenses_are_404(api: Api) -> None:
    assert api.call("monitor", "GET", f"/applications/{2**63}").status_code in {404, 422}
    assert api.call("monitor", "GET", "/applications/0").status_code == 404
    assert api.call("monitor", "GET", "/licenses/12-2026-999999").status_code == 404


@pytest.mark.parametrize("license_no", ["12-2026-%00", "12-%01-2026", "x" * 300])
def test_license_numbers_no_store_could_hold_are_404_not_500(api: Api, license_no: str) -> None:
    assert api.call("monitor", "GET", f"/licenses/{license_no}").status_code == 404
    extend = {"valid_to": "2026-12-31", "reason": "x"}
    answer = api.call("reviewer", "POST", f"/licenses/{license_no}/extend", extend)
    assert answer.status_code == 404


def _routes(app: int, license_no: str) -> list[tuple[str, str, Any]]:
    return [
        ("GET", "/applications", None),
        ("GET", f"/applications/{app}", None),
        ("PUT", f"/applications/{app}", {"version": 9, "application": document("pass")}),
        ("POST", f"/applications/{app}/submit", {"version": 9}),
        ("POST", f"/applications/{app}/withdraw", {"version": 9}),
        (
            "POST",
            f"/applications/{app}/decision",
            {"version": 9, "action": "refuse", "reason": "x"},
        ),
        ("GET", f"/applications/{app}/history", None),
        ("GET", f"/licenses/{license_no}", None),
        ("POST", f"/licenses/{license_no}/extend", {"valid_to": "2026-12-31", "reason": "x"}),
    ]


def test_the_isolation_matrix(api: Api) -> None:
    # One approved application with its license, of exporter 1 and agency 天津.
    app = api.call("applicant", "POST", "/applications", document("pass")).json()["id"]
    api.call("applicant", "POST", f"/applications/{app}/submit", {"version": 1})
    api.call(
        "reviewer", "POST", f"/applications/{app}/decision", {"version": 2, "action": "approve"}
    )
    license_no = "12-2026-000001"
    routes = _routes(app, license_no)
    for method, path, body in routes:
        assert api.call(None, method, path, body).status_code == 401, (method, path)
    # Another exporter and another region's agency: 404 on every object route.
    for who in ("applicant2", "other_reviewer"):
        for method, path, body in routes[1:]:
            status = api.call(who, method, path, body).status_code
            assert status == 404, (who, method, path, status)
    # A role that may not take the action on an object it can see: 403.
    forbidden = [
        ("reviewer", "PUT", f"/applications/{app}"),
        ("reviewer", "POST", f"/applications/{app}/submit"),
        ("monitor", "POST", f"/applications/{app}/withdraw"),
        ("monitor", "POST", f"/applications/{app}/decision"),
        ("applicant", "POST", f"/applications/{app}/decision"),
        ("applicant", "POST", f"/licenses/{license_no}/extend"),
        ("monitor", "POST", f"/licenses/{license_no}/extend"),
    ]
    bodies = {(m, p): b for m, p, b in routes}
    for who, method, path in forbidden:
        status = api.call(who, method, path, bodies[(method, path)]).status_code
        assert status == 403, (who, method, path, status)
    # The admin sees no application data at all.
    for method, path, body in routes[:2] + routes[6:8]:
        assert api.call("admin", method, path, body).status_code == 403, (method, path)
    # An agency reviewer may not file.
    assert api.call("reviewer", "POST", "/applications", document("pass")).status_code == 403
