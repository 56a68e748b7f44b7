"""Pages of accounts: login, logout, / (to the role's home), my account, and the admin's
organisations and users. Routes parse, call accounts.service, render; nothing else."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from carexport.accounts import service
from carexport.accounts.enums import ROLES_BY_KIND, OrgKind, Role
from carexport.accounts.page_auth import (
    SESSION_COOKIE,
    AdminPage,
    PageActor,
    PageSession,
    cookie_secure,
    flash,
    optional_session,
)
from carexport.accounts.regions import PROVINCES
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.errors import Conflict, InvalidInput, NotAuthenticated, TooManyAttempts
from carexport.pages.forms import field_errors
from carexport.pages.templating import CSRF_FIELD, render, safe_next, see_other

router = APIRouter(include_in_schema=False)

# Where each role lands after login (and on /). The pages behind these paths belong to
# the features (applications: exporter, reviewer and monitor pages).
ROLE_HOME: dict[Role, str] = {
    Role.APPLICANT: "/applications",
    Role.REVIEWER: "/review",
    Role.SENIOR_REVIEWER: "/review",
    Role.MONITOR: "/monitor",
    Role.ADMIN: "/admin/orgs",
    Role.ISSUER: "/confirmations",
}

# The login form has no session yet: its CSRF token is a random value in a cookie that
# the form repeats (double submit), so another site cannot log a browser in to an
# account of its choosing (login CSRF).
LOGIN_CSRF_COOKIE = "carexport_login_csrf"
LOGIN_STALE = "登录表单已失效，请再试一次 / the login form expired: please try again"


def _login_page(
    request: Request,
    *,
    username: str = "",
    next_url: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "accounts/login.html",
        {
            "username": username,
            "next": safe_next(next_url, ""),
            "errors": errors or {},
            "login_csrf": token,
        },
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/login",
    )
    return response


@router.get("/")
def home(request: Request) -> Response:
    current = optional_session(request)
    if current is None:
        return see_other("/login")
    return see_other(ROLE_HOME[current.actor.role])


@router.get("/login")
def login_form(request: Request, next: str = "") -> Response:
    current = optional_session(request)
    if current is not None:
        return see_other(safe_next(next, ROLE_HOME[current.actor.role]))
    return _login_page(request, next_url=next)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    settings = get_settings()
    username = username[: settings.max_username_chars + 1]
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        return _login_page(
            request, username=username, next_url=next, errors={"": LOGIN_STALE}, status_code=403
        )
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = "请输入用户名 / enter your username"
    if not password:
        errors["password"] = "请输入密码 / enter your password"
    if errors:
        return _login_page(
            request, username=username, next_url=next, errors=errors, status_code=422
        )
    try:
        with UnitOfWork() as uow:
            started = service.create_session(
                uow=uow,
                username=username,
                password=password,
                replaces=request.cookies.get(SESSION_COOKIE),
            )
    except TooManyAttempts as exc:
        response = _login_page(
            request, username=username, next_url=next, errors={"": str(exc)}, status_code=429
        )
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    except NotAuthenticated as exc:
        return _login_page(
            request, username=username, next_url=next, errors={"": str(exc)}, status_code=401
        )
    response = see_other(safe_next(next, ROLE_HOME[started.actor.role]))
    response.set_cookie(
        SESSION_COOKIE,
        started.token,
        max_age=settings.session_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, current: PageSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    with UnitOfWork() as uow:
        service.end_session(uow=uow, token=token)
    response = see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/me")
def me(request: Request, actor: PageActor) -> Response:
    return render(request, "accounts/me.html", {"home": ROLE_HOME[actor.role]})


# --- admin: organisations ---

KIND_OPTIONS = [k.value for k in OrgKind]


def _orgs_page(
    request: Request,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    # Rendered inside the unit of work: leaving it rolls back, which expires the rows.
    with UnitOfWork() as uow:
        orgs = service.list_orgs(uow=uow)
        return render(
            request,
            "accounts/orgs.html",
            {
                "orgs": orgs,
                "kinds": KIND_OPTIONS,
                "provinces": sorted(PROVINCES.items()),
                "region_names": PROVINCES,
                "form": form or {"kind": "exporter", "name": "", "uscc": "", "region": ""},
                "errors": errors or {},
            },
            status_code=status_code,
        )


@router.get("/admin/orgs")
def orgs(request: Request, actor: AdminPage) -> Response:
    return _orgs_page(request)


@router.post("/admin/orgs")
def add_org(
    request: Request,
    actor: AdminPage,
    kind: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    uscc: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
) -> Response:
    form = {"kind": kind, "name": name, "uscc": uscc, "region": region}
    try:
        with UnitOfWork() as uow:
            org = service.add_org(
                uow=uow, kind=kind, name=name, uscc=uscc or None, region=region or None
            )
    except InvalidInput as exc:
        return _orgs_page(request, form=form, errors=field_errors(exc), status_code=422)
    except Conflict as exc:
        return _orgs_page(request, form=form, errors={"name": str(exc)}, status_code=409)
    flash(
        request,
        f"已创建机构 {org.name}（id {org.id}）/ organisation {org.name} created (id {org.id})",
    )
    return see_other("/admin/orgs")


# --- admin: users ---


def _users_page(
    request: Request,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with UnitOfWork() as uow:  # rendered inside, as _orgs_page
        users = service.list_users(uow=uow)
        orgs = service.list_orgs(uow=uow)
        return render(
            request,
            "accounts/users.html",
            {
                "users": users,
                "orgs": orgs,
                "roles": [r.value for r in Role],
                "roles_by_kind": {
                    k.value: sorted(r.value for r in v) for k, v in ROLES_BY_KIND.items()
                },
                "form": form or {"username": "", "role": "applicant", "org": ""},
                "errors": errors or {},
                "min_password": get_settings().min_password_chars,
            },
            status_code=status_code,
        )


@router.get("/admin/users")
def users(request: Request, actor: AdminPage) -> Response:
    return _users_page(request)


@router.post("/admin/users")
def add_user(
    request: Request,
    actor: AdminPage,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    org: Annotated[str, Form()] = "",
) -> Response:
    form = {"username": username, "role": role, "org": org}
    org_id: int | None = None
    if org.strip():
        if not org.strip().isdigit():
            return _users_page(
                request,
                form=form,
                errors={"org": "请选择机构 / choose an organisation"},
                status_code=422,
            )
        org_id = int(org.strip())
    try:
        with UnitOfWork() as uow:
            user = service.add_user(
                uow=uow, username=username, password=password, role=role, org_id=org_id
            )
    except InvalidInput as exc:
        return _users_page(request, form=form, errors=field_errors(exc), status_code=422)
    except Conflict as exc:
        return _users_page(request, form=form, errors={"username": str(exc)}, status_code=409)
    flash(request, f"已创建用户 {user.username} / user {user.username} created")
    return see_other("/admin/users")


@router.post("/admin/users/{user_id}/password")
def reset_password(
    request: Request,
    actor: AdminPage,
    user_id: int,
    password: Annotated[str, Form()] = "",
) -> Response:
    try:
        with UnitOfWork() as uow:
            user = service.reset_password(uow=uow, user_id=user_id, password=password, by=actor)
    except InvalidInput as exc:
        errors = {f"password-{user_id}": msg for msg in field_errors(exc).values()}
        return _users_page(request, errors=errors, status_code=422)
    flash(
        request,
        f"已重设 {user.username} 的密码，其会话与令牌已失效 / password of {user.username} "
        "reset; their sessions and tokens ended",
    )
    return see_other("/admin/users")


@router.post("/admin/users/{user_id}/active")
def set_active(
    request: Request,
    actor: AdminPage,
    user_id: int,
    active: Annotated[str, Form()] = "",
) -> Response:
    enable = active == "1"
    with UnitOfWork() as uow:
        user = service.set_user_active(uow=uow, user_id=user_id, active=enable, by=actor)
    if enable:
        flash(request, f"已启用 {user.username} / {user.username} enabled")
    else:
        flash(request, f"已停用 {user.username} / {user.username} disabled")
    return see_other("/admin/users")
