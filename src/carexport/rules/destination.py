"""Part 8 — the destination market: advice only, from the country table (RULES.md §8)."""

from __future__ import annotations

from carexport.domain.country import country_code
from carexport.rules.condition import AS_OF, Expr, FactsBuilder, coalesce, col, on
from carexport.rules.context import Context, VehicleRow
from carexport.rules.destinations import Destination, destination
from carexport.rules.registry import LAW_2024, Finding, RuleFactory, Scope, Section, Severity

# Vehicles registered in China are left-hand drive.
VEHICLE_DRIVE_SIDE = "LHD"

_rule = RuleFactory(Section.DESTINATION, Scope.VEHICLE, LAW_2024, Severity.WARN)

RULES = (
    _rule(
        "DEST.AGE_LIMIT",
        zh="车龄超过目的国进口车龄上限（{age_limit_years}年）",
        en="The vehicle is older than the destination's import age limit of "
        "{age_limit_years} years",
        inputs=("registration_date", "destination_country", "destinations.age_limit_years"),
    ),
    _rule(
        "DEST.RESTRICTED",
        zh="目的国限制此类二手车进口：{reasons_zh}",
        en="The destination restricts such used-vehicle imports: {reasons_en}",
        inputs=(
            "destination_country",
            "destinations.drive_side",
            "destinations.used_imports_banned",
        ),
    ),
)

# When each rule fires (rules/condition.py), in the order findings are reported.
_listed = col("dest_listed")
_registered = coalesce(col("rec_registration_date"), col("registration_date"))
_drive = col("dest_drive_side")
CONDITIONS: dict[str, Expr] = {
    "DEST.AGE_LIMIT": _listed & on(_registered.add_years(col("dest_age_limit_years")) < AS_OF),
    "DEST.RESTRICTED": _listed
    & (
        on(col("dest_used_imports_banned"))
        | (_drive.is_not_null() & ~_drive.is_in([VEHICLE_DRIVE_SIDE, "both"]))
    ),
}

_REASONS = {
    "used_imports_banned": ("禁止二手车进口", "used imports are banned"),
    "right_hand_drive_only": (
        "仅允许右舵车（中国车辆为左舵）",
        "right-hand drive only (Chinese vehicles are left-hand drive)",
    ),
}


# What each finding carries, for a row on which its condition holds (CONDITIONS).


def _table(ctx: Context) -> tuple[Destination, dict[str, object]]:
    code = country_code(ctx.application.destination_country)
    entry = destination(code) if code is not None else None
    assert entry is not None  # the conditions require dest_listed
    return entry, {
        "destination_country": code,
        "source": entry.source,
        "checked_on": entry.checked_on.isoformat(),
    }


def _age_limit(row: VehicleRow, ctx: Context) -> Finding | None:
    entry, table = _table(ctx)
    registered = row.registration_date
    assert registered is not None  # the condition compares it
    return ctx.finding(
        "DEST.AGE_LIMIT",
        {
            **table,
            "registration_date": registered.isoformat(),
            "age_limit_years": entry.age_limit_years,
            "age_days": (ctx.as_of - registered).days,
        },
    )


def _restricted(row: VehicleRow, ctx: Context) -> Finding | None:
    entry, table = _table(ctx)
    reasons = []
    if entry.used_imports_banned is True:
        reasons.append("used_imports_banned")
    if entry.drive_side is not None and entry.drive_side not in (VEHICLE_DRIVE_SIDE, "both"):
        reasons.append("right_hand_drive_only")
    return ctx.finding(
        "DEST.RESTRICTED",
        {**table, "reasons": reasons, "drive_side": entry.drive_side},
        message_args={
            "reasons_zh": "；".join(_REASONS[r][0] for r in reasons),
            "reasons_en": "; ".join(_REASONS[r][1] for r in reasons),
        },
    )


FACTS: dict[str, FactsBuilder] = {"DEST.AGE_LIMIT": _age_limit, "DEST.RESTRICTED": _restricted}
