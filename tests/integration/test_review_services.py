"""Notes, departures from the verdict, the agencies' queues and the monitor's counts on
the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from carexport import audit
from carexport.applications import notes, queues, service
from carexport.applications.enums import Action, ApplicationStatus
from carexport.applications.models import Application, StatusChange
from carexport.db import UnitOfWork
from carexport.errors import Forbidden, InvalidInput, NotFound
from carexport.seals import sm3_digest
from tests.integration.test_application_lifecycle import (  # noqa: F401  (fixture)
    World,
    created,
    submitted,
    world,
)

MARCH = datetime(2026, 3, 13, 2, 0, tzinfo=UTC)  # 10:00 in Tianjin on TODAY
FEBRUARY = datetime(2026, 2, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def desk(world: World) -> World:  # noqa: F811  (the lifecycle tests' world)
    return world


def submitted_on(desk: World, at: datetime, example: str = "pass") -> Application:
    who = "applicant" if example == "pass" else "applicant2"
    app = created(desk, example, who)
    result: Application = desk.run(
        service.submit, who, application_id=app.id, version=app.version, at=at
    )
    return result


def decide(
    desk: World,
    who: str,
    app: Application,
    action: Action,
    reason: str | None = None,
    at: datetime = MARCH,
) -> Application:
    result: Application = desk.run(
        service.decide,
        who,
        application_id=app.id,
        version=app.version,
        action=action,
        reason=reason,
        at=at,
    )
    return result


def note(desk: World, who: str, app: Application, text: str, shared: bool) -> notes.NoteView:
    view: notes.NoteView = desk.run(
        notes.add_note, who, application_id=app.id, text=text, visible_to_exporter=shared
    )
    return view


def test_internal_notes_reach_agency_staff_and_monitor_but_never_the_exporter(
    desk: World,
) -> None:
    app = submitted(desk)
    note(desk, "reviewer", app, "车况照片与登记证书颜色不符，需核实", shared=False)
    note(desk, "senior", app, "请补充第2辆车的检验报告", shared=True)

    def texts(who: str) -> list[str]:
        found: list[notes.NoteView] = desk.run(notes.notes_for, who, application_id=app.id)
        return [n.text for n in found]

    both = ["车况照片与登记证书颜色不符，需核实", "请补充第2辆车的检验报告"]
    assert texts("reviewer") == both
    assert texts("monitor") == both
    assert texts("applicant") == ["请补充第2辆车的检验报告"]
    exporter_history = desk.run(service.history, "applicant", application_id=app.id)
    assert "application.note.internal" not in [e["verb"] for e in exporter_history]
    assert "车况照片" not in str(exporter_history)
    staff_history = desk.run(service.history, "monitor", application_id=app.id)
    verbs = [e["verb"] for e in staff_history]
    assert verbs[-2:] == ["application.note.internal", "application.note.shared"]


def test_a_notes_audit_entry_holds_the_sm3_of_its_text_not_the_text(desk: World) -> None:
    app = submitted(desk)
    view = note(desk, "reviewer", app, "  内部意见  ", shared=False)
    assert view.text == "内部意见"
    assert view.author == "reviewer"
    with UnitOfWork(desk.engine) as uow:
        entry = audit.entries_for(uow.session, [("application", app.id)])[-1]
        assert entry.payload["text_sm3"] == sm3_digest("内部意见".encode()).hex()
        assert entry.payload["visible_to_exporter"] is False
        assert "内部意见" not in str(entry.payload)
        assert audit.verify(uow.session).holds


def test_refuses_notes_from_the_monitor_another_agency_and_blank_or_long_text(
    desk: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = submitted(desk)
    with pytest.raises(Forbidden):
        note(desk, "monitor", app, "只读", shared=False)
    with pytest.raises(Forbidden):
        note(desk, "applicant", app, "申请人", shared=True)
    with pytest.raises(NotFound):
        note(desk, "other_reviewer", app, "外省", shared=False)
    with pytest.raises(NotFound):
        desk.run(notes.notes_for, "other_reviewer", application_id=app.id)
    with pytest.raises(InvalidInput) as blank:
        note(desk, "reviewer", app, "   ", shared=False)
    assert blank.value.problems[0].location == "text"
    with pytest.raises(InvalidInput) as long:
        note(desk, "reviewer", app, "长" * 4001, shared=False)
    assert long.value.problems[0].location == "text"
    assert desk.run(notes.notes_for, "reviewer", application_id=app.id) == []


def test_a_refused_pass_and_an_approved_review_are_departures(desk: World) -> None:
    refused_pass = decide(desk, "reviewer", submitted(desk), Action.REFUSE, "车辆存疑")
    review = submitted(desk, "review", "applicant2")
    recommended = decide(desk, "reviewer", review, Action.APPROVE, "信用已整改")
    decide(desk, "senior", recommended, Action.APPROVE, "同意")
    returned_pass = decide(desk, "reviewer", submitted(desk), Action.RETURN, "补正")
    refused_review = decide(
        desk, "reviewer", submitted(desk, "review", "applicant2"), Action.REFUSE, "信用"
    )
    with UnitOfWork(desk.engine) as uow:
        rows = uow.session.execute(
            select(StatusChange.application_id, StatusChange.to_status).where(
                StatusChange.departure.is_(True)
            )
        ).all()
    assert sorted(rows) == sorted([(refused_pass.id, "refused"), (review.id, "approved")])
    assert returned_pass.id not in {r[0] for r in rows}
    assert refused_review.id not in {r[0] for r in rows}


def test_the_queue_is_sorted_by_due_date_with_the_overdue_marked(desk: World) -> None:
    # TODAY is Friday 13 March 2026: a submission on Monday 2 March is due on the 5th.
    late = submitted_on(desk, datetime(2026, 3, 2, 2, tzinfo=UTC))
    fresh = submitted_on(desk, MARCH)
    middle = submitted_on(desk, datetime(2026, 3, 9, 2, tzinfo=UTC), "review")
    created(desk)  # a draft: never in the agency's queue
    queue: queues.Queue = desk.run(queues.agency_queue, "reviewer")
    assert [(i.id, i.overdue) for i in queue.items] == [
        (late.id, True),
        (middle.id, True),
        (fresh.id, False),
    ]
    assert [str(i.due_on) for i in queue.items] == ["2026-03-05", "2026-03-12", "2026-03-18"]
    assert (queue.total, queue.overdue, queue.pages) == (3, 2, 1)
    first = queue.items[0]
    assert (first.exporter, first.destination_country, first.vehicles) == (
        "天津甲出口公司",
        "KZ",
        2,
    )
    assert queue.items[1].decision == "review"

    paged: queues.Queue = desk.run(queues.agency_queue, "reviewer", page=2, per_page=2)
    assert [i.id for i in paged.items] == [fresh.id]
    elsewhere: queues.Queue = desk.run(queues.agency_queue, "other_reviewer")
    assert (elsewhere.items, elsewhere.total) == ([], 0)


def test_the_countersign_queue_and_the_monitors_view_of_an_agency(desk: World) -> None:
    review = submitted(desk, "review", "applicant2")
    decide(desk, "reviewer", review, Action.APPROVE, "信用已整改")
    submitted(desk)
    counter: queues.Queue = desk.run(
        queues.agency_queue, "senior", status=ApplicationStatus.COUNTERSIGN
    )
    assert [i.id for i in counter.items] == [review.id]
    with UnitOfWork(desk.engine) as uow:
        agency_id = uow.session.scalar(
            select(Application.org_id).where(Application.id == review.id)
        )
    seen = desk.actors["reviewer"].org_id
    watched: queues.Queue = desk.run(queues.agency_queue, "monitor", agency_id=seen)
    assert watched.total == 1
    assert watched.agency == "天津市商务局"
    with pytest.raises(NotFound):
        desk.run(queues.agency_queue, "monitor", agency_id=agency_id)  # an exporter's id
    with pytest.raises(NotFound):
        desk.run(queues.agency_queue, "monitor")
    with pytest.raises(Forbidden):
        desk.run(queues.agency_queue, "applicant")


def test_the_monitor_counts_each_agencys_queue_decisions_and_departures(desk: World) -> None:
    submitted(desk)
    review = submitted(desk, "review", "applicant2")
    decide(desk, "reviewer", review, Action.APPROVE, "信用已整改")  # countersign
    old = decide(desk, "reviewer", submitted(desk), Action.REFUSE, "存疑", at=FEBRUARY)
    # After the refusal of a `pass`: this one fails (BAN findings as of 2 March), which
    # puts credit events on the exporter's record (issue 18) and sends its later
    # applications to review.
    submitted_on(desk, datetime(2026, 3, 2, 2, tzinfo=UTC))  # overdue
    decide(desk, "reviewer", submitted(desk), Action.RETURN, "补正")
    table: list[queues.AgencyCounts] = desk.run(queues.monitor_overview, "monitor")
    by_name = {a.name: a for a in table}
    assert set(by_name) == {"天津市商务局", "北京市商务局"}
    tianjin = by_name["天津市商务局"]
    assert (tianjin.submitted, tianjin.overdue, tianjin.countersign) == (2, 1, 1)
    assert (tianjin.decided_this_month, tianjin.returned_this_month) == (0, 1)
    assert (tianjin.departures_this_month, tianjin.departures) == (0, 1)
    assert old.status == "refused"
    beijing = by_name["北京市商务局"]
    assert (beijing.submitted, beijing.departures) == (0, 0)
    with pytest.raises(Forbidden):
        desk.run(queues.monitor_overview, "reviewer")


def test_each_role_lists_the_licenses_it_may_see(desk: World) -> None:
    decide(desk, "reviewer", submitted(desk), Action.APPROVE)

    def numbers(who: str) -> list[str | None]:
        page: queues.LicensePage = desk.run(queues.licenses_for, who)
        return [row.license_no for row in page.items]

    assert numbers("applicant") == ["12-2026-000001"]
    assert numbers("reviewer") == ["12-2026-000001"]
    assert numbers("monitor") == ["12-2026-000001"]
    assert numbers("applicant2") == []
    assert numbers("other_reviewer") == []
    with pytest.raises(Forbidden):
        desk.run(queues.licenses_for, "admin")
