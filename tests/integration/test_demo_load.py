"""The demo world loads into the store through the feeds service, and becomes the
workflow's (organisations, a demo user per role who can log in, applications in every
status through applications.service, consistent licenses, an audit chain that
verifies); on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from carexport.accounts import service as accounts
from carexport.accounts.enums import Role
from carexport.applications.enums import OPEN_LICENSE, ApplicationStatus
from carexport.applications.models import Application, License, LicenseVehicle, StatusChange
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.demo import generate_world
from carexport.demo import service as demo
from carexport.demo.files import write_feeds
from carexport.demo.people import DEMO_PASSWORD, choose_people
from carexport.demo.workflow import feeds_without
from carexport.feeds.models import CustomsDeclaration, CustomsDeclarationVin, Deregistration, Outlet
from tests.accounts_fixtures import CHEAP_ARGON2

TODAY = date(2026, 11, 23)


def _count(engine: Engine, table: type) -> int:
    with UnitOfWork(engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def test_outlets_customs_and_deregistrations_load_and_reload_unchanged(
    engine: Engine, tmp_path: Path
) -> None:
    world = generate_world(vehicles=150, seed=5)
    files = write_feeds(world.feeds, tmp_path)

    for _ in range(2):  # a second load upserts the same rows: nothing changes
        with UnitOfWork(engine) as uow:
            demo.load_world(uow=uow, world=world)
        with UnitOfWork(engine) as uow:
            counts = demo.load_feed_files(uow=uow, files=files)

        assert counts["outlets"] == len(world.feeds["outlets"]) == _count(engine, Outlet)
        assert _count(engine, CustomsDeclaration) == len(world.feeds["customs"]) > 0
        assert _count(engine, CustomsDeclarationVin) == sum(
            len(d["vins"]) for d in world.feeds["customs"]
        )
        assert _count(engine, Deregistration) == len(world.feeds["deregistrations"]) > 0


@pytest.fixture
def demo_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {**CHEAP_ARGON2, "CAREXPORT_TODAY": TODAY.isoformat()}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _load(engine: Engine, tmp_path: Path) -> Counter[str]:
    """What `carexport demo generate` does to the store, step by step."""
    world = generate_world(vehicles=2000, seed=2026, today=TODAY)
    people = choose_people(world, today=TODAY)
    feeds = feeds_without(world, filing=people.filing, since=people.since)
    with UnitOfWork(engine) as uow:
        demo.load_world(uow=uow, world=world)
    with UnitOfWork(engine) as uow:
        demo.load_feed_files(uow=uow, files=write_feeds(feeds, tmp_path))
    with UnitOfWork(engine) as uow:
        return demo.load_workflow(
            uow=uow, world=world, people=people, licenses=feeds["licenses"], today=TODAY
        )


@pytest.mark.usefixtures("demo_settings")
def test_demo_world_holds_every_status_users_of_every_role_and_a_sound_chain(
    engine: Engine, tmp_path: Path, database_url: str
) -> None:
    actions = _load(engine, tmp_path)
    assert actions["create"] > 50

    with UnitOfWork(engine) as uow:
        session = uow.session
        statuses = Counter(session.scalars(select(Application.status)))
        assert set(statuses) == {s.value for s in ApplicationStatus}, statuses
        submitted_due = list(
            session.scalars(
                select(Application.due_on).where(
                    Application.status == ApplicationStatus.SUBMITTED.value
                )
            )
        )
        assert any(d is not None and d < TODAY for d in submitted_due)  # overdue
        assert any(d is not None and d >= TODAY for d in submitted_due)  # within
        # Every return and refusal says why.
        reasons = session.scalars(
            select(StatusChange.reason).where(StatusChange.action.in_(["return", "refuse"]))
        ).all()
        assert reasons
        assert all(r and r.strip() for r in reasons)
        # Every approval holds its license, issued on an approval day within 2026.
        approved = session.scalar(
            select(func.count()).where(Application.status == ApplicationStatus.APPROVED.value)
        )
        issued = session.scalars(select(License).where(License.application_id.is_not(None))).all()
        assert len(issued) == approved
        assert all(lic.issued_on is not None and lic.issued_on.year == 2026 for lic in issued)
        # No license number twice, and no VIN in two open licenses.
        numbers = session.scalars(select(License.license_no)).all()
        assert len(numbers) == len(set(numbers))
        open_vins = session.scalars(
            select(LicenseVehicle.vin_key)
            .join(License, License.license_key == LicenseVehicle.license_key)
            .where(License.status.in_([s.value for s in OPEN_LICENSE]))
        ).all()
        assert len(open_vins) == len(set(open_vins))

    # A demo user of every role logs in with the README's password.
    with UnitOfWork(engine) as uow:
        users = [(u.username, u.role) for u in accounts.list_users(uow=uow)]
    assert {r for _, r in users} == {r.value for r in Role}
    for role in Role:
        username = next(name for name, r in users if r == role.value)
        with UnitOfWork(engine) as uow:
            actor = accounts.login(uow=uow, username=username, password=DEMO_PASSWORD)
        assert actor.role == role

    result = subprocess.run(
        [sys.executable, "-m", "carexport", "audit", "verify"],
        env={**os.environ, "CAREXPORT_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("valid:")


@pytest.mark.usefixtures("demo_settings")
def test_a_second_load_files_nothing_twice(engine: Engine, tmp_path: Path) -> None:
    _load(engine, tmp_path)
    with UnitOfWork(engine) as uow:
        before = uow.session.scalar(select(func.count()).select_from(Application))
        users = len(accounts.list_users(uow=uow))
        orgs = len(accounts.list_orgs(uow=uow))

    again = _load(engine, tmp_path / "again")

    assert not again
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Application)) == before
        assert len(accounts.list_users(uow=uow)) == users
        assert len(accounts.list_orgs(uow=uow)) == orgs
