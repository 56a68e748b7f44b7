"""Use cases of the registry store. These are the only functions here that commit.

- `load_facts`: upsert a whole FACTS document (the demo generator, `facts import`).
- `facts_for_application`: the facts one application can need, read back as FACTS, so
  a store-backed check gives exactly the verdict of a file-backed one.
- `import_feed`: one registry file (feeds/importing.py reads and stages it), all or
  nothing or skipping bad rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Select, select

from carexport.applications import service as applications
from carexport.bulk import BulkWriter, RecordTable, Row, Target
from carexport.config import get_settings
from carexport.credit import service as credit
from carexport.db import UnitOfWork
from carexport.domain import facts as f
from carexport.domain.application import Application
from carexport.domain.text import is_blank, normalize_text
from carexport.domain.text import normalize_identifier as ident
from carexport.errors import CarexportError
from carexport.feeds import fields, records
from carexport.feeds.fields import FeedField
from carexport.feeds.importing import ImportMode, ImportResult, RowProblem, stage_feed
from carexport.feeds.models import (
    AnnouncementProduct,
    CccCertificate,
    Confirmation,
    Enterprise,
    ExportFiling,
    Inspection,
    Manufacturer,
    ManufacturerBrand,
    ModifierCapacity,
    Registration,
    RelatedPerson,
)
from carexport.feeds.schemas import FEEDS

T = TypeVar("T")


@dataclass(frozen=True)
class FactCollection:
    """How one FACTS collection is stored: the table (its owner's) it is written to."""

    name: str
    table: RecordTable


FACT_COLLECTIONS: tuple[FactCollection, ...] = (
    FactCollection("registrations", records.REGISTRATION_TABLE),
    FactCollection("inspections", records.INSPECTION_TABLE),
    FactCollection("export_filings", records.EXPORT_FILING_TABLE),
    FactCollection("manufacturers", records.MANUFACTURER_TABLE),
    FactCollection("confirmations", records.CONFIRMATION_TABLE),
    FactCollection("announcement_products", records.ANNOUNCEMENT_TABLE),
    FactCollection("ccc_certificates", records.CCC_TABLE),
    FactCollection("enterprises", records.ENTERPRISE_TABLE),
    FactCollection("credit_events", credit.CREDIT_EVENT_TABLE),
    FactCollection("modifier_capacity", records.CAPACITY_TABLE),
    FactCollection("open_licenses", applications.LICENSE_TABLE),
)


def fact_targets() -> list[Target]:
    """Every target of FACTS, each part right after its parent (BulkWriter's order)."""
    return [target for c in FACT_COLLECTIONS for target in c.table.targets()]


def load_facts(*, uow: UnitOfWork, facts: f.Facts) -> dict[str, int]:
    """Upsert every FACTS collection in one transaction; returns rows kept per collection.

    Idempotent: each row is upserted by its natural key. Within the document the first
    row per key counts (CHECK_FORMAT.md); a later row with the same key is dropped.
    """
    writer = BulkWriter(
        uow.session.connection(),
        fact_targets(),
        lock_wait=get_settings().import_lock_wait_seconds,
    )
    counts: dict[str, int] = {}
    for collection in FACT_COLLECTIONS:
        table = collection.table
        rows: list[Row] = []
        parts: list[Row] = []
        seen: set[Any] = set()
        key_index = table.target.key_index
        for item in getattr(facts, collection.name):
            row, part_rows = table.rows(item)
            key = row[key_index]
            if key in seen:
                continue
            seen.add(key)
            rows.append(row)
            parts.extend(part_rows)
        table.write(writer, rows, parts)
        counts[collection.name] = len(rows)
    writer.finish()
    uow.commit()
    return counts


def import_feed(
    *,
    uow: UnitOfWork,
    kind: str,
    path: Path,
    fmt: str | None = None,
    mode: ImportMode = ImportMode.ALL_OR_NOTHING,
    on_problem: Callable[[RowProblem], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    encoding: str = "utf-8-sig",
    columnar_path: bool = True,
) -> ImportResult:
    """Import one feed file of `kind` (see FEEDS in feeds/schemas.py, fields in feeds/fields.py).

    All-or-nothing: any bad row rejects the file and nothing changes. Skip-bad: the
    valid rows are loaded, the bad ones reported. Either way one transaction, one
    commit. Raises UnknownFeed, UnusableFile when the file cannot be read as a feed, or
    StoreBusy when another import is writing the feed's tables (waiting at most
    `Settings.import_lock_wait_seconds`).
    """
    feed = FEEDS.get(kind)
    if feed is None:
        raise UnknownFeed(kind)
    staged = stage_feed(
        uow=uow,
        feed=feed,
        path=path,
        fmt=fmt,
        mode=mode,
        on_problem=on_problem,
        on_progress=on_progress,
        encoding=encoding,
        columnar_path=columnar_path,
        lock_wait=get_settings().import_lock_wait_seconds,
    )
    if not staged.loadable:
        uow.rollback()
        return staged.result
    staged.writer.finish()
    uow.commit()
    return replace(staged.result, rows_loaded=staged.result.rows_valid, committed=True)


class UnknownFeed(CarexportError):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        known = ", ".join(FEEDS)
        super().__init__(
            f"未知的数据类型 {kind}（可选：{known}） / unknown feed {kind} (one of: {known})"
        )


# -- reading facts back --------------------------------------------------------------

_CHUNK = 500  # bind parameters per IN list; SQLite allows 32766, keep queries modest


def _chunks(values: Iterable[T]) -> list[list[T]]:
    items = sorted(set(values), key=str)
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def _rows_in(uow: UnitOfWork, model: Any, column: Any, values: Iterable[Any]) -> list[Any]:
    """Rows whose `column` is in `values`, in insertion (id) order."""
    found: dict[int, Any] = {}
    for chunk in _chunks(v for v in values if v is not None):
        query: Select[Any] = select(model).where(column.in_(chunk))
        for row in uow.session.scalars(query):
            found[row.id] = row
    return [found[k] for k in sorted(found)]


def _declared(row: Any, declared: Sequence[FeedField]) -> dict[str, Any]:
    """A stored record's declared fields (lists live in parts), by name. FACTS rows
    ignore the fields they do not know (a registration's fuel type, say)."""
    return {field.name: getattr(row, field.name) for field in declared if not field.type.is_list}


def holds_registrations(*, uow: UnitOfWork) -> bool:
    """Whether any registration is stored."""
    return uow.session.execute(select(Registration.id).limit(1)).first() is not None


def facts_for_application(*, uow: UnitOfWork, application: Application) -> f.Facts:
    """Everything the checker can need for `application`, as FACTS.

    Checking with these facts gives the same verdict as checking with all the facts in
    the store: the records, reports and open licenses of its VINs; the applicant's
    filings, enterprise and credit events; every enterprise sharing a person with the
    applicant, with their events (CREDIT.RELATED_PARTY); the confirmations its vehicles
    name and their issuers; the Announcement products and CCC certificates of its
    vehicles' modified brand and model, and the capacity of the products' holders.
    Each collection is in insertion order, which is the order of the document loaded.
    """
    session = uow.session
    vin_keys = {ident(v.vin) for v in application.vehicles}
    applicant = ident(application.enterprise_uscc)

    registrations = _rows_in(uow, Registration, Registration.vin_key, vin_keys)
    inspections = _rows_in(uow, Inspection, Inspection.vin_key, vin_keys)
    filings = _rows_in(uow, ExportFiling, ExportFiling.enterprise_key, [applicant])

    # Confirmations named by the vehicles, then their issuers with brands.
    confirmation_keys = {
        ident(v.confirmation_id) for v in application.vehicles if v.confirmation_id is not None
    }
    confirmations = _rows_in(uow, Confirmation, Confirmation.id_key, confirmation_keys)
    issuer_keys = {c.issuer_key for c in confirmations if c.issuer_key is not None}
    manufacturers = _rows_in(uow, Manufacturer, Manufacturer.uscc_key, issuer_keys)
    brands: dict[str, list[str]] = {}
    for chunk in _chunks(m.uscc_key for m in manufacturers):
        query = (
            select(ManufacturerBrand)
            .where(ManufacturerBrand.manufacturer_key.in_(chunk))
            .order_by(ManufacturerBrand.manufacturer_key, ManufacturerBrand.position)
        )
        for b in session.scalars(query):
            brands.setdefault(b.manufacturer_key, []).append(b.brand)

    # Modified vehicles: products and certificates by brand and model as text matches.
    wanted = {
        (normalize_text(v.modified_brand), normalize_text(v.model))
        for v in application.vehicles
        if v.modified_brand is not None and v.model is not None
    }
    products = [
        p
        for p in _rows_in(
            uow, AnnouncementProduct, AnnouncementProduct.model_text, {m for _, m in wanted}
        )
        if (p.brand_text, p.model_text) in wanted
    ]
    certificates = [
        c
        for c in _rows_in(uow, CccCertificate, CccCertificate.model_text, {m for _, m in wanted})
        if (c.brand_text, c.model_text) in wanted
    ]
    capacity = _rows_in(
        uow, ModifierCapacity, ModifierCapacity.enterprise_key, {p.enterprise_key for p in products}
    )

    # The applicant and every enterprise sharing a person with it (另设企业).
    enterprise_rows = _rows_in(uow, Enterprise, Enterprise.uscc_key, [applicant])
    persons = _persons_of(uow, enterprise_rows)
    if persons:
        related_keys: set[str] = set()
        for chunk in _chunks(persons):
            related_keys.update(
                session.scalars(
                    select(RelatedPerson.enterprise_key).where(RelatedPerson.person_key.in_(chunk))
                )
            )
            related_keys.update(
                session.scalars(
                    select(Enterprise.uscc_key).where(
                        Enterprise.legal_representative_key.in_(chunk)
                    )
                )
            )
        enterprise_rows = _rows_in(uow, Enterprise, Enterprise.uscc_key, related_keys | {applicant})
    related_persons = _related_persons(uow, [e.uscc_key for e in enterprise_rows])
    events = credit.credit_events(
        uow=uow, enterprise_keys=[e.uscc_key for e in enterprise_rows] + [applicant]
    )
    licenses = applications.open_licenses(uow=uow, vin_keys=vin_keys)

    return f.Facts(
        registrations=[
            f.Registration.model_validate(_declared(r, fields.REGISTRATIONS)) for r in registrations
        ],
        inspections=[
            f.Inspection.model_validate(_declared(r, fields.INSPECTIONS)) for r in inspections
        ],
        export_filings=[
            f.ExportFiling.model_validate(_declared(r, fields.FILINGS)) for r in filings
        ],
        manufacturers=[
            f.Manufacturer.model_validate(
                {**_declared(m, fields.MANUFACTURERS), "brands": brands.get(m.uscc_key, [])}
            )
            for m in manufacturers
        ],
        confirmations=[f.Confirmation.model_validate(c.document) for c in confirmations],
        announcement_products=[
            f.AnnouncementProduct.model_validate(_declared(p, fields.ANNOUNCEMENT))
            for p in products
        ],
        ccc_certificates=[
            f.CccCertificate.model_validate(_declared(c, fields.CCC)) for c in certificates
        ],
        enterprises=[
            f.Enterprise.model_validate(
                {
                    **_declared(e, fields.ENTERPRISES),
                    "related_person_ids": related_persons.get(e.uscc_key, []),
                }
            )
            for e in enterprise_rows
        ],
        credit_events=events,
        modifier_capacity=[
            f.ModifierCapacity.model_validate(_declared(c, fields.CAPACITY)) for c in capacity
        ],
        open_licenses=licenses,
    )


def _related_persons(uow: UnitOfWork, enterprise_keys: Iterable[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for chunk in _chunks(enterprise_keys):
        query = (
            select(RelatedPerson)
            .where(RelatedPerson.enterprise_key.in_(chunk))
            .order_by(RelatedPerson.enterprise_key, RelatedPerson.position)
        )
        for p in uow.session.scalars(query):
            out.setdefault(p.enterprise_key, []).append(p.person_id)
    return out


def _persons_of(uow: UnitOfWork, enterprises: Sequence[Enterprise]) -> set[str]:
    """The person keys of these enterprises: legal representative and related persons."""
    persons = {
        ident(e.legal_representative_id) or ""
        for e in enterprises
        if not is_blank(e.legal_representative_id)
    }
    for ids in _related_persons(uow, [e.uscc_key for e in enterprises]).values():
        persons.update(ident(i) or "" for i in ids if not is_blank(i))
    return persons
