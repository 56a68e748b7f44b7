"""License validity (第十三、十四、十六条): six months less a day, never past 31 December."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carexport.rules.license_validity import (
    LicenseRules,
    extension_problem,
    license_term,
    license_year_problem,
    same_day_months_later,
)

RULES = LicenseRules.on(date(2026, 3, 10))


def test_the_parameters_in_force_are_six_months_and_10_december() -> None:
    assert LicenseRules(valid_months=6, advance_from_day=10) == RULES


@pytest.mark.parametrize(
    ("issued", "valid_to"),
    [
        (date(2026, 3, 10), date(2026, 9, 9)),
        (date(2026, 3, 31), date(2026, 9, 30)),  # no 31 September: from 1 October
        (date(2026, 8, 1), date(2026, 12, 31)),  # never past 31 December
        (date(2026, 6, 30), date(2026, 12, 29)),
        (date(2026, 7, 1), date(2026, 12, 31)),
        (date(2026, 12, 31), date(2026, 12, 31)),
        (date(2028, 8, 31), date(2028, 12, 31)),
    ],
)
def test_a_license_is_valid_to_the_day_before_six_months_later(
    issued: date, valid_to: date
) -> None:
    term = license_term(issued, None, RULES)
    assert (term.year, term.valid_from, term.valid_to) == (issued.year, issued, valid_to)


def test_next_years_license_runs_from_1_january_to_30_june() -> None:
    term = license_term(date(2026, 12, 10), 2027, RULES)
    assert (term.year, term.valid_from, term.valid_to) == (
        2027,
        date(2027, 1, 1),
        date(2027, 6, 30),
    )


def test_a_next_year_request_approved_in_that_year_counts_from_its_approval() -> None:
    term = license_term(date(2027, 1, 4), 2027, RULES)
    assert (term.valid_from, term.valid_to) == (date(2027, 1, 4), date(2027, 7, 3))


@pytest.mark.parametrize(
    ("today", "year", "allowed"),
    [
        (date(2026, 12, 9), 2027, False),
        (date(2026, 12, 10), 2027, True),
        (date(2026, 12, 31), 2027, True),
        (date(2026, 3, 10), 2026, True),
        (date(2026, 3, 10), None, True),
        (date(2026, 12, 10), 2028, False),
        (date(2026, 12, 10), 2025, False),
    ],
)
def test_next_years_license_may_be_asked_for_from_10_december(
    today: date, year: int | None, allowed: bool
) -> None:
    assert (license_year_problem(year, today, RULES) is None) is allowed


def test_a_month_without_the_day_counts_from_the_first_of_the_next() -> None:
    assert same_day_months_later(date(2026, 3, 31), 6) == date(2026, 10, 1)
    assert same_day_months_later(date(2026, 8, 31), 6) == date(2027, 3, 1)
    assert same_day_months_later(date(2027, 8, 29), 6) == date(2028, 2, 29)
    assert same_day_months_later(date(2026, 12, 15), 1) == date(2027, 1, 15)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2098, 12, 31)))
def test_validity_never_crosses_the_year_and_never_exceeds_six_months(issued: date) -> None:
    term = license_term(issued, None, RULES)
    assert term.valid_from == issued <= term.valid_to
    assert term.valid_to.year == issued.year
    later = same_day_months_later(issued, 6)
    assert term.valid_to < later
    assert term.valid_to == date(issued.year, 12, 31) or term.valid_to + timedelta(days=1) == later


@given(st.dates(min_value=date(2000, 12, 10), max_value=date(2098, 12, 31)))
def test_next_year_licenses_are_always_the_first_half_year(issued: date) -> None:
    if issued.month == 12 and issued.day >= 10:
        assert license_year_problem(issued.year + 1, issued, RULES) is None
        term = license_term(issued, issued.year + 1, RULES)
        assert (term.valid_from, term.valid_to) == (
            date(issued.year + 1, 1, 1),
            date(issued.year + 1, 6, 30),
        )
    else:
        assert license_year_problem(issued.year + 1, issued, RULES) is not None


def test_an_extension_moves_valid_to_later_within_the_year_before_expiry() -> None:
    start, end = date(2026, 3, 10), date(2026, 9, 9)
    ok = {"valid_from": start, "valid_to": end, "today": date(2026, 9, 1)}
    assert extension_problem(new_valid_to=date(2026, 12, 31), **ok) is None
    assert extension_problem(new_valid_to=date(2027, 1, 1), **ok) is not None
    assert extension_problem(new_valid_to=end, **ok) is not None
    expired = {**ok, "today": date(2026, 9, 10)}
    assert extension_problem(new_valid_to=date(2026, 10, 1), **expired) is not None
