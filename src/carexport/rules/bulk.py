"""The bulk evaluator: every vehicle rule over a frame of vehicle lines at once.

`evaluate_frame` decides each line of a `LineFrame` (rules/frame.py) column-wise with the
rules' conditions (`evaluate.VEHICLE_CONDITIONS`, each written once in its part's
module) compiled to Polars (rules/condition_polars.py), under the same registry and
parameter table as `evaluate`, and gives per line the decision and the IDs of the rules
that fire, in the order the single check reports them. The findings themselves — facts,
parameters and messages — come from the rules' facts builders for the lines one asks
about (`BulkResult.findings`), so they are the single check's findings by construction.

Application-level rules (APP.* other than APP.VIN_IN_OPEN_LICENSE, CREDIT.*) are not
here: they judge the application, not a line, and a line's decision is that of its own
vehicle findings, as in the verdict's `vehicles[].decision`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Final

import polars as pl

from carexport.rules.catalogue import default_registry
from carexport.rules.condition import MissingCondition, rule_expressions
from carexport.rules.condition_polars import AS_OF, Env, compile_frame
from carexport.rules.context import Context
from carexport.rules.evaluate import VEHICLE_CONDITIONS, refuse_unconditioned, vehicle_findings
from carexport.rules.frame import LineFrame
from carexport.rules.parameters import ParameterTable, default_parameters
from carexport.rules.registry import Finding, Registry, Severity

DECISION: Final = pl.Enum(["pass", "review", "fail"])

# The name the bulk evaluator's callers know; the single check refuses the same rules.
UnvectorisedRule = MissingCondition


@dataclass(frozen=True)
class BulkResult:
    """`lines`: line_id, application_id, position, vin, as_of, decision, rules (IDs in
    reporting order). `flags`: line_id and one Boolean column per vehicle rule ID."""

    lines: pl.DataFrame
    flags: pl.DataFrame
    source: LineFrame
    parameters: ParameterTable
    registry: Registry

    @cached_property
    def _as_of(self) -> dict[int, date]:
        return dict(zip(self.lines["line_id"].to_list(), self.lines[AS_OF].to_list(), strict=True))

    def findings(self, line_id: int) -> list[Finding]:
        """The line's findings as the single check gives them (facts, parameters,
        messages), on the line's as_of and under this run's parameters."""
        if not self.source.origin or self.source.index is None:
            raise LookupError("the frame was not built by line_frame: no row to explain")
        app_no, position = self.source.origin[line_id]
        application = self.source.applications[app_no]
        as_of = self._as_of[line_id]
        ctx = Context(
            application=application,
            as_of=as_of,
            parameters=self.parameters,
            registry=self.registry,
            index=self.source.index,
        )
        return vehicle_findings(ctx.vehicle_row(position), ctx)


def _severity_is(registry: Registry, rule_id: str, severity: Severity, env: Env) -> pl.Expr:
    # The version in force on each line's as_of decides the severity.
    every = [r for r in registry.all() if r.id == rule_id]
    versions = [r for r in every if r.severity == severity]
    if not versions:
        return pl.lit(False)
    if len(versions) == len(every):
        # The rule's flag already holds only where a version is in force.
        return pl.lit(True)
    return pl.any_horizontal(
        [
            (pl.col(AS_OF) >= pl.lit(r.effective_from))
            & (pl.lit(True) if r.effective_to is None else pl.col(AS_OF) <= pl.lit(r.effective_to))
            for r in versions
        ]
    )


def evaluate_frame(
    lines: LineFrame | pl.DataFrame,
    *,
    as_of: date | None = None,
    parameters: ParameterTable | None = None,
    registry: Registry | None = None,
) -> BulkResult:
    """Decide every line. `as_of`: one day for all lines; without it each line is judged
    on the frame's `as_of` column when it has one, else on its `submitted_on` (as
    `carexport check` does without --as-of)."""
    source = lines if isinstance(lines, LineFrame) else LineFrame(frame=lines)
    params = parameters or default_parameters()
    rules = registry or default_registry()
    env = Env(rules, params)
    refuse_unconditioned(rules)
    hidden, found = compile_frame(rule_expressions(VEHICLE_CONDITIONS), env)
    frame = source.frame.lazy()
    if as_of is not None:
        frame = frame.with_columns(pl.lit(as_of).alias(AS_OF))
    elif AS_OF not in source.frame.columns:
        frame = frame.with_columns(pl.col("submitted_on").alias(AS_OF))
    frame = frame.with_columns(hidden).with_columns(
        [expr.alias(rule_id) for rule_id, expr in found.items()]
    )

    def any_of(severity: Severity) -> pl.Expr:
        return pl.any_horizontal([pl.col(i) & _severity_is(rules, i, severity, env) for i in found])

    ids = list(found)
    # The fired rules as one bit each: a few thousand distinct sets among millions of
    # lines, so each set's list of IDs is built once and joined (concat_list over the
    # lines is ten times slower).
    mask = pl.sum_horizontal(
        [pl.col(i).cast(pl.UInt64) * (1 << bit) for bit, i in enumerate(ids)]
    ).alias("_mask")
    lazy = frame.with_columns(
        pl.when(any_of(Severity.FAIL))
        .then(pl.lit("fail"))
        .when(any_of(Severity.REVIEW))
        .then(pl.lit("review"))
        .otherwise(pl.lit("pass"))
        .cast(DECISION)
        .alias("decision"),
        mask,
    )
    # Only what the result keeps: a join gathers every column it carries, and the input
    # columns of a million lines weigh more than a gigabyte.
    keep = ["line_id", "application_id", "position", "vin", AS_OF, "decision", "_mask"]
    decided = lazy.select(*keep, *ids).collect()
    masks = decided["_mask"].unique().to_list()
    lists = pl.DataFrame(
        {
            "_mask": masks,
            "rules": [[i for bit, i in enumerate(ids) if m >> bit & 1] for m in masks],
        },
        schema={"_mask": pl.UInt64, "rules": pl.List(pl.String)},
    )
    decided = decided.join(lists, on="_mask", how="left", maintain_order="left")
    return BulkResult(
        lines=decided.select(
            "line_id", "application_id", "position", "vin", AS_OF, "decision", "rules"
        ),
        flags=decided.select("line_id", *found),
        source=source,
        parameters=params,
        registry=rules,
    )


def rule_counts(result: BulkResult) -> Mapping[str, int]:
    """How many lines each vehicle rule fires on."""
    sums = result.flags.drop("line_id").sum().row(0, named=True)
    return {rule_id: int(n) for rule_id, n in sums.items()}
