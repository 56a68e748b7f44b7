"""Issue 17's walk in a real browser: the exporter downloads the signed license PDF from
its license page; the QR code on it, decoded with a QR library (nothing is scanned),
opens the public verification page, which shows the license genuine and current.

Runs after test_walks.py (file order), whose walk b approves the seeded `review`
application; run alone, it approves that application itself through the services.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from carexport.accounts import service as accounts
from carexport.applications import service as applications
from carexport.applications.enums import Action
from carexport.config import get_settings
from carexport.db import UnitOfWork, make_engine
from tests.browser.conftest import PASSWORD, TODAY, Site
from tests.browser.support import login, shot, stored
from tests.keys_fixtures import DEV_KEK

pytestmark = pytest.mark.browser


def _license_no(site: Site, monkeypatch: pytest.MonkeyPatch) -> str:
    held = stored(site, application_no=site.review_application_no)
    if held.license_no is not None:
        return held.license_no
    # Decided here as the server would: on its fixed day, signing with its key.
    monkeypatch.setenv("CAREXPORT_TODAY", TODAY.isoformat())
    monkeypatch.setenv("CAREXPORT_KEY_ENCRYPTION_KEY", DEV_KEK)
    get_settings.cache_clear()
    engine = make_engine(site.database_url)
    try:
        for username, reason in (("reviewer", "核查无误"), ("senior", "同意")):
            with UnitOfWork(engine) as uow:
                actor = accounts.login(uow=uow, username=username, password=PASSWORD)
                app = applications.get(
                    uow=uow, actor=actor, application_id=site.review_application_id
                )
                applications.decide(
                    uow=uow, actor=actor, application_id=app.id, version=app.version,
                    action=Action.APPROVE, reason=reason,
                )  # fmt: skip
    finally:
        engine.dispose()
        monkeypatch.undo()
        get_settings.cache_clear()
    number = stored(site, application_no=site.review_application_no).license_no
    assert number is not None
    return number


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_the_license_pdf_qr_code_opens_the_verification_page(
    page: Page, site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zxingcpp
    from PIL import Image

    number = _license_no(site, monkeypatch)
    login(page, "review_applicant")
    page.goto(f"/licenses/{number}")
    link = page.get_by_role("link", name=re.compile("下载PDF|Download PDF"))
    expect(link).to_have_attribute("href", f"/licenses/{number}.pdf")
    with page.expect_download() as download:
        link.click()
    pdf = tmp_path / "license.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")

    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    [image] = sorted(tmp_path.glob("p*.png"))
    codes = zxingcpp.read_barcodes(Image.open(image))
    assert [c.text for c in codes] == [site.url(f"/verify/{number}")]

    # A stranger's browser, without a session, follows what the QR code encodes.
    page.context.clear_cookies()
    page.goto(codes[0].text)
    verdict = page.get_by_role("status")
    expect(verdict).to_have_attribute("data-state", "current")
    expect(verdict).to_contain_text("真实有效")
    expect(page.get_by_text(site.agency_name).first).to_be_visible()
    shot(page, "40-verify-license")
