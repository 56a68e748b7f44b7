"""Part 5 — enterprise credit (商贸函〔2025〕648号 一（三）、附件1), from 2026-01-01.

Events of the seven-item negative list within `credit.window_days` weigh on licensing:
repeated events, or any item 2 or 3 event, require accepted rectification; the same
holds for a new company set up by the same people (另设企业).
"""

from __future__ import annotations

from datetime import timedelta

from carexport.domain.facts import CreditEvent, Rectification
from carexport.domain.text import is_blank, normalize_identifier
from carexport.rules.context import Context
from carexport.rules.registry import LAW_2026, Finding, RuleFactory, Scope, Section, Severity

SERIOUS_ITEMS = frozenset({2, 3})  # no after-sales service; false condition / refusing supervision


_rule = RuleFactory(
    Section.CREDIT,
    Scope.APPLICATION,
    LAW_2026,
    inputs=("credit_events", "enterprises"),
    parameters=("credit.window_days", "credit.repeat"),
)

RULES = (
    _rule(
        "CREDIT.RECTIFICATION_REQUIRED",
        "企业近{window_days}天内有{count}项负面清单行为，整改尚未全部通过验收，需审核",
        "The enterprise has {count} negative-list event(s) in the last {window_days} days and "
        "not all are rectified: a reviewer must decide",
        severity=Severity.REVIEW,
    ),
    _rule(
        "CREDIT.RELATED_PARTY",
        "企业与{count}家须整改企业存在相同法定代表人或关联人员（另设企业），需审核",
        "The enterprise shares its legal representative or a related person with {count} "
        "enterprise(s) under rectification: a reviewer must decide",
        severity=Severity.REVIEW,
    ),
    _rule(
        "CREDIT.RECTIFIED",
        "企业近{window_days}天内的负面清单行为均已整改通过",
        "All of the enterprise's negative-list events in the last {window_days} days are rectified",
        severity=Severity.INFO,
    ),
    _rule(
        "CREDIT.INTERVIEW_DUE",
        "企业有{count}项负面清单行为尚未整改，应予约谈",
        "{count} negative-list event(s) of the enterprise have no rectification: an interview "
        "is due",
        severity=Severity.WARN,
    ),
)


def _window(ctx: Context, enterprise_key: str) -> list[CreditEvent]:
    window: int = ctx.param("credit.window_days")
    start = ctx.as_of - timedelta(days=window)
    return [
        e for e in ctx.index.credit_events.get(enterprise_key, []) if start <= e.date <= ctx.as_of
    ]


def _condition_holds(ctx: Context, events: list[CreditEvent]) -> bool:
    repeat: int = ctx.param("credit.repeat")
    return len(events) >= repeat or any(e.item in SERIOUS_ITEMS for e in events)


def _rectification(event: CreditEvent) -> Rectification:
    return event.rectification or Rectification.NONE


def requires_rectification(ctx: Context, enterprise_key: str) -> bool:
    events = _window(ctx, enterprise_key)
    return _condition_holds(ctx, events) and any(
        _rectification(e) != Rectification.ACCEPTED for e in events
    )


def _event_facts(events: list[CreditEvent]) -> list[dict[str, object]]:
    return [
        {"item": e.item, "date": e.date.isoformat(), "rectification": _rectification(e).value}
        for e in events
    ]


def _persons(ctx: Context, enterprise_key: str) -> set[str]:
    enterprise = ctx.index.enterprises.get(enterprise_key)
    if enterprise is None:
        return set()
    ids = [enterprise.legal_representative_id, *(enterprise.related_person_ids or [])]
    return {normalize_identifier(i) or "" for i in ids if not is_blank(i)}


def credit_findings(ctx: Context) -> list[Finding | None]:
    if not ctx.in_force("CREDIT.RECTIFICATION_REQUIRED"):
        return []
    out: list[Finding | None] = []
    key = ctx.enterprise_key
    window: int = ctx.param("credit.window_days")
    repeat: int = ctx.param("credit.repeat")
    params = {"credit.window_days": window, "credit.repeat": repeat}
    events = _window(ctx, key)
    if _condition_holds(ctx, events):
        rule_id = (
            "CREDIT.RECTIFICATION_REQUIRED"
            if requires_rectification(ctx, key)
            else "CREDIT.RECTIFIED"
        )
        out.append(
            ctx.finding(
                rule_id,
                {
                    "enterprise_uscc": ctx.application.enterprise_uscc,
                    "events": _event_facts(events),
                },
                parameters=params,
                message_args={"window_days": window, "count": len(events)},
            )
        )
    persons = _persons(ctx, key)
    related = []
    if persons:
        for other_key, other in ctx.index.enterprises.items():
            if other_key == key:
                continue
            shared = persons & _persons(ctx, other_key)
            if shared and requires_rectification(ctx, other_key):
                related.append(
                    {"uscc": other.uscc, "name": other.name, "shared_person_ids": sorted(shared)}
                )
    if related:
        out.append(
            ctx.finding(
                "CREDIT.RELATED_PARTY",
                {
                    "enterprise_uscc": ctx.application.enterprise_uscc,
                    "related_enterprises": related,
                },
                parameters=params,
                message_args={"count": len(related)},
            )
        )
    unrectified = [e for e in events if _rectification(e) == Rectification.NONE]
    if unrectified:
        out.append(
            ctx.finding(
                "CREDIT.INTERVIEW_DUE",
                {
                    "enterprise_uscc": ctx.application.enterprise_uscc,
                    "events": _event_facts(unrectified),
                },
                parameters=params,
                message_args={"count": len(unrectified)},
            )
        )
    return out
