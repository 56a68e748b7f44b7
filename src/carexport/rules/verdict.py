"""The verdict of CHECK_FORMAT.md as one typed model, shared by evaluate, the CLI and the API.

The contract is stable: fields are only ever added. `as_json` is the one rendering of the
verdict as the contract's JSON object; `as_text` is what `carexport check` prints. Both
keep the field order and the omissions of the original hand-built dict, byte for byte
(tests/rules/test_verdict_bytes.py holds them to the recorded output of every rule case).
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from carexport.rules.registry import Finding, Lang, Severity


class Decision(StrEnum):
    PASS = "pass"
    REVIEW = "review"
    FAIL = "fail"


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class VerdictFinding(_Out):
    rule: str = Field(description="rule ID of RULES.md")
    severity: Severity
    clause: str
    message: str = Field(description="in the requested language")
    facts: dict[str, Any] = Field(description="the facts the finding was decided on")
    # Present only when the finding used a parameter of the law (as the contract's first
    # version wrote it): an absent key, never null.
    parameters: dict[str, Any] | None = Field(default=None, exclude_if=lambda value: value is None)

    @classmethod
    def of(cls, finding: Finding, lang: Lang) -> VerdictFinding:
        return cls(
            rule=finding.rule.id,
            severity=finding.severity,
            clause=finding.rule.clause,
            message=finding.message(lang),
            facts=finding.facts,
            parameters=finding.parameters or None,
        )


class VehicleVerdict(_Out):
    vin: str
    decision: Decision
    findings: list[VerdictFinding]


class Summary(_Out):
    vehicles: int
    pass_: int = Field(alias="pass")
    review: int
    fail: int


class ToPass(_Out):
    remove_vins: list[str] | None = Field(
        description="null when a top-level finding fails (removing vehicles cannot fix it)"
    )


class Verdict(_Out):
    """The verdict of CHECK_FORMAT.md."""

    application_id: str
    as_of: date
    rules_version: date | None = Field(
        description="latest effective_from among the rules and parameters in force on as_of"
    )
    decision: Decision
    summary: Summary
    vehicles: list[VehicleVerdict]
    findings: list[VerdictFinding] = Field(description="about the application or enterprise")
    to_pass: ToPass

    def as_json(self) -> dict[str, Any]:
        """The verdict as the contract's JSON object (plain dicts, lists and scalars)."""
        return self.model_dump(mode="json", by_alias=True)

    def as_text(self) -> str:
        """The verdict as `carexport check` prints it."""
        return json.dumps(self.as_json(), ensure_ascii=False, indent=2) + "\n"
