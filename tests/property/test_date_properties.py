"""The 180-day window and date helpers over generated dates."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from carexport.domain.application import Application
from carexport.domain.dates import add_months, add_years, days_between
from carexport.domain.facts import Facts
from carexport.rules.evaluate import evaluate
from tests.rules.scenario import build

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(dates, st.integers(min_value=-5000, max_value=5000))
def test_days_between_inverts_adding_days(start: date, n: int) -> None:
    try:
        end = start + timedelta(days=n)
    except OverflowError:
        return
    assert days_between(start, end) == n


@given(dates, st.integers(min_value=0, max_value=50))
def test_add_years_keeps_month_and_never_overshoots(day: date, years: int) -> None:
    later = add_years(day, years)
    assert later.year == day.year + years
    assert later.month == day.month
    assert later.day in (day.day, 28)


@given(dates, st.integers(min_value=0, max_value=36))
def test_add_months_lands_in_the_right_month(day: date, months: int) -> None:
    later = add_months(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    assert later.day <= day.day


@given(
    st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(min_value=0, max_value=400),
)
def test_near_new_window_is_180_days_inclusive(submitted: date, age: int) -> None:
    registered = submitted - timedelta(days=age)
    app, facts = build(
        {
            "set": {
                "application.submitted_on": submitted.isoformat(),
                "application.vehicles[0].registration_date": registered.isoformat(),
                "facts.registrations[0].registration_date": registered.isoformat(),
                "application.vehicles[0].transfer_for_export_date": submitted.isoformat(),
                "facts.registrations[0].transfer_for_export_date": submitted.isoformat(),
                "facts.inspections[0].inspected_on": submitted.isoformat(),
                "facts.export_filings[0].valid_to": submitted.isoformat(),
                "facts.registrations[0].scrap_due_date": None,
            }
        }
    )
    verdict = evaluate(Application.model_validate(app), Facts.model_validate(facts))
    rules = {f.rule for f in verdict.vehicles[0].findings}
    assert ("N180.CONFIRMATION_MISSING" in rules) == (age <= 180)
