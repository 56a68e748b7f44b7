"""POST /api/v1/check gives the CLI's verdict; invalid bodies get a 422 with field paths."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carexport.config import get_settings
from carexport.rules.verdict import Verdict
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


# --- hostile and messy bodies (issue 15): a 4xx with `problems`, never a 500 ---------


def example_body() -> dict[str, Any]:
    return {"application": load("application.json"), "facts": load("facts.json")}


def post_raw(client: TestClient, content: bytes, content_type: str = "application/json") -> Any:
    return client.post("/api/v1/check", content=content, headers={"content-type": content_type})


def assert_problems(response: Any, status: int = 422) -> list[dict[str, str]]:
    assert response.status_code == status, response.text
    problems: list[dict[str, str]] = response.json()["problems"]
    assert problems
    assert all(p["field"].startswith(("body", "query")) and p["reason"] for p in problems)
    return problems


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe\x00{",  # not UTF-8
        b'{"application": {"application_id": "TJ',  # truncated
        b"",
        b"{not json",
    ],
    ids=["invalid utf-8", "truncated", "empty", "garbage"],
)
def test_a_body_that_is_not_json_gets_422_with_problems(client: TestClient, content: bytes) -> None:
    [problem] = assert_problems(post_raw(client, content))
    assert problem["field"] == "body"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_infinity_and_huge_numbers_get_422_naming_the_field(
    client: TestClient, number: str
) -> None:
    text = json.dumps(example_body(), ensure_ascii=False)
    text = text.replace('"export_transfer_count": 1', f'"export_transfer_count": {number}', 1)
    problems = assert_problems(post_raw(client, text.encode()))
    assert [p["field"] for p in problems] == ["body.facts.registrations[0].export_transfer_count"]


def test_a_lone_surrogate_gets_422(client: TestClient) -> None:
    text = json.dumps(example_body()).replace('"TJ-2026-000123"', '"\\ud800"', 1)
    problems = assert_problems(post_raw(client, text.encode()))
    assert problems[0]["field"] == "body.application.application_id"


def test_a_nul_in_a_vin_is_an_input_problem_named_by_field(client: TestClient) -> None:
    body = example_body()
    body["application"]["vehicles"][0]["vin"] = "LGXCE4CB8P0123456\x00"
    problems = assert_problems(client.post("/api/v1/check", json=body))
    assert [p["field"] for p in problems] == ["body.application.vehicles[0].vin"]
    assert "NUL" in problems[0]["reason"]


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", b"hello"),
        ("application/x-www-form-urlencoded", b"application=x"),
        ("multipart/form-data; boundary=x", b"--x--"),
        ("text/plain", json.dumps({"application": {}}).encode()),
    ],
)
def test_a_body_that_is_not_declared_json_gets_415(
    client: TestClient, content_type: str, content: bytes
) -> None:
    assert_problems(post_raw(client, content, content_type), status=415)


def test_a_json_body_with_charset_is_json(client: TestClient) -> None:
    content = json.dumps(example_body()).encode()
    response = post_raw(client, content, "application/json; charset=utf-8")
    assert response.status_code == 200, response.text


def test_a_byte_order_mark_is_accepted(client: TestClient) -> None:
    content = b"\xef\xbb\xbf" + json.dumps(example_body(), ensure_ascii=False).encode()
    assert post_raw(client, content).json() == load("verdict.json")


def test_duplicate_keys_are_refused(client: TestClient) -> None:
    text = json.dumps(example_body(), ensure_ascii=False).replace(
        '"destination_country": "KZ"', '"destination_country": "KZ", "destination_country": "RU"', 1
    )
    problems = assert_problems(post_raw(client, text.encode()))
    assert [p["field"] for p in problems] == ["body.application.destination_country"]
    assert problems[0]["type"] == "duplicate_key"


@pytest.mark.parametrize("depth", [100, 100_000])
def test_nesting_beyond_the_limit_is_refused_cleanly(client: TestClient, depth: int) -> None:
    body = json.dumps(example_body())[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}"
    problems = assert_problems(post_raw(client, body.encode()))
    assert "nested deeper" in problems[0]["reason"]


@pytest.mark.parametrize("also_missing", [None, "submitted_on"])
def test_a_10_mb_vin_gets_a_small_answer(client: TestClient, also_missing: str | None) -> None:
    body = example_body()
    body["application"]["vehicles"][0]["vin"] = "L" * 10_000_000
    if also_missing:  # a 422 that used to echo the whole application back
        del body["application"][also_missing]
    response = client.post("/api/v1/check", json=body)
    problems = assert_problems(response)
    assert len(response.content) < 5_000
    assert {"field": "body.application.vehicles[0].vin", "reason": "longer than 10000 characters",
            "type": "too_long"} in problems  # fmt: skip


def test_the_verdict_is_what_the_openapi_response_model_says(client: TestClient) -> None:
    answer = client.post("/api/v1/check", json=example_body()).json()
    assert Verdict.model_validate(answer).as_json() == answer


def test_a_huge_value_in_the_wrong_place_is_truncated_in_the_answer(client: TestClient) -> None:
    body = example_body()
    body["application"]["vehicles"][0]["vin"] = {"k" * 1_000_000: 1}
    response = client.post("/api/v1/check", json=body)
    assert_problems(response)
    assert len(response.content) < 5_000


def test_a_negative_transfer_count_is_refused(client: TestClient) -> None:
    body = example_body()
    body["facts"]["registrations"][0]["export_transfer_count"] = -5
    problems = assert_problems(client.post("/api/v1/check", json=body))
    assert [p["field"] for p in problems] == ["body.facts.registrations[0].export_transfer_count"]


@pytest.mark.parametrize("value", [0, 86400, 1767225600, "0001-01-01", "9999-12-31", "1949-12-31"])
def test_timestamps_and_implausible_dates_are_not_dates(client: TestClient, value: Any) -> None:
    body = example_body()
    body["application"]["vehicles"][0]["registration_date"] = value
    problems = assert_problems(client.post("/api/v1/check", json=body))
    assert [p["field"] for p in problems] == ["body.application.vehicles[0].registration_date"]


def test_plausible_dates_at_the_edges_are_dates(client: TestClient) -> None:
    body = example_body()
    body["facts"]["registrations"][0]["scrap_due_date"] = "2099-12-31"
    body["application"]["vehicles"][1]["registration_date"] = "1950-01-01"
    assert client.post("/api/v1/check", json=body).status_code == 200


def test_an_unknown_lang_in_the_query_gets_422(client: TestClient) -> None:
    response = client.post("/api/v1/check?lang=fr", json=example_body())
    [problem] = assert_problems(response)
    assert problem["field"] == "query.lang"


def test_the_query_lang_overrides_the_body(client: TestClient) -> None:
    body = {**example_body(), "lang": "zh"}
    verdict = client.post("/api/v1/check?lang=en", json=body).json()
    messages = [f["message"] for v in verdict["vehicles"] for f in v["findings"]]
    assert messages
    assert all(m.isascii() for m in messages)


def test_the_openapi_documents_every_answer_and_the_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/check"]["post"]
    assert {"200", "413", "415", "422"} <= set(operation["responses"])
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/CheckRequest"}
    components = spec["components"]["schemas"]
    assert {"CheckRequest", "Application", "Facts", "Verdict", "ErrorBody"} <= set(components)


# --- the body limit (Settings.max_body_bytes) ------------------------------------------


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("CAREXPORT_MAX_BODY_BYTES", "2000")
    get_settings.cache_clear()
    try:
        yield TestClient(create_app())
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_a_body_over_the_limit_gets_413(small_limit: TestClient) -> None:
    response = post_raw(small_limit, b"[" + b"1," * 2000 + b"1]")
    [problem] = assert_problems(response, status=413)
    assert "2000 bytes" in problem["reason"]


def test_a_chunked_body_over_the_limit_gets_413(small_limit: TestClient) -> None:
    chunks = (b" " * 500 for _ in range(10))  # no Content-Length: counted as it arrives
    response = small_limit.post(
        "/api/v1/check", content=chunks, headers={"content-type": "application/json"}
    )
    assert_problems(response, status=413)


def test_a_body_under_the_limit_is_checked(small_limit: TestClient) -> None:
    response = post_raw(small_limit, b"{}")
    assert [p["field"] for p in assert_problems(response)] == ["body.application"]
