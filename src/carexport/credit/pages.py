"""The enterprise credit pages: one page per enterprise for the agency's staff, the
monitor and the exporter itself (its own only), `?as_of=YYYY-MM-DD` for the record as it
stood at the end of that day; the reviewer's actions as forms (record an event, schedule
and record an interview, order rectification, accept or reject the evidence, suspend and
reinstate); the exporter's evidence; the evidence files; the agency's overdue list.

Routes parse the form, call credit.service (the only writer of the record), and render;
what an action may do is decided by the service and its transition table. The grade and
the chart are computed here from the service's as-of read model (credit/grade.py,
credit/chart.py), so a past day's page is the page a reviewer saw that day.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, Response

from carexport import clock
from carexport.accounts import service as accounts
from carexport.accounts.actor import Actor
from carexport.accounts.enums import AGENCY_ROLES, Role
from carexport.accounts.page_auth import AgencyPage, ApplicantPage, PageActor, flash
from carexport.config import get_settings
from carexport.credit import chart, page_queries
from carexport.credit import service as credit
from carexport.credit.enums import ITEM_LABELS
from carexport.credit.evidence import Upload
from carexport.credit.grade import (
    GRADE_LABELS,
    CreditRecord,
    Grade,
    GradedEvent,
    GradedRectification,
    GradeResult,
    RelatedEnterprise,
    default_grade_parameters,
    grade,
)
from carexport.db import UnitOfWork
from carexport.domain.text import normalize_identifier
from carexport.errors import Conflict, Forbidden, InputProblem, InvalidInput, NotFound
from carexport.pages.forms import field_errors
from carexport.pages.templating import lang_of, render, see_other

router = APIRouter(include_in_schema=False)

_MAX_ID = 2**31 - 1
_USCC = re.compile(r"[0-9A-Za-z]{1,32}")
_GRADE_PARAMETERS = ("credit.window_days", "credit.repeat", "credit.rectification_days")
_READERS = frozenset({Role.APPLICANT, Role.REVIEWER, Role.SENIOR_REVIEWER, Role.MONITOR})
STALE = (
    "记录已被他人修改，页面已刷新为当前状态，请核对后重试 / the record changed since this "
    "page was loaded: it now shows the current state, check it and try again"
)

SOURCE_LABELS: dict[str, tuple[str, str]] = {
    "reviewer": ("审核员记录", "Recorded by a reviewer"),
    "system": ("预审自动生成", "From the pre-check"),
    "feed": ("信用数据源", "Credit feed"),
    "reconciliation": ("核查比对", "Reconciliation"),
}
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "recorded": ("已记录", "Recorded"),
    "annulled": ("已撤销", "Annulled"),
    "scheduled": ("已安排", "Scheduled"),
    "held": ("已约谈", "Held"),
    "closed": ("已结束", "Closed"),
    "cancelled": ("已取消", "Cancelled"),
    "ordered": ("整改中", "Ordered"),
    "submitted": ("待验收", "Evidence submitted"),
    "accepted": ("已验收", "Accepted"),
    "rejected": ("未通过，待重新提交", "Rejected: to submit again"),
    "in_force": ("暂停中", "In force"),
    "lifted": ("已恢复", "Lifted"),
}
OBJECT_LABELS: dict[str, tuple[str, str]] = {
    "credit_event": ("事件", "Event"),
    "credit_interview": ("约谈", "Interview"),
    "credit_rectification": ("整改", "Rectification"),
    "credit_suspension": ("暂停决定", "Suspension"),
}
ACTION_LABELS: dict[str, tuple[str, str]] = {
    "record": ("记录", "Recorded"),
    "annul": ("撤销", "Annulled"),
    "schedule": ("安排约谈", "Scheduled"),
    "hold": ("记录约谈", "Held"),
    "close": ("结束", "Closed"),
    "cancel": ("取消", "Cancelled"),
    "order": ("责令整改", "Ordered"),
    "submit": ("企业提交整改材料", "Evidence submitted"),
    "accept": ("验收通过", "Accepted"),
    "reject": ("验收不通过", "Rejected"),
    "suspend": ("暂停申请资格", "Suspended"),
    "reinstate": ("恢复申请资格", "Reinstated"),
}
GROUND_LABELS: dict[str, tuple[str, str]] = {
    "repeat_events": ("回溯期内重复事件", "repeat events in the window"),
    "rectification_rejected": ("整改未通过验收", "rectification rejected"),
    "rectification_overdue": ("整改逾期", "rectification overdue"),
}


@dataclass(frozen=True)
class HistoryRow:
    on: date
    at: str
    object_label: tuple[str, str]
    object_id: int
    action_label: tuple[str, str]
    reason: str | None
    who: str


def checked_uscc(uscc: str) -> str:
    if not _USCC.fullmatch(uscc):
        raise NotFound(f"没有该企业 / no enterprise {uscc[:40]}")
    return uscc


def _checked_id(value: int) -> int:
    if not 1 <= value <= _MAX_ID:
        raise NotFound(f"没有该记录 / no record {value}")
    return value


def _require_reader(actor: Actor) -> None:
    if actor.role not in _READERS:
        raise Forbidden("您的角色不能查看信用记录 / your role may not see credit records")


def page_url(uscc: str) -> str:
    return f"/credit/enterprises/{quote(uscc)}"


def app_href(actor: Actor, application_id: int | None) -> str | None:
    """The application's page for this role (None when the role has none)."""
    if application_id is None:
        return None
    if actor.role == Role.APPLICANT:
        return f"/applications/{application_id}"
    if actor.role in AGENCY_ROLES:
        return f"/review/applications/{application_id}"
    if actor.role == Role.MONITOR:
        return f"/monitor/applications/{application_id}"
    return None


def ground_text(ground: str) -> str:
    """`repeat_events:3>=3/730d` → "回溯期内重复事件 3>=3/730d / repeat events …"."""
    code, _, detail = ground.partition(":")
    zh, en = GROUND_LABELS.get(code, (code, code))
    if code.startswith("rectification_"):
        detail = f"#{detail}"
    return f"{zh} {detail} / {en} {detail}".strip()


def parse_as_of(value: str | None, today: date) -> tuple[date, str | None]:
    """The day asked for (today when none); a bad or future day is today with a message."""
    if not value:
        return today, None
    try:
        asked = date.fromisoformat(value)
    except ValueError:
        return today, "日期格式应为 YYYY-MM-DD / the date must be YYYY-MM-DD"
    if asked > today:
        return today, "不能查看未来的日期 / a day after today cannot be shown"
    first = credit_regime_start()
    if asked < first:
        return today, (
            f"信用记录自 {first} 起适用（商贸函〔2025〕648号） / the credit record applies "
            f"from {first}"
        )
    return asked, None


def credit_regime_start() -> date:
    """The first day the credit parameters are in force: no grade before it."""
    table = default_grade_parameters()
    return max(table.parameters[n].values[0].effective_from for n in _GRADE_PARAMETERS)


def graded(record: credit.CreditRecord, related: tuple[page_queries.Related, ...]) -> GradeResult:
    """The grade of the record as the service rebuilt it for `record.as_of`."""
    day = record.as_of
    reinstated = [
        s.reinstated_on
        for s in record.suspensions
        if s.reinstated_on is not None and s.reinstated_on <= day
    ]
    return grade(
        CreditRecord(
            events=tuple(
                GradedEvent(e.item, e.date, e.rectification == "accepted")
                for e in record.events
                if e.status != "annulled"
            ),
            rectifications=tuple(
                GradedRectification(
                    deadline=r.deadline,
                    open=r.status in ("ordered", "rejected"),
                    refused=r.status == "rejected",
                )
                for r in record.rectifications
            ),
            suspended_since=None if record.suspended is None else record.suspended.suspended_on,
            reinstated_on=max(reinstated) if reinstated else None,
            related=tuple(
                RelatedEnterprise(r.uscc, r.state) for r in related if r.state is not None
            ),
        ),
        as_of=day,
    )


def _names(uow: UnitOfWork, actor: Actor) -> dict[int, str]:
    """Usernames for the history: the agency's staff stay anonymous to an exporter."""
    users = accounts.list_users(uow=uow)
    if actor.role == Role.APPLICANT:
        return {u.id: u.username for u in users if u.org_id == actor.org_id}
    return {u.id: u.username for u in users}


def _history(record: credit.CreditRecord, names: dict[int, str], actor: Actor) -> list[HistoryRow]:
    anonymous = "发证机构 / the agency" if actor.role == Role.APPLICANT else "—"
    rows = [
        HistoryRow(
            on=h.on,
            at=h.at,
            object_label=OBJECT_LABELS.get(h.object_kind, (h.object_kind, h.object_kind)),
            object_id=h.object_id,
            action_label=ACTION_LABELS.get(h.action, (h.action, h.action)),
            reason=h.reason,
            who=names.get(h.user_id, anonymous) if h.user_id is not None else "系统 / system",
        )
        for h in record.history
    ]
    rows.reverse()  # the latest first
    return rows


def page_context(
    uow: UnitOfWork, request: Request, actor: Actor, uscc: str, as_of: date
) -> dict[str, Any]:
    """Everything the enterprise's credit page shows, as of the end of `as_of`."""
    _require_reader(actor)
    key = normalize_identifier(uscc) or ""
    if actor.role == Role.APPLICANT and normalize_identifier(actor.org_uscc) != key:
        raise NotFound("没有该企业的信用记录 / no such credit record")
    today = clock.today()
    found = page_queries.enterprise(uow=uow, actor=actor, uscc=uscc, as_of=as_of)
    record = credit.credit_record(uow=uow, actor=actor, enterprise_uscc=found.uscc, as_of=as_of)
    result = graded(record, found.related)
    window_start = as_of - timedelta(days=result.parameters.window_days)
    counted = [(e.date, e.item) for e in record.events if e.status != "annulled"]
    data = chart.chart_data(counted, start=window_start, end=as_of)
    lang = lang_of(request)
    orders: dict[int, credit.RectificationView] = {}
    for rect in sorted(record.rectifications, key=lambda r: r.id):
        orders.update(dict.fromkeys(rect.event_ids, rect))
    by_item: dict[int, list[Any]] = {}
    for event in sorted(record.events, key=lambda e: (e.date, e.id), reverse=True):
        by_item.setdefault(event.item, []).append(_event_row(actor, event, orders.get(event.id)))
    past = as_of < today
    agency = actor.role in AGENCY_ROLES
    open_interview_events = {i for iv in record.open_interviews for i in iv.event_ids}
    ordered_events = {
        i for r in record.rectifications if r.status != "accepted" for i in r.event_ids
    }
    live = [e for e in record.events if e.status != "annulled"]
    apps, more = page_queries.applications_of(uow=uow, actor=actor, uscc=found.uscc, as_of=as_of)
    # The deadline an order made today would get, shown before it is sent.
    working_days, deadline = credit.rectification_deadline(today)
    mine = actor.org_id
    return {
        "e": {
            "uscc": found.uscc,
            "name": found.name,
            "legal_rep": next(
                (p.masked for p in found.persons if p.role == "legal_representative"), None
            ),
            "persons": [p.masked for p in found.persons if p.role == "related_person"],
        },
        "base": page_url(found.uscc),
        "as_of": as_of,
        "on_today": today,
        "regime_start": credit_regime_start(),
        "past": past,
        "grade": result,
        "chart": data,
        "chart_svg": chart.render_svg(data, lang=lang),
        "items": chart.ITEMS,
        "item_labels": ITEM_LABELS,
        "item_colours": chart.ITEM_COLOURS,
        "events_by_item": [(item, by_item[item]) for item in sorted(by_item)],
        "schedulable": [e for e in live if e.id not in open_interview_events],
        "rectifiable": [
            e for e in live if e.id not in ordered_events and e.rectification != "accepted"
        ],
        "interviews": [
            _with_labels(iv, mine_=iv.agency_org_id == mine)
            for iv in sorted(record.interviews, key=lambda i: i.id, reverse=True)
        ],
        "rectifications": [
            _with_labels(rc, mine_=rc.agency_org_id == mine)
            for rc in sorted(record.rectifications, key=lambda r: r.id, reverse=True)
        ],
        "suspension": record.suspended,
        "suspension_mine": record.suspended is not None and record.suspended.agency_org_id == mine,
        "suspensions": [
            _with_labels(
                s, mine_=s.agency_org_id == mine, ground_texts=[ground_text(g) for g in s.grounds]
            )
            for s in sorted(record.suspensions, key=lambda s: s.id, reverse=True)
        ],
        "crossed": [ground_text(g) for g in record.exit_grounds],
        "applications": [{**a.__dict__, "href": app_href(actor, a.id)} for a in apps],
        "applications_more": more,
        "related": [
            {
                "uscc": r.uscc,
                "name": r.name,
                "state": None if r.state is None else r.state.value,
                "href": None if actor.role == Role.APPLICANT else page_url(r.uscc),
                "chain": [
                    {
                        "from_name": found.name,
                        "from_uscc": found.uscc,
                        "person": link.person,
                        "role": link.role_here,
                        "role_there": link.role_there,
                        "to_name": r.name,
                        "to_uscc": r.uscc,
                    }
                    for link in r.links
                ],
            }
            for r in found.related
        ],
        "history": _history(record, _names(uow, actor), actor),
        "can_act": agency and not past,
        "can_submit": actor.role == Role.APPLICANT and not past,
        "deadline_hint": (working_days, deadline),
        "max_file_bytes": get_settings().max_material_bytes,
        "back": _back(actor),
        # The section the page belongs to in each role's navigation.
        "nav_current": "/review"
        if agency
        else "/monitor"
        if actor.role == Role.MONITOR
        else "/applications",
    }


def _back(actor: Actor) -> tuple[str, str, str]:
    if actor.role == Role.APPLICANT:
        return ("/applications", "我的申请", "My applications")
    return ("/credit", "信用监管", "Credit supervision")


def _flat(view: Any, **extra: Any) -> dict[str, Any]:
    """A service view's fields as a dict (what the template reads), with `extra`."""
    return {**{f.name: getattr(view, f.name) for f in fields(view)}, **extra}


def _event_row(
    actor: Actor, e: credit.EventView, order: credit.RectificationView | None
) -> dict[str, Any]:
    """An event with its links, and the latest rectification order that names it."""
    return _flat(
        e,
        app_href=app_href(actor, e.application_id),
        source_label=SOURCE_LABELS.get(e.source, (e.source, e.source)),
        annulled=e.status == "annulled",
        order=None
        if order is None
        else {
            "id": order.id,
            "status_label": STATUS_LABELS.get(order.status, (order.status, order.status)),
            "overdue": order.overdue,
        },
    )


def _with_labels(view: Any, *, mine_: bool, **extra: Any) -> dict[str, Any]:
    return _flat(
        view,
        status_label=STATUS_LABELS.get(view.status, (view.status, view.status)),
        mine=mine_,
        **extra,
    )


def credit_page(
    request: Request,
    actor: Actor,
    uscc: str,
    *,
    as_of: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    open_form: str = "",
    status_code: int = 200,
) -> Response:
    today = clock.today()
    day, problem = parse_as_of(as_of, today)
    shown = dict(errors or {})
    if problem is not None:
        shown["as_of"] = problem
        status_code = 422 if status_code == 200 else status_code
    with UnitOfWork() as uow:  # rendered inside: leaving the unit of work expires rows
        context = page_context(uow, request, actor, checked_uscc(uscc), day)
        context.update(errors=shown, form=form or {}, open_form=open_form)
        return render(request, "credit/enterprise.html", context, status_code=status_code)


# --- reading ---------------------------------------------------------------------------


@router.get("/credit")
def credit_home(request: Request, actor: PageActor, uscc: str = "") -> Response:
    """The exporter: its own page. Agency staff and the monitor: the overdue
    rectifications (an agency its own orders) and a USCC to open any record."""
    _require_reader(actor)
    if actor.role == Role.APPLICANT:
        return see_other(page_url(actor.org_uscc or "-"))
    wanted = uscc.strip()
    if wanted and _USCC.fullmatch(wanted):
        return see_other(page_url(normalize_identifier(wanted) or wanted))
    with UnitOfWork() as uow:
        overdue = credit.overdue_rectifications(uow=uow, actor=actor)
        names = {
            normalize_identifier(o.uscc): o.name
            for o in accounts.list_orgs(uow=uow)
            if o.uscc is not None
        }
        return render(
            request,
            "credit/home.html",
            {
                "overdue": overdue,
                "supervised": page_queries.supervised(uow=uow, actor=actor),
                "names": names,
                "uscc": wanted,
                "bad_uscc": bool(wanted),
                "on_today": clock.today(),
                "nav_current": "/review" if actor.role in AGENCY_ROLES else "/monitor",
            },
        )


@router.get("/credit/grading")
def grading(request: Request, actor: PageActor) -> Response:
    """How the grade is computed (docs/credit.md, in short)."""
    _require_reader(actor)
    today = clock.today()
    example = grade(CreditRecord(), as_of=today)
    return render(
        request,
        "credit/grading.html",
        {"parameters": example.parameters, "labels": GRADE_LABELS, "grades": list(Grade)},
    )


@router.get("/credit/enterprises/{uscc}")
def enterprise_page(
    request: Request, actor: PageActor, uscc: str, as_of: str | None = None
) -> Response:
    return credit_page(request, actor, uscc, as_of=as_of)


@router.get("/credit/files/{file_id}")
def download(request: Request, actor: PageActor, file_id: int) -> Response:
    """An evidence file, for whoever may read its record (else 404), as an attachment
    (never rendered inline: a PDF or image from outside is not this site's content)."""
    with UnitOfWork() as uow:
        found = credit.open_evidence(uow=uow, actor=actor, file_id=_checked_id(file_id))
        name, media_type, path = found.view.filename, found.view.content_type, found.path
    return FileResponse(
        path,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "sandbox",
        },
    )


# --- acting ----------------------------------------------------------------------------


def _uploads(files: list[UploadFile] | None) -> list[Upload]:
    """The files a form sent; an empty file input sends one nameless empty part."""
    limit = get_settings().max_material_bytes
    out = []
    for f in files or []:
        # One byte over the limit is enough for the service to refuse it; the body
        # limit bounds the rest.
        data = f.file.read(limit + 1)
        if not f.filename and not data:
            continue
        out.append(Upload(filename=f.filename, data=data))
    return out


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            [InputProblem("form", name, "请填写日期（YYYY-MM-DD） / enter a date (YYYY-MM-DD)")]
        ) from None


def _ids(values: list[str] | None) -> list[int]:
    out = []
    for v in values or []:
        try:
            number = int(v)
        except ValueError:
            continue
        if 1 <= number <= _MAX_ID:
            out.append(number)
    return out


def _need_events(ids: list[int]) -> None:
    if not ids:
        raise InvalidInput(
            [InputProblem("form", "event_ids", "请至少选择一项事件 / choose at least one event")]
        )


def _acted(
    request: Request,
    actor: Actor,
    uscc: str,
    act: Callable[[UnitOfWork], str],
    *,
    form: dict[str, Any],
    open_form: str,
    anchor: str = "",
) -> Response:
    """Run one use case; back to the page with its message (303), or the page with the
    problems beside the form (422), or reloaded with a stale-form message (409)."""
    checked_uscc(uscc)
    try:
        with UnitOfWork() as uow:
            done = act(uow)
    except InvalidInput as exc:
        errors = {(k.removeprefix("body.") if k else ""): v for k, v in field_errors(exc).items()}
        # A service problem named after the file or a field the form does not show
        # goes to the top of the form.
        known = {
            "item",
            "on",
            "description",
            "files",
            "file",
            "event_ids",
            "scheduled_on",
            "place",
            "held_on",
            "attendees",
            "minutes",
            "outcome",
            "measures",
            "decision",
            "reason",
            "note",
        }
        if "file" in errors:
            errors["files"] = errors.pop("file")
        shown = {k if k in known else "": v for k, v in errors.items()}
        return credit_page(
            request, actor, uscc, errors=shown, form=form, open_form=open_form, status_code=422
        )
    except Conflict as exc:
        message = str(exc) if getattr(exc, "version", None) is None else STALE
        flash(request, message)
        return see_other(page_url(uscc) + anchor, request)
    flash(request, done)
    return see_other(page_url(uscc) + anchor, request)


@router.post("/credit/enterprises/{uscc}/events")
def record_event(
    request: Request,
    actor: AgencyPage,
    uscc: str,
    item: Annotated[str, Form()] = "",
    on: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    form = {"item": item, "on": on, "description": description}
    uploads = _uploads(files)

    def act(uow: UnitOfWork) -> str:
        try:
            number = int(item)
        except ValueError:
            number = 0
        event = credit.record_event(
            uow=uow,
            actor=actor,
            enterprise_uscc=uscc,
            item=number,
            date=_day(on, "on"),
            description=description,
            files=uploads,
        )
        return (
            f"已记录事件 #{event.id}（附件1第{event.item}项） / event #{event.id} recorded "
            f"(Annex 1 item {event.item})"
        )

    return _acted(request, actor, uscc, act, form=form, open_form="event", anchor="#events-heading")


@router.post("/credit/enterprises/{uscc}/interviews")
def schedule_interview(
    request: Request,
    actor: AgencyPage,
    uscc: str,
    event_ids: Annotated[list[str] | None, Form()] = None,
    scheduled_on: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
) -> Response:
    form = {"event_ids": event_ids or [], "scheduled_on": scheduled_on, "place": place}

    def act(uow: UnitOfWork) -> str:
        ids = _ids(event_ids)
        _need_events(ids)
        interview = credit.schedule_interview(
            uow=uow,
            actor=actor,
            enterprise_uscc=uscc,
            event_ids=ids,
            scheduled_on=_day(scheduled_on, "scheduled_on"),
            place=place or None,
        )
        return (
            f"已安排约谈 #{interview.id}（{interview.scheduled_on}） / interview "
            f"#{interview.id} scheduled for {interview.scheduled_on}"
        )

    return _acted(
        request, actor, uscc, act, form=form, open_form="schedule", anchor="#interviews-heading"
    )


@router.post("/credit/enterprises/{uscc}/interviews/{interview_id}/hold")
def hold_interview(
    request: Request,
    actor: AgencyPage,
    uscc: str,
    interview_id: int,
    version: Annotated[int, Form(ge=1, le=_MAX_ID)],
    held_on: Annotated[str, Form()] = "",
    attendees: Annotated[str, Form()] = "",
    minutes: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
) -> Response:
    form = {"held_on": held_on, "attendees": attendees, "minutes": minutes, "outcome": outcome}

    def act(uow: UnitOfWork) -> str:
        interview = credit.record_interview(
            uow=uow,
            actor=actor,
            interview_id=_checked_id(interview_id),
            version=version,
            held_on=_day(held_on, "held_on"),
            attendees=[a for a in re.split(r"[\n、,，;；]", attendees) if a.strip()],
            minutes=minutes,
            outcome=outcome,
        )
        return f"已记录约谈 #{interview.id} / interview #{interview.id} recorded"

    return _acted(
        request,
        actor,
        uscc,
        act,
        form=form,
        open_form=f"hold-{interview_id}",
        anchor=f"#interview-{interview_id}",
    )


@router.post("/credit/enterprises/{uscc}/interviews/{interview_id}/cancel")
def cancel_interview(
    request: Request,
    actor: AgencyPage,
    uscc: str,
    interview_id: int,
    version: Annotated[int, Form(ge=1, le=_MAX_ID)],
    reason: Annotated[str, Form()] = "",
) -> Response:
    def act(uow: UnitOfWork) -> str:
        credit.cancel_interview(
            uow=uow,
            actor=actor,
            interview_id=_checked_id(interview_id),
            version=version,
            reason=reason,
        )
        return f"已取消约谈 #{interview_id} / interview #{interview_id} cancelled"

    return _acted(
        request,
        actor,
        uscc,
        act,
        form={"reason": reason},
        open_form=f"cancel-{interview_id}",
        anchor=f"#interview-{interview_id}",
    )


@router.post("/credit/enterprises/{uscc}/interviews/{interview_id}/close")
def close_interview(
    request: Request,
    actor: AgencyPage,
    uscc: str,
    interview_id: int,
    version: Annotated[int, Form(ge=1, le=_MAX_ID)],
) -> Response:
    def act(uow: UnitOfWork) -> str:
        credit.close_interview(
            uow=uow, actor=actor, interview_id=_checked_id(interview_id), version=version
        )
        return f"约谈 #{interview_id} 已结束 / interview #{interview_id} closed"

    return _acted(
        request,
        actor,
        uscc,
        act,
        form={},
        open_form="",
        anchor=f"#interview-{interview_id}",
    )


@router.post("/credit/enterprises/{uscc}/rectifications")
def order_rectification(
    request: Request,
    actor: AgencyPage,
    uscc: str,
    event_ids: Annotated[list[str] | None, Form()] = None,
    measures: Annotated[str, Form()] = "",
    interview_id: Annotated[str, Form()] = "",
) -> Response:
    form = {"event_ids": event_ids or [], "measures": measures, "interview_id": interview_id}

    def act(uow: UnitOfWork) -> str:
        ids = _ids(event_ids)
        _need_events(ids)
        interview = _ids([interview_id])
        rect = credit.order_rectification(
            uow=uow,
            actor=actor,
            enterprise_uscc=uscc,
            event_ids=ids,
            measures=measures,
            interview_id=interview[0] if interview else None,
        )
        return (
            f"已责令整改 #{rect.id}，期限 {rect.deadline}（{rect.working_days}个工作日） / "
            f"rectification #{rect.id} ordered, due {rect.deadline} ({rect.working_days} "
            "working days)"
        )

    return _acted(
        request, actor, uscc, act, form=form, open_form="order", anchor="#rectifications-heading"
    )


@router.post("/credit/enterprises/{uscc}/rectifications/{rectification_id}/review")
def review_rectification(
    request: Request,
    actor: AgencyPage,
    uscc: str,
    rectification_id: int,
    version: Annotated[int, Form(ge=1, le=_MAX_ID)],
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    form = {"decision": decision, "reason": reason}

    def act(uow: UnitOfWork) -> str:
        number = _checked_id(rectification_id)
        if decision == "accept":
            credit.accept_rectification(
                uow=uow,
                actor=actor,
                rectification_id=number,
                version=version,
                reason=reason or None,
            )
            return f"整改 #{number} 已验收通过 / rectification #{number} accepted"
        if decision == "reject":
            credit.reject_rectification(
                uow=uow, actor=actor, rectification_id=number, version=version, reason=reason
            )
            return (
                f"整改 #{number} 未通过验收，已通知企业重新提交 / rectification #{number} "
                "rejected: the exporter submits again"
            )
        raise InvalidInput(
            [InputProblem("form", "decision", "请选择通过或不予通过 / choose accept or reject")]
        )

    return _acted(
        request,
        actor,
        uscc,
        act,
        form=form,
        open_form=f"review-{rectification_id}",
        anchor=f"#rectification-{rectification_id}",
    )


@router.post("/credit/enterprises/{uscc}/rectifications/{rectification_id}/evidence")
def submit_evidence(
    request: Request,
    actor: ApplicantPage,
    uscc: str,
    rectification_id: int,
    version: Annotated[int, Form(ge=1, le=_MAX_ID)],
    note: Annotated[str, Form()] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    form = {"note": note}
    uploads = _uploads(files)

    def act(uow: UnitOfWork) -> str:
        number = _checked_id(rectification_id)
        credit.submit_rectification_evidence(
            uow=uow,
            actor=actor,
            rectification_id=number,
            version=version,
            note=note,
            files=uploads,
        )
        return (
            f"整改材料已提交（{len(uploads)}个文件），等待发证机构验收 / evidence submitted "
            f"({len(uploads)} file(s)): the agency will review it"
        )

    return _acted(
        request,
        actor,
        uscc,
        act,
        form=form,
        open_form=f"evidence-{rectification_id}",
        anchor=f"#rectification-{rectification_id}",
    )


@router.post("/credit/enterprises/{uscc}/suspend")
def suspend(
    request: Request, actor: AgencyPage, uscc: str, reason: Annotated[str, Form()] = ""
) -> Response:
    form = {"reason": reason}

    def act(uow: UnitOfWork) -> str:
        decision = credit.suspend(uow=uow, actor=actor, enterprise_uscc=uscc, reason=reason)
        return (
            f"已暂停该企业的申请资格（决定 {decision.decision_no}） / suspended from filing "
            f"(decision {decision.decision_no})"
        )

    return _acted(
        request, actor, uscc, act, form=form, open_form="suspension", anchor="#suspension-heading"
    )


@router.post("/credit/enterprises/{uscc}/reinstate")
def reinstate(
    request: Request,
    actor: AgencyPage,
    uscc: str,
    suspension_id: Annotated[int, Form(ge=1, le=_MAX_ID)],
    version: Annotated[int, Form(ge=1, le=_MAX_ID)],
    reason: Annotated[str, Form()] = "",
) -> Response:
    form = {"reason": reason}

    def act(uow: UnitOfWork) -> str:
        decision = credit.reinstate(
            uow=uow, actor=actor, suspension_id=suspension_id, version=version, reason=reason
        )
        return (
            f"已恢复申请资格（决定 {decision.decision_no}） / reinstated (decision "
            f"{decision.decision_no})"
        )

    return _acted(
        request, actor, uscc, act, form=form, open_form="suspension", anchor="#suspension-heading"
    )


def overdue_panel(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The overdue rectifications for a queue or a dashboard (the agency its own
    orders, the exporter its own), each with its page and days past the deadline."""
    today = clock.today()
    return [
        {
            "id": r.id,
            "uscc": r.enterprise_uscc,
            "href": page_url(r.enterprise_uscc) + f"#rectification-{r.id}",
            "deadline": r.deadline,
            "days": (today - r.deadline).days,
            "status": r.status,
        }
        for r in credit.overdue_rectifications(uow=uow, actor=actor)
    ]
