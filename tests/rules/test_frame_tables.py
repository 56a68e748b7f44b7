"""`tables_frame` (the store's columnar path) builds the frame `line_frame` builds."""

from __future__ import annotations

from typing import Any

import polars as pl
from polars.testing import assert_frame_equal
from pydantic import BaseModel

from carexport.rules.bulk import evaluate_frame
from carexport.rules.frame import line_frame
from carexport.rules.frame_tables import (
    INSPECTION_COLUMNS,
    LINE_COLUMNS,
    REGISTRATION_COLUMNS,
    tables_frame,
)
from tests.rules.bulk_world import World, generate


def fields(row: BaseModel, exclude: str = "") -> dict[str, Any]:
    # model_dump would render the dates as text (IsoDate's serializer).
    return {name: getattr(row, name) for name in type(row).model_fields if name != exclude}


def tables(world: World) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rows: list[dict[str, Any]] = []
    for app in world.applications:
        head = fields(app, exclude="vehicles")
        for position, line in enumerate(app.vehicles):
            rows.append({**head, "position": position, **fields(line)})
    lines = pl.DataFrame(rows, schema=LINE_COLUMNS)
    registrations = pl.DataFrame(
        [fields(r) for r in world.facts.registrations], schema=REGISTRATION_COLUMNS
    )
    inspections = pl.DataFrame(
        [
            {"vin": r.vin, "inspected_on": r.inspected_on, "result": r.result.value}
            for r in world.facts.inspections
        ],
        schema=INSPECTION_COLUMNS,
    )
    return lines, registrations, inspections


def test_the_tables_path_builds_the_same_frame_as_the_domain_path() -> None:
    world = generate(20_000, seed=27)
    expected = line_frame(world.applications, world.facts).frame
    got = tables_frame(*tables(world), world.facts).frame
    assert_frame_equal(got, expected)
    assert evaluate_frame(got).lines.equals(evaluate_frame(expected).lines)
