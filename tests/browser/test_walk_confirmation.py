"""Issue 17's "Done when", in a real browser: a manufacturer issues a 售后服务确认书 for a
near-new vehicle, and the exporter's application naming it passes the pre-check.

1. The manufacturer's issuer logs in, adds an outlet in Kazakhstan, issues a confirmation
   for the vehicle's VIN with that outlet, and downloads its PDF (whose QR code, decoded
   with a QR library, opens the public verification page: genuine).
2. The exporter logs in, enters an application in the form with that vehicle and the
   confirmation's number; the pre-check passes it (no N180 finding).

The manufacturer (in the Announcement for 大众, with a signing key) and the vehicle
(registered 25 days before the server's day, owned by the `pass` exporter, inspected)
are added to the session's store here, as a demo world has them; the other walks do not
see them: the vehicle is a VIN of its own.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from carexport.accounts import service as accounts
from carexport.config import get_settings
from carexport.db import UnitOfWork, make_engine
from carexport.documents import keys
from carexport.domain.facts import Facts
from carexport.domain.uscc import uscc_check_character
from carexport.domain.vin import with_check_digit
from carexport.feeds import service as feeds
from tests.browser.conftest import PASSWORD, SCREENSHOTS, TODAY, Site
from tests.browser.support import login, logout, shot, stored
from tests.keys_fixtures import DEV_KEK

pytestmark = pytest.mark.browser

MAKER_FIRST17 = "91220101244980042"  # 一汽-大众's, as the registry would hold it
MAKER_NAME = "一汽-大众汽车有限公司"
ISSUER = "fawvw.issuer"
VIN = with_check_digit("LFV3A23C0R3200418")
VEHICLE = {
    "vin": VIN,
    "brand": "大众",
    "model": "FV7152FBDWG",
    "registration_date": "2026-02-16",  # 25 days before TODAY: near-new (≤ 180 days)
    "transfer_for_export_date": "2026-03-09",
    "export_transfer_count": 1,
    "status": "A",
    "mortgaged": False,
    "customs_supervised": False,
    "scrap_due_date": None,
}
OUTLET = {
    "name": "Volkswagen Almaty Service",
    "country": "KZ",
    "city": "Almaty",
    "address": "Rayimbek Ave 210",
    "phone": "+7 727 300 0000",
}


@dataclass(frozen=True)
class Maker:
    uscc: str
    issuer: str


@pytest.fixture(scope="module")
def maker(site: Site) -> Maker:
    """The manufacturer (org, issuer, key, Announcement entry) and the vehicle."""
    uscc = MAKER_FIRST17 + uscc_check_character(MAKER_FIRST17)
    with pytest.MonkeyPatch.context() as mp:
        # Seeded as the server would: on its day, its key-encryption key.
        mp.setenv("CAREXPORT_DATABASE_URL", site.database_url)
        mp.setenv("CAREXPORT_TODAY", TODAY.isoformat())
        mp.setenv("CAREXPORT_KEY_ENCRYPTION_KEY", DEV_KEK)
        get_settings.cache_clear()
        engine = make_engine(site.database_url)
        try:
            facts = {
                "manufacturers": [
                    {"uscc": uscc, "name": MAKER_NAME, "kind": "manufacturer",
                     "in_announcement": True, "brands": ["大众"]}
                ],
                "registrations": [{**VEHICLE, "owner_uscc": site.exporter_uscc}],
                "inspections": [
                    {"vin": VIN, "report_no": "TJ-QC-2026-0611", "body": "天津某机动车检测有限公司",
                     "standard": "WM/T 8-2022", "inspected_on": "2026-03-10", "result": "pass"}
                ],
            }  # fmt: skip
            with UnitOfWork(engine) as uow:
                feeds.load_facts(uow=uow, facts=Facts.model_validate(facts))
            with UnitOfWork(engine) as uow:
                org = accounts.add_org(uow=uow, kind="manufacturer", name=MAKER_NAME, uscc=uscc)
                org_id = org.id
            with UnitOfWork(engine) as uow:
                accounts.add_user(
                    uow=uow, username=ISSUER, password=PASSWORD, role="issuer", org_id=org_id
                )
            with UnitOfWork(engine) as uow:
                keys.generate_key(uow=uow, org_id=org_id, valid_from=date(2026, 1, 1), by=None)
        finally:
            engine.dispose()
            get_settings.cache_clear()
    get_settings.cache_clear()
    return Maker(uscc=uscc, issuer=ISSUER)


def _issue_in_the_browser(page: Page) -> str:
    """The manufacturer's part; returns the confirmation's number."""
    login(page, ISSUER)
    expect(page).to_have_url(re.compile(r"/confirmations$"))
    shot(page, "50-issuer-confirmations-empty")

    page.get_by_role("link", name="售后网点").click()
    expect(page).to_have_url(re.compile(r"/outlets$"))
    page.get_by_label("网点名称").fill(OUTLET["name"])
    page.get_by_label(re.compile("^国家")).fill(OUTLET["country"])
    page.get_by_label("城市").fill(OUTLET["city"])
    page.get_by_label("地址").fill(OUTLET["address"])
    page.get_by_label("联系电话").fill(OUTLET["phone"])
    for service in ("维修", "配件", "质保"):
        page.get_by_label(service).check()
    page.get_by_role("button", name="添加网点").click()
    expect(page.get_by_role("cell", name=OUTLET["name"], exact=True)).to_be_visible()
    shot(page, "51-issuer-outlets")

    page.get_by_role("link", name="出具确认书", exact=True).click()
    expect(page).to_have_url(re.compile(r"/confirmations/new$"))
    page.get_by_label(re.compile("车辆识别代号")).fill(VIN)
    page.get_by_label("目的国").select_option("KZ")
    outlet = page.get_by_role("checkbox", name=re.compile(re.escape(OUTLET["name"])))
    expect(outlet).to_be_checked()
    shot(page, "52-issuer-new-confirmation")
    page.get_by_role("button", name="签名并出具").click()

    expect(page).to_have_url(re.compile(r"/confirmations/CF-2026-\d{6}$"))
    number = page.url.rsplit("/", 1)[-1]
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page.get_by_text(VIN).first).to_be_visible()
    expect(page.get_by_text(OUTLET["name"]).first).to_be_visible()
    shot(page, "53-issuer-confirmation-detail")
    page.get_by_role("link", name="确认书", exact=True).click()
    row = page.get_by_role("row", name=re.compile(number))
    expect(row.get_by_role("link", name=f"PDF {number}")).to_have_attribute(
        "href", f"/confirmations/{number}.pdf"
    )
    shot(page, "53b-issuer-confirmations-list")
    page.get_by_role("link", name=number, exact=True).click()
    return number


def _pdf_and_its_qr(page: Page, site: Site, number: str, tmp_path: Path) -> str:
    """Download the PDF from the detail page, render page 1, decode its QR code."""
    import zxingcpp
    from PIL import Image

    link = page.get_by_role("link", name=re.compile("下载PDF|Download PDF"))
    expect(link).to_have_attribute("href", f"/confirmations/{number}.pdf")
    with page.expect_download() as download:
        link.click()
    pdf = tmp_path / f"{number}.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    subprocess.run(
        ["pdftoppm", "-r", "110", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    [image] = sorted(tmp_path.glob("p*.png"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(image, SCREENSHOTS / "54-confirmation-pdf-page1.png")  # to look at
    codes = zxingcpp.read_barcodes(Image.open(image))
    assert [c.text for c in codes] == [site.url(f"/verify/{number}")]
    return codes[0].text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_a_manufacturer_issues_a_confirmation_and_the_near_new_vehicle_then_passes(
    page: Page, site: Site, maker: Maker, tmp_path: Path
) -> None:
    number = _issue_in_the_browser(page)
    verify_url = _pdf_and_its_qr(page, site, number, tmp_path)

    # Anyone, without an account, follows the QR code: genuine and current.
    logout(page)
    page.goto(verify_url)
    verdict = page.get_by_role("status")
    expect(verdict).to_have_attribute("data-state", "current")
    expect(verdict).to_contain_text("真实有效")
    expect(page.get_by_text(MAKER_NAME).first).to_be_visible()
    shot(page, "55-verify-confirmation")

    # The exporter names the confirmation on its application, entered in the form.
    login(page, site.users["applicant"])
    page.goto("/applications/new")
    form = page.locator("form", has=page.locator("#v0-vin"))
    form.get_by_label("目的国").select_option("KZ")
    form.get_by_label("发证机构").select_option(site.agency_name)
    row = {
        "vin": VIN,
        "brand": VEHICLE["brand"],
        "model": VEHICLE["model"],
        "registration_date": VEHICLE["registration_date"],
        "transfer_for_export_date": VEHICLE["transfer_for_export_date"],
        "confirmation_id": number,
        "hs_code": "8703239000",
    }
    for name, value in row.items():
        form.locator(f"#v0-{name}").fill(str(value))
    shot(page, "56-exporter-new-application-form")
    form.get_by_role("button", name="保存草稿并预审").click()

    expect(page).to_have_url(re.compile(r"/applications/\d+$"))
    vehicle = page.locator("article.vehicle", has_text=VIN)
    expect(vehicle).to_have_count(1)
    expect(vehicle).to_contain_text("通过")
    expect(vehicle).not_to_contain_text("不通过")
    expect(page.locator("article.vehicle", has_text="N180.")).to_have_count(0)
    expect(page.get_by_text("N180.CONFIRMATION_MISSING")).to_have_count(0)
    shot(page, "57-exporter-application-passes")

    draft = stored(site, vin=VIN)
    assert (draft.status, draft.decision, draft.vins) == ("draft", "pass", [VIN])
