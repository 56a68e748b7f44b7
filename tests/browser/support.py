"""What the walks do over and over: log in through the form, save a screenshot."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, SCREENSHOTS


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
