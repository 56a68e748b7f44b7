"""The destination-market table (RULES.md §8): data with a source and a date per row.

Advice only: rows feed DEST.AGE_LIMIT and DEST.RESTRICTED, both `warn`. The table ships in the
package as `data/destinations.yaml`; every row is validated strictly on load, and an unknown
fact is `None`, never a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Final, Literal, cast

import yaml

from carexport.domain.country import country_code

DriveSide = Literal["LHD", "RHD", "both"]

DRIVE_SIDES: Final[frozenset[str]] = frozenset({"LHD", "RHD", "both"})
ROW_FIELDS: Final[tuple[str, ...]] = (
    "iso",
    "name_zh",
    "name_en",
    "age_limit_years",
    "drive_side",
    "min_emission_standard",
    "used_imports_banned",
    "notes",
    "source",
    "checked_on",
)
TABLE_FIELDS: Final[frozenset[str]] = frozenset({"version", "compiled_on", "destinations"})


@dataclass(frozen=True)
class Destination:
    """One destination country's used-vehicle import rules, as its source reports them."""

    iso: str  # ISO 3166-1 alpha-2, upper case
    name_zh: str
    name_en: str
    age_limit_years: int | None  # from first registration; `notes` says when the source differs
    drive_side: DriveSide | None  # steering accepted for registration
    min_emission_standard: str | None  # e.g. "Euro 4"
    used_imports_banned: bool | None
    notes: str
    source: str
    checked_on: date


class DestinationTableError(ValueError):
    """The packaged table, or a document given to `parse_destinations`, is malformed."""


def _date(value: Any, where: str) -> date:
    # PyYAML reads an unquoted YYYY-MM-DD as a date; a quoted one arrives as a string.
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise DestinationTableError(f"{where}: expected a YYYY-MM-DD date, got {value!r}")


def _text(row: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = row[key]
    if not isinstance(value, str) or (required and not value.strip()):
        raise DestinationTableError(f"{where}: {key} must be a non-empty string, got {value!r}")
    return value.strip()


def _optional_text(row: Mapping[str, Any], key: str, where: str) -> str | None:
    value = row[key]
    if value is None:
        return None
    return _text(row, key, where)


def _row_name(row: object, index: int) -> str:
    iso = row.get("iso") if isinstance(row, Mapping) else None
    return f"destinations[{index}]" + (f" ({iso})" if isinstance(iso, str) else "")


def parse_destination(row: object, where: str) -> Destination:
    """One row, validated strictly; errors name the row."""
    if not isinstance(row, Mapping):
        raise DestinationTableError(f"{where}: expected a mapping, got {type(row).__name__}")
    keys = set(row)
    missing = [k for k in ROW_FIELDS if k not in keys]
    if missing:
        raise DestinationTableError(f"{where}: missing {', '.join(missing)}")
    unknown = sorted(str(k) for k in keys - set(ROW_FIELDS))
    if unknown:
        raise DestinationTableError(f"{where}: unknown field(s) {', '.join(unknown)}")

    iso = row["iso"]
    if not isinstance(iso, str) or country_code(iso) != iso:
        raise DestinationTableError(
            f"{where}: iso must be an upper-case ISO 3166-1 alpha-2 code, got {iso!r}"
        )

    age = row["age_limit_years"]
    if age is not None and (isinstance(age, bool) or not isinstance(age, int) or age < 0):
        raise DestinationTableError(
            f"{where}: age_limit_years must be a non-negative integer or null, got {age!r}"
        )

    drive = row["drive_side"]
    if drive is not None and drive not in DRIVE_SIDES:
        raise DestinationTableError(
            f"{where}: drive_side must be one of LHD, RHD, both or null, got {drive!r}"
        )

    banned = row["used_imports_banned"]
    if banned is not None and not isinstance(banned, bool):
        raise DestinationTableError(
            f"{where}: used_imports_banned must be true, false or null, got {banned!r}"
        )

    if row["checked_on"] is None:
        raise DestinationTableError(f"{where}: checked_on is required")

    return Destination(
        iso=iso,
        name_zh=_text(row, "name_zh", where),
        name_en=_text(row, "name_en", where),
        age_limit_years=age,
        drive_side=cast(DriveSide | None, drive),
        min_emission_standard=_optional_text(row, "min_emission_standard", where),
        used_imports_banned=banned,
        notes=_text(row, "notes", where, required=False),
        source=_text(row, "source", where),
        checked_on=_date(row["checked_on"], f"{where}: checked_on"),
    )


def parse_destinations(document: object) -> Mapping[str, Destination]:
    """The whole table (`version`, `compiled_on`, `destinations`), keyed by ISO code."""
    if not isinstance(document, Mapping):
        raise DestinationTableError("destination table: expected a mapping at the top level")
    keys = set(document)
    if keys != TABLE_FIELDS:
        raise DestinationTableError(
            "destination table: top-level keys must be exactly "
            f"{', '.join(sorted(TABLE_FIELDS))}; got {', '.join(sorted(map(str, keys)))}"
        )
    _date(document["compiled_on"], "destination table: compiled_on")
    rows = document["destinations"]
    if not isinstance(rows, list):
        raise DestinationTableError("destination table: destinations must be a list")
    table: dict[str, Destination] = {}
    for index, row in enumerate(rows):
        entry = parse_destination(row, _row_name(row, index))
        if entry.iso in table:
            raise DestinationTableError(f"{_row_name(row, index)}: duplicate iso {entry.iso}")
        table[entry.iso] = entry
    return MappingProxyType(table)


@cache
def load_destinations() -> Mapping[str, Destination]:
    """The table shipped with the package (read once; it is data, not state)."""
    text = resources.files("carexport.rules").joinpath("data/destinations.yaml").read_text("utf-8")
    return parse_destinations(yaml.safe_load(text))


def destination(code: str) -> Destination | None:
    """The row for an alpha-2 code (upper-cased, trimmed), or None when the table has none."""
    return load_destinations().get(code.strip().upper())
