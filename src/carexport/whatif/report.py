"""The what-if's files: whatif.xlsx (summary, one sheet per table, the changed lines),
changed.csv, summary.csv (every table, long form) and summary.json (what the page
shows). Every cell passes through spreadsheet_cells.inert: agency and brand names
come from exporters' filings and must not run as formulas."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import polars as pl
from openpyxl import Workbook

from carexport.spreadsheet_cells import inert, inert_row
from carexport.whatif.service import WhatIf, changed_lines, summary, tables

XLSX = "whatif.xlsx"
CHANGED_CSV = "changed.csv"
SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
FILES = (XLSX, CHANGED_CSV, SUMMARY_CSV, SUMMARY_JSON)
# An XLSX sheet holds 1,048,576 rows; the CSV has every changed line whatever the count.
_XLSX_MAX_ROWS = 1_048_575

_SHEET_TITLES = {
    "rule": "按规则 rule",
    "province": "按省份 province",
    "destination": "按目的国 destination",
    "brand": "按品牌 brand",
    "enterprise": "按企业 enterprise",
    "agency": "按发证机构 agency",
}


def _cells(values: tuple[Any, ...] | list[Any]) -> list[Any]:
    # Numbers stay numbers (they are ours, not the file's); text is made inert.
    return [
        v if isinstance(v, int | float) and not isinstance(v, bool) else inert(v) for v in values
    ]


def write(folder: Path, whatif: WhatIf, frame: pl.DataFrame) -> dict[str, Any]:
    """Write the four files into `folder`; the summary (also in summary.json)."""
    folder.mkdir(parents=True, exist_ok=True)
    result = summary(whatif, frame)
    every = tables(frame)
    changed = changed_lines(frame)

    (folder / SUMMARY_JSON).write_text(
        json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
    )
    with (folder / CHANGED_CSV).open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(changed.columns)
        for row in changed.iter_rows():
            writer.writerow(inert_row(row))
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

    book = Workbook(write_only=True)
    sheet = book.create_sheet("概要 summary")
    sheet.append(_cells(["期间 period", whatif.start.isoformat(), whatif.end.isoformat()]))
    as_of = whatif.as_of.isoformat() if whatif.as_of else "申报日 submission date"
    sheet.append(_cells(["as-of", as_of]))
    sheet.append(_cells(["参数 set", " ".join(result["whatif"]["set"]) or "—"]))
    sheet.append(_cells(["车辆行 lines", result["lines"]]))
    sheet.append(_cells(["结论变化 changed", result["changed"]]))
    sheet.append([])
    sheet.append(_cells(["", "pass", "review", "fail"]))
    for when in ("before", "after"):
        sheet.append(_cells([when, *(result[when][d] for d in ("pass", "review", "fail"))]))
    sheet.append([])
    sheet.append(_cells(["before", "after", "lines"]))
    for move in result["moves"]:
        sheet.append(_cells([move["before"], move["after"], move["lines"]]))
    for name, table in every.items():
        sheet = book.create_sheet(_SHEET_TITLES[name])
        sheet.append(_cells(table.columns))
        for row in table.iter_rows():
            sheet.append(_cells(row))
    sheet = book.create_sheet("变化明细 changed")
    sheet.append(_cells(changed.columns))
    for index, row in enumerate(changed.iter_rows()):
        if index >= _XLSX_MAX_ROWS:
            break
        sheet.append(_cells(row))
    book.save(folder / XLSX)
    return result
