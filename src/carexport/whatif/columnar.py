"""The bulk evaluator's line frame (`rules.frame.LINE_SCHEMA`) read from the store column
by column, for every line of a period — in a
national year nearly all of them.

`rules.frame.line_frame` builds the frame from domain objects (the single check's own
join, ~15 µs a line, after ~30 µs a line of reading the facts as Pydantic rows): fine
for thousands of lines, not for a million. Here the same columns come from SQL joins
read with Polars — a line, its application, its registration record (one per VIN key,
the table's unique key), its inspection reports and its open licenses — and the
normalised forms (`*_text`, `*_key`, the VIN check, the status letters, the destination
table row) are computed once per distinct value with the same functions the rules use.
A confirmation's columns (its SM2 seal, its issuer and the key it was signed with) are
`line_frame`'s own, built once per distinct confirmation named in the chunk and joined
to its lines. A modified vehicle's Announcement products, CCC certificates and capacity are
likewise `line_frame`'s own, built once per distinct (modified brand, model) pair; its
Annex 2 materials are read from the content as filed (for modified vehicles only: only
the modification rules read them). The two builds are held to each other column by
column by tests/integration/test_whatif_columnar.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import polars as pl
from psycopg.sql import Literal
from sqlalchemy import Connection, Engine, text

from carexport.domain.application import Application, VehicleLine
from carexport.domain.text import is_blank, normalize_identifier, normalize_text
from carexport.domain.vin import vin_problem
from carexport.rules.banned import status_codes
from carexport.rules.frame import LINE_SCHEMA, line_frame
from carexport.rules.frame_tables import destination_table
from carexport.whatif.phases import phase

# Submitted at least once, with content (what the store holds as filed), in the period;
# of one agency when :agency (its normalised name) is not empty (docs/deploy.md: a
# national year split by month and agency).
PERIOD = (
    "a.first_submitted_at IS NOT NULL AND a.content IS NOT NULL "
    "AND a.submitted_on >= :start AND a.submitted_on <= :end "
    "AND (:agency = '' OR a.agency_key = :agency)"
)

_SELECT = """
SELECT v.id AS store_line_id, a.id AS row_id, a.status, a.application_no AS application_id,
       v.position, a.submitted_on, a.enterprise_uscc, a.issuing_agency,
       a.destination_country, v.vin, v.vin_key, v.brand, v.model, v.registration_date,
       v.transfer_for_export_date, v.confirmation_id, v.hs_code, v.chassis_brand,
       v.modified_brand,
       r.id AS record_id, r.brand AS rec_brand, r.model AS rec_model,
       r.registration_date AS rec_registration_date,
       r.transfer_for_export_date AS rec_transfer_for_export_date,
       r.export_transfer_count AS rec_export_transfer_count, r.status AS rec_status,
       r.owner_uscc AS rec_owner_uscc, r.mortgaged AS rec_mortgaged,
       r.customs_supervised AS rec_customs_supervised, r.scrap_due_date AS rec_scrap_due_date,
       (SELECT min(l.license_no) FROM licenses l WHERE l.application_id = a.id) AS own_license,
       v.modified, MATERIALS AS materials_json
"""
# A modified vehicle's Annex 2 materials, as JSON text, from the content as filed. On
# PostgreSQL they come from _MATERIALS_SQL instead: a content parsed once per
# application, not once per modified line (2 s of a 4.4 s chunk query).
_MATERIALS = {
    "postgresql": "NULL",
    "sqlite": "CASE WHEN v.modified THEN "
    "json_extract(a.content, '$.vehicles[' || v.position || '].materials') END",
}
_LINES = f"""
  FROM vehicle_lines v
  JOIN applications a ON a.id = v.application_id
  LEFT JOIN registrations r ON r.vin_key = v.vin_key
 WHERE {PERIOD}
"""
# A chunk: the lines of a range of line ids (at most `size` lines; fewer where the
# range holds lines of other periods). The reports and licenses of a chunk are those of
# every VIN in the range, read by the primary key alone (a superset, joined to the
# chunk's lines afterwards): the heavy join runs once per chunk.
_CHUNK = "v.id > :after AND v.id <= :last"
_LINES_SQL = f"{_SELECT}{_LINES} AND {_CHUNK} ORDER BY v.id"


_MATERIALS_SQL = f"""
SELECT v.id AS store_line_id, (e.elem -> 'materials')::text AS materials_json
  FROM (SELECT DISTINCT v.application_id FROM vehicle_lines v
         WHERE {_CHUNK} AND v.modified) m
  JOIN applications a ON a.id = m.application_id
 CROSS JOIN LATERAL jsonb_array_elements(CAST(a.content AS jsonb) -> 'vehicles')
       WITH ORDINALITY AS e(elem, n)
  JOIN vehicle_lines v ON v.application_id = a.id AND v.position = e.n - 1
 WHERE v.modified AND {_CHUNK}
"""


def _lines_sql(dialect: str) -> str:
    return _LINES_SQL.replace("MATERIALS", _MATERIALS[dialect])


_ID_RANGE_SQL = "SELECT min(v.id), max(v.id) FROM vehicle_lines v"
_CHUNK_VINS = f"SELECT v.vin_key FROM vehicle_lines v WHERE {_CHUNK}"
# Every report of the chunk's VINs, in insertion order (the rules pick by as_of).
_INSPECTIONS_SQL = f"""
SELECT i.vin_key, i.inspected_on, i.result FROM inspections i
 WHERE i.vin_key IN ({_CHUNK_VINS}) ORDER BY i.id
"""
# Open licenses (issued, extended, or open from the feed) naming the chunk's VINs.
_OPEN_LICENSES_SQL = f"""
SELECT DISTINCT lv.vin_key, l.license_no
  FROM license_vehicles lv JOIN licenses l ON l.license_key = lv.license_key
 WHERE l.status IN ('issued', 'extended', 'open') AND lv.vin_key IN ({_CHUNK_VINS})
"""

_RAW_TYPES: dict[str, pl.DataType] = {
    "store_line_id": pl.Int64(),
    "row_id": pl.Int64(),
    "status": pl.String(),
    "application_id": pl.String(),
    "position": pl.Int32(),
    "submitted_on": pl.Date(),
    "enterprise_uscc": pl.String(),
    "issuing_agency": pl.String(),
    "destination_country": pl.String(),
    "vin": pl.String(),
    "vin_key": pl.String(),
    "brand": pl.String(),
    "model": pl.String(),
    "registration_date": pl.Date(),
    "transfer_for_export_date": pl.Date(),
    "confirmation_id": pl.String(),
    "hs_code": pl.String(),
    "chassis_brand": pl.String(),
    "modified_brand": pl.String(),
    "record_id": pl.Int64(),
    "rec_brand": pl.String(),
    "rec_model": pl.String(),
    "rec_registration_date": pl.Date(),
    "rec_transfer_for_export_date": pl.Date(),
    "rec_export_transfer_count": pl.Int64(),
    "rec_status": pl.String(),
    "rec_owner_uscc": pl.String(),
    "rec_mortgaged": pl.Boolean(),
    "rec_customs_supervised": pl.Boolean(),
    "rec_scrap_due_date": pl.Date(),
    "own_license": pl.String(),
    "modified": pl.Boolean(),
    "materials_json": pl.String(),
    # inspections and open licenses
    "inspected_on": pl.Date(),
    "result": pl.String(),
    "license_no": pl.String(),
}
# Columns carried beside LINE_SCHEMA's for the report.
EXTRA = {"row_id": pl.Int64(), "status": pl.String(), "store_line_id": pl.Int64()}


def _literal(value: Any, driver: Any) -> str:
    """A parameter as SQL text, for COPY (which takes no parameters)."""
    if isinstance(value, str):
        # Quoted by the driver: an agency name comes from a user.
        return str(Literal(value).as_string(driver))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    raise TypeError(f"not a parameter for COPY: {value!r}")


def _read(conn: Connection, sql: str, params: dict[str, Any]) -> pl.DataFrame:
    """The query's rows as a frame. On PostgreSQL through COPY … TO STDOUT as CSV, which
    Polars parses natively (a million lines in about a second, against ~10 s of Python
    row objects); on SQLite through the driver."""
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        inlined = sql
        for name in sorted(params, key=len, reverse=True):
            inlined = inlined.replace(f":{name}", _literal(params[name], driver))
        buffer = bytearray()
        statement = f"COPY ({inlined}) TO STDOUT WITH (FORMAT csv, HEADER)"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for block in copy:
                buffer += block
        frame = pl.read_csv(
            bytes(buffer),
            infer_schema=False,  # every column as text, typed below
        )
        # COPY writes booleans as t/f.
        for name in frame.columns:
            if _RAW_TYPES.get(name) == pl.Boolean():
                frame = frame.with_columns(
                    pl.col(name).replace_strict(
                        {"t": True, "f": False}, default=None, return_dtype=pl.Boolean
                    )
                )
    else:
        frame = pl.read_database(
            text(sql), conn, execute_options={"parameters": params}, infer_schema_length=None
        )
    return _typed(frame)


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    casts = []
    for name in frame.columns:
        dtype = frame[name].dtype
        wanted = _RAW_TYPES.get(name)
        if wanted is None or dtype == wanted:
            continue
        if wanted == pl.Date() and dtype == pl.String:
            casts.append(pl.col(name).str.to_date("%Y-%m-%d", strict=False))
        elif wanted == pl.Boolean() and dtype == pl.String:
            casts.append(pl.col(name).cast(pl.Int8, strict=False).cast(pl.Boolean))
        else:
            casts.append(pl.col(name).cast(wanted, strict=False))
    return frame.with_columns(casts) if casts else frame


def _mapped(
    frame: pl.DataFrame, source: str, target: str, fn: Callable[[Any], Any], dtype: pl.DataType
) -> pl.DataFrame:
    """`frame` with `target` = fn(`source`), computed once per distinct value (brands,
    models and statuses repeat across a million lines) and joined back."""
    distinct = frame[source].unique()
    table = pl.DataFrame(
        {
            source: distinct,
            target: pl.Series([fn(v) for v in distinct.to_list()], dtype=dtype),
        }
    )
    return frame.join(table, on=source, how="left", nulls_equal=True, maintain_order="left")


def _destinations(frame: pl.DataFrame) -> pl.DataFrame:
    table = destination_table(frame["destination_key"], "destination_key")
    return frame.join(
        table, on="destination_key", how="left", nulls_equal=True, maintain_order="left"
    )


def _with_inspections(frame: pl.DataFrame, reports: pl.DataFrame) -> pl.DataFrame:
    grouped = reports.group_by("vin_key", maintain_order=True).agg(
        pl.struct(pl.col("inspected_on"), (pl.col("result") == "fail").alias("failed")).alias(
            "inspections"
        )
    )
    joined = frame.join(grouped, on="vin_key", how="left", maintain_order="left")
    return joined.with_columns(
        pl.col("inspections").fill_null(pl.lit([], dtype=LINE_SCHEMA["inspections"]))
    )


def _with_open_licenses(frame: pl.DataFrame, licenses: pl.DataFrame) -> pl.DataFrame:
    held = licenses.unique(["vin_key", "license_no"])
    counts = held.group_by("vin_key").agg(pl.len().alias("_held"))
    own = held.rename({"license_no": "own_license"}).with_columns(_own=pl.lit(1))
    joined = frame.join(counts, on="vin_key", how="left", maintain_order="left").join(
        own, on=["vin_key", "own_license"], how="left", maintain_order="left"
    )
    # Its own license is not an open license "elsewhere" (decide.without_own_license).
    return joined.with_columns(
        open_license_count=(pl.col("_held").fill_null(0) - pl.col("_own").fill_null(0)).cast(
            pl.Int32
        )
    ).drop("_held", "_own")


# The columns that depend only on the named confirmation and its issuer.
CONFIRMATION_COLUMNS = (
    "has_confirmation",
    "conf_vin_keys",
    "conf_brand_text",
    "conf_model_text",
    "conf_destination_key",
    "conf_outlet_keys",
    "conf_revoked",
    "conf_issued_on",
    "seal_problem",
    "issuer_known",
    "issuer_kind",
    "issuer_in_announcement",
    "issuer_brands_text",
)

Confirmations = Callable[[list[str]], pl.DataFrame]


def confirmation_table(engine: Engine) -> Confirmations:
    """For a list of confirmation ids: `conf_key` and CONFIRMATION_COLUMNS per id, as
    line_frame builds them (one synthetic line per id, facts from the store's own
    gatherer: the confirmation, its issuer with brands, the key it was signed with)."""

    def table(ids: list[str]) -> pl.DataFrame:
        # Imported here: decide imports this module.
        from carexport.whatif.decide import store_facts

        vehicles = [
            VehicleLine(vin=f"CONFIRMATION{i}", confirmation_id=c) for i, c in enumerate(ids)
        ]
        probe = Application.model_construct(
            application_id="CONFIRMATIONS",
            submitted_on=date(2026, 1, 1),
            enterprise_uscc="",
            issuing_agency=None,
            destination_country="",
            vehicles=vehicles,
        )
        frame = line_frame([probe], store_facts(engine, [probe])).frame
        keyed = frame.select(
            pl.Series("conf_key", [normalize_identifier(c) for c in ids], dtype=pl.String),
            *CONFIRMATION_COLUMNS,
        )
        unique: pl.DataFrame = keyed.unique("conf_key", keep="first", maintain_order=True)
        return unique

    return table


Pairs = Callable[[list[tuple[str | None, str | None]]], pl.DataFrame]


def product_table(engine: Engine) -> Pairs:
    """For (modified brand, model) pairs: their `products` and `certificates` as
    line_frame builds them (one synthetic modified line per pair)."""

    def table(pairs: list[tuple[str | None, str | None]]) -> pl.DataFrame:
        from carexport.whatif.decide import store_facts

        vehicles = [
            VehicleLine(vin=f"PAIR{i}", modified=True, modified_brand=b, model=m)
            for i, (b, m) in enumerate(pairs)
        ]
        probe = Application.model_construct(
            application_id="PAIRS",
            submitted_on=date(2026, 1, 1),
            enterprise_uscc="",
            issuing_agency=None,
            destination_country="",
            vehicles=vehicles,
        )
        frame = line_frame([probe], store_facts(engine, [probe])).frame
        built: pl.DataFrame = frame.select(
            pl.Series("modified_brand", [b for b, _ in pairs], dtype=pl.String),
            pl.Series("model", [m for _, m in pairs], dtype=pl.String),
            "products",
            "certificates",
        )
        return built

    return table


def _with_products(frame: pl.DataFrame, products: Pairs) -> pl.DataFrame:
    pairs = (
        frame.filter(pl.col("modified"))
        .select("modified_brand", "model")
        .unique(maintain_order=True)
        .rows()
    )
    if pairs:
        with phase("modified products"):
            table = products(pairs)
        frame = frame.join(
            table,
            on=["modified_brand", "model"],
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
        use = pl.col("modified")
        return frame.with_columns(
            *(
                pl.when(use)
                .then(pl.col(c).fill_null(pl.lit([], dtype=LINE_SCHEMA[c])))
                .otherwise(pl.lit([], dtype=LINE_SCHEMA[c]))
                .alias(c)
                for c in ("products", "certificates")
            )
        )
    return frame.with_columns(
        pl.lit([], dtype=LINE_SCHEMA["products"]).alias("products"),
        pl.lit([], dtype=LINE_SCHEMA["certificates"]).alias("certificates"),
    )


def _materials(text_value: str | None) -> list[str]:
    if text_value is None:
        return []
    items = json.loads(text_value)
    return [str(m).strip() for m in items or []]


def _with_confirmations(frame: pl.DataFrame, confirmations: Confirmations) -> pl.DataFrame:
    frame = _mapped(frame, "confirmation_id", "conf_key", normalize_identifier, pl.String())
    named = frame["confirmation_id"].drop_nulls().unique().sort().to_list()
    if named:
        with phase("confirmations (seals)"):
            table = confirmations(named)
    else:
        table = pl.DataFrame(
            schema={"conf_key": pl.String, **{c: LINE_SCHEMA[c] for c in CONFIRMATION_COLUMNS}}
        )
    joined = frame.join(table, on="conf_key", how="left", maintain_order="left")
    return joined.with_columns(
        pl.col("has_confirmation").fill_null(False),
        pl.col("issuer_known").fill_null(False),
        *(
            pl.col(c).fill_null(pl.lit([], dtype=LINE_SCHEMA[c]))
            for c in ("conf_vin_keys", "conf_outlet_keys", "issuer_brands_text")
        ),
    ).drop("conf_key")


def line_columns(
    raw: pl.DataFrame,
    reports: pl.DataFrame,
    licenses: pl.DataFrame,
    confirmations: Confirmations,
    products: Pairs,
) -> pl.DataFrame:
    """LINE_SCHEMA (plus EXTRA) for plain lines read by _LINES_SQL, their inspection
    reports and their open licenses."""
    key_of = normalize_identifier
    frame = raw.with_columns(
        line_id=pl.int_range(pl.len(), dtype=pl.Int64),
        has_record=pl.col("record_id").is_not_null(),
        modified=pl.col("modified").fill_null(False),
    )
    for source, target, fn, dtype in (
        ("enterprise_uscc", "enterprise_key", lambda v: key_of(v) or "", pl.String()),
        ("destination_country", "destination_key", key_of, pl.String()),
        ("vin", "vin_problem", vin_problem, pl.String()),
        ("brand", "brand_text", normalize_text, pl.String()),
        ("model", "model_text", normalize_text, pl.String()),
        ("chassis_brand", "chassis_brand_blank", is_blank, pl.Boolean()),
        ("modified_brand", "modified_brand_blank", is_blank, pl.Boolean()),
        ("model", "model_blank", is_blank, pl.Boolean()),
        ("rec_brand", "rec_brand_text", normalize_text, pl.String()),
        ("rec_model", "rec_model_text", normalize_text, pl.String()),
        ("rec_status", "rec_status_codes", status_codes, LINE_SCHEMA["rec_status_codes"]),
        ("rec_owner_uscc", "rec_owner_key", key_of, pl.String()),
    ):
        frame = _mapped(frame, source, target, fn, dtype)
    # Without a record its status letters are [] (line_frame: `if rec else []`).
    frame = frame.with_columns(
        rec_status_codes=pl.when(pl.col("has_record"))
        .then(pl.col("rec_status_codes"))
        .otherwise(pl.lit([], dtype=LINE_SCHEMA["rec_status_codes"]))
    )
    frame = _destinations(frame)
    frame = _with_inspections(frame, reports)
    frame = _with_open_licenses(frame, licenses)
    frame = _with_confirmations(frame, confirmations)
    frame = _with_products(frame, products)
    frame = _mapped(frame, "materials_json", "materials", _materials, LINE_SCHEMA["materials"])
    absent = [
        (
            pl.lit([], dtype=dtype) if isinstance(dtype, pl.List) else pl.lit(None, dtype=dtype)
        ).alias(name)
        for name, dtype in LINE_SCHEMA.items()
        if name not in frame.columns
    ]
    frame = frame.with_columns(absent)
    return frame.select(
        [pl.col(n).cast(t) for n, t in LINE_SCHEMA.items()]
        + [pl.col(n).cast(t) for n, t in EXTRA.items()]
    )


def tuned(conn: Connection) -> None:
    """PostgreSQL settings for the what-if's reads, for this transaction only: no JIT
    (compiling these joins took 5 s of a 4.5 s query: inlining and optimising ~70
    functions, paid again by every chunk) and room to sort a chunk in memory."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit = off")
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")


def plain_chunks(
    engine: Engine, start: date, end: date, size: int, agency: str = ""
) -> Iterator[pl.DataFrame]:
    """The plain lines of the period, `size` at a time, as LINE_SCHEMA frames."""
    confirmations = confirmation_table(engine)
    products = product_table(engine)
    with engine.connect() as conn:
        tuned(conn)
        first, last = conn.execute(text(_ID_RANGE_SQL)).one()
        if first is None:
            return
        after = int(first) - 1
        while after < int(last):
            params = {
                "start": start,
                "end": end,
                "agency": agency,
                "no": False,
                "after": after,
                "last": after + size,
            }
            after += size
            with phase("read lines"):
                raw = _read(conn, _lines_sql(conn.dialect.name), params)
            if raw.height == 0:
                continue
            if conn.dialect.name == "postgresql":
                with phase("read materials"):
                    materials = _read(conn, _MATERIALS_SQL, params)
                    raw = raw.drop("materials_json").join(
                        materials, on="store_line_id", how="left", maintain_order="left"
                    )
            with phase("read reports and licenses"):
                reports = _read(conn, _INSPECTIONS_SQL, params)
                licenses = _read(conn, _OPEN_LICENSES_SQL, params)
            with phase("build frame"):
                built = line_columns(raw, reports, licenses, confirmations, products)
            yield built


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema={**LINE_SCHEMA, **EXTRA})
