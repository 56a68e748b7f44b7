"""Part 6 — the application as a whole (公告2024年第6号, 一批一证), from 2024-03-01."""

from __future__ import annotations

from carexport.domain.country import country_code
from carexport.domain.text import is_blank, normalize_identifier
from carexport.domain.uscc import is_valid_uscc
from carexport.rules.condition import Expr, FactsBuilder, col
from carexport.rules.context import Context, VehicleRow
from carexport.rules.registry import LAW_2024, Finding, RuleFactory, Scope, Section

_rule = RuleFactory(Section.APPLICATION, Scope.APPLICATION, LAW_2024)

RULES = (
    _rule(
        "APP.NO_VEHICLES", "申请未列明任何车辆", "The application lists no vehicle", ("vehicles",)
    ),
    _rule(
        "APP.DUPLICATE_VIN",
        "同一车辆识别代号在申请中出现{count}次",
        "A VIN appears {count} times in the application",
        ("vehicles.vin",),
    ),
    _rule(
        "APP.VIN_IN_OPEN_LICENSE",
        "该车已在另一张未使用完毕的出口许可证上（一批一证）",
        "The vehicle is already on another open export license (one license per batch)",
        ("vin", "open_licenses"),
        scope=Scope.VEHICLE,
    ),
    _rule(
        "APP.ENTERPRISE_USCC_INVALID",
        "申请企业统一社会信用代码不符合GB 32100",
        "The enterprise's unified social credit code is not valid under GB 32100",
        ("enterprise_uscc",),
    ),
    _rule(
        "APP.COUNTRY_UNKNOWN",
        "出口目的国不是ISO 3166-1国家代码",
        "The destination is not an ISO 3166-1 country code",
        ("destination_country",),
    ),
    _rule(
        "APP.EXPORTER_NOT_FILED",
        "申请企业在{as_of}无有效的二手车出口备案（谁出口谁申领）",
        "The enterprise has no export filing valid on {as_of} (only filed exporters apply, "
        "for themselves)",
        ("enterprise_uscc", "export_filings"),
    ),
    _rule(
        "APP.TOO_MANY_VEHICLES",
        "一张许可证最多{max_vehicles}辆车，本申请{count}辆",
        "One license holds at most {max_vehicles} vehicles; this application has {count}",
        ("vehicles",),
        parameters=("app.max_vehicles",),
    ),
    _rule(
        "APP.MIXED_HS_CODE",
        "申请车辆的海关商品编码不一致（一证一个商品编码）",
        "The vehicles carry different HS codes (one license, one HS code)",
        ("vehicles.hs_code",),
    ),
)


# The one vehicle rule of this part (rules/condition.py).
CONDITIONS: dict[str, Expr] = {"APP.VIN_IN_OPEN_LICENSE": col("open_license_count") > 0}


def _open_license(row: VehicleRow, ctx: Context) -> Finding | None:
    return ctx.finding(
        "APP.VIN_IN_OPEN_LICENSE", {"vin": row.line.vin, "license_nos": list(row.open_licenses)}
    )


# What the finding carries, for a row on which the condition holds.
FACTS: dict[str, FactsBuilder] = {"APP.VIN_IN_OPEN_LICENSE": _open_license}


def application_findings(ctx: Context) -> list[Finding | None]:
    app = ctx.application
    out: list[Finding | None] = []
    if not app.vehicles:
        out.append(ctx.finding("APP.NO_VEHICLES", {"vehicles": 0}))
    seen: dict[str, list[int]] = {}
    for position, line in enumerate(app.vehicles):
        if not is_blank(line.vin):
            seen.setdefault(normalize_identifier(line.vin) or "", []).append(position)
    for positions in seen.values():
        if len(positions) > 1:
            out.append(
                ctx.finding(
                    "APP.DUPLICATE_VIN",
                    {
                        "vin": app.vehicles[positions[0]].vin,
                        "positions": positions,
                        "count": len(positions),
                    },
                )
            )
    if not is_valid_uscc(app.enterprise_uscc):
        out.append(
            ctx.finding("APP.ENTERPRISE_USCC_INVALID", {"enterprise_uscc": app.enterprise_uscc})
        )
    if country_code(app.destination_country) is None:
        out.append(
            ctx.finding("APP.COUNTRY_UNKNOWN", {"destination_country": app.destination_country})
        )
    filings = ctx.index.filings.get(ctx.enterprise_key, [])
    if not any(f.valid_from <= ctx.as_of <= f.valid_to for f in filings):
        out.append(
            ctx.finding(
                "APP.EXPORTER_NOT_FILED",
                {
                    "enterprise_uscc": app.enterprise_uscc,
                    "filings": [
                        {"valid_from": f.valid_from.isoformat(), "valid_to": f.valid_to.isoformat()}
                        for f in filings
                    ],
                },
                message_args={"as_of": ctx.as_of.isoformat()},
            )
        )
    if ctx.in_force("APP.TOO_MANY_VEHICLES"):
        limit: int = ctx.param("app.max_vehicles")
        if len(app.vehicles) > limit:
            out.append(
                ctx.finding(
                    "APP.TOO_MANY_VEHICLES",
                    {"count": len(app.vehicles)},
                    parameters={"app.max_vehicles": limit},
                    message_args={"max_vehicles": limit},
                )
            )
    codes = sorted(
        {normalize_identifier(v.hs_code) or "" for v in app.vehicles if not is_blank(v.hs_code)}
    )
    if len(codes) > 1:
        out.append(ctx.finding("APP.MIXED_HS_CODE", {"hs_codes": codes}))
    return out
