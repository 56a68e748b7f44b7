"""parameters.yaml is validated by its Pydantic model, and every rule finds its parameters."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from importlib import resources
from typing import Any

import pytest
import yaml

from carexport.rules.catalogue import default_registry
from carexport.rules.parameters import InvalidParameters, default_parameters, parse_parameters


def shipped() -> dict[str, Any]:
    text = resources.files("carexport.rules").joinpath("parameters/parameters.yaml").read_text()
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def test_the_shipped_table_is_valid() -> None:
    table = default_parameters()
    assert table.value("n180.days", date(2026, 3, 10)) == 180
    assert table.value("n180.transition_before", date(2026, 3, 10)) == date(2026, 1, 1)
    assert table.value("mod.capacity_ratio", date(2026, 3, 10)) == 1.0


def _broken(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(shipped())
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["n180.days"]["values"][0].update({"from": "2026-01-01"}), "from"),
        (lambda d: d["n180.days"]["values"][0].update({"value": "180"}), "value"),
        (lambda d: d["n180.days"]["values"][0].update({"value": True}), "value"),
        (lambda d: d["n180.days"]["values"][0].pop("reference"), "reference"),
        (lambda d: d["n180.days"]["values"][0].update({"refrence": "typo"}), "refrence"),
        (lambda d: d["n180.days"].pop("unit"), "unit"),
        (lambda d: d["n180.days"].update({"values": []}), "values"),
        (lambda d: d["n180.days"]["values"].append(dict(d["n180.days"]["values"][0])), "same day"),
        (lambda d: d["n180.transition_before"]["values"][0].update({"value": 5}), "unit"),
        (lambda d: d["n180.days"]["values"][0].update({"value": date(2026, 1, 1)}), "unit"),
        (lambda d: d.update({"N180 Days": d["n180.days"]}), "N180 Days"),
    ],
    ids=[
        "date as text",
        "number as text",
        "boolean",
        "no reference",
        "misspelt key",
        "no unit",
        "no values",
        "two values on one day",
        "number for a date unit",
        "date for a number unit",
        "bad name",
    ],
)
def test_refuses_a_malformed_table_naming_the_place(change: Any, where: str) -> None:
    with pytest.raises(InvalidParameters) as refused:
        parse_parameters(_broken(change))
    assert where in str(refused.value)


def test_a_null_value_repeals_a_parameter() -> None:
    document = shipped()
    document["n180.days"]["values"].append(
        {"from": date(2030, 1, 1), "value": None, "reference": "repeal"}
    )
    table = parse_parameters(document)
    assert table.parameters["n180.days"].at(date(2030, 1, 2)).value is None  # type: ignore[union-attr]


def _days_that_matter(start: date) -> list[date]:
    """The rule's first day and every parameter change after it (and the day before)."""
    changes = {
        v.effective_from
        for p in default_parameters().parameters.values()
        for v in p.values
        if v.effective_from >= start
    }
    return sorted({start} | changes | {d - timedelta(days=1) for d in changes if d > start})


def test_every_rule_in_force_finds_a_value_for_each_parameter_it_declares() -> None:
    # The registry and the table are separate data: this holds them together, so that a
    # rule never asks for a parameter on a day the table has none (ParameterNotInForce).
    table = default_parameters()
    for rule in default_registry().all():
        for name in rule.parameters:
            assert name in table.parameters, (rule.id, name)
            for day in _days_that_matter(rule.effective_from):
                if rule.in_force(day):
                    assert table.value(name, day) is not None, (rule.id, name, day)
