"""Use cases of the credit record; the only writer of its tables.

Credit events arrive three ways: from the credit-events feed (and as FACTS
`credit_events`), written by the feeds importer and `load_facts` through
`CREDIT_EVENT_TABLE`; recorded by agency staff (`record_event`); and made by the system
from the checker's FILL and BAN findings when an application is submitted
(`events_from_findings`, inside the submission's transaction). The same fact never
makes two events: `natural_key` is the fact's key and is unique.

Interviews, rectifications and suspensions each follow their own table of transitions
(credit/transitions.py). Every change is one use case: the optimistic version is
claimed, the row changed, a `credit_history` row (the object's snapshot after the
change, dated) and an audit entry written, and the unit of work committed once. The
history is what `credit_record(as_of=…)` rebuilds the past from.

The checker reads an enterprise's events through `credit_events` and its suspension
decisions through `suspensions` (FACTS `suspensions`, docs/decisions/0024).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from carexport import audit, clock
from carexport.accounts.actor import Actor
from carexport.accounts.enums import AGENCY_ROLES, Role
from carexport.applications.transitions import ActionConflict, ActionForbidden
from carexport.bulk import RecordTable, Row, iso, natural_key, table_target
from carexport.config import get_settings
from carexport.credit import evidence
from carexport.credit.enums import (
    ITEM_LABELS,
    OPEN_INTERVIEWS,
    OPEN_RECTIFICATIONS,
    OWED_RECTIFICATIONS,
    CreditAction,
    CreditObject,
    EventSource,
    EventStatus,
    InterviewStatus,
    RectificationStatus,
    SuspensionStatus,
)
from carexport.credit.evidence import Upload
from carexport.credit.models import (
    CreditEvent,
    CreditFile,
    CreditHistory,
    CreditInterview,
    CreditInterviewEvent,
    CreditRectification,
    CreditRectificationEvent,
    CreditSuspension,
)
from carexport.credit.transitions import SYSTEM, Status, next_status
from carexport.db import UnitOfWork
from carexport.domain import facts as f
from carexport.domain.text import normalize_identifier as ident
from carexport.domain.text import normalize_text as text
from carexport.domain.working_days import add_working_days, official_calendar
from carexport.errors import Conflict, Forbidden, InputProblem, InvalidInput, NotFound
from carexport.rules.parameters import ParameterNotInForce, default_parameters

__all__ = [
    "CREDIT_EVENT_TABLE",
    "CreditRecord",
    "EventSource",
    "EventView",
    "Fact",
    "FileView",
    "HistoryEntry",
    "InterviewView",
    "RectificationView",
    "RelatedParty",
    "SuspendedFromFiling",
    "SuspensionView",
    "Upload",
    "accept_rectification",
    "cancel_interview",
    "close_interview",
    "credit_events",
    "credit_record",
    "events_from_findings",
    "exit_grounds",
    "open_evidence",
    "order_rectification",
    "overdue_rectifications",
    "record_event",
    "record_facts",
    "record_interview",
    "reinstate",
    "reject_rectification",
    "schedule_interview",
    "submit_rectification_evidence",
    "suspend",
    "suspensions",
]

# The feed's columns only: what the agency or the system changed (status, version, the
# evidence links) is never reset by a feed read again; new rows take the defaults.
_FEED_COLUMNS = ("natural_key", "enterprise_key", "enterprise_uscc", "item", "date", "note")
_CREDIT_EVENTS = replace(
    table_target(CreditEvent, "natural_key"), columns=(*_FEED_COLUMNS, "rectification")
)
_CHUNK = 500  # bind parameters per IN list
# The views' bound on a text field; the service applies Settings.max_note_chars.
MAX_TEXT_CHARS = 10_000
SUSPENDED_RULE = "CREDIT.SUSPENDED"
# The audit verb of the events a submission's findings made (one entry per submission,
# on the application, listing the events).
SYSTEM_EVENTS_VERB = "credit.event.record.from_findings"
# The checker's findings that put an event on the record when an application is
# submitted, and the Annex 1 item each is: a banned vehicle offered for export (item 1),
# irregular filling (item 5: 填报不规范).
FINDING_ITEMS: Mapping[str, int] = {"BAN.": 1, "FILL.": 5}


# --- the feed's door (unchanged contract: docs/decisions/0014) -------------------------


def _credit_event_row(r: Any) -> Row:
    """A credit event (a credit-events feed row or a FACTS credit event)."""
    key = ident(r.enterprise_uscc)
    rect = r.rectification.value if isinstance(r.rectification, Enum) else r.rectification
    values = {
        "natural_key": natural_key(key, r.item, iso(r.date), text(r.note)),
        "enterprise_key": key,
        "enterprise_uscc": r.enterprise_uscc,
        "item": r.item,
        "date": iso(r.date),
        "note": r.note,
        "rectification": rect,
    }
    return tuple(values[c] for c in _CREDIT_EVENTS.columns)


CREDIT_EVENT_TABLE = RecordTable(_CREDIT_EVENTS, _credit_event_row)


def credit_events(*, uow: UnitOfWork, enterprise_keys: Iterable[str | None]) -> list[f.CreditEvent]:
    """The events of these enterprises (USCCs normalised), in insertion order, as the
    checker reads them (FACTS credit_events): annulled events do not count, and an
    event under a rectification order carries the order's state (none / submitted /
    accepted)."""
    found: dict[int, CreditEvent] = {}
    items = sorted({k for k in enterprise_keys if k is not None})
    for start in range(0, len(items), _CHUNK):
        query = select(CreditEvent).where(
            CreditEvent.enterprise_key.in_(items[start : start + _CHUNK])
        )
        for event in uow.session.scalars(query):
            found[event.id] = event
    events = [found[i] for i in sorted(found) if found[i].status != EventStatus.ANNULLED]
    return [
        f.CreditEvent.model_validate(
            {
                "enterprise_uscc": e.enterprise_uscc,
                "item": e.item,
                "date": e.date,
                "note": e.note,
                "rectification": e.rectification,
            }
        )
        for e in events
    ]


def suspensions(*, uow: UnitOfWork, enterprise_keys: Iterable[str | None]) -> list[f.Suspension]:
    """The suspension decisions of these enterprises, oldest first, as FACTS
    `suspensions`: each with its dates, so the checker judges any `as_of`."""
    items = sorted({k for k in enterprise_keys if k is not None})
    rows: list[CreditSuspension] = []
    for start in range(0, len(items), _CHUNK):
        rows += uow.session.scalars(
            select(CreditSuspension).where(
                CreditSuspension.enterprise_key.in_(items[start : start + _CHUNK])
            )
        )
    return [
        f.Suspension.model_validate(
            {
                "enterprise_uscc": s.enterprise_uscc,
                "decision_id": s.decision_no,
                "agency": s.agency_name,
                "suspended_on": s.suspended_on,
                "reason": s.reason,
                "reinstated_on": s.reinstated_on,
                "reinstatement_reason": s.reinstatement_reason,
            }
        )
        for s in sorted(rows, key=lambda s: s.id)
    ]


# --- read models -----------------------------------------------------------------------


@dataclass(frozen=True)
class FileView:
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    submission: int | None  # rectification evidence: which round (1, 2, …)
    uploaded_at: str  # ISO UTC


@dataclass(frozen=True)
class EventView:
    id: int
    enterprise_uscc: str
    item: int
    item_label: tuple[str, str]  # (中文, English)
    date: date
    note: str | None
    description: str | None
    source: str  # enums.EventSource
    status: str  # enums.EventStatus
    version: int
    rectification: str  # none / submitted / accepted, as the checker reads it
    recorded_by: int | None
    recorded_at: str | None
    application_id: int | None
    application_no: str | None
    vin: str | None
    rule_id: str | None
    document_no: str | None
    files: tuple[FileView, ...] = ()


@dataclass(frozen=True)
class InterviewView:
    id: int
    enterprise_uscc: str
    agency_org_id: int
    status: str  # enums.InterviewStatus
    version: int
    scheduled_on: date
    place: str | None
    held_on: date | None
    attendees: tuple[str, ...]
    minutes: str | None
    outcome: str | None
    reason: str | None
    event_ids: tuple[int, ...]


@dataclass(frozen=True)
class RectificationView:
    id: int
    enterprise_uscc: str
    agency_org_id: int
    interview_id: int | None
    status: str  # enums.RectificationStatus
    version: int
    measures: str
    ordered_on: date
    working_days: int
    deadline: date
    overdue: bool  # owed (ordered or rejected) and the deadline passed, as of the read
    submissions: int
    evidence_note: str | None
    decision_reason: str | None
    event_ids: tuple[int, ...]
    files: tuple[FileView, ...] = ()


@dataclass(frozen=True)
class SuspensionView:
    id: int
    decision_no: str
    enterprise_uscc: str
    agency_org_id: int
    agency_name: str
    status: str  # enums.SuspensionStatus (as of the read)
    version: int
    reason: str
    suspended_on: date
    grounds: tuple[str, ...]
    reinstated_on: date | None
    reinstatement_reason: str | None


@dataclass(frozen=True)
class HistoryEntry:
    object_kind: str
    object_id: int
    action: str
    from_status: str | None
    to_status: str
    reason: str | None
    user_id: int | None
    at: str  # ISO UTC
    on: date


@dataclass(frozen=True)
class RelatedParty:
    """An enterprise linked to this one by a shared person (另设企业), and its state as
    of the record's day: suspended, rectifying (an order open), events (in the
    window), or clean."""

    uscc: str
    name: str | None
    persons: tuple[tuple[str, str, str], ...]  # (masked ID, role here, role there)
    state: str
    suspension: SuspensionView | None


@dataclass(frozen=True)
class CreditRecord:
    """An enterprise's record as it stood at the end of `as_of` (office date)."""

    enterprise_uscc: str
    as_of: date
    events: list[EventView]
    interviews: list[InterviewView]
    rectifications: list[RectificationView]
    suspensions: list[SuspensionView]
    suspended: SuspensionView | None  # the decision in force on as_of, if any
    exit_grounds: list[str]  # what would allow a suspension on as_of
    history: list[HistoryEntry] = field(default_factory=list)
    related: list[RelatedParty] = field(default_factory=list)

    @property
    def open_interviews(self) -> list[InterviewView]:
        return [i for i in self.interviews if i.status in OPEN_INTERVIEWS]

    @property
    def open_rectifications(self) -> list[RectificationView]:
        return [r for r in self.rectifications if r.status in OPEN_RECTIFICATIONS]


class SuspendedFromFiling(Conflict):
    """The enterprise is suspended from filing: its application is refused at
    submission (409), naming the decision (CREDIT.SUSPENDED)."""

    def __init__(self, finding: Mapping[str, Any], status: str, version: int) -> None:
        self.finding = dict(finding)
        facts = self.finding.get("facts") or {}
        super().__init__(
            f"企业已被暂停申领（决定 {facts.get('decision_id')}，{facts.get('suspended_on')}，"
            f"{facts.get('agency')}）：{facts.get('reason')} / the enterprise is suspended from "
            f"filing by decision {facts.get('decision_id')} of {facts.get('suspended_on')}",
            status=status,
            version=version,
        )


# --- helpers ---------------------------------------------------------------------------

_READERS = frozenset({Role.APPLICANT, Role.REVIEWER, Role.SENIOR_REVIEWER, Role.MONITOR})


def _when(at: datetime | None) -> tuple[datetime, date]:
    """The instant and office date of an action: now and today, or `at` (backdated)."""
    if at is None:
        return clock.now(), clock.today()
    return at.astimezone(UTC), at.astimezone(clock.OFFICE_ZONE).date()


def _require_reader(actor: Actor, enterprise_key: str) -> None:
    """Agency staff and the monitor read every record; an exporter its own (404 for
    another's: existence does not leak); other roles none (403)."""
    if actor.role not in _READERS:
        raise Forbidden(
            f"角色 {actor.role} 不能查看信用记录 / the role may not read credit records"
        )
    if actor.role == Role.APPLICANT and ident(actor.org_uscc) != enterprise_key:
        raise NotFound("没有该企业的信用记录 / no such credit record")


def _require_agency(actor: Actor) -> None:
    if actor.role not in AGENCY_ROLES:
        raise ActionForbidden(
            f"角色 {actor.role} 不能办理信用事项 / the role {actor.role} may not act on credit"
        )


def _same_agency(actor: Actor, agency_org_id: int) -> None:
    if actor.org_id != agency_org_id:
        raise ActionForbidden(
            "只有作出该决定的发证机构可以办理 / only the agency that made it may act on it"
        )


def _text(value: str | None, name: str, *, required: bool = False) -> str | None:
    limit = get_settings().max_note_chars
    stripped = None if value is None else value.strip()
    if required and not stripped:
        raise InvalidInput([InputProblem("body", name, f"须填写 / {name} is required", "missing")])
    if stripped is not None and len(stripped) > limit:
        raise InvalidInput(
            [
                InputProblem(
                    "body",
                    name,
                    f"超过{limit}字（CAREXPORT_MAX_NOTE_CHARS） / over {limit} characters",
                    "long",
                )
            ]
        )
    return stripped or None


def _uscc(value: str) -> tuple[str, str]:
    key = ident(value)
    if not key:
        raise InvalidInput(
            [InputProblem("body", "enterprise_uscc", "须填写 / required", "missing")]
        )
    return value.strip(), key


def _claim(uow: UnitOfWork, model: Any, object_id: int, version: int, kind: CreditObject) -> Any:
    """Raise the row's version if it is still `version` (the optimistic check and the
    row lock in one statement, as applications.service._claim); else 404 or 409."""
    result = uow.session.execute(
        update(model)
        .where(model.id == object_id, model.version == version)
        .values(version=model.version + 1)
        .execution_options(synchronize_session=False)
    )
    row = uow.session.get(model, object_id, populate_existing=True)
    if row is None:
        raise NotFound(f"没有该{kind} / no {kind} {object_id}")
    if cast(CursorResult[Any], result).rowcount != 1:
        raise ActionConflict(
            f"已被修改（当前版本 {row.version}），请刷新后重试 / it has changed (version "
            f"{row.version} now, not {version}): reload and try again",
            str(row.status),
            row.version,
        )
    return row


def _files(
    uow: UnitOfWork, *, event_ids: Collection[int] = (), rect_ids: Collection[int] = ()
) -> dict[tuple[str, int], list[FileView]]:
    out: dict[tuple[str, int], list[FileView]] = {}
    if event_ids:
        for row in uow.session.scalars(
            select(CreditFile)
            .where(CreditFile.event_id.in_(list(event_ids)))
            .order_by(CreditFile.id)
        ):
            out.setdefault(("event", row.event_id or 0), []).append(_file_view(row))
    if rect_ids:
        for row in uow.session.scalars(
            select(CreditFile)
            .where(CreditFile.rectification_id.in_(list(rect_ids)))
            .order_by(CreditFile.id)
        ):
            out.setdefault(("rectification", row.rectification_id or 0), []).append(_file_view(row))
    return out


def _file_view(row: CreditFile) -> FileView:
    return FileView(
        id=row.id,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        submission=row.submission,
        uploaded_at=audit.format_at(row.uploaded_at),
    )


def _add_files(
    uow: UnitOfWork,
    actor: Actor,
    uploads: Sequence[Upload],
    now: datetime,
    *,
    event_id: int | None = None,
    rectification_id: int | None = None,
    submission: int | None = None,
) -> list[evidence.CheckedFile]:
    checked = [evidence.check(u) for u in uploads]
    for c in checked:
        uow.session.add(
            CreditFile(
                event_id=event_id,
                rectification_id=rectification_id,
                submission=submission,
                filename=c.filename,
                content_type=c.content_type,
                size=c.size,
                sha256=c.sha256,
                uploaded_by=actor.user_id,
                uploaded_at=now,
            )
        )
    return checked


def _file_payload(checked: Sequence[evidence.CheckedFile]) -> list[dict[str, Any]]:
    return [{"filename": c.filename, "sha256": c.sha256, "size": c.size} for c in checked]


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _snapshot(view: Any) -> dict[str, Any]:
    """A view as JSON (the history's snapshot); files and derived flags are left out."""
    body = {k: _jsonable(v) for k, v in vars(view).items() if k not in {"files", "overdue"}}
    return body


def _history(
    uow: UnitOfWork,
    *,
    kind: CreditObject,
    view: Any,
    enterprise_key: str,
    action: CreditAction,
    from_status: Status | None,
    to_status: Status,
    reason: str | None,
    actor: Actor | None,
    now: datetime,
    on: date,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """The history row and the audit entry of one transition, in the caller's transaction."""
    version = int(view.version)
    uow.session.add(
        CreditHistory(
            enterprise_key=enterprise_key,
            object_kind=kind.value,
            object_id=view.id,
            action=action.value,
            from_status=None if from_status is None else from_status.value,
            to_status=to_status.value,
            reason=reason,
            user_id=None if actor is None else actor.user_id,
            at=now,
            on=on,
            version=version,
            snapshot=_snapshot(view),
        )
    )
    audit.append(
        uow.session,
        verb=f"{kind.value.replace('_', '.')}.{action.value}",
        object_kind=kind.value,
        object_id=view.id,
        actor=actor,
        reason=reason,
        versions={"from": None if from_status is None else version - 1, "to": version},
        payload={
            "enterprise_uscc": view.enterprise_uscc,
            "from_status": None if from_status is None else from_status.value,
            "to_status": to_status.value,
            "on": on.isoformat(),
            **(payload or {}),
        },
        at=now,
    )


def _linked(uow: UnitOfWork, model: Any, column: str, ids: Collection[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    if not ids:
        return out
    owner = getattr(model, column)
    for row in uow.session.execute(
        select(owner, model.event_id).where(owner.in_(list(ids))).order_by(owner, model.event_id)
    ):
        out.setdefault(int(row[0]), []).append(int(row[1]))
    return out


def _event_view(e: CreditEvent, files: Sequence[FileView] = ()) -> EventView:
    return EventView(
        id=e.id,
        enterprise_uscc=e.enterprise_uscc,
        item=e.item,
        item_label=ITEM_LABELS.get(e.item, ("", "")),
        date=e.date,
        note=e.note,
        description=e.description,
        source=e.source,
        status=e.status,
        version=e.version,
        rectification=e.rectification or "none",
        recorded_by=e.recorded_by,
        recorded_at=None if e.recorded_at is None else audit.format_at(e.recorded_at),
        application_id=e.application_id,
        application_no=e.application_no,
        vin=e.vin,
        rule_id=e.rule_id,
        document_no=e.document_no,
        files=tuple(files),
    )


def _interview_view(i: CreditInterview, event_ids: Sequence[int]) -> InterviewView:
    return InterviewView(
        id=i.id,
        enterprise_uscc=i.enterprise_uscc,
        agency_org_id=i.agency_org_id,
        status=i.status,
        version=i.version,
        scheduled_on=i.scheduled_on,
        place=i.place,
        held_on=i.held_on,
        attendees=tuple(i.attendees or []),
        minutes=i.minutes,
        outcome=i.outcome,
        reason=i.reason,
        event_ids=tuple(event_ids),
    )


def is_overdue(status: str, deadline: date, as_of: date) -> bool:
    """Owed (ordered, or rejected and not yet resubmitted) after its deadline day."""
    return status in OWED_RECTIFICATIONS and as_of > deadline


def _rectification_view(
    r: CreditRectification, event_ids: Sequence[int], as_of: date, files: Sequence[FileView] = ()
) -> RectificationView:
    return RectificationView(
        id=r.id,
        enterprise_uscc=r.enterprise_uscc,
        agency_org_id=r.agency_org_id,
        interview_id=r.interview_id,
        status=r.status,
        version=r.version,
        measures=r.measures,
        ordered_on=r.ordered_on,
        working_days=r.working_days,
        deadline=r.deadline,
        overdue=is_overdue(r.status, r.deadline, as_of),
        submissions=r.submissions,
        evidence_note=r.evidence_note,
        decision_reason=r.decision_reason,
        event_ids=tuple(event_ids),
        files=tuple(files),
    )


def _suspension_view(s: CreditSuspension) -> SuspensionView:
    return SuspensionView(
        id=s.id,
        decision_no=s.decision_no,
        enterprise_uscc=s.enterprise_uscc,
        agency_org_id=s.agency_org_id,
        agency_name=s.agency_name,
        status=s.status,
        version=s.version,
        reason=s.reason,
        suspended_on=s.suspended_on,
        grounds=tuple(s.grounds or []),
        reinstated_on=s.reinstated_on,
        reinstatement_reason=s.reinstatement_reason,
    )


def _events_of(
    uow: UnitOfWork, enterprise_key: str, event_ids: Collection[int]
) -> list[CreditEvent]:
    """The enterprise's events by id; an id of another enterprise's event is an input
    error (a reviewer cannot tie one company's record to another's)."""
    ids = sorted(set(event_ids))
    if not ids:
        raise InvalidInput(
            [
                InputProblem(
                    "body", "event_ids", "至少选择一项事件 / name at least one event", "missing"
                )
            ]
        )
    rows = list(uow.session.scalars(select(CreditEvent).where(CreditEvent.id.in_(ids))))
    if len(rows) != len(ids) or any(r.enterprise_key != enterprise_key for r in rows):
        raise InvalidInput(
            [
                InputProblem(
                    "body",
                    "event_ids",
                    "事件不属于该企业 / an event of another enterprise or none",
                    "unknown_event",
                )
            ]
        )
    if any(r.status == EventStatus.ANNULLED for r in rows):
        raise InvalidInput(
            [InputProblem("body", "event_ids", "事件已撤销 / an annulled event", "annulled")]
        )
    return rows


# --- events ----------------------------------------------------------------------------


def record_event(
    *,
    uow: UnitOfWork,
    actor: Actor,
    enterprise_uscc: str,
    item: int,
    date: date,
    description: str,
    note: str | None = None,
    application_id: int | None = None,
    application_no: str | None = None,
    vin: str | None = None,
    rule_id: str | None = None,
    document_no: str | None = None,
    files: Sequence[Upload] = (),
    at: datetime | None = None,
) -> EventView:
    """A reviewer records an Annex 1 event with its description and evidence."""
    _require_agency(actor)
    next_status(kind=CreditObject.EVENT, status=None, action=CreditAction.RECORD, role=actor.role)
    uscc, key = _uscc(enterprise_uscc)
    if item not in ITEM_LABELS:
        raise InvalidInput(
            [InputProblem("body", "item", "须为1至7 / must be 1 to 7", "annex1_item")]
        )
    if date > _when(at)[1]:
        raise InvalidInput(
            [
                InputProblem(
                    "body", "date", "事件日期晚于今天 / the event's date is after today", "future"
                )
            ]
        )
    body = _text(description, "description", required=True)
    now, today = _when(at)
    event = CreditEvent(
        natural_key=natural_key("reviewer", uuid.uuid4().hex),
        enterprise_key=key,
        enterprise_uscc=uscc,
        item=item,
        date=date,
        note=_text(note, "note"),
        rectification="none",
        description=body,
        source=EventSource.REVIEWER.value,
        status=EventStatus.RECORDED.value,
        version=1,
        agency_org_id=actor.org_id,
        recorded_by=actor.user_id,
        recorded_at=now,
        application_id=application_id,
        application_no=application_no,
        vin=None if vin is None else (ident(vin) or None),
        rule_id=rule_id,
        document_no=_text(document_no, "document_no"),
    )
    uow.session.add(event)
    uow.session.flush()
    checked = _add_files(uow, actor, files, now, event_id=event.id)
    view = _event_view(event)
    _history(
        uow,
        kind=CreditObject.EVENT,
        view=view,
        enterprise_key=key,
        action=CreditAction.RECORD,
        from_status=None,
        to_status=EventStatus.RECORDED,
        reason=None,
        actor=actor,
        now=now,
        on=today,
        payload={"item": item, "date": date.isoformat(), "files": _file_payload(checked)},
    )
    for c in checked:
        evidence.store(c)
    uow.commit()
    return _event_view(event, _files(uow, event_ids=[event.id]).get(("event", event.id), []))


def annul_event(
    *,
    uow: UnitOfWork,
    actor: Actor,
    event_id: int,
    version: int,
    reason: str,
    at: datetime | None = None,
) -> EventView:
    """An event recorded in error no longer counts (it stays on the record, annulled)."""
    _require_agency(actor)
    event = _claim(uow, CreditEvent, event_id, version, CreditObject.EVENT)
    status = EventStatus(event.status)
    target = next_status(
        kind=CreditObject.EVENT,
        status=status,
        action=CreditAction.ANNUL,
        role=actor.role,
        reason=reason,
    )
    if event.agency_org_id is not None:
        _same_agency(actor, event.agency_org_id)
    now, today = _when(at)
    _baseline(uow, event, now)
    event.status = target.value
    view = _event_view(event)
    _history(
        uow,
        kind=CreditObject.EVENT,
        view=view,
        enterprise_key=event.enterprise_key,
        action=CreditAction.ANNUL,
        from_status=status,
        to_status=target,
        reason=reason,
        actor=actor,
        now=now,
        on=today,
    )
    uow.commit()
    return view


def _baseline(uow: UnitOfWork, event: CreditEvent, now: datetime) -> None:
    """A feed's event has no history (it counts from its own date). Before its first
    change, its state until then is written down, dated the event's day, so that the
    record as of an earlier day still shows it as it was."""
    has_history = uow.session.scalar(
        select(CreditHistory.id)
        .where(
            CreditHistory.object_kind == CreditObject.EVENT.value,
            CreditHistory.object_id == event.id,
        )
        .limit(1)
    )
    if has_history is not None:
        return
    before = _event_view(event)
    uow.session.add(
        CreditHistory(
            enterprise_key=event.enterprise_key,
            object_kind=CreditObject.EVENT.value,
            object_id=event.id,
            action=CreditAction.RECORD.value,
            from_status=None,
            to_status=before.status,
            reason=None,
            user_id=None,
            at=now,
            on=event.date,
            version=before.version - 1,
            snapshot=_snapshot(replace(before, version=before.version - 1)),
        )
    )


def _finding_item(rule_id: str) -> int | None:
    for prefix, item in FINDING_ITEMS.items():
        if rule_id.startswith(prefix):
            return item
    return None


@dataclass(frozen=True)
class Fact:
    """Something the system found that belongs on an enterprise's record, once: `key`
    says which fact it is (with the enterprise, the unique fact key of its event)."""

    key: tuple[object, ...]
    enterprise_uscc: str
    item: int
    date: date
    description: str
    note: str | None = None
    application_id: int | None = None
    application_no: str | None = None
    vin: str | None = None
    rule_id: str | None = None
    document_no: str | None = None


def record_facts(
    *,
    uow: UnitOfWork,
    facts: Sequence[Fact],
    source: EventSource,
    at: datetime,
    verb: str,
    object_kind: str,
    object_id: int | str,
    payload: Mapping[str, Any] | None = None,
) -> list[int]:
    """Events for the facts not yet on the record, in the caller's transaction (never
    commits): one multi-row insert, a history row each, and one audit entry about the
    object that found them (`verb`, `object_kind`, `object_id`: a submitted application;
    later a reconciliation run). An entry per event cost ~7 ms each (the chain's head is
    taken and hashed per entry): 40 events were 227 ms on SQLite, 555 ms on PostgreSQL;
    batched 22 and 56 ms (ADR 0024). Returns the ids of the new events."""
    next_status(kind=CreditObject.EVENT, status=None, action=CreditAction.RECORD, role=SYSTEM)
    wanted: dict[str, Fact] = {}
    for fact in facts:
        key = natural_key("fact", ident(fact.enterprise_uscc) or "", *fact.key)
        wanted.setdefault(key, fact)
    if not wanted:
        return []
    existing = set(
        uow.session.scalars(
            select(CreditEvent.natural_key).where(CreditEvent.natural_key.in_(list(wanted)))
        )
    )
    now = at.astimezone(UTC)
    events = [
        CreditEvent(
            natural_key=key,
            enterprise_key=ident(fact.enterprise_uscc) or "",
            enterprise_uscc=fact.enterprise_uscc,
            item=fact.item,
            date=fact.date,
            note=fact.note,
            rectification="none",
            description=fact.description,
            source=source.value,
            status=EventStatus.RECORDED.value,
            version=1,
            recorded_at=now,
            application_id=fact.application_id,
            application_no=fact.application_no,
            vin=fact.vin,
            rule_id=fact.rule_id,
            document_no=fact.document_no,
        )
        for key, fact in wanted.items()
        if key not in existing
    ]
    if not events:
        return []
    uow.session.add_all(events)
    uow.session.flush()
    views = [_event_view(e) for e in events]
    on = now.astimezone(clock.OFFICE_ZONE).date()
    uow.session.add_all(
        CreditHistory(
            enterprise_key=ident(v.enterprise_uscc) or "",
            object_kind=CreditObject.EVENT.value,
            object_id=v.id,
            action=CreditAction.RECORD.value,
            from_status=None,
            to_status=EventStatus.RECORDED.value,
            reason=None,
            user_id=None,
            at=now,
            on=on,
            version=v.version,
            snapshot=_snapshot(v),
        )
        for v in views
    )
    audit.append(
        uow.session,
        verb=verb,
        object_kind=object_kind,
        object_id=object_id,
        actor=None,
        versions={"from": None, "to": 1},
        payload={
            **(payload or {}),
            "source": source.value,
            "events": [
                {
                    "id": v.id,
                    "enterprise_uscc": v.enterprise_uscc,
                    "item": v.item,
                    "rule": v.rule_id,
                    "vin": v.vin,
                }
                for v in views
            ],
        },
        at=now,
    )
    return [v.id for v in views]


def events_from_findings(
    *,
    uow: UnitOfWork,
    application_id: int,
    application_no: str,
    enterprise_uscc: str,
    verdict: Mapping[str, Any],
    at: datetime,
) -> list[int]:
    """System events from the FILL and BAN findings of a submitted application's
    verdict, in the submission's transaction (never commits). The fact is (rule, VIN,
    application) of the enterprise: a resubmission after a return, or the same verdict
    seen twice, makes no second event. Returns the ids of the new events."""
    on = at.astimezone(clock.OFFICE_ZONE).date()
    facts = []
    for vehicle in verdict.get("vehicles") or []:
        vin = ident(vehicle.get("vin")) if isinstance(vehicle.get("vin"), str) else None
        for finding in vehicle.get("findings") or []:
            rule_id = str(finding.get("rule") or "")
            item = _finding_item(rule_id)
            if item is None or finding.get("severity") not in {"fail", "review"}:
                continue
            facts.append(
                Fact(
                    key=(rule_id, vin, application_no),
                    enterprise_uscc=enterprise_uscc,
                    item=item,
                    date=on,
                    description=str(finding.get("message") or rule_id),
                    note=f"{rule_id} {vin or ''}".strip(),
                    application_id=application_id,
                    application_no=application_no,
                    vin=vin,
                    rule_id=rule_id,
                )
            )
    return record_facts(
        uow=uow,
        facts=facts,
        source=EventSource.SYSTEM,
        at=at,
        verb=SYSTEM_EVENTS_VERB,
        object_kind="application",
        object_id=application_id,
        payload={"application_id": application_no, "enterprise_uscc": enterprise_uscc},
    )


def check_submission(*, verdict: Mapping[str, Any], status: str, version: int) -> None:
    """Refuse a submission whose verdict holds CREDIT.SUSPENDED (SuspendedFromFiling)."""
    for finding in verdict.get("findings") or []:
        if finding.get("rule") == SUSPENDED_RULE:
            raise SuspendedFromFiling(finding, status, version)


# --- interviews ------------------------------------------------------------------------


def schedule_interview(
    *,
    uow: UnitOfWork,
    actor: Actor,
    enterprise_uscc: str,
    event_ids: Collection[int],
    scheduled_on: date,
    place: str | None = None,
    attendees: Sequence[str] = (),
    at: datetime | None = None,
) -> InterviewView:
    """约谈: an agency schedules an interview about one or more of the enterprise's events."""
    _require_agency(actor)
    target = next_status(
        kind=CreditObject.INTERVIEW, status=None, action=CreditAction.SCHEDULE, role=actor.role
    )
    uscc, key = _uscc(enterprise_uscc)
    events = _events_of(uow, key, event_ids)
    now, today = _when(at)
    interview = CreditInterview(
        enterprise_key=key,
        enterprise_uscc=uscc,
        agency_org_id=actor.org_id,
        status=target.value,
        version=1,
        scheduled_on=scheduled_on,
        place=_text(place, "place"),
        attendees=[a.strip() for a in attendees if a.strip()],
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(interview)
    uow.session.flush()
    uow.session.add_all(
        CreditInterviewEvent(interview_id=interview.id, event_id=e.id) for e in events
    )
    view = _interview_view(interview, [e.id for e in events])
    _history(
        uow,
        kind=CreditObject.INTERVIEW,
        view=view,
        enterprise_key=key,
        action=CreditAction.SCHEDULE,
        from_status=None,
        to_status=target,
        reason=None,
        actor=actor,
        now=now,
        on=today,
    )
    uow.commit()
    return view


def _interview_step(
    uow: UnitOfWork,
    actor: Actor,
    interview_id: int,
    version: int,
    action: CreditAction,
    reason: str | None,
    at: datetime | None,
    change: Any,
) -> InterviewView:
    _require_agency(actor)
    interview: CreditInterview = _claim(
        uow, CreditInterview, interview_id, version, CreditObject.INTERVIEW
    )
    status = InterviewStatus(interview.status)
    target = next_status(
        kind=CreditObject.INTERVIEW, status=status, action=action, role=actor.role, reason=reason
    )
    _same_agency(actor, interview.agency_org_id)
    now, today = _when(at)
    change(interview)
    interview.status = target.value
    interview.updated_at = now
    links = _linked(uow, CreditInterviewEvent, "interview_id", [interview.id])
    view = _interview_view(interview, links.get(interview.id, []))
    _history(
        uow,
        kind=CreditObject.INTERVIEW,
        view=view,
        enterprise_key=interview.enterprise_key,
        action=action,
        from_status=status,
        to_status=target,
        reason=reason,
        actor=actor,
        now=now,
        on=today,
    )
    uow.commit()
    return view


def record_interview(
    *,
    uow: UnitOfWork,
    actor: Actor,
    interview_id: int,
    version: int,
    held_on: date,
    attendees: Sequence[str],
    minutes: str,
    outcome: str,
    at: datetime | None = None,
) -> InterviewView:
    """The interview was held: its date, attendees, minutes and outcome (scheduled → held)."""
    body = _text(minutes, "minutes", required=True)
    result = _text(outcome, "outcome", required=True)
    people = [a.strip() for a in attendees if a.strip()]

    def change(i: CreditInterview) -> None:
        i.held_on = held_on
        i.attendees = people or list(i.attendees or [])
        i.minutes = body
        i.outcome = result

    return _interview_step(uow, actor, interview_id, version, CreditAction.HOLD, None, at, change)


def close_interview(
    *, uow: UnitOfWork, actor: Actor, interview_id: int, version: int, at: datetime | None = None
) -> InterviewView:
    """held → closed."""
    return _interview_step(
        uow, actor, interview_id, version, CreditAction.CLOSE, None, at, lambda i: None
    )


def cancel_interview(
    *,
    uow: UnitOfWork,
    actor: Actor,
    interview_id: int,
    version: int,
    reason: str,
    at: datetime | None = None,
) -> InterviewView:
    """scheduled → cancelled, with a reason."""

    def change(i: CreditInterview) -> None:
        i.reason = reason.strip()

    return _interview_step(
        uow, actor, interview_id, version, CreditAction.CANCEL, reason, at, change
    )


# --- rectifications --------------------------------------------------------------------


def rectification_deadline(ordered_on: date) -> tuple[int, date]:
    """(working days, deadline) of an order on `ordered_on`: credit.rectification_days
    working days after it on China's official calendar."""
    days = int(default_parameters().value("credit.rectification_days", ordered_on))
    return days, add_working_days(ordered_on, days, official_calendar())


_RECTIFICATION_MARK: Mapping[str, str] = {
    RectificationStatus.ORDERED: "none",
    RectificationStatus.REJECTED: "none",
    RectificationStatus.SUBMITTED: "submitted",
    RectificationStatus.ACCEPTED: "accepted",
}


def _mark_events(uow: UnitOfWork, rectification_id: int, status: RectificationStatus) -> None:
    """Keep the checker's `rectification` of the order's events in step with the order."""
    ids = _linked(uow, CreditRectificationEvent, "rectification_id", [rectification_id]).get(
        rectification_id, []
    )
    if ids:
        uow.session.execute(
            update(CreditEvent)
            .where(CreditEvent.id.in_(ids))
            .values(rectification=_RECTIFICATION_MARK[status])
            .execution_options(synchronize_session=False)
        )


def order_rectification(
    *,
    uow: UnitOfWork,
    actor: Actor,
    enterprise_uscc: str,
    event_ids: Collection[int],
    measures: str,
    ordered_on: date | None = None,
    interview_id: int | None = None,
    at: datetime | None = None,
) -> RectificationView:
    """整改: order measures about events, the deadline credit.rectification_days working
    days after the order date (default: the action's date)."""
    _require_agency(actor)
    target = next_status(
        kind=CreditObject.RECTIFICATION, status=None, action=CreditAction.ORDER, role=actor.role
    )
    uscc, key = _uscc(enterprise_uscc)
    body = _text(measures, "measures", required=True) or ""
    events = _events_of(uow, key, event_ids)
    now, today = _when(at)
    day = ordered_on or today
    if interview_id is not None:
        interview = uow.session.get(CreditInterview, interview_id)
        if interview is None or interview.enterprise_key != key:
            raise InvalidInput(
                [
                    InputProblem(
                        "body",
                        "interview_id",
                        "不是该企业的约谈 / not this enterprise's interview",
                        "unknown_interview",
                    )
                ]
            )
    days, deadline = rectification_deadline(day)
    rect = CreditRectification(
        enterprise_key=key,
        enterprise_uscc=uscc,
        agency_org_id=actor.org_id,
        interview_id=interview_id,
        status=target.value,
        version=1,
        measures=body,
        ordered_on=day,
        working_days=days,
        deadline=deadline,
        submissions=0,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(rect)
    uow.session.flush()
    uow.session.add_all(
        CreditRectificationEvent(rectification_id=rect.id, event_id=e.id) for e in events
    )
    uow.session.flush()
    _mark_events(uow, rect.id, target)  # type: ignore[arg-type]
    view = _rectification_view(rect, [e.id for e in events], day)
    _history(
        uow,
        kind=CreditObject.RECTIFICATION,
        view=view,
        enterprise_key=key,
        action=CreditAction.ORDER,
        from_status=None,
        to_status=target,
        reason=None,
        actor=actor,
        now=now,
        on=today,
        payload={"deadline": deadline.isoformat(), "working_days": days},
    )
    uow.commit()
    return view


def _rectification_step(
    uow: UnitOfWork,
    actor: Actor,
    rectification_id: int,
    version: int,
    action: CreditAction,
    reason: str | None,
    at: datetime | None,
    change: Any,
    uploads: Sequence[Upload] = (),
) -> RectificationView:
    if actor.role == Role.APPLICANT:
        # Another exporter's order is not there for this one (404 before any 409).
        owner = uow.session.scalar(
            select(CreditRectification.enterprise_key).where(
                CreditRectification.id == rectification_id
            )
        )
        if owner is None or ident(actor.org_uscc) != owner:
            raise NotFound(f"没有该整改 / no rectification {rectification_id}")
        uow.rollback()  # SQLite: the claim below must be the transaction's first write
    rect: CreditRectification = _claim(
        uow, CreditRectification, rectification_id, version, CreditObject.RECTIFICATION
    )
    status = RectificationStatus(rect.status)
    target = next_status(
        kind=CreditObject.RECTIFICATION,
        status=status,
        action=action,
        role=actor.role,
        reason=reason,
    )
    if actor.role in AGENCY_ROLES:
        _same_agency(actor, rect.agency_org_id)
    now, today = _when(at)
    change(rect, now)
    rect.status = target.value
    rect.updated_at = now
    checked = _add_files(
        uow, actor, uploads, now, rectification_id=rect.id, submission=rect.submissions
    )
    uow.session.flush()
    _mark_events(uow, rect.id, RectificationStatus(target))
    links = _linked(uow, CreditRectificationEvent, "rectification_id", [rect.id])
    view = _rectification_view(rect, links.get(rect.id, []), today)
    _history(
        uow,
        kind=CreditObject.RECTIFICATION,
        view=view,
        enterprise_key=rect.enterprise_key,
        action=action,
        from_status=status,
        to_status=target,
        reason=reason,
        actor=actor,
        now=now,
        on=today,
        payload={"files": _file_payload(checked)} if checked else None,
    )
    for c in checked:
        evidence.store(c)
    uow.commit()
    files = _files(uow, rect_ids=[rect.id]).get(("rectification", rect.id), [])
    return _rectification_view(rect, links.get(rect.id, []), today, files)


def submit_rectification_evidence(
    *,
    uow: UnitOfWork,
    actor: Actor,
    rectification_id: int,
    version: int,
    note: str,
    files: Sequence[Upload] = (),
    at: datetime | None = None,
) -> RectificationView:
    """The exporter sends its evidence (ordered or rejected → submitted); the agency's
    staff cannot send it for them."""
    body = _text(note, "note", required=True)

    def change(r: CreditRectification, now: datetime) -> None:
        r.submissions += 1
        r.evidence_note = body
        r.submitted_at = now
        r.decision_reason = None

    return _rectification_step(
        uow, actor, rectification_id, version, CreditAction.SUBMIT, None, at, change, files
    )


def accept_rectification(
    *,
    uow: UnitOfWork,
    actor: Actor,
    rectification_id: int,
    version: int,
    reason: str | None = None,
    at: datetime | None = None,
) -> RectificationView:
    """submitted → accepted: the events count as rectified (CREDIT.RECTIFIED)."""

    def change(r: CreditRectification, now: datetime) -> None:
        r.decision_reason = None if reason is None else reason.strip() or None
        r.decided_at = now

    return _rectification_step(
        uow, actor, rectification_id, version, CreditAction.ACCEPT, reason, at, change
    )


def reject_rectification(
    *,
    uow: UnitOfWork,
    actor: Actor,
    rectification_id: int,
    version: int,
    reason: str,
    at: datetime | None = None,
) -> RectificationView:
    """submitted → rejected, with the reason; the exporter may submit again. The
    deadline stays: a rejected rectification past it is overdue."""

    def change(r: CreditRectification, now: datetime) -> None:
        r.decision_reason = reason.strip()
        r.decided_at = now

    return _rectification_step(
        uow, actor, rectification_id, version, CreditAction.REJECT, reason, at, change
    )


def overdue_rectifications(
    *, uow: UnitOfWork, actor: Actor, as_of: date | None = None
) -> list[RectificationView]:
    """Rectifications owed past their deadline on `as_of` (default today), oldest
    deadline first: an agency's own orders (its queue), an exporter's own (its
    dashboard), every one for the monitor."""
    day = as_of or clock.today()
    if actor.role not in _READERS:
        raise Forbidden(
            f"角色 {actor.role} 不能查看信用记录 / the role may not read credit records"
        )
    query = select(CreditRectification).where(
        CreditRectification.status.in_([s.value for s in OWED_RECTIFICATIONS]),
        CreditRectification.deadline < day,
    )
    if actor.role in AGENCY_ROLES:
        query = query.where(CreditRectification.agency_org_id == actor.org_id)
    elif actor.role == Role.APPLICANT:
        query = query.where(CreditRectification.enterprise_key == (ident(actor.org_uscc) or ""))
    rows = list(
        uow.session.scalars(query.order_by(CreditRectification.deadline, CreditRectification.id))
    )
    links = _linked(uow, CreditRectificationEvent, "rectification_id", [r.id for r in rows])
    return [_rectification_view(r, links.get(r.id, []), day) for r in rows]


# --- suspension (退出) and reinstatement ----------------------------------------------


def _grounds(
    events: Sequence[EventView], rectifications: Sequence[RectificationView], as_of: date
) -> list[str]:
    """What crosses the line on `as_of` (ADR 0024): repeat events in the window, a
    rectification rejected, or one overdue."""
    params = default_parameters()
    try:
        window = int(params.value("credit.window_days", as_of))
        repeat = int(params.value("credit.suspend_repeat", as_of))
    except ParameterNotInForce:
        return []  # before 648号: no exit by this record
    start = as_of - timedelta(days=window)
    counted = [e for e in events if e.status != EventStatus.ANNULLED and start <= e.date <= as_of]
    grounds: list[str] = []
    if len(counted) >= repeat:
        grounds.append(f"repeat_events:{len(counted)}>={repeat}/{window}d")
    for r in rectifications:
        if r.status == RectificationStatus.REJECTED:
            grounds.append(f"rectification_rejected:{r.id}")
        if is_overdue(r.status, r.deadline, as_of):
            grounds.append(f"rectification_overdue:{r.id}")
    return grounds


def exit_grounds(
    *, uow: UnitOfWork, actor: Actor, enterprise_uscc: str, as_of: date | None = None
) -> list[str]:
    """What would allow the agency to suspend the enterprise on `as_of` (empty: nothing)."""
    record = credit_record(uow=uow, actor=actor, enterprise_uscc=enterprise_uscc, as_of=as_of)
    return record.exit_grounds


def _in_force(uow: UnitOfWork, key: str) -> CreditSuspension | None:
    return uow.session.scalar(
        select(CreditSuspension).where(
            CreditSuspension.enterprise_key == key,
            CreditSuspension.status == SuspensionStatus.IN_FORCE.value,
        )
    )


def suspend(
    *,
    uow: UnitOfWork,
    actor: Actor,
    enterprise_uscc: str,
    reason: str,
    effective_on: date | None = None,
    at: datetime | None = None,
) -> SuspensionView:
    """The agency suspends the enterprise from filing from `effective_on` (default: the
    action's date), with a reason. Refused (409) while a suspension is in force, and when
    the record does not cross the line (no exit grounds on that day)."""
    _require_agency(actor)
    target = next_status(
        kind=CreditObject.SUSPENSION,
        status=None,
        action=CreditAction.SUSPEND,
        role=actor.role,
        reason=reason,
    )
    uscc, key = _uscc(enterprise_uscc)
    now, today = _when(at)
    day = effective_on or today
    if _in_force(uow, key) is not None:
        raise ActionConflict("该企业已被暂停 / the enterprise is already suspended", "in_force")
    grounds = _record_grounds(uow, key, day)
    if not grounds:
        raise ActionConflict(
            "信用记录未达到退出条件（重复事件、整改被驳回或逾期） / the record does not cross the "
            "line of exit (repeat events, a rejected or overdue rectification)",
            "none",
        )
    suspension = CreditSuspension(
        decision_no="pending",
        enterprise_key=key,
        enterprise_uscc=uscc,
        agency_org_id=actor.org_id,
        agency_name=actor.org_name or "",
        status=target.value,
        version=1,
        reason=reason.strip(),
        suspended_on=day,
        grounds=grounds,
        decided_by=actor.user_id,
        decided_at=now,
    )
    uow.session.add(suspension)
    uow.session.flush()
    suspension.decision_no = f"CS-{day.year}-{suspension.id:06d}"
    view = _suspension_view(suspension)
    _history(
        uow,
        kind=CreditObject.SUSPENSION,
        view=view,
        enterprise_key=key,
        action=CreditAction.SUSPEND,
        from_status=None,
        to_status=target,
        reason=reason,
        actor=actor,
        now=now,
        on=day,
        payload={"decision_no": suspension.decision_no, "grounds": grounds},
    )
    uow.commit()
    return view


def reinstate(
    *,
    uow: UnitOfWork,
    actor: Actor,
    suspension_id: int,
    version: int,
    reason: str,
    effective_on: date | None = None,
    at: datetime | None = None,
) -> SuspensionView:
    """Reinstatement: a decision of its own, with a reason; the enterprise may file again
    from `effective_on` (default: the action's date, not before the suspension)."""
    _require_agency(actor)
    suspension: CreditSuspension = _claim(
        uow, CreditSuspension, suspension_id, version, CreditObject.SUSPENSION
    )
    status = SuspensionStatus(suspension.status)
    target = next_status(
        kind=CreditObject.SUSPENSION,
        status=status,
        action=CreditAction.REINSTATE,
        role=actor.role,
        reason=reason,
    )
    _same_agency(actor, suspension.agency_org_id)
    now, today = _when(at)
    day = effective_on or today
    if day < suspension.suspended_on:
        raise InvalidInput(
            [
                InputProblem(
                    "body", "effective_on", "早于暂停日期 / before the suspension", "date_order"
                )
            ]
        )
    suspension.status = target.value
    suspension.reinstated_on = day
    suspension.reinstatement_reason = reason.strip()
    suspension.reinstated_by = actor.user_id
    suspension.reinstated_at = now
    view = _suspension_view(suspension)
    _history(
        uow,
        kind=CreditObject.SUSPENSION,
        view=view,
        enterprise_key=suspension.enterprise_key,
        action=CreditAction.REINSTATE,
        from_status=status,
        to_status=target,
        reason=reason,
        actor=actor,
        now=now,
        on=day,
        payload={"decision_no": suspension.decision_no},
    )
    uow.commit()
    return view


# --- the record, now or as of a past day -------------------------------------------------


def _history_rows(uow: UnitOfWork, key: str, as_of: date) -> list[CreditHistory]:
    return list(
        uow.session.scalars(
            select(CreditHistory)
            .where(CreditHistory.enterprise_key == key, CreditHistory.on <= as_of)
            .order_by(CreditHistory.id)
        )
    )


def _as_date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


def _from_snapshot(kind: str, snap: Mapping[str, Any], as_of: date) -> Any:
    s = dict(snap)
    if kind == CreditObject.EVENT:
        s["date"] = _as_date(s["date"])
        s["item_label"] = tuple(s.get("item_label") or ("", ""))
        return EventView(**s)
    if kind == CreditObject.INTERVIEW:
        s["scheduled_on"] = _as_date(s["scheduled_on"])
        s["held_on"] = _as_date(s.get("held_on"))
        s["attendees"] = tuple(s.get("attendees") or ())
        s["event_ids"] = tuple(s.get("event_ids") or ())
        return InterviewView(**s)
    if kind == CreditObject.RECTIFICATION:
        for name in ("ordered_on", "deadline"):
            s[name] = _as_date(s[name])
        s["event_ids"] = tuple(s.get("event_ids") or ())
        s["overdue"] = is_overdue(s["status"], s["deadline"], as_of)
        return RectificationView(**s)
    for name in ("suspended_on", "reinstated_on"):
        s[name] = _as_date(s.get(name))
    s["grounds"] = tuple(s.get("grounds") or ())
    return SuspensionView(**s)


def _record_grounds(uow: UnitOfWork, key: str, as_of: date) -> list[str]:
    events, _, rects, _, _ = _state(uow, key, as_of)
    return _grounds(events, rects, as_of)


def _state(
    uow: UnitOfWork, key: str, as_of: date
) -> tuple[
    list[EventView],
    list[InterviewView],
    list[RectificationView],
    list[SuspensionView],
    list[HistoryEntry],
]:
    """Every object of the record as its last change on or before `as_of` left it.
    Events from a feed have no history: they count from their own date."""
    latest: dict[tuple[str, int], CreditHistory] = {}
    entries: list[HistoryEntry] = []
    for row in _history_rows(uow, key, as_of):
        latest[(row.object_kind, row.object_id)] = row
        entries.append(
            HistoryEntry(
                object_kind=row.object_kind,
                object_id=row.object_id,
                action=row.action,
                from_status=row.from_status,
                to_status=row.to_status,
                reason=row.reason,
                user_id=row.user_id,
                at=audit.format_at(row.at),
                on=row.on,
            )
        )
    views: dict[str, list[Any]] = {k.value: [] for k in CreditObject}
    for (kind, _), row in sorted(latest.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        views[kind].append(_from_snapshot(kind, row.snapshot, as_of))
    events: list[EventView] = views[CreditObject.EVENT]
    with_history = {e.id for e in events}
    for stored in uow.session.scalars(
        select(CreditEvent)
        .where(CreditEvent.enterprise_key == key, CreditEvent.date <= as_of)
        .order_by(CreditEvent.id)
    ):
        if stored.id not in with_history and stored.recorded_at is None:
            events.append(_event_view(stored))
    # An event's rectification mark as of the day follows its orders as of the day.
    marks: dict[int, str] = {}
    for rect in views[CreditObject.RECTIFICATION]:
        for event_id in rect.event_ids:
            marks[event_id] = _RECTIFICATION_MARK[rect.status]
    events = sorted(
        (_replace(e, marks[e.id]) if e.id in marks else e for e in events),
        key=lambda e: (e.date, e.id),
    )
    return (
        events,
        views[CreditObject.INTERVIEW],
        views[CreditObject.RECTIFICATION],
        views[CreditObject.SUSPENSION],
        entries,
    )


def _replace(event: EventView, mark: str) -> EventView:
    return replace(event, rectification=mark)


def _suspended_on(suspensions_: Sequence[SuspensionView], as_of: date) -> SuspensionView | None:
    for s in suspensions_:
        if s.suspended_on <= as_of and (s.reinstated_on is None or as_of < s.reinstated_on):
            return s
    return None


def credit_record(
    *, uow: UnitOfWork, actor: Actor, enterprise_uscc: str, as_of: date | None = None
) -> CreditRecord:
    """The enterprise's record as it stood at the end of `as_of` (default today): its
    events, interviews, rectifications and suspension decisions as their last change
    on or before that day left them, the decision in force, the exit grounds and the
    history up to then. Exporters read their own; agency staff and the monitor any."""
    day = as_of or clock.today()
    _, key = _uscc(enterprise_uscc)
    _require_reader(actor, key)
    events, interviews, rects, susp, entries = _state(uow, key, day)
    files = _files(uow, event_ids=[e.id for e in events], rect_ids=[r.id for r in rects])
    # An event's files came with its recording; a rectification's with each submission:
    # as of the day, those of the submissions made by then (the snapshot's count).
    events = [replace(e, files=tuple(files.get(("event", e.id), []))) for e in events]
    rects = [
        replace(
            r,
            files=tuple(
                v
                for v in files.get(("rectification", r.id), [])
                if v.submission is None or v.submission <= r.submissions
            ),
        )
        for r in rects
    ]
    return CreditRecord(
        enterprise_uscc=enterprise_uscc.strip(),
        as_of=day,
        events=events,
        interviews=interviews,
        rectifications=rects,
        suspensions=susp,
        suspended=_suspended_on(susp, day),
        exit_grounds=_grounds(events, rects, day),
        history=entries,
        related=_related_parties(uow, enterprise_uscc, day),
    )


def _party_state(uow: UnitOfWork, key: str, as_of: date) -> tuple[str, SuspensionView | None]:
    events, _, rects, susp, _ = _state(uow, key, as_of)
    decision = _suspended_on(susp, as_of)
    if decision is not None:
        return "suspended", decision
    if any(r.status in OPEN_RECTIFICATIONS for r in rects):
        return "rectifying", None
    try:
        window = int(default_parameters().value("credit.window_days", as_of))
    except ParameterNotInForce:
        window = 0
    start = as_of - timedelta(days=window)
    if any(e.status != EventStatus.ANNULLED and start <= e.date <= as_of for e in events):
        return "events", None
    return "clean", None


def _related_parties(uow: UnitOfWork, enterprise_uscc: str, as_of: date) -> list[RelatedParty]:
    # Imported here: the feeds service imports this module at its top.
    from carexport.feeds import service as feeds

    parties = []
    for link in feeds.enterprises_sharing_persons(uow=uow, enterprise_uscc=enterprise_uscc):
        state, decision = _party_state(uow, ident(link.uscc) or "", as_of)
        parties.append(RelatedParty(link.uscc, link.name, link.persons, state, decision))
    return parties


@dataclass(frozen=True)
class EvidenceFile:
    """An evidence file to send: its row and where its bytes are."""

    view: FileView
    path: Any


def open_evidence(*, uow: UnitOfWork, actor: Actor, file_id: int) -> EvidenceFile:
    """An evidence file to download, for those who may read its record (else 404)."""
    row = uow.session.get(CreditFile, file_id)
    if row is None:
        raise NotFound(f"没有该文件 / no file {file_id}")
    owner: CreditEvent | CreditRectification | None = (
        uow.session.get(CreditEvent, row.event_id)
        if row.event_id is not None
        else uow.session.get(CreditRectification, row.rectification_id)
    )
    if owner is None:
        raise NotFound(f"没有该文件 / no file {file_id}")
    try:
        _require_reader(actor, owner.enterprise_key)
    except NotFound:
        raise NotFound(f"没有该文件 / no file {file_id}") from None
    path = evidence.path_of(row.sha256)
    if not path.is_file():
        raise NotFound("文件不在存储目录中 / the file is missing from the store")
    return EvidenceFile(_file_view(row), path)
