"""What the walks do over and over: log in through the form, save a screenshot."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from openpyxl import Workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from carexport.applications.models import Application, License, LicenseVehicle, VehicleLine
from carexport.db import make_engine
from tests.browser.conftest import PASSWORD, SCREENSHOTS, Site


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Log in through the login page as a person would; lands on the role's home."""
    page.goto("/login")
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("密码|Password")).fill(password)
    page.get_by_role("button", name=re.compile("^(登录|Log in)$")).click()
    page.wait_for_load_state()
    expect(page).not_to_have_url(re.compile(r"/login"))


def logout(page: Page) -> None:
    page.get_by_role("button", name=re.compile("^(退出|Log out)$")).click()
    expect(page).to_have_url(re.compile(r"/login"))


def shot(page: Page, name: str) -> None:
    """The whole page as a PNG under tests/browser/screenshots/ (not committed), to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def vehicle_list_xlsx(lines: list[dict[str, object]]) -> bytes:
    """An XLSX vehicle list as an exporter's spreadsheet holds it: Chinese headers (the
    columns of applications/vehicle_list.py), one vehicle a row."""
    headers = {
        "vin": "车辆识别代号",
        "brand": "品牌",
        "model": "车辆型号",
        "registration_date": "注册登记日期",
        "transfer_for_export_date": "转让登记日期",
        "confirmation_id": "售后服务确认书编号",
        "hs_code": "商品编码",
        "modified": "是否改装",
    }
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers.values()))
    for line in lines:
        value = {**line, "modified": "是" if line.get("modified") else "否"}
        sheet.append([value.get(name) for name in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class Stored:
    """An application as the store holds it after a walk (not as a page shows it)."""

    status: str
    decision: str | None
    vins: list[str]
    license_no: str | None
    license_vins: list[str]


def stored(site: Site, *, application_no: str | None = None, vin: str | None = None) -> Stored:
    """The latest application with this number, or holding this VIN, read from the store."""
    engine = make_engine(site.database_url)
    try:
        with Session(engine) as session:
            query = select(Application).order_by(Application.id.desc())
            if application_no is not None:
                query = query.where(Application.application_no == application_no)
            if vin is not None:
                holding = select(VehicleLine.application_id).where(VehicleLine.vin == vin)
                query = query.where(Application.id.in_(holding))
            app = session.scalars(query).first()
            assert app is not None, (application_no, vin)
            lic = session.scalars(select(License).where(License.application_id == app.id)).first()
            license_vins = (
                []
                if lic is None
                else list(
                    session.scalars(
                        select(LicenseVehicle.vin)
                        .where(LicenseVehicle.license_key == lic.license_key)
                        .order_by(LicenseVehicle.position)
                    )
                )
            )
            return Stored(
                status=app.status,
                decision=app.decision,
                vins=[v.vin for v in app.vehicles],
                license_no=None if lic is None else lic.license_no,
                license_vins=license_vins,
            )
    finally:
        engine.dispose()
