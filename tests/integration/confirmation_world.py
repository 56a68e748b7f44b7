"""A store for the confirmation tests: the `pass` example's facts, a second near-new BYD
vehicle, the manufacturer 比亚迪 with an issuer and a signing key, a group sales company
and a modifier registered for the same brand, and helpers to check an application
against the store exactly as the workflow does (feeds.facts_for_application)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from carexport import clock
from carexport.accounts import service as accounts
from carexport.accounts.actor import Actor
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.documents import confirmations, keys
from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.feeds import service as feeds
from carexport.rules.evaluate import evaluate
from tests.accounts_fixtures import CHEAP_ARGON2
from tests.keys_fixtures import DEV_KEK

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TODAY = date(2026, 3, 5)  # the application is submitted on 2026-03-12
BYD = "91440300279568341Q"
VIN = "LGXCE4CB3P0123789"  # near-new (registered 2026-01-20), 比亚迪
VIN2 = "LGXCE4CB5P0123790"  # a second near-new 比亚迪 (check digit fixed below)
CHERY_VIN = "LVVDB11B9PD200045"  # 奇瑞, registered 2023
PASSWORD = "correct horse battery"


def _valid_vin(stem: str) -> str:
    from carexport.domain.vin import with_check_digit

    return with_check_digit(stem)


def _valid_uscc(stem17: str) -> str:
    from carexport.domain.uscc import uscc_check_character

    return stem17 + uscc_check_character(stem17)


SECOND_VIN = _valid_vin(VIN2)
SALES_USCC = _valid_uscc("91440300MA5F00001")
MODIFIER_USCC = _valid_uscc("91440300MA5F00002")
OTHER_USCC = _valid_uscc("91110000MA0100003")


def application_document(**vehicle_updates: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / "pass" / "application.json").read_text())
    body["vehicles"][0].update(vehicle_updates)
    return body


def _facts() -> Facts:
    data: dict[str, Any] = json.loads((EXAMPLES / "pass" / "facts.json").read_text())
    second = copy.deepcopy(data["registrations"][0])
    second.update(vin=SECOND_VIN)
    data["registrations"].append(second)
    inspection = copy.deepcopy(data["inspections"][0])
    inspection.update(vin=SECOND_VIN, report_no="TJ-QC-2026-0514")
    data["inspections"].append(inspection)
    for uscc, kind in ((SALES_USCC, "sales_company"), (MODIFIER_USCC, "modifier")):
        data["manufacturers"].append(
            {
                "uscc": uscc,
                "name": kind,
                "kind": kind,
                "in_announcement": True,
                "brands": ["比亚迪"],
            }
        )
    data["manufacturers"].append(
        {"uscc": OTHER_USCC, "name": "未列入公告", "kind": "manufacturer",
         "in_announcement": False, "brands": ["比亚迪"]}
    )  # fmt: skip
    return Facts.model_validate(data)


@dataclass
class ConfirmationWorld:
    engine: Engine
    actors: dict[str, Actor]
    org_ids: dict[str, int]

    def run(self, use_case: Callable[..., Any], who: str | None = None, **kwargs: Any) -> Any:
        with UnitOfWork(self.engine) as uow:
            if who is not None:
                kwargs["actor"] = self.actors[who]
            result = use_case(uow=uow, **kwargs)
            uow.session.expunge_all()
            return result

    def add_outlet(self, country: str = "KZ", name: str = "BYD Almaty Service Center",
                   city: str = "Almaty", who: str = "byd") -> feeds.OutletView:  # fmt: skip
        view: feeds.OutletView = self.run(
            confirmations.add_outlet,
            who,
            values={
                "name": name,
                "country": country,
                "city": city,
                "address": "Al-Farabi Ave 77",
                "phone": "+7 727 000 0000",
                "services": ["repair", "parts", "warranty"],
            },
        )
        return view

    def issue(self, vins: list[str] | None = None, country: str = "KZ",
              who: str = "byd", **kwargs: Any) -> confirmations.IssuedView:  # fmt: skip
        view: confirmations.IssuedView = self.run(
            confirmations.issue, who, vins=vins or [VIN], destination_country=country, **kwargs
        )
        return view

    def check(self, document: dict[str, Any]) -> dict[str, Any]:
        """The verdict of `document` on the store's facts, as the workflow computes it."""
        application = Application.model_validate(document)
        with UnitOfWork(self.engine) as uow:
            facts = feeds.facts_for_application(uow=uow, application=application)
        verdict: dict[str, Any] = evaluate(application, facts).model_dump(mode="json")
        return verdict


def rules_of(verdict: dict[str, Any], vehicle: int = 0) -> list[str]:
    return [f["rule"] for f in verdict["vehicles"][vehicle]["findings"]]


@pytest.fixture
def cworld(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[ConfirmationWorld]:
    monkeypatch.setattr(clock, "today", lambda at=None: TODAY)
    for name, value in CHEAP_ARGON2.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CAREXPORT_KEY_ENCRYPTION_KEY", DEV_KEK)
    get_settings.cache_clear()
    with UnitOfWork(engine) as uow:
        feeds.load_facts(uow=uow, facts=_facts())
    orgs = {
        "byd": ("manufacturer", "比亚迪汽车工业有限公司", BYD),
        "sales": ("manufacturer", "比亚迪汽车销售有限公司", SALES_USCC),
        "modifier": ("manufacturer", "某改装车有限公司", MODIFIER_USCC),
        "other": ("manufacturer", "未列入公告的生产企业", OTHER_USCC),
        "exporter": ("exporter", "天津甲出口公司", "91120116MA07AB3C0D"),
    }
    org_ids: dict[str, int] = {}
    actors: dict[str, Actor] = {}
    for key, (kind, name, uscc) in orgs.items():
        with UnitOfWork(engine) as uow:
            org_ids[key] = accounts.add_org(uow=uow, kind=kind, name=name, uscc=uscc).id
        role = "applicant" if kind == "exporter" else "issuer"
        with UnitOfWork(engine) as uow:
            user = accounts.add_user(
                uow=uow, username=key, password=PASSWORD, role=role, org_id=org_ids[key]
            )
            actors[key] = accounts.actor_of(user)
        if kind == "manufacturer":
            with UnitOfWork(engine) as uow:
                keys.generate_key(
                    uow=uow, org_id=org_ids[key], valid_from=date(2026, 1, 1), by=None
                )
    yield ConfirmationWorld(engine, actors, org_ids)
    get_settings.cache_clear()
