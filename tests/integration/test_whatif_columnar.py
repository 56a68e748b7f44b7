"""The what-if's column-wise read of plain lines (whatif.columnar) builds the same
frame as the single check's join (rules.frame.line_frame) from the same store, column
for column, on a demo world on both databases; and the what-if's outcome does not
depend on how the period is cut into chunks."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import orjson
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, text

from carexport.domain.application import Application
from carexport.rules.frame import LINE_SCHEMA, line_frame
from carexport.whatif import columnar, service
from carexport.whatif.decide import store_facts, without_own_license

PERIOD = (date(2025, 1, 1), date(2026, 12, 31))


@pytest.fixture
def demo_engine(engine: Engine, tmp_path: Path) -> Engine:
    url = engine.url.render_as_string(hide_password=False)
    made = subprocess.run(
        [sys.executable, "-m", "carexport", "demo", "generate", "--vehicles", "600"],
        env={**os.environ, "CAREXPORT_DATABASE_URL": url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert made.returncode == 0, made.stderr
    return engine


def _plain_by_line_frame(engine: Engine) -> pl.DataFrame:
    """The lines of the period through line_frame, whole applications at a time."""
    query = text(
        "SELECT a.id, CAST(a.content AS TEXT), "
        "(SELECT min(l.license_no) FROM licenses l WHERE l.application_id = a.id) "
        f"FROM applications a WHERE {columnar.PERIOD} ORDER BY a.id"
    )
    with engine.connect() as conn:
        rows = conn.execute(query, {"start": PERIOD[0], "end": PERIOD[1], "agency": ""}).all()
    applications = [Application.model_validate(orjson.loads(content)) for _, content, _ in rows]
    lines = line_frame(applications, store_facts(engine, applications))
    lines = without_own_license(lines, [own for _, _, own in rows])
    return lines.frame


def test_lines_read_column_wise_equal_the_single_checks_join(demo_engine: Engine) -> None:
    expected = _plain_by_line_frame(demo_engine)
    found = pl.concat(list(columnar.plain_chunks(demo_engine, PERIOD[0], PERIOD[1], size=150)))

    key = ["application_id", "position"]
    columns = [c for c in LINE_SCHEMA if c != "line_id"]
    assert expected.height > 100
    assert expected["has_confirmation"].sum() > 10  # confirmations are read column-wise too
    assert expected["modified"].sum() > 10  # and modified vehicles
    assert_frame_equal(
        found.select(columns).sort(key), expected.select(columns).sort(key), check_dtypes=True
    )


def test_the_outcome_does_not_depend_on_the_chunks_or_the_partition(
    demo_engine: Engine,
) -> None:
    whatif = service.WhatIf.parse(
        start=PERIOD[0], end=PERIOD[1], as_of=None, settings=["n180.days=365"]
    )

    whole = service.run(engine=demo_engine, whatif=whatif)
    small = service.run(engine=demo_engine, whatif=whatif, chunk_rows=37)

    assert whole["changed"].sum() > 0
    assert service.summary(whatif, whole) == service.summary(whatif, small)
    assert_frame_equal(service.changed_lines(whole), service.changed_lines(small))
    # docs/deploy.md: a year split by month and agency sums to the whole year.
    parts = []
    agencies = whole["issuing_agency"].unique().to_list()
    for month_start, month_end in (
        (date(2025, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), PERIOD[1]),
    ):
        for agency in agencies:
            part = service.WhatIf.parse(
                start=month_start,
                end=month_end,
                as_of=None,
                settings=["n180.days=365"],
                agency=agency,
            )
            parts.append(service.run(engine=demo_engine, whatif=part))
    summed = pl.concat(parts)
    assert summed.height == whole.height
    merged = service.tables(summed)
    for name, table in service.tables(whole).items():
        assert_frame_equal(merged[name].sort("value"), table.sort("value"))
