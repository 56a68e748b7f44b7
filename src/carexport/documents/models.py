"""Tables of signed documents. Signing keys first; the license documents follow below."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from carexport.db import Base, UtcDateTime

# --- signing keys (docs/decisions/0019-signing-keys.md) ---


class SigningKey(Base):
    """One SM2 key pair of a signing organisation (a manufacturer or an agency).

    The private key is kept only as encrypted PKCS#8 PEM (PBES2 under the settings'
    key_encryption_key): a copy of the table signs nothing. A key signs documents dated
    from `valid_from` to `valid_to` (set when the next key replaces it); from
    `revoked_from` on, what it signed is invalid. Rows are never deleted, so every key
    that ever signed stays published and old documents keep verifying.
    """

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    public_hex: Mapped[str] = mapped_column(String(130))  # 04 || x || y
    private_pem: Mapped[str] = mapped_column(Text)  # ENCRYPTED PRIVATE KEY, never clear
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)  # the day before its successor's
    revoked_from: Mapped[date | None] = mapped_column(Date)
    revocation_reason: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


# --- signed licenses (docs/decisions/0021-document-pdfs.md) ---


class SignedLicense(Base):
    """One signed version of a license: version 1 at its issue, one more per extension.

    `document` is the JSON the agency's key signed, stored whole (the signature covers
    every field, so the row's columns are only for lookups). A license issued while its
    agency had no signing key has a row with no document, so that the verification can
    say "issued unsigned" rather than "unknown". Rows are never deleted; a newer version
    sets `superseded_at` on the one before. `license_status` is the license's status as
    the workflow last reported it (issued, extended, returned, cancelled, used …).
    """

    __tablename__ = "signed_licenses"
    __table_args__ = (UniqueConstraint("license_no", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    license_no: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int]
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    key_id: Mapped[str | None] = mapped_column(String(64))
    signed_on: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    license_status: Mapped[str] = mapped_column(String(16))
    unsigned_reason: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
