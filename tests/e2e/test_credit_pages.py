"""The enterprise credit pages over HTTP (SQLite and PostgreSQL): who sees which record
(the exporter its own only: another's is 404; roles without credit 403), the reviewer's
walk from an event to an accepted rectification through the forms, the exporter's
evidence, the page as of an earlier day, the overdue rectifications on the queue and
the dashboard, and the forms' refusals beside their fields."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from carexport.credit import service as credit
from carexport.credit.evidence import Upload
from carexport.db import UnitOfWork
from tests.e2e.pages_support import csrf_token, login, make_client
from tests.e2e.review_support import (  # noqa: F401  (desk_fixture: the `desk` fixture)
    Desk,
    desk_fixture,
    document,
)

PDF = b"%PDF-1.4\n% test evidence\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FEB = datetime(2026, 2, 2, 2, 0, tzinfo=UTC)  # a Monday, five weeks before today


def page_of(uscc: str) -> str:
    return f"/credit/enterprises/{uscc}"


def post(
    client: TestClient, path: str, data: dict[str, Any], files: list[Any] | None = None
) -> Response:
    response: Response = client.post(
        path, data={**data, "csrf_token": csrf_token(client)}, files=files
    )
    return response


def first_id(kind: str, html: str) -> int:
    found = re.search(rf'id="{kind}-(\d+)"', html)
    assert found, html
    return int(found.group(1))


def version_in(form_action: str, html: str) -> int:
    found = re.search(
        re.escape(form_action) + r'".*?name="version" value="(\d+)"', html, flags=re.S
    )
    assert found, form_action
    return int(found.group(1))


def test_the_reviewer_walks_an_event_to_an_accepted_rectification(desk: Desk) -> None:
    uscc = document("pass")["enterprise_uscc"]
    base = page_of(uscc)
    reviewer = login(make_client(), desk.world.reviewer)
    page = reviewer.get(base)
    assert page.status_code == 200, page.text
    assert 'id="grade"' in page.text

    done = post(
        reviewer,
        base + "/events",
        {"item": "5", "on": "2026-03-10", "description": "重复不规范填报"},
        files=[("files", ("scan.pdf", PDF, "application/pdf"))],
    )
    assert done.status_code == 303, done.text
    page = reviewer.get(base)
    assert "重复不规范填报" in page.text
    assert "scan.pdf" in page.text
    event_id = first_id("event", page.text)
    assert "应予约谈" in page.text  # one unrectified event: grade B, an interview is due

    done = post(
        reviewer,
        base + "/interviews",
        {"event_ids": [str(event_id)], "scheduled_on": "2026-03-13", "place": "第一会议室"},
    )
    assert done.status_code == 303, done.text
    page = reviewer.get(base)
    interview_id = first_id("interview", page.text)
    assert "已安排" in page.text
    action = f"{base}/interviews/{interview_id}/hold"
    done = post(
        reviewer,
        action,
        {
            "version": version_in(action, page.text),
            "held_on": "2026-03-13",
            "attendees": "张三\n李四",
            "minutes": "企业说明了填报流程",
            "outcome": "责令整改",
        },
    )
    assert done.status_code == 303, done.text

    page = reviewer.get(base)
    assert "企业说明了填报流程" in page.text
    assert "2026-04-13" in page.text  # 20 working days from Friday 13 March (清明 off)
    done = post(
        reviewer,
        base + "/rectifications",
        {
            "event_ids": [str(event_id)],
            "measures": "建立填报复核制度",
            "interview_id": str(interview_id),
        },
    )
    assert done.status_code == 303, done.text
    page = reviewer.get(base)
    rect_id = first_id("rectification", page.text)
    assert "建立填报复核制度" in page.text

    exporter = login(make_client(), "pass.applicant")
    own = exporter.get(base)
    assert own.status_code == 200
    action = f"{base}/rectifications/{rect_id}/evidence"
    assert action in own.text
    assert f'id="owed-{rect_id}"' in own.text  # what it owes, at the top of its page
    assert "2026-04-13" in own.text
    done = post(
        exporter,
        action,
        {"version": version_in(action, own.text), "note": "已建立复核制度"},
        files=[("files", ("rules.pdf", PDF, "application/pdf"))],
    )
    assert done.status_code == 303, done.text

    page = reviewer.get(base)
    assert "已建立复核制度" in page.text
    assert "rules.pdf" in page.text
    action = f"{base}/rectifications/{rect_id}/review"
    done = post(
        reviewer,
        action,
        {"version": version_in(action, page.text), "decision": "accept", "reason": ""},
    )
    assert done.status_code == 303, done.text
    page = reviewer.get(base)
    assert "已验收" in page.text
    assert 'class="grade-box grade-A"' in page.text  # one event, rectified


def test_a_past_day_shows_the_record_as_it_stood_then(desk: Desk) -> None:
    uscc = document("pass")["enterprise_uscc"]
    reviewer = desk.actor(desk.world.reviewer)
    with UnitOfWork(desk.engine) as uow:
        event = credit.record_event(
            uow=uow,
            actor=reviewer,
            enterprise_uscc=uscc,
            item=2,
            date=FEB.date(),
            description="未提供维修资料",
            at=FEB,
        )
    with UnitOfWork(desk.engine) as uow:
        credit.order_rectification(
            uow=uow,
            actor=reviewer,
            enterprise_uscc=uscc,
            event_ids=[event.id],
            measures="提供维修资料",
            at=FEB,
        )
    client = login(make_client(), desk.world.reviewer)
    today = client.get(page_of(uscc))
    assert 'class="grade-box grade-C"' in today.text
    assert "逾期" in today.text  # 20 working days from 2 February (春节 off): 6 March
    before = client.get(page_of(uscc) + "?as_of=2026-02-01")
    assert before.status_code == 200
    assert 'id="past-banner"' in before.text
    assert "2026-02-01" in before.text
    assert "未提供维修资料" not in before.text
    assert 'class="grade-box grade-A"' in before.text
    assert "/events" not in before.text  # no forms in the past
    then = client.get(page_of(uscc) + "?as_of=2026-02-03")
    assert "未提供维修资料" in then.text
    assert 'class="grade-box grade-C"' in then.text
    assert "逾期" not in then.text.split('id="rectifications-heading"')[1].split("</section>")[0]


@pytest.mark.parametrize("asked", ["2026-13-01", "2099-01-01", "x", "2025-06-30"])
def test_a_bad_or_future_day_is_refused_beside_the_date_picker(desk: Desk, asked: str) -> None:
    uscc = document("pass")["enterprise_uscc"]
    page = login(make_client(), desk.world.reviewer).get(page_of(uscc) + f"?as_of={asked}")
    assert page.status_code == 422
    assert 'id="as_of-error"' in page.text


def test_the_exporter_sees_its_own_record_and_no_other(desk: Desk) -> None:
    own = document("pass")["enterprise_uscc"]
    other = document("review")["enterprise_uscc"]
    exporter = login(make_client(), "pass.applicant")
    assert exporter.get(page_of(own)).status_code == 200
    assert exporter.get(page_of(other)).status_code == 404
    assert exporter.get("/credit").headers["location"] == page_of(own)
    # No reviewer's forms for the exporter, and its POSTs to them are refused.
    html = exporter.get(page_of(own)).text
    assert f"{page_of(own)}/events" not in html
    refused = post(exporter, page_of(own) + "/events", {"item": "1", "on": "2026-03-01"})
    assert refused.status_code == 403


def test_roles_without_credit_records_get_403_and_a_monitor_reads_only(desk: Desk) -> None:
    uscc = document("review")["enterprise_uscc"]
    for username in (desk.world.issuer, desk.world.admin):
        assert login(make_client(), username).get(page_of(uscc)).status_code == 403
    monitor = login(make_client(), desk.world.monitor)
    page = monitor.get(page_of(uscc))
    assert page.status_code == 200
    assert "/events" not in page.text
    assert post(monitor, page_of(uscc) + "/suspend", {"reason": "x"}).status_code == 403
    assert make_client().get(page_of(uscc)).status_code == 303  # to the login page
    assert login(make_client(), desk.world.reviewer).get(page_of("NOSUCH1")).status_code == 404


def test_a_form_s_problems_show_beside_its_fields(desk: Desk) -> None:
    uscc = document("pass")["enterprise_uscc"]
    reviewer = login(make_client(), desk.world.reviewer)
    response = post(reviewer, page_of(uscc) + "/events", {"item": "5", "on": "2026-03-10"})
    assert response.status_code == 422
    assert 'id="event-description-error"' in response.text
    assert '<details class="action-form" open>' in response.text
    response = post(reviewer, page_of(uscc) + "/interviews", {"scheduled_on": "2026-03-20"})
    assert response.status_code == 422
    assert 'id="schedule-event_ids-error"' in response.text
    response = post(reviewer, page_of(uscc) + "/suspend", {"reason": "违规"})
    assert response.status_code == 303  # refused (409, nothing crosses the line): flashed
    page = reviewer.get(page_of(uscc))
    assert "未达到退出条件" in page.text


def test_the_overdue_rectification_shows_in_the_queue_and_on_the_dashboard(desk: Desk) -> None:
    uscc = document("pass")["enterprise_uscc"]
    reviewer = desk.actor(desk.world.reviewer)
    with UnitOfWork(desk.engine) as uow:
        event = credit.record_event(
            uow=uow,
            actor=reviewer,
            enterprise_uscc=uscc,
            item=5,
            date=FEB.date(),
            description="填报不规范",
            at=FEB,
        )
    with UnitOfWork(desk.engine) as uow:
        rect = credit.order_rectification(
            uow=uow,
            actor=reviewer,
            enterprise_uscc=uscc,
            event_ids=[event.id],
            measures="整改",
            at=FEB,
        )
    queue = login(make_client(), desk.world.reviewer).get("/review")
    assert 'id="credit-overdue"' in queue.text
    assert f"{page_of(uscc)}#rectification-{rect.id}" in queue.text
    dashboard = login(make_client(), "pass.applicant").get("/applications")
    assert 'id="credit-overdue"' in dashboard.text
    assert str(rect.deadline) in dashboard.text
    # Another agency's queue does not show this agency's order.
    other = login(make_client(), desk.world.other_reviewer).get("/review")
    assert 'id="credit-overdue"' not in other.text


def test_the_agency_s_application_page_links_the_exporter_s_credit_page(desk: Desk) -> None:
    app = desk.submitted("review")
    page = login(make_client(), desk.world.reviewer).get(f"/review/applications/{app.id}")
    assert page_of(app.enterprise_uscc) in page.text


def test_the_credit_home_lists_the_enterprises_under_supervision(desk: Desk) -> None:
    uscc = document("pass")["enterprise_uscc"]
    reviewer = desk.actor(desk.world.reviewer)
    with UnitOfWork(desk.engine) as uow:
        event = credit.record_event(
            uow=uow,
            actor=reviewer,
            enterprise_uscc=uscc,
            item=5,
            date=FEB.date(),
            description="填报不规范",
            at=FEB,
        )
    with UnitOfWork(desk.engine) as uow:
        credit.order_rectification(
            uow=uow,
            actor=reviewer,
            enterprise_uscc=uscc,
            event_ids=[event.id],
            measures="整改",
            at=FEB,
        )
    for username in (desk.world.reviewer, desk.world.monitor):
        home = login(make_client(), username).get("/credit")
        assert home.status_code == 200
        table = home.text.split('id="supervised"')[1].split("</table>")[0]
        assert f'href="{page_of(uscc)}"' in table
        assert "天津甲出口公司" in table
    opened = login(make_client(), desk.world.reviewer).get(f"/credit?uscc={uscc}")
    assert opened.headers["location"] == page_of(uscc)
    assert login(make_client(), desk.world.issuer).get("/credit").status_code == 403


def test_an_evidence_file_downloads_for_those_who_may_read_its_record(desk: Desk) -> None:
    uscc = document("pass")["enterprise_uscc"]
    with UnitOfWork(desk.engine) as uow:
        event = credit.record_event(
            uow=uow,
            actor=desk.actor(desk.world.reviewer),
            enterprise_uscc=uscc,
            item=4,
            date=FEB.date(),
            description="证明文件不符",
            files=[Upload("scan.pdf", PDF)],
            at=FEB,
        )
    file_id = event.files[0].id
    own = login(make_client(), "pass.applicant").get(f"/credit/files/{file_id}")
    assert own.status_code == 200
    assert own.content == PDF
    assert own.headers["content-disposition"].startswith("attachment")
    assert own.headers["x-content-type-options"] == "nosniff"
    other = login(make_client(), "review.applicant").get(f"/credit/files/{file_id}")
    assert other.status_code == 404
    monitor = login(make_client(), desk.world.monitor)
    assert monitor.get(f"/credit/files/{file_id}").status_code == 200
    assert login(make_client(), desk.world.reviewer).get("/credit/files/99999").status_code == 404


def test_rejected_evidence_then_a_suspension_and_a_reinstatement_through_the_forms(
    desk: Desk,
) -> None:
    uscc = document("pass")["enterprise_uscc"]
    base = page_of(uscc)
    reviewer_actor = desk.actor(desk.world.reviewer)
    with UnitOfWork(desk.engine) as uow:
        event = credit.record_event(
            uow=uow,
            actor=reviewer_actor,
            enterprise_uscc=uscc,
            item=3,
            date=FEB.date(),
            description="车况不实",
            at=FEB,
        )
    with UnitOfWork(desk.engine) as uow:
        rect = credit.order_rectification(
            uow=uow,
            actor=reviewer_actor,
            enterprise_uscc=uscc,
            event_ids=[event.id],
            measures="整改",
            at=FEB,
        )
    with UnitOfWork(desk.engine) as uow:
        credit.submit_rectification_evidence(
            uow=uow,
            actor=desk.actor("pass.applicant"),
            rectification_id=rect.id,
            version=rect.version,
            note="已整改",
        )
    reviewer = login(make_client(), desk.world.reviewer)
    page = reviewer.get(base)
    action = f"{base}/rectifications/{rect.id}/review"
    version = version_in(action, page.text)
    # A rejection without its reason is refused beside the field, the form open.
    refused = post(reviewer, action, {"version": version, "decision": "reject", "reason": " "})
    assert refused.status_code == 422
    assert f'id="review-{rect.id}-reason-error"' in refused.text
    done = post(reviewer, action, {"version": version, "decision": "reject", "reason": "材料不全"})
    assert done.status_code == 303
    page = reviewer.get(base)
    assert "未通过，待重新提交" in page.text
    assert "整改未通过验收" in page.text  # the exit grounds, in words, on the suspend form
    # The same form sent twice: the second is stale (409), flashed, nothing changes.
    stale = post(reviewer, action, {"version": version, "decision": "accept"})
    assert stale.status_code == 303
    assert "刷新" in reviewer.get(base).text

    assert post(reviewer, base + "/suspend", {"reason": ""}).status_code == 422
    assert post(reviewer, base + "/suspend", {"reason": "整改未通过"}).status_code == 303
    page = reviewer.get(base)
    assert 'id="suspension-banner"' in page.text
    assert 'class="grade-box grade-D"' in page.text
    decision = re.search(r'name="suspension_id" value="(\d+)"', page.text)
    assert decision
    action = f"{base}/reinstate"
    done = post(
        reviewer,
        action,
        {
            "suspension_id": decision.group(1),
            "version": version_in(action, page.text),
            "reason": "复查合格",
        },
    )
    assert done.status_code == 303
    page = reviewer.get(base)
    assert 'id="suspension-banner"' not in page.text
    assert "已恢复" in page.text
    # The exporter sees its suspension history, and the agency as 发证机构 only.
    own = login(make_client(), "pass.applicant").get(base).text
    assert "复查合格" in own
    assert desk.world.reviewer not in own.split('id="history-heading"')[1]


def test_an_interview_is_cancelled_with_a_reason_or_closed_after_it_was_held(desk: Desk) -> None:
    uscc = document("pass")["enterprise_uscc"]
    base = page_of(uscc)
    actor = desk.actor(desk.world.reviewer)
    with UnitOfWork(desk.engine) as uow:
        event = credit.record_event(
            uow=uow, actor=actor, enterprise_uscc=uscc, item=7, date=FEB.date(),
            description="其他", at=FEB,
        )  # fmt: skip
    with UnitOfWork(desk.engine) as uow:
        first = credit.schedule_interview(
            uow=uow, actor=actor, enterprise_uscc=uscc, event_ids=[event.id],
            scheduled_on=FEB.date(), at=FEB,
        )  # fmt: skip
    reviewer = login(make_client(), desk.world.reviewer)
    action = f"{base}/interviews/{first.id}/cancel"
    refused = post(reviewer, action, {"version": first.version, "reason": ""})
    assert refused.status_code == 422
    assert f'id="cancel-{first.id}-reason-error"' in refused.text
    done = post(reviewer, action, {"version": first.version, "reason": "企业申请改期"})
    assert done.status_code == 303
    assert "已取消" in reviewer.get(base).text
    with UnitOfWork(desk.engine) as uow:
        second = credit.schedule_interview(
            uow=uow, actor=actor, enterprise_uscc=uscc, event_ids=[event.id],
            scheduled_on=FEB.date(), at=FEB,
        )  # fmt: skip
    with UnitOfWork(desk.engine) as uow:
        held = credit.record_interview(
            uow=uow, actor=actor, interview_id=second.id, version=second.version,
            held_on=FEB.date(), attendees=["甲"], minutes="记录", outcome="结论", at=FEB,
        )  # fmt: skip
    action = f"{base}/interviews/{second.id}/close"
    assert action in reviewer.get(base).text
    assert post(reviewer, action, {"version": held.version}).status_code == 303
    page = reviewer.get(base).text
    assert "已结束" in page
    assert action not in page
    # Another agency's staff see the interview but no form for it.
    other = login(make_client(), desk.world.other_reviewer).get(base).text
    assert f"/interviews/{second.id}/" not in other
