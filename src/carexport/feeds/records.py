"""Rows of the registry tables, built from FACTS rows or validated feed rows.

One builder per table, used by both `load_facts` and the file importers, so a fact
reaches the database the same way whichever door it came in by. The builders read
attributes by name: a feed's fields (feeds/fields.py) have the same names as the FACTS
row they feed, and a field FACTS does not know is absent there (None). Every declared
field is copied to its column (and its key column) by `declared`; a builder adds only
what is derived (natural keys, compared text). Values are plain (dates as ISO text)
because they go straight to the driver (sqlite3 executemany or PostgreSQL COPY).

Licenses and credit events are built and written by their owners' services
(applications/service.py, credit/service.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any

from carexport.applications.service import license_key
from carexport.bulk import RecordTable, Row, Target, iso
from carexport.bulk import natural_key as _key
from carexport.bulk import table_target as _target
from carexport.credit.person_ids import protected
from carexport.domain.person_id import ProtectedId
from carexport.domain.text import normalize_identifier as ident
from carexport.domain.text import normalize_text as text
from carexport.feeds import fields as declared_fields
from carexport.feeds.fields import FeedField
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
MODIFIER_CAPACITY = _target(ModifierCapacity, "enterprise_key")
CUSTOMS = _target(CustomsDeclaration, "declaration_key")
CUSTOMS_VINS = _target(CustomsDeclarationVin, "declaration_key", part=True)
DEREGISTRATIONS = _target(Deregistration, "vin_key")

Getter = Callable[[Any], Any]


def _field_getter(field: FeedField) -> Getter:
    name, store = field.name, field.type.store

    def get(r: Any) -> Any:
        return store(getattr(r, name, None))

    return get


def _key_getter(field: FeedField) -> Getter:
    name = field.name

    def get(r: Any) -> Any:
        return ident(getattr(r, name, None))

    return get


def declared(
    target: Target, fields: Sequence[FeedField], derived: Mapping[str, Getter] | None = None
) -> Callable[[Any], Row]:
    """The builder of `target`'s row: each declared field to its column and key column,
    each `derived` column from its getter. Every column must be covered (checked once,
    here, at import), so a declared field the table lacks, or a column nobody fills,
    fails at start-up rather than at the first import."""
    getters: dict[str, Getter] = {}
    for field in fields:
        if field.type.is_list:
            continue
        getters[field.name] = _field_getter(field)
        if field.key is not None:
            getters[field.key] = _key_getter(field)
    getters.update(derived or {})
    assert set(getters) == set(target.columns), (target.name, set(getters) ^ set(target.columns))
    ordered = [getters[c] for c in target.columns]

    def build(r: Any) -> Row:
        return tuple([get(r) for get in ordered])

    return build


registration = declared(REGISTRATIONS, declared_fields.REGISTRATIONS)


def _derived(**getters: Getter) -> dict[str, Getter]:
    return getters


def _inspection_result(r: Any) -> str:
    return str(r.result.value if isinstance(r.result, Enum) else r.result)


def _inspection_key(r: Any) -> str:
    # A report is one VIN's result on one day under one number; the result is in the
    # key because two same-day reports, one failing, must both be kept.
    return _key(ident(r.vin), iso(r.inspected_on), ident(r.report_no), _inspection_result(r))


inspection = declared(
    INSPECTIONS,
    declared_fields.INSPECTIONS,
    _derived(natural_key=_inspection_key, result=_inspection_result),
)

export_filing = declared(
    EXPORT_FILINGS,
    declared_fields.FILINGS,
    _derived(
        natural_key=lambda r: _key(ident(r.enterprise_uscc), iso(r.valid_from), iso(r.valid_to))
    ),
)

_manufacturer = declared(MANUFACTURERS, declared_fields.MANUFACTURERS)


def manufacturer(r: Any) -> tuple[Row, list[Row]]:
    key = ident(r.uscc)
    brands = [(key, i, b, text(b)) for i, b in enumerate(r.brands or [])]
    return _manufacturer(r), brands


assert MANUFACTURER_BRANDS.columns == ("manufacturer_key", "position", "brand", "brand_text")

outlet = declared(
    OUTLETS,
    declared_fields.OUTLETS,
    _derived(
        natural_key=lambda r: _key(
            ident(r.manufacturer_uscc), ident(r.country), text(r.city), text(r.name)
        ),
        country=lambda r: ident(r.country),
    ),
)


def confirmation(r: Any) -> Row:
    """`r` is a domain Confirmation: the document kept is exactly the one received."""
    document = r.signed_document()
    values = {
        "id_key": ident(r.id),
        "issuer_key": ident(r.issuer_uscc),
        "vin_key": ident(r.vin),
        "issued_on": iso(r.issued_on),
        "revoked": r.revoked,
        "document": json.dumps(document, ensure_ascii=False, separators=(",", ":")),
    }
    return tuple(values[c] for c in CONFIRMATIONS.columns)


def _compared(name: str) -> Getter:
    return lambda r: text(getattr(r, name))


announcement_product = declared(
    ANNOUNCEMENT_PRODUCTS,
    declared_fields.ANNOUNCEMENT,
    _derived(
        natural_key=lambda r: _key(
            ident(r.enterprise_uscc), text(r.brand), text(r.model), iso(r.valid_from)
        ),
        brand_text=_compared("brand"),
        model_text=_compared("model"),
    ),
)


def _ccc_key(r: Any) -> str:
    number = ident(r.number)
    if number:
        return _key("no", number)
    return _key("", ident(r.holder_uscc), text(r.brand), text(r.model), iso(r.valid_from))


ccc_certificate = declared(
    CCC_CERTIFICATES,
    declared_fields.CCC,
    _derived(natural_key=_ccc_key, brand_text=_compared("brand"), model_text=_compared("model")),
)


def _legal_representative(r: Any) -> ProtectedId | None:
    """The legal representative's ID as stored: keyed hash and masked form, never clear
    (docs/decisions/0024). A FACTS row read back from a store already holds the hash."""
    value = r.legal_representative_id
    if value is None or not value.strip():
        return None
    return protected(value, getattr(r, "legal_representative_masked", None))


def _protected_field(name: str) -> Getter:
    def get(r: Any) -> Any:
        found = _legal_representative(r)
        return None if found is None else getattr(found, name)

    return get


_enterprise = declared(
    ENTERPRISES,
    declared_fields.ENTERPRISES,
    _derived(
        legal_representative_id=_protected_field("token"),
        legal_representative_key=_protected_field("token"),
        legal_representative_masked=_protected_field("masked"),
    ),
)


def enterprise(r: Any) -> tuple[Row, list[Row]]:
    key = ident(r.uscc)
    masks = list(getattr(r, "related_persons_masked", None) or [])
    persons = []
    for i, p in enumerate(r.related_person_ids or []):
        if not p.strip():
            continue
        kept = protected(p, masks[i] if i < len(masks) else None)
        persons.append((key, i, kept.token, kept.token, kept.masked))
    return _enterprise(r), persons


assert RELATED_PERSONS.columns == (
    "enterprise_key",
    "position",
    "person_id",
    "person_key",
    "person_masked",
)

modifier_capacity = declared(MODIFIER_CAPACITY, declared_fields.CAPACITY)

_customs = declared(
    CUSTOMS,
    declared_fields.CUSTOMS,
    _derived(license_key=lambda r: license_key(r.license_no) if r.license_no else None),
)


def customs_declaration(r: Any) -> tuple[Row, list[Row]]:
    key = ident(r.declaration_no)
    vins = [(key, i, v, ident(v)) for i, v in enumerate(r.vins or [])]
    return _customs(r), vins


assert CUSTOMS_VINS.columns == ("declaration_key", "position", "vin", "vin_key")

deregistration = declared(DEREGISTRATIONS, declared_fields.DEREGISTRATIONS)

# The feeds' own tables, as the importer and load_facts write them.
REGISTRATION_TABLE = RecordTable(REGISTRATIONS, registration)
INSPECTION_TABLE = RecordTable(INSPECTIONS, inspection)
EXPORT_FILING_TABLE = RecordTable(EXPORT_FILINGS, export_filing)
MANUFACTURER_TABLE = RecordTable(MANUFACTURERS, manufacturer, MANUFACTURER_BRANDS)
OUTLET_TABLE = RecordTable(OUTLETS, outlet)
CONFIRMATION_TABLE = RecordTable(CONFIRMATIONS, confirmation)
# Compared text is derived from the field it compares: a file without the field keeps both.
_COMPARED = (("brand_text", ("brand",)), ("model_text", ("model",)))
ANNOUNCEMENT_TABLE = RecordTable(
    ANNOUNCEMENT_PRODUCTS, announcement_product, derived_from=_COMPARED
)
CCC_TABLE = RecordTable(CCC_CERTIFICATES, ccc_certificate, derived_from=_COMPARED)
ENTERPRISE_TABLE = RecordTable(ENTERPRISES, enterprise, RELATED_PERSONS)
CAPACITY_TABLE = RecordTable(MODIFIER_CAPACITY, modifier_capacity)
CUSTOMS_TABLE = RecordTable(
    CUSTOMS, customs_declaration, CUSTOMS_VINS, derived_from=(("license_key", ("license_no",)),)
)
DEREGISTRATION_TABLE = RecordTable(DEREGISTRATIONS, deregistration)
