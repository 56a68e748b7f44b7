"""Part 2 — license filling (商贸函〔2025〕648号 一（二）).

The license annex must match the 机动车登记证书. VIN validity and the existence of a
record were already required under 公告2024年第6号; the field comparisons start in 2026.
"""

from __future__ import annotations

from carexport.domain.facts import Registration
from carexport.domain.vin import check_digit, vin_problem
from carexport.rules.condition import Expr, FactsBuilder, col, on
from carexport.rules.context import Context, VehicleRow
from carexport.rules.registry import (
    LAW_2024,
    LAW_2026,
    Finding,
    RuleFactory,
    Scope,
    Section,
)

_rule = RuleFactory(Section.FILLING, Scope.VEHICLE, LAW_2026)

RULES = (
    _rule(
        "FILL.VIN_INVALID",
        "车辆识别代号不符合GB 16735：{problem_zh}",
        "The VIN does not conform to GB 16735: {problem_en}",
        ("vin",),
        effective_from=LAW_2024,
    ),
    _rule(
        "FILL.NO_REGISTRATION",
        "未查到该车辆识别代号的机动车登记信息",
        "No vehicle registration record exists for this VIN",
        ("vin", "registration"),
        effective_from=LAW_2024,
    ),
    _rule(
        "FILL.BRAND_MISMATCH",
        "许可证附表的品牌与机动车登记证书不一致",
        "The brand on the license annex differs from the registration certificate",
        ("brand", "registration.brand"),
    ),
    _rule(
        "FILL.MODEL_MISMATCH",
        "许可证附表的车辆型号与机动车登记证书不一致",
        "The model on the license annex differs from the registration certificate",
        ("model", "registration.model"),
    ),
    _rule(
        "FILL.REGISTRATION_DATE_MISMATCH",
        "附表注册登记日期{annex}与登记证书{record}不一致",
        "The annex registration date {annex} differs from the certificate's {record}",
        ("registration_date", "registration.registration_date"),
    ),
    _rule(
        "FILL.TRANSFER_DATE_MISMATCH",
        "附表转让登记（待出口）日期{annex}与登记证书{record}不一致",
        "The annex transfer-for-export date {annex} differs from the certificate's {record}",
        ("transfer_for_export_date", "registration.transfer_for_export_date"),
    ),
    _rule(
        "FILL.ANNEX_DATE_MISSING",
        "许可证附表未填写{missing_zh}",
        "The license annex lacks the {missing_en}",
        ("registration_date", "transfer_for_export_date"),
    ),
)

_record = col("has_record")


def _differs(annex: str, recorded: str) -> Expr:
    # A missing annex date is ANNEX_DATE_MISSING only, never also a mismatch.
    return _record & col(recorded).is_not_null() & on(col(annex) != col(recorded))


# When each rule fires (rules/condition.py), in the order findings are reported.
CONDITIONS: dict[str, Expr] = {
    "FILL.VIN_INVALID": col("vin_problem").is_not_null(),
    "FILL.NO_REGISTRATION": ~_record,
    "FILL.BRAND_MISMATCH": _record
    & col("rec_brand").is_not_null()
    & col("brand_text").ne_missing(col("rec_brand_text")),
    "FILL.MODEL_MISMATCH": _record
    & col("rec_model").is_not_null()
    & col("model_text").ne_missing(col("rec_model_text")),
    "FILL.REGISTRATION_DATE_MISMATCH": _differs("registration_date", "rec_registration_date"),
    "FILL.TRANSFER_DATE_MISMATCH": _differs(
        "transfer_for_export_date", "rec_transfer_for_export_date"
    ),
    "FILL.ANNEX_DATE_MISSING": col("registration_date").is_null()
    | col("transfer_for_export_date").is_null(),
}

_VIN_PROBLEMS = {
    "format": (
        "须为17位，仅含数字和除I、O、Q外的大写字母",
        "it must be 17 digits or capital letters other than I, O, Q",
    ),
    "check_digit": ("第9位校验位错误", "the check digit in position 9 is wrong"),
}
_DATE_NAMES = {
    "registration_date": ("注册登记日期", "registration date"),
    "transfer_for_export_date": ("转让登记（待出口）日期", "transfer-for-export date"),
}


# What each finding carries, for a row on which its condition holds (CONDITIONS).


def _vin_invalid(row: VehicleRow, ctx: Context) -> Finding | None:
    vin = row.line.vin
    problem = vin_problem(vin)
    assert problem is not None  # the condition: vin_problem is not null
    facts: dict[str, object] = {"vin": vin, "problem": problem}
    if problem == "check_digit":
        facts["expected_check_digit"] = check_digit(vin)
    zh, en = _VIN_PROBLEMS[problem]
    return ctx.finding("FILL.VIN_INVALID", facts, message_args={"problem_zh": zh, "problem_en": en})


def _registration(row: VehicleRow) -> Registration:
    assert row.record is not None  # the record rules' conditions require has_record
    return row.record


def _no_registration(row: VehicleRow, ctx: Context) -> Finding | None:
    return ctx.finding("FILL.NO_REGISTRATION", {"vin": row.line.vin})


def _brand(row: VehicleRow, ctx: Context) -> Finding | None:
    return ctx.finding(
        "FILL.BRAND_MISMATCH",
        {"annex_brand": row.line.brand, "record_brand": _registration(row).brand},
    )


def _model(row: VehicleRow, ctx: Context) -> Finding | None:
    return ctx.finding(
        "FILL.MODEL_MISMATCH",
        {"annex_model": row.line.model, "record_model": _registration(row).model},
    )


def _dates(rule_id: str, name: str) -> FactsBuilder:
    def build(row: VehicleRow, ctx: Context) -> Finding | None:
        annex, recorded = getattr(row.line, name), getattr(_registration(row), name)
        return ctx.finding(rule_id, {"annex": annex.isoformat(), "record": recorded.isoformat()})

    return build


def _annex_date_missing(row: VehicleRow, ctx: Context) -> Finding | None:
    missing = [
        name
        for name in ("registration_date", "transfer_for_export_date")
        if getattr(row.line, name) is None
    ]
    return ctx.finding(
        "FILL.ANNEX_DATE_MISSING",
        {"missing": missing},
        message_args={
            "missing_zh": "、".join(_DATE_NAMES[m][0] for m in missing),
            "missing_en": " and ".join(_DATE_NAMES[m][1] for m in missing),
        },
    )


FACTS: dict[str, FactsBuilder] = {
    "FILL.VIN_INVALID": _vin_invalid,
    "FILL.NO_REGISTRATION": _no_registration,
    "FILL.BRAND_MISMATCH": _brand,
    "FILL.MODEL_MISMATCH": _model,
    "FILL.REGISTRATION_DATE_MISMATCH": _dates(
        "FILL.REGISTRATION_DATE_MISMATCH", "registration_date"
    ),
    "FILL.TRANSFER_DATE_MISMATCH": _dates(
        "FILL.TRANSFER_DATE_MISMATCH", "transfer_for_export_date"
    ),
    "FILL.ANNEX_DATE_MISSING": _annex_date_missing,
}
