"""POST /api/v1/check: the same verdict as `carexport check`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from carexport.applications.schemas import CheckRequest, Verdict
from carexport.rules.evaluate import evaluate

router = APIRouter(prefix="/api/v1", tags=["check 预审"])


@router.post(
    "/check",
    response_model=Verdict,
    summary="预审出口申请 / Check an application",
    description="Evaluates every rule in force on `as_of` (default: the application's "
    "`submitted_on`) and returns the verdict of CHECK_FORMAT.md. Invalid input gives 422 "
    "with the field path of each problem.",
)
def check(
    body: CheckRequest,
    lang: str | None = Query(default=None, pattern="^(zh|en)$", description="overrides body.lang"),
) -> Any:
    verdict = evaluate(body.application, body.facts, as_of=body.as_of, lang=lang or body.lang)  # type: ignore[arg-type]
    # The contract's dict goes out as is: the response model is for documentation, and
    # re-serialising through it would drop fields added to the verdict later.
    return JSONResponse(verdict)
