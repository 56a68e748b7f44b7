"""A day with no rule in force says so in the verdict (issue 15, decision 0013)."""

from __future__ import annotations

import re
from datetime import date

from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.rules.evaluate import evaluate
from carexport.rules.registry import LAW_2024, Lang
from tests.rules.scenario import build

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def seized_vehicle() -> tuple[Application, Facts]:
    app_doc, facts_doc = build(
        {"set": {"facts.registrations[0].status": "G", "facts.registrations[0].mortgaged": True}}
    )
    return Application.model_validate(app_doc), Facts.model_validate(facts_doc)


def test_a_seized_vehicle_on_a_day_without_rules_is_not_a_clean_bill() -> None:
    application, facts = seized_vehicle()
    verdict = evaluate(application, facts, as_of=date(2020, 1, 1)).as_json()
    assert verdict["decision"] == "pass"  # no rule in force can fail it …
    assert verdict["rules_version"] is None
    [finding] = verdict["findings"]  # … and the verdict says nothing was checked
    assert finding["rule"] == "SYSTEM.NO_RULES_IN_FORCE"
    assert finding["severity"] == "warn"
    assert finding["clause"]
    assert finding["facts"] == {"as_of": "2020-01-01", "next_rule_in_force": "2024-03-01"}
    assert "2020-01-01" in finding["message"]
    assert "不是合规结论" in finding["message"]
    assert verdict["vehicles"][0]["findings"] == []


def test_the_warning_reads_in_english_without_chinese() -> None:
    application, facts = seized_vehicle()
    verdict = evaluate(application, facts, as_of=date(2020, 1, 1), lang=Lang.EN)
    [finding] = verdict.findings
    assert "not a clearance" in finding.message
    assert not CJK.search(finding.message)


def test_from_the_first_law_the_rules_speak_and_the_warning_is_gone() -> None:
    application, facts = seized_vehicle()
    verdict = evaluate(application, facts, as_of=LAW_2024).as_json()
    assert verdict["decision"] == "fail"
    assert "SYSTEM.NO_RULES_IN_FORCE" not in {f["rule"] for f in verdict["findings"]}
    rules = {f["rule"] for f in verdict["vehicles"][0]["findings"]}
    assert {"BAN.STATUS", "BAN.MORTGAGED"} <= rules
