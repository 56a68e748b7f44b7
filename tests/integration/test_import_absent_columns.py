"""A column the file does not have leaves the stored value; an empty cell clears it
(issue 15: a `vin,brand` file used to erase every other field of the registration)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from carexport.db import UnitOfWork
from carexport.feeds import service
from carexport.feeds.importing import ImportMode, RowProblem
from tests.integration.test_import_feeds import U1, U2, V1, V2, write_file

FULL = {
    "vin": V1,
    "brand": "比亚迪",
    "model": "BYD7150",
    "registration_date": "2024-01-05",
    "export_transfer_count": "1",
    "status": "K",
    "owner_uscc": U1,
    "mortgaged": "是",
    "customs_supervised": "否",
    "scrap_due_date": "2039-01-05",
}
STORED = {
    "brand": "比亚迪",
    "model": "BYD7150",
    "status": "K",
    "owner_uscc": U1,
    "owner_key": U1,
    "mortgaged": True,
    "scrap_due_date": "2039-01-05",
    "export_transfer_count": 1,
}


def load(engine: Engine, kind: str, path: Path, *, columnar_path: bool = True) -> None:
    problems: list[RowProblem] = []
    with UnitOfWork(engine) as uow:
        result = service.import_feed(
            uow=uow,
            kind=kind,
            path=path,
            mode=ImportMode.ALL_OR_NOTHING,
            on_problem=problems.append,
            columnar_path=columnar_path,
        )
    assert result.committed, problems


def registration(engine: Engine, vin: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT * FROM registrations WHERE vin_key = :vin"), {"vin": vin}
        ).one()
    out = dict(row._mapping)
    out["scrap_due_date"] = out["scrap_due_date"] and str(out["scrap_due_date"])
    out["mortgaged"] = None if out["mortgaged"] is None else bool(out["mortgaged"])
    return out


def csv_file(path: Path, header: str, *lines: str) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "fmt", ["csv-columnar", "csv-rows", "xlsx", "jsonl"], ids=lambda f: f"second-file-{f}"
)
def test_a_file_without_optional_columns_keeps_the_stored_values(
    engine: Engine, tmp_path: Path, fmt: str
) -> None:
    load(
        engine,
        "registrations",
        write_file(tmp_path / "full.csv", [FULL], "registrations", chinese=False),
    )
    suffix = fmt.split("-")[0]
    partial = tmp_path / f"partial.{suffix}"
    if suffix == "csv":
        csv_file(partial, "vin,brand", f"{V1},BYD", f"{V2},长城")
    elif suffix == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["车辆识别代号", "品牌"])
        sheet.append([V1, "BYD"])
        sheet.append([V2, "长城"])
        book.save(partial)
    else:
        partial.write_text(
            json.dumps({"vin": V1, "brand": "BYD"})
            + "\n"
            + json.dumps({"vin": V2, "brand": "长城"})
            + "\n",
            encoding="utf-8",
        )
    load(engine, "registrations", partial, columnar_path=fmt != "csv-rows")

    stored = registration(engine, V1)
    assert {k: stored[k] for k in STORED} == {**STORED, "brand": "BYD"}
    new = registration(engine, V2)
    assert new["brand"] == "长城"
    assert new["status"] is None
    assert new["mortgaged"] is None


@pytest.mark.parametrize("columnar_path", [True, False], ids=["columnar", "rows"])
def test_an_empty_cell_of_a_present_column_clears_the_stored_value(
    engine: Engine, tmp_path: Path, columnar_path: bool
) -> None:
    load(
        engine,
        "registrations",
        write_file(tmp_path / "full.csv", [FULL], "registrations", chinese=False),
    )
    load(
        engine,
        "registrations",
        csv_file(tmp_path / "clear.csv", "vin,mortgaged,scrap_due_date", f"{V1},,"),
        columnar_path=columnar_path,
    )
    stored = registration(engine, V1)
    assert stored["mortgaged"] is None
    assert stored["scrap_due_date"] is None
    assert stored["status"] == "K"
    assert stored["owner_key"] == U1


def test_json_lines_an_absent_key_keeps_and_null_or_empty_clears(
    engine: Engine, tmp_path: Path
) -> None:
    load(
        engine,
        "registrations",
        write_file(
            tmp_path / "full.csv", [FULL, {**FULL, "vin": V2}], "registrations", chinese=False
        ),
    )
    rows = [
        {"vin": V1, "mortgaged": None, "status": ""},  # clears these two, keeps the rest
        {"vin": V2, "brand": "长城"},  # keeps all but the brand
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    load(engine, "registrations", path)

    first = registration(engine, V1)
    assert first["mortgaged"] is None
    assert first["status"] is None
    assert first["brand"] == "比亚迪"
    assert first["owner_key"] == U1
    assert first["scrap_due_date"] == "2039-01-05"
    second = registration(engine, V2)
    assert {k: second[k] for k in STORED} == {**STORED, "brand": "长城"}


def test_a_list_column_absent_keeps_the_parts_and_present_replaces_them(
    engine: Engine, tmp_path: Path
) -> None:
    full = [{"uscc": U1, "name": "甲", "kind": "manufacturer", "brands": "比亚迪;腾势"}]
    load(
        engine,
        "manufacturers",
        write_file(tmp_path / "m.csv", full, "manufacturers", chinese=False),
    )
    load(
        engine,
        "manufacturers",
        csv_file(tmp_path / "names.csv", "uscc,name", f"{U1},甲公司", f"{U2},乙"),
    )

    def brands(key: str) -> list[str]:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT brand FROM manufacturer_brands WHERE manufacturer_key = :k "
                        "ORDER BY position"
                    ),
                    {"k": key},
                ).scalars()
            )

    assert brands(U1) == ["比亚迪", "腾势"]
    with engine.connect() as conn:
        kind = conn.execute(
            text("SELECT kind, name FROM manufacturers WHERE uscc_key = :k"), {"k": U1}
        ).one()
    assert tuple(kind) == ("manufacturer", "甲公司")
    load(engine, "manufacturers", csv_file(tmp_path / "brands.csv", "uscc,brands", f"{U1},仰望"))
    assert brands(U1) == ["仰望"]
    # JSON Lines: rows with and without the list, in one file.
    path = tmp_path / "m.jsonl"
    path.write_text(
        json.dumps({"uscc": U1, "name": "甲"})
        + "\n"
        + json.dumps({"uscc": U2, "brands": ["乙牌"]})
        + "\n",
        encoding="utf-8",
    )
    load(engine, "manufacturers", path)
    assert brands(U1) == ["仰望"]
    assert brands(U2) == ["乙牌"]


def test_the_store_backed_check_still_finds_the_mortgage_after_a_partial_file(
    database_url: str, tmp_path: Path
) -> None:
    application = json.loads(Path("examples/application.json").read_text(encoding="utf-8"))
    vin = application["vehicles"][2]["vin"]
    env = {"CAREXPORT_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}

    def carexport(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "carexport", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    full = write_file(tmp_path / "full.csv", [{**FULL, "vin": vin}], "registrations", chinese=False)
    assert carexport("import", "registrations", str(full)).returncode == 0
    partial = csv_file(tmp_path / "partial.csv", "vin,brand", f"{vin},长安")
    run = carexport("import", "registrations", str(partial))
    assert run.returncode == 0, run.stderr

    run = carexport("check", "examples/application.json")
    assert "Traceback" not in run.stderr
    verdict = json.loads(run.stdout)
    vehicle = next(v for v in verdict["vehicles"] if v["vin"] == vin)
    assert "BAN.MORTGAGED" in {f["rule"] for f in vehicle["findings"]}
