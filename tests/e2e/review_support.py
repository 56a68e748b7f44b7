"""A store for the review, monitor and license page tests: the pages' `world` plus the
facts of the examples (pass, review, fail) and an exporter with an applicant for each,
with today fixed at Friday 13 March 2026 (CAREXPORT_TODAY).

    from tests.e2e.review_support import Desk, desk_fixture  # noqa: F401 (the fixture)

    def test_x(desk: Desk) -> None:
        app = desk.submitted("review")
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from carexport.accounts import service as accounts
from carexport.accounts.actor import Actor
from carexport.applications import service
from carexport.applications.enums import Action
from carexport.applications.models import Application
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.domain.facts import Facts
from carexport.feeds import service as feeds
from tests.e2e.pages_support import PASSWORD, World, add_org, add_user, csrf_token

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TODAY = "2026-03-13"
MARCH = datetime(2026, 3, 13, 2, 0, tzinfo=UTC)

# example → (its folder under examples/, the exporter's name, its applicant's username)
EXPORTERS = {
    "pass": ("pass", "天津甲出口公司", "pass.applicant"),
    "review": ("review", "天津乙出口公司", "review.applicant"),
    "fail": ("", "天津丙出口公司", "fail.applicant"),
}


def document(example: str) -> dict[str, Any]:
    folder = EXAMPLES / EXPORTERS[example][0]
    body: dict[str, Any] = json.loads((folder / "application.json").read_text())
    return body


@dataclass
class Desk:
    engine: Engine
    world: World
    actors: dict[str, Actor]

    def actor(self, username: str) -> Actor:
        if username not in self.actors:
            with UnitOfWork(self.engine) as uow:
                self.actors[username] = accounts.login(
                    uow=uow, username=username, password=PASSWORD
                )
        return self.actors[username]

    def submitted(self, example: str = "pass", at: datetime = MARCH) -> Application:
        who = self.actor(EXPORTERS[example][2])
        with UnitOfWork(self.engine) as uow:
            app = service.create(uow=uow, actor=who, body=document(example), at=at)
            app = service.submit(
                uow=uow, actor=who, application_id=app.id, version=app.version, at=at
            )
            uow.session.expunge_all()
            return app

    def decided(
        self, app: Application, who: str, action: Action, reason: str | None = None
    ) -> Application:
        with UnitOfWork(self.engine) as uow:
            done = service.decide(
                uow=uow,
                actor=self.actor(who),
                application_id=app.id,
                version=app.version,
                action=action,
                reason=reason,
                at=MARCH,
            )
            uow.session.expunge_all()
            return done


@pytest.fixture(name="desk")
def desk_fixture(
    world: World, pages_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Desk]:
    monkeypatch.setenv("CAREXPORT_TODAY", TODAY)
    get_settings.cache_clear()
    for folder in ("pass", "review", ""):
        facts = Facts.model_validate_json((EXAMPLES / folder / "facts.json").read_text())
        with UnitOfWork(pages_engine) as uow:
            feeds.load_facts(uow=uow, facts=facts)
    for example, (_, name, username) in EXPORTERS.items():
        org = add_org(pages_engine, "exporter", name, uscc=document(example)["enterprise_uscc"])
        add_user(pages_engine, username, "applicant", org)
    yield Desk(pages_engine, world, {})
    get_settings.cache_clear()


def post_form(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    """POST a page form with the session's CSRF token."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client)})


def bearer(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
