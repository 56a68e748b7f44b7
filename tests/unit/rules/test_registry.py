"""The registry and the parameter table: IDs, clauses, dates and versions."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from carexport.rules.catalogue import default_registry
from carexport.rules.parameters import ParameterNotInForce, default_parameters, parse_parameters
from carexport.rules.registry import LAW_2026, Registry, Rule, Scope, Section, Severity

# The repository carries a copy of the shared contract (docs/contract/), so this test
# runs, and fails when the copy is missing, on any clone.
RULES_MD = Path(__file__).resolve().parents[3] / "docs" / "contract" / "RULES.md"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
CHECKER_PREFIXES = ("N180.", "FILL.", "BAN.", "MOD.", "CREDIT.", "APP.", "DEST.")


def test_every_checker_rule_of_the_catalogue_is_registered() -> None:
    text = RULES_MD.read_text(encoding="utf-8")
    documented = {m for m in re.findall(r"\b([A-Z0-9]+\.[A-Z_0-9]+)\b", text)}
    documented = {d for d in documented if d.startswith(CHECKER_PREFIXES)}
    assert documented == set(default_registry().ids())


@pytest.mark.parametrize("rule", default_registry().all(), ids=lambda r: r.id)
def test_each_rule_cites_its_section_and_speaks_both_languages(rule: Rule) -> None:
    assert rule.clause == rule.section.clause
    assert CJK.search(rule.zh)
    assert not CJK.search(rule.en)
    assert rule.effective_from in (date(2024, 3, 1), LAW_2026)


def test_clauses_are_the_contract_citations() -> None:
    assert Section.NEAR_NEW.clause == "商贸函〔2025〕648号 一（一）"
    assert Section.MODIFIED.clause == "商贸函〔2025〕648号 二（四）、附件2"
    assert Section.CREDIT.clause == "商贸函〔2025〕648号 一（三）、附件1"
    assert Section.DESTINATION.clause == "目的国进口规定（参考）"


def test_a_new_version_of_a_rule_leaves_the_old_answer_in_place() -> None:
    old = Rule(
        id="X.DEMO",
        section=Section.APPLICATION,
        scope=Scope.APPLICATION,
        severity=Severity.FAIL,
        effective_from=date(2024, 3, 1),
        effective_to=date(2026, 12, 31),
        zh="旧",
        en="old",
    )
    new = Rule(
        id="X.DEMO",
        section=Section.APPLICATION,
        scope=Scope.APPLICATION,
        severity=Severity.WARN,
        effective_from=date(2027, 1, 1),
        zh="新",
        en="new",
    )
    registry = Registry([old, new])
    assert registry.get("X.DEMO", date(2026, 12, 31)) is old
    assert registry.get("X.DEMO", date(2027, 1, 1)) is new
    assert registry.get("X.DEMO", date(2024, 2, 29)) is None
    assert registry.latest_change(date(2027, 6, 1)) == date(2027, 1, 1)


def test_parameters_answer_the_value_in_force_on_the_day() -> None:
    table = default_parameters()
    assert table.value("n180.days", date(2026, 1, 1)) == 180
    assert table.value("app.max_vehicles", date(2024, 3, 1)) == 20
    with pytest.raises(ParameterNotInForce):
        table.value("n180.days", date(2025, 12, 31))
    assert table.latest_change(date(2025, 12, 31)) == date(2024, 3, 1)
    assert table.latest_change(date(2026, 1, 1)) == LAW_2026


def test_a_law_change_is_a_new_row_and_null_repeals() -> None:
    table = parse_parameters(
        {
            "n180.days": {
                "description": "d",
                "unit": "days",
                "values": [
                    {"from": date(2026, 1, 1), "value": 180, "reference": "648号"},
                    {"from": date(2027, 7, 1), "value": 90, "reference": "hypothetical"},
                    {"from": date(2028, 1, 1), "value": None, "reference": "repealed"},
                ],
            }
        }
    )
    assert table.value("n180.days", date(2027, 6, 30)) == 180
    assert table.value("n180.days", date(2027, 7, 1)) == 90
    with pytest.raises(ParameterNotInForce):
        table.value("n180.days", date(2028, 1, 1))


def test_every_parameter_has_a_reference() -> None:
    for parameter in default_parameters().parameters.values():
        assert parameter.values
        assert all(v.reference for v in parameter.values)
