"""The bulk evaluator and the single check agree on every generated line.

100,000 generated lines (tests/rules/bulk_world.py: every vehicle rule fires, dates on
both sides of every threshold) are decided by `evaluate_frame` and, application by
application, by `evaluate`: for every line the decision, the rule IDs in order, and the
facts and parameters of each finding must be equal. Then again under a what-if
(n180.days = 365) and on one as_of for all lines, on a part of the world.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from functools import cache

import polars as pl
import pytest

from carexport.rules.bulk import BulkResult, evaluate_frame, rule_counts
from carexport.rules.catalogue import default_registry
from carexport.rules.context import FactIndex
from carexport.rules.evaluate import evaluate, vehicle_rule_ids
from carexport.rules.frame import LineFrame, line_frame
from carexport.rules.parameters import ParameterTable, default_parameters
from carexport.rules.registry import Lang, Registry, Severity
from tests.rules.bulk_world import World, generate

LINES = int(os.environ.get("CAREXPORT_DIFFERENTIAL_LINES", "100000"))


@cache
def world() -> tuple[World, LineFrame]:
    generated = generate(LINES)
    return generated, line_frame(generated.applications, generated.facts)


def _agree(
    result: BulkResult,
    world_: World,
    index: FactIndex,
    *,
    as_of: date | None = None,
    parameters: ParameterTable | None = None,
    registry: Registry | None = None,
    applications: int | None = None,
) -> Counter[str]:
    """Every line of the first `applications` applications agrees; returns rule counts."""
    lines = result.lines.iter_rows(named=True)
    fired: Counter[str] = Counter()
    for app in world_.applications[:applications]:
        verdict = evaluate(
            app, world_.facts, as_of, Lang.EN, parameters=parameters, registry=registry, index=index
        )
        for vehicle in verdict.vehicles:
            line = next(lines)
            assert line["vin"] == vehicle.vin
            single = [(f.rule, f.facts, f.parameters) for f in vehicle.findings]
            where = f"{app.application_id} line {line['position']} ({vehicle.vin})"
            assert line["rules"] == [rule for rule, _, _ in single], where
            assert line["decision"] == vehicle.decision.value, where
            bulk = [
                (f.rule.id, f.facts, f.parameters or None) for f in result.findings(line["line_id"])
            ]
            assert bulk == single, where
            fired.update(line["rules"])
    return fired


def test_every_line_agrees_with_the_single_check() -> None:
    world_, lines = world()
    assert world_.line_count >= LINES
    result = evaluate_frame(lines)
    fired = _agree(result, world_, lines.index or FactIndex(world_.facts))
    # The world is only a proof if every vehicle rule fires somewhere.
    assert set(fired) == set(vehicle_rule_ids()), set(vehicle_rule_ids()) - set(fired)
    assert dict(fired) == {k: v for k, v in rule_counts(result).items() if v}


def test_a_what_if_agrees_with_the_single_check_under_the_same_parameters() -> None:
    world_, lines = world()
    params = default_parameters().with_overrides({"n180.days": 365, "ban.scrap_margin_days": 500})
    result = evaluate_frame(lines, parameters=params)
    fired = _agree(
        result, world_, lines.index or FactIndex(world_.facts), parameters=params, applications=1500
    )
    assert fired["N180.CONFIRMATION_MISSING"] > 0
    before = evaluate_frame(lines)
    changed = result.lines.join(before.lines, on="line_id").filter(
        pl.col("decision") != pl.col("decision_right")
    )
    assert changed.height > 0  # the what-if changes decisions


@pytest.mark.parametrize("day", [date(2025, 12, 31), date(2026, 3, 10), date(2027, 2, 28)])
def test_one_as_of_for_all_lines_agrees_with_the_single_check(day: date) -> None:
    world_, lines = world()
    result = evaluate_frame(lines, as_of=day)
    assert result.lines["as_of"].unique().to_list() == [day]
    _agree(result, world_, lines.index or FactIndex(world_.facts), as_of=day, applications=800)


def test_the_world_sits_on_both_sides_of_every_threshold() -> None:
    _, lines = world()
    c = pl.col
    registered = pl.coalesce("rec_registration_date", "registration_date")
    days = (c("submitted_on") - registered).dt.total_days()
    scrap = (c("rec_scrap_due_date") - c("submitted_on")).dt.total_days()
    inspected = c("inspections").list.eval(pl.element().struct.field("inspected_on"))
    age = c("submitted_on").dt.offset_by("-1y")  # any anniversary
    counts = lines.frame.select(
        *[(days == d).sum().alias(f"days {d}") for d in (179, 180, 181, 364, 365, 366)],
        *[(scrap == d).sum().alias(f"scrap {d}") for d in (364, 365, 366, 499, 500, 501)],
        inspected.list.contains(c("submitted_on")).sum().alias("inspected on as_of"),
        inspected.list.contains(c("submitted_on") + pl.duration(days=1))
        .sum()
        .alias("inspected the day after"),
        (c("rec_transfer_for_export_date") == date(2025, 12, 31)).sum().alias("transfer 12-31"),
        (c("rec_transfer_for_export_date") == date(2026, 1, 1)).sum().alias("transfer 01-01"),
        ((registered.dt.month() == 2) & (registered.dt.day() == 29)).sum().alias("29 February"),
        (registered.dt.day() == age.dt.day()).sum().alias("on an anniversary day"),
    ).row(0, named=True)
    assert all(n > 0 for n in counts.values()), counts


def test_an_as_of_column_per_line_agrees_with_the_single_check() -> None:
    world_, lines = world()
    apps = world_.applications[:600]
    shift = {a.application_id: n % 5 - 2 for n, a in enumerate(apps)}  # -2 … +2 days
    part = lines.frame.filter(pl.col("application_id").is_in(list(shift)))
    dated = part.with_columns(
        (
            pl.col("submitted_on")
            + pl.duration(
                days=pl.col("application_id").replace_strict(shift, return_dtype=pl.Int64)
            )
        ).alias("as_of")
    )
    result = evaluate_frame(LineFrame(dated, lines.applications, lines.index, lines.origin))
    index = lines.index or FactIndex(world_.facts)
    rows = result.lines.iter_rows(named=True)
    for app in apps:
        day = app.submitted_on + timedelta(days=shift[app.application_id])
        verdict = evaluate(app, world_.facts, day, index=index)
        for vehicle in verdict.vehicles:
            line = next(rows)
            assert line["as_of"] == day
            assert line["rules"] == [f.rule for f in vehicle.findings], app.application_id
            assert line["decision"] == vehicle.decision.value, app.application_id


def test_a_rule_with_two_versions_is_decided_by_the_version_in_force() -> None:
    """A change of law adds a version: here BAN.MORTGAGED becomes `review` from
    2026-07-01. Lines on both sides must follow the single check."""
    world_, lines = world()
    old = next(r for r in default_registry().all() if r.id == "BAN.MORTGAGED")
    cut = date(2026, 7, 1)
    rules = Registry(
        [r for r in default_registry().all() if r.id != "BAN.MORTGAGED"]
        + [
            replace(old, effective_to=cut - timedelta(days=1)),
            replace(old, effective_from=cut, severity=Severity.REVIEW),
        ]
    )
    result = evaluate_frame(lines, registry=rules)
    fired = _agree(
        result, world_, lines.index or FactIndex(world_.facts), registry=rules, applications=2000
    )
    assert fired["BAN.MORTGAGED"] > 0
    mortgaged = result.lines.join(result.flags, on="line_id").filter(pl.col("BAN.MORTGAGED"))
    assert {d.year for d in mortgaged["as_of"].to_list()} >= {2024, 2026, 2027}
