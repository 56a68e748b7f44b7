"""The workflow's errors as HTTP answers (WORKFLOW.md): 401, 403, 404, 409, 422, 429.

Services raise CarexportError subclasses; only here do they become statuses. Another
organisation's object is NotFound (404), never 403, so existence does not leak.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from carexport.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooManyAttempts,
)


def add_error_handlers(app: FastAPI) -> None:
    """Register the handlers; they take precedence over the CarexportError catch-all
    (Starlette picks the handler of the nearest class in the exception's MRO)."""

    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, exc: NotAuthenticated) -> JSONResponse:
        return JSONResponse(
            status_code=401,
            content={"detail": str(exc)},
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return JSONResponse(status_code=403, content={"detail": str(exc)})

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse(
            status_code=409,
            content={"detail": str(exc), "status": exc.status, "version": exc.version},
        )

    @app.exception_handler(TooManyAttempts)
    async def too_many(request: Request, exc: TooManyAttempts) -> JSONResponse:
        return JSONResponse(
            status_code=429,
            content={"detail": str(exc)},
            headers={"Retry-After": str(exc.retry_after_seconds)},
        )

    @app.exception_handler(InvalidInput)
    async def invalid(request: Request, exc: InvalidInput) -> JSONResponse:
        # The body of /api/v1/check's 422: `detail` and one `problems` item per field.
        problems = [
            {
                "field": "body" if not p.location else f"body.{p.location}",
                "reason": p.reason,
                "type": p.kind,
            }
            for p in exc.problems
        ]
        detail = [{"loc": [p["field"]], "msg": p["reason"], "type": p["type"]} for p in problems]
        return JSONResponse(status_code=422, content={"detail": detail, "problems": problems})
