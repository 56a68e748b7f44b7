"""The FastAPI app factory (uvicorn carexport.web.app:create_app --factory)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from carexport import __version__
from carexport.accounts.pages import router as accounts_pages
from carexport.accounts.views import router as accounts_router
from carexport.applications.exporter_pages import router as exporter_pages
from carexport.applications.inputs import location
from carexport.applications.license_documents import api_router as license_documents_api
from carexport.applications.license_documents import page_router as license_documents
from carexport.applications.license_pages import router as license_pages
from carexport.applications.monitor_pages import router as monitor_pages
from carexport.applications.review_pages import router as review_pages
from carexport.applications.views import REQUEST_MODELS
from carexport.applications.views import router as check_router
from carexport.config import get_settings
from carexport.credit.pages import router as credit_pages
from carexport.credit.views import router as credit_api
from carexport.db import UnitOfWork
from carexport.documents.confirmations_pages import router as confirmation_pages
from carexport.documents.confirmations_views import router as confirmations_router
from carexport.documents.verify_pages import api_router as verify_api
from carexport.documents.verify_pages import page_router as verify_pages
from carexport.documents.views import router as documents_router
from carexport.errors import CarexportError
from carexport.jobs import queue as jobs_queue
from carexport.jsondoc import clip
from carexport.web.errors import (
    INVALID_PAGE,
    add_error_handlers,
    document_errors,
    error_page,
    is_page,
)
from carexport.web.limits import BodyLimit
from carexport.whatif.pages import router as whatif_pages

STATIC_DIR = Path(__file__).resolve().parent / "static"  # htmx, app.css (see its README)


@asynccontextmanager
async def _serving(_app: FastAPI) -> AsyncIterator[None]:
    # What start-up built (modules, routes, models, mappers, rules) lives as long as the
    # server: frozen out of the cyclic collector's sight, so that a full collection — set
    # off by a request that allocates much, such as the reviewer's queue of 10,000 — does
    # not walk those ~160,000 objects each time (it was most of that queue's p95:
    # benchmarks/bench_workflow.py). Reference counting still frees them as usual.
    gc.collect()
    gc.freeze()
    # A request such as a 50-vehicle check allocates tens of thousands of containers that
    # reference counting frees when it ends; at the default thresholds (700, 10, 10) the
    # collector still ran 7 times a check, scanning them while they were alive: 1.2 ms
    # of ~8 ms of CPU (benchmarks/bench_check_load.py, ADR 0032). Cyclic garbage now
    # waits for 50,000 net allocations (a few MB) and a full collection for 100 younger.
    gc.set_threshold(50_000, 20, 100)
    # On SQLite jobs run in the server's own thread: take over those a server that
    # ended left queued or running (docs/decisions/0029-jobs.md).
    await run_in_threadpool(jobs_queue.recover_at_start)
    yield


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="carexport 二手车出口许可",
        version=__version__,
        description="Used-car export licensing under 商贸函〔2025〕648号: rules checker API.",
        lifespan=_serving,
    )
    app.include_router(check_router)
    app.include_router(accounts_router)
    app.include_router(confirmations_router)
    app.include_router(documents_router)
    app.include_router(verify_api)
    app.include_router(license_documents_api)
    app.include_router(credit_api)
    app.state.find_confirmation = find_confirmation
    # The pages (HTML). Each feature's `pages.py` router is included here; page routes
    # take their actor from carexport.accounts.page_auth, which also checks the CSRF
    # token of every POST/PUT/PATCH/DELETE.
    app.include_router(accounts_pages)
    app.include_router(confirmation_pages)
    app.include_router(exporter_pages)
    app.include_router(review_pages)
    app.include_router(monitor_pages)
    app.include_router(whatif_pages)
    app.include_router(credit_pages)
    app.include_router(verify_pages)
    # Before license_pages: its /licenses/{license_no} would take "….pdf" as a number.
    app.include_router(license_documents)
    app.include_router(license_pages)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
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
        if is_page(request):
            return await run_in_threadpool(
                error_page, request, 422, INVALID_PAGE, problems=problems
            )
        detail = [{"loc": [p["field"]], "msg": p["reason"], "type": p["type"]} for p in problems]
        return JSONResponse(status_code=422, content={"detail": detail, "problems": problems})

    @app.exception_handler(CarexportError)
    async def domain_error(request: Request, exc: CarexportError) -> Response:
        if is_page(request):
            return await run_in_threadpool(error_page, request, 400, str(exc))
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    add_error_handlers(app)  # 401/403/404/409/422/429 of the workflow (web/errors.py)

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


def find_confirmation(uow: UnitOfWork, number: str) -> tuple[dict[str, Any], bool] | None:
    """A stored confirmation and whether it is revoked, for the public verification
    (documents.verify): the registry that stores confirmations sits above documents."""
    from carexport.feeds import service as feeds

    found = feeds.confirmations_by_id(uow=uow, ids=[number])
    if not found:
        return None
    return found[0].signed_document(), bool(found[0].revoked)


def with_request_models(spec: dict[str, Any]) -> dict[str, Any]:
    """Publish the request bodies the views read themselves (their $refs point here)."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for model in REQUEST_MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas[model.__name__] = schema
    return spec
