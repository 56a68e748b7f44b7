"""Every vehicle rule's condition as a Polars expression over the line frame.

The columns are those of `carexport.rules.frame.LINE_SCHEMA` plus `as_of` (a date per
line) and the per-line aggregates of the dated lists that `derived_columns` adds
(inspections, Announcement products and CCC certificates filtered by `as_of`). A
condition says only *whether* a rule fires; the finding it gives — facts, parameters,
message — is the row rule's (near_new.py, filling.py, …), which
`carexport.rules.bulk.BulkResult.findings` calls for the lines one asks about.

These conditions restate the row rules' conditions column-wise: that is a second copy
of the conditions (not of the findings), held to the row rules line for line by
tests/rules/test_bulk_differential.py (docs/decisions/0027-bulk-evaluator.md says why
and how the copy goes away). Keep them in the order each row function reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, cast

import polars as pl

from carexport.domain.facts import ManufacturerKind
from carexport.rules.destination import VEHICLE_DRIVE_SIDE
from carexport.rules.modified import ANNEX2_ITEMS
from carexport.rules.parameters import ParameterTable
from carexport.rules.registry import Registry

AS_OF: Final = "as_of"
c = pl.col


def _on(expr: pl.Expr) -> pl.Expr:
    """True only when the fact is recorded as true: null means absent (RULES.md)."""
    return expr.fill_null(False)


@dataclass(frozen=True)
class Env:
    """The registry and parameters as expressions of each line's `as_of`."""

    registry: Registry
    parameters: ParameterTable

    def in_force(self, rule_id: str) -> pl.Expr:
        versions = [
            (c(AS_OF) >= pl.lit(r.effective_from))
            & (pl.lit(True) if r.effective_to is None else c(AS_OF) <= pl.lit(r.effective_to))
            for r in self.registry.all()
            if r.id == rule_id
        ]
        return pl.any_horizontal(versions) if versions else pl.lit(False)

    def param(self, name: str) -> pl.Expr:
        """The value in force on each line's as_of; null before the first or when repealed
        (the row rules would raise ParameterNotInForce there: a rule never reads one)."""
        values = list(reversed(self.parameters.parameters[name].values))
        if not values:
            return pl.lit(None)
        first, *rest = values
        chain: Any = pl.when(c(AS_OF) >= pl.lit(first.effective_from)).then(pl.lit(first.value))
        for value in rest:
            chain = chain.when(c(AS_OF) >= pl.lit(value.effective_from)).then(pl.lit(value.value))
        return cast(pl.Expr, chain.otherwise(None))


_FAR: Final = 2**30  # days: a null validity bound is open-ended


def _field(name: str) -> pl.Expr:
    return pl.element().struct.field(name)


def _days(name: str, missing: int) -> pl.Expr:
    return _field(name).cast(pl.Int32).fill_null(missing)


def derived_columns(frame: pl.LazyFrame, env: Env) -> pl.LazyFrame:
    """Add the per-line facts that depend on `as_of`, by list arithmetic against each
    line's as_of (no explode, no join): whether a report exists on or before it and
    whether one of the latest such day failed; how many Announcement products and valid
    CCC certificates are in force; whether an in-force product's holder is over
    capacity under `mod.capacity_ratio`."""
    day = c(AS_OF).cast(pl.Int32)
    # One integer per report: 2 x its day, + 1 when it failed. Reports dated after as_of
    # (code - 2 x as_of > 1) do not exist yet for the check; of the rest the largest code
    # is the latest day, and odd when any report of that day failed.
    codes = c("inspections").list.eval(
        _days("inspected_on", _FAR) * 2 + _field("failed").fill_null(False).cast(pl.Int32)
    )
    latest = (codes - day * 2).list.eval(pl.element().filter(pl.element() <= 1)).list.max()

    def in_force(column: str) -> pl.Expr:
        # A null bound is open-ended (RULES.md, modified vehicles).
        starts = c(column).list.eval(_days("valid_from", -_FAR)) - day
        ends = c(column).list.eval(_days("valid_to", _FAR)) - day
        return starts.list.eval((pl.element() <= 0).cast(pl.Int32)) * ends.list.eval(
            (pl.element() >= 0).cast(pl.Int32)
        )

    products = in_force("products")
    exported = c("products").list.eval(_field("exported_last_12_months").cast(pl.Float64))
    capacity = c("products").list.eval(_field("annual_capacity").cast(pl.Float64))
    over = (exported - capacity * env.param("mod.capacity_ratio")).list.eval(
        (pl.element() > 0).fill_null(False).cast(pl.Int32)
    )
    valid = c("certificates").list.eval(_field("status_valid").fill_null(False).cast(pl.Int32))
    return frame.with_columns(
        latest.is_not_null().alias("_inspected"),
        _on(latest % 2 != 0).alias("_latest_failed"),
        products.list.sum().fill_null(0).alias("_products_in_force"),
        _on((products * over).list.sum() > 0).alias("_over_capacity"),
        (in_force("certificates") * valid).list.sum().fill_null(0).alias("_certificates_in_force"),
    )


def _add_years(day: pl.Expr, years: pl.Expr) -> pl.Expr:
    """domain.dates.add_years: the same day `years` later, 29 February → 28 February."""
    year = day.dt.year() + years
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    feb29 = (day.dt.month() == 2) & (day.dt.day() == 29) & ~leap
    return pl.date(year, day.dt.month(), pl.when(feb29).then(28).otherwise(day.dt.day()))


Condition = Callable[[Env], pl.Expr]


def _near_new(env: Env) -> dict[str, pl.Expr]:
    gate = env.in_force("N180.CONFIRMATION_MISSING")
    registered = pl.coalesce("rec_registration_date", "registration_date")
    days = (c("submitted_on") - registered).dt.total_days()
    window = _on(days <= env.param("n180.days"))
    transition = window & _on(
        c("rec_transfer_for_export_date") < env.param("n180.transition_before")
    )
    applies = window & ~transition
    conf = c("has_confirmation")
    vehicle_brand = pl.coalesce("brand_text", "rec_brand_text")
    issuer_problem = (
        ~c("issuer_known")
        | _on(c("issuer_kind") != ManufacturerKind.MANUFACTURER.value)
        | c("issuer_kind").is_null()
        | ~_on(c("issuer_in_announcement"))
        | vehicle_brand.is_null()
        | ~_on(c("issuer_brands_text").list.contains(vehicle_brand))
    )
    mismatch = (
        ~_on(c("conf_vin_keys").list.contains(c("vin_key")))
        | c("conf_brand_text").ne_missing(c("brand_text"))
        | c("conf_model_text").ne_missing(c("model_text"))
        | c("conf_destination_key").ne_missing(c("destination_key"))
    )
    return {
        "N180.TRANSITION": gate & transition,
        "N180.CONFIRMATION_MISSING": gate & applies & ~conf,
        "N180.ISSUER_NOT_MANUFACTURER": gate & applies & conf & issuer_problem,
        "N180.CONFIRMATION_MISMATCH": gate & applies & conf & mismatch,
        "N180.NO_OUTLET_IN_DESTINATION": gate
        & applies
        & conf
        & ~_on(c("conf_outlet_keys").list.contains(c("destination_key"))),
        "N180.SEAL_INVALID": gate & conf & c("seal_problem").is_not_null(),
        "N180.CONFIRMATION_REVOKED": gate
        & applies
        & conf
        & (_on(c("conf_revoked")) | _on(c("conf_issued_on") > c("submitted_on"))),
    }


def _filling(env: Env) -> dict[str, pl.Expr]:
    record = c("has_record")

    def differs(annex: str, recorded: str) -> pl.Expr:
        return record & c(recorded).is_not_null() & _on(c(annex) != c(recorded))

    return {
        "FILL.VIN_INVALID": c("vin_problem").is_not_null(),
        "FILL.NO_REGISTRATION": ~record,
        "FILL.BRAND_MISMATCH": record
        & c("rec_brand").is_not_null()
        & c("brand_text").ne_missing(c("rec_brand_text")),
        "FILL.MODEL_MISMATCH": record
        & c("rec_model").is_not_null()
        & c("model_text").ne_missing(c("rec_model_text")),
        # A missing annex date is ANNEX_DATE_MISSING only, never also a mismatch.
        "FILL.REGISTRATION_DATE_MISMATCH": differs("registration_date", "rec_registration_date"),
        "FILL.TRANSFER_DATE_MISMATCH": differs(
            "transfer_for_export_date", "rec_transfer_for_export_date"
        ),
        "FILL.ANNEX_DATE_MISSING": c("registration_date").is_null()
        | c("transfer_for_export_date").is_null(),
    }


def _banned(env: Env) -> dict[str, pl.Expr]:
    record = c("has_record")
    codes = c("rec_status_codes")
    return {
        "BAN.STATUS": record
        & ((codes.list.len() == 0) | _on(codes.list.eval(pl.element() != "A").list.any())),
        "BAN.MORTGAGED": record & _on(c("rec_mortgaged")),
        "BAN.SCRAP_DUE": record
        & _on(
            c("rec_scrap_due_date")
            <= c(AS_OF) + pl.duration(days=env.param("ban.scrap_margin_days"))
        ),
        "BAN.CUSTOMS_SUPERVISED": record & _on(c("rec_customs_supervised")),
        "BAN.SECOND_TRANSFER": record & _on(c("rec_export_transfer_count") > 1),
        # An absent owner proves nothing either way; only a recorded other owner fires.
        "BAN.OWNER_NOT_EXPORTER": record & _on(c("rec_owner_key") != c("enterprise_key")),
        "BAN.INSPECTION_MISSING": ~c("_inspected"),
        "BAN.INSPECTION_FAILED": _on(c("_latest_failed")),
    }


def _modified(env: Env) -> dict[str, pl.Expr]:
    gate = _on(c("modified")) & env.in_force("MOD.FIELDS_MISSING")
    # Without brand and model nothing else can be looked up.
    lookup = gate & ~c("modified_brand_blank") & ~c("model_blank")
    supplied = pl.all_horizontal([c("materials").list.contains(item) for item in ANNEX2_ITEMS])
    return {
        "MOD.FIELDS_MISSING": gate
        & (c("chassis_brand_blank") | c("modified_brand_blank") | c("model_blank")),
        "MOD.MATERIALS_MISSING": lookup & ~_on(supplied),
        "MOD.NOT_IN_ANNOUNCEMENT": lookup & (c("_products_in_force") == 0),
        "MOD.NO_VALID_CCC": lookup & (c("_certificates_in_force") == 0),
        "MOD.CAPACITY_EXCEEDED": lookup
        & env.in_force("MOD.CAPACITY_EXCEEDED")
        & _on(c("_over_capacity")),
    }


def _open_license(env: Env) -> dict[str, pl.Expr]:
    return {"APP.VIN_IN_OPEN_LICENSE": c("open_license_count") > 0}


def _destination(env: Env) -> dict[str, pl.Expr]:
    listed = c("dest_listed")
    registered = pl.coalesce("rec_registration_date", "registration_date")
    limit = c("dest_age_limit_years")
    return {
        "DEST.AGE_LIMIT": listed & _on(c(AS_OF) > _add_years(registered, limit)),
        "DEST.RESTRICTED": listed
        & (
            _on(c("dest_used_imports_banned"))
            | (
                c("dest_drive_side").is_not_null()
                & ~c("dest_drive_side").is_in([VEHICLE_DRIVE_SIDE, "both"])
            )
        ),
    }


# In the order of evaluate.VEHICLE_RULES, each in the order its row function reports.
GROUPS: Final[tuple[Callable[[Env], dict[str, pl.Expr]], ...]] = (
    _near_new,
    _filling,
    _banned,
    _modified,
    _open_license,
    _destination,
)


def conditions(env: Env) -> dict[str, pl.Expr]:
    """Rule ID → whether it fires on the line (its version in force on as_of included)."""
    out: dict[str, pl.Expr] = {}
    for group in GROUPS:
        for rule_id, condition in group(env).items():
            out[rule_id] = _on(env.in_force(rule_id) & condition)
    return out


class _NamesOnly(Env):
    """An Env whose parameters are all null: enough to list the rule IDs."""

    def param(self, name: str) -> pl.Expr:
        return pl.lit(None)


def vehicle_rule_ids() -> tuple[str, ...]:
    """Every vehicle rule ID the bulk evaluator decides, in reporting order."""
    env = _NamesOnly(Registry(()), ParameterTable({}))
    return tuple(rule_id for group in GROUPS for rule_id in group(env))
