"""Run every YAML rule case in tests/rules/cases through the checker."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest

from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.rules.evaluate import evaluate
from carexport.rules.registry import Lang
from tests.rules.scenario import build, load_cases

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _check(case: dict[str, Any]) -> dict[str, Any]:
    app_doc, facts_doc = build(case)
    # Through JSON, as the CLI reads them: the seal covers the JSON object.
    application = Application.model_validate_json(json.dumps(app_doc, ensure_ascii=False))
    facts = Facts.model_validate_json(json.dumps(facts_doc, ensure_ascii=False))
    as_of = date.fromisoformat(case["as_of"]) if case.get("as_of") else None
    return evaluate(application, facts, as_of=as_of, lang=Lang(case.get("lang", "zh"))).as_json()


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _subset(v, actual[k]) for k, v in expected.items()
        )
    return bool(expected == actual)


@pytest.mark.parametrize(("name", "case"), load_cases(), ids=[n for n, _ in load_cases()])
def test_rule_case(name: str, case: dict[str, Any]) -> None:
    verdict = _check(case)
    expect = case["expect"]
    vehicle_ids = [sorted(f["rule"] for f in v["findings"]) for v in verdict["vehicles"]]
    top_ids = sorted(f["rule"] for f in verdict["findings"])
    if "vehicle" in expect:
        assert vehicle_ids[0] == sorted(expect["vehicle"]), verdict
    if "vehicles" in expect:
        assert vehicle_ids == [sorted(v) for v in expect["vehicles"]], verdict
    assert top_ids == sorted(expect.get("application", [])), verdict
    if "decision" in expect:
        assert verdict["decision"] == expect["decision"], verdict
    if "vehicle_decision" in expect:
        assert verdict["vehicles"][0]["decision"] == expect["vehicle_decision"]
    if "remove_vins" in expect:
        assert verdict["to_pass"]["remove_vins"] == expect["remove_vins"]
    if "rules_version" in expect:
        assert verdict["rules_version"] == expect["rules_version"]
    findings = {f["rule"]: f for v in verdict["vehicles"] for f in v["findings"]}
    findings |= {f["rule"]: f for f in verdict["findings"]}
    for rule_id, facts in (expect.get("facts") or {}).items():
        assert _subset(facts, findings[rule_id]["facts"]), findings[rule_id]
    for finding in findings.values():
        assert finding["clause"], finding
        if expect.get("english"):
            assert not CJK.search(finding["message"]), finding["message"]
