"""Every rule case gives the same verdict through the CLI and the API as in the library,
and together the cases produce every rule ID of RULES.md parts 1–6 and 8."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from carexport.cli import app
from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.rules.catalogue import default_registry
from carexport.rules.evaluate import evaluate
from carexport.rules.registry import Lang
from carexport.web.app import create_app
from tests.rules.scenario import build, load_cases

CASES = load_cases()


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


def _expected(app_doc: Any, facts_doc: Any, case: dict[str, Any]) -> dict[str, Any]:
    as_of = date.fromisoformat(case["as_of"]) if case.get("as_of") else None
    return evaluate(
        Application.model_validate_json(json.dumps(app_doc)),
        Facts.model_validate_json(json.dumps(facts_doc)),
        as_of=as_of,
        lang=Lang(case.get("lang", "zh")),
    ).as_json()


@pytest.mark.parametrize(("name", "case"), CASES, ids=[n for n, _ in CASES])
def test_cli_and_api_agree_with_the_library(
    name: str, case: dict[str, Any], tmp_path: Path, client: TestClient
) -> None:
    app_doc, facts_doc = build(case)
    expected = _expected(app_doc, facts_doc, case)
    (tmp_path / "APPLICATION.json").write_text(json.dumps(app_doc, ensure_ascii=False))
    (tmp_path / "FACTS.json").write_text(json.dumps(facts_doc, ensure_ascii=False))
    args = ["check", str(tmp_path / "APPLICATION.json"), "--facts", str(tmp_path / "FACTS.json")]
    if case.get("as_of"):
        args += ["--as-of", case["as_of"]]
    if case.get("lang"):
        args += ["--lang", case["lang"]]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == expected

    body = {"application": app_doc, "facts": facts_doc, "as_of": case.get("as_of")}
    body["lang"] = case.get("lang", "zh")
    response = client.post("/api/v1/check", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == expected


def test_the_cases_produce_every_rule_id() -> None:
    # Independent of the test above (no shared state, no order): a run of this test alone
    # checks the same thing as the whole file.
    produced: set[str] = set()
    for _, case in CASES:
        verdict = _expected(*build(case), case)
        produced.update(f["rule"] for v in verdict["vehicles"] for f in v["findings"])
        produced.update(f["rule"] for f in verdict["findings"])
    assert set(default_registry().ids()) - produced == set()
