"""License pages: the licenses a user may see, one license with its annex (taken from
the registration records when it was issued), status, validity and history, and the
extension form for a reviewer of its agency. Its exporter, its agency and the monitor
see it; anyone else gets 404 (the service decides)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from carexport import audit, clock
from carexport.accounts import service as accounts
from carexport.accounts.actor import Actor
from carexport.accounts.enums import AGENCY_ROLES, Role
from carexport.accounts.page_auth import AgencyPage, PageActor, flash
from carexport.applications import queues, service
from carexport.applications.enums import EXTENDABLE
from carexport.db import UnitOfWork
from carexport.errors import Conflict, InvalidInput
from carexport.pages.forms import field_errors
from carexport.pages.labels import VERBS
from carexport.pages.templating import render, see_other

router = APIRouter(include_in_schema=False)


def _application_href(actor: Actor, application_id: int | None) -> str | None:
    if application_id is None:
        return None
    if actor.role in AGENCY_ROLES:
        return f"/review/applications/{application_id}"
    if actor.role == Role.MONITOR:
        return f"/monitor/applications/{application_id}"
    return f"/applications/{application_id}"


@router.get("/licenses")
def licenses(request: Request, actor: PageActor, page: int = 1) -> Response:
    with UnitOfWork() as uow:
        found = queues.licenses_for(uow=uow, actor=actor, page=page)
        return render(request, "applications/license_list.html", {"licenses": found})


def _license_page(
    request: Request,
    actor: Actor,
    license_no: str,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with UnitOfWork() as uow:
        view = service.get_license(uow=uow, actor=actor, license_no=license_no)
        lic = view.license
        # An exporter sees its own people by name and the agency's staff as "the agency"
        # (as on its application page); the agency and the monitor see every name.
        names = {
            str(u.id): u.username
            for u in accounts.list_users(uow=uow)
            if actor.role != Role.APPLICANT or u.org_id == actor.org_id
        }
        number = lic.license_no or license_no
        history: list[dict[str, Any]] = []
        for entry in audit.entries_for(uow.session, [(service.LICENSE, number)]):
            payload = entry.payload or {}
            history.append(
                {
                    "at": audit.format_at(entry.at),
                    "label": VERBS.get(entry.verb, (entry.verb, entry.verb)),
                    "who": names.get(entry.actor),
                    "reason": payload.get("reason"),
                    "versions": payload.get("versions") or {},
                }
            )
        context = {
            "lic": lic,
            "annex": view.annex,
            "history": history,
            "application_href": _application_href(actor, lic.application_id),
            "can_extend": actor.role in AGENCY_ROLES
            and lic.status in {s.value for s in EXTENDABLE},
            "errors": errors or {},
            "form": form or {"valid_to": "", "reason": ""},
            "expired": lic.valid_to is not None and lic.valid_to < clock.today(),
        }
        return render(request, "applications/license_detail.html", context, status_code=status_code)


@router.get("/licenses/{license_no}")
def license_detail(request: Request, actor: PageActor, license_no: str) -> Response:
    return _license_page(request, actor, license_no)


@router.post("/licenses/{license_no}/extend")
def extend(
    request: Request,
    actor: AgencyPage,
    license_no: str,
    valid_to: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    form = {"valid_to": valid_to[:40], "reason": reason}
    try:
        new_valid_to = date.fromisoformat(valid_to.strip())
    except ValueError:
        return _license_page(
            request,
            actor,
            license_no,
            errors={"valid_to": "请输入日期，如 2026-12-31 / enter a date such as 2026-12-31"},
            form=form,
            status_code=422,
        )
    try:
        with UnitOfWork() as uow:
            view = service.extend_license(
                uow=uow,
                actor=actor,
                license_no=license_no,
                valid_to=new_valid_to,
                reason=reason.strip() or None,
            )
            number = view.license.license_no or license_no
            shown = view.license.valid_to
    except InvalidInput as exc:
        return _license_page(
            request, actor, license_no, errors=field_errors(exc), form=form, status_code=422
        )
    except Conflict as exc:
        return _license_page(
            request, actor, license_no, errors={"": str(exc)}, form=form, status_code=409
        )
    flash(request, f"{number} 已延期至 {shown} / {number} extended to {shown}")
    return see_other(f"/licenses/{number}", request)
