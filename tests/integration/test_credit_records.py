"""The credit record on the store (SQLite and PostgreSQL): events, interviews,
rectifications, suspensions, their audit entries and history, the record as of a past
day, the submission hook, and the related-party chain through the store and its export."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from carexport import audit
from carexport.applications import service as applications
from carexport.applications.enums import Action, ApplicationStatus
from carexport.applications.models import Application
from carexport.applications.transitions import ActionConflict, ActionForbidden, ReasonRequired
from carexport.config import get_settings
from carexport.credit import service as credit
from carexport.credit.evidence import Upload
from carexport.credit.models import CreditEvent, CreditHistory
from carexport.db import UnitOfWork
from carexport.domain.application import Application as DomainApplication
from carexport.domain.facts import Facts
from carexport.domain.working_days import add_working_days, official_calendar
from carexport.errors import Forbidden, InvalidInput, NotFound
from carexport.feeds import service as feeds
from carexport.feeds.cli import facts_document
from carexport.rules.evaluate import evaluate
from tests.integration.test_application_lifecycle import (  # noqa: F401  (fixture)
    TODAY,
    World,
    created,
    document,
    world,
)

USCC = document("pass")["enterprise_uscc"]  # exporter / applicant
USCC2 = document("review")["enterprise_uscc"]  # exporter2 / applicant2
PDF = b"%PDF-1.4\n% evidence\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
MARCH_2 = datetime(2026, 3, 2, 2, tzinfo=UTC)  # 10:00 in Tianjin
FEBRUARY_2 = datetime(2026, 2, 2, 2, tzinfo=UTC)


@pytest.fixture
def desk(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:  # noqa: F811
    monkeypatch.setenv("CAREXPORT_MATERIAL_DIR", str(tmp_path / "files"))
    get_settings.cache_clear()
    return world


def event(
    desk: World, item: int = 5, day: date = date(2026, 3, 1), **kw: object
) -> credit.EventView:
    view: credit.EventView = desk.run(
        credit.record_event,
        "reviewer",
        enterprise_uscc=kw.pop("uscc", USCC),
        item=item,
        date=day,
        description="附表转让登记日期与登记证书不一致",
        **kw,
    )
    return view


def chain_holds(desk: World) -> int:
    with UnitOfWork(desk.engine) as uow:
        check = audit.verify(uow.session)
    assert check.holds, check.broken
    return check.entries


def test_a_reviewer_walks_an_event_to_an_accepted_rectification(desk: World) -> None:
    recorded = event(
        desk,
        document_no="津商信〔2026〕1号",
        vin="lgxce4cb3p0123789",
        files=[Upload("扫描件.pdf", PDF)],
    )
    assert (recorded.status, recorded.source, recorded.rectification) == (
        "recorded",
        "reviewer",
        "none",
    )
    assert recorded.vin == "LGXCE4CB3P0123789"
    assert [f.filename for f in recorded.files] == ["扫描件.pdf"]

    interview: credit.InterviewView = desk.run(
        credit.schedule_interview,
        "reviewer",
        enterprise_uscc=USCC,
        event_ids=[recorded.id],
        scheduled_on=date(2026, 3, 16),
        place="天津市商务局301室",
        attendees=["王经理"],
    )
    assert (interview.status, interview.version, interview.event_ids) == (
        "scheduled",
        1,
        (recorded.id,),
    )
    held: credit.InterviewView = desk.run(
        credit.record_interview,
        "reviewer",
        interview_id=interview.id,
        version=1,
        held_on=date(2026, 3, 16),
        attendees=["王经理", "李科长"],
        minutes="企业承认填报错误",
        outcome="责令整改",
    )
    assert (held.status, held.version, held.attendees) == ("held", 2, ("王经理", "李科长"))
    closed: credit.InterviewView = desk.run(
        credit.close_interview, "senior", interview_id=interview.id, version=2
    )
    assert closed.status == "closed"

    order: credit.RectificationView = desk.run(
        credit.order_rectification,
        "reviewer",
        enterprise_uscc=USCC,
        event_ids=[recorded.id],
        measures="核对登记证书后重新填报，建立复核制度",
        interview_id=interview.id,
    )
    assert order.status == "ordered"
    assert order.ordered_on == TODAY
    assert order.working_days == 20
    assert order.deadline == add_working_days(TODAY, 20, official_calendar())
    assert not order.overdue

    sent: credit.RectificationView = desk.run(
        credit.submit_rectification_evidence,
        "applicant",
        rectification_id=order.id,
        version=1,
        note="已建立复核制度",
        files=[Upload("制度.png", PNG)],
    )
    assert (sent.status, sent.submissions) == ("submitted", 1)
    assert [(f.filename, f.submission) for f in sent.files] == [("制度.png", 1)]
    with UnitOfWork(desk.engine) as uow:
        marks = credit.credit_events(uow=uow, enterprise_keys=[USCC])
    assert [e.rectification for e in marks] == ["submitted"]

    rejected: credit.RectificationView = desk.run(
        credit.reject_rectification,
        "reviewer",
        rectification_id=order.id,
        version=2,
        reason="缺少复核记录",
    )
    assert (rejected.status, rejected.decision_reason) == ("rejected", "缺少复核记录")
    again: credit.RectificationView = desk.run(
        credit.submit_rectification_evidence,
        "applicant",
        rectification_id=order.id,
        version=3,
        note="补充复核记录",
        files=[Upload("记录.pdf", PDF)],
    )
    assert (again.status, again.submissions, len(again.files)) == ("submitted", 2, 2)
    accepted: credit.RectificationView = desk.run(
        credit.accept_rectification, "reviewer", rectification_id=order.id, version=4
    )
    assert accepted.status == "accepted"
    with UnitOfWork(desk.engine) as uow:
        marks = credit.credit_events(uow=uow, enterprise_keys=[USCC])
        verbs = [
            e.verb
            for e in audit.entries_for(
                uow.session,
                [
                    ("credit_event", recorded.id),
                    ("credit_interview", interview.id),
                    ("credit_rectification", order.id),
                ],
            )
        ]
    assert [e.rectification for e in marks] == ["accepted"]
    assert verbs == [
        "credit.event.record",
        "credit.interview.schedule",
        "credit.interview.hold",
        "credit.interview.close",
        "credit.rectification.order",
        "credit.rectification.submit",
        "credit.rectification.reject",
        "credit.rectification.submit",
        "credit.rectification.accept",
    ]
    chain_holds(desk)

    # The evidence downloads for the record's readers only.
    opened: credit.EvidenceFile = desk.run(
        credit.open_evidence, "applicant", file_id=again.files[0].id
    )
    assert opened.path.read_bytes() == PNG
    with pytest.raises(NotFound):
        desk.run(credit.open_evidence, "applicant2", file_id=again.files[0].id)


def test_refuses_the_wrong_role_agency_version_reason_and_enterprise(desk: World) -> None:
    with pytest.raises(ActionForbidden):
        desk.run(
            credit.record_event,
            "applicant",
            enterprise_uscc=USCC,
            item=5,
            date=date(2026, 3, 1),
            description="x",
        )
    mine = event(desk)
    other = event(desk, uscc=USCC2)
    with pytest.raises(InvalidInput):
        desk.run(
            credit.schedule_interview,
            "reviewer",
            enterprise_uscc=USCC,
            event_ids=[mine.id, other.id],
            scheduled_on=TODAY,
        )
    with pytest.raises(InvalidInput):
        event(desk, item=8)
    with pytest.raises(InvalidInput):
        event(desk, day=TODAY + timedelta(days=1))  # an event has happened
    with pytest.raises(InvalidInput):
        event(desk, files=[Upload("a.exe", b"MZ\x90\x00")])
    interview: credit.InterviewView = desk.run(
        credit.schedule_interview,
        "reviewer",
        enterprise_uscc=USCC,
        event_ids=[mine.id],
        scheduled_on=TODAY,
    )
    with pytest.raises(ActionForbidden):  # another agency's staff
        desk.run(
            credit.cancel_interview,
            "other_reviewer",
            interview_id=interview.id,
            version=1,
            reason="x",
        )
    with pytest.raises(ReasonRequired):
        desk.run(
            credit.cancel_interview, "reviewer", interview_id=interview.id, version=1, reason=" "
        )
    with pytest.raises(ActionConflict) as stale:
        desk.run(credit.close_interview, "reviewer", interview_id=interview.id, version=7)
    assert stale.value.version == 1
    with pytest.raises(ActionConflict) as early:
        desk.run(credit.close_interview, "reviewer", interview_id=interview.id, version=1)
    assert early.value.status == "scheduled"
    # Exporters read their own record only; issuers and admins none.
    with pytest.raises(NotFound):
        desk.run(credit.credit_record, "applicant2", enterprise_uscc=USCC)
    with pytest.raises(Forbidden):
        desk.run(credit.credit_record, "admin", enterprise_uscc=USCC)
    own: credit.CreditRecord = desk.run(credit.credit_record, "applicant", enterprise_uscc=USCC)
    assert [e.id for e in own.events] == [mine.id]
    order: credit.RectificationView = desk.run(
        credit.order_rectification,
        "reviewer",
        enterprise_uscc=USCC,
        event_ids=[mine.id],
        measures="整改",
    )
    with pytest.raises(NotFound):  # another exporter's order is not there for it
        desk.run(
            credit.submit_rectification_evidence,
            "applicant2",
            rectification_id=order.id,
            version=1,
            note="x",
        )
    with pytest.raises(ActionForbidden):  # the agency cannot send the exporter's evidence
        desk.run(
            credit.submit_rectification_evidence,
            "reviewer",
            rectification_id=order.id,
            version=1,
            note="x",
        )


def test_overdue_rectifications_reach_the_agencys_queue_and_the_exporters_dashboard(
    desk: World,
) -> None:
    mine = event(desk)
    late: credit.RectificationView = desk.run(
        credit.order_rectification,
        "reviewer",
        enterprise_uscc=USCC,
        event_ids=[mine.id],
        measures="整改",
        at=FEBRUARY_2,
    )
    assert late.deadline == add_working_days(date(2026, 2, 2), 20, official_calendar())
    assert late.deadline < TODAY
    fresh: credit.RectificationView = desk.run(
        credit.order_rectification,
        "reviewer",
        enterprise_uscc=USCC,
        event_ids=[mine.id],
        measures="整改",
    )

    def overdue(who: str, as_of: date | None = None) -> list[int]:
        found: list[credit.RectificationView] = desk.run(
            credit.overdue_rectifications, who, as_of=as_of
        )
        assert all(r.overdue for r in found)
        return [r.id for r in found]

    assert overdue("reviewer") == [late.id]
    assert overdue("applicant") == [late.id]
    assert overdue("monitor") == [late.id]
    assert overdue("other_reviewer") == []
    assert overdue("applicant2") == []
    assert overdue("reviewer", as_of=late.deadline) == []  # due that day, not yet late
    assert overdue("reviewer", as_of=fresh.deadline + timedelta(days=1)) == [late.id, fresh.id]
    # Evidence in: no longer owed.
    desk.run(
        credit.submit_rectification_evidence,
        "applicant",
        rectification_id=late.id,
        version=1,
        note="已整改",
    )
    assert overdue("reviewer") == []


def test_a_suspended_exporter_is_refused_at_submission_until_reinstated(desk: World) -> None:
    with pytest.raises(ActionConflict):  # nothing crosses the line yet
        desk.run(credit.suspend, "reviewer", enterprise_uscc=USCC, reason="屡次违规")
    events = [event(desk, day=date(2026, 1, d)) for d in (5, 6, 7)]
    record: credit.CreditRecord = desk.run(credit.credit_record, "reviewer", enterprise_uscc=USCC)
    assert record.exit_grounds == ["repeat_events:3>=3/730d"]
    with pytest.raises(ReasonRequired):
        desk.run(credit.suspend, "reviewer", enterprise_uscc=USCC, reason="")
    decision: credit.SuspensionView = desk.run(
        credit.suspend, "reviewer", enterprise_uscc=USCC, reason="屡次违规，整改不力"
    )
    assert decision.decision_no == f"CS-2026-{decision.id:06d}"
    assert (decision.status, decision.suspended_on, decision.grounds) == (
        "in_force",
        TODAY,
        ("repeat_events:3>=3/730d",),
    )
    with pytest.raises(ActionConflict):
        desk.run(credit.suspend, "reviewer", enterprise_uscc=USCC, reason="again")

    draft = created(desk)
    with pytest.raises(credit.SuspendedFromFiling) as refused:
        desk.run(applications.submit, "applicant", application_id=draft.id, version=draft.version)
    assert refused.value.finding["rule"] == "CREDIT.SUSPENDED"
    assert refused.value.finding["facts"]["decision_id"] == decision.decision_no
    assert refused.value.finding["facts"]["agency"] == "天津市商务局"
    assert decision.decision_no in str(refused.value)
    with UnitOfWork(desk.engine) as uow:
        still = uow.session.get(Application, draft.id)
        assert still is not None
        assert (still.status, still.version) == ("draft", draft.version)

    with pytest.raises(ActionForbidden):
        desk.run(
            credit.reinstate,
            "other_reviewer",
            suspension_id=decision.id,
            version=1,
            reason="x",
        )
    lifted: credit.SuspensionView = desk.run(
        credit.reinstate, "reviewer", suspension_id=decision.id, version=1, reason="整改通过"
    )
    assert (lifted.status, lifted.reinstated_on) == ("lifted", TODAY)
    app = desk.run(applications.submit, "applicant", application_id=draft.id, version=draft.version)
    assert app.status == ApplicationStatus.SUBMITTED
    assert "CREDIT.SUSPENDED" not in json.dumps(app.verdict)
    assert [e.id for e in events] == sorted(e.id for e in events)
    chain_holds(desk)


def test_findings_of_a_submission_become_events_once_per_fact(desk: World) -> None:
    app = created(desk)
    # As of 2 March the vehicles' inspection reports are later: BAN.INSPECTION_MISSING
    # on both, two facts.
    done: Application = desk.run(
        applications.submit, "applicant", application_id=app.id, version=app.version, at=MARCH_2
    )
    assert done.decision == "fail"

    def system_events() -> list[CreditEvent]:
        with UnitOfWork(desk.engine) as uow:
            rows = list(
                uow.session.scalars(
                    select(CreditEvent)
                    .where(CreditEvent.source == "system")
                    .order_by(CreditEvent.id)
                )
            )
            uow.session.expunge_all()
            return rows

    first = system_events()
    assert [(e.item, e.rule_id, e.application_no, e.date) for e in first] == [
        (1, "BAN.INSPECTION_MISSING", done.application_no, date(2026, 3, 2)),
        (1, "BAN.INSPECTION_MISSING", done.application_no, date(2026, 3, 2)),
    ]
    assert len({e.vin for e in first}) == 2
    with UnitOfWork(desk.engine) as uow:
        entries = [
            e
            for e in audit.entries_for(uow.session, [("application", app.id)])
            if e.verb == credit.SYSTEM_EVENTS_VERB
        ]
        assert [sorted(x["id"] for x in e.payload["events"]) for e in entries] == [
            [e.id for e in first]
        ]
    # Returned and submitted again with the same findings: the same facts, no new event.
    returned: Application = desk.run(
        applications.decide,
        "reviewer",
        application_id=app.id,
        version=done.version,
        action=Action.RETURN,
        reason="补正检测报告",
    )
    desk.run(
        applications.submit,
        "applicant",
        application_id=app.id,
        version=returned.version,
        at=MARCH_2,
    )
    assert [e.id for e in system_events()] == [e.id for e in first]
    with UnitOfWork(desk.engine) as uow:
        again = credit.events_from_findings(
            uow=uow,
            application_id=app.id,
            application_no=done.application_no,
            enterprise_uscc=USCC.lower(),
            verdict=done.verdict or {},
            at=MARCH_2,
        )
    assert again == []
    chain_holds(desk)


def test_the_record_as_of_a_past_day_is_what_a_reviewer_saw_then(desk: World) -> None:
    days = [datetime(2026, 2, d, 2, tzinfo=UTC) for d in (2, 3, 4, 5)]
    recorded = event(desk, day=date(2026, 1, 30), at=days[0])
    interview: credit.InterviewView = desk.run(
        credit.schedule_interview,
        "reviewer",
        enterprise_uscc=USCC,
        event_ids=[recorded.id],
        scheduled_on=date(2026, 2, 4),
        at=days[1],
    )
    desk.run(
        credit.record_interview,
        "reviewer",
        interview_id=interview.id,
        version=1,
        held_on=date(2026, 2, 4),
        attendees=["王经理"],
        minutes="纪要",
        outcome="整改",
        at=days[2],
    )
    desk.run(
        credit.order_rectification,
        "reviewer",
        enterprise_uscc=USCC,
        event_ids=[recorded.id],
        measures="整改",
        at=days[3],
    )

    def on(day: date) -> credit.CreditRecord:
        found: credit.CreditRecord = desk.run(
            credit.credit_record, "reviewer", enterprise_uscc=USCC, as_of=day
        )
        return found

    assert on(date(2026, 2, 1)).events == []
    first = on(date(2026, 2, 2))
    assert ([e.id for e in first.events], first.interviews) == ([recorded.id], [])
    assert [i.status for i in on(date(2026, 2, 3)).interviews] == ["scheduled"]
    held = on(date(2026, 2, 4))
    assert [(i.status, i.minutes) for i in held.interviews] == [("held", "纪要")]
    assert held.rectifications == []
    assert held.events[0].rectification == "none"
    later = on(date(2026, 2, 5))
    assert [r.status for r in later.rectifications] == ["ordered"]
    assert len(later.history) == 4
    assert [h.action for h in later.history] == ["record", "schedule", "hold", "order"]
    # Overdue is judged on the day asked about.
    deadline = later.rectifications[0].deadline
    assert on(deadline + timedelta(days=1)).rectifications[0].overdue
    assert not on(deadline).rectifications[0].overdue


def test_annulling_a_feed_event_keeps_it_counting_in_the_past(desk: World) -> None:
    with UnitOfWork(desk.engine) as uow:
        feeds.load_facts(
            uow=uow,
            facts=Facts.model_validate(
                {"credit_events": [{"enterprise_uscc": USCC, "item": 6, "date": "2026-01-10"}]}
            ),
        )
    before: credit.CreditRecord = desk.run(credit.credit_record, "reviewer", enterprise_uscc=USCC)
    (fed,) = before.events
    assert (fed.source, fed.status, fed.version) == ("feed", "recorded", 1)
    desk.run(
        credit.annul_event,
        "reviewer",
        event_id=fed.id,
        version=1,
        reason="录入错误",
        at=datetime(2026, 2, 10, 2, tzinfo=UTC),
    )
    now: credit.CreditRecord = desk.run(credit.credit_record, "reviewer", enterprise_uscc=USCC)
    then: credit.CreditRecord = desk.run(
        credit.credit_record, "reviewer", enterprise_uscc=USCC, as_of=date(2026, 2, 1)
    )
    assert [e.status for e in now.events] == ["annulled"]
    assert [e.status for e in then.events] == ["recorded"]
    with UnitOfWork(desk.engine) as uow:
        assert credit.credit_events(uow=uow, enterprise_keys=[USCC]) == []
    # The same feed read again does not undo the agency's decision.
    with UnitOfWork(desk.engine) as uow:
        feeds.load_facts(
            uow=uow,
            facts=Facts.model_validate(
                {"credit_events": [{"enterprise_uscc": USCC, "item": 6, "date": "2026-01-10"}]}
            ),
        )
    again: credit.CreditRecord = desk.run(credit.credit_record, "reviewer", enterprise_uscc=USCC)
    assert [(e.status, e.version) for e in again.events] == [("annulled", 2)]


RELATED_FACTS = {
    # exporter2's enterprise: founded by the legal representative of exporter's
    "enterprises": [
        {
            "uscc": USCC2,
            "name": "天津某二手车出口有限公司",
            "legal_representative_id": "120101198203030044",
            "related_person_ids": ["120101197807070033"],
        }
    ]
}


def test_a_company_of_a_suspended_ones_people_is_flagged_with_the_chain(desk: World) -> None:
    with UnitOfWork(desk.engine) as uow:
        feeds.load_facts(uow=uow, facts=Facts.model_validate(RELATED_FACTS))
    for d in (5, 6, 7):
        event(desk, day=date(2026, 1, d))
    decision: credit.SuspensionView = desk.run(
        credit.suspend, "reviewer", enterprise_uscc=USCC, reason="屡次违规"
    )
    app = created(desk, "review", "applicant2")
    verdict = app.verdict or {}
    related = next(f for f in verdict["findings"] if f["rule"] == "CREDIT.RELATED_PARTY")
    (link,) = related["facts"]["related_enterprises"]
    assert link["uscc"] == USCC
    assert link["state"] == "suspended"
    assert link["suspension"]["decision_id"] == decision.decision_no
    assert link["shared_persons"] == [
        {
            "person": "1201**********0033",
            "applicant_role": "related_person",
            "related_role": "legal_representative",
        }
    ]
    # No clear ID number anywhere: not in the verdict, not in the tables.
    assert "120101197807070033" not in json.dumps(verdict)
    with UnitOfWork(desk.engine) as uow:
        stored = [
            *uow.session.execute(text("SELECT legal_representative_id FROM enterprises")).scalars(),
            *uow.session.execute(text("SELECT person_id FROM related_persons")).scalars(),
        ]
    assert stored
    assert all(s.startswith("PID-") for s in stored)
    # The page's side of the link.
    record: credit.CreditRecord = desk.run(credit.credit_record, "monitor", enterprise_uscc=USCC2)
    assert [(p.uscc, p.state, p.persons) for p in record.related] == [
        (USCC, "suspended", (("1201**********0033", "related_person", "legal_representative"),))
    ]

    # The file-backed check on the exported facts gives the DB-backed verdict.
    application = DomainApplication.model_validate(app.content)
    with UnitOfWork(desk.engine) as uow:
        facts = feeds.facts_for_application(uow=uow, application=application)
    exported = Facts.model_validate_json(json.dumps(facts_document(facts)))
    assert evaluate(application, exported, TODAY).as_json() == verdict
    # ...and loaded into another store, the export links the same enterprises.
    assert "120101197807070033" not in json.dumps(facts_document(facts))

    # Reinstated: the link remains, its state no longer weighs (no other condition).
    desk.run(credit.reinstate, "reviewer", suspension_id=decision.id, version=1, reason="整改通过")
    again = created(desk, "review", "applicant2")
    rules = [f["rule"] for f in (again.verdict or {})["findings"]]
    assert "CREDIT.RELATED_PARTY" in rules  # exporter's three events still need rectifying
    with UnitOfWork(desk.engine) as uow:
        history = uow.session.scalar(
            select(CreditHistory).where(CreditHistory.action == "reinstate")
        )
        assert history is not None
        assert history.snapshot["status"] == "lifted"


def at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """The jobs started together in threads: each one's result or the exception it raised."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # collected for the assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_of_an_acceptance_and_a_rejection_at_once_exactly_one_wins(desk: World) -> None:
    mine = event(desk)
    order: credit.RectificationView = desk.run(
        credit.order_rectification,
        "reviewer",
        enterprise_uscc=USCC,
        event_ids=[mine.id],
        measures="整改",
    )
    desk.run(
        credit.submit_rectification_evidence,
        "applicant",
        rectification_id=order.id,
        version=1,
        note="材料",
    )
    results = at_once(
        [
            lambda: desk.run(
                credit.accept_rectification, "reviewer", rectification_id=order.id, version=2
            ),
            lambda: desk.run(
                credit.reject_rectification,
                "senior",
                rectification_id=order.id,
                version=2,
                reason="不足",
            ),
        ]
    )
    won = [r for r in results if isinstance(r, credit.RectificationView)]
    lost = [r for r in results if isinstance(r, ActionConflict)]
    assert (len(won), len(lost)) == (1, 1), results
    assert lost[0].version == 3
    record: credit.CreditRecord = desk.run(credit.credit_record, "reviewer", enterprise_uscc=USCC)
    assert [r.status for r in record.rectifications] == [won[0].status]
    assert chain_holds(desk) == 4  # record, order, submit and the one that won


def test_a_reconciliation_puts_each_fact_on_the_record_once(desk: World) -> None:
    overdue = credit.Fact(
        key=("deregistration", "LGXCE4CB3P0123789"),
        enterprise_uscc=USCC,
        item=5,
        date=date(2026, 3, 1),
        description="出口后逾期未办理注销登记",
        vin="LGXCE4CB3P0123789",
        document_no="020220260000001",
    )
    with UnitOfWork(desk.engine) as uow:
        made = credit.record_facts(
            uow=uow,
            facts=[overdue, overdue],
            source=credit.EventSource.RECONCILIATION,
            at=MARCH_2,
            verb="monitoring.reconciled",
            object_kind="reconciliation",
            object_id="2026-03",
        )
        again = credit.record_facts(
            uow=uow,
            facts=[overdue],
            source=credit.EventSource.RECONCILIATION,
            at=MARCH_2,
            verb="monitoring.reconciled",
            object_kind="reconciliation",
            object_id="2026-03",
        )
        uow.commit()
    assert (len(made), again) == (1, [])
    record: credit.CreditRecord = desk.run(credit.credit_record, "reviewer", enterprise_uscc=USCC)
    assert [(e.source, e.document_no, e.recorded_by) for e in record.events] == [
        ("reconciliation", "020220260000001", None)
    ]
    assert chain_holds(desk) == 1
