"""The credit JSON API end to end (/api/v1/credit), on SQLite and PostgreSQL: the walk
from event to suspension and reinstatement through HTTP, a suspended exporter's
submission refused with 409 naming the decision, and each refusal's status."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from carexport.config import get_settings
from tests.e2e.test_workflow_api import (  # noqa: F401  (fixture)
    Api,
    api,
    document,
)
from tests.integration.conftest import (  # noqa: F401  (fixtures)
    engine,
    pg_url,
    sqlite_template,
)

USCC = document("pass")["enterprise_uscc"]
PDF = base64.b64encode(b"%PDF-1.4\n% evidence\n").decode()


@pytest.fixture
def desk(api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Api:  # noqa: F811
    monkeypatch.setenv("CAREXPORT_MATERIAL_DIR", str(tmp_path / "files"))
    get_settings.cache_clear()
    return api


def event(desk: Api, day: str = "2026-03-01") -> dict[str, object]:
    made = desk.call(
        "reviewer",
        "POST",
        "/credit/events",
        {
            "enterprise_uscc": USCC,
            "item": 5,
            "date": day,
            "description": "重复违规填报",
            "files": [{"filename": "证据.pdf", "content_base64": PDF}],
        },
    )
    assert made.status_code == 201, made.text
    body: dict[str, object] = made.json()
    return body


def test_the_agency_walks_the_record_and_the_exporter_reads_its_own(desk: Api) -> None:
    first = event(desk)
    assert (first["status"], first["source"], first["item_label"]) == (
        "recorded",
        "reviewer",
        ["经营不规范", "Irregular business"],
    )
    interview = desk.call(
        "reviewer",
        "POST",
        "/credit/interviews",
        {"enterprise_uscc": USCC, "event_ids": [first["id"]], "scheduled_on": "2026-03-16"},
    ).json()
    held = desk.call(
        "reviewer",
        "POST",
        f"/credit/interviews/{interview['id']}/hold",
        {
            "version": 1,
            "held_on": "2026-03-16",
            "attendees": ["王经理"],
            "minutes": "纪要",
            "outcome": "整改",
        },
    )
    assert held.status_code == 200, held.text
    order = desk.call(
        "reviewer",
        "POST",
        "/credit/rectifications",
        {"enterprise_uscc": USCC, "event_ids": [first["id"]], "measures": "整改措施"},
    )
    assert order.status_code == 201, order.text
    rect = order.json()
    assert (rect["status"], rect["deadline"], rect["overdue"]) == ("ordered", "2026-04-13", False)
    sent = desk.call(
        "applicant",
        "POST",
        f"/credit/rectifications/{rect['id']}/evidence",
        {"version": 1, "note": "已整改", "files": [{"filename": "a.pdf", "content_base64": PDF}]},
    )
    assert sent.status_code == 200, sent.text
    missing = desk.call(
        "reviewer", "POST", f"/credit/rectifications/{rect['id']}/reject", {"version": 2}
    )
    assert missing.status_code == 422
    stale = desk.call(
        "reviewer", "POST", f"/credit/rectifications/{rect['id']}/accept", {"version": 1}
    )
    assert stale.status_code == 409
    assert (stale.json()["status"], stale.json()["version"]) == ("submitted", 2)
    accepted = desk.call(
        "reviewer", "POST", f"/credit/rectifications/{rect['id']}/accept", {"version": 2}
    )
    assert accepted.json()["status"] == "accepted"

    mine = desk.call("applicant", "GET", f"/credit/enterprises/{USCC}")
    assert mine.status_code == 200
    record = mine.json()
    assert [e["rectification"] for e in record["events"]] == ["accepted"]
    assert record["open_rectifications"] == []
    before = desk.call("monitor", "GET", f"/credit/enterprises/{USCC}?as_of=2026-02-28").json()
    assert before["events"] == []
    assert desk.call("applicant2", "GET", f"/credit/enterprises/{USCC}").status_code == 404
    assert desk.call("admin", "GET", f"/credit/enterprises/{USCC}").status_code == 403
    assert desk.call(None, "GET", f"/credit/enterprises/{USCC}").status_code == 401
    file_id = record["events"][0]["files"][0]["id"]
    download = desk.call("applicant", "GET", f"/credit/files/{file_id}")
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF-")
    assert desk.call("applicant2", "GET", f"/credit/files/{file_id}").status_code == 404


def test_a_suspension_refuses_the_exporters_submission_until_reinstated(desk: Api) -> None:
    refused = desk.call(
        "reviewer", "POST", "/credit/suspensions", {"enterprise_uscc": USCC, "reason": "违规"}
    )
    assert refused.status_code == 409  # nothing crosses the line yet
    for day in ("2026-01-05", "2026-01-06", "2026-01-07"):
        event(desk, day)
    assert (
        desk.call("applicant", "POST", "/credit/suspensions", {"enterprise_uscc": USCC}).status_code
        == 403
    )
    assert (
        desk.call("reviewer", "POST", "/credit/suspensions", {"enterprise_uscc": USCC}).status_code
        == 422
    )
    made = desk.call(
        "reviewer", "POST", "/credit/suspensions", {"enterprise_uscc": USCC, "reason": "屡次违规"}
    )
    assert made.status_code == 201, made.text
    decision = made.json()
    draft = desk.call("applicant", "POST", "/applications", document("pass")).json()
    assert any(f["rule"] == "CREDIT.SUSPENDED" for f in draft["verdict"]["findings"])
    submit = desk.call("applicant", "POST", f"/applications/{draft['id']}/submit", {"version": 1})
    assert submit.status_code == 409
    assert decision["decision_no"] in submit.json()["detail"]
    assert submit.json()["status"] == "draft"
    lifted = desk.call(
        "reviewer",
        "POST",
        f"/credit/suspensions/{decision['id']}/reinstate",
        {"version": 1, "reason": "整改通过"},
    )
    assert lifted.status_code == 200, lifted.text
    again = desk.call("applicant", "POST", f"/applications/{draft['id']}/submit", {"version": 1})
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "submitted"
