"""Tables of the registry facts (FACTS.json collections and the feeds behind them).

Every table has a natural key with a unique constraint, so an import is an upsert and
re-importing a file changes nothing. Identifiers are also kept normalised (`*_key`:
NFKC, trimmed, upper-case) and free text that rules match on in its compared form
(`*_text`: NFKC, trimmed, collapsed, case-folded), so lookups are index hits.

Feeds arrive independently and in any order (a confirmation before its issuer, customs
before the license), so tables refer to each other by natural key, not by foreign key;
the parts of one record (a manufacturer's brands, a declaration's VINs) are keyed by
their parent's natural key and position and are replaced whole with their parent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import JSON, Column, Index, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from carexport.db import Base
from carexport.feeds import fields


def declared_columns(declared: Sequence[fields.FeedField], unique: str) -> Iterator[Column[Any]]:
    """A column per declared field (lists live in part tables), each key column before
    its field; the key column named `unique` is the table's natural key, the others are
    indexed for lookups."""
    for field in declared:
        if field.type.is_list:
            continue
        if field.key is not None:
            yield Column(
                field.key,
                String,
                nullable=not field.required,
                unique=field.key == unique or None,
                index=field.key != unique or None,
            )
        yield Column(field.name, field.type.column, nullable=not field.required)


class Registration(Base):
    """MPS vehicle registration record (机动车登记信息), one per VIN.

    Its columns are the registrations feed's fields (feeds/fields.py REGISTRATIONS): a
    new field there is a new column here (and needs its migration).
    """

    __table__ = Table(
        "registrations",
        Base.metadata,
        Column("id", Integer, primary_key=True),
        *declared_columns(fields.REGISTRATIONS, unique="vin_key"),
    )

    # The columns the code names directly; the others are read by field name.
    id: Mapped[int]
    vin_key: Mapped[str]
    vin: Mapped[str]


class ExportTransfer(Base):
    """One transfer registration for export (转让登记待出口) in a vehicle's history."""

    __tablename__ = "export_transfers"

    vin_key: Mapped[str] = mapped_column(String, primary_key=True)
    transferred_on: Mapped[date] = mapped_column(primary_key=True)
    from_owner_uscc: Mapped[str | None] = mapped_column(String)
    to_owner_uscc: Mapped[str | None] = mapped_column(String)


class Inspection(Base):
    """Third-party inspection report (一车一检); several per VIN."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    natural_key: Mapped[str] = mapped_column(String, unique=True)
    vin_key: Mapped[str] = mapped_column(String, index=True)
    vin: Mapped[str] = mapped_column(String)
    report_no: Mapped[str | None] = mapped_column(String)
    body: Mapped[str | None] = mapped_column(String)
    standard: Mapped[str | None] = mapped_column(String)
    inspected_on: Mapped[date]
    result: Mapped[str] = mapped_column(String)


class ExportFiling(Base):
    """Provincial export filing (出口备案) of an enterprise, with its validity."""

    __tablename__ = "export_filings"

    id: Mapped[int] = mapped_column(primary_key=True)
    natural_key: Mapped[str] = mapped_column(String, unique=True)
    enterprise_key: Mapped[str] = mapped_column(String, index=True)
    enterprise_uscc: Mapped[str] = mapped_column(String)
    province: Mapped[str | None] = mapped_column(String)
    valid_from: Mapped[date]
    valid_to: Mapped[date]


class Manufacturer(Base):
    """An issuer of confirmations: its kind, Announcement status and SM2 public key."""

    __tablename__ = "manufacturers"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc_key: Mapped[str] = mapped_column(String, unique=True)
    uscc: Mapped[str] = mapped_column(String)
    name: Mapped[str | None] = mapped_column(String)
    kind: Mapped[str | None] = mapped_column(String)
    in_announcement: Mapped[bool | None]
    # The key that verifies its seals (04 + x + y, hex); see decision 0005.
    public_key: Mapped[str | None] = mapped_column(String)


class ManufacturerBrand(Base):
    __tablename__ = "manufacturer_brands"

    manufacturer_key: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    brand: Mapped[str] = mapped_column(String)
    brand_text: Mapped[str | None] = mapped_column(String, index=True)


class Outlet(Base):
    """An after-sales service outlet of a manufacturer abroad (售后服务网点)."""

    __tablename__ = "outlets"

    id: Mapped[int] = mapped_column(primary_key=True)
    natural_key: Mapped[str] = mapped_column(String, unique=True)
    manufacturer_key: Mapped[str] = mapped_column(String, index=True)
    manufacturer_uscc: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String)
    country: Mapped[str] = mapped_column(String, index=True)
    city: Mapped[str | None] = mapped_column(String)
    address: Mapped[str | None] = mapped_column(String)
    phone: Mapped[str | None] = mapped_column(String)
    # OutletService values in their declared order, ";"-joined (feeds/fields.py SERVICES).
    services: Mapped[str | None] = mapped_column(String)


class Confirmation(Base):
    """A 售后服务确认书. Its seal covers the JSON object exactly as received, so the whole
    document is stored and the row is rebuilt from it; the columns are for lookups."""

    __tablename__ = "confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_key: Mapped[str] = mapped_column(String, unique=True)
    issuer_key: Mapped[str | None] = mapped_column(String, index=True)
    vin_key: Mapped[str | None] = mapped_column(String, index=True)
    issued_on: Mapped[date | None]
    revoked: Mapped[bool | None]
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class AnnouncementProduct(Base):
    """A product in the MIIT Announcement (《道路机动车辆生产企业及产品公告》)."""

    __tablename__ = "announcement_products"
    __table_args__ = (Index("ix_announcement_products_brand_model", "brand_text", "model_text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    natural_key: Mapped[str] = mapped_column(String, unique=True)
    enterprise_key: Mapped[str] = mapped_column(String, index=True)
    enterprise_uscc: Mapped[str] = mapped_column(String)
    brand: Mapped[str | None] = mapped_column(String)
    model: Mapped[str | None] = mapped_column(String)
    brand_text: Mapped[str | None] = mapped_column(String)
    model_text: Mapped[str | None] = mapped_column(String)
    product_type: Mapped[str | None] = mapped_column(String)
    chassis_brand: Mapped[str | None] = mapped_column(String)
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]


class CccCertificate(Base):
    """A CCC certificate (强制性产品认证证书)."""

    __tablename__ = "ccc_certificates"
    __table_args__ = (Index("ix_ccc_certificates_brand_model", "brand_text", "model_text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    natural_key: Mapped[str] = mapped_column(String, unique=True)
    number: Mapped[str | None] = mapped_column(String)
    holder_key: Mapped[str | None] = mapped_column(String, index=True)
    holder_uscc: Mapped[str | None] = mapped_column(String)
    brand: Mapped[str | None] = mapped_column(String)
    model: Mapped[str | None] = mapped_column(String)
    brand_text: Mapped[str | None] = mapped_column(String)
    model_text: Mapped[str | None] = mapped_column(String)
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    status: Mapped[str | None] = mapped_column(String)


class Enterprise(Base):
    """An enterprise (exporter, modifier, …) with the persons behind it."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc_key: Mapped[str] = mapped_column(String, unique=True)
    uscc: Mapped[str] = mapped_column(String)
    name: Mapped[str | None] = mapped_column(String)
    region: Mapped[str | None] = mapped_column(String)
    # The ID number only as its keyed hash (domain.person_id: PID-…), never in clear,
    # beside the masked form people read (1101**********123X).
    legal_representative_id: Mapped[str | None] = mapped_column(String)
    legal_representative_key: Mapped[str | None] = mapped_column(String, index=True)
    legal_representative_masked: Mapped[str | None] = mapped_column(String)


class RelatedPerson(Base):
    """A related person (实际控制人、股东、高管…) of an enterprise, for 另设企业 checks."""

    __tablename__ = "related_persons"

    enterprise_key: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[str] = mapped_column(String)  # the keyed hash, as above
    person_key: Mapped[str | None] = mapped_column(String, index=True)
    person_masked: Mapped[str | None] = mapped_column(String)


class ModifierCapacity(Base):
    """A modifier's annual capacity and what it exported in the last 12 months."""

    __tablename__ = "modifier_capacity"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_key: Mapped[str] = mapped_column(String, unique=True)
    enterprise_uscc: Mapped[str] = mapped_column(String)
    annual_capacity: Mapped[int | None]
    exported_last_12_months: Mapped[int | None]


class CustomsDeclaration(Base):
    """A GACC export declaration (出口报关单) and the license it cites."""

    __tablename__ = "customs_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_key: Mapped[str] = mapped_column(String, unique=True)
    declaration_no: Mapped[str] = mapped_column(String)
    enterprise_key: Mapped[str | None] = mapped_column(String, index=True)
    enterprise_uscc: Mapped[str | None] = mapped_column(String)
    license_key: Mapped[str | None] = mapped_column(String, index=True)
    license_no: Mapped[str | None] = mapped_column(String)
    export_date: Mapped[date]
    port: Mapped[str | None] = mapped_column(String)


class CustomsDeclarationVin(Base):
    __tablename__ = "customs_declaration_vins"

    declaration_key: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    vin: Mapped[str] = mapped_column(String)
    vin_key: Mapped[str] = mapped_column(String, index=True)


class Deregistration(Base):
    """A deregistration (注销登记) of an exported vehicle, one per VIN."""

    __tablename__ = "deregistrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    vin_key: Mapped[str] = mapped_column(String, unique=True)
    vin: Mapped[str] = mapped_column(String)
    deregistered_on: Mapped[date]
    certificate_no: Mapped[str | None] = mapped_column(String)
    reason: Mapped[str | None] = mapped_column(String)
