"""The versioned parameter table: every number the law sets, with its date and source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class ParameterValue:
    effective_from: date
    value: Any  # int, float or date; None repeals the parameter
    reference: str


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    unit: str
    values: tuple[ParameterValue, ...]  # sorted by effective_from

    def at(self, as_of: date) -> ParameterValue | None:
        """The value in force on `as_of`, or None before the first one."""
        current = None
        for candidate in self.values:
            if candidate.effective_from <= as_of:
                current = candidate
        return current


class ParameterNotInForce(LookupError):
    """A rule asked for a parameter that has no value on that day: a registry bug."""


@dataclass(frozen=True)
class ParameterTable:
    parameters: dict[str, Parameter]

    def value(self, name: str, as_of: date) -> Any:
        found = self.parameters[name].at(as_of)
        if found is None or found.value is None:
            raise ParameterNotInForce(f"parameter {name} has no value on {as_of.isoformat()}")
        return found.value

    def latest_change(self, as_of: date) -> date | None:
        """The latest effective_from among values in force on `as_of` (for rules_version)."""
        dates = [
            v.effective_from
            for p in self.parameters.values()
            if (v := p.at(as_of)) is not None and v.value is not None
        ]
        return max(dates, default=None)


def _as_date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    raise ValueError(f"{where}: expected a YYYY-MM-DD date, got {value!r}")


def parse_parameters(document: dict[str, Any]) -> ParameterTable:
    table: dict[str, Parameter] = {}
    for name, body in document.items():
        values = tuple(
            sorted(
                (
                    ParameterValue(
                        effective_from=_as_date(v["from"], f"{name}.from"),
                        value=v["value"],
                        reference=str(v["reference"]),
                    )
                    for v in body["values"]
                ),
                key=lambda v: v.effective_from,
            )
        )
        table[name] = Parameter(
            name=name, description=str(body["description"]), unit=str(body["unit"]), values=values
        )
    return ParameterTable(table)


@cache
def default_parameters() -> ParameterTable:
    """The table shipped with the package (read once; it is data, not state)."""
    text = resources.files("carexport.rules").joinpath("parameters/parameters.yaml").read_text()
    return parse_parameters(yaml.safe_load(text))
