"""Pages of the issuing agency: the review queue, the countersign queue, an application
with its verdict, credit record, versions and timeline, the decision and notes.

Routes parse the form, call applications.service / notes / queues (the same services as
the JSON API), and render; what an action may do is decided by the services and the
transition table, whose refusals are shown on the page as their messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from carexport import clock
from carexport.accounts import service as accounts
from carexport.accounts.actor import Actor
from carexport.accounts.enums import AGENCY_ROLES, Role
from carexport.accounts.page_auth import AgencyPage, SeniorReviewerPage, flash
from carexport.applications import notes, queues, service
from carexport.applications.enums import UNDER_REVIEW, Action, ApplicationStatus
from carexport.applications.models import Application
from carexport.applications.transitions import (
    ActionConflict,
    ActionForbidden,
    ReasonRequired,
    next_status,
    verdict_needs_review,
)
from carexport.credit import service as credit
from carexport.db import UnitOfWork
from carexport.errors import InvalidInput, NotFound
from carexport.pages.forms import field_errors
from carexport.pages.labels import VERBS
from carexport.pages.templating import render, see_other

router = APIRouter(include_in_schema=False)

_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: str  # UTC, as the audit chain holds it
    verb: str
    label: tuple[str, str]
    who: str
    reason: str | None
    payload: dict[str, Any]
    note: notes.NoteView | None


@dataclass(frozen=True)
class VersionRow:
    number: int
    saved_at: datetime
    saved_by: str
    vehicles: int
    added: list[str]
    removed: list[str]


@dataclass(frozen=True)
class DecisionForm:
    """What the decision form offers this actor now (from the transition table)."""

    shown: bool
    approve_refusal: str | None  # the 409 an approval would get (a failing verdict)
    approve_needs_reason: bool  # a `review` verdict: the approval is a recommendation
    countersign: bool


def checked_id(application_id: int) -> int:
    if not 1 <= application_id <= _MAX_ID:
        raise NotFound(f"没有该申请 / no application {application_id}")
    return application_id


def _decision_form(actor: Actor, app: Application) -> DecisionForm:
    if actor.role not in AGENCY_ROLES or app.status not in {s.value for s in UNDER_REVIEW}:
        return DecisionForm(False, None, False, False)
    status = ApplicationStatus(app.status)
    is_recommender = app.recommended_by is not None and app.recommended_by == actor.user_id
    try:
        next_status(
            status=status,
            action=Action.RETURN,
            role=actor.role,
            reason="-",
            is_recommender=is_recommender,
        )
    except (ActionForbidden, ActionConflict):
        return DecisionForm(False, None, False, status == ApplicationStatus.COUNTERSIGN)
    refusal: str | None = None
    try:
        next_status(
            status=status,
            action=Action.APPROVE,
            role=actor.role,
            verdict=app.verdict,
            reason="-",
            is_recommender=is_recommender,
        )
    except ActionConflict as exc:
        refusal = str(exc)
    needs_reason = status == ApplicationStatus.SUBMITTED and verdict_needs_review(app.verdict)
    return DecisionForm(True, refusal, needs_reason, status == ApplicationStatus.COUNTERSIGN)


def _versions(uow: UnitOfWork, app: Application, names: dict[str, str]) -> list[VersionRow]:
    rows: list[VersionRow] = []
    before: list[str] = []
    for version in service.content_versions(uow=uow, application=app):
        vins = [str(v.get("vin")) for v in version.content.get("vehicles") or []]
        rows.append(
            VersionRow(
                number=version.number,
                saved_at=version.saved_at,
                saved_by=names.get(str(version.saved_by), "—"),
                vehicles=len(vins),
                added=[v for v in vins if v not in before] if rows else [],
                removed=[v for v in before if v not in vins],
            )
        )
        before = vins
    return rows


def _timeline(
    entries: list[dict[str, Any]], names: dict[str, str], by_id: dict[int, notes.NoteView]
) -> list[TimelineEntry]:
    timeline = []
    for entry in entries:
        payload = dict(entry.get("payload") or {})
        note_id = payload.get("note")
        timeline.append(
            TimelineEntry(
                seq=entry["seq"],
                at=entry["at"],
                verb=entry["verb"],
                label=VERBS.get(entry["verb"], (entry["verb"], entry["verb"])),
                who=names.get(str(entry["actor"]), str(entry["actor"])),
                reason=payload.get("reason"),
                payload=payload,
                note=by_id.get(note_id) if isinstance(note_id, int) else None,
            )
        )
    return timeline


def application_context(uow: UnitOfWork, actor: Actor, application_id: int) -> dict[str, Any]:
    """Everything the agency's (and the monitor's) application page shows."""
    app = service.get(uow=uow, actor=actor, application_id=checked_id(application_id))
    names = {str(u.id): u.username for u in accounts.list_users(uow=uow)}
    found_notes = notes.notes_for(uow=uow, actor=actor, application_id=app.id)
    by_id = {n.id: n for n in found_notes}
    history = service.history(uow=uow, actor=actor, application_id=app.id)
    content = app.content or {}
    vehicles = {str(v.get("vin")): v for v in content.get("vehicles") or []}
    timeline = _timeline(history, names, by_id)
    recommendation = next(
        (e for e in reversed(timeline) if e.verb == "application.recommended"), None
    )
    verdict = app.verdict or {}
    return {
        "app": app,
        "content": content,
        "verdict": verdict,
        "verdict_vehicles": [
            (v, vehicles.get(str(v.get("vin")), {})) for v in verdict.get("vehicles") or []
        ],
        "credit_events": credit.credit_events(uow=uow, enterprise_keys=[app.enterprise_key]),
        "versions": _versions(uow, app, names),
        "timeline": timeline,
        "notes": found_notes,
        "license": service.license_of(uow=uow, application=app),
        "recommended_by": names.get(str(app.recommended_by)) if app.recommended_by else None,
        # Shown beside the recommender, where the countersigning reviewer decides.
        "recommended_reason": None
        if app.recommended_by is None or recommendation is None
        else recommendation.reason,
        "form": _decision_form(actor, app),
        "can_note": actor.role in AGENCY_ROLES,
        "overdue": app.due_on is not None
        and app.status in {s.value for s in UNDER_REVIEW}
        and app.due_on < clock.today(),
    }


def _application_page(
    request: Request,
    actor: Actor,
    application_id: int,
    *,
    errors: dict[str, str] | None = None,
    decision: dict[str, str] | None = None,
    note_form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with UnitOfWork() as uow:  # rendered inside: leaving the unit of work expires rows
        context = application_context(uow, actor, application_id)
        # The queue the application sits in: the back link and the highlighted nav item
        # (a senior reviewer coming from 会签队列 is still in 会签队列).
        queue = (
            "/review/countersign"
            if context["app"].status == ApplicationStatus.COUNTERSIGN
            and actor.role == Role.SENIOR_REVIEWER
            else "/review"
        )
        context.update(
            errors=errors or {},
            decision=decision or {"action": "", "reason": ""},
            note_form=note_form or {"text": "", "visibility": "internal"},
            base=queue,
            read_only=False,
            nav_current=queue,
        )
        return render(
            request, "applications/review_application.html", context, status_code=status_code
        )


def queue_page(
    request: Request,
    actor: Actor,
    status: ApplicationStatus,
    *,
    page: int,
    agency_id: int | None = None,
    base: str = "/review",
    self_url: str = "/review",
) -> Response:
    with UnitOfWork() as uow:
        queue = queues.agency_queue(
            uow=uow, actor=actor, status=status, agency_id=agency_id, page=page
        )
        # The agency's own rectification orders past their deadline (issue 18): shown
        # above its review queue, where its staff start the day.
        overdue = (
            credit.overdue_rectifications(uow=uow, actor=actor)
            if actor.role in AGENCY_ROLES
            else []
        )
        return render(
            request,
            "applications/review_queue.html",
            {"queue": queue, "base": base, "self_url": self_url, "credit_overdue": overdue},
        )


@router.get("/review")
def review_queue(request: Request, actor: AgencyPage, page: int = 1) -> Response:
    return queue_page(request, actor, ApplicationStatus.SUBMITTED, page=page)


@router.get("/review/countersign")
def countersign_queue(request: Request, actor: SeniorReviewerPage, page: int = 1) -> Response:
    return queue_page(
        request, actor, ApplicationStatus.COUNTERSIGN, page=page, self_url="/review/countersign"
    )


@router.get("/review/applications/{application_id}")
def review_application(request: Request, actor: AgencyPage, application_id: int) -> Response:
    return _application_page(request, actor, application_id)


ACTION_LABELS = {
    Action.APPROVE: "批准 / approved",
    Action.REFUSE: "不予批准 / refused",
    Action.RETURN: "退回补正 / returned for correction",
}


@router.post("/review/applications/{application_id}/decision")
def decide(
    request: Request,
    actor: AgencyPage,
    application_id: int,
    version: Annotated[int, Form(ge=1, le=_MAX_ID)],
    action: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    checked_id(application_id)
    decision = {"action": action, "reason": reason}
    try:
        chosen = Action(action)
    except ValueError:
        chosen = None
    if chosen not in ACTION_LABELS:
        errors = {"action": "请选择批准、不予批准或退回补正 / choose approve, refuse or return"}
        return _application_page(
            request, actor, application_id, errors=errors, decision=decision, status_code=422
        )
    assert chosen is not None
    try:
        with UnitOfWork() as uow:
            app = service.decide(
                uow=uow,
                actor=actor,
                application_id=application_id,
                version=version,
                action=chosen,
                reason=reason.strip() or None,
            )
            status, number = app.status, app.application_no
            lic = service.license_of(uow=uow, application=app)
            license_no = None if lic is None else lic.license_no
    except (ReasonRequired, InvalidInput) as exc:
        return _application_page(
            request,
            actor,
            application_id,
            errors=field_errors(exc),
            decision=decision,
            status_code=422,
        )
    except ActionConflict as exc:
        return _application_page(
            request,
            actor,
            application_id,
            errors={"": str(exc)},
            decision=decision,
            status_code=409,
        )
    if status == ApplicationStatus.COUNTERSIGN:
        message = (
            f"{number} 已建议批准，送高级审核员会签 / {number} recommended: sent to countersign"
        )
    elif license_no:
        message = f"{number} 已批准，许可证 {license_no} / {number} approved: license {license_no}"
    else:
        zh, _, en = ACTION_LABELS[chosen].partition(" / ")
        message = f"{number} {zh} / {number} {en}"
    flash(request, message)
    return see_other(f"/review/applications/{application_id}", request)


@router.post("/review/applications/{application_id}/notes")
def add_note(
    request: Request,
    actor: AgencyPage,
    application_id: int,
    text: Annotated[str, Form()] = "",
    visibility: Annotated[str, Form()] = "internal",
) -> Response:
    checked_id(application_id)
    shared = visibility == "exporter"
    try:
        with UnitOfWork() as uow:
            notes.add_note(
                uow=uow,
                actor=actor,
                application_id=application_id,
                text=text,
                visible_to_exporter=shared,
            )
    except InvalidInput as exc:
        return _application_page(
            request,
            actor,
            application_id,
            errors=field_errors(exc),
            note_form={"text": text[:10_000], "visibility": visibility},
            status_code=422,
        )
    if shared:
        flash(request, "备注已添加，企业可见 / note added, visible to the exporter")
    else:
        flash(request, "内部备注已添加 / internal note added")
    return see_other(f"/review/applications/{application_id}#notes", request)
