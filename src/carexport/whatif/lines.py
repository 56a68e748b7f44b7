"""The lines of a period: how many (for progress), and the report's groupings. The
lines themselves are read column-wise (whatif.columnar); the tables are the
applications feature's (only its service writes them), read here only.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import Engine, text

from carexport.whatif.columnar import PERIOD, tuned

# Submitted at least once (an agency has seen it), with content: what the store holds
# as filed. Drafts never filed are not exports a regulator asks about.
_WHERE = PERIOD

COUNT_SQL = f"""
SELECT count(*) FROM vehicle_lines v JOIN applications a ON a.id = v.application_id
 WHERE {_WHERE}
"""


def count_lines(engine: Engine, start: date, end: date, agency: str = "") -> int:
    params = {"start": start, "end": end, "agency": agency}
    with engine.connect() as conn:
        tuned(conn)
        return int(conn.execute(text(COUNT_SQL), params).scalar_one())


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
