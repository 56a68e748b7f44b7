"""The decision of every line under a scenario (parameters, as-of date): the one place
the what-if and the stock check call the rules.

The lines are joined with their facts into the bulk evaluator's frame
(`rules.frame.line_frame`, the single check's own join) and decided column-wise by
`rules.bulk.evaluate_frames` (every scenario in one pass) — the same registry,
parameters and rule definitions as `carexport check`, whose agreement line for line the
evaluator's differential test holds (docs/decisions/0030-whatif.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import polars as pl
from sqlalchemy import Engine

from carexport.db import UnitOfWork
from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.feeds import service as feeds
from carexport.rules.bulk import BulkResult, BulkScenario, evaluate_frames
from carexport.rules.frame import LineFrame, line_frame
from carexport.rules.parameters import ParameterTable
from carexport.whatif.phases import phase


@dataclass(frozen=True)
class Scenario:
    parameters: ParameterTable
    as_of: date | None  # None: each line's own submission date


def store_facts(engine: Engine, applications: Sequence[Application]) -> Facts:
    """The facts the vehicle rules need for every line of `applications`, in one pass of
    the store's own gatherer (feeds.service.facts_for_application) over all their
    vehicles at once: a few chunked queries per table instead of a round per
    application. The applicant-side collections it also returns (filings, enterprise,
    credit) belong to the application rules, which the line decision does not use."""
    if not applications:
        return Facts()
    first = applications[0]
    # Not validated again: every part is an already validated Application's.
    union = Application.model_construct(
        application_id=first.application_id,
        submitted_on=first.submitted_on,
        enterprise_uscc=first.enterprise_uscc,
        issuing_agency=first.issuing_agency,
        destination_country=first.destination_country,
        vehicles=[v for a in applications for v in a.vehicles],
    )
    with UnitOfWork(engine) as uow:
        return feeds.facts_for_application(uow=uow, application=union)


def evaluate_lines(
    lines: LineFrame, scenarios: Sequence[Scenario]
) -> tuple[pl.DataFrame, list[BulkResult]]:
    """`lines.frame` with `decision_i` and `rules_i` for each scenario i (same row
    order), and the evaluator's results (for explaining a line)."""
    # One pass for all scenarios: they share the frame's scan and, on one as_of, the
    # dated lists' reductions (ADR 0030).
    with phase("evaluate"):
        results = evaluate_frames(lines, [BulkScenario(s.as_of, s.parameters) for s in scenarios])
    frame = lines.frame.with_columns(
        [
            column
            for i, result in enumerate(results)
            for column in (
                result.lines["decision"].cast(pl.String).alias(f"decision_{i}"),
                result.lines["rules"].alias(f"rules_{i}"),
            )
        ]
    )
    return frame, results


def without_own_license(lines: LineFrame, own: Sequence[str | None]) -> LineFrame:
    """Re-deciding a filed application from today's store, its own license (issued when
    it was approved, open until used) is not an open license "elsewhere" for its VINs:
    at its submission it did not exist. `own[i]` is application i's license number."""
    if lines.index is None or not any(own):
        return lines
    by_vin = lines.index.open_licenses_by_vin
    frame = lines.frame
    counts = frame["open_license_count"].to_list()
    for line_id, ((app_no, _), vin_key) in enumerate(
        zip(lines.origin, frame["vin_key"].to_list(), strict=True)
    ):
        license_no = own[app_no]
        if license_no is not None and license_no in by_vin.get(vin_key, ()):
            counts[line_id] -= 1
    adjusted = frame.with_columns(
        pl.Series("open_license_count", counts, dtype=frame["open_license_count"].dtype)
    )
    return replace(lines, frame=adjusted)


def decide(
    applications: Sequence[Application],
    facts: Facts,
    scenarios: Sequence[Scenario],
    own_licenses: Sequence[str | None] = (),
) -> tuple[pl.DataFrame, list[BulkResult]]:
    lines = line_frame(applications, facts)
    if own_licenses:
        lines = without_own_license(lines, own_licenses)
    return evaluate_lines(lines, scenarios)
