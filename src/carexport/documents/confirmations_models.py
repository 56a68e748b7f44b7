"""Tables of the confirmations this store issues (售后服务确认书).

The signed document itself lives in the registry's `confirmations` table (feeds owns it:
a confirmation issued here and one loaded from FACTS are read back by the checker the
same way). What only an issued one has — who issued it, its numbering, its revocation
and why — is kept here (docs/decisions/0020-issued-confirmations.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from carexport.db import Base, UtcDateTime


class ConfirmationCounter(Base):
    """The last number issued per year (CF-<year>-<number>): issuing takes the row under
    a lock, so numbers are unique and gap-free (a rolled-back issue gives it back)."""

    __tablename__ = "confirmation_counters"

    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int]


class IssuedConfirmation(Base):
    """A confirmation issued by a manufacturer's user in this store."""

    __tablename__ = "issued_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    confirmation_id: Mapped[str] = mapped_column(String, unique=True)  # CF-2026-000123
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    issued_by: Mapped[int]  # user id
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[int | None]
    revocation_reason: Mapped[str | None] = mapped_column(String)
