"""FastAPI dependencies of the pages: the session cookie, the CSRF check, the role.

    @router.get("/applications")
    def applications(request: Request, actor: ApplicantPage) -> Response: ...

    @router.post("/applications/{id}/submit")
    def submit(request: Request, actor: ApplicantPage, version: Annotated[int, Form()]): ...

`page_actor` (and every role alias below, which depend on it) reads the session cookie
and, for POST/PUT/PATCH/DELETE, checks the CSRF token (the form's `csrf_token` field or
the `X-CSRF-Token` header) before the route runs: a page route that takes an actor
cannot forget it. No session raises NotAuthenticated, which web/errors.py turns into a
303 to /login?next=… on pages (401 JSON on /api/); a wrong role raises Forbidden (403
page); a bad CSRF token raises CsrfRefused (403 page).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from carexport.accounts import service
from carexport.accounts.actor import Actor
from carexport.accounts.enums import Role
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.errors import Forbidden, NotAuthenticated
from carexport.pages.templating import CSRF_FIELD, CSRF_HEADER

SESSION_COOKIE = "carexport_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfRefused(Forbidden):
    """A state-changing page request without the session's CSRF token (HTTP 403)."""


CSRF_REFUSED = (
    "表单已失效（缺少或不符的 CSRF 令牌），请刷新页面后重试 / the form is stale or was not "
    "sent by this site (CSRF token missing or wrong): reload the page and try again"
)
WRONG_ROLE = "您的角色不能使用此页面 / your role may not use this page"


def _load(token: str) -> service.CurrentSession:
    with UnitOfWork() as uow:
        return service.get_session(uow=uow, token=token)


def _remember(request: Request, current: service.CurrentSession) -> None:
    # render() (carexport.pages.templating) reads these for the layout and csrf_field().
    request.state.actor = current.actor
    request.state.csrf_token = current.csrf_token
    request.state.flash = current.flash
    request.state.session_id = current.session_id


async def _sent_csrf(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(_FORM_TYPES):
        # Starlette keeps the parsed form on the request: the route's Form() parameters
        # read the same one, the body is not read twice.
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def page_session(request: Request) -> service.CurrentSession:
    """The session of the cookie (NotAuthenticated when none), CSRF checked on writes."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotAuthenticated(service.NO_SESSION)
    current = await run_in_threadpool(_load, token)
    _remember(request, current)
    if request.method in UNSAFE_METHODS:
        sent = await _sent_csrf(request)
        if not sent or not hmac.compare_digest(sent.encode(), current.csrf_token.encode()):
            raise CsrfRefused(CSRF_REFUSED)
    return current


PageSession = Annotated[service.CurrentSession, Depends(page_session)]


async def page_actor(current: PageSession) -> Actor:
    return current.actor


PageActor = Annotated[Actor, Depends(page_actor)]


def page_role(*roles: Role) -> Callable[[Actor], Awaitable[Actor]]:
    """A dependency: the logged-in actor, Forbidden unless their role is one of `roles`."""
    allowed = frozenset(roles)

    async def check(actor: PageActor) -> Actor:
        if actor.role not in allowed:
            raise Forbidden(WRONG_ROLE)
        return actor

    return check


ApplicantPage = Annotated[Actor, Depends(page_role(Role.APPLICANT))]
# A senior reviewer may do whatever a reviewer may (WORKFLOW.md).
AgencyPage = Annotated[Actor, Depends(page_role(Role.REVIEWER, Role.SENIOR_REVIEWER))]
SeniorReviewerPage = Annotated[Actor, Depends(page_role(Role.SENIOR_REVIEWER))]
MonitorPage = Annotated[Actor, Depends(page_role(Role.MONITOR))]
AdminPage = Annotated[Actor, Depends(page_role(Role.ADMIN))]


def optional_session(request: Request) -> service.CurrentSession | None:
    """The session if the cookie holds a live one, else None; never raises (the layout
    of an error page, the / redirect). Call from a sync route or an error handler."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        current = _load(token)
    except Exception:  # an error page must not fail in its turn (store down, bad cookie)
        return None
    _remember(request, current)
    return current


def flash(request: Request, message: str) -> None:
    """Keep `message` for the next page of this session (shown once, by base.html).
    Call before returning see_other(…); sync (run it from a sync route)."""
    session_id = getattr(request.state, "session_id", None)
    if session_id is None:
        return
    with UnitOfWork() as uow:
        service.set_flash(uow=uow, session_id=session_id, message=message)


def cookie_secure(request: Request) -> bool:
    setting = get_settings().cookie_secure
    return request.url.scheme == "https" if setting is None else setting
