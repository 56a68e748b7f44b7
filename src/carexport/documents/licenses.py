"""Licenses as signed documents: built from the workflow's license, sealed by the
issuing agency's key in the workflow's own transaction, kept version by version.

The workflow (applications.service) calls `sign_license` when it issues a license and
again when it extends one: each call stores a new version (1, 2, …) signed by the
agency's current key, and marks the one before as superseded. The old version still
verifies (its key was valid on the day it was signed); the verification says it is
superseded. Nothing here commits: the approval or extension does, with its audit entry.

An agency with no signing key does not block an approval (WORKFLOW.md's contract knows
nothing of keys, and an acceptance suite that approves without making keys must pass):
the license is issued, a row records that it is unsigned and why, and its PDF and
verification say so (docs/decisions/0021-document-pdfs.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from carexport.documents import keys
from carexport.documents.keyring import KEY_ID
from carexport.documents.models import SignedLicense
from carexport.errors import Conflict, NotFound

__all__ = [
    "DOCUMENT_TYPE",
    "AnnexLine",
    "LicenseFacts",
    "SignedLicense",
    "UnsignedLicense",
    "current_version",
    "license_document",
    "pdf_of",
    "record_status",
    "sign_license",
    "signed_version",
    "versions_of",
]

DOCUMENT_TYPE = "export_license"


@dataclass(frozen=True)
class AnnexLine:
    vin: str
    brand: str | None
    model: str | None
    registration_date: date | None
    transfer_for_export_date: date | None


@dataclass(frozen=True)
class LicenseFacts:
    """What a license certifies, as the workflow holds it."""

    license_no: str
    status: str
    issued_on: date
    valid_from: date
    valid_to: date
    agency: str
    agency_region: str | None
    enterprise_uscc: str
    enterprise_name: str | None
    destination_country: str
    annex: Sequence[AnnexLine]


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def license_document(facts: LicenseFacts, *, version: int) -> dict[str, Any]:
    """The license as the JSON its agency signs (before `key_id`, `signed_on`,
    `signature`). `document_type` keeps a signed license from passing for another kind
    of signed document that happens to share field names."""
    return {
        "document_type": DOCUMENT_TYPE,
        "license_no": facts.license_no,
        "version": version,
        "status": facts.status,
        "issued_on": facts.issued_on.isoformat(),
        "valid_from": facts.valid_from.isoformat(),
        "valid_to": facts.valid_to.isoformat(),
        "agency": facts.agency,
        "agency_region": facts.agency_region,
        "enterprise_uscc": facts.enterprise_uscc,
        "enterprise_name": facts.enterprise_name,
        "destination_country": facts.destination_country,
        "annex": [
            {
                "vin": line.vin,
                "brand": line.brand,
                "model": line.model,
                "registration_date": _iso(line.registration_date),
                "transfer_for_export_date": _iso(line.transfer_for_export_date),
            }
            for line in facts.annex
        ],
    }


def versions_of(*, session: Session, license_no: str) -> list[SignedLicense]:
    """Every stored version of a license, oldest first."""
    return list(
        session.scalars(
            select(SignedLicense)
            .where(SignedLicense.license_no == license_no)
            .order_by(SignedLicense.version)
        )
    )


def current_version(*, session: Session, license_no: str) -> SignedLicense | None:
    return session.scalar(
        select(SignedLicense)
        .where(SignedLicense.license_no == license_no)
        .order_by(SignedLicense.version.desc())
        .limit(1)
    )


def sign_license(
    *, session: Session, agency_org_id: int | None, facts: LicenseFacts, on: date, now: datetime
) -> SignedLicense:
    """Store the next signed version of the license; commits nothing.

    Signed by the agency's key valid `on` (keys.sign); with no such key the version is
    stored unsigned with the reason. Any other failure (a key-encryption key that does
    not open the agency's key) raises, and the caller's transaction — the approval —
    rolls back: an agency that has a key signs every license or issues none.
    """
    previous = current_version(session=session, license_no=facts.license_no)
    version = 1 if previous is None else previous.version + 1
    unsigned = license_document(facts, version=version)
    document: dict[str, Any] | None = None
    reason: str | None = None
    if agency_org_id is None:
        reason = "发证机构不在本系统中 / the issuing agency is not an organisation here"
    else:
        try:
            document = keys.sign(session=session, org_id=agency_org_id, document=unsigned, on=on)
        except keys.NoSigningKey as exc:
            reason = str(exc)
    if previous is not None:
        session.execute(
            update(SignedLicense)
            .where(
                SignedLicense.license_no == facts.license_no,
                SignedLicense.superseded_at.is_(None),
            )
            .values(superseded_at=now)
            .execution_options(synchronize_session="fetch")
        )
    row = SignedLicense(
        license_no=facts.license_no,
        version=version,
        document=document,
        key_id=None if document is None else document.get(KEY_ID),
        signed_on=None if document is None else on,
        valid_to=facts.valid_to,
        license_status=facts.status,
        unsigned_reason=reason,
        created_at=now,
        superseded_at=None,
    )
    session.add(row)
    session.flush()
    return row


def record_status(*, session: Session, license_no: str, status: str) -> None:
    """The workflow's report that a license changed status without a new signed version
    (returned, cancelled, used): the verification answers with it. Commits nothing."""
    session.execute(
        update(SignedLicense)
        .where(SignedLicense.license_no == license_no)
        .values(license_status=status)
        .execution_options(synchronize_session="fetch")
    )


class UnsignedLicense(Conflict):
    """The license was issued while its agency had no signing key (HTTP 409)."""


def signed_version(*, session: Session, license_no: str, version: int | None) -> SignedLicense:
    """The signed document of one version (the latest when None) of a license the
    caller may see (the workflow checked that). NotFound for no such version,
    UnsignedLicense when that version was issued unsigned."""
    if version is None:
        row = current_version(session=session, license_no=license_no)
    else:
        row = session.scalar(
            select(SignedLicense).where(
                SignedLicense.license_no == license_no, SignedLicense.version == version
            )
        )
    if row is None:
        raise NotFound(
            f"许可证 {license_no} 没有该版本的签名文件 / no signed document of that version"
        )
    if row.document is None:
        raise UnsignedLicense(
            f"许可证 {license_no} 签发时未签名 / license {license_no} was issued unsigned: "
            f"{row.unsigned_reason or ''}".rstrip(": ")
        )
    return row


def pdf_of(row: SignedLicense, *, base_url: str) -> bytes:
    """The PDF of a stored signed version (documents.pdf)."""
    from carexport.documents.pdf import license_pdf

    assert row.document is not None  # signed_version gives signed rows only
    return license_pdf(row.document, base_url=base_url, superseded=row.superseded_at is not None)
