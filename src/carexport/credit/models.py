"""Credit events (附件1 items) recorded against enterprises."""

from __future__ import annotations

from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from carexport.db import Base


class CreditEvent(Base):
    __tablename__ = "credit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # enterprise, item, date and note: the same event reported twice is one event; its
    # rectification status is what changes over time, so it is not part of the key.
    natural_key: Mapped[str] = mapped_column(String, unique=True)
    enterprise_key: Mapped[str] = mapped_column(String, index=True)
    enterprise_uscc: Mapped[str] = mapped_column(String)
    item: Mapped[int]
    date: Mapped[date]
    note: Mapped[str | None] = mapped_column(String)
    rectification: Mapped[str | None] = mapped_column(String)
