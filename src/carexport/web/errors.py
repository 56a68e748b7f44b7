"""The workflow's errors as HTTP answers (WORKFLOW.md): 401, 403, 404, 409, 422, 429.

Services raise CarexportError subclasses; only here do they become statuses. Another
organisation's object is NotFound (404), never 403, so existence does not leak.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from carexport.db import DatabaseUnavailable, database_unavailable
from carexport.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooManyAttempts,
)

STORE_NOT_READY = (
    "数据库尚未初始化，请先运行 carexport db upgrade / the database has no schema yet: "
    "run `carexport db upgrade`"
)
FASTAPI_UNPARSABLE_BODY = "There was an error parsing the body"
# Driver messages for a table that is not there: the schema was never migrated.
_MISSING_TABLE = ("no such table", "does not exist")


def _unavailable(detail: str) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": detail}, headers={"Retry-After": "60"})


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

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        # FastAPI answers 400 for a JSON body it cannot decode (not UTF-8, say); it is an
        # invalid input like any other, so it gets the 422 with `problems`.
        if exc.status_code == 400 and exc.detail == FASTAPI_UNPARSABLE_BODY:
            reason = "the body is not JSON in UTF-8 / 请求体不是 UTF-8 编码的 JSON"
            problem = {"field": "body", "reason": reason, "type": "json_invalid"}
            return JSONResponse(
                status_code=422,
                content={
                    "detail": [{"loc": ["body"], "msg": reason, "type": "json_invalid"}],
                    "problems": [problem],
                },
            )
        return await http_exception_handler(request, exc)

    @app.exception_handler(DatabaseUnavailable)
    async def database_down(request: Request, exc: DatabaseUnavailable) -> JSONResponse:
        return _unavailable(str(exc))

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        # A store that cannot serve (not migrated, read-only, gone) is a 503 that says
        # what to do, not a 500; any other database error is a bug and stays a 500.
        message = str(getattr(exc, "orig", None) or exc).lower()
        if any(text in message for text in _MISSING_TABLE):
            return _unavailable(STORE_NOT_READY)
        translated = database_unavailable(exc)
        if translated is None:
            raise exc
        return _unavailable(str(translated))

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


_ERROR_BODY = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"detail": {"type": "string"}},
                "required": ["detail"],
            }
        }
    }
}


def document_errors(spec: dict[str, Any]) -> dict[str, Any]:
    """Publish in the OpenAPI the answers the handlers above give: 401 on every operation
    that needs a bearer token, and 503 (store not ready or unavailable) on those and on
    the login, so that a client (or a schema-driven fuzz) finds them documented."""
    for path, operations in spec.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            secured = bool(operation.get("security"))
            if secured:
                responses.setdefault(
                    "401", {"description": "no, unknown or expired bearer token", **_ERROR_BODY}
                )
            if secured or path.startswith("/api/v1/auth/"):
                responses.setdefault(
                    "503",
                    {"description": "the database is not migrated or unavailable", **_ERROR_BODY},
                )
    return spec
