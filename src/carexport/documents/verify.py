"""Is this document genuine and current? Online by its number, offline from its file.

Online (`verify_number`, for GET /verify/{number} and /api/v1/verify/{number}): the
stored document is checked exactly as a file would be — signature under the published
key it names, that key's status on the day it was signed (keyring.verify_with_keys) —
and then the store adds what a file cannot know: a newer version superseded it, the
license was returned or cancelled, the confirmation was revoked, the validity ended.

The answer is the minimum a customs officer or a buyer needs: what the document is,
who issued it, when, for which destination and which vehicles. Nothing else of the
exporter (no application, no contact, no credit record).

Offline (`verify_file`, for `carexport verify`): the signed JSON — the file itself, or
the one attached to a PDF — against a list of published keys.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from carexport.db import UnitOfWork
from carexport.documents import keys
from carexport.documents.keyring import PublishedKey, VerifyResult, verify_with_keys
from carexport.documents.licenses import DOCUMENT_TYPE, versions_of
from carexport.errors import CarexportError

__all__ = [
    "DocumentKind",
    "FindConfirmation",
    "State",
    "UnusableFile",
    "Verification",
    "extract_document",
    "verify_document_offline",
    "verify_number",
]

MAX_NUMBER_CHARS = 64
# License statuses under which the license no longer authorises an export.
_ENDED = {"returned": "returned", "cancelled": "cancelled", "used": "used", "expired": "expired"}


class DocumentKind(StrEnum):
    LICENSE = "license"
    CONFIRMATION = "confirmation"


class State(StrEnum):
    """The document's standing, one word for the API; `genuine` says the signature."""

    CURRENT = "current"  # genuine, in force
    SUPERSEDED = "superseded"  # genuine, a later version replaces it
    EXPIRED = "expired"  # genuine, its validity ended
    REVOKED = "revoked"  # genuine, withdrawn by its issuer (confirmation revoked)
    RETURNED = "returned"  # license returned unused (退证)
    CANCELLED = "cancelled"
    USED = "used"
    UNSIGNED = "unsigned"  # issued while its agency had no signing key
    INVALID = "invalid"  # the signature or its key does not hold
    NOT_FOUND = "not_found"


_STATE_TEXT = {
    State.CURRENT: "真实有效 / genuine and in force",
    State.SUPERSEDED: "真实，但已被新版本取代 / genuine, superseded by a later version",
    State.EXPIRED: "真实，但已过有效期 / genuine, but expired",
    State.REVOKED: "真实，但已被出具单位撤销 / genuine, but revoked by its issuer",
    State.RETURNED: "真实，但已退证 / genuine, but returned unused",
    State.CANCELLED: "真实，但已注销 / genuine, but cancelled",
    State.USED: "真实，已使用 / genuine, already used",
    State.UNSIGNED: "签发时发证机构没有签名密钥，未签名 / issued without a signature (the "
    "agency had no signing key)",
    State.INVALID: "签名无效，文件可能被伪造或改动 / NOT genuine: the signature does not hold",
    State.NOT_FOUND: "查无此文件 / no document with this number",
}

# Reads a stored confirmation by its number: (the signed document, whether it is revoked)
# or None. The store of confirmations is the registry's (feeds), above this feature, so
# the web layer hands its reader in.
FindConfirmation = Callable[[UnitOfWork, str], tuple[Mapping[str, Any], bool] | None]


class UnusableFile(CarexportError):
    """The file is not a signed document (nor a PDF carrying one)."""


@dataclass(frozen=True)
class Verification:
    number: str
    state: State
    genuine: bool
    reason: str
    kind: DocumentKind | None = None
    issuer: dict[str, Any] | None = None
    document: dict[str, Any] = field(default_factory=dict)
    versions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def message(self) -> str:
        return _STATE_TEXT[self.state]

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "kind": None if self.kind is None else self.kind.value,
            "genuine": self.genuine,
            "state": self.state.value,
            "current": self.state is State.CURRENT,
            "message": self.message,
            "reason": self.reason,
            "issuer": self.issuer,
            "document": self.document,
            "versions": self.versions,
        }


def _issuer(key: PublishedKey | None) -> dict[str, Any] | None:
    if key is None:
        return None
    return {
        "name": key.org_name,
        "kind": key.org_kind,
        "uscc": key.uscc,
        "region": key.region,
        "key_id": key.key_id,
        "key_status": "revoked" if key.revoked_from is not None else "published",
    }


def license_summary(document: Mapping[str, Any]) -> dict[str, Any]:
    """What a license certifies: who may export which vehicles where, until when."""
    annex = document.get("annex")
    lines = [x for x in annex if isinstance(x, Mapping)] if isinstance(annex, list) else []
    return {
        "license_no": document.get("license_no"),
        "version": document.get("version"),
        "issued_on": document.get("issued_on"),
        "valid_from": document.get("valid_from"),
        "valid_to": document.get("valid_to"),
        "signed_on": document.get("signed_on"),
        "agency": document.get("agency"),
        "holder": {
            "name": document.get("enterprise_name"),
            "uscc": document.get("enterprise_uscc"),
        },
        "destination_country": document.get("destination_country"),
        "vehicles": [
            {"vin": line.get("vin"), "brand": line.get("brand"), "model": line.get("model")}
            for line in lines
        ],
    }


def confirmation_summary(document: Mapping[str, Any]) -> dict[str, Any]:
    """What a confirmation certifies: after-sales service for these vehicles there."""
    vins = document.get("vins")
    outlets = document.get("outlets")
    return {
        "id": document.get("id"),
        "issued_on": document.get("issued_on"),
        "signed_on": document.get("signed_on"),
        "issuer_uscc": document.get("issuer_uscc"),
        "vins": [str(v) for v in vins] if isinstance(vins, list) else [document.get("vin")],
        "brand": document.get("brand"),
        "model": document.get("model"),
        "destination_country": document.get("destination_country"),
        "outlets": [
            {"name": o.get("name"), "city": o.get("city")}
            for o in (outlets if isinstance(outlets, list) else [])
            if isinstance(o, Mapping)
        ],
    }


def _checked_number(number: str) -> str | None:
    number = number.strip()
    if not number or len(number) > MAX_NUMBER_CHARS or not number.isprintable():
        return None
    return number


def verify_number(
    *, uow: UnitOfWork, number: str, today: date, find_confirmation: FindConfirmation | None
) -> Verification:
    """The standing of the license or confirmation numbered `number` in this store."""
    session = uow.session
    checked = _checked_number(number)
    if checked is None:
        return Verification(number[:MAX_NUMBER_CHARS], State.NOT_FOUND, False, "")
    rows = versions_of(session=session, license_no=checked)
    if rows:
        return _verify_license(session, checked, rows, today)
    if find_confirmation is not None:
        found = find_confirmation(uow, checked)
        if found is not None:
            return _verify_confirmation(session, checked, *found)
    return Verification(checked, State.NOT_FOUND, False, "")


def _verify_license(session: Session, number: str, rows: list[Any], today: date) -> Verification:
    latest = rows[-1]
    versions = [
        {
            "version": row.version,
            "signed_on": None if row.signed_on is None else row.signed_on.isoformat(),
            "valid_to": None if row.valid_to is None else row.valid_to.isoformat(),
            "key_id": row.key_id,
            "superseded": row.superseded_at is not None,
        }
        for row in rows
    ]
    if latest.document is None:
        return Verification(
            number,
            State.UNSIGNED,
            False,
            latest.unsigned_reason or "",
            DocumentKind.LICENSE,
            versions=versions,
        )
    result = keys.verify(session_or_keys=session, document=latest.document)
    summary = license_summary(latest.document)
    if not result.valid or latest.document.get("document_type") != DOCUMENT_TYPE:
        return Verification(
            number, State.INVALID, False, result.reason, DocumentKind.LICENSE,
            _issuer(result.key), summary, versions,
        )  # fmt: skip
    state = State.CURRENT
    ended = _ENDED.get(latest.license_status)
    if ended is not None:
        state = State(ended)
    elif latest.valid_to is not None and today > latest.valid_to:
        state = State.EXPIRED
    return Verification(
        number, state, True, result.reason, DocumentKind.LICENSE,
        _issuer(result.key), summary, versions,
    )  # fmt: skip


def _verify_confirmation(
    session: Session, number: str, document: Mapping[str, Any], revoked: bool
) -> Verification:
    result = keys.verify(session_or_keys=session, document=document)
    summary = confirmation_summary(document)
    if not result.valid:
        return Verification(
            number, State.INVALID, False, result.reason, DocumentKind.CONFIRMATION,
            _issuer(result.key), summary,
        )  # fmt: skip
    state = State.REVOKED if revoked or document.get("revoked") is True else State.CURRENT
    return Verification(
        number, state, True, result.reason, DocumentKind.CONFIRMATION,
        _issuer(result.key), summary,
    )  # fmt: skip


# --- offline: a file and a keys list ---


def extract_document(data: bytes, *, max_depth: int, max_echo_chars: int) -> dict[str, Any]:
    """The signed JSON object in `data`: the file itself, or the one JSON file attached
    to a PDF. UnusableFile when there is none (or more than one to choose from)."""
    from carexport.jsondoc import parse

    payload = data
    if data.lstrip()[:5] == b"%PDF-":
        payload = _pdf_attachment(data)
    try:
        document = parse(payload, source="document", max_depth=max_depth,
                         max_echo_chars=max_echo_chars)  # fmt: skip
    except CarexportError as exc:
        raise UnusableFile(f"不是有效的JSON / not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise UnusableFile("不是JSON对象 / the document is not a JSON object")
    return document


def _pdf_attachment(data: bytes) -> bytes:
    # Imported here: pypdf is needed only for PDFs.
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # pypdf logs what it repairs in a damaged file; the one line of UnusableFile says it.
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        attachments = reader.attachments
        found = [
            content
            for name, contents in attachments.items()
            if name.lower().endswith(".json")
            for content in contents
        ]
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise UnusableFile(f"无法读取PDF / the PDF cannot be read: {type(exc).__name__}") from None
    finally:
        log.setLevel(level)
    if not found:
        raise UnusableFile("PDF中没有附带签名JSON / the PDF carries no signed JSON attachment")
    if len(found) > 1:
        # Two attachments would let the face point at one and a checker read the other.
        raise UnusableFile("PDF中附带多个JSON / the PDF carries more than one JSON attachment")
    return found[0]


def verify_document_offline(
    document: Mapping[str, Any], keys_list: Iterable[PublishedKey]
) -> VerifyResult:
    """keyring's rule, for a file: the offline check knows no supersession or expiry
    beyond what the document itself says; the online one does."""
    return verify_with_keys(keys=list(keys_list), document=document)
