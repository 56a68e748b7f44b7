"""Rows of the registry tables, built from FACTS rows or validated feed rows.

One builder per table, used by both `load_facts` and the file importers, so a fact
reaches the database the same way whichever door it came in by. The builders read
attributes by name: a feed row schema (feeds/schemas.py) has the same field names as
the FACTS row it feeds. Values are plain (dates as ISO text) because they go straight
to the driver (sqlite3 executemany or PostgreSQL COPY).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import Table

from carexport.applications.enums import LicenseStatus
from carexport.applications.models import License, LicenseVehicle
from carexport.credit.models import CreditEvent
from carexport.domain.text import normalize_identifier as ident
from carexport.domain.text import normalize_text as text
from carexport.feeds.bulk import Target
from carexport.feeds.models import (
    AnnouncementProduct,
    CccCertificate,
    Confirmation,
    CustomsDeclaration,
    CustomsDeclarationVin,
    Deregistration,
    Enterprise,
    ExportFiling,
    Inspection,
    Manufacturer,
    ManufacturerBrand,
    ModifierCapacity,
    Outlet,
    Registration,
    RelatedPerson,
)

Row = tuple[Any, ...]


def _target(model: type[Any], key: str, *, part: bool = False) -> Target:
    table: Table = model.__table__
    columns = tuple(c.name for c in table.columns if c.name != "id")
    return Target(table=table, columns=columns, key=key, is_part=part)


REGISTRATIONS = _target(Registration, "vin_key")
INSPECTIONS = _target(Inspection, "natural_key")
EXPORT_FILINGS = _target(ExportFiling, "natural_key")
MANUFACTURERS = _target(Manufacturer, "uscc_key")
MANUFACTURER_BRANDS = _target(ManufacturerBrand, "manufacturer_key", part=True)
OUTLETS = _target(Outlet, "natural_key")
CONFIRMATIONS = _target(Confirmation, "id_key")
ANNOUNCEMENT_PRODUCTS = _target(AnnouncementProduct, "natural_key")
CCC_CERTIFICATES = _target(CccCertificate, "natural_key")
ENTERPRISES = _target(Enterprise, "uscc_key")
RELATED_PERSONS = _target(RelatedPerson, "enterprise_key", part=True)
CREDIT_EVENTS = _target(CreditEvent, "natural_key")
MODIFIER_CAPACITY = _target(ModifierCapacity, "enterprise_key")
LICENSES = _target(License, "license_key")
LICENSE_VEHICLES = _target(LicenseVehicle, "license_key", part=True)
CUSTOMS = _target(CustomsDeclaration, "declaration_key")
CUSTOMS_VINS = _target(CustomsDeclarationVin, "declaration_key", part=True)
DEREGISTRATIONS = _target(Deregistration, "vin_key")


def iso(day: date | None) -> str | None:
    return day if day is None else day.isoformat()


def _key(*parts: object) -> str:
    # "|" cannot be confused with content because every part is escaped.
    return "|".join(
        "" if p is None else str(p).replace("\\", "\\\\").replace("|", "\\|") for p in parts
    )


def _tuple(target: Target, values: dict[str, Any]) -> Row:
    return tuple(values[c] for c in target.columns)


# Registrations are the million-row feed: the tuple is written out in column order
# rather than through a dict (checked against the table once, below).
_REGISTRATION_ORDER = [
    "vin_key",
    "vin",
    "brand",
    "model",
    "registration_date",
    "transfer_for_export_date",
    "export_transfer_count",
    "status",
    "owner_uscc",
    "owner_key",
    "mortgaged",
    "customs_supervised",
    "scrap_due_date",
]
assert REGISTRATIONS.columns == tuple(_REGISTRATION_ORDER), REGISTRATIONS.columns


def registration(r: Any) -> Row:
    return (
        ident(r.vin),
        r.vin,
        r.brand,
        r.model,
        iso(r.registration_date),
        iso(r.transfer_for_export_date),
        r.export_transfer_count,
        r.status,
        r.owner_uscc,
        ident(r.owner_uscc),
        r.mortgaged,
        r.customs_supervised,
        iso(r.scrap_due_date),
    )


def registration_from_feed(r: Any) -> Row:
    """As `registration`, for a validated feed row: its VIN and owner are normalised."""
    return (
        r.vin,
        r.vin,
        r.brand,
        r.model,
        iso(r.registration_date),
        iso(r.transfer_for_export_date),
        r.export_transfer_count,
        r.status,
        r.owner_uscc,
        r.owner_uscc,
        r.mortgaged,
        r.customs_supervised,
        iso(r.scrap_due_date),
    )


def inspection(r: Any) -> Row:
    vin_key = ident(r.vin)
    result = str(r.result.value if hasattr(r.result, "value") else r.result)
    return _tuple(
        INSPECTIONS,
        {
            # A report is one VIN's result on one day under one number; the result is in
            # the key because two same-day reports, one failing, must both be kept.
            "natural_key": _key(vin_key, iso(r.inspected_on), ident(r.report_no), result),
            "vin_key": vin_key,
            "vin": r.vin,
            "report_no": r.report_no,
            "body": r.body,
            "standard": r.standard,
            "inspected_on": iso(r.inspected_on),
            "result": result,
        },
    )


def export_filing(r: Any) -> Row:
    key = ident(r.enterprise_uscc)
    return _tuple(
        EXPORT_FILINGS,
        {
            "natural_key": _key(key, iso(r.valid_from), iso(r.valid_to)),
            "enterprise_key": key,
            "enterprise_uscc": r.enterprise_uscc,
            "province": r.province,
            "valid_from": iso(r.valid_from),
            "valid_to": iso(r.valid_to),
        },
    )


def manufacturer(r: Any) -> tuple[Row, list[Row]]:
    key = ident(r.uscc)
    kind = r.kind.value if hasattr(r.kind, "value") else r.kind
    row = _tuple(
        MANUFACTURERS,
        {
            "uscc_key": key,
            "uscc": r.uscc,
            "name": r.name,
            "kind": kind,
            "in_announcement": r.in_announcement,
            "public_key": r.public_key,
        },
    )
    brands = [
        _tuple(
            MANUFACTURER_BRANDS,
            {"manufacturer_key": key, "position": i, "brand": b, "brand_text": text(b)},
        )
        for i, b in enumerate(r.brands or [])
    ]
    return row, brands


def outlet(r: Any) -> Row:
    key = ident(r.manufacturer_uscc)
    country = ident(r.country)
    return _tuple(
        OUTLETS,
        {
            "natural_key": _key(key, country, text(r.city), text(r.name)),
            "manufacturer_key": key,
            "manufacturer_uscc": r.manufacturer_uscc,
            "name": r.name,
            "country": country,
            "city": r.city,
            "address": r.address,
            "phone": r.phone,
        },
    )


def confirmation(r: Any) -> Row:
    """`r` is a domain Confirmation: the document kept is exactly the one received."""
    document = r.signed_document()
    return _tuple(
        CONFIRMATIONS,
        {
            "id_key": ident(r.id),
            "issuer_key": ident(r.issuer_uscc),
            "vin_key": ident(r.vin),
            "issued_on": iso(r.issued_on),
            "revoked": r.revoked,
            "document": json.dumps(document, ensure_ascii=False, separators=(",", ":")),
        },
    )


def announcement_product(r: Any) -> Row:
    key = ident(r.enterprise_uscc)
    return _tuple(
        ANNOUNCEMENT_PRODUCTS,
        {
            "natural_key": _key(key, text(r.brand), text(r.model), iso(r.valid_from)),
            "enterprise_key": key,
            "enterprise_uscc": r.enterprise_uscc,
            "brand": r.brand,
            "model": r.model,
            "brand_text": text(r.brand),
            "model_text": text(r.model),
            "product_type": r.product_type,
            "chassis_brand": r.chassis_brand,
            "valid_from": iso(r.valid_from),
            "valid_to": iso(r.valid_to),
        },
    )


def ccc_certificate(r: Any) -> Row:
    number = ident(r.number)
    natural = (
        _key("no", number)
        if number
        else _key("", ident(r.holder_uscc), text(r.brand), text(r.model), iso(r.valid_from))
    )
    return _tuple(
        CCC_CERTIFICATES,
        {
            "natural_key": natural,
            "number": r.number,
            "holder_key": ident(r.holder_uscc),
            "holder_uscc": r.holder_uscc,
            "brand": r.brand,
            "model": r.model,
            "brand_text": text(r.brand),
            "model_text": text(r.model),
            "valid_from": iso(r.valid_from),
            "valid_to": iso(r.valid_to),
            "status": r.status,
        },
    )


def enterprise(r: Any) -> tuple[Row, list[Row]]:
    key = ident(r.uscc)
    row = _tuple(
        ENTERPRISES,
        {
            "uscc_key": key,
            "uscc": r.uscc,
            "name": r.name,
            "region": getattr(r, "region", None),
            "legal_representative_id": r.legal_representative_id,
            "legal_representative_key": ident(r.legal_representative_id) or None,
        },
    )
    persons = [
        _tuple(
            RELATED_PERSONS,
            {"enterprise_key": key, "position": i, "person_id": p, "person_key": ident(p) or None},
        )
        for i, p in enumerate(r.related_person_ids or [])
    ]
    return row, persons


def credit_event(r: Any) -> Row:
    key = ident(r.enterprise_uscc)
    rect = r.rectification.value if hasattr(r.rectification, "value") else r.rectification
    return _tuple(
        CREDIT_EVENTS,
        {
            "natural_key": _key(key, r.item, iso(r.date), text(r.note)),
            "enterprise_key": key,
            "enterprise_uscc": r.enterprise_uscc,
            "item": r.item,
            "date": iso(r.date),
            "note": r.note,
            "rectification": rect,
        },
    )


def modifier_capacity(r: Any) -> Row:
    return _tuple(
        MODIFIER_CAPACITY,
        {
            "enterprise_key": ident(r.enterprise_uscc),
            "enterprise_uscc": r.enterprise_uscc,
            "annual_capacity": r.annual_capacity,
            "exported_last_12_months": r.exported_last_12_months,
        },
    )


def license_key(license_no: str | None, vins: Iterable[str]) -> str:
    number = ident(license_no)
    # A FACTS open license may lack its number; its VINs then identify it.
    return _key("no", number) if number else _key("vins", *sorted(ident(v) or "" for v in vins))


def license_(r: Any) -> tuple[Row, list[Row]]:
    vins = list(r.vins or [])
    key = license_key(r.license_no, vins)
    status = getattr(r, "status", None) or LicenseStatus.OPEN
    row = _tuple(
        LICENSES,
        {
            "license_key": key,
            "license_no": r.license_no,
            "agency": getattr(r, "agency", None),
            "enterprise_uscc": getattr(r, "enterprise_uscc", None),
            "enterprise_key": ident(getattr(r, "enterprise_uscc", None)),
            "application_id": None,
            "issued_on": iso(getattr(r, "issued_on", None)),
            "valid_to": iso(getattr(r, "valid_to", None)),
            "status": str(status.value if hasattr(status, "value") else status),
        },
    )
    lines = [
        _tuple(
            LICENSE_VEHICLES,
            {
                "license_key": key,
                "position": i,
                "vin": v,
                "vin_key": ident(v),
                "brand": None,
                "model": None,
                "registration_date": None,
                "transfer_for_export_date": None,
            },
        )
        for i, v in enumerate(vins)
    ]
    return row, lines


def customs_declaration(r: Any) -> tuple[Row, list[Row]]:
    key = ident(r.declaration_no)
    row = _tuple(
        CUSTOMS,
        {
            "declaration_key": key,
            "declaration_no": r.declaration_no,
            "enterprise_key": ident(r.enterprise_uscc),
            "enterprise_uscc": r.enterprise_uscc,
            "license_key": license_key(r.license_no, []) if r.license_no else None,
            "license_no": r.license_no,
            "export_date": iso(r.export_date),
            "port": r.port,
        },
    )
    vins = [
        _tuple(
            CUSTOMS_VINS,
            {"declaration_key": key, "position": i, "vin": v, "vin_key": ident(v)},
        )
        for i, v in enumerate(r.vins or [])
    ]
    return row, vins


def deregistration(r: Any) -> Row:
    return _tuple(
        DEREGISTRATIONS,
        {
            "vin_key": ident(r.vin),
            "vin": r.vin,
            "deregistered_on": iso(r.deregistered_on),
            "certificate_no": r.certificate_no,
            "reason": r.reason,
        },
    )


Builder = Callable[[Any], Any]
