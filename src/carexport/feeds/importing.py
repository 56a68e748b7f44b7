"""Reading, validating and staging one registry file; `service.import_feed` commits it.

The file is read once. Each row is validated as it is read and, while the import can
still succeed, written into the open transaction (PostgreSQL: COPY into a staging
table). In all-or-nothing mode the first bad row stops the writing but not the
validation, so the report lists every problem; the transaction is then rolled back.
Only a clean run is merged and committed (by the service, once, at the end), so an
import killed at any moment leaves the database as it was before (decision 0004).

CSV files of the feeds declared `columnar` are read a block at a time and checked
column-wise; only the rows those checks do not certainly accept take the row path
below, so the problems and the rows stored are the same (decision 0006).

A column the file does not have leaves the stored value as it is; an empty cell of a
column it has clears it (issue 15). CSV and XLSX: the columns are those of the header
row. JSON Lines: each row's own keys (listed under PRESENT); a key that
is absent keeps, a key whose value is null or "" clears. A new record gets the
declared default of a field it lacks. Parts given as a list (brands, VINs, persons)
are replaced only when their column is there. Ids follow the file, except that the
rows of a JSON Lines file with different keys are written a group at a time per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import ValidationError

from carexport.bulk import BulkWriter, Columns, Row, Target
from carexport.db import UnitOfWork
from carexport.feeds import columnar
from carexport.feeds.files import Source, csv_blocks, open_source, rows
from carexport.feeds.schemas import Feed

# JSON Lines rows list their fields, null or not, under this key (files._jsonl_rows);
# rows without it have the columns of the file's header.
PRESENT = "__present__"


@lru_cache(maxsize=256)
def written(feed: Feed, present: frozenset[str]) -> tuple[Columns, bool]:
    """What rows holding the fields `present` write: the target's columns they set
    (None: all) and whether they replace the record's parts.

    A column is set when it is a present field, a present field's key column, the
    natural key, or derived (`RecordTable.derived_from`) from present fields only;
    a column no field of the feed gives (a license's application) is never set by a feed.
    """
    by_field = {f.name: f for f in feed.columns}
    derived = dict(feed.table.derived_from)
    columns: set[str] = set()
    for column in feed.target.columns:
        sources: Collection[str] | None = None
        if column == feed.target.key:
            columns.add(column)
            continue
        if column in by_field:
            sources = (column,)
        elif column in derived:
            sources = derived[column]
        else:
            sources = [f.name for f in feed.columns if f.key == column] or None
        if sources is not None and all(s in present for s in sources):
            columns.add(column)
    lists = [f.name for f in feed.columns if f.type.is_list]
    replaces_parts = all(name in present for name in lists)
    return (None if columns == set(feed.target.columns) else frozenset(columns)), replaces_parts


class ImportMode(StrEnum):
    ALL_OR_NOTHING = "all-or-nothing"
    SKIP_BAD = "skip-bad"


@dataclass(frozen=True)
class RowProblem:
    """Why one row (or one field of it) was rejected."""

    row: int
    field: str
    value: str | None
    reason_zh: str
    reason_en: str

    def __str__(self) -> str:
        zh = f"第{self.row}行 {self.field}：{self.reason_zh}"
        return f"{zh} / row {self.row} {self.field}: {self.reason_en}"


@dataclass(frozen=True)
class ImportResult:
    kind: str
    path: Path
    mode: ImportMode
    rows_read: int
    rows_valid: int
    rows_rejected: int
    problems: int
    rows_loaded: int  # upserted and committed (0 when rejected)
    committed: bool
    ignored_columns: tuple[str, ...]

    @property
    def rejected(self) -> bool:
        return self.problems > 0


_REASONS: dict[str, tuple[str, str]] = {
    "missing": ("缺少必填值", "required value missing"),
    "string_type": ("应为文本", "expected text"),
    "int_parsing": ("不是整数", "not an integer"),
    "int_type": ("不是整数", "not an integer"),
    "int_from_float": ("不是整数", "not an integer"),
    "bool_parsing": ("应为是/否（true/false）", "expected 是/否 or true/false"),
    "bool_type": ("应为是/否（true/false）", "expected 是/否 or true/false"),
    "date_type": ("不是YYYY-MM-DD日期", "not a date YYYY-MM-DD"),
    "date_from_datetime_inexact": ("不是YYYY-MM-DD日期", "not a date YYYY-MM-DD"),
    "list_type": ("应为列表", "expected a list"),
    "too_short": ("不能为空", "may not be empty"),
    "string_pattern_mismatch": ("格式不对", "wrong format"),
}


def _problems(error: ValidationError, number: int, source: Source) -> list[RowProblem]:
    out = []
    for item in error.errors(include_url=False):
        loc = item["loc"]
        name = str(loc[0]) if loc else "(row)"
        label = source.label(name) + "".join(f"[{p}]" for p in loc[1:])
        kind = item["type"]
        if kind == "value_error":
            message = str(item["msg"]).removeprefix("Value error, ")
            zh, _, en = message.partition(" / ")
            reason = (zh, en or zh)
        elif kind == "enum":
            expected = item.get("ctx", {}).get("expected", "")
            reason = (f"不是允许的值（{expected}）", f"not one of {expected}")
        elif kind in ("greater_than_equal", "less_than_equal"):
            ctx = item.get("ctx", {})
            bound = ctx.get("ge", ctx.get("le"))
            sign = "≥" if kind == "greater_than_equal" else "≤"
            reason = (f"应{sign}{bound}", f"must be {sign} {bound}")
        elif kind.startswith("date_"):
            reason = ("不是YYYY-MM-DD日期", "not a date YYYY-MM-DD")
        else:
            reason = _REASONS.get(kind, ("无效", str(item["msg"])))
        raw = item.get("input")
        value = None if raw is None or isinstance(raw, dict) else str(raw)[:200]
        out.append(RowProblem(number, label, value, reason[0], reason[1]))
    return out


@dataclass
class Staged:
    """A file read and written into the open transaction, not yet merged or committed."""

    writer: BulkWriter
    result: ImportResult

    @property
    def loadable(self) -> bool:
        return not (self.result.mode is ImportMode.ALL_OR_NOTHING and self.result.problems)


def stage_feed(
    *,
    uow: UnitOfWork,
    feed: Feed,
    path: Path,
    fmt: str | None = None,
    mode: ImportMode = ImportMode.ALL_OR_NOTHING,
    on_problem: Callable[[RowProblem], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    encoding: str = "utf-8-sig",
    batch_size: int = 5000,
    columnar_path: bool = True,
    lock_wait: float = 0.0,
) -> Staged:
    """Validate every row of `path` and stage the valid ones; see the module docstring.

    Raises UnusableFile (nothing loaded) when the file cannot be read as this feed.
    Rows whose natural key repeats an earlier row of the same file are rejected: two
    versions of one record in one delivery are ambiguous. `columnar_path=False` forces
    the row path (the tests compare the two). Raises StoreBusy when another import
    holds the feed's tables for longer than `lock_wait` seconds (bulk.py).
    """
    source = open_source(path, feed, fmt)
    writer = BulkWriter(
        uow.session.connection(),
        [feed.target] + ([feed.part] if feed.part else []),
        lock_wait=lock_wait,
    )
    key_index = feed.target.key_index
    key_label = ",".join(source.label(f) for f in feed.key_fields)
    seen: dict[Any, int] = {}
    # The rows to write, grouped by what they write (one group but for JSON Lines rows
    # with different keys, whose groups are written one after the other per batch).
    groups: dict[tuple[Columns, bool], tuple[list[Row], list[Row]]] = {}
    pending = 0
    read = valid = rejected = problems = 0
    validate = feed.schema.model_validate
    build = feed.build
    has_part = feed.part is not None

    def report(problem: RowProblem) -> None:
        nonlocal problems
        problems += 1
        if on_problem is not None:
            on_problem(problem)

    def flush() -> None:
        nonlocal pending
        for (columns, replaces_parts), (batch, parts) in groups.items():
            replaced: dict[Target, Sequence[Row]] | None = (
                {feed.part: parts} if feed.part and replaces_parts else None
            )
            writer.write(feed.target, batch, replaced, columns=columns)
        groups.clear()
        pending = 0

    def file_writes() -> tuple[Columns, bool]:
        # The header has been read once the first row or block has come.
        return written(feed, frozenset(source.headers))

    def same_record(number: int, key: Any, first: int) -> RowProblem:
        return RowProblem(
            number,
            key_label,
            str(key),
            f"与第{first}行是同一记录，一个文件中只能出现一次",
            f"same record as row {first}; a file may hold it only once",
        )

    if columnar_path and columnar.supported(feed, source.fmt):
        # The fast path has no parts and no line errors: those feeds take the row path.
        schema = {columnar.ROW: pl.Int64(), **columnar.output_schema(feed)}
        key_column = feed.target.key
        # The writer copies a block on a thread while the next is read and checked;
        # drain() waits for it (and re-raises its error) before the file counts as staged.
        try:
            for frame in csv_blocks(source, encoding):
                frame = columnar.with_all_fields(feed, frame)
                read += frame.height
                checked = columnar.check(feed, frame)
                found: list[RowProblem] = []
                bad_rows = 0
                extra: list[tuple[Any, ...]] = []
                for number, values in checked.rest:
                    try:
                        row = validate(values)
                    except ValidationError as exc:
                        found.extend(_problems(exc, number, source))
                        bad_rows += 1
                        continue
                    extra.append((number, *build(row)))
                built = checked.built
                if extra:
                    # Back among the others in file order: the ids follow the file.
                    late = pl.DataFrame(extra, schema=schema, orient="row")
                    built = pl.concat([built, late]).sort(columnar.ROW)
                keys = built.get_column(key_column).to_list()
                numbers = built.get_column(columnar.ROW).to_list()
                distinct = set(keys)
                if len(distinct) == len(keys) and not (seen.keys() & distinct):
                    seen.update(zip(keys, numbers, strict=True))  # the usual case, all in C
                else:
                    keep: list[bool] = []
                    for key, number in zip(keys, numbers, strict=True):
                        first = seen.get(key)
                        if first is None:
                            seen[key] = number
                        else:
                            found.append(same_record(number, key, first))
                            bad_rows += 1
                        keep.append(first is None)
                    built = built.filter(pl.Series(keep, dtype=pl.Boolean))
                # Each row has validation problems or a repeated key, never both, so a
                # stable sort by row gives the row path's order.
                found.sort(key=lambda problem: problem.row)
                for problem in found:
                    report(problem)
                rejected += bad_rows
                valid += built.height
                if not (mode is ImportMode.ALL_OR_NOTHING and problems):
                    writer.write_frame(
                        feed.target, built.drop(columnar.ROW), columns=file_writes()[0]
                    )
                if on_progress is not None:
                    on_progress(source.done, source.total)
        except BaseException:
            writer.abort()
            raise
        writer.drain()
        if on_progress is not None:
            on_progress(source.total, source.total)
        return _staged(writer, feed, path, mode, source, read, valid, rejected, problems)

    for number, values in rows(source, encoding):
        read += 1
        if on_progress is not None and read % 2000 == 0:
            on_progress(source.done, source.total)
        error = values.get("__error__")
        if error is not None:
            zh, _, en = str(error).partition(" / ")
            report(RowProblem(number, "(line)", None, zh, en))
            rejected += 1
            continue
        try:
            row = validate(values)
        except ValidationError as exc:
            for problem in _problems(exc, number, source):
                report(problem)
            rejected += 1
            continue
        built = build(row)
        record, part_rows = built if has_part else (built, ())
        key = record[key_index]
        first = seen.get(key)
        if first is not None:
            report(same_record(number, key, first))
            rejected += 1
            continue
        seen[key] = number
        valid += 1
        if mode is ImportMode.ALL_OR_NOTHING and problems:
            continue  # the file is rejected already: validate the rest, write nothing
        fields_given = values.get(PRESENT)
        writes = file_writes() if fields_given is None else written(feed, frozenset(fields_given))
        batch, parts = groups.setdefault(writes, ([], []))
        batch.append(record)
        parts.extend(part_rows)
        pending += 1
        if pending >= batch_size:
            flush()
    if on_progress is not None:
        on_progress(source.total, source.total)

    if not (mode is ImportMode.ALL_OR_NOTHING and problems):
        flush()
    return _staged(writer, feed, path, mode, source, read, valid, rejected, problems)


def _staged(
    writer: BulkWriter,
    feed: Feed,
    path: Path,
    mode: ImportMode,
    source: Source,
    read: int,
    valid: int,
    rejected: int,
    problems: int,
) -> Staged:
    result = ImportResult(
        kind=feed.kind,
        path=path,
        mode=mode,
        rows_read=read,
        rows_valid=valid,
        rows_rejected=rejected,
        problems=problems,
        rows_loaded=0,
        committed=False,
        ignored_columns=tuple(source.ignored),
    )
    return Staged(writer=writer, result=result)
