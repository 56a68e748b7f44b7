"""FastAPI dependencies: the caller as an `Actor`, from `Authorization: Bearer …`.

    @router.get("/things")
    def things(actor: CurrentActor) -> ...:

Every /api/v1 route but auth/token, check and verify/* takes one (WORKFLOW.md). No or
bad credentials raise NotAuthenticated, which web/ answers with 401 and
`WWW-Authenticate: Bearer`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from carexport.accounts import service
from carexport.accounts.actor import Actor
from carexport.db import UnitOfWork
from carexport.errors import NotAuthenticated

# auto_error=False: a missing header is our NotAuthenticated (401 with our body), not
# FastAPI's 403.
bearer = HTTPBearer(auto_error=False, description="POST /api/v1/auth/token 取得 / from")


def current_actor(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None:
        raise NotAuthenticated(
            "需要登录：Authorization: Bearer <token> / authentication required: send "
            "Authorization: Bearer <token> from POST /api/v1/auth/token"
        )
    with UnitOfWork() as uow:
        return service.actor_for_token(uow=uow, token=credentials.credentials)


CurrentActor = Annotated[Actor, Depends(current_actor)]
