"""Issue 19's pages in a real browser: the monitor runs a what-if from the form, watches
it finish (HTMX polling, then the page reloads with the summary) and finds the download;
the exporter checks a stock file. Every page passed is saved under
tests/browser/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Site
from tests.browser.support import login, logout, shot

pytestmark = pytest.mark.browser

STOCK = Path(__file__).resolve().parents[2] / "examples" / "stock" / "stock.csv"


def test_the_monitor_runs_a_whatif_and_the_exporter_checks_its_stock(
    page: Page, site: Site
) -> None:
    login(page, site.users["monitor"])
    page.goto("/monitor")
    page.get_by_role("link", name=re.compile("政策假设分析|Policy what-if")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("政策假设分析"))
    page.get_by_label(re.compile("申报日期起|Submitted from")).fill("2025-01-01")
    page.get_by_label(re.compile("申报日期止|Submitted to")).fill("2026-12-31")
    page.get_by_label("n180.days").fill("365")
    shot(page, "whatif-1-form")
    page.get_by_role("button", name=re.compile("开始分析|Run the what-if")).click()
    expect(page).to_have_url(re.compile(r"/monitor/whatif/\d+$"))
    expect(page.get_by_role("link", name="whatif.xlsx")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("heading", name=re.compile("按规则|By rule"))).to_be_visible()
    shot(page, "whatif-2-result")
    logout(page)

    login(page, site.users["applicant"])
    page.goto("/applications")
    page.get_by_role("link", name=re.compile("库存车辆预审|Check my stock")).click()
    page.get_by_label(re.compile("目的国|Destination")).fill("KZ")
    page.get_by_label(re.compile("拟申报日期|Day of filing")).fill("2026-03-12")
    page.get_by_label(re.compile("库存清单|Stock list")).set_input_files(str(STOCK))
    page.get_by_role("button", name=re.compile("^(预审|Check)$")).click()
    expect(page.get_by_text("2026-07-20")).to_be_visible()
    shot(page, "whatif-3-stock")
