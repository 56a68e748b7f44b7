"""The demo world holds an enterprise in every credit state, made through the credit
service, each with the grade its state implies (SQLite and PostgreSQL); the same seed
picks the same enterprises."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from carexport.accounts import service as accounts
from carexport.config import get_settings
from carexport.credit import page_queries
from carexport.credit import service as credit
from carexport.credit.grade import Grade
from carexport.credit.pages import graded
from carexport.db import UnitOfWork
from carexport.demo import generate_world
from carexport.demo import service as demo
from carexport.demo.credit import (
    REINSTATED_USERNAME,
    RELATED_ORIGIN,
    STATES,
    plan_credit_states,
)
from carexport.demo.files import write_feeds
from carexport.demo.people import DEMO_PASSWORD, choose_people
from carexport.demo.workflow import feeds_without
from tests.accounts_fixtures import CHEAP_ARGON2

TODAY = date(2026, 11, 23)


@pytest.fixture
def demo_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    env = {
        **CHEAP_ARGON2,
        "CAREXPORT_TODAY": TODAY.isoformat(),
        "CAREXPORT_MATERIAL_DIR": str(tmp_path / "materials"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("demo_settings")
def test_the_demo_world_holds_an_enterprise_in_every_credit_state(
    engine: Engine, tmp_path: Path
) -> None:
    world = generate_world(vehicles=2000, seed=2026, today=TODAY)
    people = choose_people(world, today=TODAY)
    plan = plan_credit_states(world, people)
    assert set(plan) == set(STATES)
    assert len(set(plan.values())) == len(STATES)  # one enterprise per state
    assert plan == plan_credit_states(generate_world(vehicles=2000, seed=2026, today=TODAY), people)

    feeds = feeds_without(world, filing=people.filing, since=people.since)
    with UnitOfWork(engine) as uow:
        demo.load_world(uow=uow, world=world)
    with UnitOfWork(engine) as uow:
        demo.load_feed_files(uow=uow, files=write_feeds(feeds, tmp_path / "feeds"))
    with UnitOfWork(engine) as uow:
        actions = demo.load_workflow(
            uow=uow, world=world, people=people, licenses=feeds["licenses"], today=TODAY
        )
    # The world's decision, the related company's origin, the reinstated exporter's.
    assert actions["credit:suspended"] == 3
    assert actions["credit:reinstated"] == 1

    with UnitOfWork(engine) as uow:
        monitor = next(
            accounts.actor_of(u) for u in accounts.list_users(uow=uow) if u.role == "monitor"
        )

    def state_of(name: str) -> tuple[credit.CreditRecord, Grade, list[str]]:
        with UnitOfWork(engine) as uow:
            found = page_queries.enterprise(uow=uow, actor=monitor, uscc=plan[name], as_of=TODAY)
            record = credit.credit_record(
                uow=uow, actor=monitor, enterprise_uscc=plan[name], as_of=TODAY
            )
            result = graded(record, found.related)
            return record, result.grade, [r.code for r in result.reasons]

    record, grade, _ = state_of("clean")
    assert (record.events, grade) == ([], Grade.A)
    record, grade, codes = state_of("events")
    assert (len(record.events), grade, codes) == (1, Grade.B, ["INTERVIEW_DUE"])
    record, _, _ = state_of("interview scheduled")
    assert [i.status for i in record.interviews] == ["scheduled"]
    assert record.interviews[0].scheduled_on > TODAY
    record, _, _ = state_of("rectifying")
    assert [(r.status, r.overdue) for r in record.rectifications] == [("ordered", False)]
    assert record.interviews[0].status == "held"
    record, _, _ = state_of("evidence submitted")
    assert [r.status for r in record.rectifications] == ["submitted"]
    assert record.rectifications[0].files
    record, grade, codes = state_of("overdue")
    assert [(r.status, r.overdue) for r in record.rectifications] == [("ordered", True)]
    assert (grade, codes[0]) == (Grade.C, "RECTIFICATION_OVERDUE")
    record, grade, _ = state_of("suspended")
    assert record.suspended is not None
    assert grade == Grade.D
    # The same decision as the world's FACTS: the store's check names what the file's does.
    assert record.suspended.decision_no == world.facts.suspensions[0].decision_id
    assert record.suspended.suspended_on == world.facts.suspensions[0].suspended_on
    record, grade, _ = state_of(RELATED_ORIGIN)
    assert (record.suspended is not None, grade) == (True, Grade.D)
    _, grade, codes = state_of("related to a suspended one")
    assert "RELATED_SUSPENDED" in codes
    assert grade == Grade.C
    record, grade, codes = state_of("reinstated")
    assert record.suspended is None
    assert [s.status for s in record.suspensions] == ["lifted"]
    assert "REINSTATED_WATCH" in codes
    assert grade == Grade.B

    # The reinstated exporter's demo login works (README, demo users).
    with UnitOfWork(engine) as uow:
        actor = accounts.login(uow=uow, username=REINSTATED_USERNAME, password=DEMO_PASSWORD)
    assert actor.org_uscc == plan["reinstated"]
