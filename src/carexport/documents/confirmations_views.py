"""The confirmations API (issuers): issue, list, read, revoke.

    POST /api/v1/confirmations           {"vin" | "vins", "destination_country", "outlet_ids"?}
    GET  /api/v1/confirmations           the issuer's own, newest first
    GET  /api/v1/confirmations/{number}  one of the issuer's own
    GET  /api/v1/confirmations/{number}/document.pdf  its PDF (the signed JSON attached)
    POST /api/v1/confirmations/{number}/revoke  {"reason"}

Each answer carries the signed document exactly as stored (what the checker verifies).
A refusal is 422 with one problem per reason (`type` is its stable code); another
manufacturer's number is 404; a role other than issuer 403.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from carexport.accounts.actor import Actor
from carexport.accounts.auth import CurrentActor
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.documents import confirmations as service

router = APIRouter(prefix="/api/v1/confirmations", tags=["confirmations 售后服务确认书"])

Number = Annotated[str, Path(max_length=40, description="e.g. CF-2026-000123")]


class IssueBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    vin: str | None = Field(default=None, max_length=40)
    vins: list[Annotated[str, Field(max_length=40)]] | None = Field(default=None, max_length=100)
    destination_country: str = Field(max_length=8)
    # None: every outlet of the manufacturer in the destination country.
    outlet_ids: list[int] | None = Field(default=None, max_length=200)


class RevokeBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reason: str = Field(max_length=10_000)


class ConfirmationRead(BaseModel):
    number: str
    revoked: bool
    issued_at: str
    revoked_at: str | None
    revocation_reason: str | None
    document: dict[str, Any]


def _read(view: service.IssuedView) -> dict[str, Any]:
    return ConfirmationRead(
        number=view.number,
        revoked=view.revoked,
        issued_at=view.issued_at.isoformat(),
        revoked_at=None if view.revoked_at is None else view.revoked_at.isoformat(),
        revocation_reason=view.revocation_reason,
        document=view.document,
    ).model_dump(mode="json")


_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "not an issuer of a manufacturer"},
    404: {"description": "no such confirmation of this manufacturer"},
    409: {"description": "already revoked, or no signing key valid today"},
    422: {"description": "refused: one problem per reason (type = its code)"},
}


@router.post(
    "",
    status_code=201,
    responses=_RESPONSES,
    summary="出具售后服务确认书 / Issue a confirmation",
)
def issue(body: IssueBody, actor: CurrentActor) -> JSONResponse:
    vins = list(body.vins or []) + ([body.vin] if body.vin else [])
    with UnitOfWork() as uow:
        view = service.issue(
            uow=uow,
            actor=actor,
            vins=vins,
            destination_country=body.destination_country,
            outlet_ids=body.outlet_ids,
        )
    return JSONResponse(_read(view), status_code=201)


@router.get("", responses=_RESPONSES, summary="本企业的确认书 / The issuer's confirmations")
def list_confirmations(
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    with UnitOfWork() as uow:
        views = service.list_issued(uow=uow, actor=actor, limit=limit, offset=offset)
    return {"items": [_read(v) for v in views]}


@router.get("/{number}", responses=_RESPONSES, summary="一份确认书 / One confirmation")
def get_confirmation(number: Number, actor: CurrentActor) -> dict[str, Any]:
    with UnitOfWork() as uow:
        return _read(service.get(uow=uow, actor=actor, number=number))


def pdf_response(actor: Actor, number: str) -> Response:
    """The confirmation's PDF for its issuer (others: the service's 403/404), named by
    its number; the page route /confirmations/{number}.pdf answers the same."""
    with UnitOfWork() as uow:
        view = service.get(uow=uow, actor=actor, number=number)
    # Imported here: fpdf2 and the font code load only when a PDF is asked for.
    from carexport.documents.pdf import confirmation_pdf

    body = confirmation_pdf(
        view.document,
        issuer_name=actor.org_name or str(view.document.get("issuer_uscc") or ""),
        base_url=get_settings().public_base_url,
        revoked=view.revoked,
    )
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{view.number}.pdf"'},
    )


@router.get(
    "/{number}/document.pdf",
    responses=_RESPONSES,
    response_class=Response,
    summary="确认书PDF / The confirmation as PDF",
    description="A4, the manufacturer's seal, a QR code to /verify/{number}, the signed JSON "
    "attached (what `carexport verify FILE.pdf` checks).",
)
def confirmation_pdf_api(number: Number, actor: CurrentActor) -> Response:
    return pdf_response(actor, number)


@router.post("/{number}/revoke", responses=_RESPONSES, summary="撤销确认书 / Revoke a confirmation")
def revoke(number: Number, body: RevokeBody, actor: CurrentActor) -> dict[str, Any]:
    with UnitOfWork() as uow:
        return _read(service.revoke(uow=uow, actor=actor, number=number, reason=body.reason))
