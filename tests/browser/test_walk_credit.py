"""Issue 18's walk in a real browser: a reviewer takes a credit event from its record to
an interview, the interview's record and a rectification order; the exporter sends its
evidence from its own pages; the reviewer accepts it; the page as of an earlier day shows
the record as it stood then. Every page passed is saved under tests/browser/screenshots/.

The walk has an exporter of its own (added here through the services, as the site's
seeding does), so that its credit record weighs on no other walk's verdicts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import FilePayload, Page, expect

from carexport.accounts import service as accounts
from carexport.config import get_settings
from carexport.credit import service as credit
from carexport.db import UnitOfWork, make_engine
from tests.browser.conftest import PASSWORD, Site, _server_env
from tests.browser.support import login, logout, shot
from tests.e2e.pages_support import uscc

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n% scanned evidence\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EARLIER = datetime(2026, 2, 2, 2, 0, tzinfo=UTC)  # the first event, five weeks before


@dataclass(frozen=True)
class Credited:
    uscc: str
    name: str
    applicant: str
    first_event: int


@pytest.fixture(scope="module")
def credited(site: Site) -> Credited:
    """An exporter with a login and one event recorded on 2 February."""
    code = uscc(4218)
    name = "天津某信用示范贸易有限公司"
    with pytest.MonkeyPatch.context() as mp:
        for key, value in _server_env(site.database_url).items():
            if key.startswith("CAREXPORT_"):
                mp.setenv(key, value)
        get_settings.cache_clear()
        engine = make_engine(site.database_url)
        try:
            with UnitOfWork(engine) as uow:
                org = accounts.add_org(uow=uow, kind="exporter", name=name, uscc=code)
                org_id = org.id
            with UnitOfWork(engine) as uow:
                accounts.add_user(
                    uow=uow,
                    username="credit.applicant",
                    password=PASSWORD,
                    role="applicant",
                    org_id=org_id,
                )
            with UnitOfWork(engine) as uow:
                reviewer = accounts.login(
                    uow=uow, username=site.users["reviewer"], password=PASSWORD
                )
            with UnitOfWork(engine) as uow:
                event = credit.record_event(
                    uow=uow,
                    actor=reviewer,
                    enterprise_uscc=code,
                    item=5,
                    date=date(2026, 1, 28),
                    description="一批多证，车辆清单与许可证附表不一致",
                    at=EARLIER,
                )
        finally:
            engine.dispose()
            get_settings.cache_clear()
    get_settings.cache_clear()
    return Credited(uscc=code, name=name, applicant="credit.applicant", first_event=event.id)


def test_a_reviewer_takes_an_event_to_an_accepted_rectification(
    page: Page, site: Site, credited: Credited
) -> None:
    base = f"/credit/enterprises/{credited.uscc}"
    login(page, site.users["reviewer"])
    page.goto(base)
    expect(page.get_by_role("heading", level=1)).to_contain_text(credited.name)
    expect(page.locator("#grade")).to_contain_text("B")  # one event, an interview is due
    # The chart names itself, and its figures are in the table beside it.
    expect(page.get_by_role("img", name=re.compile("附件1事项信用事件"))).to_be_visible()
    expect(page.locator("#chart-table")).to_contain_text("2026-01")
    # At 1366×768 nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    shot(page, "60-credit-page-before")

    # 1. Record an event with its evidence file.
    page.get_by_text("记录信用事件", exact=True).click()
    form = page.locator("form[action$='/events']")
    form.get_by_label("附件1事项").select_option("3")
    form.get_by_label("发生日期").fill("2026-03-11")
    form.get_by_label("事件说明").fill("抽查发现申报车况与实际不符，企业拒绝配合核查")
    form.get_by_label(re.compile("证据文件")).set_input_files(
        files=FilePayload(name="核查记录.pdf", mimeType="application/pdf", buffer=PDF)
    )
    shot(page, "61-credit-record-event-form")
    form.get_by_role("button", name="记录事件").click()
    expect(page.get_by_role("status")).to_contain_text("已记录事件")
    expect(page.locator("#grade")).to_contain_text("C")  # an item 3 event: rectification
    event = page.locator("tr", has_text="抽查发现申报车况与实际不符")
    expect(event).to_contain_text("审核员记录")
    expect(event.get_by_role("link", name="核查记录.pdf")).to_be_visible()  # its evidence
    shot(page, "62-credit-event-recorded")
    event_id = int((event.get_attribute("id") or "event-0").removeprefix("event-"))

    # 2. Schedule an interview about both events.
    page.get_by_text("安排约谈", exact=True).first.click()
    form = page.locator("form[action$='/interviews']")
    form.get_by_label(re.compile(f"#{credited.first_event} ")).check()
    form.get_by_label(re.compile(f"#{event_id} ")).check()
    form.get_by_label("约谈日期").fill("2026-03-13")
    form.get_by_label("地点").fill("天津市商务局 301 会议室")
    form.get_by_role("button", name="安排约谈").click()
    expect(page.get_by_role("status")).to_contain_text("已安排约谈")
    interview = page.locator("article[id^='interview-']").first
    expect(interview).to_contain_text("已安排")
    shot(page, "63-credit-interview-scheduled")

    # 3. Record the interview: attendees, minutes, outcome.
    interview.get_by_text("记录约谈", exact=True).click()
    interview.get_by_label(re.compile("参加人员")).fill(
        "张主任（发证机构）\n王经理（企业法定代表人）"
    )
    interview.get_by_label("约谈记录").fill("企业承认车况申报不实，说明了内部审核缺失的原因。")
    interview.get_by_label("约谈结论").fill("责令整改：建立车况核验与申报复核制度。")
    interview.get_by_role("button", name="保存约谈记录").click()
    expect(page.get_by_role("status")).to_contain_text("已记录约谈")
    expect(page.locator("article[id^='interview-']").first).to_contain_text("已约谈")
    shot(page, "64-credit-interview-held")

    # 4. Order rectification: the deadline in working days is shown as a date.
    page.get_by_text("责令整改", exact=True).first.click()
    form = page.locator("form[action$='/rectifications']")
    expect(form.locator("#order-deadline")).to_contain_text("2026-04-13")
    form.get_by_label(re.compile(f"#{credited.first_event} ")).check()
    form.get_by_label(re.compile(f"#{event_id} ")).check()
    form.get_by_label(re.compile("依据约谈")).select_option(index=1)
    form.get_by_label("整改措施").fill("建立车况核验与申报复核制度，提交制度文件与培训记录。")
    form.get_by_role("button", name="责令整改").click()
    expect(page.get_by_role("status")).to_contain_text("已责令整改")
    rectification = page.locator("article[id^='rectification-']").first
    expect(rectification).to_contain_text("整改中")
    expect(rectification).to_contain_text("2026-04-13")
    shot(page, "65-credit-rectification-ordered")
    logout(page)

    # 5. The exporter sends its evidence from its own pages.
    login(page, credited.applicant)
    page.get_by_role("link", name="我的信用记录").click()
    expect(page).to_have_url(re.compile(re.escape(base)))
    expect(page.get_by_text("记录信用事件")).to_have_count(0)  # no reviewer's forms
    rectification = page.locator("article[id^='rectification-']").first
    rectification.get_by_label("整改情况说明").fill(
        "已制定《车况核验与申报复核制度》，3月12日完成全员培训。"
    )
    rectification.get_by_label(re.compile("证明材料")).set_input_files(
        files=FilePayload(name="复核制度.pdf", mimeType="application/pdf", buffer=PDF)
    )
    shot(page, "66-credit-exporter-evidence-form")
    rectification.get_by_role("button", name="提交整改材料").click()
    expect(page.get_by_role("status")).to_contain_text("整改材料已提交")
    expect(page.locator("article[id^='rectification-']").first).to_contain_text("待验收")
    expect(page.get_by_role("link", name="复核制度.pdf")).to_be_visible()
    shot(page, "67-credit-exporter-submitted")
    logout(page)

    # 6. The reviewer accepts it: both events are rectified.
    login(page, site.users["reviewer"])
    page.goto(base)
    rectification = page.locator("article[id^='rectification-']").first
    expect(rectification).to_contain_text("已制定《车况核验与申报复核制度》")
    rectification.get_by_label("通过验收").check()
    rectification.get_by_label(re.compile("验收意见")).fill("制度与培训记录齐全，同意验收。")
    shot(page, "68-credit-review-evidence")
    rectification.get_by_role("button", name="提交验收结论").click()
    expect(page.get_by_role("status")).to_contain_text("已验收通过")
    expect(page.locator("article[id^='rectification-']").first).to_contain_text("已验收")
    # Both events rectified, still in the window: watched (B), no longer C.
    expect(page.locator("#grade")).to_contain_text("B")
    expect(page.locator(".reason-list")).to_contain_text("均已整改验收")
    shot(page, "69-credit-rectification-accepted")

    # 7. The page as of the day before: one event, no interview, no order, read-only.
    page.locator("#as_of").fill("2026-03-12")
    page.get_by_role("button", name="查看", exact=True).click()
    expect(page).to_have_url(re.compile(r"as_of=2026-03-12"))
    expect(page.locator("#past-banner")).to_contain_text("2026-03-12")
    expect(page.get_by_text("抽查发现申报车况与实际不符")).to_have_count(0)
    expect(page.get_by_text("一批多证，车辆清单与许可证附表不一致")).to_be_visible()
    expect(page.locator("article[id^='interview-']")).to_have_count(0)
    expect(page.locator("article[id^='rectification-']")).to_have_count(0)
    expect(page.get_by_text("记录信用事件")).to_have_count(0)
    expect(page.locator("#grade")).to_contain_text("B")
    shot(page, "70-credit-as-of-earlier")
    page.get_by_role("link", name="English").click()
    expect(page.locator("#past-banner")).to_contain_text("as it stood on")
    shot(page, "71-credit-as-of-earlier-en")
