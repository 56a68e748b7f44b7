"""Licenses as signed documents, end to end (SQLite and PostgreSQL): the approval signs
them with the agency's key, the PDF embeds its Chinese font, draws a QR code that
decodes to the verification URL and carries the signed JSON, the verification page and
API answer without an account, and tampering is caught online and offline."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from carexport import clock
from carexport.applications import service
from carexport.applications.enums import Action
from carexport.db import UnitOfWork
from carexport.documents import keys, licenses
from carexport.documents.models import SignedLicense
from tests.e2e.pages_support import login, make_client
from tests.e2e.review_support import Desk, bearer, desk_fixture  # noqa: F401 (fixture)
from tests.keys_fixtures import dev_kek  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("dev_kek")

BASE_URL = "https://verify.example.cn"
# CI installs poppler-utils (make browser); elsewhere its absence skips, with the reason.
POPPLER = all(shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdftoppm"))
NEEDS_POPPLER = pytest.mark.skipif(
    not POPPLER and not os.environ.get("CI"), reason="poppler-utils not installed"
)


@pytest.fixture(autouse=True)
def base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREXPORT_PUBLIC_BASE_URL", BASE_URL)


def agency_key(desk: Desk) -> str:
    with UnitOfWork(desk.engine) as uow:
        row = keys.generate_key(
            uow=uow, org_id=desk.world.agency_org, valid_from=date(2026, 1, 1), by=None
        )
        return row.key_id


def approved(desk: Desk) -> str:
    app = desk.decided(desk.submitted("pass"), "reviewer", Action.APPROVE)
    with UnitOfWork(desk.engine) as uow:
        lic = service.license_of(uow=uow, application=app)
        assert lic is not None
        assert lic.license_no is not None
        return lic.license_no


def stored(desk: Desk, license_no: str) -> list[SignedLicense]:
    with UnitOfWork(desk.engine) as uow:
        rows = licenses.versions_of(session=uow.session, license_no=license_no)
        uow.session.expunge_all()
        return rows


def carexport(*args: str, env_db: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAREXPORT_DATABASE_URL": env_db}
    return subprocess.run(
        [sys.executable, "-m", "carexport", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def keys_file(client: TestClient, tmp_path: Path) -> Path:
    path = tmp_path / "keys.json"
    path.write_text(client.get("/api/v1/keys").text, encoding="utf-8")
    return path


def pdf_of(client: TestClient, license_no: str) -> bytes:
    response = client.get(f"/licenses/{license_no}.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return bytes(response.content)


# --- signing ---


def test_an_approval_signs_version_1_with_the_agency_key(desk: Desk) -> None:
    key_id = agency_key(desk)
    license_no = approved(desk)
    [row] = stored(desk, license_no)
    assert row.version == 1
    assert row.key_id == key_id
    assert row.document is not None
    document = row.document
    assert document["document_type"] == "export_license"
    assert document["license_no"] == license_no
    assert document["agency"] == "天津市商务局"
    assert document["agency_region"] == "12"
    assert document["enterprise_name"] == "天津甲出口公司"
    assert document["signed_on"] == "2026-03-13"
    assert [line["vin"] for line in document["annex"]]
    with UnitOfWork(desk.engine) as uow:
        assert keys.verify(session_or_keys=uow.session, document=document).valid


def test_an_agency_without_a_key_issues_the_license_unsigned_and_says_so(desk: Desk) -> None:
    license_no = approved(desk)  # no key made: the approval still stands
    [row] = stored(desk, license_no)
    assert row.document is None
    assert row.unsigned_reason is not None
    assert "carexport keys generate" in row.unsigned_reason
    client = make_client()
    answer = client.get(f"/api/v1/verify/{license_no}").json()
    assert answer["state"] == "unsigned"
    assert answer["genuine"] is False
    login(client, "pass.applicant")
    response = client.get(f"/licenses/{license_no}.pdf")
    assert response.status_code == 409
    assert "未签名" in response.text


def test_an_extension_signs_version_2_and_version_1_is_superseded(desk: Desk) -> None:
    agency_key(desk)
    license_no = approved(desk)
    with UnitOfWork(desk.engine) as uow:
        service.extend_license(
            uow=uow,
            actor=desk.actor("reviewer"),
            license_no=license_no,
            valid_to=date(2026, 10, 31),
            reason="船期延误",
        )
    first, second = stored(desk, license_no)
    assert (first.version, second.version) == (1, 2)
    assert first.superseded_at is not None
    assert second.superseded_at is None
    assert second.document is not None
    assert second.document["valid_to"] == "2026-10-31"
    assert second.document["status"] == "extended"
    client = make_client()
    answer = client.get(f"/api/v1/verify/{license_no}").json()
    assert answer["state"] == "current"
    assert answer["document"]["version"] == 2
    assert [v["superseded"] for v in answer["versions"]] == [True, False]
    # The old version still verifies offline: its key was valid on the day it signed.
    with UnitOfWork(desk.engine) as uow:
        assert first.document is not None
        assert keys.verify(session_or_keys=uow.session, document=first.document).valid


# --- verification online ---


def test_the_verification_answers_without_an_account_with_the_minimum(desk: Desk) -> None:
    agency_key(desk)
    license_no = approved(desk)
    client = make_client()
    response = client.get(f"/api/v1/verify/{license_no}")
    assert response.status_code == 200
    answer = response.json()
    assert answer["genuine"] is True
    assert answer["state"] == "current"
    assert answer["kind"] == "license"
    assert answer["issuer"]["name"] == "天津市商务局"
    summary = answer["document"]
    assert summary["destination_country"]
    assert summary["vehicles"][0]["vin"]
    # Only what a customs officer needs: no application, no registration dates.
    assert "application_id" not in json.dumps(answer)
    assert "registration_date" not in json.dumps(answer)
    page = client.get(f"/verify/{license_no}")
    assert page.status_code == 200
    assert 'data-state="current"' in page.text
    assert summary["vehicles"][0]["vin"] in page.text


@pytest.mark.parametrize("number", ["12-2026-999999", "x" * 300, "CF-%00", "%E2%80%AE12"])
def test_an_unknown_number_is_404_never_500(desk: Desk, number: str) -> None:
    client = make_client()
    response = client.get(f"/api/v1/verify/{number}")
    assert response.status_code == 404
    assert response.json()["state"] == "not_found"
    assert client.get(f"/verify/{number}").status_code == 404


def test_a_stored_document_edited_in_the_database_is_reported_invalid(desk: Desk) -> None:
    agency_key(desk)
    license_no = approved(desk)
    with UnitOfWork(desk.engine) as uow:
        query = select(SignedLicense).where(SignedLicense.license_no == license_no)
        row = uow.session.scalar(query)
        assert row is not None
        assert row.document is not None
        changed = json.loads(json.dumps(row.document))
        changed["annex"][0]["vin"] = "LFV2A21K0G4000001"
        row.document = changed
        uow.commit()
    answer = make_client().get(f"/api/v1/verify/{license_no}").json()
    assert answer["genuine"] is False
    assert answer["state"] == "invalid"


def test_a_returned_or_expired_license_is_genuine_but_not_current(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    agency_key(desk)
    license_no = approved(desk)
    client = make_client()
    monkeypatch.setattr(clock, "today", lambda at=None: date(2026, 12, 31))
    answer = client.get(f"/api/v1/verify/{license_no}").json()
    assert (answer["genuine"], answer["state"]) == (True, "expired")
    with UnitOfWork(desk.engine) as uow:
        licenses.record_status(session=uow.session, license_no=license_no, status="returned")
        uow.commit()
    answer = client.get(f"/api/v1/verify/{license_no}").json()
    assert (answer["genuine"], answer["state"]) == (True, "returned")


# --- downloads and who may have them ---


def test_the_license_downloads_only_for_its_exporter_agency_and_monitor(desk: Desk) -> None:
    agency_key(desk)
    license_no = approved(desk)
    for username in ("pass.applicant", "reviewer", "monitor"):
        client = login(make_client(), username)
        page = client.get(f"/licenses/{license_no}").text
        assert f'href="/licenses/{license_no}.pdf"' in page
        assert f'href="/verify/{license_no}"' in page
        assert client.get(f"/licenses/{license_no}.pdf").status_code == 200
        body = client.get(f"/licenses/{license_no}.json")
        assert body.status_code == 200
        assert body.json()["license_no"] == license_no
    for username in ("review.applicant", "other.reviewer"):
        client = login(make_client(), username)
        assert client.get(f"/licenses/{license_no}.pdf").status_code == 404
    anonymous = make_client().get(f"/licenses/{license_no}.pdf")
    assert anonymous.status_code == 303  # to the login page
    api = make_client()
    headers = bearer(api, "pass.applicant")
    response = api.get(f"/api/v1/licenses/{license_no}/document.json", headers=headers)
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert api.get(f"/api/v1/licenses/{license_no}/document.pdf").status_code == 401


# --- the PDF ---


@NEEDS_POPPLER
def test_the_pdf_embeds_its_chinese_font_and_its_qr_opens_the_verification_page(
    desk: Desk, tmp_path: Path
) -> None:
    import zxingcpp
    from PIL import Image

    agency_key(desk)
    license_no = approved(desk)
    client = login(make_client(), "pass.applicant")
    path = tmp_path / "license.pdf"
    path.write_bytes(pdf_of(client, license_no))

    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = fonts.stdout.splitlines()[2:]
    assert rows, fonts.stdout
    for row in rows:  # every font embedded (emb yes) and a subset
        assert "NotoSansCJK" in row
        assert " yes yes " in row, row
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "中华人民共和国出口许可证" in text
    assert "天津甲出口公司" in text
    assert license_no in text

    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / "p")],
        check=True,
    )
    [page] = sorted(tmp_path.glob("p*.png"))
    found = zxingcpp.read_barcodes(Image.open(page))
    urls = [code.text for code in found if code.format == zxingcpp.BarcodeFormat.QRCode]
    assert urls == [f"{BASE_URL}/verify/{license_no}"]
    # The browser follows what the QR encodes (the path, on this test server).
    opened = make_client().get(urls[0].removeprefix(BASE_URL))
    assert opened.status_code == 200
    assert 'data-state="current"' in opened.text


# --- offline: carexport verify ---


def _replace_attachment(pdf: bytes, new_json: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    [name] = list(reader.attachments)
    # Drop the original attachment and attach the forged one under the same name.
    root: Any = writer._root_object
    del root["/Names"]["/EmbeddedFiles"]
    writer.add_attachment(name, new_json)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_carexport_verify_accepts_the_pdf_and_json_and_catches_tampering(
    desk: Desk, tmp_path: Path
) -> None:
    agency_key(desk)
    license_no = approved(desk)
    client = login(make_client(), "pass.applicant")
    keys_path = keys_file(make_client(), tmp_path)
    db = desk.engine.url.render_as_string(hide_password=False)
    pdf = pdf_of(client, license_no)
    good_pdf = tmp_path / "good.pdf"
    good_pdf.write_bytes(pdf)
    good_json = tmp_path / "good.json"
    good_json.write_bytes(client.get(f"/licenses/{license_no}.json").content)

    for path in (good_pdf, good_json):
        run = carexport("verify", str(path), "--keys", str(keys_path), env_db=db)
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stdout.startswith(f"genuine: license {license_no} version 1")
    # Without --keys: the keys this store publishes.
    assert carexport("verify", str(good_pdf), env_db=db).returncode == 0

    # The annex edited in the JSON: one VIN swapped.
    edited = json.loads(good_json.read_text(encoding="utf-8"))
    edited["annex"][0]["vin"] = "LFV2A21K0G4000001"
    edited_json = tmp_path / "edited.json"
    edited_json.write_text(json.dumps(edited, ensure_ascii=False), encoding="utf-8")
    run = carexport("verify", str(edited_json), "--keys", str(keys_path), env_db=db)
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stdout.startswith("not genuine: bad_signature")

    # The PDF's embedded JSON replaced by the edited one.
    forged_pdf = tmp_path / "forged.pdf"
    forged_pdf.write_bytes(_replace_attachment(pdf, edited_json.read_bytes()))
    run = carexport("verify", str(forged_pdf), "--keys", str(keys_path), env_db=db)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "bad_signature" in run.stdout

    # Unusable input: not a document, a PDF without the attachment, a missing file.
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\nnot really\n")
    for path in (junk, tmp_path / "absent.json"):
        run = carexport("verify", str(path), "--keys", str(keys_path), env_db=db)
        assert run.returncode == 2, run.stdout + run.stderr
        assert run.stderr.startswith("error:")
        assert "Traceback" not in run.stderr


# --- confirmations: the same verification, read from the registry's store ---


def _store_confirmation(desk: Desk, **changes: Any) -> dict[str, Any]:
    from carexport.domain.facts import Confirmation
    from carexport.feeds import service as feeds
    from tests.e2e.pages_support import uscc

    document = {
        "id": "CF-2026-000777",
        "issuer_uscc": uscc(3),  # the world's manufacturer
        "vin": "LGXCE4CB8P0123456",
        "brand": "比亚迪",
        "model": "BYD7150WTHEV3",
        "destination_country": "KZ",
        "issued_on": "2026-03-01",
        "outlets": [{"name": "阿拉木图服务中心", "country": "KZ", "city": "Almaty"}],
        "revoked": False,
        **changes,
    }
    with UnitOfWork(desk.engine) as uow:
        signed = keys.sign(
            session=uow.session, org_id=desk.world.manufacturer_org, document=document,
            on=date(2026, 3, 1),
        )  # fmt: skip
        confirmation = Confirmation.model_validate(signed)
        if changes.get("revoked"):
            feeds.replace_confirmation(uow=uow, confirmation=confirmation)
        else:
            feeds.add_confirmation(uow=uow, confirmation=confirmation)
        uow.commit()
    return signed


def test_a_confirmation_verifies_by_its_number_and_a_revoked_one_says_so(desk: Desk) -> None:
    with UnitOfWork(desk.engine) as uow:
        keys.generate_key(
            uow=uow, org_id=desk.world.manufacturer_org, valid_from=date(2026, 1, 1), by=None
        )
    _store_confirmation(desk)
    client = make_client()
    answer = client.get("/api/v1/verify/CF-2026-000777").json()
    assert (answer["kind"], answer["genuine"], answer["state"]) == ("confirmation", True, "current")
    assert answer["issuer"]["name"] == "天津汽车制造有限公司"
    assert answer["document"]["vins"] == ["LGXCE4CB8P0123456"]
    assert answer["document"]["outlets"] == [{"name": "阿拉木图服务中心", "city": "Almaty"}]
    page = client.get("/verify/CF-2026-000777")
    assert page.status_code == 200
    assert "售后服务确认书" in page.text

    _store_confirmation(desk, revoked=True)
    answer = client.get("/api/v1/verify/CF-2026-000777").json()
    assert (answer["genuine"], answer["state"]) == (True, "revoked")
