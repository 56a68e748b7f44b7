"""Several scenarios decided in one pass (`evaluate_frames`) give, scenario by scenario,
what separate `evaluate_frame` calls give: every column of the lines (decision, rule IDs
in order, as_of) and every rule's flag, on the bulk world (tests/rules/bulk_world.py:
every vehicle rule fires, dates on both sides of every threshold)."""

from __future__ import annotations

from datetime import date
from functools import cache

import polars as pl

from carexport.rules.bulk import BulkScenario, evaluate_frame, evaluate_frames
from carexport.rules.catalogue import default_registry
from carexport.rules.condition import rule_expressions
from carexport.rules.condition_polars import Env, compile_frames
from carexport.rules.evaluate import VEHICLE_CONDITIONS
from carexport.rules.frame import LineFrame, line_frame
from carexport.rules.parameters import default_parameters
from tests.rules.bulk_world import generate

LINES = 20_000


@cache
def lines() -> LineFrame:
    world = generate(LINES)
    return line_frame(world.applications, world.facts)


def _what_if() -> dict[str, object]:
    return {"n180.days": 365, "ban.scrap_margin_days": 500}


def test_one_pass_equals_separate_passes_for_every_scenario() -> None:
    frame = lines()
    what_if = default_parameters().with_overrides(_what_if())
    scenarios = [
        BulkScenario(),  # each line's submission date, the law
        BulkScenario(None, what_if),
        BulkScenario(date(2026, 3, 10)),
        BulkScenario(date(2026, 3, 10), what_if),
        BulkScenario(date(2027, 2, 28), what_if),
    ]
    together = evaluate_frames(frame, scenarios)
    assert len(together) == len(scenarios)
    for scenario, result in zip(scenarios, together, strict=True):
        alone = evaluate_frame(frame, as_of=scenario.as_of, parameters=scenario.parameters)
        assert result.lines.equals(alone.lines), scenario
        assert result.flags.equals(alone.flags), scenario
        assert result.parameters is alone.parameters or scenario.parameters is None
    # The scenarios differ from each other: the comparison above is not of equal columns.
    decisions = {tuple(r.lines["decision"].to_list()) for r in together}
    assert len(decisions) == len(scenarios)


def test_one_pass_reads_the_frames_own_as_of_column() -> None:
    frame = lines()
    dated = frame.frame.with_columns(
        as_of=pl.col("submitted_on") + pl.duration(days=pl.col("line_id") % 400)
    )
    what_if = default_parameters().with_overrides(_what_if())
    own = LineFrame(dated, frame.applications, frame.index, frame.origin)
    before, after = evaluate_frames(own, [BulkScenario(), BulkScenario(None, what_if)])
    assert before.lines.equals(evaluate_frame(own).lines)
    assert after.lines.equals(evaluate_frame(own, parameters=what_if).lines)
    assert before.lines["as_of"].equals(dated["as_of"])


def test_scenarios_on_one_as_of_share_the_dated_lists_reductions() -> None:
    conditions = rule_expressions(VEHICLE_CONDITIONS)
    registry = default_registry()
    law = Env(registry, default_parameters())
    what_if = Env(registry, default_parameters().with_overrides({"n180.days": 365}))
    other_day = Env(registry, default_parameters(), as_of="_as_of1")
    one, _ = compile_frames(conditions, [law])
    same_day, _ = compile_frames(conditions, [law, what_if])
    two_days, _ = compile_frames(conditions, [law, other_day])
    assert one  # the conditions read dated lists at all
    assert len(same_day) == len(one)
    assert len(two_days) == 2 * len(one)
