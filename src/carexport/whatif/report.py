"""The what-if's files: whatif.xlsx (summary, one sheet per table, the changed lines),
changed.csv, summary.csv (every table, long form) and summary.json (what the page
shows). Every cell passes through spreadsheet_cells.inert: agency and brand names
come from exporters' filings and must not run as formulas."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter  # type: ignore[import-untyped]

from carexport.spreadsheet_cells import inert, inert_row
from carexport.whatif import sheet_xml
from carexport.whatif.phases import phase
from carexport.whatif.service import WhatIf, changed_lines, summary, tables

XLSX = "whatif.xlsx"
CHANGED_CSV = "changed.csv"
SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
FILES = (XLSX, CHANGED_CSV, SUMMARY_CSV, SUMMARY_JSON)
# The XLSX lists every changed line (issue 19) as far as a sheet can: 1,048,576 rows,
# less the note and the header. Past that only changed.csv has them all. Written by
# whatif.sheet_xml, 175,000 lines cost about 2 s.
XLSX_CHANGED_ROWS = 1_048_576 - 2

_SHEET_TITLES = {
    "rule": "按规则 rule",
    "province": "按省份 province",
    "destination": "按目的国 destination",
    "brand": "按品牌 brand",
    "enterprise": "按企业 enterprise",
    "agency": "按发证机构 agency",
}


# Columns whose values the changed-lines sheet writes as text (str() of the value, as
# `_cells` does); a column of any other type (a number) sends the sheet to xlsxwriter.
_TEXT_TYPES = (pl.String, pl.Date, pl.Categorical)


def _cells(values: Sequence[Any]) -> list[Any]:
    # Numbers stay numbers (they are ours, not the file's); text is made inert.
    return [
        v if isinstance(v, int | float) and not isinstance(v, bool) else inert(v) for v in values
    ]


def _inert_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column through spreadsheet_cells.inert, once per distinct value."""
    columns = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            distinct = frame[name].drop_nulls().unique().to_list()
            columns.append(
                pl.col(name).replace_strict(
                    {v: inert(v) for v in distinct}, default=None, return_dtype=pl.String
                )
            )
    return frame.with_columns(columns) if columns else frame


def _sheet(book: xlsxwriter.Workbook, title: str, rows: Iterable[Sequence[Any]]) -> None:
    sheet = book.add_worksheet(title)
    for number, row in enumerate(rows):
        sheet.write_row(number, 0, _cells(row))


def write(folder: Path, whatif: WhatIf, frame: pl.DataFrame) -> dict[str, Any]:
    """Write the four files into `folder`; the summary (also in summary.json)."""
    folder.mkdir(parents=True, exist_ok=True)
    with phase("summary and tables"):
        result = summary(whatif, frame)
        every = tables(frame)
        changed = changed_lines(frame)

    with phase("write summary.json"):
        (folder / SUMMARY_JSON).write_text(
            json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
        )
    with phase("write changed.csv"), (folder / CHANGED_CSV).open("wb") as fh:
        fh.write("\ufeff".encode())  # Excel opens UTF-8 CSV by its BOM
        _inert_frame(changed).write_csv(fh)
    with phase("write xlsx and summary.csv"):
        _write_summary_csv(folder, every)
        _write_xlsx(folder, whatif, result, every, changed)
    return result


def _write_summary_csv(folder: Path, every: dict[str, pl.DataFrame]) -> None:
    with (folder / SUMMARY_CSV).open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        columns = (
            ["table", "value", "lines"]
            + [f"{d}_{w}" for w in ("before", "after") for d in ("pass", "review", "fail")]
            + ["changed", "lines_before", "lines_after", "difference"]
        )
        writer.writerow(columns)
        for name, table in every.items():
            for record in table.to_dicts():
                values = [record.get(c, "") for c in columns[1:]]
                writer.writerow(inert_row([name, *values]))


def _write_xlsx(
    folder: Path,
    whatif: WhatIf,
    result: dict[str, Any],
    every: dict[str, pl.DataFrame],
    changed: pl.DataFrame,
) -> None:
    # xlsxwriter in constant memory: each row goes to disk as it is written. Formulas
    # and links are never made from our text (and every text cell is inert besides).
    book = xlsxwriter.Workbook(
        str(folder / XLSX),
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    rows: list[list[Any]] = [
        ["期间 period", whatif.start.isoformat(), whatif.end.isoformat()],
        ["as-of", whatif.as_of.isoformat() if whatif.as_of else "申报日 submission date"],
        ["发证机构 agency", whatif.agency or "—"],
        ["参数 set", " ".join(result["whatif"]["set"]) or "—"],
        ["车辆行 lines", result["lines"]],
        ["结论变化 changed", result["changed"]],
        [],
        ["", "pass", "review", "fail"],
        *(
            [when, *(result[when][d] for d in ("pass", "review", "fail"))]
            for when in ("before", "after")
        ),
        [],
        ["before", "after", "lines"],
        *([m["before"], m["after"], m["lines"]] for m in result["moves"]),
    ]
    _sheet(book, "概要 summary", rows)
    for name, table in every.items():
        _sheet(book, _SHEET_TITLES[name], [list(table.columns), *table.iter_rows()])
    shown = changed.head(XLSX_CHANGED_ROWS)
    note = (
        [
            [
                f"前 {shown.height:,} 行，共 {changed.height:,} 行，全部见 changed.csv / the first "
                f"{shown.height:,} of {changed.height:,}; changed.csv has them all"
            ]
        ]
        if changed.height > shown.height
        else []
    )
    if not all(dtype in _TEXT_TYPES for dtype in shown.dtypes):
        _sheet(book, "变化明细 changed", [*note, list(changed.columns), *shown.iter_rows()])
        book.close()
        return
    # The changed lines' cells (all text) are written as XML by Polars into the
    # workbook's empty last sheet: xlsxwriter's ~5 µs a cell was most of the report's
    # time (ADR 0030). The cells are the same: str() of each value, made inert.
    book.add_worksheet("变化明细 changed")
    sheet_number = len(book.worksheets())
    book.close()
    text = shown.with_columns(pl.all().cast(pl.String))
    sheet_xml.fill_sheet(
        folder / XLSX,
        sheet_number,
        [
            *(_inert_frame(pl.DataFrame({"note": row})) for row in note),
            _inert_frame(
                pl.DataFrame([list(changed.columns)], schema=changed.columns, orient="row")
            ),
            _inert_frame(text),
        ],
    )
