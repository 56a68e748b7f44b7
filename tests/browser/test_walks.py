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
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, Site
from tests.browser.support import login, shot

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
