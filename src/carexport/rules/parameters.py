"""The versioned parameter table: every number the law sets, with its date and source.

parameters.yaml is validated by a Pydantic model (`ParametersFile`) before it is used, so
a mistyped date, a missing reference or a stray key stops the checker at start-up with
the line to fix, instead of giving a wrong verdict later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from importlib import resources
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    ValidationError,
    model_validator,
)

from carexport.errors import CarexportError


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

    def with_overrides(self, overrides: Mapping[str, Any]) -> ParameterTable:
        """The table with each named parameter set to a value on every day it has one
        (a what-if: "were n180.days 365"); its dates, repeals and other parameters stay.
        Raises UnknownParameter for a name the table lacks, InvalidParameters for a value
        that does not fit the parameter's unit."""
        table = dict(self.parameters)
        for name, value in overrides.items():
            parameter = table.get(name)
            if parameter is None:
                raise UnknownParameter(name, sorted(table))
            _check_unit(name, parameter.unit, value)
            table[name] = replace(
                parameter,
                values=tuple(
                    v if v.value is None else replace(v, value=value, reference=OVERRIDE)
                    for v in parameter.values
                ),
            )
        return ParameterTable(table)

    def parse_overrides(self, settings: Iterable[str]) -> dict[str, Any]:
        """`["n180.days=365", "n180.transition_before=2026-03-01"]` as typed values by
        each parameter's unit (a date, else an integer, else a decimal number)."""
        parsed: dict[str, Any] = {}
        for setting in settings:
            name, sep, text = setting.partition("=")
            name, text = name.strip(), text.strip()
            if not sep or not name or not text:
                raise InvalidParameters(f"{setting!r}: expected NAME=VALUE, e.g. n180.days=365")
            parameter = self.parameters.get(name)
            if parameter is None:
                raise UnknownParameter(name, sorted(self.parameters))
            parsed[name] = _parse_value(name, parameter.unit, text)
        return parsed

    def latest_change(self, as_of: date) -> date | None:
        """The latest effective_from among values in force on `as_of` (for rules_version)."""
        dates = [
            v.effective_from
            for p in self.parameters.values()
            if (v := p.at(as_of)) is not None and v.value is not None
        ]
        return max(dates, default=None)


OVERRIDE = "what-if override"


class UnknownParameter(CarexportError):
    """An override names a parameter the table does not have."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown parameter {name!r}; known: {', '.join(known)}")
        self.name = name
        self.known = known


def _check_unit(name: str, unit: str, value: Any) -> None:
    is_day = isinstance(value, date)
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if (unit == "date" and not is_day) or (unit != "date" and not is_number):
        raise InvalidParameters(f"{name}: {value!r} does not fit unit {unit!r}")


def _parse_value(name: str, unit: str, text: str) -> Any:
    try:
        if unit == "date":
            return date.fromisoformat(text)
        try:
            return int(text)
        except ValueError:
            return float(text)
    except ValueError:
        expected = "a YYYY-MM-DD date" if unit == "date" else "a number"
        raise InvalidParameters(f"{name}={text}: expected {expected} ({unit})") from None


class _Strict(BaseModel):
    # strict: YAML's own types must already be right (a date is a date, a number a
    # number); a misspelt key is an error, not a silently ignored line.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ValueEntry(_Strict):
    """One dated value: `{from: 2026-01-01, value: 180, reference: …}`."""

    from_: date = Field(alias="from")
    value: int | float | date | None  # None repeals the parameter from that date
    reference: str = Field(min_length=1)


_NAME = r"^[a-z0-9_]+(\.[a-z0-9_]+)+$"


class ParameterEntry(_Strict):
    description: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    values: list[ValueEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _dated_values_are_consistent(self) -> ParameterEntry:
        days = [v.from_ for v in self.values]
        if len(set(days)) != len(days):
            raise ValueError("two values take effect on the same day")
        for v in self.values:
            if v.value is None:
                continue
            is_day = isinstance(v.value, date)
            if is_day != (self.unit == "date"):
                raise ValueError(
                    f"value {v.value!r} from {v.from_.isoformat()} does not fit unit {self.unit!r}"
                )
        return self


class ParametersFile(
    RootModel[dict[Annotated[str, StringConstraints(pattern=_NAME)], ParameterEntry]]
):
    """rules/parameters/parameters.yaml: parameter name → description, unit, dated values."""


class InvalidParameters(CarexportError):
    """The parameter table does not have the shape of parameters.yaml."""


def parse_parameters(document: Any, source: str = "parameters.yaml") -> ParameterTable:
    try:
        parsed = ParametersFile.model_validate(document)
    except ValidationError as exc:
        lines = [
            f"{source}: {'.'.join(str(p) for p in e['loc']) or '(document)'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        ]
        raise InvalidParameters("\n".join(lines)) from None
    table: dict[str, Parameter] = {}
    for name, body in parsed.root.items():
        values = tuple(
            sorted(
                (
                    ParameterValue(effective_from=v.from_, value=v.value, reference=v.reference)
                    for v in body.values
                ),
                key=lambda v: v.effective_from,
            )
        )
        table[name] = Parameter(
            name=name, description=body.description, unit=body.unit, values=values
        )
    return ParameterTable(table)


@cache
def default_parameters() -> ParameterTable:
    """The table shipped with the package (read once; it is data, not state)."""
    text = resources.files("carexport.rules").joinpath("parameters/parameters.yaml").read_text()
    return parse_parameters(yaml.safe_load(text))
