"""The line frame from tables: the store's path to a million lines.

`line_frame` builds the frame from domain objects, one Python step per line (about
100 µs: two minutes for a national year). `tables_frame` builds the same frame from
Polars tables of the big inputs — the vehicle lines with their application's columns,
the registrations, the inspection reports — joined in Polars; the small facts
(confirmations, manufacturers, Announcement products, CCC certificates, capacities, open
licenses) still come as domain rows. Normalisation, the VIN check and the status letters
run once per distinct value with the same pure functions; the join keeps the single
check's rules (first registration per normalised VIN, every report, in the order
given). tests/rules/test_frame_tables.py holds the two builders to equal frames.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import polars as pl

from carexport.domain.country import country_code
from carexport.domain.facts import Facts
from carexport.domain.text import is_blank, normalize_identifier, normalize_text
from carexport.domain.vin import vin_problem
from carexport.rules.banned import status_codes
from carexport.rules.context import FactIndex
from carexport.rules.destinations import destination
from carexport.rules.frame import CERTIFICATE, LINE_SCHEMA, PRODUCT, LineBuilder, LineFrame
from carexport.rules.near_new import indexed_seal_problem

_TEXTS = pl.List(pl.String)

# The columns `tables_frame` reads; absent optional columns are null.
LINE_COLUMNS: Final[dict[str, pl.DataType]] = {
    "application_id": pl.String(),
    "submitted_on": pl.Date(),
    "enterprise_uscc": pl.String(),
    "issuing_agency": pl.String(),
    "destination_country": pl.String(),
    "position": pl.Int32(),
    "vin": pl.String(),
    "brand": pl.String(),
    "model": pl.String(),
    "registration_date": pl.Date(),
    "transfer_for_export_date": pl.Date(),
    "confirmation_id": pl.String(),
    "hs_code": pl.String(),
    "modified": pl.Boolean(),
    "chassis_brand": pl.String(),
    "modified_brand": pl.String(),
    "materials": _TEXTS,
}
REGISTRATION_COLUMNS: Final[dict[str, pl.DataType]] = {
    "vin": pl.String(),
    "brand": pl.String(),
    "model": pl.String(),
    "registration_date": pl.Date(),
    "transfer_for_export_date": pl.Date(),
    "export_transfer_count": pl.Int64(),
    "status": pl.String(),
    "owner_uscc": pl.String(),
    "mortgaged": pl.Boolean(),
    "customs_supervised": pl.Boolean(),
    "scrap_due_date": pl.Date(),
}
INSPECTION_COLUMNS: Final[dict[str, pl.DataType]] = {
    "vin": pl.String(),
    "inspected_on": pl.Date(),
    "result": pl.String(),  # "pass" or "fail"
}


def _conform(frame: pl.DataFrame, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    return frame.select(
        [
            pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype).alias(name)
            for name, dtype in columns.items()
        ]
    )


def _per_value(column: pl.Expr, fn: Callable[[Any], Any], dtype: pl.DataType) -> pl.Expr:
    """fn once per distinct value (NFKC and the VIN check have no Polars expression)."""
    return column.map_batches(
        lambda s: s.replace_strict(
            (values := s.unique().to_list()),
            [fn(v) for v in values],
            return_dtype=dtype,
        ),
        return_dtype=dtype,
    )


def _text(name: str) -> pl.Expr:
    return _per_value(pl.col(name), normalize_text, pl.String())


def _key(name: str) -> pl.Expr:
    return _per_value(pl.col(name), normalize_identifier, pl.String())


def _stripped(frame: pl.DataFrame) -> pl.Series:
    """`materials` with each item stripped as Python strips it (a UDF inside list.eval
    runs once per list: a hundred times slower than once per distinct item)."""
    items = (
        frame.select("line_id", "materials")
        .explode("materials")
        .with_columns(_per_value(pl.col("materials"), _strip, pl.String()))
        .group_by("line_id", maintain_order=True)
        .agg(pl.col("materials").drop_nulls())
    )
    joined = frame.select("line_id").join(items, on="line_id", how="left", maintain_order="left")
    return joined["materials"].fill_null(pl.lit([], dtype=_TEXTS))


def _strip(item: str | None) -> str | None:
    return item.strip() if item is not None else None


def tables_frame(
    lines: pl.DataFrame,
    registrations: pl.DataFrame,
    inspections: pl.DataFrame,
    facts: Facts,
) -> LineFrame:
    """The frame of `line_frame`, from tables (LINE_COLUMNS, REGISTRATION_COLUMNS,
    INSPECTION_COLUMNS) and the small facts of `facts` (its registrations and inspections
    are not read). The result cannot explain a line (`BulkResult.findings`): no domain
    rows stand behind it."""
    index = FactIndex(facts)
    small = LineBuilder(index)
    frame = _conform(lines, LINE_COLUMNS).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("line_id")
    )
    frame = frame.with_columns(
        _key("enterprise_uscc").fill_null("").alias("enterprise_key"),
        _key("destination_country").alias("destination_key"),
        _key("vin").fill_null("").alias("vin_key"),
        _per_value(pl.col("vin"), vin_problem, pl.String()).alias("vin_problem"),
        _text("brand").alias("brand_text"),
        _text("model").alias("model_text"),
        _key("confirmation_id").alias("_conf_key"),
        _text("modified_brand").alias("_modified_brand_text"),
        pl.col("modified").fill_null(False),
        *[
            _per_value(pl.col(name), is_blank, pl.Boolean()).alias(f"{name}_blank")
            for name in ("chassis_brand", "modified_brand", "model")
        ],
    )
    frame = frame.with_columns(_stripped(frame))
    # The registration record: the first per normalised VIN.
    records = (
        _conform(registrations, REGISTRATION_COLUMNS)
        .with_columns(_key("vin").alias("vin_key"))
        .filter(pl.col("vin_key").is_not_null())
        .unique("vin_key", keep="first", maintain_order=True)
        .select(
            "vin_key",
            pl.lit(True).alias("has_record"),
            pl.col("brand").alias("rec_brand"),
            _text("brand").alias("rec_brand_text"),
            pl.col("model").alias("rec_model"),
            _text("model").alias("rec_model_text"),
            pl.col("registration_date").alias("rec_registration_date"),
            pl.col("transfer_for_export_date").alias("rec_transfer_for_export_date"),
            pl.col("export_transfer_count").alias("rec_export_transfer_count"),
            pl.col("status").alias("rec_status"),
            _per_value(pl.col("status"), status_codes, _TEXTS).alias("rec_status_codes"),
            pl.col("owner_uscc").alias("rec_owner_uscc"),
            _key("owner_uscc").alias("rec_owner_key"),
            pl.col("mortgaged").alias("rec_mortgaged"),
            pl.col("customs_supervised").alias("rec_customs_supervised"),
            pl.col("scrap_due_date").alias("rec_scrap_due_date"),
        )
    )
    reports = (
        _conform(inspections, INSPECTION_COLUMNS)
        .with_columns(_key("vin").alias("vin_key"))
        .filter(pl.col("vin_key").is_not_null())
        .group_by("vin_key", maintain_order=True)
        .agg(
            pl.struct(
                "inspected_on", (pl.col("result").str.to_lowercase() == "fail").alias("failed")
            ).alias("inspections")
        )
    )
    frame = (
        frame.join(records, on="vin_key", how="left", maintain_order="left")
        .join(reports, on="vin_key", how="left", maintain_order="left")
        .join(_confirmations(index), on="_conf_key", how="left", maintain_order="left")
        .join(_open_licenses(index), on="vin_key", how="left", maintain_order="left")
        .join(
            destination_table(frame["destination_country"], "destination_country"),
            on="destination_country",
            how="left",
            maintain_order="left",
        )
        .join(
            _modified(small),
            left_on=["_modified_brand_text", "model_text"],
            right_on=["_brand", "_model"],
            how="left",
            maintain_order="left",
        )
    )
    empty = {name: dtype for name, dtype in LINE_SCHEMA.items() if isinstance(dtype, pl.List)}
    modified = pl.col("modified")
    frame = frame.with_columns(
        pl.col("has_record").fill_null(False),
        pl.col("rec_status_codes").fill_null(pl.lit([], dtype=_TEXTS)),
        pl.col("has_confirmation").fill_null(False),
        pl.col("issuer_known").fill_null(False),
        pl.col("open_license_count").fill_null(0),
        pl.col("dest_listed").fill_null(False),
        *[
            pl.col(name).fill_null(pl.lit([], dtype=dtype))
            for name, dtype in empty.items()
            if name not in ("rec_status_codes", "products", "certificates")
        ],
        *[
            pl.when(modified)
            .then(pl.col(name).fill_null(pl.lit([], dtype=empty[name])))
            .otherwise(pl.lit([], dtype=empty[name]))
            .alias(name)
            for name in ("products", "certificates")
        ],
    )
    return LineFrame(frame=frame.select([pl.col(n).cast(t) for n, t in LINE_SCHEMA.items()]))


def _confirmations(index: FactIndex) -> pl.DataFrame:
    rows = []
    for key, conf in index.confirmations.items():
        issuer = (
            index.manufacturers.get(normalize_identifier(conf.issuer_uscc) or "")
            if conf.issuer_uscc is not None
            else None
        )
        vins = ([conf.vin] if conf.vin is not None else []) + (conf.vins or [])
        rows.append(
            {
                "_conf_key": key,
                "has_confirmation": True,
                "conf_vin_keys": [normalize_identifier(v) for v in vins],
                "conf_brand_text": normalize_text(conf.brand),
                "conf_model_text": normalize_text(conf.model),
                "conf_destination_key": normalize_identifier(conf.destination_country),
                "conf_outlet_keys": [normalize_identifier(o.country) for o in conf.outlets or []],
                "conf_revoked": conf.revoked,
                "conf_issued_on": conf.issued_on,
                "seal_problem": indexed_seal_problem(index, conf, issuer),
                "issuer_known": issuer is not None,
                "issuer_kind": issuer.kind.value if issuer and issuer.kind else None,
                "issuer_in_announcement": issuer.in_announcement if issuer else None,
                "issuer_brands_text": [normalize_text(b) for b in issuer.brands or []]
                if issuer
                else [],
            }
        )
    names = ["has_confirmation", *[n for n in LINE_SCHEMA if n.startswith(("conf_", "issuer_"))]]
    schema = {
        "_conf_key": pl.String(),
        **{n: LINE_SCHEMA[n] for n in names},
        "seal_problem": pl.String(),
    }
    return pl.DataFrame(rows, schema=schema)


def _open_licenses(index: FactIndex) -> pl.DataFrame:
    counts = {key: len(nos) for key, nos in index.open_licenses_by_vin.items() if nos}
    return pl.DataFrame(
        {"vin_key": list(counts), "open_license_count": list(counts.values())},
        schema={"vin_key": pl.String(), "open_license_count": pl.Int32()},
    )


def destination_table(values: pl.Series, key: str) -> pl.DataFrame:
    """The destination table's columns for each distinct value of `values`, keyed by a
    column named `key`: the store's path (whatif.columnar) joins it as this module does."""
    rows = []
    for value in values.unique().to_list():
        code = country_code(value)
        entry = destination(code) if code is not None else None
        rows.append(
            {
                key: value,
                "dest_listed": entry is not None,
                "dest_age_limit_years": entry.age_limit_years if entry else None,
                "dest_used_imports_banned": entry.used_imports_banned if entry else None,
                "dest_drive_side": entry.drive_side if entry else None,
            }
        )
    names = ["dest_listed", "dest_age_limit_years", "dest_used_imports_banned", "dest_drive_side"]
    return pl.DataFrame(rows, schema={key: pl.String(), **{n: LINE_SCHEMA[n] for n in names}})


def _modified(small: LineBuilder) -> pl.DataFrame:
    pairs = set(small.products) | set(small.certificates)
    rows = [
        {
            "_brand": brand,
            "_model": model,
            "products": [small.product(p) for p in small.products.get((brand, model), [])],
            "certificates": [
                {
                    "valid_from": c.valid_from,
                    "valid_to": c.valid_to,
                    "status_valid": normalize_text(c.status) == "valid",
                }
                for c in small.certificates.get((brand, model), [])
            ],
        }
        for brand, model in sorted(pairs)
    ]
    return pl.DataFrame(
        rows,
        schema={
            "_brand": pl.String(),
            "_model": pl.String(),
            "products": pl.List(PRODUCT),
            "certificates": pl.List(CERTIFICATE),
        },
    )
