"""The credit record's JSON API (issue 18): agency staff write, exporters read their own
and send rectification evidence, the monitor reads.

    GET  /api/v1/credit/enterprises/{uscc}?as_of=YYYY-MM-DD   the record as of a day
    GET  /api/v1/credit/overdue?as_of=                        overdue rectifications
    POST /api/v1/credit/events                                record an event (201)
    POST /api/v1/credit/events/{id}/annul                     {version, reason}
    POST /api/v1/credit/interviews                            schedule (201)
    POST /api/v1/credit/interviews/{id}/hold|close|cancel
    POST /api/v1/credit/rectifications                        order (201)
    POST /api/v1/credit/rectifications/{id}/evidence          the exporter's evidence
    POST /api/v1/credit/rectifications/{id}/accept|reject
    POST /api/v1/credit/suspensions                           suspend (201)
    POST /api/v1/credit/suspensions/{id}/reinstate
    GET  /api/v1/credit/files/{id}                            an evidence file

Files travel in JSON as base64 (`{"filename", "content_base64"}`), checked by their magic
bytes like application materials. Refusals are the services' (web/errors.py): 403 a role
that may not, 404 another exporter's record, 409 a status or a stale version (with both),
422 a missing reason or field.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from carexport.accounts.auth import CurrentActor
from carexport.credit import service
from carexport.credit.evidence import Upload
from carexport.db import UnitOfWork
from carexport.errors import InputProblem, InvalidInput

router = APIRouter(prefix="/api/v1/credit", tags=["credit 企业信用"])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Text = Annotated[str, Field(max_length=service.MAX_TEXT_CHARS)]
Short = Annotated[str, Field(max_length=200)]
_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "the caller's role, or agency, may not do this"},
    404: {"description": "no such object, or another exporter's"},
    409: {"description": "not in this status, a stale version, or no ground for exit"},
    422: {"description": "invalid input: one problem per field; a missing reason"},
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FileBody(_Body):
    filename: Short | None = None
    content_base64: str


class EventBody(_Body):
    enterprise_uscc: Short
    item: int = Field(ge=1, le=7)
    date: date
    description: Text
    note: Text | None = None
    application_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    application_no: Short | None = None
    vin: Short | None = None
    rule_id: Short | None = None
    document_no: Short | None = None
    files: list[FileBody] = Field(default_factory=list, max_length=20)


class VersionBody(_Body):
    version: int


class ReasonBody(VersionBody):
    reason: Text | None = None


class InterviewBody(_Body):
    enterprise_uscc: Short
    event_ids: list[int] = Field(min_length=1, max_length=200)
    scheduled_on: date
    place: Short | None = None
    attendees: list[Short] = Field(default_factory=list, max_length=50)


class HoldBody(VersionBody):
    held_on: date
    attendees: list[Short] = Field(default_factory=list, max_length=50)
    minutes: Text
    outcome: Text


class RectificationBody(_Body):
    enterprise_uscc: Short
    event_ids: list[int] = Field(min_length=1, max_length=200)
    measures: Text
    ordered_on: date | None = None
    interview_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class EvidenceBody(VersionBody):
    note: Text
    files: list[FileBody] = Field(default_factory=list, max_length=20)


class SuspendBody(_Body):
    enterprise_uscc: Short
    reason: Text | None = None
    effective_on: date | None = None


class ReinstateBody(ReasonBody):
    effective_on: date | None = None


def _uploads(files: list[FileBody]) -> list[Upload]:
    out = []
    for i, f in enumerate(files):
        try:
            data = base64.b64decode(f.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(
                [InputProblem("body", f"files[{i}].content_base64", "not base64", "base64")]
            ) from None
        out.append(Upload(f.filename, data))
    return out


def _answer(view: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(jsonable_encoder(view), status_code=status_code)


@router.get("/enterprises/{uscc}", responses=_RESPONSES, summary="企业信用记录 / Credit record")
def record(
    uscc: Annotated[str, Path(max_length=40)],
    actor: CurrentActor,
    as_of: Annotated[date | None, Query(description="the record as it stood that day")] = None,
) -> JSONResponse:
    with UnitOfWork() as uow:
        found = service.credit_record(uow=uow, actor=actor, enterprise_uscc=uscc, as_of=as_of)
    body = jsonable_encoder(found)
    body["open_interviews"] = [i.id for i in found.open_interviews]
    body["open_rectifications"] = [r.id for r in found.open_rectifications]
    return JSONResponse(body)


@router.get("/overdue", responses=_RESPONSES, summary="逾期整改 / Overdue rectifications")
def overdue(actor: CurrentActor, as_of: date | None = None) -> JSONResponse:
    with UnitOfWork() as uow:
        items = service.overdue_rectifications(uow=uow, actor=actor, as_of=as_of)
    return JSONResponse({"items": jsonable_encoder(items)})


@router.post("/events", status_code=201, responses=_RESPONSES, summary="记录事件 / Record")
def record_event(body: EventBody, actor: CurrentActor) -> JSONResponse:
    with UnitOfWork() as uow:
        view = service.record_event(
            uow=uow,
            actor=actor,
            enterprise_uscc=body.enterprise_uscc,
            item=body.item,
            date=body.date,
            description=body.description,
            note=body.note,
            application_id=body.application_id,
            application_no=body.application_no,
            vin=body.vin,
            rule_id=body.rule_id,
            document_no=body.document_no,
            files=_uploads(body.files),
        )
    return _answer(view, 201)


@router.post("/events/{event_id}/annul", responses=_RESPONSES, summary="撤销事件 / Annul")
def annul(event_id: Id, body: ReasonBody, actor: CurrentActor) -> JSONResponse:
    with UnitOfWork() as uow:
        view = service.annul_event(
            uow=uow, actor=actor, event_id=event_id, version=body.version, reason=body.reason or ""
        )
    return _answer(view)


@router.post("/interviews", status_code=201, responses=_RESPONSES, summary="约谈 / Schedule")
def schedule(body: InterviewBody, actor: CurrentActor) -> JSONResponse:
    with UnitOfWork() as uow:
        view = service.schedule_interview(
            uow=uow,
            actor=actor,
            enterprise_uscc=body.enterprise_uscc,
            event_ids=body.event_ids,
            scheduled_on=body.scheduled_on,
            place=body.place,
            attendees=body.attendees,
        )
    return _answer(view, 201)


@router.post("/interviews/{interview_id}/hold", responses=_RESPONSES, summary="约谈记录 / Held")
def hold(interview_id: Id, body: HoldBody, actor: CurrentActor) -> JSONResponse:
    with UnitOfWork() as uow:
        view = service.record_interview(
            uow=uow,
            actor=actor,
            interview_id=interview_id,
            version=body.version,
            held_on=body.held_on,
            attendees=body.attendees,
            minutes=body.minutes,
            outcome=body.outcome,
        )
    return _answer(view)


@router.post("/interviews/{interview_id}/close", responses=_RESPONSES, summary="办结 / Close")
def close(interview_id: Id, body: VersionBody, actor: CurrentActor) -> JSONResponse:
    with UnitOfWork() as uow:
        view = service.close_interview(
            uow=uow, actor=actor, interview_id=interview_id, version=body.version
        )
    return _answer(view)


@router.post("/interviews/{interview_id}/cancel", responses=_RESPONSES, summary="取消 / Cancel")
def cancel(interview_id: Id, body: ReasonBody, actor: CurrentActor) -> JSONResponse:
    with UnitOfWork() as uow:
        view = service.cancel_interview(
            uow=uow,
            actor=actor,
            interview_id=interview_id,
            version=body.version,
            reason=body.reason or "",
        )
    return _answer(view)


@router.post("/rectifications", status_code=201, responses=_RESPONSES, summary="责令整改 / Order")
def order(body: RectificationBody, actor: CurrentActor) -> JSONResponse:
    with UnitOfWork() as uow:
        view = service.order_rectification(
            uow=uow,
            actor=actor,
            enterprise_uscc=body.enterprise_uscc,
            event_ids=body.event_ids,
            measures=body.measures,
            ordered_on=body.ordered_on,
            interview_id=body.interview_id,
        )
    return _answer(view, 201)


@router.post(
    "/rectifications/{rectification_id}/evidence",
    responses=_RESPONSES,
    summary="提交整改材料 / Send evidence",
)
def send_evidence(rectification_id: Id, body: EvidenceBody, actor: CurrentActor) -> JSONResponse:
    with UnitOfWork() as uow:
        view = service.submit_rectification_evidence(
            uow=uow,
            actor=actor,
            rectification_id=rectification_id,
            version=body.version,
            note=body.note,
            files=_uploads(body.files),
        )
    return _answer(view)


@router.post(
    "/rectifications/{rectification_id}/accept", responses=_RESPONSES, summary="验收 / Accept"
)
def accept(rectification_id: Id, body: ReasonBody, actor: CurrentActor) -> JSONResponse:
    with UnitOfWork() as uow:
        view = service.accept_rectification(
            uow=uow,
            actor=actor,
            rectification_id=rectification_id,
            version=body.version,
            reason=body.reason,
        )
    return _answer(view)


@router.post(
    "/rectifications/{rectification_id}/reject", responses=_RESPONSES, summary="驳回 / Reject"
)
def reject(rectification_id: Id, body: ReasonBody, actor: CurrentActor) -> JSONResponse:
    with UnitOfWork() as uow:
        view = service.reject_rectification(
            uow=uow,
            actor=actor,
            rectification_id=rectification_id,
            version=body.version,
            reason=body.reason or "",
        )
    return _answer(view)


@router.post("/suspensions", status_code=201, responses=_RESPONSES, summary="暂停 / Suspend")
def suspend(body: SuspendBody, actor: CurrentActor) -> JSONResponse:
    with UnitOfWork() as uow:
        view = service.suspend(
            uow=uow,
            actor=actor,
            enterprise_uscc=body.enterprise_uscc,
            reason=body.reason or "",
            effective_on=body.effective_on,
        )
    return _answer(view, 201)


@router.post(
    "/suspensions/{suspension_id}/reinstate", responses=_RESPONSES, summary="恢复 / Reinstate"
)
def reinstate(suspension_id: Id, body: ReinstateBody, actor: CurrentActor) -> JSONResponse:
    with UnitOfWork() as uow:
        view = service.reinstate(
            uow=uow,
            actor=actor,
            suspension_id=suspension_id,
            version=body.version,
            reason=body.reason or "",
            effective_on=body.effective_on,
        )
    return _answer(view)


@router.get("/files/{file_id}", responses=_RESPONSES, summary="证据文件 / Evidence file")
def evidence_file(file_id: Id, actor: CurrentActor) -> FileResponse:
    with UnitOfWork() as uow:
        found = service.open_evidence(uow=uow, actor=actor, file_id=file_id)
    return FileResponse(
        found.path,
        media_type=found.view.content_type,
        filename=found.view.filename,
        headers={"X-Content-Type-Options": "nosniff"},
    )
