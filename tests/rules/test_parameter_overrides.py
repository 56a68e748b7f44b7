"""What-if parameters: `--set n180.days=365` as a table that answers 365 on every day."""

from __future__ import annotations

from datetime import date

import pytest

from carexport.rules.bulk import UnvectorisedRule, evaluate_frame
from carexport.rules.frame import empty_frame
from carexport.rules.parameters import (
    InvalidParameters,
    ParameterNotInForce,
    UnknownParameter,
    default_parameters,
)
from carexport.rules.registry import LAW_2026, Registry, Rule, Scope, Section, Severity


def test_an_override_answers_on_every_day_the_parameter_has_a_value() -> None:
    base = default_parameters()
    table = base.with_overrides(base.parse_overrides(["n180.days=365"]))
    assert table.value("n180.days", date(2026, 1, 1)) == 365
    assert table.value("n180.days", date(2030, 6, 1)) == 365
    assert base.value("n180.days", date(2026, 1, 1)) == 180  # the original is untouched
    assert table.value("ban.scrap_margin_days", date(2026, 1, 1)) == 365


def test_an_override_does_not_bring_a_parameter_into_force_before_its_first_day() -> None:
    table = default_parameters().with_overrides({"n180.days": 365})
    with pytest.raises(ParameterNotInForce):
        table.value("n180.days", date(2025, 12, 31))


def test_overrides_are_typed_by_the_parameters_unit() -> None:
    parsed = default_parameters().parse_overrides(
        ["n180.transition_before=2026-03-01", "mod.capacity_ratio=1.5", " n180.days = 200 "]
    )
    assert parsed == {
        "n180.transition_before": date(2026, 3, 1),
        "mod.capacity_ratio": 1.5,
        "n180.days": 200,
    }


@pytest.mark.parametrize(
    "setting", ["n180.days", "n180.days=", "=3", "n180.days=many", "n180.transition_before=5"]
)
def test_refuses_a_malformed_setting(setting: str) -> None:
    with pytest.raises(InvalidParameters):
        default_parameters().parse_overrides([setting])


def test_refuses_an_unknown_parameter_and_names_the_known_ones() -> None:
    with pytest.raises(UnknownParameter) as caught:
        default_parameters().parse_overrides(["n181.days=3"])
    assert "n180.days" in caught.value.known


def test_refuses_a_value_that_does_not_fit_the_unit() -> None:
    with pytest.raises(InvalidParameters):
        default_parameters().with_overrides({"n180.days": date(2026, 1, 1)})


def test_a_vehicle_rule_without_a_column_condition_stops_the_bulk_evaluator() -> None:
    new_rule = Rule(
        id="N180.SOMETHING_NEW",
        section=Section.NEAR_NEW,
        scope=Scope.VEHICLE,
        severity=Severity.FAIL,
        effective_from=LAW_2026,
        zh="新规则",
        en="a new rule",
    )
    with pytest.raises(UnvectorisedRule, match=r"N180\.SOMETHING_NEW"):
        evaluate_frame(empty_frame(), registry=Registry([new_rule]))


def test_an_empty_frame_gives_no_lines() -> None:
    assert evaluate_frame(empty_frame()).lines.height == 0
