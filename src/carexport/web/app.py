"""The FastAPI app factory (uvicorn carexport.web.app:create_app --factory)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse

from carexport import __version__
from carexport.applications.inputs import location
from carexport.applications.views import router as check_router
from carexport.errors import CarexportError

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
    app = FastAPI(
        title="carexport 二手车出口许可",
        version=__version__,
        description="Used-car export licensing under 商贸函〔2025〕648号: rules checker API.",
    )
    app.include_router(check_router)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Keep FastAPI's `detail` list and add one readable line per problem, with the
        # field path as the CLI prints it (body.application.vehicles[0].vin).
        problems = [
            {"field": location(tuple(e["loc"])), "reason": str(e["msg"]), "type": e["type"]}
            for e in exc.errors()
        ]
        return JSONResponse(
            status_code=422,
            content={"detail": jsonable(exc.errors()), "problems": problems},
        )

    @app.exception_handler(CarexportError)
    async def domain_error(request: Request, exc: CarexportError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    def home() -> str:
        return HOME_PAGE

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def jsonable(errors: object) -> object:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors)
