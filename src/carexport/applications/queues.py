"""The agencies' queues and the monitor's counts: read-only queries for the review,
countersign, monitor and license-list pages.

Each answer is a fixed number of queries whatever the queue's length (a page of rows,
one aggregate for the totals; the monitor's table is one aggregate over the open
applications and one over this month's status changes), so that an agency with 10,000
open applications gets its first page as fast as one with ten. The queue is read through
the index (agency_key, status, due_on) of migration 0006.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from carexport import clock
from carexport.accounts import service as accounts
from carexport.accounts.actor import Actor
from carexport.accounts.enums import AGENCY_ROLES, OrgKind, Role
from carexport.applications.enums import UNDER_REVIEW, ApplicationStatus
from carexport.applications.models import Application, License, StatusChange, VehicleLine
from carexport.db import UnitOfWork
from carexport.domain.text import normalize_identifier, normalize_text
from carexport.errors import Forbidden, NotFound

PER_PAGE = 50
MAX_PAGE = 10_000  # beyond any real queue; keeps OFFSET bounded
QUEUES = (ApplicationStatus.SUBMITTED, ApplicationStatus.COUNTERSIGN)
_DECIDED = (ApplicationStatus.APPROVED.value, ApplicationStatus.REFUSED.value)
_UNDER_REVIEW = tuple(s.value for s in UNDER_REVIEW)

NOT_AN_AGENCY = "没有该发证机构 / no such issuing agency"
QUEUE_READERS = (
    "只有发证机构与商务部监管可以查看审核队列 / only the issuing agencies and the monitor "
    "see review queues"
)


@dataclass(frozen=True)
class QueueItem:
    id: int
    application_no: str
    status: str
    version: int
    due_on: date | None
    overdue: bool
    decision: str | None
    enterprise_uscc: str
    exporter: str | None  # the exporter organisation's name
    destination_country: str
    vehicles: int
    submitted_on: date | None


@dataclass(frozen=True)
class Queue:
    agency_id: int | None
    agency: str
    status: str
    items: list[QueueItem]
    total: int
    overdue: int
    page: int
    pages: int
    today: date


@dataclass(frozen=True)
class AgencyCounts:
    """One row of the monitor's table."""

    org_id: int
    name: str
    region: str | None
    submitted: int
    overdue: int
    countersign: int
    decided_this_month: int
    returned_this_month: int
    departures_this_month: int
    departures: int


@dataclass(frozen=True)
class LicenseRow:
    license_no: str | None
    status: str
    issued_on: date | None
    valid_to: date | None
    agency: str | None
    enterprise_uscc: str | None
    destination_country: str | None
    application_id: int | None


@dataclass(frozen=True)
class LicensePage:
    items: list[LicenseRow]
    total: int
    page: int
    pages: int


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def _page(page: int) -> int:
    return min(max(page, 1), MAX_PAGE)


def _agency_of(uow: UnitOfWork, actor: Actor, agency_id: int | None) -> tuple[int | None, str, str]:
    """(org id, name, key) of the queue `actor` asks for: an agency's staff their own,
    the monitor any agency's (by id); others 403."""
    if actor.role in AGENCY_ROLES:
        return actor.org_id, actor.org_name or "", normalize_text(actor.org_name) or ""
    if actor.role != Role.MONITOR:
        raise Forbidden(QUEUE_READERS)
    if agency_id is None:
        raise NotFound(NOT_AN_AGENCY)
    try:
        org = accounts.get_org(uow=uow, org_id=agency_id)
    except NotFound:
        raise NotFound(NOT_AN_AGENCY) from None
    if org.kind != OrgKind.AGENCY.value:
        raise NotFound(NOT_AN_AGENCY)
    return org.id, org.name, org.name_key


def _exporter_names(uow: UnitOfWork) -> dict[int, str]:
    return {o.id: o.name for o in accounts.list_orgs(uow=uow) if o.kind == OrgKind.EXPORTER.value}


def agency_queue(
    *,
    uow: UnitOfWork,
    actor: Actor,
    status: ApplicationStatus = ApplicationStatus.SUBMITTED,
    agency_id: int | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Queue:
    """An agency's applications in `status` (submitted: the review queue; countersign:
    the senior reviewers' queue), by due date, a page at a time, with the queue's total
    and how many are overdue (due_on before today)."""
    if status not in QUEUES:
        raise NotFound(f"没有该队列 / no queue {status}")
    agency_id, agency, key = _agency_of(uow, actor, agency_id)
    today = clock.today()
    page = _page(page)
    where = (
        Application.agency_key == key,
        Application.status == status.value,
        Application.first_submitted_at.is_not(None),
    )
    total, overdue = uow.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Application.due_on < today, 1), else_=0)), 0),
        ).where(*where)
    ).one()
    vehicles = (
        select(func.count(VehicleLine.id))
        .where(VehicleLine.application_id == Application.id)
        .correlate(Application)
        .scalar_subquery()
    )
    rows = uow.session.execute(
        select(
            Application.id,
            Application.application_no,
            Application.status,
            Application.version,
            Application.due_on,
            Application.decision,
            Application.enterprise_uscc,
            Application.org_id,
            Application.destination_country,
            Application.submitted_on,
            vehicles.label("vehicles"),
        )
        .where(*where)
        .order_by(Application.due_on, Application.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    names = _exporter_names(uow) if rows else {}
    items = [
        QueueItem(
            id=r.id,
            application_no=r.application_no,
            status=r.status,
            version=r.version,
            due_on=r.due_on,
            overdue=r.due_on is not None and r.due_on < today,
            decision=r.decision,
            enterprise_uscc=r.enterprise_uscc,
            exporter=None if r.org_id is None else names.get(r.org_id),
            destination_country=r.destination_country,
            vehicles=int(r.vehicles or 0),
            submitted_on=r.submitted_on,
        )
        for r in rows
    ]
    return Queue(
        agency_id=agency_id,
        agency=agency,
        status=status.value,
        items=items,
        total=int(total),
        overdue=int(overdue),
        page=page,
        pages=_pages(int(total), per_page),
        today=today,
    )


def month_start(today: date) -> datetime:
    """The first instant of `today`'s month in the office's time zone (as aware UTC-able)."""
    return datetime.combine(today.replace(day=1), time(0), tzinfo=clock.OFFICE_ZONE)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def monitor_overview(*, uow: UnitOfWork, actor: Actor) -> list[AgencyCounts]:
    """Every agency with its open applications (submitted, of which overdue; awaiting
    countersign), its decisions this month, and its departures from the verdict (a
    refused `pass`, an approved `review`): this month's and all of them."""
    if actor.role != Role.MONITOR:
        raise Forbidden("只有商务部监管可以查看 / only the monitor sees this")
    today = clock.today()
    since = month_start(today)
    status = Application.status
    open_rows = uow.session.execute(
        select(
            Application.agency_key,
            _count(status == ApplicationStatus.SUBMITTED.value),
            _count(Application.due_on < today),
            _count(status == ApplicationStatus.COUNTERSIGN.value),
        )
        .where(status.in_(_UNDER_REVIEW), Application.first_submitted_at.is_not(None))
        .group_by(Application.agency_key)
    ).all()
    recent = StatusChange.at >= since
    decided_rows = uow.session.execute(
        select(
            Application.agency_key,
            _count(and_(recent, StatusChange.to_status.in_(_DECIDED))),
            _count(and_(recent, StatusChange.to_status == ApplicationStatus.RETURNED.value)),
            _count(and_(recent, StatusChange.departure.is_(True))),
            _count(StatusChange.departure.is_(True)),
        )
        .join(Application, Application.id == StatusChange.application_id)
        .where(or_(recent, StatusChange.departure.is_(True)))
        .group_by(Application.agency_key)
    ).all()
    opened = {r[0]: r[1:] for r in open_rows}
    decided = {r[0]: r[1:] for r in decided_rows}
    table: list[AgencyCounts] = []
    for org in accounts.list_orgs(uow=uow):
        if org.kind != OrgKind.AGENCY.value:
            continue
        submitted, overdue, countersign = opened.get(org.name_key, (0, 0, 0))
        month, returned, departures_month, departures = decided.get(org.name_key, (0, 0, 0, 0))
        table.append(
            AgencyCounts(
                org_id=org.id,
                name=org.name,
                region=org.region,
                submitted=int(submitted),
                overdue=int(overdue),
                countersign=int(countersign),
                decided_this_month=int(month),
                returned_this_month=int(returned),
                departures_this_month=int(departures_month),
                departures=int(departures),
            )
        )
    table.sort(key=lambda a: (a.region or "99", a.name))
    return table


def _license_clause(actor: Actor) -> ColumnElement[bool]:
    if actor.role == Role.MONITOR:
        return License.id.is_not(None)
    if actor.role == Role.APPLICANT:
        return License.enterprise_key == (normalize_identifier(actor.org_uscc) or "\0")
    if actor.role in AGENCY_ROLES:
        key = normalize_text(actor.org_name) or "\0"
        issued_here = select(Application.id).where(Application.agency_key == key)
        return or_(License.application_id.in_(issued_here), License.agency == actor.org_name)
    raise Forbidden("角色不能查看许可证 / this role may not see licenses")


def licenses_for(
    *, uow: UnitOfWork, actor: Actor, page: int = 1, per_page: int = PER_PAGE
) -> LicensePage:
    """The licenses `actor` sees (the exporter its own, an agency those it issued, the
    monitor all), newest first, a page at a time."""
    clause = _license_clause(actor)
    page = _page(page)
    total = int(uow.session.scalar(select(func.count(License.id)).where(clause)) or 0)
    rows = uow.session.scalars(
        select(License)
        .where(clause)
        .order_by(License.issued_on.desc(), License.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = [
        LicenseRow(
            license_no=lic.license_no,
            status=lic.status,
            issued_on=lic.issued_on,
            valid_to=lic.valid_to,
            agency=lic.agency,
            enterprise_uscc=lic.enterprise_uscc,
            destination_country=lic.destination_country,
            application_id=lic.application_id,
        )
        for lic in rows
    ]
    return LicensePage(items=items, total=total, page=page, pages=_pages(total, per_page))
