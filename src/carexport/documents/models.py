"""Tables of signed documents. Signing keys first; the license documents follow below."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
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
