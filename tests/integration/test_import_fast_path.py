"""The columnar fast path (decision 0006) reports the same problems and stores the same
rows as the row path, on files with a few percent bad rows of every kind."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from carexport.db import UnitOfWork
from carexport.domain.uscc import uscc_check_character
from carexport.domain.vin import with_check_digit
from carexport.feeds import fields, files, service
from carexport.feeds.importing import ImportMode, ImportResult, RowProblem
from carexport.feeds.schemas import FEEDS

ROWS = 3000
OWNERS = [s + uscc_check_character(s) for s in (f"91120116MA{i:07d}" for i in range(40))]
BAD_OWNER = OWNERS[0][:-1] + ("0" if OWNERS[0][-1] != "0" else "1")
FIELDS = [c.name for c in FEEDS["registrations"].columns]
# Cells for declared text fields this file does not name (a column added later): plain,
# empty, and with the spaces the row path strips.
TEXT_CELLS = ["汽油", "纯电动", "", " 柴油", "插电式混合动力 "]


def vin(i: int) -> str:
    return with_check_digit(f"L{'GSB'[i % 3]}X{i:014d}"[:17])


def good_row(rnd: random.Random, i: int) -> dict[str, str]:
    row = {
        "vin": vin(i),
        "brand": rnd.choice(["比亚迪", "长城", "奇瑞", ""]),
        "model": rnd.choice(["BYD7150WTHEV3", "CC6460RM0F", ""]),
        "registration_date": f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
        "transfer_for_export_date": rnd.choice(["2026-02-20", ""]),
        "export_transfer_count": rnd.choice(["0", "1", "12", ""]),
        "status": rnd.choice("AAAAAG"),
        "owner_uscc": rnd.choice([*OWNERS, ""]),
        "mortgaged": rnd.choice(["否", "是", "有", "无", "true", "false", "1", "0", ""]),
        "customs_supervised": rnd.choice(["false", "true", ""]),
        "scrap_due_date": rnd.choice(["2041-01-05", "2024-02-29", ""]),
    }
    for column in FEEDS["registrations"].columns:
        if column.name not in row:
            assert column.type is fields.TEXT, f"give {column.name} its cells here"
            row[column.name] = rnd.choice(TEXT_CELLS)
    return row


def spoil(rnd: random.Random, row: dict[str, str], i: int) -> dict[str, str]:
    """One bad (or merely unusual, still valid) variant of `row`."""
    v = row["vin"]
    kind = rnd.randrange(16)
    if kind == 0:
        row["registration_date"] = rnd.choice(["2025-02-30", "2025-1-05", "20250105", "x"])
    elif kind == 1:
        row["vin"] = v[:8] + ("0" if v[8] != "0" else "1") + v[9:]  # check digit
    elif kind == 2:
        row["vin"] = v.lower()  # valid: normalised to upper case
    elif kind == 3:
        row["vin"] = ""  # the key is missing
    elif kind == 4:
        row["export_transfer_count"] = rnd.choice(["many", "-1", "1.5", " 3 ", "007"])
    elif kind == 5:
        row["mortgaged"] = rnd.choice(["maybe", "YES", " 是"])
    elif kind == 6:
        row["vin"] = vin(max(i - rnd.randint(1, 400), 0))  # same key as an earlier row
    elif kind == 7:
        row["owner_uscc"] = rnd.choice([BAD_OWNER, OWNERS[1].lower(), "123"])
    elif kind == 8:
        row["brand"] = rnd.choice([" 比亚迪", "长城 ", " "])  # stripped by the schema
    elif kind == 9:
        row["status"] = rnd.choice(["A1", "正常"])
    elif kind == 10:
        row["vin"] = v[:5] + "I" + v[6:]  # not the VIN alphabet
    elif kind == 11:
        row["scrap_due_date"] = "0999-01-01"
    elif kind == 12:
        row["vin"] = f" {v} "
    elif kind == 13:
        row["customs_supervised"] = "True"
    elif kind == 14:
        row["transfer_for_export_date"] = "2025-06-01T00:00:00"
    else:
        row["owner_uscc"] = f"{rnd.choice(OWNERS)} "
    return row


def write(path: Path, *, chinese: bool, quoted_from: int | None = None) -> Path:
    """A registrations CSV: 5% spoiled rows, blank lines, ragged rows, an ignored column;
    from row `quoted_from` on, some quoted cells (read by the csv module)."""
    rnd = random.Random(2026)
    names = {c.name: (c.zh if chinese else c.name) for c in FEEDS["registrations"].columns}
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([names[f] for f in FIELDS] + ["备注"])
        for i in range(ROWS):
            row = good_row(rnd, i)
            if rnd.random() < 0.05:
                row = spoil(rnd, row, i)
            cells = [row[f] for f in FIELDS] + [rnd.choice(["", "note"])]
            if quoted_from is not None and i >= quoted_from and rnd.random() < 0.02:
                cells[1] = 'say "hi", ok'
            if rnd.random() < 0.005:
                fh.write("\r\n" if rnd.random() < 0.5 else ",,,,,\r\n")  # blank rows
            if rnd.random() < 0.005:
                cells = cells[: rnd.randint(1, 5)]  # ragged: the rest is absent
            writer.writerow(cells)
    return path


def reset(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE registrations RESTART IDENTITY"))
        else:
            conn.execute(text("DELETE FROM registrations"))  # ids restart at max + 1 = 1


def run(
    engine: Engine, path: Path, mode: ImportMode, fast: bool
) -> tuple[ImportResult, list[RowProblem], list[tuple[Any, ...]]]:
    reset(engine)
    # Rows already stored, one of which the file changes: the upsert path too.
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO registrations (vin_key, vin, status) "
                "VALUES (:v, :v, 'G'), (:w, :w, 'G')"
            ),
            {"v": vin(5), "w": "LZZ00000000000000"},
        )
    problems: list[RowProblem] = []
    with UnitOfWork(engine) as uow:
        result = service.import_feed(
            uow=uow,
            kind="registrations",
            path=path,
            mode=mode,
            on_problem=problems.append,
            columnar_path=fast,
        )
    with engine.connect() as conn:
        stored = [tuple(r) for r in conn.execute(text("SELECT * FROM registrations ORDER BY id"))]
    return result, problems, stored


@pytest.mark.parametrize(("chinese", "quoted_from"), [(False, None), (True, None), (False, 1700)])
@pytest.mark.parametrize("mode", list(ImportMode))
def test_fast_path_agrees_with_the_row_path(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mode: ImportMode,
    chinese: bool,
    quoted_from: int | None,
) -> None:
    # Small blocks: repeated keys and bad rows land in other blocks than their firsts.
    monkeypatch.setattr(files, "BLOCK_BYTES", 16_384)
    path = write(tmp_path / "registrations.csv", chinese=chinese, quoted_from=quoted_from)
    slow = run(engine, path, mode, fast=False)
    fast = run(engine, path, mode, fast=True)
    assert fast[1] == slow[1]  # the same problems, in the same order
    assert fast[0] == slow[0]  # the same counts
    assert fast[2] == slow[2]  # the same rows, ids included
    # The file really has bad rows of every kind, and good rows stored or not per mode.
    reasons = {p.reason_en for p in slow[1]}
    assert {"check digit wrong", "required value missing", "not an integer"} <= reasons
    assert any("same record as row" in r for r in reasons)
    assert any("USCC" in r for r in reasons)
    assert any("date" in r for r in reasons)
    assert any("是/否" in p.reason_zh for p in slow[1])
    assert slow[0].rows_rejected > ROWS // 50
    if mode is ImportMode.SKIP_BAD:
        assert slow[0].committed
        assert len(slow[2]) > ROWS * 0.9


def test_other_encodings_and_formats_keep_the_row_path_results(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "gbk.csv"
    rows = [good_row(random.Random(1), i) for i in range(50)]
    with path.open("w", encoding="gbk", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(FIELDS)
        writer.writerows([r[f] for f in FIELDS] for r in rows)
    outcomes = []
    for fast in (False, True):
        reset(engine)
        with UnitOfWork(engine) as uow:
            result = service.import_feed(
                uow=uow, kind="registrations", path=path, encoding="gbk", columnar_path=fast
            )
        with engine.connect() as conn:
            stored = [tuple(r) for r in conn.execute(text("SELECT * FROM registrations"))]
        outcomes.append((result, sorted(stored, key=repr)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0].rows_loaded == 50


@pytest.mark.parametrize("quoted_from", [None, 0, 1500])
def test_the_one_csv_reader_gives_the_rows_the_csv_module_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quoted_from: int | None
) -> None:
    # Blocks split on commas until the first quote, the csv module from there on: both
    # must read what a plain csv.reader reads (blank rows skipped, ragged rows padded).
    monkeypatch.setattr(files, "BLOCK_BYTES", 16_384)
    path = write(tmp_path / "registrations.csv", chinese=True, quoted_from=quoted_from)
    feed = FEEDS["registrations"]
    source = files.open_source(path, feed)
    got = list(files.rows(source))
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        fields_of = {c.zh: c.name for c in feed.columns}
        # A ragged row is shorter than the header: zip stops at its end, as the reader does.
        expected = [
            (
                number,
                {
                    fields_of[h]: v
                    for h, v in zip(header, cells, strict=False)
                    if h in fields_of and v.strip()  # blank text is absent
                },
            )
            for number, cells in enumerate(reader, start=2)
            if any(cells)
        ]
    assert got == expected
    assert source.done == source.total
