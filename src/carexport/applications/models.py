"""Applications, their vehicle lines and Annex 2 materials; licenses and their annex.

The workflow's state lives here too: each application's status, `version` (optimistic
concurrency), stored verdict and deadline, every saved content (`ApplicationContent`),
every status change with its reason (`StatusChange`), and the per-region, per-year
license counters (`LicenseCounter`) that keep license numbers gap-free.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from carexport.applications.enums import ApplicationStatus, LicenseStatus
from carexport.db import Base, UtcDateTime


class Application(Base):
    __tablename__ = "applications"
    # An agency's queue: its applications in one status by due date (review pages), in
    # the queue's order and with the columns of its rows (service.SUMMARY_COLUMNS), so
    # that PostgreSQL reads a queue of 10,000 from the index alone, without a sort
    # (migration 0011, benchmarks/bench_workflow.py). Partial as `_visible_clause`.
    __table_args__ = (
        Index(
            "ix_applications_queue",
            "agency_key",
            "status",
            "due_on",
            "id",
            postgresql_include=[
                "application_no",
                "version",
                "decision",
                "issuing_agency",
                "enterprise_uscc",
                "submitted_on",
            ],
            postgresql_where=text("content IS NOT NULL AND first_submitted_at IS NOT NULL"),
            sqlite_where=text("content IS NOT NULL AND first_submitted_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_key: Mapped[str] = mapped_column(String, unique=True)
    application_no: Mapped[str] = mapped_column(String)
    # The last submission's date; a draft's is the day its verdict was last computed.
    submitted_on: Mapped[date | None]
    enterprise_uscc: Mapped[str] = mapped_column(String)
    enterprise_key: Mapped[str] = mapped_column(String, index=True)
    issuing_agency: Mapped[str | None] = mapped_column(String)
    destination_country: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String, default=ApplicationStatus.DRAFT.value)

    # --- the workflow (null for applications loaded from files before it existed) ---
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    # normalize_text(issuing_agency): the agency whose reviewers see it.
    agency_key: Mapped[str | None] = mapped_column(String, index=True)
    # Raised by every change; every action names the version it was based on.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # APPLICATION.json
    license_year: Mapped[int | None]  # next year's license (第十三条), or null
    verdict: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    decision: Mapped[str | None] = mapped_column(String)  # the verdict's pass/review/fail
    due_on: Mapped[date | None] = mapped_column(index=True)
    # Set at the first submission and never cleared: from then on the agency sees it.
    first_submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    recommended_by: Mapped[int | None]  # the user who sent it to countersign
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    vehicles: Mapped[list[VehicleLine]] = relationship(
        back_populates="application",
        order_by="VehicleLine.position",
        cascade="all, delete-orphan",
    )


class VehicleLine(Base):
    __tablename__ = "vehicle_lines"
    __table_args__ = (UniqueConstraint("application_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    vin: Mapped[str] = mapped_column(String)
    vin_key: Mapped[str] = mapped_column(String, index=True)
    brand: Mapped[str | None] = mapped_column(String)
    model: Mapped[str | None] = mapped_column(String)
    registration_date: Mapped[date | None]
    transfer_for_export_date: Mapped[date | None]
    confirmation_id: Mapped[str | None] = mapped_column(String)
    hs_code: Mapped[str | None] = mapped_column(String)
    modified: Mapped[bool | None]
    chassis_brand: Mapped[str | None] = mapped_column(String)
    modified_brand: Mapped[str | None] = mapped_column(String)

    application: Mapped[Application] = relationship(back_populates="vehicles")
    materials: Mapped[list[Material]] = relationship(
        back_populates="vehicle_line", cascade="all, delete-orphan"
    )


class Material(Base):
    """One Annex 2 item supplied for a modified vehicle (the file lives elsewhere)."""

    __tablename__ = "materials"
    __table_args__ = (UniqueConstraint("vehicle_line_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_line_id: Mapped[int] = mapped_column(
        ForeignKey("vehicle_lines.id", ondelete="CASCADE"), index=True
    )
    item: Mapped[str] = mapped_column(String)
    filename: Mapped[str | None] = mapped_column(String)
    sha256: Mapped[str | None] = mapped_column(String)

    vehicle_line: Mapped[VehicleLine] = relationship(back_populates="materials")


class License(Base):
    """An export license (出口许可证); "open" licenses block their VINs elsewhere."""

    __tablename__ = "licenses"
    # Numbers issued here are unique per region and year (the counter's backstop).
    __table_args__ = (UniqueConstraint("region", "year", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    license_key: Mapped[str] = mapped_column(String, unique=True)
    license_no: Mapped[str | None] = mapped_column(String)
    agency: Mapped[str | None] = mapped_column(String)
    enterprise_uscc: Mapped[str | None] = mapped_column(String)
    enterprise_key: Mapped[str | None] = mapped_column(String, index=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL"), index=True
    )
    issued_on: Mapped[date | None]
    valid_to: Mapped[date | None]
    status: Mapped[str] = mapped_column(String, default=LicenseStatus.OPEN.value, index=True)
    # --- licenses issued here (null for licenses from the feed) ---
    region: Mapped[str | None] = mapped_column(String(2))
    year: Mapped[int | None]
    sequence: Mapped[int | None]
    valid_from: Mapped[date | None]
    destination_country: Mapped[str | None] = mapped_column(String)


class LicenseVehicle(Base):
    """A line of the license annex (附表): the vehicle and the dates it was filed with."""

    __tablename__ = "license_vehicles"

    license_key: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    vin: Mapped[str] = mapped_column(String)
    vin_key: Mapped[str] = mapped_column(String, index=True)
    brand: Mapped[str | None] = mapped_column(String)
    model: Mapped[str | None] = mapped_column(String)
    registration_date: Mapped[date | None]
    transfer_for_export_date: Mapped[date | None]


class ApplicationContent(Base):
    """Every content an application was saved with, numbered from 1."""

    __tablename__ = "application_contents"
    __table_args__ = (UniqueConstraint("application_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    saved_by: Mapped[int | None]  # user id


class StatusChange(Base):
    """One action on an application: who, when, from and to which status, and why."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String)
    from_status: Mapped[str | None] = mapped_column(String)
    to_status: Mapped[str] = mapped_column(String)
    reason: Mapped[str | None] = mapped_column(String)
    user_id: Mapped[int | None]
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    version: Mapped[int]  # the application's version after the change
    # A refused `pass` or an approved `review`: the agency departed from the verdict
    # (counted for the monitor).
    departure: Mapped[bool] = mapped_column(default=False, server_default=false())


class LicenseCounter(Base):
    """The last sequence number used per region and year: approvals take it under a row
    lock, so that numbers are unique and gap-free (a rolled-back approval gives it back)."""

    __tablename__ = "license_counters"

    region: Mapped[str] = mapped_column(String(2), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int]


class Note(Base):
    """A reviewer's note on an application: internal (agency staff and the monitor) or
    visible to the exporter. Never edited; its text's SM3 is in the audit chain."""

    __tablename__ = "application_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    visible_to_exporter: Mapped[bool]
    text: Mapped[str] = mapped_column(String)
    user_id: Mapped[int]
    author: Mapped[str] = mapped_column(String)  # the username when written
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApplicationMaterial(Base):
    """An Annex 2 file attached to a modified vehicle of an application (applications.
    materials). Keyed by the application, the VIN and the Annex 2 item, not by a
    vehicle_lines row: those are rebuilt from the content on every save. The file itself
    lives outside any served directory, named by its SHA-256 (Settings.material_dir)."""

    __tablename__ = "application_materials"
    __table_args__ = (UniqueConstraint("application_id", "vin_key", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    vin: Mapped[str] = mapped_column(String)  # as the application writes it
    vin_key: Mapped[str] = mapped_column(String)  # normalised (NFKC, upper case)
    item: Mapped[str] = mapped_column(String)  # one of rules.modified.ANNEX2_ITEMS
    filename: Mapped[str] = mapped_column(String)  # as uploaded, cleaned
    content_type: Mapped[str] = mapped_column(String)  # from the file's magic bytes
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int]  # user id
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
