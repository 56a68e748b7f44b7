"""Use cases of the registry store. These are the only functions here that commit.

- `load_facts`: upsert a whole FACTS document (the demo generator, `facts import`).
- `facts_for_application`: the facts one application can need, read back as FACTS, so
  a store-backed check gives exactly the verdict of a file-backed one.
- `import_feed`: one registry file (feeds/importing.py reads and stages it), all or
  nothing or skipping bad rows.

At the end, the writes of records made in the system rather than imported (a
manufacturer's outlets, the confirmations it issues): they run inside the caller's unit
of work and never commit, so the use case (documents/confirmations.py) commits the
record with its audit entry and signature, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import Select, select

from carexport.applications import service as applications
from carexport.bulk import BulkWriter, RecordTable, Row, Target
from carexport.config import get_settings
from carexport.credit import service as credit
from carexport.db import UnitOfWork
from carexport.documents import keyring, keys
from carexport.domain import facts as f
from carexport.domain.application import Application
from carexport.domain.text import is_blank, normalize_text
from carexport.domain.text import normalize_identifier as ident
from carexport.errors import CarexportError, Conflict, InputProblem, InvalidInput, NotFound
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
    Outlet,
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
    signing_keys = checker_keys(uow=uow, documents=[c.document for c in confirmations])
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
    masked = _related_masks(uow, [e.uscc_key for e in enterprise_rows])
    events = credit.credit_events(
        uow=uow, enterprise_keys=[e.uscc_key for e in enterprise_rows] + [applicant]
    )
    decisions = credit.suspensions(
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
                {
                    **_declared(m, fields.MANUFACTURERS),
                    "brands": brands.get(m.uscc_key, []),
                    **(
                        {"public_key": signing_keys[m.uscc_key]}
                        if m.uscc_key in signing_keys
                        else {}
                    ),
                }
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
                    # The store keeps IDs only as keyed hashes: their masked forms go
                    # with them, for the findings' chain of links (ADR 0024).
                    "legal_representative_masked": e.legal_representative_masked,
                    "related_persons_masked": masked.get(e.uscc_key, []),
                }
            )
            for e in enterprise_rows
        ],
        credit_events=events,
        suspensions=decisions,
        modifier_capacity=[
            f.ModifierCapacity.model_validate(_declared(c, fields.CAPACITY)) for c in capacity
        ],
        open_licenses=licenses,
    )


def checker_keys(*, uow: UnitOfWork, documents: Sequence[Any]) -> dict[str, str | None]:
    """The public key to give the checker as each issuer's `public_key`, by issuer key,
    for confirmations signed in this system (they name their `key_id`).

    FACTS holds one key per manufacturer, while a manufacturer may have signed with
    several (rotation): the key of the issuer's first named confirmation is given. It is
    given only when that key may have signed the document — published as the issuer's,
    valid on its signing date and not revoked by then (documents.keyring's rule) —
    otherwise no key (None), so the checker finds N180.SEAL_INVALID: a signature by a
    revoked key must not verify. A confirmation without `key_id` (signed elsewhere, a
    loaded feed's) keeps the manufacturers registry's key.
    """
    wanted = [d for d in documents if isinstance(d, dict) and d.get(keyring.KEY_ID)]
    if not wanted:
        return {}
    published = keys.keys_for_documents(session=uow.session, documents=wanted)
    chosen: dict[str, str | None] = {}
    for document in wanted:
        issuer = (
            ident(document.get("issuer_uscc"))
            if isinstance(document.get("issuer_uscc"), str)
            else None
        )
        if issuer is None or issuer in chosen:
            continue
        key = published.get(str(document[keyring.KEY_ID]))
        day = keyring.signing_date(document)
        fits = (
            key is not None
            and day is not None
            and ident(key.uscc) == issuer
            and key.status_on(day) == "valid"
        )
        chosen[issuer] = key.public_key if fits and key is not None else None
    return chosen


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


@dataclass(frozen=True)
class PersonLink:
    """Another enterprise sharing a person with the one asked about (另设企业): who is
    shared (masked, never the ID) and what the person is on either side."""

    uscc: str
    name: str | None
    persons: tuple[tuple[str, str, str], ...]  # (masked, role here, role there)


def _roles_of(uow: UnitOfWork, enterprise: Enterprise) -> dict[str, tuple[str, str]]:
    """Person key → (role, masked) of one stored enterprise."""
    out: dict[str, tuple[str, str]] = {}
    for p in uow.session.scalars(
        select(RelatedPerson).where(RelatedPerson.enterprise_key == enterprise.uscc_key)
    ):
        if p.person_key:
            out.setdefault(p.person_key, ("related_person", p.person_masked or "*" * 18))
    if enterprise.legal_representative_key:
        out[enterprise.legal_representative_key] = (
            "legal_representative",
            enterprise.legal_representative_masked or "*" * 18,
        )
    return out


def enterprises_sharing_persons(*, uow: UnitOfWork, enterprise_uscc: str) -> list[PersonLink]:
    """The enterprises that share the legal representative or a related person with this
    one, by USCC, with the shared persons masked."""
    key = ident(enterprise_uscc) or ""
    own = uow.session.scalar(select(Enterprise).where(Enterprise.uscc_key == key))
    if own is None:
        return []
    mine = _roles_of(uow, own)
    if not mine:
        return []
    others: set[str] = set()
    for chunk in _chunks(mine):
        others.update(
            uow.session.scalars(
                select(RelatedPerson.enterprise_key).where(RelatedPerson.person_key.in_(chunk))
            )
        )
        others.update(
            uow.session.scalars(
                select(Enterprise.uscc_key).where(Enterprise.legal_representative_key.in_(chunk))
            )
        )
    others.discard(key)
    links = []
    for other in _rows_in(uow, Enterprise, Enterprise.uscc_key, others):
        theirs = _roles_of(uow, other)
        shared = sorted(set(mine) & set(theirs))
        if shared:
            links.append(
                PersonLink(
                    uscc=other.uscc,
                    name=other.name,
                    persons=tuple((mine[p][1], mine[p][0], theirs[p][0]) for p in shared),
                )
            )
    return sorted(links, key=lambda link: link.uscc)


def _related_masks(uow: UnitOfWork, enterprise_keys: Iterable[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for chunk in _chunks(enterprise_keys):
        query = (
            select(RelatedPerson)
            .where(RelatedPerson.enterprise_key.in_(chunk))
            .order_by(RelatedPerson.enterprise_key, RelatedPerson.position)
        )
        for p in uow.session.scalars(query):
            out.setdefault(p.enterprise_key, []).append(p.person_masked or "*" * 18)
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


# -- records made in the system: outlets and issued confirmations ----------------------
# These never commit: the caller's use case does, with its audit entry.


@dataclass(frozen=True)
class OutletView:
    """One stored outlet as the pages and the confirmation service see it."""

    id: int
    manufacturer_uscc: str
    name: str
    country: str
    city: str | None
    address: str | None
    phone: str | None
    services: tuple[str, ...]

    def for_confirmation(self) -> dict[str, Any]:
        """The outlet as a confirmation lists it (CHECK_FORMAT.md, plus its services)."""
        return {
            "name": self.name,
            "country": self.country,
            "city": self.city,
            "address": self.address,
            "phone": self.phone,
            "services": list(self.services),
        }


def _outlet_view(row: Outlet) -> OutletView:
    return OutletView(
        id=row.id,
        manufacturer_uscc=row.manufacturer_uscc,
        name=row.name,
        country=row.country,
        city=row.city,
        address=row.address,
        phone=row.phone,
        services=tuple(row.services.split(";")) if row.services else (),
    )


def outlets_of(
    *, uow: UnitOfWork, manufacturer_uscc: str, country: str | None = None
) -> list[OutletView]:
    """The manufacturer's outlets (in one country when given), by country, city, name."""
    query = select(Outlet).where(Outlet.manufacturer_key == ident(manufacturer_uscc))
    if country is not None:
        query = query.where(Outlet.country == ident(country))
    query = query.order_by(Outlet.country, Outlet.city, Outlet.name, Outlet.id)
    return [_outlet_view(row) for row in uow.session.scalars(query)]


def _own_outlet(uow: UnitOfWork, manufacturer_uscc: str, outlet_id: int) -> Outlet:
    row = uow.session.get(Outlet, outlet_id)
    # Another manufacturer's outlet is "not found": existence never leaks.
    if row is None or row.manufacturer_key != ident(manufacturer_uscc):
        raise NotFound(f"没有该网点 / no outlet {outlet_id}")
    return row


def save_outlet(
    *,
    uow: UnitOfWork,
    manufacturer_uscc: str,
    values: dict[str, Any],
    outlet_id: int | None = None,
) -> OutletView:
    """Add an outlet of the manufacturer (outlet_id None) or change one of its own.

    `values` (name, country, city, address, phone, services) are validated by the
    outlets feed's row schema, as `carexport import outlets` validates a file row, and
    stored by the same builder. InvalidInput names each bad field; Conflict when the
    manufacturer already has an outlet of that name in that country and city.
    """
    feed = FEEDS["outlets"]
    try:
        row = feed.schema.model_validate({**values, "manufacturer_uscc": manufacturer_uscc})
    except ValidationError as exc:
        raise InvalidInput(
            [
                InputProblem(
                    "outlet",
                    ".".join(str(part) for part in item["loc"]),
                    str(item["msg"]).removeprefix("Value error, "),
                    str(item["type"]),
                )
                for item in exc.errors(include_url=False)
            ]
        ) from None
    columns = dict(zip(records.OUTLETS.columns, feed.build(row), strict=True))
    session = uow.session
    clash = session.scalar(select(Outlet).where(Outlet.natural_key == columns["natural_key"]))
    if clash is not None and clash.id != outlet_id:
        raise Conflict(
            "该国家和城市已有同名网点 / an outlet of that name is already listed in that "
            "country and city"
        )
    outlet = Outlet() if outlet_id is None else _own_outlet(uow, manufacturer_uscc, outlet_id)
    for name, value in columns.items():
        setattr(outlet, name, value)
    if outlet_id is None:
        session.add(outlet)
    session.flush()
    return _outlet_view(outlet)


def remove_outlet(*, uow: UnitOfWork, manufacturer_uscc: str, outlet_id: int) -> OutletView:
    """Delete one of the manufacturer's outlets (confirmations already issued keep the
    outlet as they list it: their documents are signed copies)."""
    row = _own_outlet(uow, manufacturer_uscc, outlet_id)
    view = _outlet_view(row)
    uow.session.delete(row)
    uow.session.flush()
    return view


def manufacturer_record(*, uow: UnitOfWork, uscc: str) -> f.Manufacturer | None:
    """The manufacturers registry's row for `uscc` with its brands, as FACTS has it."""
    rows = _rows_in(uow, Manufacturer, Manufacturer.uscc_key, [ident(uscc)])
    if not rows:
        return None
    brands = uow.session.scalars(
        select(ManufacturerBrand.brand)
        .where(ManufacturerBrand.manufacturer_key == rows[0].uscc_key)
        .order_by(ManufacturerBrand.position)
    )
    return f.Manufacturer.model_validate(
        {**_declared(rows[0], fields.MANUFACTURERS), "brands": list(brands)}
    )


def registration_records(*, uow: UnitOfWork, vins: Iterable[str]) -> dict[str, f.Registration]:
    """The registration records of `vins`, by normalised VIN."""
    found = _rows_in(uow, Registration, Registration.vin_key, {ident(v) for v in vins})
    return {
        r.vin_key: f.Registration.model_validate(_declared(r, fields.REGISTRATIONS)) for r in found
    }


def add_confirmation(*, uow: UnitOfWork, confirmation: f.Confirmation) -> None:
    """Store a confirmation issued in the system, exactly as signed. Conflict when one
    with its number is stored already (a loaded feed's, say): never overwritten."""
    session = uow.session
    key = ident(confirmation.id)
    if session.scalar(select(Confirmation.id).where(Confirmation.id_key == key)) is not None:
        raise Conflict(
            f"确认书编号 {confirmation.id} 已存在 / confirmation {confirmation.id} exists"
        )
    session.add(Confirmation(**_confirmation_columns(confirmation)))
    session.flush()


def replace_confirmation(*, uow: UnitOfWork, confirmation: f.Confirmation) -> None:
    """Store a new signed version of a stored confirmation (its revocation)."""
    row = uow.session.scalar(
        select(Confirmation).where(Confirmation.id_key == ident(confirmation.id))
    )
    if row is None:
        raise NotFound(f"没有该确认书 / no confirmation {confirmation.id}")
    for name, value in _confirmation_columns(confirmation).items():
        setattr(row, name, value)
    uow.session.flush()


def _confirmation_columns(confirmation: f.Confirmation) -> dict[str, Any]:
    # The row builder of imports (feeds/records.py), so both doors store the same.
    row = dict(zip(records.CONFIRMATIONS.columns, records.confirmation(confirmation), strict=True))
    row["document"] = confirmation.signed_document()
    row["issued_on"] = confirmation.issued_on
    return row


def confirmations_by_id(*, uow: UnitOfWork, ids: Iterable[str]) -> list[f.Confirmation]:
    """The stored confirmations with these numbers, in insertion order."""
    rows = _rows_in(uow, Confirmation, Confirmation.id_key, {ident(i) for i in ids})
    return [f.Confirmation.model_validate(r.document) for r in rows]


def confirmation_ids_like(*, uow: UnitOfWork, prefix: str) -> list[str]:
    """The stored confirmation numbers starting with `prefix` (normalised)."""
    pattern = (ident(prefix) or "") + "%"
    return list(
        uow.session.scalars(select(Confirmation.id_key).where(Confirmation.id_key.like(pattern)))
    )
