"""Evaluate one application: the verdict of CHECK_FORMAT.md."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.rules.banned import banned_findings
from carexport.rules.batch import application_findings, open_license_findings
from carexport.rules.catalogue import default_registry
from carexport.rules.context import Context, FactIndex, VehicleRow
from carexport.rules.credit import credit_findings
from carexport.rules.destination import destination_findings
from carexport.rules.filling import filling_findings
from carexport.rules.modified import modified_findings
from carexport.rules.near_new import near_new_findings
from carexport.rules.parameters import ParameterTable, default_parameters
from carexport.rules.registry import Finding, Registry, Severity

Lang = Literal["zh", "en"]

# Vehicle rule groups in RULES.md order; each is a pure function of one joined row.
VEHICLE_RULES = (
    near_new_findings,
    filling_findings,
    banned_findings,
    modified_findings,
    open_license_findings,
    destination_findings,
)


def decision_of(findings: Iterable[Finding]) -> str:
    severities = {f.severity for f in findings}
    if Severity.FAIL in severities:
        return "fail"
    if Severity.REVIEW in severities:
        return "review"
    return "pass"


def finding_json(finding: Finding, lang: Lang) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": finding.rule.id,
        "severity": finding.severity.value,
        "clause": finding.rule.clause,
        "message": finding.message(lang),
        "facts": finding.facts,
    }
    if finding.parameters:
        out["parameters"] = finding.parameters
    return out


def vehicle_findings(row: VehicleRow, ctx: Context) -> list[Finding]:
    return [f for group in VEHICLE_RULES for f in group(row, ctx) if f is not None]


def top_level_findings(ctx: Context) -> list[Finding]:
    return [f for f in (*application_findings(ctx), *credit_findings(ctx)) if f is not None]


def evaluate(
    application: Application,
    facts: Facts,
    as_of: date | None = None,
    lang: Lang = "zh",
    *,
    parameters: ParameterTable | None = None,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """The verdict for `application` on `as_of` (default: its submission date)."""
    day = as_of or application.submitted_on
    params = parameters or default_parameters()
    rules = registry or default_registry()
    ctx = Context(
        application=application,
        as_of=day,
        parameters=params,
        registry=rules,
        index=FactIndex(facts),
    )
    vehicles = []
    all_findings: list[Finding] = []
    failing_vins: list[str] = []
    counts = {"pass": 0, "review": 0, "fail": 0}
    for row in ctx.vehicle_rows():
        found = vehicle_findings(row, ctx)
        all_findings += found
        decision = decision_of(found)
        counts[decision] += 1
        if decision == "fail":
            failing_vins.append(row.line.vin)
        vehicles.append(
            {
                "vin": row.line.vin,
                "decision": decision,
                "findings": [finding_json(f, lang) for f in found],
            }
        )
    top = top_level_findings(ctx)
    all_findings += top
    top_fails = any(f.severity == Severity.FAIL for f in top)
    versions = [d for d in (rules.latest_change(day), params.latest_change(day)) if d]
    return {
        "application_id": application.application_id,
        "as_of": day.isoformat(),
        "rules_version": max(versions).isoformat() if versions else None,
        "decision": decision_of(all_findings),
        "summary": {"vehicles": len(vehicles), **counts},
        "vehicles": vehicles,
        "findings": [finding_json(f, lang) for f in top],
        # Removing vehicles cannot cure an application-level failure.
        "to_pass": {"remove_vins": None if top_fails else failing_vins},
    }
