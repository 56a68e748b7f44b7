"""Public verification: GET /verify/{number} (a page) and GET /api/v1/verify/{number}
(JSON), both without an account (WORKFLOW.md: `verify/*` needs no token).

The QR code on every PDF opens the page; an integrator (a customs system) calls the
JSON. Both answer from documents.verify, which says only what the document certifies.
The confirmations' store belongs to the registry (feeds), above this feature: the app
factory hands its reader in as `app.state.find_confirmation`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from carexport import clock
from carexport.db import UnitOfWork
from carexport.documents.verify import FindConfirmation, State, Verification, verify_number
from carexport.pages.templating import render

api_router = APIRouter(prefix="/api/v1", tags=["documents 签章文件"])
page_router = APIRouter(include_in_schema=False)


def _verify(request: Request, number: str) -> Verification:
    finder: FindConfirmation | None = getattr(request.app.state, "find_confirmation", None)
    with UnitOfWork() as uow:
        return verify_number(uow=uow, number=number, today=clock.today(), find_confirmation=finder)


@api_router.get(
    "/verify/{number}",
    summary="核验许可证或确认书 / Verify a license or confirmation by its number",
    description="Whether the document is genuine (its SM2 signature under the published "
    "key it names, valid on the day it was signed) and current, superseded, revoked, "
    "returned or expired; who issued it and what it certifies. No account needed. "
    "An unknown number answers 404 with the same body shape.",
    responses={404: {"description": "no document with this number"}},
)
def verify_api(request: Request, number: str) -> Response:
    from fastapi.responses import JSONResponse

    result = _verify(request, number)
    status = 404 if result.state is State.NOT_FOUND else 200
    return JSONResponse(result.to_json(), status_code=status)


@page_router.get("/verify/{number}")
def verify_page(request: Request, number: str) -> Response:
    result = _verify(request, number)
    context: dict[str, Any] = {"v": result, "summary": result.document}
    status = 404 if result.state is State.NOT_FOUND else 200
    return render(request, "documents/verify.html", context, status_code=status)
