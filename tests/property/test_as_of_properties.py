"""Any as-of date gives a verdict, through the CLI and the API alike (issue 14).

A day before the first rule is in force used to crash with ParameterNotInForce (a rule
not in force read its parameter). Every rule case, on any day from 2020 to 2030: exit 0
and a verdict, never a traceback; the API gives the same verdict with 200.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from carexport.cli import app
from carexport.rules.registry import LAW_2024, Lang
from carexport.web.app import create_app
from tests.rules.scenario import build, load_cases

CASES = load_cases()
DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
# Each example runs the CLI and the API once: bounded so that `make test` stays quick.
EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, Any]]:
    """Each rule case's documents, written once."""
    out = {}
    root = tmp_path_factory.mktemp("cases")
    for n, (name, case) in enumerate(CASES):
        app_doc, facts_doc = build(case)
        app_file, facts_file = root / f"{n}-APPLICATION.json", root / f"{n}-FACTS.json"
        app_file.write_text(json.dumps(app_doc, ensure_ascii=False), encoding="utf-8")
        facts_file.write_text(json.dumps(facts_doc, ensure_ascii=False), encoding="utf-8")
        out[name] = (app_file, facts_file, (app_doc, facts_doc))
    return out


def _assert_is_a_verdict(verdict: dict[str, Any], day: date) -> None:
    assert verdict["as_of"] == day.isoformat()
    assert verdict["decision"] in {"pass", "review", "fail"}
    top = {f["rule"] for f in verdict["findings"]}
    # Before the first rule is in force the verdict says it checked nothing.
    assert ("SYSTEM.NO_RULES_IN_FORCE" in top) == (day < LAW_2024)
    if day < LAW_2024:
        assert verdict["rules_version"] is None
        assert verdict["decision"] == "pass"


@EXAMPLES
@given(name=st.sampled_from([n for n, _ in CASES]), day=DAYS, lang=st.sampled_from(Lang))
def test_every_as_of_date_gives_a_verdict_on_the_cli_and_the_api(
    documents: dict[str, tuple[Path, Path, Any]],
    client: TestClient,
    name: str,
    day: date,
    lang: Lang,
) -> None:
    app_file, facts_file, (app_doc, facts_doc) = documents[name]
    args = ["check", str(app_file), "--facts", str(facts_file), "--as-of", day.isoformat()]
    result = CliRunner().invoke(app, [*args, "--lang", lang.value])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Traceback" not in result.output
    verdict = json.loads(result.stdout)
    _assert_is_a_verdict(verdict, day)

    body = {"application": app_doc, "facts": facts_doc, "as_of": day.isoformat(), "lang": lang}
    response = client.post("/api/v1/check", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == verdict


@pytest.mark.parametrize("day", ["2024-02-29", "2020-01-01", "2024-03-01", "2025-12-31"])
def test_the_days_around_the_first_law_give_a_verdict(
    documents: dict[str, tuple[Path, Path, Any]], day: str
) -> None:
    # The exact input of issue 14: a vehicle with a scrap date, as of 2024-02-29.
    app_file, facts_file, _ = documents[CASES[0][0]]
    result = CliRunner().invoke(
        app, ["check", str(app_file), "--facts", str(facts_file), "--as-of", day]
    )
    assert result.exit_code == 0, result.output
    _assert_is_a_verdict(json.loads(result.stdout), date.fromisoformat(day))
