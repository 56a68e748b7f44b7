"""Applications, their vehicle lines and Annex 2 materials; licenses and their annex."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from carexport.applications.enums import ApplicationStatus, LicenseStatus
from carexport.db import Base


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_key: Mapped[str] = mapped_column(String, unique=True)
    application_no: Mapped[str] = mapped_column(String)
    submitted_on: Mapped[date]
    enterprise_uscc: Mapped[str] = mapped_column(String)
    enterprise_key: Mapped[str] = mapped_column(String, index=True)
    issuing_agency: Mapped[str | None] = mapped_column(String)
    destination_country: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String, default=ApplicationStatus.SUBMITTED.value)

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
