"""The FastAPI app factory (uvicorn carexport.web.app:create_app --factory)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from carexport import __version__
from carexport.applications.inputs import location
from carexport.applications.views import router as check_router
from carexport.errors import CarexportError


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

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def jsonable(errors: object) -> object:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors)
