"""A text-only worksheet of many rows written as XML by Polars, into a workbook that
xlsxwriter wrote: the what-if's changed lines (50,000 rows × 13 cells).

xlsxwriter spends ~5 µs of Python per cell (dispatch, dimension checks, escaping by
regular expressions, one write per cell); here each column is escaped and wrapped in
its cell tags column-wise. The XML is what xlsxwriter's constant-memory writer writes
for the same text cells, byte for byte (inline strings; control characters as
`_xHHHH_` and a literal `_xHHHH_` as `_x005F_xHHHH_`; `xml:space="preserve"` on
leading or trailing whitespace; `&`, `<`, `>` escaped; text past Excel's 32,767 UTF-16
units cut; an empty cell not written), and tests/unit/test_whatif_sheet_xml.py
holds it to that. One difference, on purpose: xlsxwriter copies a text that starts
with `<r>` and ends with `</r>` into the sheet unescaped (its rich-string form); here
it is escaped like any other text, so a filed name can never become markup.

The cells must already be inert (spreadsheet_cells): this module writes text as text
and makes no formula, but a spreadsheet reading the file may still run one typed as text.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import IO, Final

import polars as pl
from xlsxwriter.utility import (  # type: ignore[import-untyped]
    _preserve_whitespace,
    _utf16_len,
    _utf16_truncate,
    xl_col_to_name,
)
from xlsxwriter.xmlwriter import XMLwriter  # type: ignore[import-untyped]

_STRMAX: Final = 32_767  # Excel's limit, in UTF-16 units
# Texts escaped one by one, by xlsxwriter's own function: control characters, a
# literal escape, the two non-characters, or long enough to be cut. Rare in filings.
_UNUSUAL: Final = r"[\x00-\x08\x0b-\x1f\x{fffe}\x{ffff}]|_x[0-9a-fA-F]{4}_"
_ROWS_PER_WRITE: Final = 10_000


def _escaped_by_hand(text: str) -> tuple[str, bool]:
    """(escaped text, whether it needs xml:space="preserve") as xlsxwriter makes them."""
    if len(text) > _STRMAX // 2 and _utf16_len(text) > _STRMAX:
        text = _utf16_truncate(text, _STRMAX)
    text = XMLwriter._escape_control_characters(text)
    preserve = _preserve_whitespace(text) is not None
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), preserve


def _cell(column: str, letter: str) -> pl.Expr:
    """The column's cell XML per row ("" for an empty cell), the row number in `_r`."""
    value = pl.col(column)
    unusual = value.str.contains(_UNUSUAL) | (value.str.len_chars() > _STRMAX // 2)
    escaped = (
        value.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )
    preserve = value.str.contains(r"^\s|\s$")
    by_hand = pl.col(f"_h{column}")
    escaped = pl.when(unusual).then(by_hand.struct.field("text")).otherwise(escaped)
    preserve = pl.when(unusual).then(by_hand.struct.field("preserve")).otherwise(preserve)
    tag = pl.concat_str(
        [
            pl.lit(f'<c r="{letter}'),
            pl.col("_r"),
            pl.lit('" t="inlineStr"><is><t'),
            pl.when(preserve).then(pl.lit(' xml:space="preserve"')).otherwise(pl.lit("")),
            pl.lit(">"),
            escaped,
            pl.lit("</t></is></c>"),
        ]
    )
    return pl.when(value.is_null() | (value == "")).then(pl.lit("")).otherwise(tag)


def _hand_columns(frame: pl.DataFrame) -> list[pl.Expr]:
    """Per column, the unusual values escaped by hand (null elsewhere), once per value."""
    kind = pl.Struct({"text": pl.String, "preserve": pl.Boolean})
    columns = []
    for name in frame.columns:
        value = pl.col(name)
        unusual = frame.filter(
            value.str.contains(_UNUSUAL) | (value.str.len_chars() > _STRMAX // 2)
        )[name].unique()
        mapping = {}
        for text in unusual.to_list():
            escaped, preserve = _escaped_by_hand(text)
            mapping[text] = {"text": escaped, "preserve": preserve}
        columns.append(
            value.replace_strict(mapping, default=None, return_dtype=kind).alias(f"_h{name}")
            if mapping
            else pl.lit(None, dtype=kind).alias(f"_h{name}")
        )
    return columns


def rows_xml(frame: pl.DataFrame, first_row: int) -> pl.Series:
    """One `<row>` element per row of `frame` (every column text), numbered from
    `first_row` (0-based, as xlsxwriter counts); "" for a row with no cell."""
    letters = [xl_col_to_name(j) for j in range(frame.width)]
    cells = [_cell(name, letter) for name, letter in zip(frame.columns, letters, strict=True)]
    numbered = frame.with_columns(
        *_hand_columns(frame),
        (pl.int_range(pl.len(), dtype=pl.Int64) + first_row + 1).cast(pl.String).alias("_r"),
    )
    return numbered.select(pl.concat_str(cells).alias("_cells"), pl.col("_r")).select(
        pl.when(pl.col("_cells") == "")
        .then(pl.lit(""))
        .otherwise(
            pl.concat_str([pl.lit('<row r="'), "_r", pl.lit('">'), "_cells", pl.lit("</row>")])
        )
        .alias("xml")
    )["xml"]


def _dimension(frames: list[pl.DataFrame]) -> str:
    """xlsxwriter's <dimension> of a sheet of these rows, one after the other: from A1
    (the first row and first column always hold text here) to the last written row and
    the last written column; "A1" for none."""
    last_row, last_col, row = -1, -1, 0
    for frame in frames:
        filled = frame.select(
            [(pl.col(n).is_not_null() & (pl.col(n) != "")).alias(n) for n in frame.columns]
        )
        rows = filled.select(pl.any_horizontal(pl.all()).arg_true())
        if rows.height:
            last_row = row + int(rows.item(-1, 0))
        for j, name in enumerate(filled.columns):
            if filled[name].any():
                last_col = max(last_col, j)
        row += frame.height
    if last_row < 0 or (last_row, last_col) == (0, 0):
        return "A1"
    return f"A1:{xl_col_to_name(last_col)}{last_row + 1}"


def fill_sheet(book_path: Path, sheet_number: int, frames: list[pl.DataFrame]) -> None:
    """Put `frames` (text columns), one after the other, into the empty worksheet
    number `sheet_number` (1-based, xlsxwriter's order) of the closed workbook."""
    member = f"xl/worksheets/sheet{sheet_number}.xml"
    temporary = book_path.with_name(book_path.name + ".part")
    with zipfile.ZipFile(book_path) as source:
        empty = source.read(member).decode("utf-8")
        if "<sheetData/>" not in empty or '<dimension ref="A1"/>' not in empty:
            raise ValueError(f"{member} is not an empty worksheet")
        head, tail = empty.split("<sheetData/>")
        head = head.replace('<dimension ref="A1"/>', f'<dimension ref="{_dimension(frames)}"/>')
        # The sheet at zlib's fastest level: at the default it took as long as building
        # its XML, for a file a quarter smaller (3.0 against 4.1 MB for 50,000 lines).
        # The other parts keep xlsxwriter's.
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
            for info in source.infolist():
                if info.filename != member:
                    target.writestr(info, source.read(info))
                    continue
                with target.open(member, "w") as out:
                    _write_sheet(out, head, tail, frames)
    shutil.move(temporary, book_path)


def _write_sheet(out: IO[bytes], head: str, tail: str, frames: list[pl.DataFrame]) -> None:
    out.write(head.encode("utf-8"))
    written = False
    row = 0
    for frame in frames:
        for start in range(0, frame.height, _ROWS_PER_WRITE):
            part = frame.slice(start, _ROWS_PER_WRITE)
            xml = "".join(rows_xml(part, row).to_list())
            if xml and not written:
                out.write(b"<sheetData>")
                written = True
            out.write(xml.encode("utf-8"))
            row += part.height
    out.write(b"</sheetData>" if written else b"<sheetData/>")
    out.write(tail.encode("utf-8"))
