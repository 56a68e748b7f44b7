"""The workflow's errors as HTTP answers (WORKFLOW.md): 401, 403, 404, 409, 422, 429.

Services raise CarexportError subclasses; only here do they become statuses. Another
organisation's object is NotFound (404), never 403, so existence does not leak.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from carexport.accounts.page_auth import UNSAFE_METHODS, optional_session
from carexport.db import DatabaseUnavailable, database_unavailable
from carexport.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooManyAttempts,
)
from carexport.pages.templating import is_htmx, render

STORE_NOT_READY = (
    "数据库尚未初始化，请先运行 carexport db upgrade / the database has no schema yet: "
    "run `carexport db upgrade`"
)
FASTAPI_UNPARSABLE_BODY = "There was an error parsing the body"
# Driver messages for a table that is not there: the schema was never migrated.
_MISSING_TABLE = ("no such table", "does not exist")


# Page routes answer HTML, /api/ routes JSON (and so do the OpenAPI and health routes,
# which raise none of these).
_JSON_PREFIXES = ("/api/", "/openapi.json", "/docs", "/redoc", "/healthz")

HEADINGS: dict[int, tuple[str, str]] = {
    400: ("请求有误", "Bad request"),
    403: ("无权访问", "Not allowed"),
    404: ("未找到", "Not found"),
    405: ("不支持此操作", "Method not allowed"),
    409: ("状态冲突", "Conflict"),
    413: ("内容过大", "Too large"),
    422: ("输入有误", "Invalid input"),
    429: ("尝试次数过多", "Too many attempts"),
    503: ("服务暂不可用", "Service unavailable"),
}
INVALID_PAGE = "输入有误，请检查后重试 / the input is not valid: check it and try again"
PAGE_NOT_FOUND = "页面不存在，或您无权查看 / there is no such page, or you may not see it"


def is_page(request: Request) -> bool:
    """A browser page (HTML errors, login redirect) rather than an API route (JSON)."""
    return not request.url.path.startswith(_JSON_PREFIXES)


def error_page(
    request: Request,
    status_code: int,
    message: str,
    *,
    problems: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The HTML error page; the layout shows the user when a session is live."""
    if getattr(request.state, "actor", None) is None:
        optional_session(request)
    zh, en = HEADINGS.get(status_code, ("出错了", "Error"))
    lang = "en" if request.cookies.get("lang") == "en" else "zh"
    if request.query_params.get("lang") in ("zh", "en"):
        lang = request.query_params["lang"]
    return render(
        request,
        "error.html",
        {
            "status_code": status_code,
            "heading": en if lang == "en" else zh,
            "message": message,
            "problems": problems or [],
        },
        status_code=status_code,
        headers=headers,
    )


def login_redirect(request: Request) -> Response:
    """No (live) session on a page: to the login form, back here afterwards (GET only)."""
    target = "/login"
    if request.method not in UNSAFE_METHODS:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = f"/login?{urlencode({'next': here})}"
    if is_htmx(request):  # a fragment request: the whole page goes to the login
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _unavailable(detail: str) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": detail}, headers={"Retry-After": "60"})


def add_error_handlers(app: FastAPI) -> None:
    """Register the handlers; they take precedence over the CarexportError catch-all
    (Starlette picks the handler of the nearest class in the exception's MRO)."""

    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, exc: NotAuthenticated) -> Response:
        if is_page(request):
            return login_redirect(request)
        return JSONResponse(
            status_code=401,
            content={"detail": str(exc)},
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        if is_page(request):
            return await run_in_threadpool(error_page, request, 403, str(exc))
        return JSONResponse(status_code=403, content={"detail": str(exc)})

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        if is_page(request):
            return await run_in_threadpool(error_page, request, 404, str(exc))
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> Response:
        if is_page(request):
            return await run_in_threadpool(error_page, request, 409, str(exc))
        return JSONResponse(
            status_code=409,
            content={"detail": str(exc), "status": exc.status, "version": exc.version},
        )

    @app.exception_handler(TooManyAttempts)
    async def too_many(request: Request, exc: TooManyAttempts) -> Response:
        headers = {"Retry-After": str(exc.retry_after_seconds)}
        if is_page(request):
            return await run_in_threadpool(error_page, request, 429, str(exc), headers=headers)
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
        if is_page(request) and exc.status_code >= 400:
            message = PAGE_NOT_FOUND if exc.status_code == 404 else str(exc.detail)
            return await run_in_threadpool(
                error_page, request, exc.status_code, message, headers=dict(exc.headers or {})
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
    async def invalid(request: Request, exc: InvalidInput) -> Response:
        # The body of /api/v1/check's 422: `detail` and one `problems` item per field.
        if is_page(request):
            # A page that lets an InvalidInput escape shows its problems in a list; forms
            # catch it themselves to put each message beside its field.
            listed = [{"field": p.location, "reason": p.reason} for p in exc.problems]
            return await run_in_threadpool(error_page, request, 422, INVALID_PAGE, problems=listed)
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
