"""Dates as the contract writes them: ISO `YYYY-MM-DD` in a plausible range, nothing looser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, ValidationInfo

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# A date outside this range is a typing slip or a placeholder (0001-01-01, 9999-12-31),
# not a fact about a used car. The domain holds the defaults so that it stays pure;
# Settings.earliest_date/latest_date mirror them, and the outer layers pass the setting
# in (`DateRange` in the validation context under DATE_RANGE, or to `parse_iso_date`).
EARLIEST_DATE = date(1950, 1, 1)
LATEST_DATE = date(2099, 12, 31)
DATE_RANGE = "date_range"  # the key of the Pydantic validation context


@dataclass(frozen=True)
class DateRange:
    earliest: date
    latest: date

    def check(self, day: date) -> date:
        if not self.earliest <= day <= self.latest:
            raise ValueError(
                f"outside the plausible range {self.earliest.isoformat()} to "
                f"{self.latest.isoformat()}"
            )
        return day


PLAUSIBLE_DATES = DateRange(EARLIEST_DATE, LATEST_DATE)


def parse_iso_date(value: Any, plausible: DateRange = PLAUSIBLE_DATES) -> date:
    """A `YYYY-MM-DD` calendar date in the plausible range; ValueError with a reader's
    reason otherwise."""
    # Pydantic's own date parsing also takes Unix timestamps (0, 86400) and datetimes;
    # the contract allows only the calendar form, so anything else is an input error.
    if isinstance(value, date) and not isinstance(value, datetime):
        return plausible.check(value)
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("not a date in the form YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a calendar date ({exc})") from None
    return plausible.check(day)


def _validate_iso_date(value: Any, info: ValidationInfo) -> date:
    context = info.context if isinstance(info.context, dict) else {}
    plausible = context.get(DATE_RANGE, PLAUSIBLE_DATES)
    return parse_iso_date(value, plausible)


IsoDate = Annotated[
    date,
    BeforeValidator(_validate_iso_date),
    PlainSerializer(lambda d: d.isoformat(), return_type=str),
]


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clipped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def days_between(start: date, end: date) -> int:
    """Calendar days from start to end (negative when end is earlier)."""
    return (end - start) // timedelta(days=1)
