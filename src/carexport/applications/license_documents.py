"""A license's signed document, as PDF or JSON, for those who may see the license (its
exporter, its agency, the monitor; anyone else 404, as the service decides).

Pages: GET /licenses/{no}.pdf and /licenses/{no}.json (session). API:
GET /api/v1/licenses/{no}/document.pdf and /document.json (bearer token). `?version=N`
gives an earlier version (an extension signs a new one; the old one stays verifiable).
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from carexport.accounts.actor import Actor
from carexport.accounts.auth import CurrentActor
from carexport.accounts.page_auth import PageActor
from carexport.applications import service
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.documents import licenses as signed_licenses
from carexport.errors import NotFound

page_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["licenses 许可证"])

_MAX_NO = 64
Version = Annotated[int | None, Query(ge=1, le=10_000)]


def _document(actor: Actor, license_no: str, version: int | None, kind: str) -> Response:
    if not license_no or len(license_no) > _MAX_NO or not license_no.isprintable():
        raise NotFound("没有该许可证 / no such license")
    with UnitOfWork() as uow:
        lic = service.get_license(uow=uow, actor=actor, license_no=license_no).license
        number = lic.license_no or license_no
        row = signed_licenses.signed_version(
            session=uow.session, license_no=number, version=version
        )
        name = f"{number}-v{row.version}"
        if kind == "pdf":
            body = signed_licenses.pdf_of(row, base_url=get_settings().public_base_url)
            media = "application/pdf"
        else:
            assert row.document is not None
            body = (json.dumps(row.document, ensure_ascii=False, indent=2) + "\n").encode()
            media = "application/json"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'},
    )


@page_router.get("/licenses/{license_no}.pdf")
def license_pdf_page(actor: PageActor, license_no: str, version: Version = None) -> Response:
    return _document(actor, license_no, version, "pdf")


@page_router.get("/licenses/{license_no}.json")
def license_json_page(actor: PageActor, license_no: str, version: Version = None) -> Response:
    return _document(actor, license_no, version, "json")


@api_router.get(
    "/licenses/{license_no}/document.pdf",
    summary="许可证PDF / The license's signed document as PDF",
    description="A4, the agency's seal, a QR code to /verify/{license_no}, the signed JSON "
    "attached. 409 when the license was issued unsigned (its agency had no key).",
    response_class=Response,
)
def license_pdf_api(actor: CurrentActor, license_no: str, version: Version = None) -> Response:
    return _document(actor, license_no, version, "pdf")


@api_router.get(
    "/licenses/{license_no}/document.json",
    summary="许可证签名JSON / The license's signed JSON document",
    description="The JSON the agency's key signed (SM2-SM3 over RFC 8785, `key_id`, "
    "`signed_on`, `signature`); verify with `carexport verify FILE.json`.",
)
def license_json_api(actor: CurrentActor, license_no: str, version: Version = None) -> Response:
    return _document(actor, license_no, version, "json")
