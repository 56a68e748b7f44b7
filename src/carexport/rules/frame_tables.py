"""The line frame from tables: the store's path to a million lines.

`line_frame` builds the frame from domain objects, one Python step per line (about
100 µs: two minutes for a national year). `joined_frame` builds the same frame from
Polars tables of the big inputs — the vehicle lines with their application's columns,
the registrations, the inspection reports, the open licenses — joined in Polars; the
small facts (confirmations and their issuers, Announcement products, CCC certificates,
capacities) come as domain rows. Normalisation, the VIN check and the status letters
run once per distinct value with the same pure functions; the join keeps the single
check's rules (first registration per normalised VIN, every report, in the order
given). `tables_frame` is that builder over tables and FACTS; the what-if reads the
same tables from the store (whatif.columnar) and calls the same builder.
tests/rules/test_frame_tables.py holds `tables_frame` to `line_frame`'s frame, and
tests/integration/test_whatif_columnar.py the store's read likewise.
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
    """fn once per distinct value (NFKC and the VIN check have no Polars expression).
    Where nearly every value is distinct (VINs), once per value: a lookup table as long
    as the column cost more than the calls (250,000 VINs: 0.85 s against 0.33 s)."""

    def mapped(s: pl.Series) -> pl.Series:
        values = s.unique()
        if 2 * values.len() > s.len():
            return pl.Series(s.name, [fn(v) for v in s.to_list()], dtype=dtype)
        listed = values.to_list()
        return s.replace_strict(listed, [fn(v) for v in listed], return_dtype=dtype)

    return column.map_batches(mapped, return_dtype=dtype)


def _text(name: str) -> pl.Expr:
    return _per_value(pl.col(name), normalize_text, pl.String())


def _key(name: str) -> pl.Expr:
    return _per_value(pl.col(name), normalize_identifier, pl.String())


def _stripped(frame: pl.DataFrame) -> pl.Series:
    """`materials` with each item stripped as Python strips it (a UDF inside list.eval
    runs once per list: a hundred times slower than once per distinct item). Only the
    lines that list any are exploded: in a national year few do."""
    items = (
        frame.select("line_id", "materials")
        .filter(pl.col("materials").list.len() > 0)
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
    frame = joined_frame(lines, registrations, inspections, open_licenses(index), index)
    return LineFrame(frame=frame)


# Open licenses as a table: one row per (VIN key, license number) held open.
OPEN_LICENSE_COLUMNS: Final[dict[str, pl.DataType]] = {
    "vin_key": pl.String(),
    "license_no": pl.String(),
}
# Optional columns of `joined_frame`'s lines: the store's own VIN key (else computed
# from `vin`) and the application's own license (not an open license "elsewhere").
LINE_EXTRAS: Final[dict[str, pl.DataType]] = {
    "vin_key": pl.String(),
    "own_license": pl.String(),
}


def joined_frame(
    lines: pl.DataFrame,
    registrations: pl.DataFrame,
    inspections: pl.DataFrame,
    licenses: pl.DataFrame,
    index: FactIndex,
    keep: dict[str, pl.DataType] | None = None,
) -> pl.DataFrame:
    """LINE_SCHEMA's columns (then `keep`'s, carried from `lines`) for `lines`
    (LINE_COLUMNS, optionally LINE_EXTRAS) joined with their registration record (the
    first of `registrations` per normalised VIN), every report of `inspections` in the
    order given, their open licenses (`licenses`, OPEN_LICENSE_COLUMNS, less the line's
    own), and the small facts of `index`: the named confirmation and its issuer (with
    the seal's verdict), the modified brand and model's Announcement products and CCC
    certificates, the destination table's row.

    The one builder of the store's path: `tables_frame` (facts as domain rows) and the
    what-if's read of the store (whatif.columnar, big tables read by SQL) both call it.
    Normalisation, the VIN check and the status letters run once per distinct value
    with the pure functions the single check calls."""
    kept = keep or {}
    frame = _conform(lines, {**LINE_COLUMNS, **LINE_EXTRAS, **kept}).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("line_id")
    )
    vin_key = pl.col("vin_key") if "vin_key" in lines.columns else _key("vin")
    frame = frame.with_columns(
        _key("enterprise_uscc").fill_null("").alias("enterprise_key"),
        _key("destination_country").alias("destination_key"),
        vin_key.fill_null("").alias("vin_key"),
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
    frame = (
        frame.join(_records(registrations), on="vin_key", how="left", maintain_order="left")
        .join(_reports(inspections), on="vin_key", how="left", maintain_order="left")
        .join(_confirmations(index), on="_conf_key", how="left", maintain_order="left")
        .join(_license_counts(frame, licenses), on="line_id", how="left", maintain_order="left")
        .join(
            destination_table(frame["destination_country"], "destination_country"),
            on="destination_country",
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
        .join(
            _modified(LineBuilder(index)),
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
    return frame.select(
        [pl.col(n).cast(t) for n, t in LINE_SCHEMA.items()]
        + [pl.col(n).cast(t) for n, t in kept.items()]
    )


def _by_vin_key(rows: pl.DataFrame, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """`rows` conformed to `columns`, with their normalised VIN (`vin_key`, computed
    unless the reader gave it) and without those whose VIN normalises to nothing."""
    vin_key = pl.col("vin_key") if "vin_key" in rows.columns else _key("vin")
    return (
        _conform(rows, {**columns, "vin_key": pl.String()})
        .with_columns(vin_key.alias("vin_key"))
        .filter(pl.col("vin_key").is_not_null())
    )


def _records(registrations: pl.DataFrame) -> pl.DataFrame:
    """The registration record's columns, the first record per normalised VIN."""
    return (
        _by_vin_key(registrations, REGISTRATION_COLUMNS)
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


def _reports(inspections: pl.DataFrame) -> pl.DataFrame:
    """Every report per normalised VIN, in the order given (the rules pick by as_of)."""
    return (
        _by_vin_key(inspections, INSPECTION_COLUMNS)
        .group_by("vin_key", maintain_order=True)
        .agg(
            pl.struct(
                "inspected_on", (pl.col("result").str.to_lowercase() == "fail").alias("failed")
            ).alias("inspections")
        )
    )


def _license_counts(frame: pl.DataFrame, licenses: pl.DataFrame) -> pl.DataFrame:
    """Per line, the distinct licenses held open on its VIN, less its application's own
    (re-deciding a filed line, the license its approval issued did not exist when it
    was filed)."""
    held = _conform(licenses, OPEN_LICENSE_COLUMNS).unique()
    counts = held.group_by("vin_key").agg(pl.len().alias("_held"))
    own = held.rename({"license_no": "own_license"}).with_columns(_own=pl.lit(1))
    joined = (
        frame.select("line_id", "vin_key", "own_license")
        .join(counts, on="vin_key", how="inner")
        .join(own, on=["vin_key", "own_license"], how="left")
    )
    return joined.select(
        "line_id",
        (pl.col("_held") - pl.col("_own").fill_null(0)).cast(pl.Int32).alias("open_license_count"),
    )


def open_licenses(index: FactIndex) -> pl.DataFrame:
    """The open licenses of `index` as a table (OPEN_LICENSE_COLUMNS)."""
    rows = [(key, no) for key, nos in index.open_licenses_by_vin.items() for no in nos]
    return pl.DataFrame(rows, schema=OPEN_LICENSE_COLUMNS, orient="row")


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
