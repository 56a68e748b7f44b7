"""Working days on China's official calendar (国务院办公厅's yearly holiday notice).

A working day is a Monday to Friday that is not a public holiday, or a weekend day
announced as a make-up working day (调休). The calendar is data (`WorkCalendar`), so the
counting is a pure function a test can feed any calendar; `official_calendar()` fills it
from the `chinesecalendar` package, which transcribes each year's notice.

A year the package does not cover yet (the State Council announces a year's schedule in
the November before) counts weekdays only: a deadline is never refused for want of a
calendar, and `covers()` lets a caller say that the date is provisional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date]  # days off that would otherwise be working days (and more)
    make_up_days: frozenset[date]  # 调休: weekend days announced as working days
    first_year: int
    last_year: int

    def covers(self, day: date) -> bool:
        return self.first_year <= day.year <= self.last_year

    def is_working_day(self, day: date) -> bool:
        if day in self.make_up_days:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


def add_working_days(start: date, days: int, calendar: WorkCalendar) -> date:
    """The `days`-th working day after `start` (`start` itself never counts, whatever it
    is): submitted on a Friday with 3 days → the next Wednesday, holidays permitting."""
    if days < 1:
        raise ValueError("days must be at least 1")
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


@cache
def official_calendar() -> WorkCalendar:
    """China's calendar as the `chinesecalendar` package records it (read once)."""
    from chinese_calendar import constants

    holidays = frozenset(constants.holidays)
    make_up = frozenset(constants.workdays)
    years = [d.year for d in holidays | make_up]
    return WorkCalendar(
        holidays=holidays,
        make_up_days=make_up,
        first_year=min(years),
        last_year=max(years),
    )
