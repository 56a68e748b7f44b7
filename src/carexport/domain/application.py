"""APPLICATION.json: one batch application for export licenses (CHECK_FORMAT.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from carexport.domain.dates import IsoDate


class _Input(BaseModel):
    # strict: a wrong type is an input error, not something to coerce; extra keys are
    # ignored because other systems add their own fields (the contract allows it).
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class VehicleLine(_Input):
    vin: str
    brand: str | None = None
    model: str | None = None
    registration_date: IsoDate | None = None
    transfer_for_export_date: IsoDate | None = None
    confirmation_id: str | None = None
    hs_code: str | None = None
    modified: bool | None = False
    chassis_brand: str | None = None
    modified_brand: str | None = None
    materials: list[str] | None = Field(default_factory=list)


class Application(_Input):
    application_id: str
    submitted_on: IsoDate
    enterprise_uscc: str
    issuing_agency: str | None = None
    destination_country: str
    vehicles: list[VehicleLine]
