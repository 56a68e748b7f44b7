"""Organisations, users, passwords, the lock-out and tokens, on SQLite and PostgreSQL.

Time is passed in (`now=`), never slept: the lock-out and expiry are tested to the second.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from carexport import audit
from carexport.accounts import service
from carexport.accounts.enums import OrgKind, Role
from carexport.accounts.models import LoginFailure, User
from carexport.db import UnitOfWork
from carexport.errors import Conflict, InvalidInput, NotAuthenticated, TooManyAttempts
from tests.accounts_fixtures import cheap_passwords

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)

EXPORTER_USCC = "91350100M000100Y43"
PASSWORD = "correct horse battery"
T0 = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)


def add_org(
    engine: Engine, kind: str, name: str, uscc: str | None = None, region: str | None = None
) -> int:
    with UnitOfWork(engine) as uow:
        return service.add_org(uow=uow, kind=kind, name=name, uscc=uscc, region=region).id


def add_user(engine: Engine, username: str, role: str, org_id: int | None) -> int:
    with UnitOfWork(engine) as uow:
        return service.add_user(
            uow=uow, username=username, password=PASSWORD, role=role, org_id=org_id
        ).id


def problem_location(excinfo: pytest.ExceptionInfo[InvalidInput]) -> str:
    return excinfo.value.problems[0].location


@pytest.fixture
def agency(engine: Engine) -> int:
    return add_org(engine, "agency", "天津市商务局", region="12")


@pytest.fixture
def reviewer(engine: Engine, agency: int) -> int:
    return add_user(engine, "reviewer.tj", "reviewer", agency)


def token_for(engine: Engine, username: str, password: str, now: datetime) -> str:
    with UnitOfWork(engine) as uow:
        return service.issue_token(
            uow=uow, username=username, password=password, now=now
        ).access_token


def fail(engine: Engine, username: str, now: datetime) -> type[Exception]:
    """One login with a wrong password; the error it got."""
    with pytest.raises((NotAuthenticated, TooManyAttempts)) as excinfo:
        token_for(engine, username, "wrong password!", now)
    return excinfo.type


# --- organisations ---


def test_adds_an_exporter_with_a_valid_uscc(engine: Engine) -> None:
    org_id = add_org(engine, "exporter", "福州出口有限公司", uscc=EXPORTER_USCC.lower())
    with UnitOfWork(engine) as uow:
        org = service.get_org(uow=uow, org_id=org_id)
        assert (org.kind, org.uscc, org.region) == ("exporter", EXPORTER_USCC, None)


@pytest.mark.parametrize("kind", ["exporter", "manufacturer"])
def test_refuses_an_enterprise_without_a_uscc(engine: Engine, kind: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        add_org(engine, kind, "无代码公司")
    assert problem_location(excinfo) == "uscc"


def test_refuses_a_uscc_with_a_wrong_check_character(engine: Engine) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        add_org(engine, "exporter", "错码公司", uscc=EXPORTER_USCC[:-1] + "X")
    assert problem_location(excinfo) == "uscc"


def test_refuses_an_agency_without_a_region_or_with_an_unknown_one(engine: Engine) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        add_org(engine, "agency", "某商务局")
    assert problem_location(excinfo) == "region"
    for code in ("99", "1", "120000", "00"):
        with pytest.raises(InvalidInput) as excinfo:
            add_org(engine, "agency", "某商务局", region=code)
        assert problem_location(excinfo) == "region"


def test_refuses_an_unknown_kind(engine: Engine) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        add_org(engine, "bank", "某银行")
    assert problem_location(excinfo) == "kind"


def test_refuses_a_second_agency_of_the_same_name_after_nfkc(engine: Engine, agency: int) -> None:
    with pytest.raises(Conflict):
        add_org(engine, "agency", " 天津市商务局 ", region="12")
    # Full-width letters fold to the same name as well.
    add_org(engine, "agency", "ＡＢ商务局", region="11")
    with pytest.raises(Conflict):
        add_org(engine, "agency", "ab商务局", region="11")


def test_finds_the_agency_an_application_names(engine: Engine, agency: int) -> None:
    with UnitOfWork(engine) as uow:
        found = service.find_agency(uow=uow, name=" 天津市商务局")
        assert found is not None
        assert found.id == agency
        assert service.find_agency(uow=uow, name="北京市商务局") is None


# --- users ---


def test_stores_the_password_as_argon2id_never_in_clear(engine: Engine, reviewer: int) -> None:
    with UnitOfWork(engine) as uow:
        user = uow.session.get(User, reviewer)
        assert user is not None
        stored = user.password_hash
    assert stored.startswith("$argon2id$v=19$")
    assert PASSWORD not in stored


def test_refuses_a_password_shorter_than_twelve_characters(engine: Engine, agency: int) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput) as excinfo:
        service.add_user(
            uow=uow, username="short", password="elevenchars", role="reviewer", org_id=agency
        )
    assert problem_location(excinfo) == "password"


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        ("agency", "applicant"),
        ("agency", "monitor"),
        ("exporter", "reviewer"),
        ("exporter", "issuer"),
        ("manufacturer", "applicant"),
        ("monitor", "senior_reviewer"),
    ],
)
def test_refuses_a_role_that_does_not_fit_the_org_kind(
    engine: Engine, kind: str, role: str
) -> None:
    extra = {"exporter": {"uscc": EXPORTER_USCC}, "manufacturer": {"uscc": EXPORTER_USCC}}
    org_id = add_org(engine, kind, "某机构", **extra.get(kind, {"region": "12"}))
    with pytest.raises(InvalidInput) as excinfo:
        add_user(engine, "misfit", role, org_id)
    assert problem_location(excinfo) == "role"


def test_each_kind_takes_its_own_roles(engine: Engine, agency: int) -> None:
    exporter = add_org(engine, "exporter", "出口公司", uscc=EXPORTER_USCC)
    maker = add_org(engine, "manufacturer", "生产公司", uscc=EXPORTER_USCC)
    ministry = add_org(engine, "monitor", "商务部")
    add_user(engine, "a1", "applicant", exporter)
    add_user(engine, "i1", "issuer", maker)
    add_user(engine, "r1", "reviewer", agency)
    add_user(engine, "s1", "senior_reviewer", agency)
    add_user(engine, "m1", "monitor", ministry)
    add_user(engine, "root", "admin", None)
    with UnitOfWork(engine) as uow:
        roles = {u.username: (u.role, u.org_id) for u in service.list_users(uow=uow)}
    assert roles["root"] == ("admin", None)
    assert roles["s1"] == ("senior_reviewer", agency)


def test_admin_has_no_org_and_every_other_role_needs_one(engine: Engine, agency: int) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        add_user(engine, "root", "admin", agency)
    assert problem_location(excinfo) == "org"
    with pytest.raises(InvalidInput) as excinfo:
        add_user(engine, "orphan", "reviewer", None)
    assert problem_location(excinfo) == "org"
    with pytest.raises(InvalidInput) as excinfo:
        add_user(engine, "ghost", "reviewer", 999_999)
    assert problem_location(excinfo) == "org"


def test_refuses_a_taken_username(engine: Engine, reviewer: int, agency: int) -> None:
    with pytest.raises(Conflict):
        add_user(engine, "reviewer.tj", "senior_reviewer", agency)


# --- logins, the lock-out, tokens ---


def test_a_token_stands_for_its_user_until_it_expires(engine: Engine, reviewer: int) -> None:
    token = token_for(engine, "reviewer.tj", PASSWORD, T0)
    ttl = timedelta(hours=8)
    with UnitOfWork(engine) as uow:
        actor = service.actor_for_token(uow=uow, token=token, now=T0 + ttl - timedelta(seconds=1))
        assert (actor.user_id, actor.role, actor.org_kind) == (
            reviewer,
            Role.REVIEWER,
            OrgKind.AGENCY,
        )
        assert actor.org_region == "12"
        with pytest.raises(NotAuthenticated):
            service.actor_for_token(uow=uow, token=token, now=T0 + ttl)
        with pytest.raises(NotAuthenticated):
            service.actor_for_token(uow=uow, token=token + "x", now=T0)


def test_a_revoked_token_stops_working(engine: Engine, reviewer: int) -> None:
    token = token_for(engine, "reviewer.tj", PASSWORD, T0)
    with UnitOfWork(engine) as uow:
        service.revoke_token(uow=uow, token=token, now=T0)
    with UnitOfWork(engine) as uow, pytest.raises(NotAuthenticated):
        service.actor_for_token(uow=uow, token=token, now=T0)


def test_locks_a_username_after_ten_failures_within_fifteen_minutes(
    engine: Engine, reviewer: int
) -> None:
    # Ten failures over 14 minutes: each is a 401.
    times = [T0 + timedelta(seconds=i * 90) for i in range(10)]
    assert [fail(engine, "reviewer.tj", t) for t in times] == [NotAuthenticated] * 10
    tenth = times[-1]
    # Locked for 15 minutes from the tenth, whatever the password.
    with pytest.raises(TooManyAttempts) as excinfo:
        token_for(engine, "reviewer.tj", PASSWORD, tenth + timedelta(seconds=1))
    assert excinfo.value.retry_after_seconds == 15 * 60 - 1
    with pytest.raises(TooManyAttempts):
        token_for(engine, "reviewer.tj", PASSWORD, tenth + timedelta(minutes=15, seconds=-1))
    # Then the right password works again.
    assert token_for(engine, "reviewer.tj", PASSWORD, tenth + timedelta(minutes=15))


def test_tries_during_the_lock_are_not_counted(engine: Engine, reviewer: int) -> None:
    for i in range(10):
        fail(engine, "reviewer.tj", T0 + timedelta(seconds=i))
    for i in range(5):
        assert fail(engine, "reviewer.tj", T0 + timedelta(minutes=5, seconds=i)) is TooManyAttempts
    with UnitOfWork(engine) as uow:
        stored = uow.session.scalars(select(LoginFailure)).all()
    assert len(stored) == 10
    # After the lock one failure is one failure, not the eleventh.
    after = T0 + timedelta(seconds=9) + timedelta(minutes=15)
    assert fail(engine, "reviewer.tj", after) is NotAuthenticated
    assert token_for(engine, "reviewer.tj", PASSWORD, after + timedelta(seconds=1))


def test_ten_failures_spread_over_more_than_fifteen_minutes_do_not_lock(
    engine: Engine, reviewer: int
) -> None:
    for i in range(10):
        fail(engine, "reviewer.tj", T0 + timedelta(seconds=i * 101))  # 15 min 9 s in all
    assert token_for(engine, "reviewer.tj", PASSWORD, T0 + timedelta(minutes=16))


def test_a_successful_login_clears_the_count(engine: Engine, reviewer: int) -> None:
    for i in range(9):
        fail(engine, "reviewer.tj", T0 + timedelta(seconds=i))
    assert token_for(engine, "reviewer.tj", PASSWORD, T0 + timedelta(seconds=10))
    for i in range(9):
        fail(engine, "reviewer.tj", T0 + timedelta(seconds=20 + i))
    assert token_for(engine, "reviewer.tj", PASSWORD, T0 + timedelta(seconds=30))


def test_an_unknown_username_is_locked_out_like_a_known_one(engine: Engine) -> None:
    for i in range(10):
        assert fail(engine, "nobody", T0 + timedelta(seconds=i)) is NotAuthenticated
    assert fail(engine, "nobody", T0 + timedelta(seconds=11)) is TooManyAttempts


def test_every_login_appends_an_audit_entry(engine: Engine, reviewer: int) -> None:
    token_for(engine, "reviewer.tj", PASSWORD, T0)
    for i in range(10):
        fail(engine, "reviewer.tj", T0 + timedelta(seconds=1 + i))
    fail(engine, "reviewer.tj", T0 + timedelta(seconds=20))
    with UnitOfWork(engine) as uow:
        entries = audit.entries_for(uow.session, [("user", reviewer), ("user", "reviewer.tj")])
        check = audit.verify(uow.session)
    verbs = [e.verb for e in entries]
    assert verbs == ["login.succeeded"] + ["login.failed"] * 10 + ["login.locked"]
    assert entries[0].actor == str(reviewer)
    assert entries[1].actor == audit.SYSTEM
    assert check.holds
    assert check.entries == 12
