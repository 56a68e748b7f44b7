"""Hostile and messy feed files (issue 15): refused with one clear line (exit 2) or a
row problem naming row and field, the same on SQLite and PostgreSQL, never a crash,
never stored silently, memory bounded whatever the input."""

from __future__ import annotations

import json
import os
import resource
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, text

from carexport.db import UnitOfWork
from carexport.domain.vin import with_check_digit
from carexport.feeds import service
from carexport.feeds.files import UnusableFile
from carexport.feeds.importing import ImportMode, ImportResult, RowProblem

V1 = with_check_digit("LGXCE4CB8P0123456")
V2 = with_check_digit("LSVAM4187C2184847")
GiB = 1 << 30


def run_import(
    engine: Engine,
    path: Path,
    kind: str = "registrations",
    *,
    columnar_path: bool = True,
    encoding: str = "utf-8-sig",
    fmt: str | None = None,
) -> tuple[ImportResult, list[RowProblem]]:
    problems: list[RowProblem] = []
    with UnitOfWork(engine) as uow:
        result = service.import_feed(
            uow=uow,
            kind=kind,
            path=path,
            mode=ImportMode.ALL_OR_NOTHING,
            on_problem=problems.append,
            columnar_path=columnar_path,
            encoding=encoding,
            fmt=fmt,
        )
    return result, problems


def registrations(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(text("SELECT vin, brand, model FROM registrations ORDER BY id"))
        ]


def cli(database_url: str, *args: str, env: dict[str, str] | None = None) -> Any:
    """`carexport ARGS` in a child; its peak memory (ru_maxrss, KiB) as `.peak_kib`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    run = subprocess.run(
        [sys.executable, "-m", "carexport", *args],
        capture_output=True,
        text=True,
        env={
            "CAREXPORT_DATABASE_URL": database_url,
            "PATH": "/usr/bin:/bin",
            **(env or {}),
        },
        timeout=120,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    run.peak_kib = after if after > before else 0  # type: ignore[attr-defined]
    return run


def one_clear_line(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert stderr.strip().startswith("error:"), stderr


# -- XLSX bombs ----------------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def sheet_xml(cells: str, dimension: str | None = None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f"{_SHEET_HEAD}{dim}<sheetData>{cells}</sheetData></worksheet>"


def inline(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def write_xlsx(path: Path, sheet: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def write_raw_zip(path: Path, entries: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip of (name, raw deflate stream, declared size, declared CRC) entries, written
    by hand so that the declared sizes can be whatever the test needs."""
    body = b""
    directory = b""
    for name, stream, size, crc in entries:
        encoded = name.encode()
        offset = len(body)
        local = struct.pack(
            "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(stream), size, len(encoded), 0
        )
        body += local + encoded + stream
        directory += (
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(stream),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), len(body), 0
    )
    path.write_bytes(body + directory + end)
    return path


def deflated(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def repeated_deflate(piece: bytes, times: int) -> bytes:
    """A deflate stream of `piece` `times` over, built without inflating it: after a full
    flush each compressed copy stands alone, so the copies can be concatenated."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(piece) + packer.flush(zlib.Z_FULL_FLUSH)
    return block * times + zlib.compressobj(9, zlib.DEFLATED, -15).flush()


def bomb_entries(sheet_stream: bytes, size: int, crc: int) -> list[tuple[str, bytes, int, int]]:
    def plain(name: str, content: str) -> tuple[str, bytes, int, int]:
        data = content.encode()
        return (name, deflated(data), len(data), zlib.crc32(data))

    return [
        plain("[Content_Types].xml", _CONTENT_TYPES),
        plain("_rels/.rels", _RELS),
        plain("xl/workbook.xml", _WORKBOOK),
        plain("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
        ("xl/worksheets/sheet1.xml", sheet_stream, size, crc),
    ]


@pytest.mark.parametrize(
    "sheet",
    [
        sheet_xml(inline("A1", "vin") + inline("XFD1048576", "x")),
        sheet_xml(inline("A1", "vin"), dimension="A1:XFD1048576"),
        sheet_xml(f'<row r="1">{inline("A1", "vin")}</row><row r="3000000"><c/></row>'),
    ],
    ids=["cell-at-XFD1048576", "declared-dimension", "row-3000000"],
)
def test_refuses_a_sheet_whose_area_passes_the_limits_before_reading_it(
    database_url: str, tmp_path: Path, sheet: str
) -> None:
    path = write_xlsx(tmp_path / "bomb.xlsx", sheet)
    assert path.stat().st_size < 2000
    run = cli(database_url, "import", "registrations", str(path))
    assert run.returncode == 2, run.stderr
    one_clear_line(run.stderr)
    assert "XLSX" in run.stderr
    assert "CAREXPORT_XLSX_MAX" in run.stderr
    assert run.peak_kib < GiB // 1024


def test_refuses_a_zip_that_inflates_to_2_gb(database_url: str, tmp_path: Path) -> None:
    row = b'<row><c t="inlineStr"><is><t>0</t></is></c></row>' * 20_000
    times = 2 * GiB // len(row)
    stream = repeated_deflate(row, times)
    path = write_raw_zip(tmp_path / "bomb.xlsx", bomb_entries(stream, len(row) * times, 0))
    assert path.stat().st_size < 8 << 20
    run = cli(database_url, "import", "registrations", str(path))
    assert run.returncode == 2, run.stderr
    one_clear_line(run.stderr)
    assert "CAREXPORT_XLSX_MAX_UNCOMPRESSED_BYTES" in run.stderr


def test_refuses_an_entry_inflating_far_beyond_its_declared_size(
    database_url: str, tmp_path: Path
) -> None:
    # The zip directory says 1,000 bytes with the right CRC of those; the stream holds
    # 256 MiB. A reader trusting the directory would inflate it all.
    row = sheet_xml("").encode()[:200] + b"<row/>" * 10_000
    stream = repeated_deflate(row, 256 * (1 << 20) // len(row))
    declared = row[:1000]
    entries = bomb_entries(stream, len(declared), zlib.crc32(declared))
    path = write_raw_zip(tmp_path / "liar.xlsx", entries)
    run = cli(database_url, "import", "registrations", str(path))
    assert run.returncode == 2, run.stderr
    one_clear_line(run.stderr)
    assert "declared" in run.stderr
    assert run.peak_kib < GiB // 1024


def test_refuses_a_highly_compressed_entry(database_url: str, tmp_path: Path) -> None:
    row = f"<row>{inline('A2', '0')}</row>".encode() * 200_000
    stream = deflated(sheet_xml("").encode()[:-22] + row + b"</sheetData></worksheet>")
    data = zlib.decompress(stream, -15)
    path = write_raw_zip(tmp_path / "ratio.xlsx", bomb_entries(stream, len(data), zlib.crc32(data)))
    run = cli(database_url, "import", "registrations", str(path))
    assert run.returncode == 2, run.stderr
    assert "CAREXPORT_XLSX_MAX_COMPRESSION_RATIO" in run.stderr


# -- huge or endless text --------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
@pytest.mark.parametrize("content", ["zeros", "letters"])
def test_a_2_gb_file_without_a_newline_is_refused_in_bounded_memory(
    database_url: str, tmp_path: Path, suffix: str, content: str
) -> None:
    path = tmp_path / f"endless{suffix}"
    with path.open("wb") as handle:
        if content == "zeros":
            handle.truncate(2 * GiB)  # sparse: costs no disk
        else:
            handle.write(b"vin," + b"a" * (48 << 20))
    run = cli(database_url, "import", "registrations", str(path))
    assert run.returncode == 2, run.stderr
    one_clear_line(run.stderr)
    assert "CAREXPORT_MAX_LINE_BYTES" in run.stderr
    assert run.peak_kib < (512 << 20) // 1024, run.peak_kib


def test_a_file_over_the_size_limit_is_refused_unread(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("vin\n" + f"{V1}\n" * 1000, encoding="utf-8")
    run = cli(
        database_url,
        "import",
        "registrations",
        str(path),
        env={"CAREXPORT_MAX_IMPORT_FILE_BYTES": "1000"},
    )
    assert run.returncode == 2, run.stderr
    assert "CAREXPORT_MAX_IMPORT_FILE_BYTES" in run.stderr


# -- NUL characters --------------------------------------------------------------------------


@pytest.mark.parametrize("columnar_path", [True, False])
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_nul_in_a_text_cell_is_a_row_problem_on_every_path(
    engine: Engine, tmp_path: Path, suffix: str, columnar_path: bool
) -> None:
    path = tmp_path / f"nul{suffix}"
    if suffix == ".csv":
        path.write_bytes(f"vin,brand\n{V1},比亚迪\n{V2},长\x00城\n".encode())
    else:
        lines = [{"vin": V1, "brand": "比亚迪"}, {"vin": V2, "brand": "长\x00城"}]
        path.write_text("\n".join(json.dumps(r) for r in lines) + "\n", encoding="utf-8")
    result, problems = run_import(engine, path, columnar_path=columnar_path)
    assert not result.committed
    assert [(p.row, p.field) for p in problems] == [(3 if suffix == ".csv" else 2, "brand")]
    assert "NUL" in problems[0].reason_en
    assert registrations(engine) == []


def test_a_nul_in_an_xlsx_cell_is_a_row_problem(engine: Engine, tmp_path: Path) -> None:
    sheet = sheet_xml(
        f'<row r="1">{inline("A1", "vin")}{inline("B1", "brand")}</row>'
        f'<row r="2">{inline("A2", V1)}{inline("B2", "a_x0000_b")}</row>'
    )
    path = write_xlsx(tmp_path / "nul.xlsx", sheet)
    result, problems = run_import(engine, path)
    assert not result.committed
    assert [(p.row, p.field) for p in problems] == [(2, "brand")]
    assert registrations(engine) == []


# -- JSON Lines rows ---------------------------------------------------------------------------


def test_a_json_lines_row_nested_5000_deep_is_a_row_problem(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    deep = '{"vin": "' + V1 + '", "brand": ' + "[" * 5000 + "]" * 5000 + "}"
    path.write_text(deep + "\n", encoding="utf-8")
    result, problems = run_import(engine, path)
    assert not result.committed
    assert [p.row for p in problems] == [1]
    assert "deeper" in problems[0].reason_en


def test_a_duplicate_key_in_a_json_lines_row_is_refused_naming_it(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_text(
        f'{{"vin": "{V1}", "brand": "比亚迪", "brand": "长城"}}\n'
        f'{{"vin": "{V2}", "destination_country": "KZ", "destination_country": "RU"}}\n'
        f'{{"vin": "{V1}", "车辆识别代号": "{V2}"}}\n',
        encoding="utf-8",
    )
    result, problems = run_import(engine, path)
    assert not result.committed
    assert [(p.row, p.field) for p in problems] == [(1, "brand"), (2, "(line)"), (3, "vin")]
    assert "duplicate key" in problems[0].reason_en
    assert "destination_country" in problems[1].reason_en
    assert "same field" in problems[2].reason_en
    assert registrations(engine) == []


# -- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize("columnar_path", [True, False])
@pytest.mark.parametrize("given", ["0", "86400", "1767225600", "0001-01-01", "9999-12-31"])
def test_numbers_and_implausible_dates_are_not_dates(
    engine: Engine, tmp_path: Path, given: str, columnar_path: bool
) -> None:
    path = tmp_path / "dates.csv"
    path.write_text(f"vin,registration_date\n{V1},2024-01-05\n{V2},{given}\n", encoding="utf-8")
    result, problems = run_import(engine, path, columnar_path=columnar_path)
    assert not result.committed
    assert [(p.row, p.field) for p in problems] == [(3, "registration_date")]
    assert registrations(engine) == []


def test_a_json_number_is_not_a_date(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "dates.jsonl"
    path.write_text(f'{{"vin": "{V1}", "registration_date": 86400}}\n', encoding="utf-8")
    _result, problems = run_import(engine, path)
    assert [(p.row, p.field) for p in problems] == [(1, "registration_date")]


def test_a_spreadsheet_date_cell_is_a_date_and_a_number_cell_is_not(
    engine: Engine, tmp_path: Path
) -> None:
    from datetime import date

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["vin", "registration_date"])
    sheet.append([V1, date(2024, 1, 5)])
    sheet.append([V2, 45000])
    book.save(tmp_path / "dates.xlsx")
    _result, problems = run_import(engine, tmp_path / "dates.xlsx")
    assert [(p.row, p.field) for p in problems] == [(3, "registration_date")]


# -- XLSX cells that do not hold what they show ------------------------------------------------


def test_error_values_formulas_without_a_value_and_merged_cells_are_row_problems(
    engine: Engine, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["vin", "brand", "model"])
    sheet.append([V1, "#N/A", "X1"])
    sheet.append([V2, "比亚迪", "=1/0"])
    sheet.append([with_check_digit("LFV2A21K0A3000001"), "#DIV/0!", "X3"])
    sheet.append([with_check_digit("LFV2A21K0A3000002"), "长城", "X4"])
    sheet.append([with_check_digit("LFV2A21K0A3000003"), None, "X5"])
    sheet.merge_cells("B5:B6")
    book.save(tmp_path / "cells.xlsx")
    result, problems = run_import(engine, tmp_path / "cells.xlsx")
    assert not result.committed
    got = [(p.row, p.field) for p in problems]
    assert got == [(2, "brand"), (3, "model"), (4, "brand"), (5, "brand"), (6, "brand")]
    assert "#N/A" in problems[0].reason_en
    assert "B2" in problems[0].reason_en
    assert "C3" in problems[1].reason_en
    assert "saved value" in problems[1].reason_en
    assert "#DIV/0!" in problems[2].reason_en
    assert "B5:B6" in problems[3].reason_en
    assert "B5:B6" in problems[4].reason_en
    assert registrations(engine) == []


# -- blank cells and one field twice ------------------------------------------------------------


@pytest.mark.parametrize("columnar_path", [True, False])
def test_a_cell_of_spaces_is_stored_as_absent(
    engine: Engine, tmp_path: Path, columnar_path: bool
) -> None:
    path = tmp_path / "blank.csv"
    path.write_text(f"vin,brand,model\n{V1},   ,X\n{V2},长城,\u3000\n", encoding="utf-8")
    result, problems = run_import(engine, path, columnar_path=columnar_path)
    assert problems == []
    assert result.committed
    assert registrations(engine) == [(V1, None, "X"), (V2, "长城", None)]


def test_a_blank_required_cell_is_missing(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_text('{"vin": "   ", "brand": "x"}\n', encoding="utf-8")
    _result, problems = run_import(engine, path)
    assert [(p.row, p.field, p.reason_en) for p in problems] == [
        (1, "vin", "required value missing")
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_one_field_under_two_headers_makes_the_file_unusable(
    engine: Engine, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"twice{suffix}"
    rows = [["vin", "brand", "车辆识别代号"], [V1, "x", V2]]
    if suffix == ".csv":
        path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    else:
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        for row in rows:
            sheet.append(row)
        book.save(path)
    with pytest.raises(UnusableFile, match="vin and 车辆识别代号"):
        run_import(engine, path)
    assert registrations(engine) == []


# -- messages that mislead ------------------------------------------------------------------------


def test_a_gb18030_file_read_as_gbk_is_told_gb18030(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "gb.csv"
    path.write_bytes(f"vin,brand\n{V1},𠀀汽车\n".encode("gb18030"))
    with pytest.raises(UnusableFile, match="--encoding gb18030") as caught:
        run_import(engine, path, encoding="gbk")
    assert "e.g. gbk" not in str(caught.value)
    result, problems = run_import(engine, path, encoding="gb18030")
    assert problems == []
    assert result.committed


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_an_xlsx_renamed_to_text_is_told_it_is_an_xlsx(
    engine: Engine, tmp_path: Path, suffix: str
) -> None:
    book = openpyxl.Workbook()
    book.save(tmp_path / f"book{suffix}")
    with pytest.raises(UnusableFile, match="--format xlsx"):
        run_import(engine, tmp_path / f"book{suffix}")


def test_a_fifo_is_not_a_regular_file_and_nothing_waits(database_url: str, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    run = cli(database_url, "import", "registrations", str(fifo))
    assert run.returncode == 2, run.stderr
    one_clear_line(run.stderr)
    assert "FIFO" in run.stderr
    assert "no such file" not in run.stderr


def _workbook(path: Path, sheets: dict[str, list[tuple[str, Any]]]) -> Path:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, cells in sheets.items():
        sheet = book.create_sheet(name)
        for ref, value in cells:
            sheet[ref] = value
    book.save(path)
    return path


@pytest.mark.parametrize(
    "sheets",
    [
        {"data": [("A1", "机动车登记信息 2026年1月"), ("A2", "vin"), ("B2", "品牌"), ("A3", V1)]},
        {"说明": [("A1", "填表说明：每行一辆车")], "data": [("A1", "车辆识别代号"), ("A2", V1)]},
        {"data": [("C5", "vin"), ("D5", "brand"), ("C6", V1), ("D6", "比亚迪"), ("C8", V2)]},
    ],
    ids=["title-row", "notes-sheet-first", "data-from-C5"],
)
def test_the_header_row_is_found_below_a_title_after_a_notes_sheet_or_off_a1(
    engine: Engine, tmp_path: Path, sheets: dict[str, list[tuple[str, Any]]]
) -> None:
    path = _workbook(tmp_path / "messy.xlsx", sheets)
    result, problems = run_import(engine, path)
    assert problems == []
    assert result.committed
    assert registrations(engine)[0][0] == V1


def test_no_header_row_says_which_sheets_rows_and_headers_were_read(
    engine: Engine, tmp_path: Path
) -> None:
    path = _workbook(
        tmp_path / "none.xlsx",
        {"说明": [("A1", "read me")], "data": [("C5", "VIN码"), ("D5", "品牌"), ("C6", V1)]},
    )
    with pytest.raises(UnusableFile) as caught:
        run_import(engine, path)
    message = str(caught.value)
    assert "sheet '说明' row 1 [read me]" in message
    assert "sheet 'data' row 5 [VIN码, 品牌]" in message
    assert "vin/车辆识别代号" in message


@pytest.mark.parametrize("delimiter", [";", "\t"])
@pytest.mark.parametrize("columnar_path", [True, False])
def test_semicolon_and_tab_separated_csv_are_read(
    engine: Engine, tmp_path: Path, delimiter: str, columnar_path: bool
) -> None:
    path = tmp_path / "other.csv"
    lines = [["vin", "brand", "model"], [V1, "比亚迪", "A, B"], [V2, '"长城"', "X"]]
    path.write_text("\n".join(delimiter.join(r) for r in lines) + "\n", encoding="utf-8")
    result, problems = run_import(engine, path, columnar_path=columnar_path)
    assert problems == []
    assert result.committed
    assert registrations(engine) == [(V1, "比亚迪", "A, B"), (V2, "长城", "X")]


def test_a_csv_without_the_required_column_names_the_row_and_headers_read(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("VIN码|品牌\nx|y\n", encoding="utf-8")
    with pytest.raises(UnusableFile) as caught:
        run_import(engine, path)
    message = str(caught.value)
    assert "row 1" in message
    assert "[VIN码|品牌]" in message
    assert "vin/车辆识别代号" in message


def test_facts_import_refuses_a_nul_and_changes_nothing(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "FACTS.json"
    path.write_text(
        json.dumps({"registrations": [{"vin": V1, "brand": "长\x00城"}]}), encoding="utf-8"
    )
    run = cli(database_url, "facts", "import", str(path))
    assert run.returncode == 2, run.stderr
    assert "registrations[0].brand" in run.stderr
    assert "NUL" in run.stderr
    assert "Traceback" not in run.stderr
    assert registrations(engine) == []
