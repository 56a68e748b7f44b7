"""Public routes of signed documents: the registry of signing keys.

GET /api/v1/keys and GET /api/v1/keys/{key_id}.pem answer without an account: a
verifier (a customs officer, a foreign buyer) needs the public keys and nothing else.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from carexport.db import UnitOfWork
from carexport.documents import keys
from carexport.errors import NotFound
from carexport.seals import public_key_from_hex

router = APIRouter(prefix="/api/v1", tags=["documents 签章文件"])


@router.get(
    "/keys",
    summary="公布的签名公钥 / Published signing keys",
    description="Every SM2 key a manufacturer or agency ever signed with, with its "
    "validity and revocation: old keys stay listed so old documents verify. "
    "The same entries as `carexport keys export` writes for offline verification.",
)
def list_keys() -> dict[str, Any]:
    with UnitOfWork() as uow:
        published = keys.published_keys(session=uow.session)
    return keys.keys_file(published)


@router.get(
    "/keys/{key_id}.pem",
    response_class=PlainTextResponse,
    summary="签名公钥PEM / A signing key as SubjectPublicKeyInfo PEM",
    description="For `openssl pkeyutl -verify -pubin -inkey KEY.pem -rawin -digest sm3 "
    "-pkeyopt distid:1234567812345678`.",
    responses={404: {"description": "no such key"}},
)
def key_pem(key_id: str) -> PlainTextResponse:
    with UnitOfWork() as uow:
        found = keys.public_key(session=uow.session, key_id=key_id)
    if found is None:
        raise NotFound(f"没有该密钥 / no key {key_id[:80]}")
    pem = public_key_from_hex(found.public_key).pem()
    return PlainTextResponse(
        pem,
        media_type="application/x-pem-file",
        headers={"Content-Disposition": f'inline; filename="{found.key_id}.pem"'},
    )
