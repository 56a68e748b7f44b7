"""Part 4 — modified vehicles (商贸函〔2025〕648号 二（四）、附件2), from 2026-01-01.

A modified vehicle must prove its modification (Annex 2), be a product in the MIIT
Announcement and hold a valid CCC certificate; the modifier's exports are weighed
against its capacity.
"""

from __future__ import annotations

from datetime import date

from carexport.domain.facts import AnnouncementProduct
from carexport.domain.text import is_blank, normalize_identifier, text_matches
from carexport.rules.condition import (
    AS_OF,
    Expr,
    FactsBuilder,
    any_in_force_above,
    col,
    count_in_force,
    in_force,
    on,
    param,
)
from carexport.rules.context import Context, VehicleRow
from carexport.rules.registry import LAW_2026, Finding, RuleFactory, Scope, Section, Severity

ANNEX2_ITEMS = (
    "modification_description",
    "photo_before_front",
    "photo_after_front",
    "photo_before_left_front",
    "photo_after_left_front",
    "photo_before_side",
    "photo_after_side",
    "photo_before_rear",
    "photo_after_rear",
    "nameplate_before",
    "nameplate_after",
    "chassis_purchase_agreement",
    "chassis_invoice",
    "device_purchase_agreement",
    "device_invoice",
    "announcement_parameter_page",
    "destination_test_report",
)


_rule = RuleFactory(Section.MODIFIED, Scope.VEHICLE, LAW_2026)

RULES = (
    _rule(
        "MOD.FIELDS_MISSING",
        "改装车辆须填写底盘品牌、改装车品牌和型号",
        "A modified vehicle needs its chassis brand, modified-vehicle brand and model",
        ("chassis_brand", "modified_brand", "model"),
    ),
    _rule(
        "MOD.MATERIALS_MISSING",
        "缺少附件2改装真实性证明材料{count}项",
        "{count} item(s) of the Annex 2 proof of modification are missing",
        ("materials",),
    ),
    _rule(
        "MOD.NOT_IN_ANNOUNCEMENT",
        "同类改装车产品未列入《道路机动车辆生产企业及产品公告》",
        "No product of this modified-vehicle brand and model is in force in the MIIT Announcement",
        ("modified_brand", "model", "announcement_products"),
    ),
    _rule(
        "MOD.NO_VALID_CCC",
        "该改装车品牌型号无有效的强制性产品认证（CCC）证书",
        "No valid CCC certificate covers this modified-vehicle brand and model",
        ("modified_brand", "model", "ccc_certificates"),
    ),
    _rule(
        "MOD.CAPACITY_EXCEEDED",
        "改装企业近12个月出口量超过其年产能的{ratio}倍，需人工核查",
        "The modifier exported more in the last 12 months than {ratio} times its annual "
        "capacity: a reviewer must check",
        ("modifier_capacity",),
        ("mod.capacity_ratio",),
        severity=Severity.REVIEW,
    ),
)


# When each rule fires (rules/condition.py), in the order findings are reported. Without
# brand and model nothing else can be looked up.
_gate = on(col("modified")) & in_force("MOD.FIELDS_MISSING")
_lookup = _gate & ~col("modified_brand_blank") & ~col("model_blank")
CONDITIONS: dict[str, Expr] = {
    "MOD.FIELDS_MISSING": _gate
    & (col("chassis_brand_blank") | col("modified_brand_blank") | col("model_blank")),
    "MOD.MATERIALS_MISSING": _lookup & ~on(col("materials").contains_all(ANNEX2_ITEMS)),
    "MOD.NOT_IN_ANNOUNCEMENT": _lookup
    & (count_in_force("products", "valid_from", "valid_to", AS_OF) == 0),
    "MOD.NO_VALID_CCC": _lookup
    & (count_in_force("certificates", "valid_from", "valid_to", AS_OF, "status_valid") == 0),
    "MOD.CAPACITY_EXCEEDED": _lookup
    & in_force("MOD.CAPACITY_EXCEEDED")
    & any_in_force_above(
        "products",
        "valid_from",
        "valid_to",
        AS_OF,
        "exported_last_12_months",
        "annual_capacity",
        param("mod.capacity_ratio"),
    ),
}


def _in_force(valid_from: date | None, valid_to: date | None, as_of: date) -> bool:
    # A null bound is open-ended (RULES.md, modified vehicles).
    return (valid_from is None or valid_from <= as_of) and (valid_to is None or as_of <= valid_to)


def _products(row: VehicleRow, ctx: Context) -> list[AnnouncementProduct]:
    return [
        p
        for p in ctx.index.facts.announcement_products
        if text_matches(p.brand, row.line.modified_brand)
        and text_matches(p.model, row.line.model)
        and _in_force(p.valid_from, p.valid_to, ctx.as_of)
    ]


# What each finding carries, for a row on which its condition holds (CONDITIONS).


def _fields_missing(row: VehicleRow, ctx: Context) -> Finding | None:
    empty = [
        name
        for name in ("chassis_brand", "modified_brand", "model")
        if is_blank(getattr(row.line, name))
    ]
    return ctx.finding("MOD.FIELDS_MISSING", {"missing": empty})


def _materials_missing(row: VehicleRow, ctx: Context) -> Finding | None:
    supplied = {m.strip() for m in row.line.materials or []}
    missing = [item for item in ANNEX2_ITEMS if item not in supplied]
    return ctx.finding(
        "MOD.MATERIALS_MISSING", {"missing": missing}, message_args={"count": len(missing)}
    )


def _identity(row: VehicleRow) -> dict[str, object]:
    return {"modified_brand": row.line.modified_brand, "model": row.line.model}


def _not_in_announcement(row: VehicleRow, ctx: Context) -> Finding | None:
    return ctx.finding("MOD.NOT_IN_ANNOUNCEMENT", _identity(row))


def _no_valid_ccc(row: VehicleRow, ctx: Context) -> Finding | None:
    return ctx.finding("MOD.NO_VALID_CCC", _identity(row))


def _capacity_exceeded(row: VehicleRow, ctx: Context) -> Finding | None:
    ratio: float = ctx.param("mod.capacity_ratio")
    # The holders over capacity, each once, in the order of their products.
    over = []
    holders = dict.fromkeys(normalize_identifier(p.enterprise_uscc) for p in _products(row, ctx))
    for holder in holders:
        cap = ctx.index.capacity.get(holder or "")
        if cap is None or cap.annual_capacity is None or cap.exported_last_12_months is None:
            continue
        if cap.exported_last_12_months > ratio * cap.annual_capacity:
            over.append(
                {
                    "enterprise_uscc": cap.enterprise_uscc,
                    "annual_capacity": cap.annual_capacity,
                    "exported_last_12_months": cap.exported_last_12_months,
                }
            )
    return ctx.finding(
        "MOD.CAPACITY_EXCEEDED",
        {**_identity(row), "modifiers": over},
        parameters={"mod.capacity_ratio": ratio},
        message_args={"ratio": ratio},
    )


FACTS: dict[str, FactsBuilder] = {
    "MOD.FIELDS_MISSING": _fields_missing,
    "MOD.MATERIALS_MISSING": _materials_missing,
    "MOD.NOT_IN_ANNOUNCEMENT": _not_in_announcement,
    "MOD.NO_VALID_CCC": _no_valid_ccc,
    "MOD.CAPACITY_EXCEEDED": _capacity_exceeded,
}
