"""Use cases of accounts: organisations, users, logins, tokens.

Each public function opens nothing and commits once on the `uow` it is given; a login
that fails still commits (the failure counts towards the lock-out and is audited) and
then raises.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload

from carexport import audit, clock
from carexport.accounts import passwords
from carexport.accounts.actor import Actor
from carexport.accounts.enums import KINDS_WITH_USCC, ROLES_BY_KIND, OrgKind, Role
from carexport.accounts.lockout import locked_until
from carexport.accounts.models import ApiToken, LoginFailure, Organisation, User, WebSession
from carexport.accounts.regions import PROVINCES
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.domain.text import is_blank, normalize_identifier, normalize_text
from carexport.domain.uscc import is_valid_uscc
from carexport.errors import (
    Conflict,
    InputProblem,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooManyAttempts,
)

MAX_NAME_CHARS = 200
# Letters (any script), digits and . _ @ - : usable in a URL, a log line and a form.
_USERNAME = re.compile(r"^[\w.@-]+$")

BAD_CREDENTIALS = "用户名或密码错误 / wrong username or password"
BAD_TOKEN = "未登录或令牌无效、已过期 / not logged in, or the token is invalid or expired"


def _problem(
    location: str, reason: str, kind: str = "invalid", source: str = "body"
) -> InvalidInput:
    return InvalidInput([InputProblem(source, location, reason, kind)])


# --- organisations ---


def add_org(
    *,
    uow: UnitOfWork,
    kind: str,
    name: str,
    uscc: str | None = None,
    region: str | None = None,
    now: datetime | None = None,
) -> Organisation:
    """Create an organisation. InvalidInput for a bad field, Conflict for a duplicate.

    Exporters and manufacturers need a USCC that passes its check character; an agency
    needs a GB/T 2260 province code (it numbers the agency's licenses).
    """
    try:
        org_kind = OrgKind(kind)
    except ValueError:
        raise _problem(
            "kind", f"unknown kind {kind[:40]!r}; one of: {', '.join(OrgKind)}", "enum"
        ) from None
    if is_blank(name):
        raise _problem("name", "名称不能为空 / the name is required", "missing")
    clean_name = " ".join(unicodedata.normalize("NFKC", name).split())
    if len(clean_name) > MAX_NAME_CHARS:
        raise _problem("name", f"名称过长 / the name is longer than {MAX_NAME_CHARS} characters")
    code = normalize_identifier(uscc) if uscc is not None and not is_blank(uscc) else None
    if org_kind in KINDS_WITH_USCC and code is None:
        raise _problem(
            "uscc",
            f"{org_kind} 须有统一社会信用代码 / a USCC is required for an {org_kind}",
            "missing",
        )
    if code is not None and not is_valid_uscc(code):
        raise _problem(
            "uscc",
            f"统一社会信用代码无效（校验位不符）/ not a valid USCC: {code[:40]!r}",
        )
    province = region.strip() if region is not None and region.strip() else None
    if org_kind is OrgKind.AGENCY and province is None:
        raise _problem(
            "region",
            "发证机构须有地区代码（GB/T 2260 省级，如 12 = 天津）/ an agency needs its region, "
            "a GB/T 2260 province code such as 12 (天津)",
            "missing",
        )
    if province is not None and province not in PROVINCES:
        raise _problem(
            "region",
            f"不是 GB/T 2260 省级代码 / not a GB/T 2260 province code: {province[:10]!r} "
            "(11 北京, 12 天津, 31 上海, 44 广东, …)",
        )
    org = Organisation(
        kind=org_kind.value,
        name=clean_name,
        name_key=normalize_text(clean_name) or "",
        uscc=code,
        region=province,
        created_at=now or clock.now(),
    )
    session = uow.session
    same = [Organisation.name_key == org.name_key]
    if code is not None:
        same.append(Organisation.uscc == code)
    duplicate = session.scalar(
        select(Organisation.id).where(Organisation.kind == org.kind, or_(*same)).limit(1)
    )
    if duplicate is not None:
        raise Conflict(
            f"已有同名或同代码的{org_kind}（id {duplicate}）/ an {org_kind} with this name or "
            f"USCC exists already (id {duplicate})"
        )
    session.add(org)
    try:
        session.flush()
    except IntegrityError:  # a concurrent add of the same organisation won the race
        raise Conflict(
            f"已有同名或同代码的{org_kind} / an {org_kind} with this name or USCC exists already"
        ) from None
    uow.commit()
    return org


def get_org(*, uow: UnitOfWork, org_id: int) -> Organisation:
    org = uow.session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"没有 id 为 {org_id} 的机构 / no organisation with id {org_id}")
    return org


def list_orgs(*, uow: UnitOfWork) -> list[Organisation]:
    return list(uow.session.scalars(select(Organisation).order_by(Organisation.id)))


def find_agency(*, uow: UnitOfWork, name: str) -> Organisation | None:
    """The agency an application's `issuing_agency` names (compared after NFKC etc.)."""
    key = normalize_text(name)
    if key is None:
        return None
    return uow.session.scalar(
        select(Organisation).where(
            Organisation.kind == OrgKind.AGENCY.value, Organisation.name_key == key
        )
    )


def find_org_by_uscc(*, uow: UnitOfWork, kind: OrgKind, uscc: str) -> Organisation | None:
    code = normalize_identifier(uscc)
    return uow.session.scalar(
        select(Organisation).where(Organisation.kind == kind.value, Organisation.uscc == code)
    )


# --- users ---


def clean_username(username: str) -> str:
    """The form a username is stored and looked up in (NFKC, trimmed)."""
    return unicodedata.normalize("NFKC", username).strip()


def add_user(
    *,
    uow: UnitOfWork,
    username: str,
    password: str,
    role: str,
    org_id: int | None,
    now: datetime | None = None,
) -> User:
    """Create a user. The role must fit the organisation's kind; `admin` has none."""
    settings = get_settings()
    name = clean_username(username)
    if not name or len(name) > settings.max_username_chars or not _USERNAME.match(name):
        raise _problem(
            "username",
            f"用户名须为 1–{settings.max_username_chars} 个字母、数字或 . _ @ - / a username "
            f"is 1 to {settings.max_username_chars} letters, digits or . _ @ -",
        )
    if len(password) < settings.min_password_chars:
        raise _problem(
            "password",
            f"密码至少 {settings.min_password_chars} 个字符 / the password needs at least "
            f"{settings.min_password_chars} characters",
        )
    if len(password) > settings.max_password_chars:
        raise _problem(
            "password",
            f"密码过长 / the password is longer than {settings.max_password_chars} characters",
        )
    try:
        user_role = Role(role)
    except ValueError:
        raise _problem(
            "role", f"unknown role {role[:40]!r}; one of: {', '.join(Role)}", "enum"
        ) from None
    session = uow.session
    if user_role is Role.ADMIN:
        if org_id is not None:
            raise _problem("org", "admin 不属于任何机构 / an admin belongs to no organisation")
    else:
        if org_id is None:
            raise _problem(
                "org", f"{user_role} 须指定机构 / --org is required for {user_role}", "missing"
            )
        org = session.get(Organisation, org_id)
        if org is None:
            raise _problem("org", f"没有 id 为 {org_id} 的机构 / no organisation with id {org_id}")
        allowed = ROLES_BY_KIND[OrgKind(org.kind)]
        if user_role not in allowed:
            raise _problem(
                "role",
                f"{org.kind} 机构不能有 {user_role} 角色 / the role {user_role} does not fit "
                f"an {org.kind}; it may hold: {', '.join(sorted(allowed))}",
            )
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(f"用户名已存在 / the username {name!r} is taken")
    user = User(
        username=name,
        password_hash=passwords.hash_password(password),
        role=user_role.value,
        org_id=org_id,
        active=True,
        created_at=now or clock.now(),
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"用户名已存在 / the username {name!r} is taken") from None
    uow.commit()
    return user


def list_users(*, uow: UnitOfWork) -> list[User]:
    query = select(User).options(joinedload(User.org)).order_by(User.id)
    return list(uow.session.scalars(query))


def actor_of(user: User) -> Actor:
    org = user.org
    return Actor(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        org_id=user.org_id,
        org_kind=None if org is None else OrgKind(org.kind),
        org_name=None if org is None else org.name,
        org_region=None if org is None else org.region,
        org_uscc=None if org is None else org.uscc,
    )


# --- logins and tokens ---


@dataclass(frozen=True)
class IssuedToken:
    """A new bearer token: the only time its clear text exists on the server."""

    access_token: str
    expires_in: int  # seconds
    expires_at: datetime
    actor: Actor


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _recent_failures(session: Session, key: str, limit: int) -> list[datetime]:
    query = (
        select(LoginFailure.at)
        .where(LoginFailure.username == key)
        .order_by(LoginFailure.at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def _authenticate(session: Session, username: str, password: str, now: datetime) -> Actor:
    """Check one login attempt and record it (failure count, audit); commits nothing.

    Raises TooManyAttempts while the username is locked (not counted), NotAuthenticated
    for a wrong username or password; both after writing what the caller must commit.
    """
    settings = get_settings()
    # Bounded before anything else: a 10 MB "username" is neither stored nor hashed.
    key = clean_username(username)[: settings.max_username_chars + 1]
    window = timedelta(seconds=settings.login_window_seconds)
    lock = timedelta(seconds=settings.login_lock_seconds)
    until = locked_until(
        _recent_failures(session, key, settings.login_max_failures),
        max_failures=settings.login_max_failures,
        window=window,
        lock=lock,
    )
    if until is not None and now < until:
        audit.append(
            session,
            verb="login.locked",
            object_kind="user",
            object_id=key,
            reason="too many failed logins",
            payload={"username": key, "locked_until": audit.format_at(until)},
            at=now,
        )
        retry = max(1, math.ceil((until - now).total_seconds()))
        raise TooManyAttempts(
            f"登录失败次数过多，请 {retry} 秒后再试 / too many failed logins for this "
            f"username; try again in {retry} seconds",
            retry_after_seconds=retry,
        )
    user = None
    if len(password) <= settings.max_password_chars:
        user = session.scalar(
            select(User).options(joinedload(User.org)).where(User.username == key)
        )
    if user is None or not user.active:
        passwords.verify_password(passwords.dummy_hash(), password[:64])  # same time taken
        ok = False
    else:
        ok = passwords.verify_password(user.password_hash, password)
    if not ok:
        session.add(LoginFailure(username=key, at=now))
        # Failures older than a window and a lock can no longer matter: keep the table small.
        session.execute(
            delete(LoginFailure).where(
                LoginFailure.username == key, LoginFailure.at < now - window - lock
            )
        )
        audit.append(
            session,
            verb="login.failed",
            object_kind="user",
            object_id=key if user is None else user.id,
            reason=BAD_CREDENTIALS,
            payload={"username": key},
            at=now,
        )
        raise NotAuthenticated(BAD_CREDENTIALS)
    assert user is not None
    session.execute(delete(LoginFailure).where(LoginFailure.username == key))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    actor = actor_of(user)
    audit.append(
        session,
        verb="login.succeeded",
        object_kind="user",
        object_id=user.id,
        actor=actor,
        payload={"username": key},
        at=now,
    )
    return actor


def login(*, uow: UnitOfWork, username: str, password: str, now: datetime | None = None) -> Actor:
    """Check a login (for a session kept elsewhere). Raises NotAuthenticated or
    TooManyAttempts after committing the failure and its audit entry."""
    try:
        actor = _authenticate(uow.session, username, password, now or clock.now())
    except (NotAuthenticated, TooManyAttempts):
        uow.commit()
        raise
    uow.commit()
    return actor


def issue_token(
    *, uow: UnitOfWork, username: str, password: str, now: datetime | None = None
) -> IssuedToken:
    """Log in and issue a bearer token (`POST /api/v1/auth/token`).

    The token is 256 random bits; only its SHA-256 is stored (see
    docs/decisions/0015-opaque-api-tokens.md). Raises as `login` does.
    """
    at = now or clock.now()
    try:
        actor = _authenticate(uow.session, username, password, at)
    except (NotAuthenticated, TooManyAttempts):
        uow.commit()
        raise
    ttl = get_settings().token_ttl_seconds
    token = secrets.token_urlsafe(32)
    expires_at = at + timedelta(seconds=ttl)
    uow.session.add(
        ApiToken(
            token_hash=token_hash(token),
            user_id=actor.user_id,
            created_at=at,
            expires_at=expires_at,
            revoked_at=None,
        )
    )
    uow.commit()
    return IssuedToken(access_token=token, expires_in=ttl, expires_at=expires_at, actor=actor)


_Credential = TypeVar("_Credential", ApiToken, WebSession)


def _held_by(
    uow: UnitOfWork,
    model: type[_Credential],
    hash_column: InstrumentedAttribute[str],
    secret: str,
    refusal: str,
) -> tuple[_Credential, User]:
    """The stored credential (API token or page session) whose hash is that of `secret`,
    with its user and org; NotAuthenticated(refusal) when there is none."""
    if not secret or len(secret) > 256:
        raise NotAuthenticated(refusal)
    row = uow.session.execute(
        select(model, User)
        .join(User, User.id == model.user_id)
        .options(joinedload(User.org))
        .where(hash_column == token_hash(secret))
    ).one_or_none()
    if row is None:
        raise NotAuthenticated(refusal)
    credential, user = row
    return credential, user


def actor_for_token(*, uow: UnitOfWork, token: str, now: datetime | None = None) -> Actor:
    """The user a bearer token stands for; NotAuthenticated when it is unknown, revoked,
    expired or its user is deactivated. Reads only."""
    api_token, user = _held_by(uow, ApiToken, ApiToken.token_hash, token, BAD_TOKEN)
    at = now or clock.now()
    if api_token.revoked_at is not None or api_token.expires_at <= at or not user.active:
        raise NotAuthenticated(BAD_TOKEN)
    return actor_of(user)


def revoke_token(*, uow: UnitOfWork, token: str, now: datetime | None = None) -> None:
    """Log out: the token stops working at once. Unknown tokens are ignored."""
    at = now or clock.now()
    api_token = uow.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if api_token is None or api_token.revoked_at is not None:
        return
    api_token.revoked_at = at
    user = uow.session.get(User, api_token.user_id)
    audit.append(
        uow.session,
        verb="logout",
        object_kind="user",
        object_id=api_token.user_id,
        actor=None if user is None else actor_of(user),
        at=at,
    )
    uow.commit()


# --- browser sessions (the pages) ---

NO_SESSION = "未登录或会话已过期，请重新登录 / not logged in, or the session expired: log in again"


@dataclass(frozen=True)
class StartedSession:
    """A new browser session: the only time the cookie's clear token exists here."""

    token: str
    csrf_token: str
    expires_at: datetime
    actor: Actor


@dataclass(frozen=True)
class CurrentSession:
    """The session a cookie stands for, with a flash message taken from it (if any)."""

    session_id: int
    csrf_token: str
    actor: Actor
    flash: str | None


def create_session(
    *,
    uow: UnitOfWork,
    username: str,
    password: str,
    replaces: str | None = None,
    now: datetime | None = None,
) -> StartedSession:
    """Log in (audited, lock-out as for tokens) and start a browser session.

    A new random token every time, so a session id planted before the login is worth
    nothing after it (session fixation); `replaces` (the old cookie) is ended. Raises
    NotAuthenticated or TooManyAttempts after committing the failure, as `login` does.
    """
    at = now or clock.now()
    try:
        actor = _authenticate(uow.session, username, password, at)
    except (NotAuthenticated, TooManyAttempts):
        uow.commit()
        raise
    if replaces:
        _end(uow.session, replaces, at)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires_at = at + timedelta(seconds=get_settings().session_ttl_seconds)
    uow.session.add(
        WebSession(
            session_hash=token_hash(token),
            user_id=actor.user_id,
            csrf_token=csrf,
            created_at=at,
            expires_at=expires_at,
            last_seen_at=at,
            ended_at=None,
            flash=None,
        )
    )
    uow.commit()
    return StartedSession(token=token, csrf_token=csrf, expires_at=expires_at, actor=actor)


# last_seen is written at most this often, so that reading pages does not write a row
# per request.
_SEEN_GRANULARITY = timedelta(seconds=60)


def get_session(*, uow: UnitOfWork, token: str, now: datetime | None = None) -> CurrentSession:
    """The session of a cookie; NotAuthenticated when unknown, ended, expired (absolute or
    idle) or its user is disabled. Takes the flash message out; commits only when it
    changed something (last seen, flash)."""
    web_session, user = _held_by(uow, WebSession, WebSession.session_hash, token, NO_SESSION)
    at = now or clock.now()
    idle = timedelta(seconds=get_settings().session_idle_seconds)
    if (
        web_session.ended_at is not None
        or web_session.expires_at <= at
        or web_session.last_seen_at + idle <= at
        or not user.active
    ):
        raise NotAuthenticated(NO_SESSION)
    flash = web_session.flash
    if flash is not None or at - web_session.last_seen_at >= _SEEN_GRANULARITY:
        web_session.flash = None
        web_session.last_seen_at = at
        uow.commit()
    return CurrentSession(
        session_id=web_session.id,
        csrf_token=web_session.csrf_token,
        actor=actor_of(user),
        flash=flash,
    )


def set_flash(*, uow: UnitOfWork, session_id: int, message: str) -> None:
    """Keep one message for the session's next page (after a redirect)."""
    uow.session.execute(
        update(WebSession).where(WebSession.id == session_id).values(flash=message[:500])
    )
    uow.commit()


def _end(session: Session, token: str, at: datetime) -> WebSession | None:
    web_session = session.scalar(
        select(WebSession).where(WebSession.session_hash == token_hash(token))
    )
    if web_session is None or web_session.ended_at is not None:
        return None
    web_session.ended_at = at
    return web_session


def end_session(*, uow: UnitOfWork, token: str, now: datetime | None = None) -> None:
    """Log out a browser: the cookie stops working at once. Unknown tokens are ignored."""
    at = now or clock.now()
    ended = _end(uow.session, token, at)
    if ended is None:
        return
    user = uow.session.get(User, ended.user_id)
    audit.append(
        uow.session,
        verb="logout",
        object_kind="user",
        object_id=ended.user_id,
        actor=None if user is None else actor_of(user),
        payload={"via": "session"},
        at=at,
    )
    uow.commit()


# --- user administration (admin pages) ---


def _end_access(session: Session, user_id: int, at: datetime) -> None:
    """End every session and revoke every token of a user (password reset, disable)."""
    session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=at)
    )
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=at)
    )


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"没有 id 为 {user_id} 的用户 / no user with id {user_id}")
    return user


def reset_password(
    *, uow: UnitOfWork, user_id: int, password: str, by: Actor, now: datetime | None = None
) -> User:
    """Set a user's password (argon2id) and log them out everywhere; audited."""
    settings = get_settings()
    if len(password) < settings.min_password_chars:
        raise _problem(
            "password",
            f"密码至少 {settings.min_password_chars} 个字符 / the password needs at least "
            f"{settings.min_password_chars} characters",
        )
    if len(password) > settings.max_password_chars:
        raise _problem(
            "password",
            f"密码过长 / the password is longer than {settings.max_password_chars} characters",
        )
    at = now or clock.now()
    user = _user(uow.session, user_id)
    user.password_hash = passwords.hash_password(password)
    _end_access(uow.session, user.id, at)
    audit.append(
        uow.session,
        verb="user.password_reset",
        object_kind="user",
        object_id=user.id,
        actor=by,
        payload={"username": user.username},
        at=at,
    )
    uow.commit()
    return user


def set_user_active(
    *, uow: UnitOfWork, user_id: int, active: bool, by: Actor, now: datetime | None = None
) -> User:
    """Enable or disable a user; disabling ends their sessions and tokens. Audited.
    An admin cannot disable themselves (someone must be left to undo it)."""
    if not active and user_id == by.user_id:
        raise Conflict("不能停用自己的账户 / you cannot disable your own account")
    at = now or clock.now()
    user = _user(uow.session, user_id)
    if user.active == active:
        return user
    user.active = active
    if not active:
        _end_access(uow.session, user.id, at)
    audit.append(
        uow.session,
        verb="user.enabled" if active else "user.disabled",
        object_kind="user",
        object_id=user.id,
        actor=by,
        payload={"username": user.username},
        at=at,
    )
    uow.commit()
    return user
