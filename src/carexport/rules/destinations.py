"""The destination-market table (RULES.md §8): data with a source and a date per row.

Advice only: rows feed DEST.AGE_LIMIT and DEST.RESTRICTED, both `warn`. The table ships in the
package as `data/destinations.yaml`; every row is validated on load by the Pydantic models
below, strictly (no coercion, no unknown or missing keys), and an unknown fact is `None`,
never a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from carexport.domain.country import country_code

DriveSide = Literal["LHD", "RHD", "both"]


class DestinationTableError(ValueError):
    """The packaged table, or a document given to `parse_destinations`, is malformed."""


def _iso_date(value: Any) -> Any:
    # PyYAML reads an unquoted YYYY-MM-DD as a date; a quoted one arrives as a string and
    # must be exactly that form (strict mode refuses strings, Pydantic's lax mode would
    # also take timestamps).
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"expected a YYYY-MM-DD date, got {value!r}") from None
    return value


def _alpha2(value: str) -> str:
    if country_code(value) != value:
        raise ValueError(f"must be an upper-case ISO 3166-1 alpha-2 code, got {value!r}")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Notes = Annotated[str, StringConstraints(strip_whitespace=True)]


class Destination(BaseModel):
    """One destination country's used-vehicle import rules, as its source reports them.

    Every key is required in the YAML, `null` where the fact is unknown."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    iso: Annotated[str, AfterValidator(_alpha2)]  # ISO 3166-1 alpha-2, upper case
    name_zh: Text
    name_en: Text
    # from first registration; `notes` says when the source differs
    age_limit_years: Annotated[int, Field(ge=0)] | None = Field(...)
    drive_side: DriveSide | None = Field(...)  # steering accepted for registration
    min_emission_standard: Text | None = Field(...)  # e.g. "Euro 4"
    used_imports_banned: bool | None = Field(...)
    notes: Notes
    source: Text
    checked_on: IsoDate


class DestinationTable(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    version: int
    compiled_on: IsoDate
    destinations: list[Destination]


ROW_FIELDS: Final[tuple[str, ...]] = tuple(Destination.model_fields)


def _row_name(document: object, index: int) -> str:
    rows = document.get("destinations") if isinstance(document, Mapping) else None
    row = rows[index] if isinstance(rows, list) and index < len(rows) else None
    iso = row.get("iso") if isinstance(row, Mapping) else None
    return f"destinations[{index}]" + (f" ({iso})" if isinstance(iso, str) else "")


def _problem(document: object, error: Mapping[str, Any]) -> str:
    """One Pydantic error as `destinations[3] (KE): field: reason`."""
    loc = list(error["loc"])
    if len(loc) >= 2 and loc[0] == "destinations" and isinstance(loc[1], int):
        where, field_loc = _row_name(document, loc[1]), loc[2:]
    else:
        where, field_loc = "destination table: top-level", loc
    field = ".".join(str(part) for part in field_loc)
    if error["type"] == "missing":
        return f"{where}: missing {field}"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown field {field}"
    reason = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {field}: {reason}" if field else f"{where}: {reason}"


def parse_destinations(document: object) -> Mapping[str, Destination]:
    """The whole table (`version`, `compiled_on`, `destinations`), keyed by ISO code.

    Raises DestinationTableError naming every bad row and field."""
    try:
        table = DestinationTable.model_validate(document)
    except ValidationError as exc:
        problems = [_problem(document, error) for error in exc.errors()]
        raise DestinationTableError("\n".join(problems)) from None
    rows: dict[str, Destination] = {}
    for index, entry in enumerate(table.destinations):
        if entry.iso in rows:
            raise DestinationTableError(f"{_row_name(document, index)}: duplicate iso {entry.iso}")
        rows[entry.iso] = entry
    return MappingProxyType(rows)


@cache
def load_destinations() -> Mapping[str, Destination]:
    """The table shipped with the package (read once; it is data, not state)."""
    text = resources.files("carexport.rules").joinpath("data/destinations.yaml").read_text("utf-8")
    # libyaml's safe loader when PyYAML has it: the same documents, 20 times faster, and
    # this table is read by every `carexport check`.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return parse_destinations(yaml.load(text, Loader=loader))


def destination(code: str) -> Destination | None:
    """The row for an alpha-2 code (upper-cased, trimmed), or None when the table has none."""
    return load_destinations().get(code.strip().upper())
