"""The what-if's changed-lines sheet written as XML by Polars (whatif.sheet_xml) is the
sheet xlsxwriter writes for the same cells: the same XML byte for byte, the same values
read back by openpyxl, formula-like text kept as inert text."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
import xlsxwriter  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from carexport.whatif import report, sheet_xml
from carexport.whatif.service import WhatIf

# Texts a filing may carry, and the ones xlsxwriter escapes by hand.
AWKWARD = [
    '=HYPERLINK("http://x","点击")',
    "+1",
    "-5",
    "@SUM(A1)",
    "＝1",
    "\tx",
    "\rx",
    'a&b<c>d"e',
    " lead",
    "trail ",
    "\u3000全角空格",
    "line\nbreak\n",
    "ctl\x01x\x1f",
    "\x1c",
    "_x0041_ and _X00ff_",
    "\ufffe\uffff",
    "",
    None,
    "比亚迪 BYD",
]


def _changed(values: list[str | None]) -> pl.DataFrame:
    n = len(values)
    return pl.DataFrame(
        {
            "application_no": [f"APP-{i}" for i in range(n)],
            "submitted_on": [date(2026, 1 + i % 12, 1 + i % 28) for i in range(n)],
            "vin": [f"LGXCE4CB{i:09d}" for i in range(n)],
            "brand": values,
            "model": list(reversed(values)),
            "decision_before": ["pass"] * n,
            "decision_after": [None if i % 5 == 0 else "review" for i in range(n)],
        }
    )


def _by_xlsxwriter(path: Path, changed: pl.DataFrame) -> None:
    """The writer before whatif.sheet_xml: every cell through xlsxwriter."""
    book = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    report._sheet(book, "变化明细 changed", [list(changed.columns), *changed.iter_rows()])
    book.close()


def _by_polars(path: Path, changed: pl.DataFrame) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    book.add_worksheet("变化明细 changed")
    book.close()
    text = report._inert_frame(changed.with_columns(pl.all().cast(pl.String)))
    header = pl.DataFrame([list(changed.columns)], schema=changed.columns, orient="row")
    sheet_xml.fill_sheet(path, 1, [header, text])


def _sheet(path: Path) -> bytes:
    with zipfile.ZipFile(path) as book:
        return book.read("xl/worksheets/sheet1.xml")


def _values(path: Path) -> list[list[list[Any]]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book]
    finally:
        book.close()


def test_the_sheet_is_xlsxwriters_byte_for_byte_with_awkward_text(tmp_path: Path) -> None:
    changed = _changed(AWKWARD)
    _by_xlsxwriter(tmp_path / "old.xlsx", changed)
    _by_polars(tmp_path / "new.xlsx", changed)
    assert _sheet(tmp_path / "new.xlsx") == _sheet(tmp_path / "old.xlsx")
    values = _values(tmp_path / "new.xlsx")
    assert values == _values(tmp_path / "old.xlsx")
    cells = {v for row in values[0] for v in row}
    # Formula-like text stays text, made inert by its leading quote.
    assert '\'=HYPERLINK("http://x","点击")' in cells
    assert {"'+1", "'-5", "'@SUM(A1)", "'＝1", "'\tx"} <= cells
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in cells)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=30)), min_size=1, max_size=12))
def test_any_text_gives_xlsxwriters_sheet(tmp_path_factory: Any, values: list[str | None]) -> None:
    # xlsxwriter copies "<r>…</r>" unescaped as rich text; sheet_xml escapes it (on purpose).
    values = [v for v in values if not (v and v.startswith("<r>") and v.endswith("</r>"))] or [""]
    folder = tmp_path_factory.mktemp("any")
    changed = _changed(values)
    _by_xlsxwriter(folder / "old.xlsx", changed)
    _by_polars(folder / "new.xlsx", changed)
    assert _sheet(folder / "new.xlsx") == _sheet(folder / "old.xlsx")


def test_text_past_excels_limit_is_cut_and_the_row_goes_on(tmp_path: Path) -> None:
    # xlsxwriter cuts it too, but its write_row then stops: the row's later cells were lost.
    changed = _changed(["x" * 40_000, "😀" * 20_000])
    _by_polars(tmp_path / "new.xlsx", changed)
    rows = _values(tmp_path / "new.xlsx")[0]
    assert rows[1][3] == "x" * 32_767
    assert rows[2][3] == "😀" * 16_383  # 32,766 UTF-16 units: a pair is never split
    assert rows[1][3:] == ["x" * 32_767, "😀" * 16_383, "pass", None]
    assert rows[2][5:] == ["pass", "review"]


def test_rich_string_markup_from_a_filing_stays_text(tmp_path: Path) -> None:
    changed = _changed(["<r><t>x</t></r>"])
    _by_polars(tmp_path / "new.xlsx", changed)
    assert "<r><t>x</t></r>" in {v for row in _values(tmp_path / "new.xlsx")[0] for v in row}


@pytest.mark.parametrize("lines", [0, 3, 7])
def test_the_whatif_workbook_has_the_cells_of_every_sheet_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lines: int
) -> None:
    # 7 changed lines with 5 shown: the note above the header, as before.
    monkeypatch.setattr(report, "XLSX_CHANGED_ROWS", 5)
    changed = _changed(AWKWARD)[:lines]
    whatif = WhatIf(start=date(2026, 1, 1), end=date(2026, 12, 31), agency="=cmd|' /C calc'!A0")
    result = {
        "whatif": whatif.as_parameters(),
        "lines": 10,
        "changed": lines,
        "before": {"pass": 1, "review": 2, "fail": 3},
        "after": {"pass": 3, "review": 2, "fail": 1},
        "moves": [{"before": "pass", "after": "review", "lines": lines}],
    }
    every = {
        name: pl.DataFrame({"value": ["-x", "y"], "lines": [2, 1]}) for name in report._SHEET_TITLES
    }
    new = tmp_path / "new"
    new.mkdir()
    report._write_xlsx(new, whatif, result, every, changed)
    old = tmp_path / "old"
    old.mkdir()
    monkeypatch.setattr(report, "_TEXT_TYPES", ())  # every sheet through xlsxwriter
    report._write_xlsx(old, whatif, result, every, changed)
    got, expected = _values(new / report.XLSX), _values(old / report.XLSX)
    assert got == expected
    assert len(got[-1]) == 1 + min(lines, 5) + (lines > 5)
    assert got[0][2][:2] == ["发证机构 agency", "'=cmd|' /C calc'!A0"]
