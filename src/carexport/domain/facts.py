"""FACTS.json: what the registries know (CHECK_FORMAT.md).

In the running system the same shape is read from the database; the store exports it
with `carexport facts export`, so a file-backed and a store-backed check see the same.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from carexport.domain.dates import IsoDate


class _Row(BaseModel):
    # strict: wrong types are input errors; enums take their string values (strict=False
    # on those fields only, since strict mode would want enum instances from Python).
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class ManufacturerKind(StrEnum):
    MANUFACTURER = "manufacturer"
    SALES_COMPANY = "sales_company"
    MODIFIER = "modifier"
    IMPORTER = "importer"
    OTHER = "other"


class InspectionResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"


class OutletService(StrEnum):
    """What an after-sales outlet abroad offers (648号 附件1 item 2: repair data, parts)."""

    REPAIR = "repair"
    PARTS = "parts"
    WARRANTY = "warranty"


class Rectification(StrEnum):
    NONE = "none"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"


class Registration(_Row):
    vin: str
    brand: str | None = None
    model: str | None = None
    registration_date: IsoDate | None = None
    transfer_for_export_date: IsoDate | None = None
    # A count: negative is an input error, as the registration feed says (feeds/schemas).
    export_transfer_count: int | None = Field(default=None, ge=0)
    status: str | None = None
    owner_uscc: str | None = None
    mortgaged: bool | None = None
    customs_supervised: bool | None = None
    scrap_due_date: IsoDate | None = None


class Inspection(_Row):
    vin: str
    report_no: str | None = None
    body: str | None = None
    standard: str | None = None
    inspected_on: IsoDate
    result: InspectionResult = Field(strict=False)


class ExportFiling(_Row):
    enterprise_uscc: str
    province: str | None = None
    valid_from: IsoDate
    valid_to: IsoDate


class Manufacturer(_Row):
    uscc: str
    name: str | None = None
    kind: ManufacturerKind | None = Field(default=None, strict=False)
    in_announcement: bool | None = None
    brands: list[str] | None = Field(default_factory=list)
    public_key: str | None = None


class Outlet(_Row):
    name: str | None = None
    country: str | None = None
    city: str | None = None
    address: str | None = None
    phone: str | None = None


class Confirmation(_Row):
    """A 售后服务确认书. Its seal covers the object exactly as issued, so the raw JSON
    object is kept beside the parsed fields (see `signed_document`)."""

    id: str
    issuer_uscc: str | None = None
    vin: str | None = None
    vins: list[str] | None = None
    brand: str | None = None
    model: str | None = None
    destination_country: str | None = None
    issued_on: IsoDate | None = None
    outlets: list[Outlet] | None = Field(default_factory=list)
    revoked: bool | None = None
    signature: str | None = None

    _document: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_document(cls, data: Any, handler: Any) -> Any:
        row = handler(data)
        if isinstance(data, dict):
            row._document = dict(data)
        elif isinstance(data, Confirmation):
            row._document = dict(data._document)
        return row

    def signed_document(self) -> dict[str, Any]:
        """The confirmation object as received (unknown keys included), for the seal."""
        return dict(self._document) if self._document else self.model_dump(mode="json")


class AnnouncementProduct(_Row):
    enterprise_uscc: str
    brand: str | None = None
    model: str | None = None
    product_type: str | None = None
    chassis_brand: str | None = None
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None


class CccCertificate(_Row):
    number: str | None = None
    holder_uscc: str | None = None
    brand: str | None = None
    model: str | None = None
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None
    status: str | None = None


class Enterprise(_Row):
    uscc: str
    name: str | None = None
    legal_representative_id: str | None = None
    related_person_ids: list[str] | None = Field(default_factory=list)
    # Optional (a store's export gives them, docs/decisions/0024): the masked forms of
    # the IDs above, which a store keeps only as keyed hashes; shown in findings.
    legal_representative_masked: str | None = None
    related_persons_masked: list[str] | None = None


class CreditEvent(_Row):
    enterprise_uscc: str
    item: int
    date: IsoDate
    note: str | None = None
    rectification: Rectification | None = Field(default=None, strict=False)


class Suspension(_Row):
    """A decision suspending an enterprise from filing (退出), and its reinstatement."""

    enterprise_uscc: str
    decision_id: str
    suspended_on: IsoDate
    agency: str | None = None
    reason: str | None = None
    reinstated_on: IsoDate | None = None
    reinstatement_reason: str | None = None


class ModifierCapacity(_Row):
    enterprise_uscc: str
    annual_capacity: int | None = Field(default=None, ge=0)
    exported_last_12_months: int | None = Field(default=None, ge=0)


class OpenLicense(_Row):
    license_no: str | None = None
    vins: list[str] | None = Field(default_factory=list)


class Facts(_Row):
    """Every collection; a missing one is empty."""

    registrations: list[Registration] = Field(default_factory=list)
    inspections: list[Inspection] = Field(default_factory=list)
    export_filings: list[ExportFiling] = Field(default_factory=list)
    manufacturers: list[Manufacturer] = Field(default_factory=list)
    confirmations: list[Confirmation] = Field(default_factory=list)
    announcement_products: list[AnnouncementProduct] = Field(default_factory=list)
    ccc_certificates: list[CccCertificate] = Field(default_factory=list)
    enterprises: list[Enterprise] = Field(default_factory=list)
    credit_events: list[CreditEvent] = Field(default_factory=list)
    modifier_capacity: list[ModifierCapacity] = Field(default_factory=list)
    open_licenses: list[OpenLicense] = Field(default_factory=list)
    # Optional (docs/decisions/0024): absent in a FACTS file, it is empty and every
    # verdict is as before.
    suspensions: list[Suspension] = Field(default_factory=list)
