"""POST /api/v1/check: the same verdict as `carexport check`.

The body is read and parsed here rather than by FastAPI, so that it goes through the
same strict reader as the command line (`carexport.jsondoc`: duplicate keys, NaN, NUL,
lone surrogates and nesting are refused) and the same validation context (the plausible
date range of Settings). The OpenAPI request body is still `CheckRequest`: web/app.py
publishes its schema under components (see `REQUEST_MODELS`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from carexport import jsondoc
from carexport.applications.inputs import validate
from carexport.applications.schemas import CheckRequest, ErrorBody, Verdict
from carexport.config import get_settings
from carexport.errors import InputProblem, InvalidInput
from carexport.rules.evaluate import evaluate
from carexport.rules.registry import Lang

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
    # The check is CPU work: off the event loop, so that one large batch does not stall
    # every other request.
    verdict = await run_in_threadpool(
        evaluate, body.application, body.facts, body.as_of, lang or body.lang
    )
    # The contract's JSON, exactly as the CLI prints it (not re-serialised by FastAPI).
    return JSONResponse(verdict.as_json())
