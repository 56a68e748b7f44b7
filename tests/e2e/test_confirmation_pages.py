"""The manufacturer's pages and the confirmations API over HTTP (SQLite and PostgreSQL):
outlets, issue with outlet checkboxes, refusals shown beside their fields, batch upload
with a row report, list, revoke; the same through /api/v1/confirmations."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from carexport import clock
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.documents import keys
from carexport.domain.facts import Facts
from carexport.feeds import service as feeds
from tests.e2e.pages_support import PASSWORD, World, csrf_token, login, make_client, uscc
from tests.keys_fixtures import DEV_KEK

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
VIN = "LGXCE4CB3P0123789"  # 比亚迪, registered 2026-01-20
CHERY_VIN = "LVVDB11B9PD200045"


@pytest.fixture
def maker(world: World, pages_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> World:
    """The world's manufacturer as 比亚迪's Announcement manufacturer, with a key."""
    monkeypatch.setattr(clock, "today", lambda at=None: date(2026, 3, 5))
    monkeypatch.setenv("CAREXPORT_KEY_ENCRYPTION_KEY", DEV_KEK)
    get_settings.cache_clear()
    data: dict[str, Any] = json.loads((EXAMPLES / "pass" / "facts.json").read_text())
    data["manufacturers"][0]["uscc"] = uscc(3)
    with UnitOfWork(pages_engine) as uow:
        feeds.load_facts(uow=uow, facts=Facts.model_validate(data))
    with UnitOfWork(pages_engine) as uow:
        keys.generate_key(
            uow=uow, org_id=world.manufacturer_org, valid_from=date(2026, 1, 1), by=None
        )
    return world


def issuer_client(world: World) -> tuple[TestClient, str]:
    client = login(make_client(), world.issuer)
    return client, csrf_token(client, "/outlets")


def add_kz_outlet(client: TestClient, token: str) -> None:
    response = client.post(
        "/outlets",
        data={
            "csrf_token": token, "name": "BYD Almaty Service Center", "country": "KZ",
            "city": "Almaty", "address": "Al-Farabi Ave 77", "phone": "+7 727 000 0000",
            "services": ["repair", "parts"],
        },
    )  # fmt: skip
    assert response.status_code == 303, response.text


def test_an_issuer_lands_on_confirmations_and_sees_its_nav(maker: World) -> None:
    client = login(make_client(), maker.issuer)
    page = client.get("/confirmations")
    assert page.status_code == 200
    for href in ('href="/outlets"', 'href="/confirmations/new"', 'href="/confirmations/batch"'):
        assert href in page.text


def test_other_roles_may_not_use_the_issuer_pages(maker: World) -> None:
    client = login(make_client(), maker.applicant)
    assert client.get("/confirmations").status_code == 403
    assert client.get("/outlets").status_code == 403


def test_adds_an_outlet_and_shows_a_bad_country_beside_its_field(maker: World) -> None:
    client, token = issuer_client(maker)
    bad = client.post("/outlets", data={"csrf_token": token, "name": "X", "country": "ZZ"})
    assert bad.status_code == 422
    assert 'id="country-error"' in bad.text
    add_kz_outlet(client, token)
    page = client.get("/outlets")
    assert "BYD Almaty Service Center" in page.text
    assert "维修" in page.text


def test_issues_a_confirmation_choosing_outlets_then_revokes_it(maker: World) -> None:
    client, token = issuer_client(maker)
    add_kz_outlet(client, token)
    form = client.get("/confirmations/new")
    found = re.search(r'name="outlet_ids" value="(\d+)"', form.text)
    assert found, form.text
    fragment = client.get(
        "/confirmations/new?destination_country=KZ", headers={"HX-Request": "true"}
    )
    assert fragment.text.lstrip().startswith('<fieldset id="outlet-choices"')
    issued = client.post(
        "/confirmations/new",
        data={"csrf_token": token, "vins": VIN, "destination_country": "KZ",
              "outlet_ids": [found.group(1)]},
    )  # fmt: skip
    assert issued.status_code == 303, issued.text
    assert issued.headers["location"] == "/confirmations/CF-2026-000001"
    detail = client.get("/confirmations/CF-2026-000001")
    assert VIN in detail.text
    assert "&#34;signature&#34;" in detail.text  # the signed JSON, escaped
    assert "CF-2026-000001" in client.get("/confirmations").text
    revoked = client.post(
        "/confirmations/CF-2026-000001/revoke", data={"csrf_token": token, "reason": "录入错误"}
    )
    assert revoked.status_code == 303
    assert "录入错误" in client.get("/confirmations/CF-2026-000001").text


def test_a_refusal_says_why_on_the_form(maker: World) -> None:
    client, token = issuer_client(maker)
    add_kz_outlet(client, token)
    refused = client.post(
        "/confirmations/new",
        data={"csrf_token": token, "vins": CHERY_VIN, "destination_country": "KZ"},
    )
    assert refused.status_code == 422
    assert "奇瑞" in refused.text
    refused = client.post(
        "/confirmations/new?lang=en",
        data={"csrf_token": token, "vins": VIN, "destination_country": "UZ"},
    )
    assert refused.status_code == 422


def test_a_batch_upload_reports_each_row(maker: World) -> None:
    client, token = issuer_client(maker)
    add_kz_outlet(client, token)
    csv = f"车辆识别代号,目的国\n{VIN},KZ\n{CHERY_VIN},KZ\n{VIN},\n".encode()
    response = client.post(
        "/confirmations/batch",
        data={"csrf_token": token},
        files={"file": ("batch.csv", csv, "text/csv")},
    )
    assert response.status_code == 200, response.text
    assert "CF-2026-000001" in response.text
    assert "奇瑞" in response.text  # row 3
    rows = re.findall(r'<td class="num">(\d+)</td>', response.text)
    assert rows == ["2", "3", "4"]


def test_the_api_issues_reads_and_revokes(maker: World) -> None:
    client, token = issuer_client(maker)
    add_kz_outlet(client, token)
    api = make_client()
    bearer = api.post("/api/v1/auth/token", json={"username": maker.issuer, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {bearer.json()['access_token']}"}
    created = api.post(
        "/api/v1/confirmations", json={"vin": VIN, "destination_country": "KZ"}, headers=headers
    )
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    assert created.json()["document"]["outlets"][0]["country"] == "KZ"
    refused = api.post(
        "/api/v1/confirmations", json={"vin": VIN, "destination_country": "UZ"}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["type"] == "no_outlet_in_destination"
    assert api.get(f"/api/v1/confirmations/{number}", headers=headers).status_code == 200
    revoked = api.post(
        f"/api/v1/confirmations/{number}/revoke", json={"reason": "错误"}, headers=headers
    )
    assert revoked.json()["document"]["revoked"] is True
    other = api.post("/api/v1/auth/token", json={"username": maker.applicant, "password": PASSWORD})
    other_headers = {"Authorization": f"Bearer {other.json()['access_token']}"}
    assert api.get(f"/api/v1/confirmations/{number}", headers=other_headers).status_code == 403
    assert api.get(f"/api/v1/confirmations/{number}").status_code == 401
