"""Browser tests: the real server (uvicorn in a subprocess) on a fresh, seeded SQLite store,
driven by Debian's chromium through Playwright.

One server and one browser per session (starting either costs about a second); each test
gets a fresh browser context (its own cookies) at 1366×768. The store is seeded through
the services, as an agency's deployment would be: organisations and users
(accounts.service), the registry facts (feeds.service.load_facts, what `carexport facts
import` runs) and one submitted `review` application (applications.service).
CAREXPORT_TODAY is fixed at 2026-03-13 for the server and for the seeding.

Chromium comes from Debian (`make test` installs it with apt-get; never a downloaded
browser build). Where it is missing the browser tests FAIL under CI and are skipped with
the reason in the summary elsewhere: they never pass silently.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Request,
    ViewportSize,
    sync_playwright,
)

from carexport.accounts import service as accounts
from carexport.applications import service as applications
from carexport.config import get_settings
from carexport.db import UnitOfWork, make_engine
from carexport.documents import keys
from carexport.domain.facts import Facts
from carexport.feeds import service as feeds
from carexport.migrations import upgrade
from tests.accounts_fixtures import CHEAP_ARGON2
from tests.keys_fixtures import DEV_KEK

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
TODAY = date(2026, 3, 13)  # a Friday: the examples' submission day
PASSWORD = "correct horse battery"
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
# Debian's chromium, headless, talking to nothing but the server under test.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# A near-new vehicle of the `pass` exporter (registered 2026-02-02, 39 days before
# TODAY) with no 售后服务确认书 in the store: N180.CONFIRMATION_MISSING.
NEAR_NEW_VIN = "LFV2A21K4R3100527"
NEAR_NEW = {
    "vin": NEAR_NEW_VIN,
    "brand": "大众",
    "model": "FV7152FBDWG",
    "registration_date": "2026-02-02",
    "transfer_for_export_date": "2026-03-06",
    "export_transfer_count": 1,
    "status": "A",
    "owner_uscc": "91120116MA07AB3C0D",
    "mortgaged": False,
    "customs_supervised": False,
    "scrap_due_date": None,
}
NEAR_NEW_INSPECTION = {
    "vin": NEAR_NEW_VIN,
    "report_no": "TJ-QC-2026-0533",
    "body": "天津某机动车检测有限公司",
    "standard": "WM/T 8-2022",
    "inspected_on": "2026-03-06",
    "result": "pass",
}


@dataclass(frozen=True)
class Site:
    """The running server and what the store was seeded with."""

    base_url: str
    database_url: str
    users: dict[str, str]  # purpose → username (password PASSWORD)
    exporter_uscc: str  # the `pass` exporter, who files the batch in walk a
    review_exporter_uscc: str  # the `review` exporter, whose application walk b decides
    review_application_id: int  # submitted, verdict `review`
    review_application_no: str
    agency_name: str = "天津市商务局"
    extra: dict[str, Any] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path


def example(name: str, part: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / name / f"{part}.json").read_text())
    return document


def _seed(database_url: str) -> dict[str, Any]:
    """Orgs, users, facts and the `review` application, through the services."""
    engine = make_engine(database_url)
    upgrade(engine)
    try:
        for name in ("pass", "review"):
            facts = example(name, "facts")
            if name == "pass":
                facts["registrations"].append(NEAR_NEW)
                facts["inspections"].append(NEAR_NEW_INSPECTION)
            with UnitOfWork(engine) as uow:
                feeds.load_facts(uow=uow, facts=Facts.model_validate(facts))
        pass_uscc = example("pass", "application")["enterprise_uscc"]
        review_uscc = example("review", "application")["enterprise_uscc"]
        orgs = {
            "exporter": ("exporter", "天津某国际贸易有限公司", pass_uscc, None),
            "review_exporter": ("exporter", "天津某汽车贸易有限公司", review_uscc, None),
            "agency": ("agency", "天津市商务局", None, "12"),
            "monitor": ("monitor", "商务部", None, None),
        }
        ids: dict[str, int] = {}
        for key, (kind, name, uscc, region) in orgs.items():
            with UnitOfWork(engine) as uow:
                org = accounts.add_org(uow=uow, kind=kind, name=name, uscc=uscc, region=region)
                ids[key] = org.id
        with UnitOfWork(engine) as uow:  # the agency signs its licenses (issue 17)
            keys.generate_key(uow=uow, org_id=ids["agency"], valid_from=date(2026, 1, 1), by=None)
        users = {
            "applicant": ("exporter", "applicant"),
            "review_applicant": ("review_exporter", "applicant"),
            "reviewer": ("agency", "reviewer"),
            "senior": ("agency", "senior_reviewer"),
            "monitor": ("monitor", "monitor"),
            "admin": (None, "admin"),
        }
        actors = {}
        for username, (org_key, role) in users.items():
            with UnitOfWork(engine) as uow:
                user = accounts.add_user(
                    uow=uow,
                    username=username,
                    password=PASSWORD,
                    role=role,
                    org_id=None if org_key is None else ids[org_key],
                )
                actors[username] = accounts.actor_of(user)
        with UnitOfWork(engine) as uow:
            draft = applications.create(
                uow=uow, actor=actors["review_applicant"], body=example("review", "application")
            )
            draft_id, draft_version = draft.id, draft.version
        with UnitOfWork(engine) as uow:
            app = applications.submit(
                uow=uow,
                actor=actors["review_applicant"],
                application_id=draft_id,
                version=draft_version,
            )
            assert app.decision == "review", app.verdict
            seeded = {
                "review_application_id": app.id,
                "review_application_no": app.application_no,
                "exporter_uscc": pass_uscc,
                "review_exporter_uscc": review_uscc,
                "users": {username: username for username in users},
            }
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return seeded
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _server_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "CAREXPORT_DATABASE_URL": database_url,
        "CAREXPORT_TODAY": TODAY.isoformat(),
        "CAREXPORT_KEY_ENCRYPTION_KEY": DEV_KEK,
        **CHEAP_ARGON2,
    }


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The server on a fresh migrated SQLite store seeded for the walks."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('browser-store') / 'store.sqlite3'}"
    # The services read today's date and the argon2 cost from the settings; they are
    # changed for the seeding only, so that no later test in the session sees them.
    with pytest.MonkeyPatch.context() as mp:
        for name, value in _server_env(database_url).items():
            if name.startswith("CAREXPORT_"):
                mp.setenv(name, value)
        get_settings.cache_clear()
        try:
            seeded = _seed(database_url)
        finally:
            get_settings.cache_clear()
    get_settings.cache_clear()
    port = _free_port()
    log = tmp_path_factory.mktemp("browser-server") / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "carexport.web.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            # The PDFs' QR codes point at this very server.
            env={
                **_server_env(database_url),
                "CAREXPORT_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            },
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                pytest.fail(f"the server exited ({server.returncode}):\n{log.read_text()}")
            try:
                if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer /healthz in 30 s:\n{log.read_text()}")
            time.sleep(0.1)
        yield Site(base_url=base_url, database_url=database_url, **seeded)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        errors = [line for line in log.read_text().splitlines() if "Traceback" in line]
        assert not errors, f"the server logged a traceback:\n{log.read_text()}"


def chromium_path() -> str | None:
    """$CAREXPORT_CHROMIUM, else Debian's chromium on the PATH; None when neither exists."""
    found = os.environ.get("CAREXPORT_CHROMIUM") or shutil.which("chromium")
    return found if found and Path(found).is_file() else None


def _missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        _missing(
            "chromium is not installed (apt-get install chromium, as `make test` does when "
            "root): the browser tests did NOT run"
        )
    assert executable is not None
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Problems:
    """What went wrong in the page that no assertion looked at: script errors, failed
    requests and 5xx answers. Every test asserts it stays empty."""

    items: list[str] = field(default_factory=list)

    def request_failed(self, request: Request) -> None:
        # A load cut short by the next navigation (a form posted at once) is no fault.
        if request.failure != "net::ERR_ABORTED":
            self.items.append(f"request failed: {request.method} {request.url} {request.failure}")


@pytest.fixture
def context(browser: Browser, site: Site) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        base_url=site.base_url, viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def problems() -> Problems:
    return Problems()


@pytest.fixture
def page(context: BrowserContext, problems: Problems) -> Iterator[Page]:
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.items.append(f"script error: {exc}"))
    page.on("requestfailed", lambda request: problems.request_failed(request))
    page.on(
        "response",
        lambda response: (
            problems.items.append(f"{response.status} on {response.url}")
            if response.status >= 500
            else None
        ),
    )
    yield page
    assert not problems.items, problems.items
