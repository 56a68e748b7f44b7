"""POST /api/v1/auth/token, POST /api/v1/auth/logout, GET /api/v1/me."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.security import HTTPAuthorizationCredentials

from carexport.accounts import service
from carexport.accounts.auth import CurrentActor, bearer
from carexport.accounts.schemas import ErrorDetail, MeRead, OrgRead, TokenRequest, TokenResponse
from carexport.db import UnitOfWork

router = APIRouter(prefix="/api/v1", tags=["accounts 账户"])

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorDetail, "description": "no, unknown or expired bearer token"}
}


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    summary="登录取得令牌 / Log in for a bearer token",
    description="After 10 failed tries for one username within 15 minutes that username "
    "gets 429 for 15 minutes, whatever the password (Retry-After says how long).",
    responses={
        401: {"model": ErrorDetail, "description": "wrong username or password"},
        429: {"model": ErrorDetail, "description": "too many failed logins: locked"},
    },
)
def token(body: TokenRequest) -> TokenResponse:
    with UnitOfWork() as uow:
        issued = service.issue_token(uow=uow, username=body.username, password=body.password)
    return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in)


@router.post(
    "/auth/logout",
    status_code=204,
    summary="注销令牌 / Revoke the bearer token",
    responses=UNAUTHORIZED,
)
def logout(
    actor: CurrentActor,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Response:
    assert credentials is not None  # CurrentActor refused the request otherwise
    with UnitOfWork() as uow:
        service.revoke_token(uow=uow, token=credentials.credentials)
    return Response(status_code=204)


@router.get("/me", response_model=MeRead, summary="当前用户 / Who am I", responses=UNAUTHORIZED)
def me(actor: CurrentActor) -> MeRead:
    org = None
    if actor.org_id is not None and actor.org_kind is not None:
        org = OrgRead(
            id=actor.org_id,
            kind=actor.org_kind,
            name=actor.org_name or "",
            uscc=actor.org_uscc,
            region=actor.org_region,
        )
    return MeRead(id=actor.user_id, username=actor.username, role=actor.role, org=org)
