"""Evaluate one application: the verdict of CHECK_FORMAT.md.

A vehicle line's findings: which rules fire is decided by the rules' conditions
(`VEHICLE_CONDITIONS`, each written once beside its rule) compiled to Python for the
check's day (rules/condition_python.py) over the line's values (rules/line.py); what
each finding carries comes from its rule's facts builder (`VEHICLE_FACTS`). The bulk
evaluator compiles the same conditions to Polars (rules/bulk.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from weakref import WeakSet

from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.rules import banned, batch, destination, filling, modified, near_new
from carexport.rules.batch import application_findings
from carexport.rules.catalogue import default_registry
from carexport.rules.condition import Expr, FactsBuilder, MissingCondition
from carexport.rules.condition_python import Fired, RowConditions
from carexport.rules.context import Context, FactIndex, VehicleRow
from carexport.rules.credit import credit_findings
from carexport.rules.line import LineJoin
from carexport.rules.parameters import ParameterTable, default_parameters
from carexport.rules.registry import (
    LAW_2024,
    Finding,
    Lang,
    Registry,
    Rule,
    Scope,
    Section,
    Severity,
)
from carexport.rules.verdict import (
    Decision,
    Summary,
    ToPass,
    VehicleVerdict,
    Verdict,
    VerdictFinding,
)

# Every vehicle rule's condition (rules/condition.py), in reporting order: the single
# check compiles them to Python (condition_python), the bulk evaluator to Polars
# (condition_polars).
VEHICLE_CONDITIONS: dict[str, Expr] = {
    **near_new.CONDITIONS,
    **filling.CONDITIONS,
    **banned.CONDITIONS,
    **modified.CONDITIONS,
    **batch.CONDITIONS,
    **destination.CONDITIONS,
}


VEHICLE_FACTS: dict[str, FactsBuilder] = {
    **near_new.FACTS,
    **filling.FACTS,
    **banned.FACTS,
    **modified.FACTS,
    **batch.FACTS,
    **destination.FACTS,
}

_ROW_CONDITIONS = RowConditions(VEHICLE_CONDITIONS)


def vehicle_rule_ids() -> tuple[str, ...]:
    """Every vehicle rule ID, in reporting order."""
    return tuple(VEHICLE_CONDITIONS)


# Registries found complete (a registry never changes once built).
_COMPLETE: WeakSet[Registry] = WeakSet()


def refuse_unconditioned(registry: Registry) -> None:
    """A vehicle rule without a condition would pass every line: refuse the registry."""
    if registry in _COMPLETE:
        return
    missing = sorted(
        {r.id for r in registry.all() if r.scope == Scope.VEHICLE} - VEHICLE_CONDITIONS.keys()
    )
    if missing:
        raise MissingCondition(f"no condition for {', '.join(missing)}")
    _COMPLETE.add(registry)


class VehicleRules:
    """The vehicle rules on one check's day: which fire on a row, and their findings."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.join = LineJoin(ctx.index)
        self.fired: Fired = _ROW_CONDITIONS.fired(ctx.registry, ctx.parameters, ctx.as_of)

    def findings(self, row: VehicleRow) -> list[Finding]:
        values = self.join.values(self.ctx.application, row)
        found = (VEHICLE_FACTS[rule_id](row, self.ctx) for rule_id in self.fired(values))
        return [f for f in found if f is not None]


# On a day no rule is in force the checker has nothing to judge by, and an empty "pass"
# would read as a clean bill. `warn` says so without changing the decision the contract
# derives from the rules in force (docs/decisions/0013-no-rules-in-force.md). It is not
# in the registry: it is about the check, not the law, and must not move rules_version.
NO_RULES_IN_FORCE = Rule(
    id="SYSTEM.NO_RULES_IN_FORCE",
    section=Section.SYSTEM,
    scope=Scope.APPLICATION,
    severity=Severity.WARN,
    effective_from=date.min,
    effective_to=LAW_2024 - timedelta(days=1),
    zh="{as_of}无任何出口规则生效，本裁定未作任何审查，不是合规结论",
    en="No export rule was in force on {as_of}: nothing was checked and this verdict is "
    "not a clearance",
)


def decision_of(findings: Iterable[Finding]) -> Decision:
    severities = {f.severity for f in findings}
    if Severity.FAIL in severities:
        return Decision.FAIL
    if Severity.REVIEW in severities:
        return Decision.REVIEW
    return Decision.PASS


def vehicle_findings(row: VehicleRow, ctx: Context) -> list[Finding]:
    """One row's findings (a line the bulk evaluator is asked to explain)."""
    return VehicleRules(ctx).findings(row)


def top_level_findings(ctx: Context) -> list[Finding]:
    return [f for f in (*application_findings(ctx), *credit_findings(ctx)) if f is not None]


def no_rules_in_force(registry: Registry, as_of: date) -> Finding | None:
    """The SYSTEM.NO_RULES_IN_FORCE finding when no rule of `registry` applies on `as_of`."""
    if registry.latest_change(as_of) is not None:
        return None
    upcoming = [r.effective_from for r in registry.all() if r.effective_from > as_of]
    return Finding(
        rule=NO_RULES_IN_FORCE,
        facts={
            "as_of": as_of.isoformat(),
            "next_rule_in_force": min(upcoming).isoformat() if upcoming else None,
        },
    )


def evaluate(
    application: Application,
    facts: Facts,
    as_of: date | None = None,
    lang: Lang = Lang.ZH,
    *,
    parameters: ParameterTable | None = None,
    registry: Registry | None = None,
    index: FactIndex | None = None,
) -> Verdict:
    """The verdict for `application` on `as_of` (default: its submission date).

    `index`: the facts already indexed, when many applications are checked against the
    same facts (it must index `facts`)."""
    day = as_of or application.submitted_on
    params = parameters or default_parameters()
    rules = registry or default_registry()
    refuse_unconditioned(rules)
    ctx = Context(
        application=application,
        as_of=day,
        parameters=params,
        registry=rules,
        index=index if index is not None else FactIndex(facts),
    )
    vehicles: list[VehicleVerdict] = []
    all_findings: list[Finding] = []
    failing_vins: list[str] = []
    vehicle_rules = VehicleRules(ctx)
    for row in ctx.vehicle_rows():
        found = vehicle_rules.findings(row)
        all_findings += found
        decision = decision_of(found)
        if decision == Decision.FAIL:
            failing_vins.append(row.line.vin)
        vehicles.append(
            VehicleVerdict(
                vin=row.line.vin,
                decision=decision,
                findings=[VerdictFinding.of(f, lang) for f in found],
            )
        )
    top = top_level_findings(ctx)
    if (nothing_applies := no_rules_in_force(rules, day)) is not None:
        top.append(nothing_applies)
    all_findings += top
    top_fails = any(f.severity == Severity.FAIL for f in top)
    versions = [d for d in (rules.latest_change(day), params.latest_change(day)) if d]
    decisions = [v.decision for v in vehicles]
    return Verdict(
        application_id=application.application_id,
        as_of=day,
        rules_version=max(versions) if versions else None,
        decision=decision_of(all_findings),
        summary=Summary(
            vehicles=len(vehicles),
            pass_=decisions.count(Decision.PASS),
            review=decisions.count(Decision.REVIEW),
            fail=decisions.count(Decision.FAIL),
        ),
        vehicles=vehicles,
        findings=[VerdictFinding.of(f, lang) for f in top],
        # Removing vehicles cannot cure an application-level failure.
        to_pass=ToPass(remove_vins=None if top_fails else failing_vins),
    )
