"""The audit log's tables: the entries, and the head that serialises appends."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from carexport.db import Base, UtcDateTime


class AuditEntry(Base):
    """One entry of the hash chain; never updated or deleted (triggers refuse it)."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_object", "object_kind", "object_id"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String)  # a user id, or "system"
    org: Mapped[int | None] = mapped_column(Integer)  # the actor's organisation id
    verb: Mapped[str] = mapped_column(String)
    object_kind: Mapped[str] = mapped_column(String)
    object_id: Mapped[str] = mapped_column(String)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """One row (id 1): the newest entry's seq and hash.

    Every append updates it first, so the row lock (PostgreSQL) or the write lock
    (SQLite) makes concurrent appends take turns and none can link to a stale end of the
    chain; `verify` also compares it with the newest entry, so deleting the newest
    entries does not go unseen.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str | None] = mapped_column(String(64))
