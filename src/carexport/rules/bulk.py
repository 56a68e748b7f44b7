"""The bulk evaluator: every vehicle rule over a frame of vehicle lines at once.

`evaluate_frame` decides each line of a `LineFrame` (rules/frame.py) column-wise with the
rules' conditions (`evaluate.VEHICLE_CONDITIONS`, each written once in its part's
module) compiled to Polars (rules/condition_polars.py), under the same registry and
parameter table as `evaluate`, and gives per line the decision and the IDs of the rules
that fire, in the order the single check reports them. The findings themselves — facts,
parameters and messages — come from the rules' facts builders for the lines one asks
about (`BulkResult.findings`), so they are the single check's findings by construction.
`evaluate_frames` decides several scenarios (parameters, as_of) in one pass over the
frame, each result equal to its own `evaluate_frame` (tests/rules/test_bulk_scenarios.py).

Application-level rules (APP.* other than APP.VIN_IN_OPEN_LICENSE, CREDIT.*) are not
here: they judge the application, not a line, and a line's decision is that of its own
vehicle findings, as in the verdict's `vehicles[].decision`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, Final

import polars as pl

from carexport.rules.catalogue import default_registry
from carexport.rules.condition import MissingCondition, rule_expressions
from carexport.rules.condition_polars import AS_OF, Env, compile_frames
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
    day = pl.col(env.as_of)
    return pl.any_horizontal(
        [
            (day >= pl.lit(r.effective_from))
            & (pl.lit(True) if r.effective_to is None else day <= pl.lit(r.effective_to))
            for r in versions
        ]
    )


@dataclass(frozen=True)
class BulkScenario:
    """One decision of every line: `as_of` one day for all lines, or None for each
    line's own (the frame's `as_of` column, else its `submitted_on`); `parameters` None
    for the law's."""

    as_of: date | None = None
    parameters: ParameterTable | None = None


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
    (result,) = evaluate_frames(lines, [BulkScenario(as_of, parameters)], registry=registry)
    return result


def evaluate_frames(
    lines: LineFrame | pl.DataFrame,
    scenarios: Sequence[BulkScenario],
    *,
    registry: Registry | None = None,
) -> list[BulkResult]:
    """Decide every line under each scenario, in one pass over the frame: result i is
    `evaluate_frame(lines, as_of=scenarios[i].as_of, parameters=scenarios[i].parameters)`.
    Scenarios on the same as_of share the dated lists' reductions whose expressions are
    equal (most of them: few depend on a parameter), and Polars computes the rest side
    by side in one query instead of reading the frame once per scenario."""
    source = lines if isinstance(lines, LineFrame) else LineFrame(frame=lines)
    rules = registry or default_registry()
    refuse_unconditioned(rules)
    frame = source.frame.lazy()
    # One as_of column per distinct day asked (None: each line's own).
    days: dict[date | None, str] = {}
    for scenario in scenarios:
        if scenario.as_of not in days:
            days[scenario.as_of] = f"_as_of{len(days)}"
    own = pl.col(AS_OF) if AS_OF in source.frame.columns else pl.col("submitted_on")
    frame = frame.with_columns(
        [(own if day is None else pl.lit(day)).alias(name) for day, name in days.items()]
    )
    params = [s.parameters or default_parameters() for s in scenarios]
    envs = [Env(rules, p, days[s.as_of]) for s, p in zip(scenarios, params, strict=True)]
    hidden, compiled = compile_frames(rule_expressions(VEHICLE_CONDITIONS), envs)
    frame = frame.with_columns(hidden).with_columns(
        [
            expr.alias(f"_s{n}:{rule_id}")
            for n, found in enumerate(compiled)
            for rule_id, expr in found.items()
        ]
    )
    decided_columns: list[pl.Expr] = []
    for n, (env, found) in enumerate(zip(envs, compiled, strict=True)):
        flag = [(i, pl.col(f"_s{n}:{i}")) for i in found]

        def any_of(severity: Severity, env: Env = env, flag: Any = flag) -> pl.Expr:
            return pl.any_horizontal([f & _severity_is(rules, i, severity, env) for i, f in flag])

        # The fired rules as one bit each: a few thousand distinct sets among millions
        # of lines, so each set's list of IDs is built once and joined (concat_list
        # over the lines is ten times slower).
        decided_columns += [
            pl.when(any_of(Severity.FAIL))
            .then(pl.lit("fail"))
            .when(any_of(Severity.REVIEW))
            .then(pl.lit("review"))
            .otherwise(pl.lit("pass"))
            .cast(DECISION)
            .alias(f"_s{n}:decision"),
            pl.sum_horizontal(
                [f.cast(pl.UInt64) * (1 << bit) for bit, (_, f) in enumerate(flag)]
            ).alias(f"_s{n}:mask"),
        ]
    # Only what the results keep: a join gathers every column it carries, and the input
    # columns of a million lines weigh more than a gigabyte.
    keep = ["line_id", "application_id", "position", "vin", *days.values()]
    decided = (
        frame.with_columns(decided_columns)
        .select(
            *keep,
            *(
                f"_s{n}:{name}"
                for n, found in enumerate(compiled)
                for name in ("decision", "mask", *found)
            ),
        )
        .collect()
    )
    results = []
    for n, (env, found) in enumerate(zip(envs, compiled, strict=True)):
        ids = list(found)
        mask = decided[f"_s{n}:mask"].alias("_mask")
        masks = mask.unique().to_list()
        lists = pl.DataFrame(
            {
                "_mask": masks,
                "rules": [[i for bit, i in enumerate(ids) if m >> bit & 1] for m in masks],
            },
            schema={"_mask": pl.UInt64, "rules": pl.List(pl.String)},
        )
        rules_of = (
            mask.to_frame()
            .join(lists, on="_mask", how="left", maintain_order="left")
            .get_column("rules")
        )
        results.append(
            BulkResult(
                lines=decided.select(
                    "line_id",
                    "application_id",
                    "position",
                    "vin",
                    pl.col(env.as_of).alias(AS_OF),
                    pl.col(f"_s{n}:decision").alias("decision"),
                ).with_columns(rules_of),
                flags=decided.select("line_id", *(pl.col(f"_s{n}:{i}").alias(i) for i in ids)),
                source=source,
                parameters=params[n],
                registry=rules,
            )
        )
    return results


def rule_counts(result: BulkResult) -> Mapping[str, int]:
    """How many lines each vehicle rule fires on."""
    sums = result.flags.drop("line_id").sum().row(0, named=True)
    return {rule_id: int(n) for rule_id, n in sums.items()}
