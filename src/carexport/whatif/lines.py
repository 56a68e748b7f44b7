"""The applications of a period with modified vehicles, read
from the store in chunks, with only those lines (the others are read column-wise,
whatif.columnar).

Read-only. The applications' content (APPLICATION.json as filed) is read with Polars
from SQL in batches and parsed with orjson; each chunk of about
`Settings.whatif_chunk_rows` lines then goes to `rules.frame.line_frame` together.
The tables are the applications feature's (only its service writes them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import orjson
import polars as pl
from sqlalchemy import Engine, text

from carexport.config import get_settings
from carexport.domain.application import Application
from carexport.whatif.columnar import PERIOD, PLAIN, tuned

# Submitted at least once (an agency has seen it), with content: what the store holds
# as filed. Drafts never filed are not exports a regulator asks about.
_WHERE = PERIOD

APPLICATIONS_SQL = f"""
SELECT a.id AS row_id, a.status, CAST(a.content AS TEXT) AS content,
       (SELECT min(l.license_no) FROM licenses l WHERE l.application_id = a.id) AS license_no
  FROM applications a
 WHERE {_WHERE} AND EXISTS (
       SELECT 1 FROM vehicle_lines v WHERE v.application_id = a.id AND NOT ({PLAIN}))
 ORDER BY a.submitted_on, a.id
"""

COUNT_SQL = f"""
SELECT count(*) FROM vehicle_lines v JOIN applications a ON a.id = v.application_id
 WHERE {_WHERE}
"""

# Applications read per database round trip (each holds up to 20 lines).
_BATCH = 5000


@dataclass(frozen=True)
class Chunk:
    applications: list[Application]
    row_ids: list[int]  # applications.id of each
    statuses: list[str]
    licenses: list[str | None]  # the license issued on each, if any
    positions: list[list[int]]  # each kept line's position in its application

    @property
    def lines(self) -> int:
        return sum(len(a.vehicles) for a in self.applications)


def count_lines(engine: Engine, start: date, end: date, agency: str = "") -> int:
    params = {"start": start, "end": end, "agency": agency}
    with engine.connect() as conn:
        tuned(conn)
        return int(conn.execute(text(COUNT_SQL), params).scalar_one())


def read_chunks(
    engine: Engine, start: date, end: date, chunk_rows: int | None = None, agency: str = ""
) -> Iterator[Chunk]:
    """Whole applications (never split across chunks), about `chunk_rows` lines each."""
    size = chunk_rows or get_settings().whatif_chunk_rows
    current = Chunk([], [], [], [], [])
    count = 0
    with engine.connect() as conn:
        tuned(conn)
        batches = pl.read_database(
            text(APPLICATIONS_SQL),
            conn,
            iter_batches=True,
            batch_size=_BATCH,
            execute_options={
                "parameters": {"start": start, "end": end, "agency": agency, "no": False}
            },
            schema_overrides={
                "row_id": pl.Int64,
                "status": pl.String,
                "content": pl.String,
                "license_no": pl.String,
            },
        )
        for batch in batches:
            for row_id, status, content, license_no in batch.iter_rows():
                whole = Application.model_validate(orjson.loads(content))
                kept = [(i, v) for i, v in enumerate(whole.vehicles) if v.modified is True]
                application = whole.model_copy(update={"vehicles": [v for _, v in kept]})
                current.positions.append([i for i, _ in kept])
                current.applications.append(application)
                current.row_ids.append(int(row_id))
                current.statuses.append(str(status))
                current.licenses.append(license_no)
                count += len(application.vehicles)
                if count >= size:
                    yield current
                    current, count = Chunk([], [], [], [], []), 0
    if current.applications:
        yield current


def with_dimensions(frame: pl.DataFrame) -> pl.DataFrame:
    """The columns the report groups by, never null: the exporter's province (digits 3–4
    of its USCC, the registering authority's division code, GB 32100), destination,
    brand, enterprise and agency."""
    return frame.with_columns(
        province=pl.col("enterprise_uscc").str.slice(2, 2).fill_null("?"),
        destination=pl.col("destination_key").fill_null("?"),
        brand_name=pl.col("brand").str.strip_chars().fill_null("?"),
        enterprise=pl.col("enterprise_uscc").fill_null("?"),
        agency=pl.col("issuing_agency").str.strip_chars().fill_null("?"),
    )
