"""The columnar fast path of CSV imports (decision 0006): read blocks, check columns.

A block of the file becomes one Polars frame: one text column per field, empty cells as
null, plus the row number the user sees. Each field is checked with a conservative
expression that accepts only values the row schema certainly accepts unchanged (a VIN
already upper-case with its check digit right, a date already YYYY-MM-DD, …); a row that
passes every check is built column-wise. Every other row (bad, or merely unusual, such
as a lower-case VIN) goes through the Pydantic row path, so the problems reported and
the values stored are those of the row path by construction.

The blocks come from `files.csv_blocks`, the one CSV reader (the row path reads the
same blocks row by row).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl
from sqlalchemy import Boolean, Integer

from carexport.domain.vin import vin_problem
from carexport.feeds.fields import ZH_BOOL, plausible_dates, uscc_valid
from carexport.feeds.files import ROW, FileFormat, present
from carexport.feeds.schemas import Feed

__all__ = ["ROW", "Checked", "check", "output_schema", "supported", "with_all_fields"]

# -- field checks ----------------------------------------------------------------------
# Each check returns (accepted, value): `accepted` is true only where the row schema
# certainly accepts the cell and turns it into exactly `value` (null cells are absent).

Check = Callable[[pl.Expr], tuple[pl.Expr, pl.Expr]]

# Leading or trailing characters the schema might strip (str_strip_whitespace): a
# superset of White_Space, so such cells take the row path whatever the exact set is.
_EDGE = r"^[\s\p{Cc}\p{Cf}\p{Zs}]|[\s\p{Cc}\p{Cf}\p{Zs}]$"


def _text(col: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return col.is_null() | ~col.str.contains(_EDGE), col


def _day(col: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    # Years before 1000 are left to the row path (Python dates start at year 1), and so
    # are dates outside the plausible range, which the row path reports.
    plausible = plausible_dates()
    shaped = col.str.contains(r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$")
    day = col.str.to_date("%Y-%m-%d", strict=False)
    real = day.is_not_null() & day.is_between(plausible.earliest, plausible.latest)
    return col.is_null() | (shaped & real.fill_null(False)), col


def _count(col: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    # Non-negative, no sign, no leading zero, at most 9 digits (fits every int column).
    return col.is_null() | col.str.contains(r"^(0|[1-9][0-9]{0,8})$"), col.cast(
        pl.Int64, strict=False
    )


def _letters(col: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return col.is_null() | col.str.contains(r"^[A-Za-z]+$"), col


# The spellings the row schema turns into a boolean (a conservative subset of them).
_FLAGS = {**ZH_BOOL, "true": True, "false": False, "1": True, "0": False}


def _flag(col: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return col.is_null() | col.is_in(list(_FLAGS)), col.replace_strict(
        _FLAGS, default=None, return_dtype=pl.Boolean
    )


_CHECKS: dict[str, Check] = {"text": _text, "day": _day, "count": _count, "letters": _letters}
_CHECKS["flag"] = _flag
# How a column is typed in the frame (String when absent), by the field's SQL type.
_DTYPES: dict[type[Any], type[pl.DataType]] = {Integer: pl.Int64, Boolean: pl.Boolean}


@dataclass(frozen=True)
class FastFeed:
    """How one feed is checked and built column-wise, from its declared fields."""

    checks: dict[str, str]  # field → check name ("vin", "uscc" or a key of _CHECKS)
    required: frozenset[str]  # fields whose empty cell the row path must report
    build: dict[str, str]  # target column → field it is copied from
    dtypes: dict[str, type[pl.DataType]]  # target column → type (String if absent)


@cache
def fast_feed(feed: Feed) -> FastFeed:
    """The columnar plan of `feed`: every target column must be a declared field or a
    field's key column, and every field must have a columnar check."""
    checks: dict[str, str] = {}
    build: dict[str, str] = {}
    dtypes: dict[str, type[pl.DataType]] = {}
    for field in feed.columns:
        assert field.type.check is not None, field.name
        assert not field.type.is_list, field.name
        checks[field.name] = field.type.check
        build[field.name] = field.name
        if field.key is not None:
            # The check accepts only values already in normalised form: key = value.
            assert field.type.check in ("vin", "uscc"), field.name
            build[field.key] = field.name
        dtype = _DTYPES.get(field.type.column)
        if dtype is not None:
            dtypes[field.name] = dtype
    assert set(build) == set(feed.target.columns), feed.kind
    return FastFeed(
        checks=checks,
        required=frozenset(feed.required()),
        build={column: build[column] for column in feed.target.columns},
        dtypes=dtypes,
    )


def supported(feed: Feed, fmt: FileFormat) -> bool:
    return fmt is FileFormat.CSV and feed.columnar and feed.part is None


def output_schema(feed: Feed) -> dict[str, pl.DataType]:
    fast = fast_feed(feed)
    return {c: fast.dtypes.get(c, pl.String)() for c in feed.target.columns}


@dataclass
class Checked:
    """A block split into rows built column-wise and rows left to the row path."""

    built: pl.DataFrame  # ROW + the target's columns, in file order
    rest: list[tuple[int, dict[str, Any]]]  # (row number, values) as files.rows gives


def check(feed: Feed, frame: pl.DataFrame) -> Checked:
    """Split `frame` (ROW + one nullable text column per field of the feed)."""
    fast = fast_feed(feed)
    accepted: list[pl.Expr] = []
    values: dict[str, pl.Expr] = {}
    prepared = frame
    for name, kind in fast.checks.items():
        col = pl.col(name)
        if kind == "vin":
            # The domain's check, value by value (~1 µs each): one VIN rule everywhere.
            vins = frame.get_column(name).to_list()
            valid = [v is not None and vin_problem(v) is None for v in vins]
            prepared = prepared.with_columns(pl.Series(f"__{name}_ok", valid, dtype=pl.Boolean))
            accepted.append(col.is_null() | pl.col(f"__{name}_ok"))
            values[name] = col
        elif kind == "uscc":
            # stdnum is slow but a feed repeats the same few thousand codes: each
            # distinct code of the block is checked once (cached across blocks).
            codes = frame.get_column(name).drop_nulls().unique().to_list()
            valid_codes = [c for c in codes if len(c) == 18 and c.isascii() and _plain_uscc(c)]
            accepted.append(col.is_null() | col.is_in(valid_codes))
            values[name] = col
        else:
            ok, value = _CHECKS[kind](col)
            accepted.append(ok)
            values[name] = value
        if name in fast.required:
            accepted.append(col.is_not_null())  # the row path reports it missing
        # A NUL character is the row path's problem (PostgreSQL cannot store it).
        accepted.append(col.is_null() | ~col.str.contains("\x00", literal=True))
    marked = prepared.with_columns(pl.all_horizontal(accepted).alias("__ok"))
    good = marked.filter(pl.col("__ok"))
    built = good.select(
        pl.col(ROW),
        *(
            values[source].cast(dtype).alias(column)
            for column, dtype in output_schema(feed).items()
            for source in (fast.build[column],)
        ),
    )
    rest_frame = marked.filter(~pl.col("__ok")).select(ROW, *fast.checks)
    rest = [
        (row[ROW], {k: v for k, v in row.items() if k != ROW and present(v)})
        for row in rest_frame.iter_rows(named=True)
    ]
    return Checked(built=built, rest=rest)


def _plain_uscc(code: str) -> bool:
    # Upper-case letters and digits only: what the schema's normalisation leaves as is.
    return code.isalnum() and code == code.upper() and uscc_valid(code)


def with_all_fields(feed: Feed, frame: pl.DataFrame) -> pl.DataFrame:
    """Fields the file has no column for are null (absent) in every row."""
    missing = [c.name for c in feed.columns if c.name not in frame.columns]
    if not missing:
        return frame
    return frame.with_columns(pl.lit(None, dtype=pl.String).alias(m) for m in missing)
