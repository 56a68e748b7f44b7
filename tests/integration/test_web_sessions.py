"""Browser sessions (accounts.service): expiry, logout, flash, and what ends them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from carexport.accounts import service
from carexport.accounts.actor import Actor
from carexport.accounts.models import WebSession
from carexport.db import UnitOfWork
from carexport.errors import NotAuthenticated
from tests.accounts_fixtures import cheap_passwords

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)

T0 = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def user_id(engine: Engine) -> int:
    with UnitOfWork(engine) as uow:
        org = service.add_org(uow=uow, kind="monitor", name="商务部").id
    with UnitOfWork(engine) as uow:
        return service.add_user(
            uow=uow, username="m", password=PASSWORD, role="monitor", org_id=org
        ).id


def start(engine: Engine, at: datetime = T0) -> service.StartedSession:
    with UnitOfWork(engine) as uow:
        return service.create_session(uow=uow, username="m", password=PASSWORD, now=at)


def get(engine: Engine, token: str, at: datetime) -> service.CurrentSession:
    with UnitOfWork(engine) as uow:
        return service.get_session(uow=uow, token=token, now=at)


def test_stores_only_the_hash_of_the_cookie(engine: Engine, user_id: int) -> None:
    started = start(engine)
    with UnitOfWork(engine) as uow:
        stored = uow.session.scalars(select(WebSession.session_hash)).all()
    assert stored == [service.token_hash(started.token)]
    assert started.token not in stored
    assert get(engine, started.token, T0).actor.user_id == user_id


def test_a_session_ends_after_two_idle_hours(engine: Engine, user_id: int) -> None:
    token = start(engine).token
    at = T0
    for _ in range(5):  # kept alive by use, every 110 minutes
        at += timedelta(minutes=110)
        get(engine, token, at)
    with pytest.raises(NotAuthenticated):
        get(engine, token, at + timedelta(hours=2))


def test_a_session_ends_after_twelve_hours_however_used(engine: Engine, user_id: int) -> None:
    token = start(engine).token
    at = T0
    while at < T0 + timedelta(hours=11, minutes=30):
        at += timedelta(minutes=30)
        get(engine, token, at)
    with pytest.raises(NotAuthenticated):
        get(engine, token, T0 + timedelta(hours=12))


def test_reading_pages_writes_last_seen_at_most_once_a_minute(engine: Engine, user_id: int) -> None:
    token = start(engine).token
    get(engine, token, T0 + timedelta(seconds=30))
    with UnitOfWork(engine) as uow:
        assert uow.session.scalars(select(WebSession.last_seen_at)).one() == T0
    get(engine, token, T0 + timedelta(seconds=90))
    with UnitOfWork(engine) as uow:
        assert uow.session.scalars(select(WebSession.last_seen_at)).one() == T0 + timedelta(
            seconds=90
        )


def test_a_flash_message_is_shown_once(engine: Engine, user_id: int) -> None:
    token = start(engine).token
    session_id = get(engine, token, T0).session_id
    with UnitOfWork(engine) as uow:
        service.set_flash(uow=uow, session_id=session_id, message="已提交 / submitted")
    assert get(engine, token, T0).flash == "已提交 / submitted"
    assert get(engine, token, T0).flash is None


def test_logout_and_disabling_end_sessions_and_tokens(engine: Engine, user_id: int) -> None:
    first = start(engine).token
    with UnitOfWork(engine) as uow:
        service.end_session(uow=uow, token=first, now=T0)
    with pytest.raises(NotAuthenticated):
        get(engine, first, T0)
    second = start(engine).token
    with UnitOfWork(engine) as uow:
        bearer = service.issue_token(uow=uow, username="m", password=PASSWORD).access_token
    admin = get(engine, second, T0).actor  # any actor will do as `by`
    with UnitOfWork(engine) as uow:
        service.set_user_active(uow=uow, user_id=user_id, active=False, by=_other(admin), now=T0)
    with pytest.raises(NotAuthenticated):
        get(engine, second, T0)
    with UnitOfWork(engine) as uow, pytest.raises(NotAuthenticated):
        service.actor_for_token(uow=uow, token=bearer)


def test_a_password_reset_ends_sessions_and_keeps_the_new_password(
    engine: Engine, user_id: int
) -> None:
    token = start(engine).token
    by = _other(get(engine, token, T0).actor)
    with UnitOfWork(engine) as uow:
        service.reset_password(uow=uow, user_id=user_id, password="a new long password", by=by)
    with pytest.raises(NotAuthenticated):
        get(engine, token, T0)
    with UnitOfWork(engine) as uow, pytest.raises(NotAuthenticated):
        service.create_session(uow=uow, username="m", password=PASSWORD, now=T0)
    with UnitOfWork(engine) as uow:
        service.create_session(uow=uow, username="m", password="a new long password", now=T0)


def _other(actor: Actor) -> Actor:
    """The same actor under another user id (an admin acting on this user)."""
    return replace(actor, user_id=actor.user_id + 1000)
