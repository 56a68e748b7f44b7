"""POST /api/v1/check: the same verdict as `carexport check`.

The body is read and parsed here rather than by FastAPI, so that it goes through the
same strict reader as the command line (`carexport.jsondoc`: duplicate keys, NaN, NUL,
lone surrogates and nesting are refused) and the same validation context (the plausible
date range of Settings). The OpenAPI request body is still `CheckRequest`: web/app.py
publishes its schema under components (see `REQUEST_MODELS`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from enum import Enum
from typing import Annotated, Any, TypeVar
from weakref import WeakKeyDictionary

import orjson
from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from carexport import clock, jsondoc
from carexport.accounts.actor import Actor
from carexport.accounts.auth import CurrentActor
from carexport.accounts.enums import AGENCY_ROLES, Role
from carexport.applications import service
from carexport.applications.enums import UNDER_REVIEW, Action, ApplicationStatus
from carexport.applications.inputs import validate
from carexport.applications.models import Application
from carexport.applications.schemas import (
    AnnexLine,
    ApplicationList,
    ApplicationRead,
    ApplicationReviewRead,
    CheckRequest,
    ConflictBody,
    DecisionBody,
    EditBody,
    ErrorBody,
    ExtendBody,
    LicenseRead,
    Refusal,
    Verdict,
    VersionBody,
    WithdrawBody,
)
from carexport.audit import format_at
from carexport.config import Settings, get_settings
from carexport.db import UnitOfWork
from carexport.errors import InputProblem, InvalidInput, NotFound
from carexport.rules.evaluate import evaluate
from carexport.rules.registry import Lang

M = TypeVar("M", bound=BaseModel)

router = APIRouter(prefix="/api/v1", tags=["check 预审"])

# Models whose JSON schema web/app.py adds to the OpenAPI components, for the request
# bodies that the views below read themselves.
REQUEST_MODELS = (CheckRequest,)

JSON_TYPES = ("application/json",)

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorBody, "description": "body larger than CAREXPORT_MAX_BODY_BYTES"},
    415: {"model": ErrorBody, "description": "body is not application/json"},
    422: {"model": ErrorBody, "description": "invalid input: one problem per field"},
}


def problem_json(problem: InputProblem, prefix: str) -> dict[str, str]:
    """One problem as the API writes it: the field path under `prefix` (body, query)."""
    where = problem.location
    field = prefix if where == jsondoc.DOCUMENT else f"{prefix}.{where}"
    return {"field": field, "reason": problem.reason, "type": problem.kind}


def problems_response(status: int, problems: list[InputProblem], prefix: str) -> JSONResponse:
    listed = [problem_json(p, prefix) for p in problems]
    detail = [{"loc": [f["field"]], "msg": f["reason"], "type": f["type"]} for f in listed]
    return JSONResponse(status_code=status, content={"detail": detail, "problems": listed})


def is_json(content_type: str | None) -> bool:
    # No Content-Type at all is taken as JSON, as FastAPI does; anything else declared
    # (text/plain, a form) is refused with 415 rather than guessed at.
    if content_type is None:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


@router.post(
    "/check",
    response_model=Verdict,
    responses=ERROR_RESPONSES,
    summary="预审出口申请 / Check an application",
    description="Evaluates every rule in force on `as_of` (default: the application's "
    "`submitted_on`) and returns the verdict of CHECK_FORMAT.md. Invalid input gives 422 "
    "with the field path of each problem; a body that is not JSON gets 415, a body larger "
    "than the limit 413.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/CheckRequest"}}
            },
        }
    },
)
async def check(
    request: Request,
    lang: Annotated[Lang | None, Query(description="overrides body.lang")] = None,
) -> JSONResponse:
    settings = get_settings()
    if not is_json(request.headers.get("content-type")):
        problem = InputProblem(
            "body",
            jsondoc.DOCUMENT,
            "the body must be JSON (Content-Type: application/json)",
            "unsupported_media_type",
        )
        return problems_response(415, [problem], "body")
    # BodyLimit (web/limits.py) stops the read at max_body_bytes with a 413.
    data = await request.body()
    # The check, reading the body included, is CPU work: off the event loop, so that one
    # large batch does not stall every other request; and at most `check_threads` at
    # once per process (see _check_limiter).
    return await to_thread.run_sync(_check, data, lang, settings, limiter=_check_limiter())


def _check(data: bytes, lang: Lang | None, settings: Settings) -> JSONResponse:
    try:
        value = jsondoc.parse(
            data,
            source="body",
            max_depth=settings.max_json_depth,
            max_echo_chars=settings.max_echo_chars,
            max_text_chars=settings.max_cell_chars,
        )
        body = validate(CheckRequest, value, "body", settings)
    except InvalidInput as exc:
        return problems_response(422, exc.problems, "body")
    verdict = evaluate(body.application, body.facts, body.as_of, lang or body.lang)
    # The contract's JSON, exactly as the CLI prints it (not re-serialised by FastAPI).
    return JSONResponse(verdict.as_json())


# One limiter per event loop (a server process has one; tests start several).
_CHECK_LIMITERS = WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter]()


def _check_limiter() -> CapacityLimiter:
    """At most `check_threads` checks of one process run at once; the others wait their
    turn. A check holds the GIL but for the seal verifications (C, which release it):
    20 checks in 20 threads cost a third more CPU each than one after another, as the
    threads take the GIL from each other every 5 ms (benchmarks/bench_check_load.py)."""
    loop = asyncio.get_running_loop()
    limiter = _CHECK_LIMITERS.get(loop)
    if limiter is None:
        limiter = _CHECK_LIMITERS[loop] = CapacityLimiter(get_settings().check_threads)
    return limiter


# --- the workflow API (WORKFLOW.md "API routes") ------------------------------------
#
# Bodies are read by the same strict reader as /check; errors are the services'
# (NotFound, Forbidden, Conflict, InvalidInput), answered by web/errors.py. The database
# work runs in the thread pool, off the event loop.

_MAX_ID = 2**31 - 1  # an id past the column's range is simply not there (not a 500)
_WORKFLOW: list[str | Enum] = ["applications 申请"]
_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": Refusal, "description": "no, unknown or expired bearer token"},
    403: {"model": Refusal, "description": "the caller's role may not do this"},
    404: {"model": Refusal, "description": "no such object, or another organisation's"},
    409: {"model": ConflictBody, "description": "not in this status, or a stale version"},
    413: {"model": ErrorBody, "description": "body larger than CAREXPORT_MAX_BODY_BYTES"},
    422: {"model": ErrorBody, "description": "invalid input: one problem per field"},
}


def _id(application_id: int) -> int:
    if not 1 <= application_id <= _MAX_ID:
        raise NotFound(f"没有该申请 / no application {application_id}")
    return application_id


async def _json(request: Request) -> Any:
    settings = get_settings()
    if not is_json(request.headers.get("content-type")):
        raise InvalidInput(
            [
                InputProblem(
                    "body",
                    "",
                    "the body must be JSON (Content-Type: application/json)",
                    "unsupported_media_type",
                )
            ]
        )
    data = await request.body()
    return jsondoc.parse(
        data,
        source="body",
        max_depth=settings.max_json_depth,
        max_echo_chars=settings.max_echo_chars,
        max_text_chars=settings.max_cell_chars,
    )


def _body(model: type[M], value: Any) -> M:
    return validate(model, value, "body", get_settings())


def _overdue(app: Application, today: date) -> bool:
    return (
        app.due_on is not None
        and app.status in {s.value for s in UNDER_REVIEW}
        and app.due_on < today
    )


def _read(uow: UnitOfWork, actor: Actor, app: Application) -> dict[str, Any]:
    """The application as GET shows it: the agency's schema for agency staff and the
    monitor, the exporter's (without who decided) for everyone else."""
    lic = service.license_of(uow=uow, application=app)
    changes = service.status_changes(uow=uow, application=app)
    staff = actor.role in AGENCY_ROLES or actor.role == Role.MONITOR
    common: dict[str, Any] = {
        "id": app.id,
        "application_id": app.application_no,
        "status": app.status,
        "version": app.version,
        "application": app.content,
        "verdict": app.verdict,
        "decision": app.decision,
        "due_on": app.due_on,
        "overdue": _overdue(app, clock.today()),
        "submitted_on": app.submitted_on,
        "license_year": app.license_year,
        "license_no": None if lic is None else lic.license_no,
    }
    rows = [
        {
            "action": c.action,
            "from_status": c.from_status,
            "to_status": c.to_status,
            "reason": c.reason,
            "at": format_at(c.at),
            "version": c.version,
            "user_id": c.user_id,
        }
        for c in changes
    ]
    if staff:
        read: BaseModel = ApplicationReviewRead.model_validate(
            {**common, "changes": rows, "recommended_by": app.recommended_by}
        )
    else:
        read = ApplicationRead.model_validate({**common, "changes": rows})
    return read.model_dump(mode="json")


def _license(view: service.LicenseView) -> dict[str, Any]:
    lic = view.license
    return LicenseRead(
        license_no=lic.license_no,
        status=lic.status,
        issued_on=lic.issued_on,
        valid_from=lic.valid_from,
        valid_to=lic.valid_to,
        agency=lic.agency,
        enterprise_uscc=lic.enterprise_uscc,
        destination_country=lic.destination_country,
        application=lic.application_id,
        annex=[
            AnnexLine(
                vin=a.vin,
                brand=a.brand,
                model=a.model,
                registration_date=a.registration_date,
                transfer_for_export_date=a.transfer_for_export_date,
            )
            for a in view.annex
        ],
    ).model_dump(mode="json")


def _act(actor: Actor, use_case: Callable[..., Application], **kwargs: Any) -> dict[str, Any]:
    with UnitOfWork() as uow:
        app = use_case(uow=uow, actor=actor, **kwargs)
        return _read(uow, actor, app)


@router.post(
    "/applications",
    status_code=201,
    tags=_WORKFLOW,
    responses=_REFUSALS,
    summary="新建申请（草稿）/ Create a draft application",
    response_model=ApplicationRead,
)
async def create_application(request: Request, actor: CurrentActor) -> JSONResponse:
    value = await _json(request)
    # The body is the APPLICATION document; {"application": {...}} is accepted too.
    if (
        isinstance(value, dict)
        and isinstance(value.get("application"), dict)
        and "vehicles" not in value
    ):
        value = value["application"]
    body = await run_in_threadpool(_act, actor, service.create, body=value)
    return JSONResponse(body, status_code=201)


@router.get(
    "/applications",
    tags=_WORKFLOW,
    responses=_REFUSALS,
    summary="申请列表 / Applications the caller may see",
    response_model=ApplicationList,
)
def list_applications(
    actor: CurrentActor,
    status: Annotated[ApplicationStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 10_000,
    offset: Annotated[int, Query(ge=0, le=_MAX_ID)] = 0,
) -> Response:
    today = clock.today()
    under_review = {s.value for s in UNDER_REVIEW}
    with UnitOfWork() as uow:
        rows = service.application_summaries(
            uow=uow, actor=actor, status=status, limit=limit, offset=offset
        )
    # Built by hand and sent as is: validating 10,000 items twice (the model, then the
    # response model) was most of a queue load. ApplicationList documents the shape.
    # The rows are unpacked by position (service.SUMMARY_COLUMNS' order): reading a
    # Row's fields by name cost more than the query itself for 10,000 rows. orjson
    # writes the dates as ISO dates, as the stdlib encoder wrote their isoformat().
    items = [
        {
            "id": id_,
            "application_id": application_no,
            "status": status_,
            "version": version,
            "due_on": due_on,
            "decision": decision,
            "overdue": due_on is not None and status_ in under_review and due_on < today,
            "issuing_agency": issuing_agency,
            "enterprise_uscc": enterprise_uscc,
            "submitted_on": submitted_on,
        }
        for (
            id_,
            application_no,
            status_,
            version,
            due_on,
            decision,
            issuing_agency,
            enterprise_uscc,
            submitted_on,
        ) in rows
    ]
    return Response(orjson.dumps({"items": items}), media_type="application/json")


@router.get(
    "/applications/{application_id}",
    tags=_WORKFLOW,
    responses=_REFUSALS,
    summary="查看申请 / One application",
    response_model=ApplicationRead,
)
def get_application(application_id: int, actor: CurrentActor) -> dict[str, Any]:
    return _act(actor, service.get, application_id=_id(application_id))


@router.put(
    "/applications/{application_id}",
    tags=_WORKFLOW,
    responses=_REFUSALS,
    summary="修改申请内容 / Replace a draft's or a returned application's content",
    response_model=ApplicationRead,
)
async def edit_application(
    application_id: int, request: Request, actor: CurrentActor
) -> dict[str, Any]:
    body = _body(EditBody, await _json(request))
    return await run_in_threadpool(
        _act,
        actor,
        service.edit,
        application_id=_id(application_id),
        version=body.version,
        body=body.application,
    )


@router.post(
    "/applications/{application_id}/submit",
    tags=_WORKFLOW,
    responses=_REFUSALS,
    summary="提交申请 / Submit",
    response_model=ApplicationRead,
)
async def submit_application(
    application_id: int, request: Request, actor: CurrentActor
) -> dict[str, Any]:
    body = _body(VersionBody, await _json(request))
    return await run_in_threadpool(
        _act, actor, service.submit, application_id=_id(application_id), version=body.version
    )


@router.post(
    "/applications/{application_id}/withdraw",
    tags=_WORKFLOW,
    responses=_REFUSALS,
    summary="撤回申请 / Withdraw",
    response_model=ApplicationRead,
)
async def withdraw_application(
    application_id: int, request: Request, actor: CurrentActor
) -> dict[str, Any]:
    body = _body(WithdrawBody, await _json(request))
    return await run_in_threadpool(
        _act,
        actor,
        service.withdraw,
        application_id=_id(application_id),
        version=body.version,
        reason=body.reason,
    )


@router.post(
    "/applications/{application_id}/decision",
    tags=_WORKFLOW,
    responses=_REFUSALS,
    summary="审核决定 / Approve, refuse or return",
    response_model=ApplicationReviewRead,
)
async def decide_application(
    application_id: int, request: Request, actor: CurrentActor
) -> dict[str, Any]:
    body = _body(DecisionBody, await _json(request))
    return await run_in_threadpool(
        _act,
        actor,
        service.decide,
        application_id=_id(application_id),
        version=body.version,
        action=Action(body.action),
        reason=body.reason,
    )


@router.get(
    "/applications/{application_id}/history",
    tags=_WORKFLOW,
    responses=_REFUSALS,
    summary="审计记录 / Audit entries of the application and its license",
)
def application_history(application_id: int, actor: CurrentActor) -> list[dict[str, Any]]:
    with UnitOfWork() as uow:
        return service.history(uow=uow, actor=actor, application_id=_id(application_id))


@router.get(
    "/licenses/{license_no}",
    tags=_WORKFLOW,
    responses=_REFUSALS,
    summary="查看许可证 / One license with its annex",
    response_model=LicenseRead,
)
def get_license(license_no: str, actor: CurrentActor) -> dict[str, Any]:
    with UnitOfWork() as uow:
        return _license(service.get_license(uow=uow, actor=actor, license_no=license_no[:100]))


@router.post(
    "/licenses/{license_no}/extend",
    tags=_WORKFLOW,
    responses=_REFUSALS,
    summary="许可证延期 / Extend a license (第十六条)",
    response_model=LicenseRead,
)
async def extend_license(license_no: str, request: Request, actor: CurrentActor) -> dict[str, Any]:
    body = _body(ExtendBody, await _json(request))

    def work() -> dict[str, Any]:
        with UnitOfWork() as uow:
            view = service.extend_license(
                uow=uow,
                actor=actor,
                license_no=license_no[:100],
                valid_to=body.valid_to,
                reason=body.reason,
            )
            return _license(view)

    return await run_in_threadpool(work)
