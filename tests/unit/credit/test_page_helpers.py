"""What the credit page computes before rendering: the day asked for, the exit grounds in
words, and the grade from the service's as-of record (rejected evidence, a lifted
suspension, annulled events)."""

from __future__ import annotations

from datetime import date

import pytest

from carexport.credit import service as credit
from carexport.credit.grade import Grade, RelatedState
from carexport.credit.page_queries import Related
from carexport.credit.pages import graded, ground_text, parse_as_of

TODAY = date(2026, 3, 13)


@pytest.mark.parametrize(
    ("asked", "day", "refused"),
    [
        (None, TODAY, False),
        ("", TODAY, False),
        ("2026-02-01", date(2026, 2, 1), False),
        ("2026-03-13", TODAY, False),
        ("2026-03-14", TODAY, True),  # the future
        ("2025-12-31", TODAY, True),  # before the credit regime
        ("2026-02-30", TODAY, True),
        ("13/03/2026", TODAY, True),
    ],
)
def test_the_day_asked_for_is_today_unless_a_past_day_of_the_regime(
    asked: str | None, day: date, refused: bool
) -> None:
    shown, problem = parse_as_of(asked, TODAY)
    assert shown == day
    assert (problem is not None) == refused


def test_exit_grounds_read_as_words_in_both_languages() -> None:
    assert ground_text("repeat_events:3>=3/730d") == (
        "回溯期内重复事件 3>=3/730d / repeat events in the window 3>=3/730d"
    )
    assert ground_text("rectification_overdue:7").endswith("rectification overdue #7")
    assert ground_text("something_new:1") == "something_new 1 / something_new 1"


def _event(
    event_id: int, item: int, on: date, rect: str, status: str = "recorded"
) -> credit.EventView:
    return credit.EventView(
        id=event_id, enterprise_uscc="X", item=item, item_label=("", ""), date=on, note=None,
        description=None, source="reviewer", status=status, version=1, rectification=rect,
        recorded_by=None, recorded_at=None, application_id=None, application_no=None,
        vin=None, rule_id=None, document_no=None,
    )  # fmt: skip


def _record(**parts: object) -> credit.CreditRecord:
    base: dict[str, object] = {
        "enterprise_uscc": "X",
        "as_of": TODAY,
        "events": [],
        "interviews": [],
        "rectifications": [],
        "suspensions": [],
        "suspended": None,
        "exit_grounds": [],
    }
    return credit.CreditRecord(**{**base, **parts})  # type: ignore[arg-type]


def _rect(status: str, deadline: date) -> credit.RectificationView:
    return credit.RectificationView(
        id=1, enterprise_uscc="X", agency_org_id=1, interview_id=None, status=status,
        version=1, measures="m", ordered_on=date(2026, 2, 2), working_days=20,
        deadline=deadline, overdue=False, submissions=1, evidence_note=None,
        decision_reason=None, event_ids=(1,),
    )  # fmt: skip


def test_an_annulled_event_does_not_count_for_the_grade() -> None:
    record = _record(events=[_event(1, 2, date(2026, 2, 2), "none", status="annulled")])
    assert graded(record, ()).grade == Grade.A


def test_rejected_evidence_is_a_refused_rectification_and_overdue_after_the_deadline() -> None:
    early = _record(rectifications=[_rect("rejected", date(2026, 3, 20))])
    assert [r.code for r in graded(early, ()).reasons] == ["RECTIFICATION_REFUSED"]
    late = _record(rectifications=[_rect("rejected", date(2026, 3, 6))])
    codes = [r.code for r in graded(late, ()).reasons]
    assert codes == ["RECTIFICATION_OVERDUE", "RECTIFICATION_REFUSED"]
    submitted = _record(rectifications=[_rect("submitted", date(2026, 3, 6))])
    assert graded(submitted, ()).grade == Grade.A  # the exporter has answered: not owed


def test_a_lifted_suspension_is_watched_and_a_related_suspended_company_weighs() -> None:
    lifted = credit.SuspensionView(
        id=1, decision_no="CS-2026-000001", enterprise_uscc="X", agency_org_id=1,
        agency_name="a", status="lifted", version=2, reason="r",
        suspended_on=date(2026, 1, 5), grounds=(), reinstated_on=date(2026, 2, 1),
        reinstatement_reason="ok",
    )  # fmt: skip
    result = graded(_record(suspensions=[lifted]), ())
    assert (result.grade, result.reasons[0].code) == (Grade.B, "REINSTATED_WATCH")
    related = (Related("Y", None, RelatedState.SUSPENDED, ()),)
    assert graded(_record(), related).grade == Grade.C
