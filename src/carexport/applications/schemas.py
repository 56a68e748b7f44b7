"""Request and response bodies of the check API.

The verdict is the core's own model (`carexport.rules.verdict.Verdict`), so the API, the
CLI and `evaluate` cannot drift apart; it is re-exported here for the views.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from carexport.domain.application import Application
from carexport.domain.dates import IsoDate
from carexport.domain.facts import Facts
from carexport.rules.registry import Lang
from carexport.rules.verdict import Verdict

__all__ = ["CheckRequest", "ErrorBody", "Problem", "Verdict"]  # and the workflow bodies below


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    application: Application
    facts: Facts = Field(default_factory=Facts)
    as_of: IsoDate | None = Field(
        default=None, description="默认为申请日期 / default: submitted_on"
    )
    lang: Lang = Lang.ZH


class Problem(BaseModel):
    field: str = Field(description="the field path, e.g. body.application.vehicles[0].vin")
    reason: str
    type: str = Field(description="the kind of problem (Pydantic's error type or our own)")


class ErrorBody(BaseModel):
    """Every refused request (413, 415, 422): one problem per field."""

    detail: str | list[dict[str, object]]
    problems: list[Problem]


# --- the workflow API (WORKFLOW.md). Exporters and agency staff get separate read
# schemas: what only the agency may see (who recommended, who decided) is in
# `ApplicationReviewRead` alone, so an exporter's answer cannot carry it by accident.

_MAX_REASON_CHARS = 2000
_MAX_VERSION = 2**31 - 1


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class VersionBody(_Body):
    version: int = Field(ge=0, le=_MAX_VERSION)


class WithdrawBody(VersionBody):
    reason: str | None = Field(default=None, max_length=_MAX_REASON_CHARS)


class DecisionBody(VersionBody):
    action: Literal["approve", "refuse", "return"]
    reason: str | None = Field(default=None, max_length=_MAX_REASON_CHARS)


class EditBody(VersionBody):
    application: dict[str, Any]


class ExtendBody(_Body):
    valid_to: IsoDate
    reason: str | None = Field(default=None, max_length=_MAX_REASON_CHARS)


class StatusChangeRead(BaseModel):
    action: str
    from_status: str | None
    to_status: str
    reason: str | None
    at: str
    version: int


class StatusChangeReviewRead(StatusChangeRead):
    user_id: int | None


class ApplicationSummary(BaseModel):
    id: int
    application_id: str
    status: str
    version: int
    due_on: date | None
    decision: str | None
    overdue: bool
    issuing_agency: str | None
    enterprise_uscc: str
    submitted_on: date | None


class ApplicationList(BaseModel):
    items: list[ApplicationSummary]


class ApplicationRead(BaseModel):
    id: int
    application_id: str
    status: str
    version: int
    application: dict[str, Any] | None
    verdict: dict[str, Any] | None
    decision: str | None
    due_on: date | None
    overdue: bool
    submitted_on: date | None
    license_year: int | None
    license_no: str | None
    changes: list[StatusChangeRead]


class ApplicationReviewRead(ApplicationRead):
    changes: list[StatusChangeReviewRead]  # type: ignore[assignment]
    recommended_by: int | None


class AnnexLine(BaseModel):
    vin: str
    brand: str | None
    model: str | None
    registration_date: date | None
    transfer_for_export_date: date | None


class LicenseRead(BaseModel):
    license_no: str | None
    status: str
    issued_on: date | None
    valid_from: date | None
    valid_to: date | None
    agency: str | None
    enterprise_uscc: str | None
    destination_country: str | None
    application: int | None
    annex: list[AnnexLine]


class Refusal(BaseModel):
    """401, 403, 404: what is wrong, in 中文 / English."""

    detail: str


class ConflictBody(BaseModel):
    """409: the action does not fit the current status or version; reload and retry."""

    detail: str
    status: str | None
    version: int | None
