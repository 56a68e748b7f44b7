"""Request and response bodies of the check API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from carexport.domain.application import Application
from carexport.domain.dates import IsoDate
from carexport.domain.facts import Facts


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    application: Application
    facts: Facts = Field(default_factory=Facts)
    as_of: IsoDate | None = Field(
        default=None, description="默认为申请日期 / default: submitted_on"
    )
    lang: Literal["zh", "en"] = "zh"


class FindingRead(BaseModel):
    rule: str
    severity: Literal["fail", "review", "warn", "info"]
    clause: str
    message: str
    facts: dict[str, Any]
    parameters: dict[str, Any] | None = None


class VehicleVerdict(BaseModel):
    vin: str
    decision: Literal["pass", "review", "fail"]
    findings: list[FindingRead]


class Summary(BaseModel):
    vehicles: int
    pass_: int = Field(alias="pass")
    review: int
    fail: int


class ToPass(BaseModel):
    remove_vins: list[str] | None


class Verdict(BaseModel):
    """The verdict of CHECK_FORMAT.md (documented here for OpenAPI; the body is the dict)."""

    application_id: str
    as_of: str
    rules_version: str | None
    decision: Literal["pass", "review", "fail"]
    summary: Summary
    vehicles: list[VehicleVerdict]
    findings: list[FindingRead]
    to_pass: ToPass
