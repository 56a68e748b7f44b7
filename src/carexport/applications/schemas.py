"""Request and response bodies of the check API.

The verdict is the core's own model (`carexport.rules.verdict.Verdict`), so the API, the
CLI and `evaluate` cannot drift apart; it is re-exported here for the views.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from carexport.domain.application import Application
from carexport.domain.dates import IsoDate
from carexport.domain.facts import Facts
from carexport.rules.registry import Lang
from carexport.rules.verdict import Verdict

__all__ = ["CheckRequest", "ErrorBody", "Problem", "Verdict"]


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
