"""POST /api/v1/check gives the CLI's verdict; invalid bodies get a 422 with field paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carexport.web.app import create_app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


def test_returns_the_same_verdict_as_the_cli(client: TestClient) -> None:
    body = {"application": load("application.json"), "facts": load("facts.json")}
    response = client.post("/api/v1/check", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == load("verdict.json")


def test_honours_as_of_and_lang(client: TestClient) -> None:
    body = {
        "application": load("application.json"),
        "facts": load("facts.json"),
        "as_of": "2025-12-31",
        "lang": "en",
    }
    verdict = client.post("/api/v1/check", json=body).json()
    assert verdict["as_of"] == "2025-12-31"
    assert verdict["rules_version"] == "2024-03-01"


def test_refuses_an_invalid_body_with_field_paths(client: TestClient) -> None:
    app = load("application.json")
    app["vehicles"][0]["registration_date"] = "not a date"
    del app["submitted_on"]
    response = client.post("/api/v1/check", json={"application": app, "facts": load("facts.json")})
    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["problems"]}
    assert "body.application.vehicles[0].registration_date" in fields
    assert "body.application.submitted_on" in fields


def test_refuses_a_wrong_type_in_facts(client: TestClient) -> None:
    body = {
        "application": load("application.json"),
        "facts": {"registrations": [{"vin": "X", "export_transfer_count": "two"}]},
    }
    response = client.post("/api/v1/check", json=body)
    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["problems"]}
    assert "body.facts.registrations[0].export_transfer_count" in fields


def test_documents_the_check_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/check" in spec["paths"]
    assert "post" in spec["paths"]["/api/v1/check"]


def test_home_page_points_to_the_api(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "/docs" in page.text
    assert "二手车出口许可" in page.text
