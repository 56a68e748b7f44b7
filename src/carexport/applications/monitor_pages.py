"""Pages of the monitor (商务部), read-only: every agency's queue with its overdue,
countersign and decision counts and its departures from the verdict; any agency's queue;
any submitted application. Nothing here changes anything: there is no POST route, and
the agency's POST routes refuse the monitor's role (403)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from carexport import clock
from carexport.accounts.page_auth import MonitorPage
from carexport.accounts.regions import PROVINCES
from carexport.applications import queues
from carexport.applications.enums import ApplicationStatus
from carexport.applications.review_pages import application_context, queue_page
from carexport.db import UnitOfWork
from carexport.errors import NotFound
from carexport.pages.templating import render

router = APIRouter(include_in_schema=False)

_MAX_ID = 2**63 - 1


def _agency_id(org_id: int) -> int:
    if not 1 <= org_id <= _MAX_ID:
        raise NotFound(queues.NOT_AN_AGENCY)
    return org_id


@router.get("/monitor")
def overview(request: Request, actor: MonitorPage) -> Response:
    with UnitOfWork() as uow:
        table = queues.monitor_overview(uow=uow, actor=actor)
        return render(
            request,
            "applications/monitor_overview.html",
            {"agencies": table, "as_of": clock.today(), "region_names": PROVINCES},
        )


@router.get("/monitor/agencies/{org_id}")
def agency_queue(request: Request, actor: MonitorPage, org_id: int, page: int = 1) -> Response:
    return queue_page(
        request,
        actor,
        ApplicationStatus.SUBMITTED,
        page=page,
        agency_id=_agency_id(org_id),
        base="/monitor",
        self_url=f"/monitor/agencies/{org_id}",
    )


@router.get("/monitor/agencies/{org_id}/countersign")
def agency_countersign(
    request: Request, actor: MonitorPage, org_id: int, page: int = 1
) -> Response:
    return queue_page(
        request,
        actor,
        ApplicationStatus.COUNTERSIGN,
        page=page,
        agency_id=_agency_id(org_id),
        base="/monitor",
        self_url=f"/monitor/agencies/{org_id}/countersign",
    )


@router.get("/monitor/applications/{application_id}")
def application(request: Request, actor: MonitorPage, application_id: int) -> Response:
    with UnitOfWork() as uow:
        context = application_context(uow, actor, application_id)
        context.update(
            errors={},
            decision={"action": "", "reason": ""},
            note_form={"text": "", "visibility": "internal"},
            base="/monitor",
            read_only=True,
        )
        return render(request, "applications/review_application.html", context)
