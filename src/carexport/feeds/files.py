"""Reading feed files row by row (CSV, XLSX, JSON Lines), never the whole file at once.

Headers are matched to a feed's columns by either name (English field or Chinese
header) after NFKC, trimming and case-folding; one field under two headers (`vin` and
`车辆识别代号`) makes the file unusable. Each row comes out as
`(row number as the user sees it, {field: value})`: the spreadsheet row or the line of
the JSON Lines file. Empty cells, and cells of nothing but spaces, are absent.

The reader is the guard against hostile files (docs/limits.md): a file larger than
`max_import_file_bytes`, a line longer than `max_line_bytes`, a FIFO or a device, an
XLSX whose zip entries, compression ratio or sheet area pass their limits (checked from
the zip directory and a streamed scan of each sheet, before the spreadsheet reader
allocates anything) are refused as unusable (exit 2). What is wrong in one cell (an
error value such as #N/A, a formula without a saved value, a merged cell, a duplicate
JSON key, too deep a JSON row) becomes a `Refused` value of that field, which the row
schema reports as the row's problem.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from xml.etree import ElementTree

from carexport.config import Settings, get_settings
from carexport.errors import CarexportError, InvalidInput
from carexport.feeds.fields import Refused
from carexport.feeds.schemas import Feed
from carexport.jsondoc import clip, parse

if TYPE_CHECKING:  # Polars is imported where a CSV file is read, not with this module
    import polars as pl

ROW = "__row"  # the row number column of a block: the row the user sees
BLOCK_BYTES = 1 << 22  # ~40,000 registration rows: large enough to amortise, small in RAM
HEADER_SCAN_ROWS = 20  # an XLSX header row is looked for among a sheet's first rows
DELIMITERS = (",", ";", "\t")  # CSV delimiters tried on the header line, first wins ties
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0"  # old .xls, or an encrypted workbook


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


def present(value: Any) -> bool:
    """Whether a cell holds a value: None, "" and text of nothing but spaces are absent
    (the schema would strip such text to "", which is no value either)."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True


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
    limits: Settings = field(default_factory=get_settings)
    headers: dict[str, str] = field(default_factory=dict)  # field → header as written
    ignored: list[str] = field(default_factory=list)  # headers matching no column
    done: int = 0

    def label(self, name: str) -> str:
        """The column as the file names it (for messages), else its field name."""
        return self.headers.get(name, name)


# -- headers -----------------------------------------------------------------------------


@dataclass
class _Header:
    """One candidate header row: which cells name which fields."""

    read: list[str]  # the non-empty cells as written
    pairs: list[tuple[int, str]]  # (cell index, field)
    by_field: dict[str, list[str]]  # field → the headers naming it (two is an error)
    ignored: list[str]
    missing: list[str]  # required fields no header names

    @property
    def usable(self) -> bool:
        return not self.missing


def _read_header(feed: Feed, raw: Iterable[Any]) -> _Header:
    mapping = header_map(feed)
    read: list[str] = []
    pairs: list[tuple[int, str]] = []
    by_field: dict[str, list[str]] = {}
    ignored: list[str] = []
    for index, name in enumerate(raw):
        if not present(name):
            continue
        text = str(name).strip()
        read.append(text)
        name_field = mapping.get(_header_key(text))
        if name_field is None:
            ignored.append(text)
            continue
        if name_field not in by_field:
            pairs.append((index, name_field))
        by_field.setdefault(name_field, []).append(text)
    missing = [f for f in feed.required() if f not in by_field]
    return _Header(read, pairs, by_field, ignored, missing)


def _names(feed: Feed, fields: Iterable[str]) -> str:
    wanted = set(fields)
    return ", ".join(f"{c.name}/{c.zh}" for c in feed.columns if c.name in wanted)


def _shown(read: list[str]) -> str:
    cells = [clip(h, 40) for h in read[:12]]
    more = f" … (+{len(read) - 12})" if len(read) > 12 else ""
    return "[" + ", ".join(cells) + more + "]"


def _accept(source: Source, header: _Header, where_zh: str, where_en: str) -> None:
    """Take `header` as the file's header row, or say why the file is unusable."""
    for name, written in header.by_field.items():
        if len(written) > 1:
            both = " 和 ".join(written)
            raise UnusableFile(
                source.path,
                f"{where_zh}：列 {both} 都是字段 {name}，只能保留一个",
                f"{where_en}: columns {' and '.join(written)} are the same field {name}; keep one",
            )
    if header.missing:
        missing = _names(source.feed, header.missing)
        raise UnusableFile(
            source.path,
            f"{where_zh}读到的列 {_shown(header.read)}，缺少必需的列：{missing}",
            f"{where_en} reads the headers {_shown(header.read)}; "
            f"required columns missing: {missing}",
        )
    source.headers.update({name: written[0] for name, written in header.by_field.items()})
    source.ignored.extend(header.ignored)


# -- opening -----------------------------------------------------------------------------


def check_file(path: Path, limits: Settings | None = None) -> int:
    """The size of `path` if it is a regular file within the size limit, else UnusableFile.

    A FIFO, a device (`/dev/zero`) or a socket is refused by what it is, without being
    opened (opening a FIFO blocks until someone writes to it)."""
    limits = limits or get_settings()
    try:
        info = path.stat()
    except FileNotFoundError:
        raise UnusableFile(path, "文件不存在", "no such file") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UnusableFile(path, f"无法读取文件（{reason}）", f"cannot read ({reason})") from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise UnusableFile(path, "是目录，不是文件", "is a directory, not a file")
    if not stat.S_ISREG(mode):
        kind = "命名管道（FIFO）" if stat.S_ISFIFO(mode) else "设备或套接字"
        kind_en = "a FIFO" if stat.S_ISFIFO(mode) else "a device or socket"
        raise UnusableFile(
            path,
            f"不是普通文件（{kind}），请先把数据保存为文件再导入",
            f"not a regular file ({kind_en}); save the data to a file and import that",
        )
    if info.st_size > limits.max_import_file_bytes:
        raise UnusableFile(
            path,
            f"文件大于{limits.max_import_file_bytes}字节（CAREXPORT_MAX_IMPORT_FILE_BYTES），未读取",
            f"larger than {limits.max_import_file_bytes} bytes (the limit "
            "CAREXPORT_MAX_IMPORT_FILE_BYTES): not read",
        )
    return info.st_size


def open_source(path: Path, feed: Feed, fmt: str | None = None) -> Source:
    kind = format_of(path, fmt)
    limits = get_settings()
    size = check_file(path, limits)
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UnusableFile(path, f"无法读取文件（{reason}）", f"cannot read ({reason})") from None
    if kind is not FileFormat.XLSX and magic == _ZIP:
        raise UnusableFile(
            path,
            "这是XLSX（zip）文件，不是文本：请用 --format xlsx 或把扩展名改为 .xlsx",
            "this is an XLSX (zip) file, not text: give --format xlsx or rename it to .xlsx",
        )
    if magic == _OLE2:
        raise UnusableFile(
            path,
            "这是旧版 .xls 或加密的工作簿：请在Excel中另存为 .xlsx 或 CSV",
            "this is an old .xls or an encrypted workbook: save it as .xlsx or CSV in Excel",
        )
    if kind is FileFormat.XLSX and magic != _ZIP:
        raise UnusableFile(
            path,
            "不是XLSX文件（没有zip签名）；若是CSV请用 --format csv",
            "not an XLSX file (no zip signature); if it is CSV, give --format csv",
        )
    return Source(path=path, fmt=kind, feed=feed, total=size, limits=limits)


def rows(source: Source, encoding: str = "utf-8-sig") -> Iterator[tuple[int, dict[str, Any]]]:
    """Each row as (row number, {field: value}); `source.done` advances as it reads."""
    if source.fmt is FileFormat.CSV:
        yield from _csv_rows(source, encoding)
    elif source.fmt is FileFormat.XLSX:
        yield from _xlsx_rows(source)
    else:
        yield from _jsonl_rows(source, encoding)


# -- text files: encodings and line bounds -------------------------------------------------


def _not_encoded(path: Path, encoding: str, reason: str) -> UnusableFile:
    # GB18030 holds every GBK file and the characters GBK lacks: it is the right advice
    # for a Chinese file that is not UTF-8, and for a "GBK" file that is GB18030.
    codec = codecs.lookup(encoding).name
    hint = "gb18030" if codec != "gb18030" else "utf-8"
    return UnusableFile(
        path,
        f"不是 {encoding} 编码的文本（{reason}），可用 --encoding {hint} 等指定",
        f"not {encoding} text ({reason}); give --encoding, e.g. {hint}",
    )


def _too_long(source: Source, row: int) -> UnusableFile:
    limit = source.limits.max_line_bytes
    return UnusableFile(
        source.path,
        f"第{row}行超过{limit}字节（CAREXPORT_MAX_LINE_BYTES），未读完；是否不是文本文件？",
        f"row {row} is longer than {limit} bytes (the limit CAREXPORT_MAX_LINE_BYTES): "
        "not read on; is it a text file at all?",
    )


@contextmanager
def csv_errors(path: Path, encoding: str) -> Iterator[None]:
    """Decoding and CSV syntax errors as UnusableFile, worded alike for every CSV reader."""
    try:
        yield
    except UnicodeError as exc:  # a decoding error, or a UTF-16 stream without its BOM
        raise _not_encoded(path, encoding, getattr(exc, "reason", str(exc))) from None
    except csv.Error as exc:
        raise UnusableFile(path, f"CSV格式错误（{exc}）", f"bad CSV ({exc})") from None


def _bounded_lines(source: Source, text: IO[str], first_row: int) -> Iterator[str]:
    """The lines of `text` (endings kept, as csv wants), none longer than the limit:
    reading stops at the limit, so a file without a newline is never held whole."""
    limit = source.limits.max_line_bytes
    row = first_row
    while True:
        line = text.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(("\n", "\r")):
            raise _too_long(source, row)
        row += 1
        yield line


def _sniff(feed: Feed, line: str) -> tuple[str, _Header]:
    """The delimiter that makes `line` the best header (all required columns, else the
    most columns matched) and the header it gives."""
    best: tuple[str, _Header] | None = None
    for delimiter in DELIMITERS:
        cells = next(csv.reader([line], delimiter=delimiter), [])
        header = _read_header(feed, cells)
        score = (header.usable, len(header.by_field))
        if best is None or score > (best[1].usable, len(best[1].by_field)):
            best = (delimiter, header)
    assert best is not None
    return best


def _csv_header(source: Source, line: str) -> tuple[str, list[tuple[int, str]]]:
    delimiter, header = _sniff(source.feed, line)
    shown = {",": ",", ";": ";", "\t": "tab"}[delimiter]
    _accept(source, header, f"第1行（分隔符 {shown}）", f"row 1 (delimiter {shown})")
    return delimiter, header.pairs


def _csv_rows(source: Source, encoding: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for frame in csv_blocks(source, encoding):
        names = frame.columns[1:]  # after ROW
        for number, *cells in frame.iter_rows():
            # Empty and blank cells are left out, so the schema sees them as absent.
            yield number, {k: v for k, v in zip(names, cells, strict=True) if present(v)}


def csv_blocks(source: Source, encoding: str) -> Iterator[pl.DataFrame]:
    """The CSV file as frames of ROW + one text column per matched field (nullable).

    The one CSV reader: the columnar path checks these frames, `rows` reads them row by
    row. A block without quotes, NUL or a lone CR is split on "\\n" and the delimiter
    (which is what the csv module does with such text); from the first block that has
    any of them on, the csv module reads the rest of the file.
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
    # the text between delimiters: splitting gives exactly what the csv module gives.
    return b'"' not in body and b"\x00" not in body and body.count(b"\r") == body.count(b"\r\n")


def _split_blocks(
    source: Source, raw: IO[bytes], encoding: str, bom: bool
) -> Iterator[pl.DataFrame]:
    limit = source.limits.max_line_bytes
    pending = b""
    offset = 0  # where `pending` starts in the file
    number = 1  # the row number of the next line (the header is row 1)
    header: tuple[str, list[tuple[int, str]]] | None = None
    while True:
        chunk = raw.read(BLOCK_BYTES)
        data = pending + chunk
        cut = data.rfind(b"\n") + 1 if chunk else len(data)
        if chunk and cut == 0:
            if len(data) > limit:
                raise _too_long(source, number)
            pending = data  # one line longer than a block: read on
            continue
        body, pending = data[:cut], data[cut:]
        if len(pending) > limit:
            raise _too_long(source, number + body.count(b"\n"))
        if not body:
            break
        text: str | None = None
        if _simple(body):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None  # the csv module reports it, with the row path's words
        if text is None:
            pairs = header[1] if header else None
            delimiter = header[0] if header else None
            yield from _module_blocks(source, raw, encoding, offset, number, pairs, delimiter)
            return
        if offset == 0 and bom:
            text = text.removeprefix("\ufeff")
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        if header is None:
            if not lines:  # only a byte-order mark so far
                offset += len(body)
                continue
            if len(lines[0].encode()) > limit:
                raise _too_long(source, number)
            header = _csv_header(source, lines[0].removesuffix("\r"))
            lines = lines[1:]
            number += 1
        frame = _lines_frame(source, lines, number, header)
        number += len(lines)
        offset += len(body)
        source.done = offset
        if frame.height:
            yield frame
    if header is None:
        raise UnusableFile(source.path, "文件为空", "the file is empty")
    source.done = source.total


def _lines_frame(
    source: Source, lines: list[str], first: int, header: tuple[str, list[tuple[int, str]]]
) -> pl.DataFrame:
    import polars as pl

    delimiter, pairs = header
    frame = pl.DataFrame(
        {
            ROW: pl.int_range(first, first + len(lines), dtype=pl.Int64, eager=True),
            "__line": pl.Series(lines, dtype=pl.String).str.strip_suffix("\r"),
        }
    )
    long = frame.filter(pl.col("__line").str.len_bytes() > source.limits.max_line_bytes)
    if long.height:
        raise _too_long(source, long.item(0, ROW))
    cells = pl.col("__line").str.split(delimiter)
    frame = frame.with_columns(cells.alias("__cells"))
    # A line of nothing but delimiters is a blank row, skipped (csv: `not any(cells)`).
    frame = frame.filter(~pl.col("__line").str.contains(f"^[{re.escape(delimiter)}]*$"))
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
    delimiter: str | None = None,
) -> Iterator[pl.DataFrame]:
    """The rest of the file from byte `offset` (a line start) through the csv module."""
    import polars as pl

    raw.seek(offset)
    codec = encoding
    if offset and codecs.lookup(encoding).name == "utf-8-sig":
        codec = "utf-8"  # the mark can only be at the very start
    text = io.TextIOWrapper(raw, encoding=codec, newline="")
    with csv_errors(source.path, encoding):
        lines = _bounded_lines(source, text, number)
        if pairs is None:
            first = next(lines, None)
            if first is None:
                raise UnusableFile(source.path, "文件为空", "the file is empty")
            delimiter, pairs = _csv_header(source, first)
            number += 1
        reader = csv.reader(lines, delimiter=delimiter or ",")
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


# -- XLSX --------------------------------------------------------------------------------

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_RATIO_FLOOR = 1 << 20  # an entry inflating to less than this cannot be a bomb
_PART_BYTES = 16 << 20  # workbook.xml, its relationships; and one cell's XML at most
_SCAN_BYTES = 1 << 20
_DIMENSION = re.compile(rb'<dimension\b[^>]*?\bref="([^"]*)"')
_CELL_REF = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,4})([0-9]{1,9})"')
_ROW_REF = re.compile(rb'<row\b[^>]*?\br="([0-9]{1,9})"')
_ROW_TAG = re.compile(rb"<row[\s>/]")
_CELL_TAG = re.compile(rb"<c[\s>/]")
_ERROR_CELL = re.compile(rb'<c\b([^>]*\bt="e"[^>]*)>(.*?)</c>', re.S)
_FORMULA_CELL = re.compile(rb"<c\b([^>]*[^/>])?>((?:(?!</c>).)*?<f[\s>/](?:(?!</c>).)*?)</c>", re.S)
_R_ATTR = re.compile(rb'\br="([A-Z]{1,4})([0-9]{1,9})"')
_T_ATTR = re.compile(rb'\bt="([A-Za-z]+)"')
_VALUE = re.compile(rb"<v(?:\s[^>]*)?>([^<]*)</v>")
_REF = re.compile(r"([A-Z]{1,4})([0-9]{1,9})")


def _column_index(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number - 1


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell_name(row: int, col: int) -> str:
    """A 0-based (row, column) as Excel names it: (4, 2) is C5."""
    return f"{_column_letters(col)}{row + 1}"


@dataclass
class _SheetScan:
    """What a streamed pass over one sheet's XML found, before any cell is loaded."""

    rows: int = 0  # the sheet's extent: the last row and column used or declared
    columns: int = 0
    loose_rows: int = 0  # <row> and <c> elements without a position (placed after the
    loose_cells: int = 0  # one before, so each may push the extent one further)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) → #N/A
    unsaved: set[tuple[int, int]] = field(default_factory=set)  # formulas without a value


def _position(attributes: bytes) -> tuple[int, int] | None:
    match = _R_ATTR.search(attributes)
    if match is None:
        return None
    return int(match[2]) - 1, _column_index(match[1].decode())


def _scan_part(scan: _SheetScan, part: bytes) -> None:
    dimension = _DIMENSION.search(part)
    if dimension is not None:
        end = _REF.fullmatch(dimension[1].decode("ascii", "replace").split(":")[-1])
        if end is not None:
            scan.rows = max(scan.rows, int(end[2]))
            scan.columns = max(scan.columns, _column_index(end[1]) + 1)
    rows = _ROW_REF.findall(part)
    if rows:
        scan.rows = max(scan.rows, max(map(int, rows)))
    scan.loose_rows += len(_ROW_TAG.findall(part)) - len(rows)
    cells = _CELL_REF.findall(part)
    if cells:
        scan.rows = max(scan.rows, max(int(r) for _, r in cells))
        letters = max((c for c, _ in cells), key=lambda c: (len(c), c))
        scan.columns = max(scan.columns, _column_index(letters.decode()) + 1)
    scan.loose_cells += len(_CELL_TAG.findall(part)) - len(cells)
    if b't="e"' in part:
        for match in _ERROR_CELL.finditer(part):
            where = _position(match[1])
            value = _VALUE.search(match[2])
            if where is not None:
                shown = value[1].decode("utf-8", "replace") if value else ""
                scan.errors[where] = clip(shown or "#ERROR", 20)
    if b"<f" in part:
        for match in _FORMULA_CELL.finditer(part):
            attributes = match[1] or b""
            where = _position(attributes)
            value = _VALUE.search(match[2])
            kind = _T_ATTR.search(attributes)
            # t="str" with an empty <v> is a formula whose saved result is "".
            empty_text = kind is not None and kind[1] == b"str"
            saved = value is not None and (bool(value[1]) or empty_text)
            if where is not None and not saved:
                scan.unsaved.add(where)


def _bomb(source: Source, zh: str, en: str) -> UnusableFile:
    return UnusableFile(source.path, f"XLSX文件被拒绝：{zh}", f"XLSX refused: {en}")


def _inflated(source: Source, handle: IO[bytes], info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The entry's bytes, inflated a bounded piece at a time, never more than its
    declared size: an entry that inflates beyond what the zip directory says (where the
    size checks looked) is refused, whatever the CRC says."""
    handle.seek(info.header_offset)
    head = handle.read(30)
    if len(head) != 30 or head[:4] != _ZIP:
        raise zipfile.BadZipFile(f"bad local header of {info.filename}")
    name_length, extra_length = struct.unpack("<HH", head[26:30])
    handle.seek(info.header_offset + 30 + name_length + extra_length)
    left = info.compress_size
    total = 0
    if info.compress_type == zipfile.ZIP_STORED:
        inflate = None
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflate = zlib.decompressobj(-15)
    else:
        raise zipfile.BadZipFile(f"{info.filename}: compression {info.compress_type}")
    while left > 0 or (inflate is not None and inflate.unconsumed_tail):
        data = b""
        if inflate is not None and inflate.unconsumed_tail:
            data = inflate.unconsumed_tail
        elif left > 0:
            data = handle.read(min(left, 1 << 16))
            if not data:
                raise zipfile.BadZipFile(f"{info.filename} is cut short")
            left -= len(data)
        out = data if inflate is None else inflate.decompress(data, _SCAN_BYTES)
        total += len(out)
        if total > info.file_size:
            raise _bomb(
                source,
                f"{info.filename} 解压后超过它声明的{info.file_size}字节",
                f"{info.filename} inflates beyond its declared {info.file_size} bytes",
            )
        if out:
            yield out
    rest = inflate.flush() if inflate is not None else b""
    if total + len(rest) > info.file_size:
        raise _bomb(
            source,
            f"{info.filename} 解压后超过它声明的{info.file_size}字节",
            f"{info.filename} inflates beyond its declared {info.file_size} bytes",
        )
    if rest:
        yield rest


def _scan_sheet(source: Source, pieces: Iterator[bytes], name: str) -> _SheetScan:
    limits = source.limits
    scan = _SheetScan()
    carry = b""
    while True:
        chunk = next(pieces, b"")
        data = carry + chunk
        # Cut before the last cell (or tag) begins: cells do not nest, so the part
        # before holds whole cells only; the rest waits for the next chunk.
        cut = len(data) if not chunk else max(data.rfind(b"<c"), data.rfind(b"<row"))
        if cut <= 0:
            cut = data.rfind(b"<") if chunk else len(data)
        if cut > 0:
            _scan_part(scan, data[:cut])
            data = data[cut:]
        carry = data
        if len(carry) > _PART_BYTES:
            raise _bomb(source, f"工作表「{name}」有超大单元格", f"sheet '{name}' has a huge cell")
        if not chunk:
            break
    rows = scan.rows + scan.loose_rows
    columns = scan.columns + scan.loose_cells
    if (
        rows > limits.xlsx_max_rows
        or columns > limits.xlsx_max_columns
        or rows * columns > limits.xlsx_max_cells
    ):
        corner = _cell_name(max(rows - 1, 0), max(columns - 1, 0))
        raise _bomb(
            source,
            f"工作表「{name}」的范围到 {corner}（{rows}行、{columns}列），超过限制"
            f"（{limits.xlsx_max_rows}行、{limits.xlsx_max_columns}列、共{limits.xlsx_max_cells}"
            "个单元格；CAREXPORT_XLSX_MAX_ROWS/COLUMNS/CELLS）",
            f"sheet '{name}' reaches {corner} ({rows} rows, {columns} columns), over the limits "
            f"({limits.xlsx_max_rows} rows, {limits.xlsx_max_columns} columns, "
            f"{limits.xlsx_max_cells} cells; CAREXPORT_XLSX_MAX_ROWS/COLUMNS/CELLS)",
        )
    return scan


def _small_xml(source: Source, archive: zipfile.ZipFile, entry: str) -> ElementTree.Element:
    info = archive.getinfo(entry)
    if info.file_size > _PART_BYTES:
        raise _bomb(source, f"{entry} 过大", f"{entry} is too large")
    data = archive.read(entry)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # OOXML has no DTDs: entity bombs
        raise _bomb(source, f"{entry} 含DTD", f"{entry} holds a DTD")
    return ElementTree.fromstring(data)


def _sheet_entries(source: Source, archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip entry) of every worksheet, in workbook order, plus any worksheet
    entry the workbook does not name (scanned all the same: the reader might open it)."""
    names = set(archive.namelist())
    out: list[tuple[str, str]] = []
    if "xl/workbook.xml" in names and "xl/_rels/workbook.xml.rels" in names:
        book = _small_xml(source, archive, "xl/workbook.xml")
        rels = _small_xml(source, archive, "xl/_rels/workbook.xml.rels")
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(_PKG_REL)}
        for sheet in book.iter(f"{_MAIN}sheet"):
            target = targets.get(sheet.get(_REL_ID), "")
            entry = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if entry in names:
                out.append((sheet.get("name", entry), entry))
    named = {entry for _, entry in out}
    for entry in sorted(names - named):
        if entry.lower().startswith(("xl/worksheets/", "xl/chartsheets/")) and entry.endswith(
            ".xml"
        ):
            out.append((entry, entry))
    return out


def _scan_xlsx(source: Source) -> dict[str, _SheetScan]:
    """Check the zip directory and scan every sheet; the scans by sheet name."""
    limits = source.limits
    try:
        archive = zipfile.ZipFile(source.path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnusableFile(
            source.path, f"不是可读的XLSX文件（{exc}）", f"not a readable XLSX file ({exc})"
        ) from None
    with archive:
        infos = archive.infolist()
        inflated = sum(info.file_size for info in infos)
        if inflated > limits.xlsx_max_uncompressed_bytes:
            raise _bomb(
                source,
                f"解压后共{inflated}字节，超过{limits.xlsx_max_uncompressed_bytes}字节"
                "（CAREXPORT_XLSX_MAX_UNCOMPRESSED_BYTES）",
                f"{inflated} bytes once inflated, over {limits.xlsx_max_uncompressed_bytes} "
                "(the limit CAREXPORT_XLSX_MAX_UNCOMPRESSED_BYTES)",
            )
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > _RATIO_FLOOR and ratio > limits.xlsx_max_compression_ratio:
                raise _bomb(
                    source,
                    f"{info.filename} 的压缩比为{ratio:.0f}，超过"
                    f"{limits.xlsx_max_compression_ratio}（CAREXPORT_XLSX_MAX_COMPRESSION_RATIO）",
                    f"{info.filename} inflates {ratio:.0f} times, over "
                    f"{limits.xlsx_max_compression_ratio} "
                    "(the limit CAREXPORT_XLSX_MAX_COMPRESSION_RATIO)",
                )
        try:
            sheets = {entry: name for name, entry in _sheet_entries(source, archive)}
            scans: dict[str, _SheetScan] = {}
            with source.path.open("rb") as handle:
                # Every entry: the reader inflates them all (shared strings, styles).
                for info in infos:
                    pieces = _inflated(source, handle, info)
                    name = sheets.get(info.filename)
                    if name is not None:
                        scans[name] = _scan_sheet(source, pieces, name)
                    else:
                        for _ in pieces:
                            pass
            return scans
        except (zipfile.BadZipFile, ElementTree.ParseError, OSError, EOFError, zlib.error) as exc:
            raise UnusableFile(
                source.path, f"不是可读的XLSX文件（{exc}）", f"not a readable XLSX file ({exc})"
            ) from None


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


def _marks(
    source: Source,
    sheet: Any,
    scan: _SheetScan,
    header_row: int,
    columns: dict[int, str],
) -> dict[int, dict[str, Refused]]:
    """Cells of the read columns below the header that cannot be loaded as they show,
    by 0-based row then field: error values, formulas without a saved value, merged
    cells (every row of the range, since all but the first read as empty)."""
    marks: dict[int, dict[str, Refused]] = {}
    for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []:
        if r1 < header_row:
            continue  # a title above the header
        span = f"{_cell_name(r0, c0)}:{_cell_name(r1, c1)}"
        if r0 <= header_row:
            raise UnusableFile(
                source.path,
                f"表头行（第{header_row + 1}行）有合并单元格 {span}，请取消合并",
                f"the header row (row {header_row + 1}) has merged cells {span}; unmerge them",
            )
        inside = [columns[c] for c in range(c0, c1 + 1) if c in columns]
        if not inside:
            continue
        reason = Refused(
            span,
            f"合并单元格 {span}：请取消合并并填写每个单元格",
            f"merged cells {span}: unmerge them and fill in every cell",
        )
        for row in range(r0, min(r1, scan.rows) + 1):
            marks.setdefault(row, {})[inside[0]] = reason
    for (row, col), shown in scan.errors.items():
        if row > header_row and col in columns:
            cell = _cell_name(row, col)
            marks.setdefault(row, {})[columns[col]] = Refused(
                shown, f"单元格{cell}显示错误值 {shown}", f"cell {cell} shows the error {shown}"
            )
    for row, col in scan.unsaved:
        if row > header_row and col in columns and (row, col) not in scan.errors:
            cell = _cell_name(row, col)
            marks.setdefault(row, {})[columns[col]] = Refused(
                cell,
                f"单元格{cell}是没有保存结果的公式：请在Excel中重新计算并保存",
                f"cell {cell} is a formula without a saved value: recalculate and save in Excel",
            )
    return marks


def _xlsx_rows(source: Source) -> Iterator[tuple[int, dict[str, Any]]]:
    from python_calamine import CalamineError, load_workbook

    scans = _scan_xlsx(source)  # refuses a bomb before the reader allocates anything
    try:
        workbook = load_workbook(str(source.path))
        names = list(workbook.sheet_names)
    except (CalamineError, OSError, ValueError) as exc:
        raise UnusableFile(
            source.path, f"不是可读的XLSX文件（{exc}）", f"not a readable XLSX file ({exc})"
        ) from None
    read_zh: list[str] = []
    read_en: list[str] = []
    for index, name in enumerate(names):
        try:
            sheet = workbook.get_sheet_by_index(index)
        except (CalamineError, OSError, ValueError):
            continue  # a chart sheet or one the reader cannot take: not the data
        # iter_rows starts at the sheet's first row, and at its first used column.
        it = iter(sheet.iter_rows())
        first_column = sheet.start[1] if sheet.start else 0
        found: tuple[int, _Header] | None = None
        best: tuple[int, _Header] | None = None
        seen = 0
        for row, cells in enumerate(it):
            if not any(present(c) for c in cells):
                continue
            header = _read_header(source.feed, cells)
            twice = any(len(w) > 1 for w in header.by_field.values())
            if header.usable or twice:
                found = (row, header)
                break
            if best is None or len(header.by_field) > len(best[1].by_field):
                best = (row, header)
            seen += 1
            if seen >= HEADER_SCAN_ROWS:
                break
        if found is None:
            if best is None:
                read_zh.append(f"工作表「{name}」为空")
                read_en.append(f"sheet '{name}' is empty")
            else:
                read_zh.append(f"工作表「{name}」第{best[0] + 1}行 {_shown(best[1].read)}")
                read_en.append(f"sheet '{name}' row {best[0] + 1} {_shown(best[1].read)}")
            continue
        header_row, header = found
        where = (f"工作表「{name}」第{header_row + 1}行", f"sheet '{name}' row {header_row + 1}")
        _accept(source, header, *where)
        pairs = header.pairs
        columns = {first_column + i: n for i, n in pairs}
        marks = _marks(source, sheet, scans.get(name, _SheetScan()), header_row, columns)
        end = sheet.end[0] if sheet.end else header_row
        source.total = max(end - header_row, 0)
        for row, cells in enumerate(it, start=header_row + 1):
            width = len(cells)
            values: dict[str, Any] = {name: _cell(cells[i]) for i, name in pairs if i < width}
            values = {k: v for k, v in values.items() if v is not None}
            values.update(marks.pop(row, {}))
            source.done = row - header_row
            if values:
                yield row + 1, values
        for row in sorted(marks):  # marked rows past the last one read
            if row > header_row:
                yield row + 1, dict(marks[row])
        return
    required = _names(source.feed, source.feed.required())
    raise UnusableFile(
        source.path,
        f"找不到表头行（每个工作表的前{HEADER_SCAN_ROWS}行）："
        f"{'；'.join(read_zh) or '没有工作表'}；"
        f"必需的列：{required}",
        f"no header row found (first {HEADER_SCAN_ROWS} rows of each sheet): "
        f"{'; '.join(read_en) or 'no sheets'}; required columns: {required}",
    )


# -- JSON Lines --------------------------------------------------------------------------

_JSON_ZH = {
    "duplicate_key": "键重复（每个键只能出现一次）",
    "too_deep": "嵌套过深",
    "nul_character": "含NUL字符",
    "lone_surrogate": "含孤立代理字符（不是Unicode文本）",
    "not_a_number": "不是JSON数字",
    "number_out_of_range": "数值超出范围",
    "too_long": "文本过长",
    "json_invalid": "不是有效的JSON",
    "not_utf8": "不是UTF-8文本",
}


def _json_problems(
    source: Source, problems: list[Any], mapping: dict[str, str]
) -> tuple[dict[str, Refused], list[tuple[str, str]]]:
    """Problems of one row: those inside a known field, as that field's value, and the
    others (the line is not JSON, too deep, an unknown key twice) for the line."""
    marks: dict[str, Refused] = {}
    line: list[tuple[str, str]] = []
    for problem in problems:
        zh = _JSON_ZH.get(problem.kind, "无效")
        top = re.split(r"[.\[]", problem.location, maxsplit=1)[0]
        name = mapping.get(_header_key(top)) if problem.kind != "too_deep" else None
        if name is not None:
            marks.setdefault(name, Refused(None, zh, problem.reason))
        else:
            line.append((f"{problem.location}：{zh}", f"{problem.location}: {problem.reason}"))
    return marks, line


def _jsonl_rows(source: Source, encoding: str) -> Iterator[tuple[int, dict[str, Any]]]:
    import json

    mapping = header_map(source.feed)
    seen_keys: dict[str, str | None] = {}
    limits = source.limits
    try:
        codecs.lookup(encoding)
        raw = source.path.open("rb")
    except (OSError, LookupError) as exc:
        raise UnusableFile(source.path, f"无法读取文件（{exc}）", f"cannot read ({exc})") from None
    with raw:
        position = 0
        number = 0
        while True:
            line = raw.readline(limits.max_line_bytes + 1)
            if not line:
                break
            number += 1
            if len(line) > limits.max_line_bytes and not line.endswith(b"\n"):
                raise _too_long(source, number)
            position += len(line)
            source.done = position
            if not line.strip():
                continue
            try:
                text = line.decode(encoding)
            except UnicodeError as exc:
                reason = getattr(exc, "reason", str(exc))
                raise _not_encoded(source.path, encoding, reason) from None
            marks: dict[str, Refused] = {}
            try:
                obj = parse(
                    text,
                    source=str(source.path),
                    max_depth=limits.max_json_depth,
                    max_text_chars=limits.max_cell_chars,
                )
            except InvalidInput as exc:
                marks, problems = _json_problems(source, exc.problems, mapping)
                if not problems:
                    try:  # only fields are wrong: read the rest as it is
                        obj = json.loads(text.removeprefix("\ufeff"))
                    except (ValueError, RecursionError):
                        problems = [("不是有效的JSON", "not valid JSON")]
                if problems:
                    zh = "；".join(p[0] for p in problems[:5])
                    en = "; ".join(p[1] for p in problems[:5])
                    yield number, {"__error__": f"{zh} / {en}"}
                    continue
            if not isinstance(obj, dict):
                yield number, {"__error__": "不是JSON对象 / not a JSON object"}
                continue
            values: dict[str, Any] = {}
            keys: dict[str, str] = {}  # field → the key that gave it in this row
            for key, value in obj.items():
                if key not in seen_keys:
                    name_field = mapping.get(_header_key(key))
                    seen_keys[key] = name_field
                    if name_field is not None:
                        source.headers.setdefault(name_field, key)
                    else:
                        source.ignored.append(key)
                name_field = seen_keys[key]
                if name_field is None:
                    continue
                if name_field in keys:
                    both = f"{keys[name_field]}, {key}"
                    marks.setdefault(
                        name_field,
                        Refused(
                            both,
                            f"键 {both} 是同一字段，只能有一个",
                            f"keys {both} are the same field; give one",
                        ),
                    )
                keys[name_field] = key
                # Null, "" and blank text mean absent, as in FACTS.json.
                if present(value):
                    values[name_field] = value
            values.update(marks)
            # The row's fields, null or not (importing.PRESENT): an absent key keeps the
            # stored value, a null one clears it.
            values["__present__"] = frozenset(keys)
            yield number, values
