"""`carexport import` fuzzed (issue 15): random bytes, encodings, headers, cell values and
sizes. Whatever the file, the outcome is exit 0, 1 or 2 (never another exception, never
a traceback), memory stays bounded, and the database is unchanged whenever the exit code
is not 0 (all-or-nothing)."""

from __future__ import annotations

import codecs
import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

import carexport.applications.models
import carexport.credit.models
import carexport.feeds.models  # noqa: F401  (every table on Base.metadata)
from carexport.db import Base, UnitOfWork, make_engine
from carexport.domain.uscc import uscc_check_character
from carexport.domain.vin import with_check_digit
from carexport.errors import CarexportError
from carexport.feeds import service
from carexport.feeds.importing import ImportMode
from carexport.feeds.schemas import FEEDS
from carexport.migrations import upgrade

KINDS = ("registrations", "customs", "manufacturers", "inspections")
VINS = [with_check_digit(f"LGXCE4CB8P{n:07d}") for n in range(5)]
USCCS = [f"9112011{n}MA06ABCDE" + uscc_check_character(f"9112011{n}MA06ABCDE") for n in range(3)]
ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16")

cells = st.one_of(
    st.sampled_from(VINS + USCCS),
    st.sampled_from(["2024-01-05", "0", "86400", "9999-12-31", "是", "否", "pass", "KZ"]),
    st.sampled_from(["", " ", "\u3000", "#N/A", "=1+1", '"', "a,b", "a;b", "\t", "\r\n"]),
    st.text(max_size=12),
    st.text(alphabet='\x00\r\n",;\t 车辆识别代号vinVIN', max_size=8),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)


@st.composite
def feed_files(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    names = [n for c in FEEDS[kind].columns for n in (c.name, c.zh)]
    headers = draw(
        st.lists(st.one_of(st.sampled_from(names), st.text(max_size=6)), min_size=0, max_size=7)
    )
    rows = draw(st.lists(st.lists(cells, max_size=len(headers) + 1), max_size=12))
    return {
        "kind": kind,
        "fmt": draw(st.sampled_from(["csv", "csv", "jsonl", "xlsx", "bytes"])),
        "written": draw(st.sampled_from(ENCODINGS)),
        "read": draw(st.sampled_from(ENCODINGS)),
        "delimiter": draw(st.sampled_from([",", ",", ";", "\t"])),
        "headers": headers,
        "rows": rows,
        "raw": draw(st.binary(max_size=300)),
        "mode": draw(st.sampled_from(list(ImportMode))),
    }


def write(path: Path, case: dict[str, Any]) -> Path:
    headers, rows = case["headers"], case["rows"]
    if case["fmt"] == "bytes":
        path = path.with_suffix(".csv")
        path.write_bytes(case["raw"])
    elif case["fmt"] == "xlsx":
        path = path.with_suffix(".xlsx")
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        for row in [headers, *rows]:
            # openpyxl refuses control characters in cells: those go in as "?".
            sheet.append([_printable(c) for c in row])
        book.save(path)
    elif case["fmt"] == "jsonl":
        path = path.with_suffix(".jsonl")
        lines = [json.dumps(dict(zip(headers, row, strict=False))) for row in rows]
        path.write_bytes(_encode("\n".join(lines) + "\n", case["written"]))
    else:
        path = path.with_suffix(".csv")
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=case["delimiter"]).writerows([headers, *rows])
        path.write_bytes(_encode(buffer.getvalue(), case["written"]))
    return path


def _printable(value: str) -> str:
    return "".join(c if c.isprintable() or c == " " else "?" for c in value)


def _encode(text: str, encoding: str) -> bytes:
    try:
        return codecs.encode(text, encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")  # read with another encoding: a decoding problem


def snapshot(engine: Engine) -> dict[str, list[str]]:
    with engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            for table in Base.metadata.sorted_tables
        }


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("fuzz") / "store.sqlite3"
    migrating = make_engine(f"sqlite:///{path}")
    upgrade(migrating)
    migrating.dispose()  # imports use a fresh engine, as a command does
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


# What one import may add to the process. The test process's own size is not the
# import's: under xdist it holds whatever the worker's earlier test files left (a bulk
# evaluation of 100,000 lines, a demo world), and the lifetime high-water mark
# (getrusage) would count it. So the peak is reset before each import.
IMPORT_MEMORY = 512 << 20


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/self/status")


def reset_peak_memory() -> int:
    """Reset the resident high-water mark (Linux: clear_refs 5); the resident size now."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kib("VmRSS") * 1024


def peak_memory() -> int:
    return _status_kib("VmHWM") * 1024


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=feed_files())
def test_any_feed_file_gives_exit_0_1_or_2_and_all_or_nothing(
    store: Engine, tmp_path: Path, case: dict[str, Any]
) -> None:
    path = write(tmp_path / "feed", case)
    before = snapshot(store)
    resident = reset_peak_memory()
    try:
        with UnitOfWork(store) as uow:
            result = service.import_feed(
                uow=uow,
                kind=case["kind"],
                path=path,
                mode=case["mode"],
                encoding=case["read"],
            )
    except CarexportError:
        code = 2
    else:
        code = 1 if result.rejected else 0
        assert result.committed == (code == 0 or case["mode"] is ImportMode.SKIP_BAD)
    if code != 0 and case["mode"] is ImportMode.ALL_OR_NOTHING:
        assert snapshot(store) == before
    if code == 2:
        assert snapshot(store) == before
    assert peak_memory() - resident < IMPORT_MEMORY


@settings(max_examples=4, deadline=None)
@given(case=feed_files())
def test_the_command_exits_0_1_or_2_without_a_traceback(
    tmp_path_factory: pytest.TempPathFactory, case: dict[str, Any]
) -> None:
    folder = tmp_path_factory.mktemp("cli")
    database = folder / "store.sqlite3"
    url = f"sqlite:///{database}"
    upgrade(make_engine(url))
    path = write(folder / "feed", case)
    encoding = ["--encoding", case["read"]]
    run = subprocess.run(
        [sys.executable, "-m", "carexport", "import", case["kind"], str(path), *encoding],
        capture_output=True,
        text=True,
        env={"CAREXPORT_DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert run.returncode in (0, 1, 2), run.stderr
    assert "Traceback" not in run.stderr
