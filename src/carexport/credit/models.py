"""The credit record's tables: events (附件1 items), interviews (约谈), rectifications
(整改), suspensions (暂停/退出), their evidence files, and the history of every change.

Only credit/service.py writes them. `CreditHistory` holds one row per transition with
a snapshot of the object after it, so that the record as it stood on any past day can be
rebuilt (`service.credit_record(as_of=…)`) without trusting the current rows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from carexport.db import Base, UtcDateTime


class CreditEvent(Base):
    __tablename__ = "credit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The fact key: the same fact never makes two events. A feed's event is its
    # enterprise, item, date and note (its rectification status is what changes over
    # time, so it is not part of the key); a system event is ("fact", enterprise, rule,
    # VIN, application); a reviewer's event is ("reviewer", a fresh UUID).
    natural_key: Mapped[str] = mapped_column(String, unique=True)
    enterprise_key: Mapped[str] = mapped_column(String, index=True)
    enterprise_uscc: Mapped[str] = mapped_column(String)
    item: Mapped[int]
    date: Mapped[date]
    note: Mapped[str | None] = mapped_column(String)
    # none / submitted / accepted, as the checker reads it (FACTS credit_events); for an
    # event under a rectification order the service keeps it in step with the order.
    rectification: Mapped[str | None] = mapped_column(String)
    # --- issue 18: null on rows the feeds wrote before it (read as a feed's) ---------
    description: Mapped[str | None] = mapped_column(String)
    # The feeds write only the feed's columns (service.CREDIT_EVENT_TABLE): a new feed row
    # takes these defaults, and a feed read again never resets what the agency changed.
    source: Mapped[str] = mapped_column(String, server_default="feed")  # enums.EventSource
    status: Mapped[str] = mapped_column(String, server_default="recorded")  # EventStatus
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    agency_org_id: Mapped[int | None] = mapped_column(Integer)
    recorded_by: Mapped[int | None] = mapped_column(Integer)  # user id; null: system/feed
    recorded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Evidence links
    application_id: Mapped[int | None] = mapped_column(Integer, index=True)
    application_no: Mapped[str | None] = mapped_column(String)
    vin: Mapped[str | None] = mapped_column(String)
    rule_id: Mapped[str | None] = mapped_column(String)
    document_no: Mapped[str | None] = mapped_column(String)


class CreditInterview(Base):
    """约谈: scheduled from one or more events."""

    __tablename__ = "credit_interviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_key: Mapped[str] = mapped_column(String, index=True)
    enterprise_uscc: Mapped[str] = mapped_column(String)
    agency_org_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String)
    version: Mapped[int] = mapped_column(Integer)
    scheduled_on: Mapped[date]
    place: Mapped[str | None] = mapped_column(String)
    held_on: Mapped[date | None]
    attendees: Mapped[list[str]] = mapped_column(JSON)
    minutes: Mapped[str | None] = mapped_column(String)
    outcome: Mapped[str | None] = mapped_column(String)
    reason: Mapped[str | None] = mapped_column(String)  # why cancelled
    created_by: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CreditInterviewEvent(Base):
    __tablename__ = "credit_interview_events"

    interview_id: Mapped[int] = mapped_column(
        ForeignKey("credit_interviews.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[int] = mapped_column(
        ForeignKey("credit_events.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CreditRectification(Base):
    """整改: measures ordered with a deadline in working days; the exporter's evidence;
    the agency's acceptance or rejection."""

    __tablename__ = "credit_rectifications"
    __table_args__ = (Index("ix_credit_rectifications_open", "status", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_key: Mapped[str] = mapped_column(String, index=True)
    enterprise_uscc: Mapped[str] = mapped_column(String)
    agency_org_id: Mapped[int] = mapped_column(Integer, index=True)
    interview_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_interviews.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String)
    version: Mapped[int] = mapped_column(Integer)
    measures: Mapped[str] = mapped_column(String)
    ordered_on: Mapped[date]
    working_days: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[date]
    submissions: Mapped[int] = mapped_column(Integer)  # evidence sent so far
    evidence_note: Mapped[str | None] = mapped_column(String)  # the exporter's latest
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_reason: Mapped[str | None] = mapped_column(String)  # acceptance / rejection
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CreditRectificationEvent(Base):
    __tablename__ = "credit_rectification_events"

    rectification_id: Mapped[int] = mapped_column(
        ForeignKey("credit_rectifications.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[int] = mapped_column(
        ForeignKey("credit_events.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CreditSuspension(Base):
    """A decision suspending an enterprise from filing (退出), and its reinstatement."""

    __tablename__ = "credit_suspensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_no: Mapped[str] = mapped_column(String, unique=True)
    enterprise_key: Mapped[str] = mapped_column(String, index=True)
    enterprise_uscc: Mapped[str] = mapped_column(String)
    agency_org_id: Mapped[int] = mapped_column(Integer)
    agency_name: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String)
    suspended_on: Mapped[date]
    grounds: Mapped[list[str]] = mapped_column(JSON)  # what crossed the line, as checked
    decided_by: Mapped[int] = mapped_column(Integer)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reinstated_on: Mapped[date | None]
    reinstatement_reason: Mapped[str | None] = mapped_column(String)
    reinstated_by: Mapped[int | None] = mapped_column(Integer)
    reinstated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CreditFile(Base):
    """An evidence file of an event (the reviewer's) or of a rectification (the
    exporter's), kept like an application's materials: checked by its magic bytes,
    named by its SHA-256 outside any served directory."""

    __tablename__ = "credit_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_events.id", ondelete="CASCADE"), index=True
    )
    rectification_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_rectifications.id", ondelete="CASCADE"), index=True
    )
    submission: Mapped[int | None] = mapped_column(Integer)  # which evidence round
    filename: Mapped[str] = mapped_column(String)
    content_type: Mapped[str] = mapped_column(String)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CreditHistory(Base):
    """One transition of a credit object: the effective-dated history of the record.

    `on` is the office date (Asia/Shanghai) the change took effect; `snapshot` the
    object's fields after it. The record as of a day is, per object, its last row with
    `on <= as_of`.
    """

    __tablename__ = "credit_history"
    __table_args__ = (
        UniqueConstraint("object_kind", "object_id", "version"),
        Index("ix_credit_history_enterprise", "enterprise_key", "on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_key: Mapped[str] = mapped_column(String)
    object_kind: Mapped[str] = mapped_column(String)  # enums.CreditObject
    object_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String)
    from_status: Mapped[str | None] = mapped_column(String)
    to_status: Mapped[str] = mapped_column(String)
    reason: Mapped[str | None] = mapped_column(String)
    user_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    on: Mapped[date]
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
