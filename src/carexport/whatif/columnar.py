"""The bulk evaluator's line frame (`rules.frame.LINE_SCHEMA`) read from the store column
by column, for every line of a period — in a national year nearly all of them.

`rules.frame.line_frame` builds the frame from domain objects (the single check's own
join, ~15 µs a line, after ~30 µs a line of reading the facts as Pydantic rows): fine
for thousands of lines, not for a million. Here the big tables come from SQL, a range
of line ids at a time: the lines with their application's columns, the registration
records, inspection reports and open licenses of the range's VINs, the Annex 2
materials of its modified lines from the content as filed. They are joined by
`rules.frame_tables.joined_frame`, the builder `tables_frame` uses too; the small facts
it needs beside them (the named confirmations with their issuers and the keys that
signed them; the modified vehicles' Announcement products, CCC certificates and
capacities) are gathered by the store's own gatherer for the chunk's distinct
confirmations and (brand, model) pairs. tests/integration/test_whatif_columnar.py holds
the result to `line_frame`'s, column by column.

On PostgreSQL the next chunk is read (COPY … TO STDOUT as CSV, parsed by Polars) in a
thread while this one is built and decided: the database and this process work at the
same time instead of by turns.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
from psycopg.sql import Literal
from sqlalchemy import Connection, Engine, text

from carexport.domain.application import Application, VehicleLine
from carexport.domain.facts import Facts
from carexport.rules.context import FactIndex
from carexport.rules.frame import LINE_SCHEMA
from carexport.rules.frame_tables import joined_frame
from carexport.whatif import phases
from carexport.whatif.phases import phase

# Submitted at least once, with content (what the store holds as filed), in the period;
# of one agency when :agency (its normalised name) is not empty (docs/deploy.md: a
# national year split by month and agency).
PERIOD = (
    "a.first_submitted_at IS NOT NULL AND a.content IS NOT NULL "
    "AND a.submitted_on >= :start AND a.submitted_on <= :end "
    "AND (:agency = '' OR a.agency_key = :agency)"
)
# A chunk: the lines of a range of line ids (at most `size` lines; fewer where the
# range holds lines of other periods). The records, reports and licenses of a chunk are
# those of every VIN in the range, read through their VIN key index (a superset, joined
# to the chunk's lines afterwards): each table is read once per chunk.
_CHUNK = "v.id > :after AND v.id <= :last"
_CHUNK_VINS = f"SELECT v.vin_key FROM vehicle_lines v WHERE {_CHUNK}"

# The application's own license (issued on its approval) is joined per application, not
# looked up per line. In no particular order: the report sorts the lines it keeps.
_LINES_SQL = f"""
SELECT v.id AS store_line_id, a.id AS row_id, a.status, a.application_no AS application_id,
       v.position, a.submitted_on, a.enterprise_uscc, a.issuing_agency,
       a.destination_country, v.vin, v.vin_key, v.brand, v.model, v.registration_date,
       v.transfer_for_export_date, v.confirmation_id, v.hs_code, v.chassis_brand,
       v.modified_brand, v.modified, o.own_license
  FROM vehicle_lines v
  JOIN applications a ON a.id = v.application_id
  LEFT JOIN (SELECT l.application_id, min(l.license_no) AS own_license
               FROM licenses l GROUP BY l.application_id) o ON o.application_id = a.id
 WHERE {PERIOD} AND {_CHUNK}
"""
# One record per VIN key (the table's unique key).
_REGISTRATIONS_SQL = f"""
SELECT r.vin_key, r.brand, r.model, r.registration_date, r.transfer_for_export_date,
       r.export_transfer_count, r.status, r.owner_uscc, r.mortgaged, r.customs_supervised,
       r.scrap_due_date
  FROM registrations r WHERE r.vin_key IN ({_CHUNK_VINS})
"""
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
# The content as filed of the applications with a modified line in the chunk: their
# Annex 2 materials are decoded by Polars (only the modification rules read them).
_CONTENTS_SQL = f"""
SELECT a.id AS row_id, CAST(a.content AS TEXT) AS content FROM applications a
 WHERE a.id IN (SELECT v.application_id FROM vehicle_lines v WHERE {_CHUNK} AND v.modified)
"""
_ID_RANGE_SQL = "SELECT min(v.id), max(v.id) FROM vehicle_lines v"

_CONTENT = pl.Struct({"vehicles": pl.List(pl.Struct({"materials": pl.List(pl.String)}))})

_RAW_TYPES: dict[str, pl.DataType] = {
    "store_line_id": pl.Int64(),
    "row_id": pl.Int64(),
    "position": pl.Int32(),
    "submitted_on": pl.Date(),
    "registration_date": pl.Date(),
    "transfer_for_export_date": pl.Date(),
    "modified": pl.Boolean(),
    "export_transfer_count": pl.Int64(),
    "mortgaged": pl.Boolean(),
    "customs_supervised": pl.Boolean(),
    "scrap_due_date": pl.Date(),
    "inspected_on": pl.Date(),
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
    Polars parses natively and typed as it reads (a million lines in about a second,
    against ~10 s of Python row objects); on SQLite through the driver."""
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
        # Every column as text but the numbers and dates; COPY writes booleans as t/f.
        frame = pl.read_csv(
            bytes(buffer),
            infer_schema=False,
            schema_overrides={n: t for n, t in _RAW_TYPES.items() if t != pl.Boolean()},
        )
        return frame.with_columns(
            pl.col(n).replace_strict({"t": True, "f": False}, default=None, return_dtype=t)
            for n, t in _RAW_TYPES.items()
            if t == pl.Boolean() and n in frame.columns
        )
    frame = pl.read_database(
        text(sql), conn, execute_options={"parameters": params}, infer_schema_length=None
    )
    return _typed(frame)


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    casts = []
    for name in frame.columns:
        dtype = frame[name].dtype
        wanted = _RAW_TYPES.get(name, pl.String())
        if dtype == wanted:
            continue
        if wanted == pl.Date() and dtype == pl.String:
            casts.append(pl.col(name).str.to_date("%Y-%m-%d", strict=False))
        elif wanted == pl.Boolean() and dtype == pl.String:
            casts.append(pl.col(name).cast(pl.Int8, strict=False).cast(pl.Boolean))
        else:
            casts.append(pl.col(name).cast(wanted, strict=False))
    return frame.with_columns(casts) if casts else frame


@dataclass(frozen=True)
class _Tables:
    """One chunk's rows, as read."""

    lines: pl.DataFrame
    registrations: pl.DataFrame
    inspections: pl.DataFrame
    licenses: pl.DataFrame
    contents: pl.DataFrame


def _read_chunk(conn: Connection, params: dict[str, Any]) -> _Tables | None:
    with phase("read lines"):
        lines = _read(conn, _LINES_SQL, params)
    if lines.height == 0:
        return None
    with phase("read records, reports, licenses"):
        registrations = _read(conn, _REGISTRATIONS_SQL, params)
        inspections = _read(conn, _INSPECTIONS_SQL, params)
        licenses = _read(conn, _OPEN_LICENSES_SQL, params)
    with phase("read materials"):
        contents = _read(conn, _CONTENTS_SQL, params)
    return _Tables(lines, registrations, inspections, licenses, contents)


def _materials(lines: pl.DataFrame, contents: pl.DataFrame) -> pl.DataFrame:
    """`lines` with `materials`: a modified line's Annex 2 items from its application's
    content as filed; [] on every other line."""
    empty = pl.lit([], dtype=pl.List(pl.String))
    if contents.height == 0:
        return lines.with_columns(materials=empty)
    vehicles = (
        contents.select(
            "row_id",
            pl.col("content").str.json_decode(_CONTENT).struct.field("vehicles").alias("v"),
        )
        .with_columns(position=pl.int_ranges(0, pl.col("v").list.len(), dtype=pl.Int32))
        .explode("v", "position")
        .select("row_id", "position", pl.col("v").struct.field("materials").alias("materials"))
    )
    joined = lines.join(vehicles, on=["row_id", "position"], how="left", maintain_order="left")
    return joined.with_columns(
        materials=pl.when(pl.col("modified")).then(pl.col("materials").fill_null(empty))
    )


def small_facts(
    engine: Engine, confirmations: list[str], pairs: list[tuple[str | None, str | None]]
) -> FactIndex:
    """The facts beside the big tables for lines naming `confirmations` and modified
    lines of (modified brand, model) `pairs`: the store's own gatherer over one
    synthetic application holding a line for each (so they are exactly what the single
    check reads: the confirmation, its issuer with brands and the key that signed it;
    the products, certificates and capacities of the pair)."""
    # Imported here: decide imports this module.
    from carexport.whatif.decide import store_facts

    if not confirmations and not pairs:
        return FactIndex(Facts())
    vehicles = [
        VehicleLine(vin=f"CONFIRMATION{i}", confirmation_id=c) for i, c in enumerate(confirmations)
    ] + [
        VehicleLine(vin=f"PAIR{i}", modified=True, modified_brand=b, model=m)
        for i, (b, m) in enumerate(pairs)
    ]
    probe = Application.model_construct(
        application_id="PROBE",
        submitted_on=date(2026, 1, 1),
        enterprise_uscc="",
        issuing_agency=None,
        destination_country="",
        vehicles=vehicles,
    )
    return FactIndex(store_facts(engine, [probe]))


def line_columns(engine: Engine, tables: _Tables) -> pl.DataFrame:
    """LINE_SCHEMA (plus EXTRA) for one chunk's tables."""
    lines = _materials(tables.lines, tables.contents)
    named = lines["confirmation_id"].drop_nulls().unique().sort().to_list()
    pairs = (
        lines.filter(pl.col("modified"))
        .select("modified_brand", "model")
        .unique()
        .sort(pl.all(), nulls_last=True)
        .rows()
    )
    with phase("small facts"):
        index = small_facts(engine, named, pairs)
    return joined_frame(
        lines, tables.registrations, tables.inspections, tables.licenses, index, keep=EXTRA
    )


def tuned(conn: Connection) -> None:
    """PostgreSQL settings for the what-if's reads, for this transaction only: no JIT
    (compiling these joins took 5 s of a 4.5 s query: inlining and optimising ~70
    functions, paid again by every chunk) and room to sort a chunk in memory."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit = off")
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")


def _ranges(engine: Engine, size: int) -> list[tuple[int, int]]:
    with engine.connect() as conn:
        first, last = conn.execute(text(_ID_RANGE_SQL)).one()
    if first is None:
        return []
    return [(after, after + size) for after in range(int(first) - 1, int(last), size)]


def _chunk_tables(
    engine: Engine, start: date, end: date, size: int, agency: str
) -> Iterator[_Tables]:
    """Each chunk's tables in id order; on PostgreSQL the next chunk is read in a
    thread (its own connection) while the caller works on this one. One chunk ahead
    only: memory holds at most two chunks' rows."""
    ranges = _ranges(engine, size)

    def params(after: int, last: int) -> dict[str, Any]:
        return {"start": start, "end": end, "agency": agency, "after": after, "last": last}

    if engine.dialect.name != "postgresql":
        with engine.connect() as conn:
            for after, last in ranges:
                tables = _read_chunk(conn, params(after, last))
                if tables is not None:
                    yield tables
        return

    with (
        engine.connect() as conn,
        ThreadPoolExecutor(1, "whatif-read") as reader,
        phases.beside("reader: ") as recorder,
    ):
        tuned(conn)

        def read(after: int, last: int) -> _Tables | None:
            with recorder():
                return _read_chunk(conn, params(after, last))

        ahead: Future[_Tables | None] | None = None
        for number, (after, last) in enumerate(ranges):
            current = ahead or reader.submit(read, after, last)
            ahead = None
            if number + 1 < len(ranges):
                ahead = reader.submit(read, *ranges[number + 1])
            with phase("wait for the reader"):
                tables = current.result()
            if tables is not None:
                yield tables


def plain_chunks(
    engine: Engine, start: date, end: date, size: int, agency: str = ""
) -> Iterator[pl.DataFrame]:
    """The lines of the period, `size` at a time, as LINE_SCHEMA (plus EXTRA) frames."""
    for tables in _chunk_tables(engine, start, end, size, agency):
        with phase("build frame"):
            built = line_columns(engine, tables)
        yield built


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema={**LINE_SCHEMA, **EXTRA})
