"""`import KIND FILE` for every feed and every format: a bad row rejects the file and
leaves the database as it was; a good file loads, and loading it again changes nothing."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, text

from carexport.db import Base, UnitOfWork
from carexport.domain.uscc import uscc_check_character
from carexport.domain.vin import with_check_digit
from carexport.feeds import service
from carexport.feeds.files import UnusableFile
from carexport.feeds.importing import ImportMode, ImportResult, RowProblem
from carexport.feeds.schemas import FEEDS

V1 = with_check_digit("LGXCE4CB8P0123456")
V2 = with_check_digit("LSVAM4187C2184847")
BAD_VIN = V1[:8] + ("0" if V1[8] != "0" else "1") + V1[9:]  # check digit wrong
U1 = "91120116MA06ABCDE" + uscc_check_character("91120116MA06ABCDE")
U2 = "91440300MA5FGHJKL" + uscc_check_character("91440300MA5FGHJKL")
KEY = "04" + "ab" * 64

# kind: (good rows, a bad row, the field the bad row is wrong in)
CASES: dict[str, tuple[list[dict[str, Any]], dict[str, Any], str]] = {
    "registrations": (
        [
            {
                "vin": V1,
                "brand": "比亚迪",
                "model": "BYD7150",
                "registration_date": "2026-01-05",
                "export_transfer_count": "1",
                "status": "A",
                "owner_uscc": U1,
                "mortgaged": "否",
            },
            {"vin": V2, "brand": "长城", "model": "CC6460", "customs_supervised": "true"},
        ],
        {"vin": BAD_VIN, "brand": "奇瑞"},
        "vin",
    ),
    "announcement": (
        [
            {
                "enterprise_uscc": U1,
                "brand": "中集",
                "model": "ZJV5040",
                "valid_from": "2024-05-01",
            },
            {"enterprise_uscc": U2, "brand": "程力", "model": "CLW5041"},
        ],
        {"enterprise_uscc": U1, "brand": "中集", "model": "X", "valid_from": "2024-13-01"},
        "valid_from",
    ),
    "ccc": (
        [
            {
                "number": "2024011101000001",
                "holder_uscc": U1,
                "brand": "中集",
                "model": "ZJV5040",
                "valid_from": "2024-05-01",
                "valid_to": "2029-04-30",
                "status": "valid",
            },
            {"number": "2024011101000002", "brand": "程力", "model": "CLW5041"},
        ],
        {"number": "2024011101000003", "valid_from": "2029-01-01", "valid_to": "2024-01-01"},
        "valid_to",
    ),
    "manufacturers": (
        [
            {
                "uscc": U1,
                "name": "比亚迪",
                "kind": "manufacturer",
                "in_announcement": "是",
                "brands": "比亚迪;腾势",
                "public_key": KEY,
            },
            {"uscc": U2, "name": "销售公司", "kind": "sales_company"},
        ],
        {"uscc": U1[:-1] + ("0" if U1[-1] != "0" else "1"), "kind": "manufacturer"},
        "uscc",
    ),
    "outlets": (
        [
            {"manufacturer_uscc": U1, "name": "阿拉木图服务站", "country": "KZ", "city": "Almaty"},
            {"manufacturer_uscc": U1, "name": "Moscow", "country": "ru", "phone": "+7 495"},
        ],
        {"manufacturer_uscc": U1, "name": "X", "country": "ZZ"},
        "country",
    ),
    "enterprises": (
        [
            {
                "uscc": U1,
                "name": "出口企业",
                # resident ID numbers with their check characters (ADR 0024)
                "legal_representative_id": "110101198001010010",
                "related_person_ids": "110101198502020022、120101199003030038",
            },
            {"uscc": U2, "name": "另一企业", "related_person_ids": "110101198001010010"},
        ],
        {"name": "无代码企业"},
        "uscc",
    ),
    "customs": (
        [
            {
                "declaration_no": "020220260000001",
                "enterprise_uscc": U1,
                "license_no": "L-1",
                "vins": f"{V1};{V2}",
                "export_date": "2026-03-01",
                "port": "天津新港",
            },
            {"declaration_no": "020220260000002", "vins": V1, "export_date": "2026-03-02"},
        ],
        {
            "declaration_no": "020220260000003",
            "vins": f"{V1};{BAD_VIN}",
            "export_date": "2026-03-02",
        },
        "vins",
    ),
    "deregistrations": (
        [
            {"vin": V1, "deregistered_on": "2026-04-01", "certificate_no": "Z-1"},
            {"vin": V2, "deregistered_on": "2026-04-02"},
        ],
        {"vin": V1.lower(), "deregistered_on": "2026-04-31"},
        "deregistered_on",
    ),
    "inspections": (
        [
            {"vin": V1, "report_no": "QC-1", "inspected_on": "2026-02-22", "result": "pass"},
            {"vin": V1, "report_no": "QC-2", "inspected_on": "2026-02-23", "result": "fail"},
        ],
        {"vin": V2, "inspected_on": "2026-02-22", "result": "maybe"},
        "result",
    ),
    "filings": (
        [
            {
                "enterprise_uscc": U1,
                "province": "天津",
                "valid_from": "2025-07-01",
                "valid_to": "2026-06-30",
            },
            {"enterprise_uscc": U2, "valid_from": "2025-01-01", "valid_to": "2025-12-31"},
        ],
        {"enterprise_uscc": U2, "valid_from": "2025-01-01"},
        "valid_to",
    ),
    "credit-events": (
        [
            {"enterprise_uscc": U1, "item": "5", "date": "2025-10-01", "rectification": "none"},
            {"enterprise_uscc": U1, "item": "2", "date": "2025-11-01", "note": "无售后"},
        ],
        {"enterprise_uscc": U1, "item": "9", "date": "2025-10-01"},
        "item",
    ),
    "capacity": (
        [
            {"enterprise_uscc": U1, "annual_capacity": "1200", "exported_last_12_months": "800"},
            {"enterprise_uscc": U2, "annual_capacity": "10"},
        ],
        {"enterprise_uscc": U1, "annual_capacity": "many"},
        "annual_capacity",
    ),
    "licenses": (
        [
            {
                "license_no": "L-1",
                "agency": "天津市商务局",
                "enterprise_uscc": U1,
                "issued_on": "2026-02-01",
                "valid_to": "2026-07-31",
                "vins": f"{V1};{V2}",
            },
            {"license_no": "L-2", "status": "used", "vins": V2},
        ],
        {"license_no": "L-3", "status": "lost"},
        "status",
    ),
}


def write_file(path: Path, rows: list[dict[str, Any]], kind: str, *, chinese: bool) -> Path:
    """Rows as CSV, XLSX or JSON Lines; `chinese` uses the zh column names."""
    columns = FEEDS[kind].columns
    names = {c.name: (c.zh if chinese else c.name) for c in columns}
    header = [names[c.name] for c in columns]
    if path.suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps({names[k]: v for k, v in row.items()}, ensure_ascii=False))
                fh.write("\n")
    elif path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(c.name) for c in columns])
        book.save(path)
    else:
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for row in rows:
                writer.writerow([row.get(c.name, "") for c in columns])
    return path


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(text(f"SELECT * FROM {table.name}")).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def run_import(
    engine: Engine, kind: str, path: Path, mode: ImportMode = ImportMode.ALL_OR_NOTHING
) -> tuple[ImportResult, list[RowProblem]]:
    problems: list[RowProblem] = []
    with UnitOfWork(engine) as uow:
        result = service.import_feed(
            uow=uow, kind=kind, path=path, mode=mode, on_problem=problems.append
        )
    return result, problems


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".jsonl"])
@pytest.mark.parametrize("kind", list(CASES))
def test_bad_row_rejects_the_file_and_a_good_file_loads_once(
    engine: Engine, tmp_path: Path, kind: str, suffix: str
) -> None:
    good, bad, field = CASES[kind]
    chinese = suffix == ".xlsx"  # the zh headers on one format, en on the others
    before = snapshot(engine)

    bad_file = write_file(tmp_path / f"bad{suffix}", [*good, bad], kind, chinese=chinese)
    result, problems = run_import(engine, kind, bad_file)
    assert result.rejected
    assert not result.committed
    assert snapshot(engine) == before
    assert problems, "the report names the bad row"
    assert problems[0].row == (4 if suffix != ".jsonl" else 3)
    column = next(c for c in FEEDS[kind].columns if c.name == field)
    assert problems[0].field.split("[")[0] == (column.zh if chinese else column.name)
    assert str(problems[0]).startswith(f"第{problems[0].row}行 ")

    good_file = write_file(tmp_path / f"good{suffix}", good, kind, chinese=chinese)
    result, problems = run_import(engine, kind, good_file)
    assert problems == []
    assert result.committed
    assert result.rows_loaded == len(good)
    once = snapshot(engine)
    assert once != before
    run_import(engine, kind, good_file)
    assert snapshot(engine) == once


def test_skip_bad_loads_the_valid_rows(engine: Engine, tmp_path: Path) -> None:
    good, bad, _ = CASES["registrations"]
    path = write_file(
        tmp_path / "mixed.csv", [good[0], bad, good[1]], "registrations", chinese=False
    )
    result, problems = run_import(engine, "registrations", path, ImportMode.SKIP_BAD)
    assert result.committed
    assert result.rows_loaded == 2
    assert result.rows_rejected == 1
    assert [p.row for p in problems] == [3]


def test_a_key_twice_in_one_file_is_a_row_problem(engine: Engine, tmp_path: Path) -> None:
    good, _, _ = CASES["registrations"]
    path = write_file(
        tmp_path / "dup.csv",
        [good[0], {**good[0], "vin": V1.lower()}],
        "registrations",
        chinese=False,
    )
    result, problems = run_import(engine, "registrations", path)
    assert not result.committed
    assert problems[0].row == 3
    assert "row 2" in problems[0].reason_en


def test_missing_required_column_makes_the_file_unusable(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "nocol.csv"
    path.write_text("brand,model\n比亚迪,X\n", encoding="utf-8")
    with pytest.raises(UnusableFile, match="vin/车辆识别代号"), UnitOfWork(engine) as uow:
        service.import_feed(uow=uow, kind="registrations", path=path)


def test_cli_exit_codes_and_report(database_url: str, tmp_path: Path) -> None:
    good, bad, _ = CASES["registrations"]
    env = {"CAREXPORT_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "carexport", "import", "registrations"]
    bad_file = write_file(tmp_path / "bad.csv", [*good, bad], "registrations", chinese=False)
    run = subprocess.run([*cmd, str(bad_file)], capture_output=True, text=True, env=env)
    assert run.returncode == 1, run.stderr
    assert "第4行 vin：校验位错误 / row 4 vin: check digit wrong" in run.stderr
    report = (tmp_path / "bad.csv.report.csv").read_text(encoding="utf-8-sig")
    assert "4,vin," in report
    good_file = write_file(tmp_path / "good.csv", good, "registrations", chinese=False)
    run = subprocess.run([*cmd, str(good_file)], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    run = subprocess.run(
        [*cmd, str(tmp_path / "absent.csv")], capture_output=True, text=True, env=env
    )
    assert run.returncode == 2
