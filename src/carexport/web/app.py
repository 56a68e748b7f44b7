"""The FastAPI app factory (uvicorn carexport.web.app:create_app --factory)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse

from carexport import __version__
from carexport.accounts.views import router as accounts_router
from carexport.applications.inputs import location
from carexport.applications.views import REQUEST_MODELS
from carexport.applications.views import router as check_router
from carexport.config import get_settings
from carexport.errors import CarexportError
from carexport.jsondoc import clip
from carexport.web.errors import add_error_handlers, document_errors
from carexport.web.limits import BodyLimit

# Until the browser workflow lands, the root page points people at what exists.
HOME_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>carexport 二手车出口许可</title>
<style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:46rem;margin:2rem auto;
padding:0 1rem;line-height:1.6}code{background:#f3f3f3;padding:0 .2rem}small{color:#666}</style>
</head><body>
<h1>carexport 二手车出口许可 <small>used-car export licensing</small></h1>
<p>依据商贸函〔2025〕648号及公告2024年第6号预审出口申请。
<small>Checks export applications under the 2025 notice and the 2024 announcement.</small></p>
<ul>
<li><a href="/docs">接口文档 API documentation</a> — <code>POST /api/v1/check</code></li>
<li>命令行 command line: <code>carexport check APPLICATION.json --facts FACTS.json</code></li>
</ul>
</body></html>
"""


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="carexport 二手车出口许可",
        version=__version__,
        description="Used-car export licensing under 商贸函〔2025〕648号: rules checker API.",
    )
    app.include_router(check_router)
    app.include_router(accounts_router)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # One readable line per problem, with the field path as the CLI prints it
        # (query.lang); the input itself is not echoed back beyond max_echo_chars.
        limit = settings.max_echo_chars
        problems = [
            {
                "field": location(tuple(e["loc"]), limit),
                "reason": clip(str(e["msg"]), limit),
                "type": str(e["type"]),
            }
            for e in exc.errors()
        ]
        detail = [{"loc": [p["field"]], "msg": p["reason"], "type": p["type"]} for p in problems]
        return JSONResponse(status_code=422, content={"detail": detail, "problems": problems})

    @app.exception_handler(CarexportError)
    async def domain_error(request: Request, exc: CarexportError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    add_error_handlers(app)  # 401/403/404/409/422/429 of the workflow (web/errors.py)

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    def home() -> str:
        return HOME_PAGE

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(
                with_request_models(
                    get_openapi(
                        title=app.title,
                        version=app.version,
                        description=app.description,
                        routes=app.routes,
                    )
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def with_request_models(spec: dict[str, Any]) -> dict[str, Any]:
    """Publish the request bodies the views read themselves (their $refs point here)."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for model in REQUEST_MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas[model.__name__] = schema
    return spec
