"""The walks of issue 16 in a real browser (Debian's chromium through Playwright) against
the real server: an exporter files a batch, a reviewer and a senior reviewer decide a
`review` application, the exporter holds the license; and the login page itself (zh by
default, the en switch, the keyboard).

Each walk saves a screenshot of every main page it passes under
tests/browser/screenshots/ (not committed), to be looked at by a person.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.browser.conftest import NEAR_NEW, NEAR_NEW_VIN, PASSWORD, Site, example
from tests.browser.support import login, logout, shot, stored, vehicle_list_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

pytestmark = pytest.mark.browser


def test_the_login_page_is_chinese_by_default_and_switches_to_english(page: Page) -> None:
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.get_by_label("用户名")).to_be_visible()
    expect(page.get_by_label("密码")).to_be_visible()
    # Usable at 1366×768: the form fits the first screen and nothing scrolls sideways.
    button = page.get_by_role("button", name="登录")
    box = button.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 768
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    shot(page, "01-login-zh")

    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    shot(page, "02-login-en")
    # The choice is remembered: the next page is English without ?lang=.
    page.goto("/login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()


def test_the_login_form_is_filled_and_sent_with_the_keyboard_alone(page: Page, site: Site) -> None:
    page.goto("/login")
    # The username field has the focus on arrival (autofocus); Tab goes to the password,
    # Enter sends the form.
    expect(page.get_by_label("用户名")).to_be_focused()
    page.keyboard.type(site.users["reviewer"])
    page.keyboard.press("Tab")
    expect(page.get_by_label("密码")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/review"))
    # Logged in: the header names the user and offers logout.
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    expect(page.get_by_text(site.users["reviewer"], exact=False).first).to_be_visible()


def test_a_wrong_password_shows_the_error_on_the_login_page(page: Page, site: Site) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(site.users["applicant"])
    page.get_by_label("密码").fill("not the password at all")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login"))
    shot(page, "03-login-error")


def test_the_admin_sees_organisations_and_users(page: Page, site: Site) -> None:
    login(page, site.users["admin"])
    page.goto("/admin/orgs")
    expect(page.get_by_text("天津市商务局").first).to_be_visible()
    shot(page, "40-admin-orgs")
    page.goto("/admin/users")
    expect(page.get_by_text(site.users["senior"]).first).to_be_visible()
    shot(page, "41-admin-users")


def test_a_page_without_a_session_leads_to_the_login_and_back(page: Page, site: Site) -> None:
    page.goto("/admin/users")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("用户名").fill(site.users["admin"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))


def test_an_exporter_uploads_a_batch_sees_the_near_new_finding_removes_it_and_submits(
    page: Page, site: Site
) -> None:
    lines = [
        *example("pass", "application")["vehicles"],
        {
            "vin": NEAR_NEW_VIN,
            "brand": NEAR_NEW["brand"],
            "model": NEAR_NEW["model"],
            "registration_date": NEAR_NEW["registration_date"],
            "transfer_for_export_date": NEAR_NEW["transfer_for_export_date"],
            "hs_code": "8703239000",
            "modified": False,
        },  # no confirmation_id: the 售后服务确认书 is missing
    ]
    login(page, site.users["applicant"])
    expect(page).to_have_url(re.compile(r"/applications$"))
    shot(page, "10-exporter-dashboard")
    page.get_by_role("link", name="新建申请").first.click()
    expect(page.get_by_role("heading", name="新建申请")).to_be_visible()
    shot(page, "11-new-application")

    upload = page.locator("form", has=page.get_by_label("车辆清单文件"))
    upload.get_by_label("目的国").select_option("KZ")
    upload.get_by_label("发证机构").select_option(site.agency_name)
    upload.get_by_label("车辆清单文件").set_input_files(
        files=FilePayload(name="车辆清单.xlsx", mimeType=XLSX, buffer=vehicle_list_xlsx(lines))
    )
    upload.get_by_role("button", name="上传并保存草稿").click()

    # The draft's live pre-check: the near-new vehicle fails with its rule and clause,
    # the facts behind it beside them; the other two pass.
    expect(page.get_by_role("status")).to_contain_text("3辆")
    expect(page).to_have_url(re.compile(r"/applications/\d+"))
    near_new = page.locator("article.vehicle", has_text=NEAR_NEW_VIN)
    expect(near_new).to_contain_text("N180.CONFIRMATION_MISSING")
    expect(near_new).to_contain_text("商贸函〔2025〕648号 一（一）")
    expect(near_new).to_contain_text("《售后服务确认书》")
    expect(near_new).to_contain_text(str(NEAR_NEW["registration_date"]))  # a fact behind it
    expect(near_new.get_by_text("不通过").first).to_be_visible()
    expect(page.locator("article.vehicle")).to_have_count(3)
    expect(page.locator("article.vehicle", has_text="N180.")).to_have_count(1)
    draft = stored(site, vin=NEAR_NEW_VIN)
    assert (draft.status, draft.decision, len(draft.vins)) == ("draft", "fail", 3)
    shot(page, "12-application-findings")

    # Removing the vehicle checks the draft again: it passes and can be submitted.
    near_new.get_by_role("button", name=f"移除车辆 {NEAR_NEW_VIN}").click()
    expect(page.get_by_role("status")).to_contain_text(f"已移除车辆 {NEAR_NEW_VIN}")
    expect(page.locator("article.vehicle")).to_have_count(2)
    expect(page.get_by_text("N180.CONFIRMATION_MISSING")).to_have_count(0)
    shot(page, "13-application-after-removal")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("已提交")
    shot(page, "14-application-submitted")
    submitted = stored(site, vin=lines[0]["vin"])
    assert (submitted.status, submitted.decision) == ("submitted", "pass")
    assert submitted.vins == [line["vin"] for line in lines[:2]]
    # Back on the dashboard, the application is listed as submitted.
    page.get_by_role("link", name="我的申请").first.click()
    expect(page.get_by_role("row").filter(has_text="已提交").first).to_be_visible()
    # The same application in English, for a person to look over (screenshot).
    page.get_by_role("row").filter(has_text="已提交").first.get_by_role("link").first.click()
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Pre-check")).to_be_visible()
    shot(page, "15-application-submitted-en")


REVIEW_REASON = "该车已满三年，首次出口，企业信用事件已整改；同意批准 / checked: approve"
COUNTERSIGN_REASON = "同意 / agreed"


def test_a_review_application_is_approved_countersigned_and_its_license_reaches_the_exporter(
    page: Page, site: Site
) -> None:
    number = site.review_application_no
    # The reviewer finds the application in the agency's queue (sorted by due_on).
    login(page, site.users["reviewer"])
    expect(page).to_have_url(re.compile(r"/review$"))
    row = page.get_by_role("row").filter(has_text=number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("需人工审核")  # the stored verdict, as a badge
    shot(page, "20-review-queue")
    row.get_by_role("link", name=number).click()
    expect(page).to_have_url(re.compile(rf"/review/applications/{site.review_application_id}$"))
    expect(page.get_by_role("heading", name=re.compile(number))).to_be_visible()
    shot(page, "21-review-application")

    # Approving a `review` verdict without a reason is refused beside the field.
    decision = page.locator("form", has=page.get_by_role("button", name="提交决定"))
    decision.get_by_role("radio", name="批准", exact=True).check()
    decision.get_by_role("button", name="提交决定").click()
    expect(page.locator("#reason-error")).to_be_visible()
    assert stored(site, application_no=number).status == "submitted"
    # With a reason it is a recommendation: the application goes to countersign.
    decision = page.locator("form", has=page.get_by_role("button", name="提交决定"))
    decision.get_by_role("radio", name="批准", exact=True).check()
    decision.get_by_label(re.compile("^理由")).fill(REVIEW_REASON)
    decision.get_by_role("button", name="提交决定").click()
    expect(page.get_by_role("status")).to_contain_text("送高级审核员会签")
    expect(page.get_by_role("heading", name=re.compile(number))).to_contain_text("待会签")
    assert stored(site, application_no=number).status == "countersign"
    logout(page)

    # The senior reviewer countersigns from the countersign queue.
    login(page, site.users["senior"])
    page.get_by_role("link", name="会签队列").click()
    expect(page).to_have_url(re.compile(r"/review/countersign$"))
    row = page.get_by_role("row").filter(has_text=number)
    expect(row).to_have_count(1)
    shot(page, "22-countersign-queue")
    row.get_by_role("link", name=number).click()
    expect(page.get_by_text(REVIEW_REASON).first).to_be_visible()  # the recommendation
    shot(page, "23-countersign-application")
    decision = page.locator("form", has=page.get_by_role("button", name="提交决定"))
    decision.get_by_role("radio", name="批准", exact=True).check()
    decision.get_by_label(re.compile("^理由")).fill(COUNTERSIGN_REASON)
    decision.get_by_role("button", name="提交决定").click()
    expect(page.get_by_role("status")).to_contain_text("已批准")
    after = stored(site, application_no=number)
    assert after.status == "approved"
    assert after.license_no is not None
    assert re.fullmatch(r"12-2026-\d{6}", after.license_no)
    assert after.license_vins == after.vins
    expect(page.get_by_role("link", name=after.license_no).first).to_be_visible()
    shot(page, "24-approved-application")
    logout(page)

    # The exporter sees the license with its annex.
    login(page, site.users["review_applicant"])
    page.get_by_role("link", name="许可证").first.click()
    expect(page.get_by_role("link", name=after.license_no)).to_be_visible()
    shot(page, "30-exporter-licenses")
    page.get_by_role("link", name=after.license_no).click()
    expect(page).to_have_url(re.compile(rf"/licenses/{after.license_no}$"))
    expect(page.get_by_role("heading", name=re.compile(after.license_no))).to_be_visible()
    annex = page.get_by_role("table").filter(has_text=after.license_vins[0])
    for vin in after.license_vins:
        expect(annex).to_contain_text(vin)
    expect(annex).to_contain_text("吉利")  # brand from the registration record
    shot(page, "31-license")


def test_the_monitor_sees_every_agencys_queue(page: Page, site: Site) -> None:
    login(page, site.users["monitor"])
    expect(page).to_have_url(re.compile(r"/monitor"))
    expect(page.get_by_text(site.agency_name).first).to_be_visible()
    shot(page, "50-monitor")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shot(page, "51-monitor-en")
    page.get_by_role("link", name=site.agency_name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(site.agency_name)
    shot(page, "52-monitor-agency-queue-en")
