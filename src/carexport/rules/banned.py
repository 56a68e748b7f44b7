"""Part 3 — vehicles that may not be exported (公告2024年第6号 六; 648号 附件1 一、四、五).

The record-based rules need a registration record; without one FILL.NO_REGISTRATION
already fails the vehicle and there is nothing to judge them on.
"""

from __future__ import annotations

import unicodedata

from carexport.domain.facts import InspectionResult, Registration
from carexport.rules.condition import (
    AS_OF,
    Expr,
    FactsBuilder,
    col,
    exists_on_or_before,
    latest_flag,
    on,
    param,
)
from carexport.rules.context import Context, VehicleRow
from carexport.rules.registry import LAW_2024, Finding, RuleFactory, Scope, Section

_rule = RuleFactory(Section.BANNED, Scope.VEHICLE, LAW_2024)

RULES = (
    _rule(
        "BAN.STATUS",
        "机动车状态为“{status}”（{meanings}），不是正常状态（A），不得出口",
        "The vehicle's registration status is not A (normal): it may not be exported",
        ("registration.status",),
    ),
    _rule(
        "BAN.MORTGAGED",
        "车辆处于抵押登记状态且未解除，不得出口",
        "The vehicle carries an unreleased mortgage: it may not be exported",
        ("registration.mortgaged",),
    ),
    _rule(
        "BAN.SCRAP_DUE",
        "车辆已达到报废标准或距报废年限1年以内（报废期限{scrap_due_date}），不得出口",
        "The vehicle has reached the scrapping standard or is within {margin_days} days of its "
        "scrapping age limit ({scrap_due_date}): it may not be exported",
        ("registration.scrap_due_date",),
        ("ban.scrap_margin_days",),
    ),
    _rule(
        "BAN.CUSTOMS_SUPERVISED",
        "车辆处于海关监管期间，不得出口",
        "The vehicle is under customs supervision: it may not be exported",
        ("registration.customs_supervised",),
    ),
    _rule(
        "BAN.INSPECTION_MISSING",
        "无该车的第三方检测报告（一车一检，WM/T 8-2022、WM/T 9-2022）",
        "No third-party inspection report exists for this vehicle (one inspection per car)",
        ("inspections",),
    ),
    _rule(
        "BAN.INSPECTION_FAILED",
        "该车最近一次第三方检测（{inspected_on}）结论为不合格",
        "The vehicle's latest third-party inspection ({inspected_on}) failed",
        ("inspections",),
    ),
    _rule(
        "BAN.SECOND_TRANSFER",
        "车辆已第{export_transfer_count}次办理转让登记待出口（二次转让待出口），不得出口",
        "The vehicle was transferred for export {export_transfer_count} times (a second "
        "transfer for export): it may not be exported",
        ("registration.export_transfer_count",),
    ),
    _rule(
        "BAN.OWNER_NOT_EXPORTER",
        "机动车登记所有人不是申请企业（谁出口谁申领）",
        "The registered owner is not the applying enterprise (only the owner may apply)",
        ("registration.owner_uscc", "enterprise_uscc"),
    ),
)

# When each rule fires (rules/condition.py), in the order findings are reported. The
# record-based rules need a record; an absent fact (null) proves nothing either way.
# Inspection reports dated after as_of do not exist yet for the check.
_record = col("has_record")
_codes = col("rec_status_codes")
CONDITIONS: dict[str, Expr] = {
    "BAN.STATUS": _record & ((_codes.len() == 0) | on(_codes.any_other_than("A"))),
    "BAN.MORTGAGED": _record & on(col("rec_mortgaged")),
    "BAN.SCRAP_DUE": _record
    & on(col("rec_scrap_due_date") <= AS_OF.plus_days(param("ban.scrap_margin_days"))),
    "BAN.CUSTOMS_SUPERVISED": _record & on(col("rec_customs_supervised")),
    "BAN.SECOND_TRANSFER": _record & on(col("rec_export_transfer_count") > 1),
    "BAN.OWNER_NOT_EXPORTER": _record & on(col("rec_owner_key") != col("enterprise_key")),
    "BAN.INSPECTION_MISSING": ~exists_on_or_before("inspections", "inspected_on", AS_OF),
    "BAN.INSPECTION_FAILED": latest_flag("inspections", "inspected_on", "failed", AS_OF),
}

# Vehicle status codes of the traffic-management record (机动车状态).
STATUS_MEANINGS = {
    "A": "正常",
    "B": "转出",
    "C": "被盗抢",
    "D": "停驶",
    "E": "注销",
    "G": "违法未处理",
    "H": "海关监管",
    "I": "事故未处理",
    "J": "嫌疑车",
    "K": "查封",
    "L": "暂扣",
    "M": "强制注销",
    "N": "事故逃逸",
    "O": "锁定",
    "P": "达到报废标准",
    "Q": "逾期未检验",
}


def status_codes(status: str | None) -> list[str]:
    """The code letters of a status such as "A", "GK" or "G,K"."""
    if status is None:
        return []
    text = unicodedata.normalize("NFKC", status).upper()
    return [c for c in text if c.isalpha()]


# What each finding carries, for a row on which its condition holds (CONDITIONS).


def _registration(row: VehicleRow) -> Registration:
    assert row.record is not None  # the record rules' conditions require has_record
    return row.record


def _status(row: VehicleRow, ctx: Context) -> Finding | None:
    status = _registration(row).status
    bad = [c for c in status_codes(status) if c != "A"]
    meanings = [STATUS_MEANINGS.get(c, "未知状态") for c in bad] or ["无状态"]
    return ctx.finding(
        "BAN.STATUS",
        {"status": status, "codes": bad, "meanings": meanings},
        message_args={"status": status or "", "meanings": "、".join(meanings)},
    )


def _mortgaged(row: VehicleRow, ctx: Context) -> Finding | None:
    return ctx.finding("BAN.MORTGAGED", {"mortgaged": True})


def _scrap_due(row: VehicleRow, ctx: Context) -> Finding | None:
    margin: int = ctx.param("ban.scrap_margin_days")
    due = _registration(row).scrap_due_date
    assert due is not None  # the condition compares it
    return ctx.finding(
        "BAN.SCRAP_DUE",
        {"scrap_due_date": due.isoformat()},
        parameters={"ban.scrap_margin_days": margin},
        message_args={"margin_days": margin},
    )


def _customs(row: VehicleRow, ctx: Context) -> Finding | None:
    return ctx.finding("BAN.CUSTOMS_SUPERVISED", {"customs_supervised": True})


def _second_transfer(row: VehicleRow, ctx: Context) -> Finding | None:
    count = _registration(row).export_transfer_count
    return ctx.finding("BAN.SECOND_TRANSFER", {"export_transfer_count": count})


def _owner(row: VehicleRow, ctx: Context) -> Finding | None:
    return ctx.finding(
        "BAN.OWNER_NOT_EXPORTER",
        {
            "owner_uscc": _registration(row).owner_uscc,
            "enterprise_uscc": ctx.application.enterprise_uscc,
        },
    )


def _inspection_missing(row: VehicleRow, ctx: Context) -> Finding | None:
    # None is on or before as_of: every report there is comes later.
    return ctx.finding(
        "BAN.INSPECTION_MISSING", {"vin": row.line.vin, "later_reports": len(row.inspections)}
    )


def _inspection_failed(row: VehicleRow, ctx: Context) -> Finding | None:
    # The report the condition saw: the first failed one of the latest day on or
    # before as_of.
    latest = max(r.inspected_on for r in row.inspections if r.inspected_on <= ctx.as_of)
    failed = next(
        r for r in row.inspections if r.inspected_on == latest and r.result == InspectionResult.FAIL
    )
    return ctx.finding(
        "BAN.INSPECTION_FAILED",
        {
            "inspected_on": latest.isoformat(),
            "report_no": failed.report_no,
            "body": failed.body,
            "standard": failed.standard,
        },
    )


FACTS: dict[str, FactsBuilder] = {
    "BAN.STATUS": _status,
    "BAN.MORTGAGED": _mortgaged,
    "BAN.SCRAP_DUE": _scrap_due,
    "BAN.CUSTOMS_SUPERVISED": _customs,
    "BAN.SECOND_TRANSFER": _second_transfer,
    "BAN.OWNER_NOT_EXPORTER": _owner,
    "BAN.INSPECTION_MISSING": _inspection_missing,
    "BAN.INSPECTION_FAILED": _inspection_failed,
}
