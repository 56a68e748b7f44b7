"""The credit grade: each reason on both sides of its threshold, the worst one wins, and
the thresholds are the dated parameters of the day graded."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from carexport.credit.grade import (
    CreditRecord,
    Grade,
    GradedEvent,
    GradedRectification,
    GradeParameters,
    RelatedEnterprise,
    RelatedState,
    grade,
)

DAY = date(2026, 6, 1)
P = GradeParameters(window_days=730, repeat=2, reinstated_watch_days=365, watch_events=2)


def codes(record: CreditRecord, on: date = DAY) -> list[str]:
    return [r.code for r in grade(record, as_of=on, parameters=P).reasons]


def test_a_clean_record_is_graded_a_with_the_reason_said() -> None:
    result = grade(CreditRecord(), as_of=DAY, parameters=P)
    assert result.grade == Grade.A
    assert [r.code for r in result.reasons] == ["CLEAN"]
    assert "730" in result.reasons[0].zh


def test_one_unrectified_minor_event_makes_an_interview_due_grade_b() -> None:
    record = CreditRecord(events=(GradedEvent(5, DAY - timedelta(days=10), False),))
    result = grade(record, as_of=DAY, parameters=P)
    assert result.grade == Grade.B
    assert codes(record) == ["INTERVIEW_DUE"]


def test_a_serious_item_alone_requires_rectification_grade_c() -> None:
    record = CreditRecord(events=(GradedEvent(2, DAY - timedelta(days=10), False),))
    result = grade(record, as_of=DAY, parameters=P)
    assert result.grade == Grade.C
    assert result.reasons[0].code == "RECTIFICATION_REQUIRED"
    assert result.reasons[0].facts["serious_items"] == [2]


def test_repeat_events_require_rectification_and_one_fewer_does_not() -> None:
    one = GradedEvent(5, DAY - timedelta(days=100), False)
    two = GradedEvent(7, DAY - timedelta(days=50), False)
    assert grade(CreditRecord(events=(one,)), as_of=DAY, parameters=P).grade == Grade.B
    assert grade(CreditRecord(events=(one, two)), as_of=DAY, parameters=P).grade == Grade.C


def test_an_event_leaves_the_window_on_the_day_after_its_last_day() -> None:
    event = GradedEvent(5, date(2024, 6, 1), False)
    record = CreditRecord(events=(event,))
    # window: as_of - 730 days <= date <= as_of (as rules/credit.py counts it)
    last_day = event.on + timedelta(days=730)
    assert grade(record, as_of=last_day, parameters=P).grade == Grade.B
    assert grade(record, as_of=last_day + timedelta(days=1), parameters=P).grade == Grade.A


def test_an_event_after_the_day_graded_does_not_count() -> None:
    record = CreditRecord(events=(GradedEvent(2, DAY + timedelta(days=1), False),))
    assert grade(record, as_of=DAY, parameters=P).grade == Grade.A


def test_rectified_repeat_events_stay_watched_at_b_and_a_single_one_is_a() -> None:
    a = GradedEvent(5, DAY - timedelta(days=100), True)
    b = GradedEvent(7, DAY - timedelta(days=50), True)
    assert codes(CreditRecord(events=(a, b))) == ["RECTIFIED_WATCH"]
    assert grade(CreditRecord(events=(a, b)), as_of=DAY, parameters=P).grade == Grade.B
    assert codes(CreditRecord(events=(a,))) == ["RECTIFIED"]
    assert grade(CreditRecord(events=(a,)), as_of=DAY, parameters=P).grade == Grade.A


def test_an_open_rectification_is_overdue_from_the_day_after_its_deadline() -> None:
    record = CreditRecord(rectifications=(GradedRectification(deadline=DAY, open=True),))
    assert "RECTIFICATION_OVERDUE" not in codes(record, DAY)
    after = grade(record, as_of=DAY + timedelta(days=1), parameters=P)
    assert after.grade == Grade.C
    assert after.reasons[0].code == "RECTIFICATION_OVERDUE"
    accepted = CreditRecord(rectifications=(GradedRectification(deadline=DAY, open=False),))
    assert grade(accepted, as_of=DAY + timedelta(days=9), parameters=P).grade == Grade.A


def test_a_refused_rectification_is_grade_c() -> None:
    record = CreditRecord(
        rectifications=(GradedRectification(deadline=DAY, open=False, refused=True),)
    )
    assert grade(record, as_of=DAY, parameters=P).grade == Grade.C


def test_a_suspension_is_grade_d_and_outranks_everything() -> None:
    record = CreditRecord(
        events=(GradedEvent(2, DAY - timedelta(days=3), False),),
        suspended_since=DAY - timedelta(days=1),
    )
    result = grade(record, as_of=DAY, parameters=P)
    assert result.grade == Grade.D
    assert result.reasons[0].code == "SUSPENDED"
    assert [r.grade for r in result.reasons] == sorted(
        (r.grade for r in result.reasons), key="ABCD".index, reverse=True
    )


def test_a_reinstated_exporter_is_watched_for_the_parameter_s_days() -> None:
    on = DAY - timedelta(days=364)
    record = CreditRecord(reinstated_on=on)
    assert grade(record, as_of=DAY, parameters=P).grade == Grade.B
    assert grade(record, as_of=DAY + timedelta(days=1), parameters=P).grade == Grade.A


def test_related_to_a_suspended_enterprise_is_c_and_to_one_rectifying_b() -> None:
    suspended = RelatedEnterprise("91120000MA0000001X", RelatedState.SUSPENDED)
    rectifying = RelatedEnterprise("91120000MA0000002X", RelatedState.RECTIFYING)
    assert grade(CreditRecord(related=(suspended,)), as_of=DAY, parameters=P).grade == Grade.C
    assert grade(CreditRecord(related=(rectifying,)), as_of=DAY, parameters=P).grade == Grade.B


def test_the_parameters_are_those_in_force_on_the_day() -> None:
    on = GradeParameters.on(date(2026, 3, 1))
    assert (on.window_days, on.repeat) == (730, 2)
    assert on.reinstated_watch_days == 365


events = st.lists(
    st.builds(
        GradedEvent,
        st.integers(1, 7),
        st.dates(date(2023, 1, 1), date(2027, 1, 1)),
        st.booleans(),
    ),
    max_size=8,
)
rectifications = st.lists(
    st.builds(
        GradedRectification,
        st.dates(date(2025, 1, 1), date(2027, 1, 1)),
        st.booleans(),
        st.booleans(),
    ),
    max_size=4,
)


@given(events, rectifications, st.dates(date(2026, 1, 1), date(2026, 12, 31)))
def test_the_grade_is_the_worst_reason_and_always_explained(
    found: list[GradedEvent], orders: list[GradedRectification], on: date
) -> None:
    record = CreditRecord(events=tuple(found), rectifications=tuple(orders))
    result = grade(record, as_of=on, parameters=P)
    assert result.reasons, "a grade always says why"
    assert result.grade == max((r.grade for r in result.reasons), key="ABCD".index)
    # Adding a suspension never makes a grade better; rectifying every event never worse.
    worse = grade(
        CreditRecord(events=tuple(found), rectifications=tuple(orders), suspended_since=on),
        as_of=on,
        parameters=P,
    )
    assert worse.grade == Grade.D
    fixed = CreditRecord(
        events=tuple(GradedEvent(e.item, e.on, True) for e in found),
        rectifications=tuple(orders),
    )
    assert "ABCD".index(grade(fixed, as_of=on, parameters=P).grade) <= "ABCD".index(result.grade)


@given(events, st.dates(date(2026, 1, 1), date(2026, 12, 31)))
def test_the_grade_agrees_with_the_checker_s_rectification_condition(
    found: list[GradedEvent], on: date
) -> None:
    """C from the events alone exactly when CREDIT.RECTIFICATION_REQUIRED would fire."""
    window = [e for e in found if on - timedelta(days=730) <= e.on <= on]
    required = (len(window) >= 2 or any(e.item in (2, 3) for e in window)) and any(
        not e.rectified for e in window
    )
    result = grade(CreditRecord(events=tuple(found)), as_of=on, parameters=P)
    assert (result.grade == Grade.C) == required
