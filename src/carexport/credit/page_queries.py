"""Read-only questions the credit pages ask of other features: the enterprise as the
registry holds it (name, masked persons), the enterprises sharing a person with it and
their state on a day, and its applications with their status on a day; and one of the
credit record itself that the service does not answer yet (the enterprises with
something open, for /credit: requested in the notes, read here meanwhile).

Nothing here writes: the credit record itself is read through credit.service; the
registry through feeds.service (the same facts the checker's CREDIT.RELATED_PARTY reads);
the applications through applications.service, with the caller's own visibility.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from carexport import clock
from carexport.accounts import service as accounts
from carexport.accounts.actor import Actor
from carexport.accounts.enums import AGENCY_ROLES, OrgKind, Role
from carexport.applications import service as applications
from carexport.credit import service as credit
from carexport.credit.enums import OPEN_INTERVIEWS, OPEN_RECTIFICATIONS, SuspensionStatus
from carexport.credit.grade import RelatedState
from carexport.credit.models import CreditInterview, CreditRectification, CreditSuspension
from carexport.db import UnitOfWork
from carexport.domain import facts as f
from carexport.domain.application import Application as DomainApplication
from carexport.domain.text import is_blank, normalize_identifier
from carexport.errors import NotFound
from carexport.feeds import service as feeds
from carexport.rules.credit import SERIOUS_ITEMS
from carexport.rules.parameters import default_parameters

ROLE_LABELS: dict[str, tuple[str, str]] = {
    "legal_representative": ("法定代表人", "legal representative"),
    "related_person": ("关联人员", "related person"),
}
MAX_APPLICATIONS = 30  # the latest; the exporter's and the agency's lists hold the rest


@dataclass(frozen=True)
class Person:
    token: str  # the keyed hash (or a clear ID from a FACTS file): compared, never shown
    masked: str
    role: str  # legal_representative | related_person


@dataclass(frozen=True)
class Link:
    person: str  # masked
    role_here: tuple[str, str]
    role_there: tuple[str, str]


@dataclass(frozen=True)
class Related:
    uscc: str
    name: str | None
    state: RelatedState | None
    links: tuple[Link, ...]


@dataclass(frozen=True)
class Enterprise:
    uscc: str
    name: str | None
    is_org: bool  # has an exporter organisation here (logins, applications)
    persons: tuple[Person, ...]
    related: tuple[Related, ...]


@dataclass(frozen=True)
class ApplicationRow:
    id: int
    application_no: str
    submitted_on: date | None
    status: str  # as of the day asked
    decision: str | None


def _persons(e: f.Enterprise) -> list[Person]:
    out: list[Person] = []
    if not is_blank(e.legal_representative_id):
        token = normalize_identifier(e.legal_representative_id) or ""
        out.append(Person(token, e.legal_representative_masked or "*" * 18, "legal_representative"))
    masks = list(e.related_persons_masked or [])
    for i, person in enumerate(e.related_person_ids or []):
        if is_blank(person):
            continue
        token = normalize_identifier(person) or ""
        if any(p.token == token for p in out):
            continue
        out.append(Person(token, masks[i] if i < len(masks) else "*" * 18, "related_person"))
    return out


def _state_from_facts(facts: f.Facts, key: str, as_of: date) -> RelatedState | None:
    """The other enterprise's state on `as_of` from the facts the checker reads (its
    events and suspension decisions): the same answer as CREDIT.RELATED_PARTY's."""
    for s in facts.suspensions:
        if normalize_identifier(s.enterprise_uscc) != key:
            continue
        if s.suspended_on <= as_of and (s.reinstated_on is None or as_of < s.reinstated_on):
            return RelatedState.SUSPENDED
    params = default_parameters()
    start = as_of - timedelta(days=int(params.value("credit.window_days", as_of)))
    repeat = int(params.value("credit.repeat", as_of))
    events = [
        e
        for e in facts.credit_events
        if normalize_identifier(e.enterprise_uscc) == key and start <= e.date <= as_of
    ]
    condition = len(events) >= repeat or any(e.item in SERIOUS_ITEMS for e in events)
    if condition and any((e.rectification or "none") != "accepted" for e in events):
        return RelatedState.RECTIFYING
    return None


def _state_from_record(
    uow: UnitOfWork, actor: Actor, uscc: str, as_of: date
) -> RelatedState | None:
    """The state from the credit record as it stood on `as_of` (agency staff and the
    monitor, who may read any record): exact for a past day, where the facts hold
    today's rectification marks."""
    record = credit.credit_record(uow=uow, actor=actor, enterprise_uscc=uscc, as_of=as_of)
    if record.suspended is not None:
        return RelatedState.SUSPENDED
    params = default_parameters()
    start = as_of - timedelta(days=int(params.value("credit.window_days", as_of)))
    repeat = int(params.value("credit.repeat", as_of))
    events = [e for e in record.events if e.status != "annulled" and start <= e.date <= as_of]
    condition = len(events) >= repeat or any(e.item in SERIOUS_ITEMS for e in events)
    if condition and any(e.rectification != "accepted" for e in events):
        return RelatedState.RECTIFYING
    return None


def enterprise(*, uow: UnitOfWork, actor: Actor, uscc: str, as_of: date) -> Enterprise:
    """The enterprise as the registry and the accounts hold it, with every enterprise
    sharing its legal representative or a related person and that one's state on
    `as_of`. NotFound when neither knows the USCC."""
    key = normalize_identifier(uscc) or ""
    org = _exporter_org(uow, key)
    probe = DomainApplication.model_construct(
        application_id="-",
        submitted_on=as_of,
        enterprise_uscc=key,
        destination_country="",
        vehicles=[],
    )
    facts = feeds.facts_for_application(uow=uow, application=probe)
    by_key = {normalize_identifier(e.uscc) or "": e for e in facts.enterprises}
    own = by_key.get(key)
    if own is None and org is None:
        raise NotFound(f"没有该企业 / no enterprise {uscc}")
    persons = _persons(own) if own is not None else []
    mine = {p.token: p for p in persons}
    exact = actor.role in AGENCY_ROLES or actor.role == Role.MONITOR
    related: list[Related] = []
    for other_key, other in sorted(by_key.items()):
        if other_key == key:
            continue
        theirs = {p.token: p for p in _persons(other)}
        shared = sorted(set(mine) & set(theirs))
        if not shared:
            continue
        state = (
            _state_from_record(uow, actor, other.uscc, as_of)
            if exact
            else _state_from_facts(facts, other_key, as_of)
        )
        related.append(
            Related(
                uscc=other.uscc,
                name=other.name,
                state=state,
                links=tuple(
                    Link(
                        person=mine[t].masked if "*" not in mine[t].masked else theirs[t].masked,
                        role_here=ROLE_LABELS[mine[t].role],
                        role_there=ROLE_LABELS[theirs[t].role],
                    )
                    for t in shared
                ),
            )
        )
    # The ones that weigh first: suspended, then under rectification.
    order = {RelatedState.SUSPENDED: 0, RelatedState.RECTIFYING: 1, None: 2}
    related.sort(key=lambda r: (order[r.state], r.uscc))
    return Enterprise(
        uscc=(own.uscc if own is not None else org.uscc if org is not None else uscc) or uscc,
        name=(org.name if org is not None else None) or (own.name if own is not None else None),
        is_org=org is not None,
        persons=tuple(persons),
        related=tuple(related),
    )


def _exporter_org(uow: UnitOfWork, key: str) -> Any:
    """The exporter organisation of this USCC (accounts' row), or None."""
    return accounts.find_org_by_uscc(uow=uow, kind=OrgKind.EXPORTER, uscc=key)


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=clock.OFFICE_ZONE)


def applications_of(
    *, uow: UnitOfWork, actor: Actor, uscc: str, as_of: date, limit: int = MAX_APPLICATIONS
) -> tuple[list[ApplicationRow], bool]:
    """The enterprise's applications submitted on or before `as_of` that `actor` may see
    (the exporter its own, an agency those it received, the monitor all), latest first,
    each with its status at the end of that day; and whether there were more."""
    key = normalize_identifier(uscc) or ""
    rows = [
        r
        for r in applications.application_summaries(uow=uow, actor=actor)
        if normalize_identifier(r[7]) == key and r[8] is not None and r[8] <= as_of
    ]
    rows.sort(key=lambda r: (r[8], r[0]), reverse=True)
    more = len(rows) > limit
    today = clock.today()
    out: list[ApplicationRow] = []
    for r in rows[:limit]:
        status = r[2]
        if as_of < today:
            app = applications.get(uow=uow, actor=actor, application_id=r[0])
            end = _end_of(as_of)
            changes = [
                c for c in applications.status_changes(uow=uow, application=app) if c.at < end
            ]
            status = changes[-1].to_status if changes else status
        out.append(
            ApplicationRow(
                id=r[0], application_no=r[1], submitted_on=r[8], status=status, decision=r[5]
            )
        )
    return out, more


@dataclass(frozen=True)
class Supervised:
    """An enterprise with something open on its record, for the /credit list."""

    uscc: str
    suspended_since: date | None
    open_interviews: int
    open_rectifications: int
    overdue: int


def supervised(*, uow: UnitOfWork, actor: Actor, limit: int = 200) -> list[Supervised]:
    """Enterprises suspended, or with an interview or a rectification still open, today
    (agency staff and the monitor: credit records are national; an agency's own orders
    are on its queue). Suspended first, then by the number of overdue orders."""
    if actor.role not in AGENCY_ROLES and actor.role != Role.MONITOR:
        raise NotFound("没有该页面 / no such page")
    today = clock.today()
    found: dict[str, dict[str, Any]] = {}

    def entry(uscc: str) -> dict[str, Any]:
        return found.setdefault(
            normalize_identifier(uscc) or uscc,
            {"uscc": uscc, "since": None, "interviews": 0, "rects": 0, "overdue": 0},
        )

    session = uow.session
    for uscc, since in session.execute(
        select(CreditSuspension.enterprise_uscc, CreditSuspension.suspended_on).where(
            CreditSuspension.status == SuspensionStatus.IN_FORCE.value
        )
    ):
        entry(uscc)["since"] = since
    for uscc, count in session.execute(
        select(CreditInterview.enterprise_uscc, func.count())
        .where(CreditInterview.status.in_([s.value for s in OPEN_INTERVIEWS]))
        .group_by(CreditInterview.enterprise_uscc)
    ):
        entry(uscc)["interviews"] += int(count)
    for uscc, status, deadline in session.execute(
        select(
            CreditRectification.enterprise_uscc,
            CreditRectification.status,
            CreditRectification.deadline,
        ).where(CreditRectification.status.in_([s.value for s in OPEN_RECTIFICATIONS]))
    ):
        row = entry(uscc)
        row["rects"] += 1
        if credit.is_overdue(status, deadline, today):
            row["overdue"] += 1
    rows = [
        Supervised(
            uscc=r["uscc"],
            suspended_since=r["since"],
            open_interviews=r["interviews"],
            open_rectifications=r["rects"],
            overdue=r["overdue"],
        )
        for r in found.values()
    ]
    rows.sort(key=lambda r: (r.suspended_since is None, -r.overdue, r.uscc))
    return rows[:limit]
