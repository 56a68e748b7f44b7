"""Reading feed files row by row (CSV, XLSX, JSON Lines), never the whole file at once.

Headers are matched to a feed's columns by either name (English field or Chinese
header) after NFKC, trimming and case-folding. Each row comes out as
`(row number as the user sees it, {field: value})`: the spreadsheet row (the header is
row 1) or the line of the JSON Lines file. Empty cells are None.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from carexport.errors import CarexportError
from carexport.feeds.schemas import Feed

if TYPE_CHECKING:  # Polars is imported where a CSV file is read, not with this module
    import polars as pl

ROW = "__row"  # the row number column of a block: the row the user sees
BLOCK_BYTES = 1 << 22  # ~40,000 registration rows: large enough to amortise, small in RAM


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSONL = "jsonl"


class UnusableFile(CarexportError):
    """The file cannot be read as a feed at all (exit 2): nothing was loaded."""

    def __init__(self, path: Path, reason_zh: str, reason_en: str) -> None:
        self.path = path
        self.reason_zh = reason_zh
        self.reason_en = reason_en
        super().__init__(f"{path}: {reason_zh} / {reason_en}")


def format_of(path: Path, given: str | None) -> FileFormat:
    if given:
        return FileFormat(given)
    suffix = path.suffix.lower().lstrip(".")
    aliases = {"csv": "csv", "txt": "csv", "xlsx": "xlsx", "jsonl": "jsonl", "ndjson": "jsonl"}
    if suffix not in aliases:
        raise UnusableFile(
            path,
            "无法从扩展名判断格式，请用 --format 指定 csv、xlsx 或 jsonl",
            "cannot tell the format from the extension; give --format csv, xlsx or jsonl",
        )
    return FileFormat(aliases[suffix])


def _header_key(name: object) -> str:
    return unicodedata.normalize("NFKC", str(name)).strip().casefold()


def header_map(feed: Feed) -> dict[str, str]:
    """Header (normalised) → field, for both names of every column."""
    out: dict[str, str] = {}
    for column in feed.columns:
        out[_header_key(column.name)] = column.name
        out[_header_key(column.zh)] = column.name
    return out


@dataclass
class Source:
    """An open feed file: its matched columns, rows and how far reading has got."""

    path: Path
    fmt: FileFormat
    feed: Feed
    total: int  # bytes (CSV, JSON Lines) or rows (XLSX), for the progress bar
    headers: dict[str, str] = field(default_factory=dict)  # field → header as written
    ignored: list[str] = field(default_factory=list)  # headers matching no column
    done: int = 0

    def label(self, name: str) -> str:
        """The column as the file names it (for messages), else its field name."""
        return self.headers.get(name, name)


def _match_headers(source: Source, raw: list[Any]) -> list[tuple[int, str]]:
    mapping = header_map(source.feed)
    pairs: list[tuple[int, str]] = []
    for index, name in enumerate(raw):
        if name is None or str(name).strip() == "":
            continue
        name_field = mapping.get(_header_key(name))
        if name_field is None or name_field in source.headers:
            source.ignored.append(str(name))
            continue
        source.headers[name_field] = str(name).strip()
        pairs.append((index, name_field))
    missing = [f for f in source.feed.required() if f not in source.headers]
    if missing:
        names = ", ".join(f"{c.name}/{c.zh}" for c in source.feed.columns if c.name in missing)
        raise UnusableFile(
            source.path, f"缺少必需的列：{names}", f"required columns missing: {names}"
        )
    return pairs


def _cell(value: Any) -> Any:
    # Spreadsheet cells come typed; the schemas take text for text, numbers as text
    # (a CCC number typed as a number must not become 2.024e15), dates as dates.
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    return text or None


def rows(source: Source, encoding: str = "utf-8-sig") -> Iterator[tuple[int, dict[str, Any]]]:
    """Each row as (row number, {field: value}); `source.done` advances as it reads."""
    if source.fmt is FileFormat.CSV:
        yield from _csv_rows(source, encoding)
    elif source.fmt is FileFormat.XLSX:
        yield from _xlsx_rows(source)
    else:
        yield from _jsonl_rows(source, encoding)


def open_source(path: Path, feed: Feed, fmt: str | None = None) -> Source:
    kind = format_of(path, fmt)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnusableFile(
            path, f"无法读取文件（{exc.strerror}）", f"cannot read ({exc.strerror})"
        ) from None
    return Source(path=path, fmt=kind, feed=feed, total=size)


@contextmanager
def csv_errors(path: Path, encoding: str) -> Iterator[None]:
    """Decoding and CSV syntax errors as UnusableFile, worded alike for every CSV reader."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise UnusableFile(
            path,
            f"不是 {encoding} 编码的文本（{exc.reason}），可用 --encoding gbk 等指定",
            f"not {encoding} text ({exc.reason}); give --encoding, e.g. gbk",
        ) from None
    except csv.Error as exc:
        raise UnusableFile(path, f"CSV格式错误（{exc}）", f"bad CSV ({exc})") from None


def _csv_rows(source: Source, encoding: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for frame in csv_blocks(source, encoding):
        names = frame.columns[1:]  # after ROW
        for number, *cells in frame.iter_rows():
            # Empty cells are left out, so the schema sees them as absent (None).
            yield number, {k: v for k, v in zip(names, cells, strict=True) if v}


def csv_blocks(source: Source, encoding: str) -> Iterator[pl.DataFrame]:
    """The CSV file as frames of ROW + one text column per matched field (nullable).

    The one CSV reader: the columnar path checks these frames, `rows` reads them row by
    row. A block without quotes, NUL or a lone CR is split on "\\n" and "," (which is
    what the csv module does with such text); from the first block that has any of them
    on, the csv module reads the rest of the file.
    """
    try:
        codec = codecs.lookup(encoding).name
        raw = source.path.open("rb")
    except (OSError, LookupError) as exc:
        raise UnusableFile(source.path, f"无法读取文件（{exc}）", f"cannot read ({exc})") from None
    with raw:
        if codec not in ("utf-8", "utf-8-sig"):
            yield from _module_blocks(source, raw, encoding, 0, 1, None)
            return
        yield from _split_blocks(source, raw, encoding, codec == "utf-8-sig")


def _simple(body: bytes) -> bool:
    # Without quotes, NUL or a CR outside CRLF, a CSV record is a line and its cells are
    # the text between commas: splitting gives exactly what the csv module gives.
    return b'"' not in body and b"\x00" not in body and body.count(b"\r") == body.count(b"\r\n")


def _split_blocks(
    source: Source, raw: IO[bytes], encoding: str, bom: bool
) -> Iterator[pl.DataFrame]:
    pending = b""
    offset = 0  # where `pending` starts in the file
    number = 1  # the row number of the next line (the header is row 1)
    pairs: list[tuple[int, str]] | None = None
    while True:
        chunk = raw.read(BLOCK_BYTES)
        data = pending + chunk
        cut = data.rfind(b"\n") + 1 if chunk else len(data)
        if chunk and cut == 0:
            pending = data  # one line longer than a block: read on
            continue
        body, pending = data[:cut], data[cut:]
        if not body:
            break
        text: str | None = None
        if _simple(body):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None  # the csv module reports it, with the row path's words
        if text is None:
            yield from _module_blocks(source, raw, encoding, offset, number, pairs)
            return
        if offset == 0 and bom:
            text = text.removeprefix("\ufeff")
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        if pairs is None:
            if not lines:  # only a byte-order mark so far
                offset += len(body)
                continue
            header = lines[0].removesuffix("\r")
            pairs = _match_headers(source, header.split(","))
            lines = lines[1:]
            number += 1
        frame = _lines_frame(lines, number, pairs)
        number += len(lines)
        offset += len(body)
        source.done = offset
        if frame.height:
            yield frame
    if pairs is None:
        raise UnusableFile(source.path, "文件为空", "the file is empty")
    source.done = source.total


def _lines_frame(lines: list[str], first: int, pairs: list[tuple[int, str]]) -> pl.DataFrame:
    import polars as pl

    frame = pl.DataFrame(
        {
            ROW: pl.int_range(first, first + len(lines), dtype=pl.Int64, eager=True),
            "__line": pl.Series(lines, dtype=pl.String).str.strip_suffix("\r"),
        }
    )
    cells = pl.col("__line").str.split(",")
    frame = frame.with_columns(cells.alias("__cells"))
    # A line of nothing but commas is a blank row, skipped (csv: `not any(cells)`).
    frame = frame.filter(~pl.col("__line").str.contains(r"^,*$"))
    return frame.select(
        ROW,
        *(_empty_null(pl.col("__cells").list.get(i, null_on_oob=True)).alias(n) for i, n in pairs),
    )


def _empty_null(col: pl.Expr) -> pl.Expr:
    import polars as pl

    return pl.when(col == "").then(None).otherwise(col)


def _module_blocks(
    source: Source,
    raw: IO[bytes],
    encoding: str,
    offset: int,
    number: int,
    pairs: list[tuple[int, str]] | None,
) -> Iterator[pl.DataFrame]:
    """The rest of the file from byte `offset` (a line start) through the csv module."""
    import polars as pl

    raw.seek(offset)
    codec = encoding
    if offset and codecs.lookup(encoding).name == "utf-8-sig":
        codec = "utf-8"  # the mark can only be at the very start
    text = io.TextIOWrapper(raw, encoding=codec, newline="")
    reader = csv.reader(text)
    with csv_errors(source.path, encoding):
        if pairs is None:
            header = next(reader, None)
            if header is None:
                raise UnusableFile(source.path, "文件为空", "the file is empty")
            pairs = _match_headers(source, header)
            number += 1
        names = [name for _, name in pairs]
        indices = [index for index, _ in pairs]
        while True:
            numbers: list[int] = []
            columns: list[list[str | None]] = [[] for _ in names]
            for cells in reader:
                current = number
                number += 1
                if not any(cells):
                    continue
                numbers.append(current)
                width = len(cells)
                for column, index in zip(columns, indices, strict=True):
                    column.append((cells[index] or None) if index < width else None)
                if len(numbers) >= 20_000:
                    break
            if not numbers:
                break
            source.done = raw.tell()
            yield pl.DataFrame(
                {
                    ROW: pl.Series(numbers, dtype=pl.Int64),
                    **{
                        n: pl.Series(c, dtype=pl.String)
                        for n, c in zip(names, columns, strict=True)
                    },
                }
            )
    source.done = source.total


def _xlsx_rows(source: Source) -> Iterator[tuple[int, dict[str, Any]]]:
    from python_calamine import CalamineError, load_workbook

    try:
        workbook = load_workbook(str(source.path))
        sheet = workbook.get_sheet_by_index(0)
    except (CalamineError, OSError, ValueError) as exc:
        raise UnusableFile(
            source.path, f"不是可读的XLSX文件（{exc}）", f"not a readable XLSX file ({exc})"
        ) from None
    source.total = max(sheet.total_height - 1, 0)
    it = iter(sheet.iter_rows())
    header = next(it, None)
    if header is None:
        raise UnusableFile(source.path, "工作表为空", "the first sheet is empty")
    pairs = _match_headers(source, list(header))
    for offset, cells in enumerate(it):
        number = sheet.start[0] + 2 + offset if sheet.start else offset + 2
        width = len(cells)
        values = {name: _cell(cells[i]) for i, name in pairs if i < width}
        values = {name: value for name, value in values.items() if value is not None}
        source.done = offset + 1
        if not values:
            continue
        yield number, values


def _jsonl_rows(source: Source, encoding: str) -> Iterator[tuple[int, dict[str, Any]]]:
    mapping = header_map(source.feed)
    seen_keys: dict[str, str | None] = {}
    try:
        raw = source.path.open("rb")
    except OSError as exc:
        raise UnusableFile(source.path, f"无法读取文件（{exc}）", f"cannot read ({exc})") from None
    with raw:
        position = 0
        for number, line in enumerate(raw, start=1):
            position += len(line)
            source.done = position
            if not line.strip():
                continue
            try:
                obj = json.loads(line.decode(encoding))
            except UnicodeDecodeError as exc:
                raise UnusableFile(
                    source.path,
                    f"不是 {encoding} 编码的文本（{exc.reason}）",
                    f"not {encoding} text ({exc.reason})",
                ) from None
            except json.JSONDecodeError as exc:
                yield number, {"__error__": f"不是JSON（{exc.msg}） / not JSON ({exc.msg})"}
                continue
            if not isinstance(obj, dict):
                yield number, {"__error__": "不是JSON对象 / not a JSON object"}
                continue
            values: dict[str, Any] = {}
            for key, value in obj.items():
                if key not in seen_keys:
                    name_field = mapping.get(_header_key(key))
                    seen_keys[key] = name_field
                    if name_field is not None:
                        source.headers.setdefault(name_field, key)
                    else:
                        source.ignored.append(key)
                name_field = seen_keys[key]
                # Null and "" mean absent, as in FACTS.json.
                if name_field is not None and value is not None and value != "":
                    values[name_field] = value
            yield number, values
