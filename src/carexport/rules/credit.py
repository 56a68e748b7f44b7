"""Part 5 — enterprise credit (商贸函〔2025〕648号 一（三）、附件1), from 2026-01-01.

Events of the seven-item negative list within `credit.window_days` weigh on licensing:
repeated events, or any item 2 or 3 event, require accepted rectification; the same
holds for a new company set up by the same people (另设企业).
"""

from __future__ import annotations

from datetime import timedelta

from carexport.domain.facts import CreditEvent, Enterprise, Rectification, Suspension
from carexport.domain.person_id import is_token, mask
from carexport.domain.text import normalize_identifier
from carexport.rules.context import Context, person_key
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
    # 退出: an agency's decision suspends the enterprise from filing until reinstated.
    # Read from FACTS `suspensions` (optional: absent, it never fires); ADR 0024.
    _rule(
        "CREDIT.SUSPENDED",
        "企业已被发证机构暂停申领（决定{decision_id}，自{suspended_on}起），不予受理",
        "The enterprise is suspended from filing by decision {decision_id} from "
        "{suspended_on}: the application cannot be accepted",
        inputs=("suspensions",),
        parameters=(),
        severity=Severity.FAIL,
    ),
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


def _persons(ctx: Context, enterprise_key: str) -> frozenset[str]:
    return ctx.index.enterprise_persons.get(enterprise_key, frozenset())


def suspension_in_force(ctx: Context, enterprise_key: str) -> Suspension | None:
    """The enterprise's suspension decision in force on `as_of`: from its day on, until
    (not including) the day of its reinstatement. The first such decision counts."""
    for decision in ctx.index.facts.suspensions:
        if normalize_identifier(decision.enterprise_uscc) != enterprise_key:
            continue
        if decision.suspended_on <= ctx.as_of and (
            decision.reinstated_on is None or ctx.as_of < decision.reinstated_on
        ):
            return decision
    return None


def _decision_facts(decision: Suspension) -> dict[str, object]:
    return {
        "decision_id": decision.decision_id,
        "suspended_on": decision.suspended_on.isoformat(),
        "agency": decision.agency,
        "reason": decision.reason,
    }


def _labelled(enterprise: Enterprise) -> bool:
    return (
        enterprise.legal_representative_masked is not None
        or enterprise.related_persons_masked is not None
    )


def _roles(enterprise: Enterprise) -> dict[str, tuple[str, str | None]]:
    """Each person of the enterprise (normalised ID) → (role, masked label if given)."""
    out: dict[str, tuple[str, str | None]] = {}
    masks = list(enterprise.related_persons_masked or [])
    for i, person in enumerate(enterprise.related_person_ids or []):
        if (key := person_key(person)) is not None:
            label = masks[i] if i < len(masks) else None
            out.setdefault(key, ("related_person", label))
    if (key := person_key(enterprise.legal_representative_id)) is not None:
        out[key] = ("legal_representative", enterprise.legal_representative_masked)
    return out


def _shared_persons(
    applicant: Enterprise, other: Enterprise, shared: frozenset[str]
) -> list[dict[str, object]]:
    """The links of the chain: who is shared, masked, and what each is on either side.
    A store gives the masked form (it keeps no clear ID); a file's clear ID is masked
    here; a token without its label shows as stars."""
    mine, theirs = _roles(applicant), _roles(other)
    links: list[dict[str, object]] = []
    for person in sorted(shared):
        role, label = mine.get(person, ("related_person", None))
        other_role, other_label = theirs.get(person, ("related_person", None))
        shown = label or other_label or ("*" * 18 if is_token(person) else mask(person))
        links.append({"person": shown, "applicant_role": role, "related_role": other_role})
    return links


def credit_findings(ctx: Context) -> list[Finding | None]:
    if not ctx.in_force("CREDIT.RECTIFICATION_REQUIRED"):
        return []
    out: list[Finding | None] = []
    key = ctx.enterprise_key
    decision = suspension_in_force(ctx, key)
    if decision is not None:
        out.append(
            ctx.finding(
                "CREDIT.SUSPENDED",
                {"enterprise_uscc": ctx.application.enterprise_uscc, **_decision_facts(decision)},
            )
        )
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
    applicant = ctx.index.enterprises.get(key)
    if persons and applicant is not None:
        # Only the enterprises naming one of the applicant's persons can share one;
        # they are taken in the facts' order, as the verdict lists them.
        by_person = ctx.index.enterprises_by_person
        sharing = set().union(*(by_person.get(p, ()) for p in persons))
        for other_key, other in ctx.index.enterprises.items():
            if other_key == key or other_key not in sharing:
                continue
            shared = persons & _persons(ctx, other_key)  # not empty: other_key is sharing
            suspended = suspension_in_force(ctx, other_key)
            if suspended is None and not requires_rectification(ctx, other_key):
                continue
            link: dict[str, object] = {
                "uscc": other.uscc,
                "name": other.name,
                "shared_person_ids": sorted(shared),
            }
            # The chain (ADR 0024) is added only from facts that carry its parts (masked
            # labels, suspension decisions): a FACTS file without them gives the
            # verdict it always gave, byte for byte.
            if suspended is not None or _labelled(applicant) or _labelled(other):
                link["state"] = "suspended" if suspended is not None else "rectification"
                link["shared_persons"] = _shared_persons(applicant, other, shared)
                if suspended is not None:
                    link["suspension"] = _decision_facts(suspended)
            related.append(link)
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
