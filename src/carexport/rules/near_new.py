"""Part 1 — near-new vehicles (商贸函〔2025〕648号 一（一）), from 2026-01-01.

A vehicle applying within `n180.days` of first registration needs a 售后服务确认书 from
its own manufacturer naming the destination, the vehicle and outlets there. A named
confirmation is verified even when the window does not apply: a forged paper is an
Annex 1 item 4 offence whatever the vehicle's age.
"""

from __future__ import annotations

from carexport.domain.facts import Confirmation, Manufacturer, ManufacturerKind
from carexport.domain.text import normalize_identifier, normalize_text
from carexport.rules.condition import (
    Expr,
    FactsBuilder,
    coalesce,
    col,
    days_between,
    in_force,
    on,
    param,
)
from carexport.rules.context import Context, FactIndex, VehicleRow
from carexport.rules.registry import LAW_2026, Finding, RuleFactory, Scope, Section, Severity
from carexport.seals import verify_document

_rule = RuleFactory(
    Section.NEAR_NEW,
    Scope.VEHICLE,
    LAW_2026,
    parameters=("n180.days", "n180.transition_before"),
)

RULES = (
    _rule(
        "N180.TRANSITION",
        "注册登记后第{days_since_registration}天申请出口，但已于{transfer_for_export_date}"
        "（{transition_before}前）办理转让登记待出口手续，不适用180天规定",
        "Applied on day {days_since_registration} after registration, but the transfer for "
        "export was registered on {transfer_for_export_date}, before {transition_before}: "
        "the near-new rule does not apply",
        ("registration.transfer_for_export_date",),
        severity=Severity.INFO,
    ),
    _rule(
        "N180.CONFIRMATION_MISSING",
        "注册登记后第{days_since_registration}天申请出口（≤{n180_days}天），"
        "须提交生产企业出具的《售后服务确认书》",
        "Applied on day {days_since_registration} after registration (within {n180_days} "
        "days): an after-sales service confirmation from the manufacturer is required",
        ("registration_date", "confirmation_id"),
        severity=Severity.FAIL,
    ),
    _rule(
        "N180.ISSUER_NOT_MANUFACTURER",
        "《售后服务确认书》出具方不是本车品牌列入《公告》的生产企业（集团销售公司、改装企业不得出具）",
        "The confirmation's issuer is not a manufacturer of this brand listed in the MIIT "
        "Announcement (a group sales company or a modifier may not issue it)",
        ("confirmation.issuer_uscc", "manufacturer.kind", "manufacturer.brands"),
        severity=Severity.FAIL,
    ),
    _rule(
        "N180.CONFIRMATION_MISMATCH",
        "《售后服务确认书》所载{fields_zh}与申请不一致",
        "The confirmation's {fields_en} differ from the application",
        ("confirmation.vin", "confirmation.brand", "confirmation.model", "destination_country"),
        severity=Severity.FAIL,
    ),
    _rule(
        "N180.NO_OUTLET_IN_DESTINATION",
        "《售后服务确认书》未列明出口目的国的售后服务网点",
        "The confirmation lists no after-sales service outlet in the destination country",
        ("confirmation.outlets", "destination_country"),
        severity=Severity.FAIL,
    ),
    _rule(
        "N180.SEAL_INVALID",
        "《售后服务确认书》电子签章（SM2）验证失败：文件被篡改、密钥不符或签名无效",
        "The confirmation's SM2 seal does not verify: altered document, wrong key or invalid "
        "signature",
        ("confirmation", "manufacturer.public_key"),
        severity=Severity.FAIL,
    ),
    _rule(
        "N180.CONFIRMATION_REVOKED",
        "《售后服务确认书》已撤销或出具日期晚于申请日期",
        "The confirmation is revoked or was issued after the application was submitted",
        ("confirmation.revoked", "confirmation.issued_on", "submitted_on"),
        severity=Severity.FAIL,
    ),
)

# When each rule fires (rules/condition.py), in the order findings are reported. The
# window counts to the submission day; a named confirmation's seal is checked whether or
# not the window applies.
_registered = coalesce(col("rec_registration_date"), col("registration_date"))
_gate = in_force("N180.CONFIRMATION_MISSING")
_window = on(days_between(_registered, col("submitted_on")) <= param("n180.days"))
_transition = _window & on(col("rec_transfer_for_export_date") < param("n180.transition_before"))
_applies = _window & ~_transition
_confirmed = _gate & _applies & col("has_confirmation")
_vehicle_brand_text = coalesce(col("brand_text"), col("rec_brand_text"))
_issuer_problem = (
    ~col("issuer_known")
    | on(col("issuer_kind") != ManufacturerKind.MANUFACTURER.value)
    | col("issuer_kind").is_null()
    | ~on(col("issuer_in_announcement"))
    | _vehicle_brand_text.is_null()
    | ~on(col("issuer_brands_text").contains(_vehicle_brand_text))
)
_mismatch = (
    ~on(col("conf_vin_keys").contains(col("vin_key")))
    | col("conf_brand_text").ne_missing(col("brand_text"))
    | col("conf_model_text").ne_missing(col("model_text"))
    | col("conf_destination_key").ne_missing(col("destination_key"))
)
CONDITIONS: dict[str, Expr] = {
    "N180.TRANSITION": _gate & _transition,
    "N180.CONFIRMATION_MISSING": _gate & _applies & ~col("has_confirmation"),
    "N180.ISSUER_NOT_MANUFACTURER": _confirmed & _issuer_problem,
    "N180.CONFIRMATION_MISMATCH": _confirmed & _mismatch,
    "N180.NO_OUTLET_IN_DESTINATION": _confirmed
    & ~on(col("conf_outlet_keys").contains(col("destination_key"))),
    "N180.SEAL_INVALID": _gate & col("has_confirmation") & col("seal_problem").is_not_null(),
    "N180.CONFIRMATION_REVOKED": _confirmed
    & (on(col("conf_revoked")) | on(col("conf_issued_on") > col("submitted_on"))),
}

_FIELD_NAMES_ZH = {
    "vin": "车辆识别代号",
    "brand": "品牌",
    "model": "型号",
    "destination_country": "目的国",
}
_FIELD_NAMES_EN = {
    "vin": "VIN",
    "brand": "brand",
    "model": "model",
    "destination_country": "destination",
}


def _vehicle_brand(row: VehicleRow) -> str | None:
    if row.line.brand is not None:
        return row.line.brand
    return row.record.brand if row.record is not None else None


def _issuer_problems(row: VehicleRow, issuer: Manufacturer | None) -> list[str]:
    if issuer is None:
        return ["issuer_unknown"]
    problems = []
    if issuer.kind != ManufacturerKind.MANUFACTURER:
        problems.append("not_manufacturer")
    if issuer.in_announcement is not True:
        problems.append("not_in_announcement")
    brand = normalize_text(_vehicle_brand(row))
    if brand is None or brand not in {normalize_text(b) for b in issuer.brands or []}:
        problems.append("brand_not_covered")
    return problems


def _mismatched_fields(row: VehicleRow, conf: Confirmation, destination: str) -> list[str]:
    fields = []
    vins = [conf.vin] if conf.vin is not None else []
    vins += conf.vins or []
    if normalize_identifier(row.line.vin) not in {normalize_identifier(v) for v in vins}:
        fields.append("vin")
    if normalize_text(conf.brand) != normalize_text(row.line.brand):
        fields.append("brand")
    if normalize_text(conf.model) != normalize_text(row.line.model):
        fields.append("model")
    if normalize_identifier(conf.destination_country) != normalize_identifier(destination):
        fields.append("destination_country")
    return fields


def seal_problem(conf: Confirmation, issuer: Manufacturer | None) -> str | None:
    """Why the confirmation's seal fails, or None when it verifies."""
    if issuer is None:
        return "issuer unknown: no public key"
    if not issuer.public_key:
        return "issuer has no public key"
    return verify_document(conf.signed_document(), issuer.public_key)


def indexed_seal_problem(
    index: FactIndex, conf: Confirmation, issuer: Manufacturer | None
) -> str | None:
    """seal_problem, verified once per confirmation and issuer of `index`."""
    key = (id(conf), id(issuer))
    if key not in index.seal_problems:
        index.seal_problems[key] = seal_problem(conf, issuer)
    return index.seal_problems[key]


# What each finding carries, for a row on which its condition holds (CONDITIONS).


def _confirmation(row: VehicleRow) -> Confirmation:
    # Every confirmation rule's condition requires has_confirmation.
    assert row.confirmation is not None
    return row.confirmation


def _conf_facts(conf: Confirmation) -> dict[str, object]:
    return {"confirmation_id": conf.id, "issuer_uscc": conf.issuer_uscc}


def _registration(row: VehicleRow) -> dict[str, object]:
    registered = row.registration_date
    return {
        "registration_date": registered.isoformat() if registered else None,
        "days_since_registration": row.days_since_registration,
    }


def _transition_finding(row: VehicleRow, ctx: Context) -> Finding | None:
    transition_before = ctx.param("n180.transition_before")
    transfer = row.record.transfer_for_export_date if row.record else None
    return ctx.finding(
        "N180.TRANSITION",
        {
            **_registration(row),
            "transfer_for_export_date": transfer.isoformat() if transfer else None,
        },
        parameters={"n180.transition_before": transition_before.isoformat()},
        message_args={"transition_before": transition_before.isoformat()},
    )


def _missing(row: VehicleRow, ctx: Context) -> Finding | None:
    limit: int = ctx.param("n180.days")
    facts = _registration(row)
    if row.line.confirmation_id is not None:
        facts["confirmation_id"] = row.line.confirmation_id
    return ctx.finding(
        "N180.CONFIRMATION_MISSING",
        facts,
        parameters={"n180.days": limit},
        message_args={"n180_days": limit},
    )


def _issuer(row: VehicleRow, ctx: Context) -> Finding | None:
    issuer = row.issuer
    return ctx.finding(
        "N180.ISSUER_NOT_MANUFACTURER",
        {
            **_conf_facts(_confirmation(row)),
            "problems": _issuer_problems(row, issuer),
            "issuer_kind": issuer.kind.value if issuer and issuer.kind else None,
            "issuer_in_announcement": issuer.in_announcement if issuer else None,
            "issuer_brands": list(issuer.brands or []) if issuer else [],
            "vehicle_brand": _vehicle_brand(row),
        },
    )


def _mismatch_finding(row: VehicleRow, ctx: Context) -> Finding | None:
    conf, app = _confirmation(row), ctx.application
    fields = _mismatched_fields(row, conf, app.destination_country)
    return ctx.finding(
        "N180.CONFIRMATION_MISMATCH",
        {
            **_conf_facts(conf),
            "fields": fields,
            "confirmation": {
                "vin": conf.vin,
                "vins": conf.vins,
                "brand": conf.brand,
                "model": conf.model,
                "destination_country": conf.destination_country,
            },
            "application": {
                "vin": row.line.vin,
                "brand": row.line.brand,
                "model": row.line.model,
                "destination_country": app.destination_country,
            },
        },
        message_args={
            "fields_zh": "、".join(_FIELD_NAMES_ZH[f] for f in fields),
            "fields_en": ", ".join(_FIELD_NAMES_EN[f] for f in fields),
        },
    )


def _no_outlet(row: VehicleRow, ctx: Context) -> Finding | None:
    conf = _confirmation(row)
    return ctx.finding(
        "N180.NO_OUTLET_IN_DESTINATION",
        {
            **_conf_facts(conf),
            "destination_country": ctx.application.destination_country,
            "outlet_countries": [o.country for o in conf.outlets or []],
        },
    )


def _seal(row: VehicleRow, ctx: Context) -> Finding | None:
    conf = _confirmation(row)
    reason = indexed_seal_problem(ctx.index, conf, row.issuer)
    return ctx.finding("N180.SEAL_INVALID", {**_conf_facts(conf), "reason": reason})


def _revoked(row: VehicleRow, ctx: Context) -> Finding | None:
    conf = _confirmation(row)
    return ctx.finding(
        "N180.CONFIRMATION_REVOKED",
        {
            **_conf_facts(conf),
            "revoked": conf.revoked is True,
            "issued_on": conf.issued_on.isoformat() if conf.issued_on else None,
            "submitted_on": ctx.application.submitted_on.isoformat(),
        },
    )


FACTS: dict[str, FactsBuilder] = {
    "N180.TRANSITION": _transition_finding,
    "N180.CONFIRMATION_MISSING": _missing,
    "N180.ISSUER_NOT_MANUFACTURER": _issuer,
    "N180.CONFIRMATION_MISMATCH": _mismatch_finding,
    "N180.NO_OUTLET_IN_DESTINATION": _no_outlet,
    "N180.SEAL_INVALID": _seal,
    "N180.CONFIRMATION_REVOKED": _revoked,
}
