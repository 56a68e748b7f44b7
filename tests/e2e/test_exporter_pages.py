"""The exporter's pages over HTTP (SQLite and PostgreSQL): dashboard, new application
by form and by upload, the application with its pre-check, fixes, Annex 2 materials,
submit / return / resubmit / withdraw, and who may see what."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from carexport.accounts import service as accounts
from carexport.applications import service
from carexport.applications.enums import Action
from carexport.applications.models import Application, ApplicationMaterial
from carexport.config import get_settings
from carexport.db import UnitOfWork
from tests.e2e.pages_support import World, csrf_token, login, make_client

VIN = "LGXCE4CB3P0123789"
MODIFIED_VIN = "LVVDB11B9PD200045"
PDF = b"%PDF-1.7\n" + b"1" * 3000 + b"\n%%EOF\n"
LIMIT = 8192


@pytest.fixture
def exporter(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("CAREXPORT_MATERIAL_DIR", str(tmp_path / "materials"))
    monkeypatch.setenv("CAREXPORT_MAX_MATERIAL_BYTES", str(LIMIT))
    get_settings.cache_clear()
    return world


def client_of(username: str) -> TestClient:
    return login(make_client(), username)


def new_form(client: TestClient, world: World) -> dict[str, object]:
    return {
        "csrf_token": csrf_token(client, "/applications/new"),
        "destination_country": "KZ",
        "issuing_agency": world.agency_name,
        "op": "save",
        "vin": [VIN, MODIFIED_VIN, ""],
        "brand": ["比亚迪", "东风", ""],
        "model": ["BYD7150", "DFL5160", ""],
        "registration_date": ["2024-01-20", "2023-06-15", ""],
        "transfer_for_export_date": ["2026-03-02", "2026-03-03", ""],
        "confirmation_id": ["", "", ""],
        "hs_code": ["8703239000", "8703239000", ""],
        "modified": ["0", "1", "0"],
        "chassis_brand": ["", "东风", ""],
        "modified_brand": ["", "东风改装", ""],
    }


def create(client: TestClient, world: World) -> int:
    response = client.post("/applications/new", data=new_form(client, world))
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/applications/(\d+)", response.headers["location"])
    assert found
    return int(found.group(1))


def version_of(engine: Engine, application_id: int) -> int:
    with UnitOfWork(engine) as uow:
        app = uow.session.get(Application, application_id)
        assert app is not None
        return app.version


def applications(engine: Engine) -> list[Application]:
    with UnitOfWork(engine) as uow:
        found = list(uow.session.scalars(select(Application)))
        uow.session.expunge_all()  # as loaded: leaving the unit of work would expire them
        return found


def test_each_page_renders_for_the_exporter(exporter: World, pages_engine: Engine) -> None:
    client = client_of(exporter.applicant)
    assert "我的申请" in client.get("/applications").text
    page = client.get("/applications/new")
    assert page.status_code == 200
    assert "上传车辆清单" in page.text
    assert exporter.agency_name in page.text
    # destinations named in the page's language, the code beside
    assert '<option value="KZ">哈萨克斯坦 (KZ)</option>' in page.text
    app_id = create(client, exporter)
    shown = client.get(f"/applications/{app_id}")
    assert shown.status_code == 200
    assert VIN in shown.text
    assert MODIFIED_VIN in shown.text
    assert "finding-fail" in shown.text  # the pre-check, vehicle by vehicle
    assert "附件2" in shown.text
    assert "内容版本" in shown.text
    assert "状态记录" in shown.text
    assert "创建草稿" in shown.text  # the status history's action in words
    assert "北京时间" in shown.text  # the zone of every time shown
    english = client.get(f"/applications/{app_id}?lang=en")
    assert "Pre-check" in english.text
    # no raw field name or verb on the English page: proper labels
    for raw in ("brand", "registration_date", "hs_code", "create"):
        assert f">{raw}<" not in english.text
    assert ">Registered on<" in english.text
    assert "Draft created" in english.text
    assert "Beijing time" in english.text
    new_in_english = client.get("/applications/new").text
    assert '<option value="KZ">Kazakhstan (KZ)</option>' in new_in_english
    dashboard = client.get("/applications")
    assert re.search(rf'href="/applications/{app_id}"', dashboard.text)
    fragment = client.get(f"/applications/{app_id}/vehicles/0/edit", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert f'action="/applications/{app_id}/vehicles/0"' in fragment.text
    assert "<html" not in fragment.text


def test_another_exporter_gets_404_and_anonymous_goes_to_login(
    exporter: World, pages_engine: Engine
) -> None:
    app_id = create(client_of(exporter.applicant), exporter)
    other = client_of(exporter.other_applicant)
    token = csrf_token(other, "/applications")
    assert other.get(f"/applications/{app_id}").status_code == 404
    for path in ("submit", "withdraw", "vehicles/0/remove", "vehicles/0", "details"):
        response = other.post(
            f"/applications/{app_id}/{path}", data={"csrf_token": token, "version": "1"}
        )
        assert response.status_code == 404, path
    assert version_of(pages_engine, app_id) == 1
    anonymous = make_client()
    response = anonymous.get(f"/applications/{app_id}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert anonymous.get("/applications").status_code == 303
    reviewer = client_of(exporter.reviewer)
    assert reviewer.get("/applications").status_code == 403


def test_upload_with_a_bad_row_names_the_row_and_saves_nothing(
    exporter: World, pages_engine: Engine
) -> None:
    client = client_of(exporter.applicant)
    body = (
        "车辆识别代号,品牌,注册登记日期,是否改装\n"
        f"{VIN},比亚迪,2024-01-20,否\n"
        f"{MODIFIED_VIN},东风,2024-13-45,是\n"
    ).encode("gb18030")
    response = client.post(
        "/applications/upload",
        data={
            "csrf_token": csrf_token(client, "/applications/new"),
            "destination_country": "KZ",
            "issuing_agency": exporter.agency_name,
        },
        files={"file": ("车辆.csv", body, "text/csv")},
    )
    assert response.status_code == 422
    assert "第3行 registration_date" in response.text
    assert applications(pages_engine) == []


def test_upload_of_an_xlsx_list_saves_a_draft_with_its_vehicles(
    exporter: World, pages_engine: Engine
) -> None:
    client = client_of(exporter.applicant)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["vin", "brand", "registration_date", "modified"])
    sheet.append([VIN, "BYD", "2024-01-20", "false"])
    sheet.append([MODIFIED_VIN, "DF", "2023-06-15", "true"])
    data = io.BytesIO()
    book.save(data)
    response = client.post(
        "/applications/upload",
        data={
            "csrf_token": csrf_token(client, "/applications/new"),
            "destination_country": "KZ",
            "issuing_agency": exporter.agency_name,
        },
        files={"file": ("list.xlsx", data.getvalue(), "application/octet-stream")},
    )
    assert response.status_code == 303, response.text
    (app,) = applications(pages_engine)
    assert app.content is not None
    assert [v["vin"] for v in app.content["vehicles"]] == [VIN, MODIFIED_VIN]
    assert app.content["vehicles"][1]["modified"] is True


def attach(client: TestClient, app_id: int, version: int, name: str, data: bytes) -> object:
    return client.post(
        f"/applications/{app_id}/materials",
        data={
            "csrf_token": csrf_token(client, f"/applications/{app_id}"),
            "version": str(version),
            "vin": MODIFIED_VIN,
            "item": "modification_description",
        },
        files={"file": (name, data, "application/pdf")},
    )


def test_material_upload_refuses_an_exe_and_a_big_file_and_stores_the_hash(
    exporter: World, pages_engine: Engine
) -> None:
    client = client_of(exporter.applicant)
    app_id = create(client, exporter)
    exe = attach(client, app_id, 1, "setup.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    assert exe.status_code == 422  # type: ignore[attr-defined]
    assert "只接受PDF、JPEG或PNG" in exe.text  # type: ignore[attr-defined]
    big = attach(client, app_id, 1, "big.pdf", b"%PDF-" + b"0" * LIMIT)
    assert big.status_code == 422  # type: ignore[attr-defined]
    assert "CAREXPORT_MAX_MATERIAL_BYTES" in big.text  # type: ignore[attr-defined]
    assert version_of(pages_engine, app_id) == 1
    good = attach(client, app_id, 1, "说明.pdf", PDF)
    assert good.status_code == 303  # type: ignore[attr-defined]
    digest = hashlib.sha256(PDF).hexdigest()
    with UnitOfWork(pages_engine) as uow:
        (material,) = uow.session.scalars(select(ApplicationMaterial)).all()
        assert material.sha256 == digest
        app = uow.session.get(Application, app_id)
        assert app is not None
        assert app.content is not None
        assert app.content["vehicles"][1]["materials"] == ["modification_description"]
    page = client.get(f"/applications/{app_id}")
    assert digest[:16] in page.text
    assert "说明.pdf" in page.text


def test_material_downloads_for_the_agency_and_not_for_another_exporter(
    exporter: World, pages_engine: Engine
) -> None:
    client = client_of(exporter.applicant)
    app_id = create(client, exporter)
    assert attach(client, app_id, 1, "说明.pdf", PDF).status_code == 303  # type: ignore[attr-defined]
    with UnitOfWork(pages_engine) as uow:
        material_id = uow.session.scalars(select(ApplicationMaterial.id)).one()
    path = f"/applications/{app_id}/materials/{material_id}"
    own = client.get(path)
    assert own.status_code == 200
    assert own.content == PDF
    assert own.headers["content-disposition"].startswith("attachment")
    reviewer = client_of(exporter.reviewer)
    assert reviewer.get(path).status_code == 404  # a draft: the agency does not see it yet
    submitted = client.post(
        f"/applications/{app_id}/submit",
        data={"csrf_token": csrf_token(client, f"/applications/{app_id}"), "version": "2"},
    )
    assert submitted.status_code == 303
    downloaded = reviewer.get(path)
    assert downloaded.status_code == 200
    assert downloaded.content == PDF
    assert client_of(exporter.other_applicant).get(path).status_code == 404
    assert client_of(exporter.other_reviewer).get(path).status_code == 404
    assert client_of(exporter.monitor).get(path).status_code == 200


def reviewer_returns(engine: Engine, world: World, app_id: int, reason: str) -> None:
    with UnitOfWork(engine) as uow:
        (user,) = [u for u in accounts.list_users(uow=uow) if u.username == world.reviewer]
        actor = accounts.actor_of(user)
    with UnitOfWork(engine) as uow:
        service.decide(
            uow=uow,
            actor=actor,
            application_id=app_id,
            version=version_of(engine, app_id),
            action=Action.RETURN,
            reason=reason,
        )


def test_submit_return_fix_resubmit_and_withdraw(exporter: World, pages_engine: Engine) -> None:
    client = client_of(exporter.applicant)
    app_id = create(client, exporter)
    here = f"/applications/{app_id}"
    token = csrf_token(client, here)
    assert (
        client.post(f"{here}/submit", data={"csrf_token": token, "version": "1"}).status_code == 303
    )
    # The same form again: stale, a message to reload, not an error page.
    stale = client.post(f"{here}/submit", data={"csrf_token": token, "version": "1"})
    assert stale.status_code == 303
    assert "页面已刷新为当前内容" in client.get(here).text
    reviewer_returns(pages_engine, exporter, app_id, "请补充第2辆车的改装材料")
    page = client.get(here)
    assert 'id="returned"' in page.text
    assert "请补充第2辆车的改装材料" in page.text
    version = version_of(pages_engine, app_id)
    fixed = client.post(
        f"{here}/vehicles/0",
        data={
            "csrf_token": token,
            "version": str(version),
            "vin": VIN,
            "brand": "比亚迪",
            "model": "BYD7150WTHEV3",
            "registration_date": "2024-01-21",
            "modified": "0",
        },
    )
    assert fixed.status_code == 303
    bad = client.post(
        f"{here}/vehicles/0",
        data={
            "csrf_token": token,
            "version": str(version + 1),
            "vin": VIN,
            "registration_date": "2024-02-31",
        },
    )
    assert bad.status_code == 422
    assert "registration_date" in bad.text or "日期" in bad.text
    removed = client.post(
        f"{here}/vehicles/1/remove", data={"csrf_token": token, "version": str(version + 1)}
    )
    assert removed.status_code == 303
    with UnitOfWork(pages_engine) as uow:
        app = uow.session.get(Application, app_id)
        assert app is not None
        assert app.content is not None
        assert [v["vin"] for v in app.content["vehicles"]] == [VIN]
        assert app.content["vehicles"][0]["registration_date"] == "2024-01-21"
        assert app.status == "returned"
    resubmitted = client.post(
        f"{here}/submit", data={"csrf_token": token, "version": str(version + 2)}
    )
    assert resubmitted.status_code == 303
    withdrawn = client.post(
        f"{here}/withdraw",
        data={"csrf_token": token, "version": str(version + 3), "reason": "买家取消"},
    )
    assert withdrawn.status_code == 303
    page = client.get(here)
    assert "买家取消" in page.text
    with UnitOfWork(pages_engine) as uow:
        app = uow.session.get(Application, app_id)
        assert app is not None
        assert app.status == "withdrawn"


def test_no_page_answers_500_to_odd_input(exporter: World, pages_engine: Engine) -> None:
    client = client_of(exporter.applicant)
    app_id = create(client, exporter)
    token = csrf_token(client, f"/applications/{app_id}")
    for path in (
        "/applications?status=nonsense&page=-4",
        "/applications?page=999999999999",
        f"/applications/{app_id}?edit=999",
        f"/applications/{app_id}?edit=-7",
        "/applications/99999999999",
        "/applications/0",
        f"/applications/{app_id}/vehicles/99/edit",
        f"/applications/{app_id}/materials/99999999999",
        f"/applications/{app_id}/materials/-1",
    ):
        assert client.get(path).status_code < 500, path
    for path, data in (
        (f"/applications/{app_id}/submit", {"version": "x"}),
        (f"/applications/{app_id}/vehicles/77", {"version": "1", "vin": VIN}),
        (f"/applications/{app_id}/vehicles/-5/remove", {"version": "1"}),
        (f"/applications/{app_id}/details", {"version": "1", "destination_country": "ZZ"}),
        ("/applications/new", {"op": "remove:zz", "vin": ["x"]}),
        ("/applications/new", {"op": "save", "vin": ["x" * 5000]}),
        (f"/applications/{app_id}/materials", {"version": "1", "vin": VIN, "item": "x"}),
    ):
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code < 500, (path, response.text[:300])
