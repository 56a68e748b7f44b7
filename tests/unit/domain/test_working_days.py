"""due_on counting: the third working day after submission on China's official calendar."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carexport.domain.working_days import WorkCalendar, add_working_days, official_calendar

CHINA = official_calendar()


@pytest.mark.parametrize(
    ("submitted", "due"),
    [
        # 国庆 2026: 10月1日至7日放假，9月20日（周日）、10月10日（周六）上班.
        (date(2026, 9, 18), date(2026, 9, 22)),  # Fri → Sun 20 (调休), Mon 21, Tue 22
        (date(2026, 9, 24), date(2026, 9, 30)),  # Thu → 中秋 25-27 off, Mon 28 … Wed 30
        (date(2026, 9, 30), date(2026, 10, 10)),  # Wed → Thu 8, Fri 9, Sat 10 (调休)
        (date(2026, 10, 3), date(2026, 10, 10)),  # submitted on a holiday
        # 春节 2026: 2月15日至23日放假，2月14日（周六）、2月28日（周六）上班.
        (date(2026, 2, 12), date(2026, 2, 24)),  # Thu → Fri 13, Sat 14 (调休), Tue 24
        (date(2026, 2, 14), date(2026, 2, 26)),  # on the make-up Saturday itself
        (date(2026, 2, 25), date(2026, 2, 28)),  # Wed → Thu 26, Fri 27, Sat 28 (调休)
        # An ordinary week.
        (date(2026, 3, 10), date(2026, 3, 13)),  # Tue → Fri
        (date(2026, 3, 13), date(2026, 3, 18)),  # Fri → Mon, Tue, Wed
    ],
)
def test_due_on_is_the_third_working_day_after_submission(submitted: date, due: date) -> None:
    assert add_working_days(submitted, 3, CHINA) == due


def test_the_official_calendar_covers_2026_with_its_make_up_days() -> None:
    assert CHINA.covers(date(2026, 12, 31))
    for day in (date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20)):
        assert day.weekday() >= 5
        assert CHINA.is_working_day(day)
    for day in (date(2026, 2, 16), date(2026, 10, 1), date(2026, 10, 7)):
        assert not CHINA.is_working_day(day)


def test_a_year_beyond_the_calendar_counts_weekdays() -> None:
    later = date(CHINA.last_year + 1, 3, 5)
    assert not CHINA.covers(later)
    due = add_working_days(later, 3, CHINA)
    assert due > later
    assert due.weekday() < 5


def test_counts_on_the_calendar_it_is_given() -> None:
    monday = date(2030, 1, 7)
    calendar = WorkCalendar(
        holidays=frozenset({monday + timedelta(days=1)}),
        make_up_days=frozenset({monday + timedelta(days=5)}),
        first_year=2030,
        last_year=2030,
    )
    # Tue off, Sat on: Wed, Thu, Fri.
    assert add_working_days(monday, 3, calendar) == date(2030, 1, 11)
    assert add_working_days(monday, 4, calendar) == date(2030, 1, 12)


def test_refuses_to_count_zero_days() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        add_working_days(date(2026, 1, 5), 0, CHINA)


@given(
    start=st.dates(min_value=date(2005, 1, 1), max_value=date(2026, 12, 20)),
    days=st.integers(min_value=1, max_value=10),
)
def test_exactly_that_many_working_days_pass(start: date, days: int) -> None:
    due = add_working_days(start, days, CHINA)
    between = [start + timedelta(days=i) for i in range(1, (due - start).days + 1)]
    assert CHINA.is_working_day(due)
    assert sum(CHINA.is_working_day(d) for d in between) == days
