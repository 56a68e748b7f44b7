"""The agency's pages over HTTP (SQLite and PostgreSQL): the queue by due date with the
overdue marked, the application with its verdict, credit events, versions and timeline,
the decision walk to a license, notes, and what another region's reviewer gets."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from carexport.applications.enums import Action
from tests.e2e.pages_support import csrf_token, login, make_client
from tests.e2e.review_support import (  # noqa: F401  (desk_fixture: the `desk` fixture)
    Desk,
    bearer,
    desk_fixture,
    post_form,
)


def rows(html: str) -> list[str]:
    return re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S)


def test_the_queue_is_sorted_by_due_date_and_marks_the_overdue(desk: Desk) -> None:
    # Today is Friday 13 March: Monday 2 March's submission was due on the 5th.
    fresh = desk.submitted("pass")
    late = desk.submitted("pass", at=datetime(2026, 3, 2, 2, tzinfo=UTC))
    middle = desk.submitted("review", at=datetime(2026, 3, 9, 2, tzinfo=UTC))
    client = login(make_client(), desk.world.reviewer)
    page = client.get("/review")
    assert page.status_code == 200
    body = [r for r in rows(page.text) if "/review/applications/" in r]
    assert [re.search(r"CX-\d{4}-\d{6}", r).group(0) for r in body] == [  # type: ignore[union-attr]
        late.application_no,
        middle.application_no,
        fresh.application_no,
    ]
    assert ['class="overdue"' in r for r in body] == [True, True, False]
    assert "2026-03-05" in body[0]
    assert "2026-03-18" in body[2]
    assert "天津甲出口公司" in body[0]
    assert "KZ" in body[0]
    assert "badge-review" in body[1]
    assert '<strong id="queue-total">3</strong>' in page.text
    assert '<strong id="queue-overdue">2</strong>' in page.text
    assert 'queue-total">0<' in login(make_client(), desk.world.other_reviewer).get(
        "/review"
    ).text.replace("</strong>", "<")


def test_the_application_shows_the_verdict_facts_credit_versions_and_timeline(
    desk: Desk,
) -> None:
    app = desk.submitted("review")
    client = login(make_client(), desk.world.reviewer)
    page = client.get(f"/review/applications/{app.id}?lang=en")
    assert page.status_code == 200
    html = page.text
    assert "L6T7824Z0NN000412" in html
    for fact in ("CREDIT.", "商贸函〔2025〕648号", "附表转让登记日期填报不一致"):
        assert fact in html
    assert "Content versions" in html
    assert "Timeline" in html
    assert "Submitted" in html
    assert "Draft created" in html
    assert 'name="version" value="2"' in html
    assert "an approval needs a reason" in html
    chinese = client.get(f"/review/applications/{app.id}?lang=zh").text
    # the credit record's rectification in words, not the stored accepted / submitted
    assert "<td>已验收</td>" in chinese
    assert "<td>已提交</td>" in chinese
    assert ">accepted<" not in chinese


def test_a_return_needs_a_reason_and_then_stops_the_clock(desk: Desk) -> None:
    app = desk.submitted("pass")
    client = login(make_client(), desk.world.reviewer)
    path = f"/review/applications/{app.id}/decision"
    blank = post_form(client, path, {"version": 2, "action": "return", "reason": "  "})
    assert blank.status_code == 422
    assert 'id="reason-error"' in blank.text
    done = post_form(client, path, {"version": 2, "action": "return", "reason": "补正第2辆车照片"})
    assert done.status_code == 303
    shown = client.get(f"/review/applications/{app.id}").text
    assert "退回补正" in shown
    assert "补正第2辆车照片" in shown
    assert app.application_no in shown
    assert 'action="/review/applications/' + str(app.id) + '/decision"' not in shown


def test_a_review_goes_through_countersign_to_a_license_with_its_annex(desk: Desk) -> None:
    app = desk.submitted("review")
    reviewer = login(make_client(), desk.world.reviewer)
    path = f"/review/applications/{app.id}/decision"
    no_reason = post_form(reviewer, path, {"version": 2, "action": "approve"})
    assert no_reason.status_code == 422
    recommended = post_form(
        reviewer, path, {"version": 2, "action": "approve", "reason": "信用事项均已整改"}
    )
    assert recommended.status_code == 303
    assert reviewer.get("/review/countersign").status_code == 403
    again = post_form(reviewer, path, {"version": 3, "action": "approve", "reason": "再批"})
    assert again.status_code == 403

    senior = login(make_client(), desk.world.senior_reviewer)
    queue = senior.get("/review/countersign")
    assert queue.status_code == 200
    assert app.application_no in queue.text
    page = senior.get(f"/review/applications/{app.id}")
    # the recommender's reason at the top, beside 建议批准人, not only in the timeline
    assert re.search(r'<dd class="recommended-reason">信用事项均已整改</dd>', page.text)
    assert "reviewer" in page.text
    # the senior reviewer is in 会签队列 (the application's queue), not 待审队列
    assert '<a href="/review/countersign" aria-current="page">' in page.text
    assert '<a href="/review" aria-current="page">' not in page.text
    approved = post_form(senior, path, {"version": 3, "action": "approve", "reason": "同意"})
    assert approved.status_code == 303
    shown = senior.get(f"/review/applications/{app.id}").text
    assert "12-2026-000001" in shown
    assert "偏离预审结论" in shown  # an approved `review` departs from the verdict

    lic = reviewer.get("/licenses/12-2026-000001")
    assert lic.status_code == 200
    assert "L6T7824Z0NN000412" in lic.text
    assert "吉利" in lic.text
    assert "MR7153A01" in lic.text
    assert "2022-09-08" in lic.text
    assert "2026-09-12" in lic.text
    assert 'action="/licenses/12-2026-000001/extend"' in lic.text
    exporter = login(make_client(), "review.applicant")
    mine = exporter.get("/licenses/12-2026-000001")
    assert mine.status_code == 200
    assert "/extend" not in mine.text
    # the license's record names the agency's staff to the agency, not to the exporter
    assert "· senior</span>" in lic.text
    assert "· senior</span>" not in mine.text
    assert "· 发证机构</span>" in mine.text
    assert "12-2026-000001" in exporter.get("/licenses").text
    assert login(make_client(), "pass.applicant").get("/licenses/12-2026-000001").status_code == 404
    other = login(make_client(), desk.world.other_reviewer)
    assert other.get("/licenses/12-2026-000001").status_code == 404


def test_a_reviewer_extends_a_license_with_a_reason_within_its_year(desk: Desk) -> None:
    desk.decided(desk.submitted("pass"), "reviewer", Action.APPROVE)
    client = login(make_client(), desk.world.reviewer)
    path = "/licenses/12-2026-000001/extend"
    bad = post_form(client, path, {"valid_to": "2027-01-31", "reason": "船期"})
    assert bad.status_code == 422
    assert 'id="valid_to-error"' in bad.text
    garbage = post_form(client, path, {"valid_to": "soon", "reason": "船期"})
    assert garbage.status_code == 422
    assert 'id="valid_to-error"' in garbage.text
    reasonless = post_form(client, path, {"valid_to": "2026-12-31", "reason": ""})
    assert reasonless.status_code == 422
    assert 'id="reason-error"' in reasonless.text
    done = post_form(client, path, {"valid_to": "2026-12-31", "reason": "船期延误"})
    assert done.status_code == 303
    page = client.get("/licenses/12-2026-000001").text
    assert "2026-12-31" in page
    assert "船期延误" in page
    assert "badge-extended" in page
    other = login(make_client(), desk.world.other_reviewer)
    assert post_form(other, path, {"valid_to": "2026-12-30", "reason": "x"}).status_code == 404
    exporter = login(make_client(), "pass.applicant")
    assert post_form(exporter, path, {"valid_to": "2026-12-30", "reason": "x"}).status_code == 403


def test_approving_a_failing_verdict_shows_the_409_message(desk: Desk) -> None:
    app = desk.submitted("fail")
    client = login(make_client(), desk.world.reviewer)
    page = client.get(f"/review/applications/{app.id}")
    assert "预审结论为不通过" in page.text  # said beside the approve choice beforehand
    refused = post_form(
        client, f"/review/applications/{app.id}/decision", {"version": 2, "action": "approve"}
    )
    assert refused.status_code == 409
    assert "预审结论为不通过，不能批准，请退回补正" in refused.text


def test_a_stale_version_asks_to_reload(desk: Desk) -> None:
    app = desk.submitted("pass")
    desk.decided(app, "reviewer", Action.RETURN, "补正")
    client = login(make_client(), desk.world.senior_reviewer)
    stale = post_form(
        client,
        f"/review/applications/{app.id}/decision",
        {"version": 2, "action": "refuse", "reason": "x"},
    )
    assert stale.status_code == 409
    assert "请刷新后重试" in stale.text


def test_internal_notes_never_reach_the_exporter(desk: Desk) -> None:
    app = desk.submitted("pass")
    reviewer = login(make_client(), desk.world.reviewer)
    path = f"/review/applications/{app.id}/notes"
    internal = "内部：怀疑车辆被抵押，已函询车管所"
    shared = "请补充第1辆车的售后服务确认书"
    assert (
        post_form(reviewer, path, {"text": internal, "visibility": "internal"}).status_code == 303
    )
    assert post_form(reviewer, path, {"text": shared, "visibility": "exporter"}).status_code == 303
    blank = post_form(reviewer, path, {"text": " ", "visibility": "internal"})
    assert blank.status_code == 422
    assert 'id="text-error"' in blank.text
    staff = reviewer.get(f"/review/applications/{app.id}").text
    assert internal in staff
    assert shared in staff

    exporter = login(make_client(), "pass.applicant")
    page = exporter.get(f"/applications/{app.id}")
    assert page.status_code == 200  # the exporter's page reads notes.notes_for too
    assert shared in page.text
    assert internal not in page.text
    headers = bearer(exporter, "pass.applicant")
    for api in (f"/api/v1/applications/{app.id}", f"/api/v1/applications/{app.id}/history"):
        response = exporter.get(api, headers=headers)
        assert response.status_code == 200
        assert internal not in response.text
        assert "application.note.internal" not in response.text
    assert post_form(exporter, path, {"text": "x", "visibility": "exporter"}).status_code == 403


def test_another_regions_reviewer_gets_404(desk: Desk) -> None:
    app = desk.submitted("pass")
    other = login(make_client(), desk.world.other_reviewer)
    assert other.get(f"/review/applications/{app.id}").status_code == 404
    decision = post_form(
        other,
        f"/review/applications/{app.id}/decision",
        {"version": 2, "action": "return", "reason": "x"},
    )
    assert decision.status_code == 404
    note = post_form(other, f"/review/applications/{app.id}/notes", {"text": "x"})
    assert note.status_code == 404
    anonymous = make_client().get(f"/review/applications/{app.id}")
    assert anonymous.status_code == 303
    assert "/login" in anonymous.headers["location"]
    applicant = login(make_client(), "pass.applicant")
    assert applicant.get("/review").status_code == 403
    assert applicant.get(f"/review/applications/{app.id}").status_code == 403


def test_a_decision_without_the_csrf_token_is_refused(desk: Desk) -> None:
    app = desk.submitted("pass")
    client = login(make_client(), desk.world.reviewer)
    response = client.post(
        f"/review/applications/{app.id}/decision",
        data={"version": 2, "action": "return", "reason": "x"},
    )
    assert response.status_code == 403
    assert (
        "returned" not in client.get(f"/review/applications/{app.id}").text.split("<h1>")[1][:300]
    )


def test_no_review_or_license_page_answers_500_to_odd_input(desk: Desk) -> None:
    app = desk.submitted("pass")
    client = login(make_client(), desk.world.reviewer)
    token = csrf_token(client)
    for path in (
        "/review?page=-3",
        "/review?page=abc",
        "/review?page=99999999999999999999",
        "/review/applications/0",
        "/review/applications/-1",
        "/review/applications/abc",
        "/review/applications/99999999999999999999",
        "/licenses/%00",
        "/licenses/" + "9" * 300,
        "/licenses?page=0",
    ):
        assert client.get(path).status_code < 500, path
    decision = f"/review/applications/{app.id}/decision"
    for data in (
        {"version": "x", "action": "approve"},
        {"version": 2, "action": "maybe"},
        {"version": 2**70, "action": "return", "reason": "x"},
        {"version": 2},
        {"version": 2, "action": "return", "reason": "x" * 20_000},
    ):
        response = client.post(decision, data={**data, "csrf_token": token})
        assert response.status_code < 500, (data, response.text[:300])
    long_note = client.post(
        f"/review/applications/{app.id}/notes",
        data={"text": "长" * 5000, "csrf_token": token},
    )
    assert long_note.status_code == 422
