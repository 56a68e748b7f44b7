"""A confirmation's PDF for its issuer: GET /confirmations/{number}.pdf (page session) and
GET /api/v1/confirmations/{number}/document.pdf (token). The signed JSON rides inside the
PDF and `carexport verify` accepts it; other roles 403, another manufacturer 404."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine

from tests.e2e.pages_support import (
    PASSWORD,
    World,
    add_org,
    add_user,
    csrf_token,
    login,
    make_client,
    uscc,
)
from tests.e2e.test_confirmation_pages import VIN, add_kz_outlet, issuer_client
from tests.e2e.test_confirmation_pages import maker as maker  # the fixture, by name

BASE_URL = "https://verify.example.cn"


@pytest.fixture(autouse=True)
def base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREXPORT_PUBLIC_BASE_URL", BASE_URL)


def issued(world: World) -> tuple[TestClient, str]:
    """The issuer's logged-in client and the number of a confirmation it issued for VIN."""
    client, token = issuer_client(world)
    add_kz_outlet(client, token)
    outlet = re.search(r'name="outlet_ids" value="(\d+)"', client.get("/confirmations/new").text)
    assert outlet is not None
    response = client.post(
        "/confirmations/new",
        data={"csrf_token": token, "vins": VIN, "destination_country": "KZ",
              "outlet_ids": [outlet.group(1)]},
    )  # fmt: skip
    assert response.status_code == 303, response.text
    number = response.headers["location"].rsplit("/", 1)[-1]
    assert number.startswith("CF-2026-"), number
    return client, number


def test_the_detail_page_links_the_pdf_and_the_verification(maker: World) -> None:
    client, number = issued(maker)
    page = client.get(f"/confirmations/{number}").text
    assert f'href="/confirmations/{number}.pdf"' in page
    assert f'href="/verify/{number}"' in page


def test_the_issuer_downloads_a_pdf_that_carexport_verify_accepts(
    maker: World, pages_engine: Engine, tmp_path: Path
) -> None:
    client, number = issued(maker)
    response = client.get(f"/confirmations/{number}.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert f'filename="{number}.pdf"' in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF-")

    path = tmp_path / f"{number}.pdf"
    path.write_bytes(response.content)
    run = subprocess.run(
        [sys.executable, "-m", "carexport", "verify", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "CAREXPORT_DATABASE_URL": pages_engine.url.render_as_string(hide_password=False),
        },
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("genuine:"), run.stdout
    assert number in run.stdout


def test_the_api_gives_the_same_pdf_to_the_issuer_only(maker: World) -> None:
    _, number = issued(maker)
    api = make_client()

    def headers(username: str) -> dict[str, str]:
        answer = api.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    own = api.get(f"/api/v1/confirmations/{number}/document.pdf", headers=headers(maker.issuer))
    assert own.status_code == 200
    assert own.headers["content-type"] == "application/pdf"
    other = api.get(
        f"/api/v1/confirmations/{number}/document.pdf", headers=headers(maker.applicant)
    )
    assert other.status_code == 403
    assert api.get(f"/api/v1/confirmations/{number}/document.pdf").status_code == 401


def test_other_roles_get_403_and_another_manufacturer_404(
    maker: World, pages_engine: Engine
) -> None:
    _, number = issued(maker)
    for username in (maker.applicant, maker.reviewer, maker.monitor):
        client = login(make_client(), username)
        assert client.get(f"/confirmations/{number}.pdf").status_code == 403, username

    rival = add_org(pages_engine, "manufacturer", "上海汽车制造有限公司", uscc=uscc(9))
    add_user(pages_engine, "rival.issuer", "issuer", rival)
    rival_client = login(make_client(), "rival.issuer")
    assert rival_client.get(f"/confirmations/{number}.pdf").status_code == 404
    assert rival_client.get("/confirmations/CF-2026-999999.pdf").status_code == 404


def test_a_revoked_confirmation_downloads_with_the_signed_revocation_inside(
    maker: World,
) -> None:
    client, number = issued(maker)
    token = csrf_token(client, f"/confirmations/{number}")
    revoked = client.post(
        f"/confirmations/{number}/revoke", data={"csrf_token": token, "reason": "录入错误"}
    )
    assert revoked.status_code == 303
    response = client.get(f"/confirmations/{number}.pdf")
    assert response.status_code == 200
    [attachment] = PdfReader(io.BytesIO(response.content)).attachments.items()
    name, [data] = attachment
    document = json.loads(data)
    assert name == f"{number}.json"
    assert document["id"] == number
    assert document["revoked"] is True
