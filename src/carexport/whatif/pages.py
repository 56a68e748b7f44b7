"""Pages: the monitor's what-if (a form, a background job whose progress the page polls,
the summary and the files) and the exporter's stock check (an upload, the answer).

    /monitor/whatif                    the form, with every parameter's current value; recent runs
    /monitor/whatif/{id}               one run: progress while it runs, then its summary
    /monitor/whatif/{id}/progress      the progress fragment (HTMX polls it every second)
    /monitor/whatif/{id}/files/{name}  whatif.xlsx, changed.csv, summary.csv, summary.json
    /stock                             the exporter's stock check
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from carexport import clock
from carexport.accounts.actor import Actor
from carexport.accounts.page_auth import ApplicantPage, MonitorPage
from carexport.accounts.regions import PROVINCES
from carexport.db import UnitOfWork
from carexport.errors import CarexportError, InputProblem, InvalidInput, NotFound
from carexport.feeds.store_facts import facts_from_store
from carexport.jobs import queue
from carexport.jobs import service as jobs
from carexport.jobs.enums import JobKind
from carexport.pages.forms import field_errors
from carexport.pages.templating import lang_of, render, see_other
from carexport.rules.parameters import ParameterNotInForce, default_parameters
from carexport.rules.registry import Lang
from carexport.whatif import report, service, stock

router = APIRouter(include_in_schema=False)

_MAX_ID = 2**63 - 1
_SET_PREFIX = "set:"
_MEDIA = {
    report.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    report.CHANGED_CSV: "text/csv; charset=utf-8",
    report.SUMMARY_CSV: "text/csv; charset=utf-8",
    report.SUMMARY_JSON: "application/json",
}


@dataclass(frozen=True)
class ParameterRow:
    name: str
    description: str
    unit: str
    current: str  # the value in force today, or — when none


def _parameter_rows(today: date) -> list[ParameterRow]:
    table = default_parameters()
    rows = []
    for name, parameter in sorted(table.parameters.items()):
        try:
            current = service.as_text(table.value(name, today))
        except ParameterNotInForce:
            current = "—"
        rows.append(ParameterRow(name, parameter.description, parameter.unit, current))
    return rows


def _form_page(
    request: Request,
    *,
    form: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    today = clock.today()
    with UnitOfWork() as uow:
        runs = jobs.recent(uow=uow, kind=JobKind.WHATIF, limit=20)
    return render(
        request,
        "whatif/form.html",
        {
            "form": form,
            "errors": errors,
            "parameters": _parameter_rows(today),
            "runs": runs,
            "parameters_day": today,
        },
        status_code=status_code,
    )


@router.get("/monitor/whatif")
def whatif_form(request: Request, actor: MonitorPage) -> Response:
    today = clock.today()
    form = {"from": date(today.year - 1, 1, 1).isoformat(), "to": today.isoformat()}
    return _form_page(request, form=form, errors={})


def _day(value: str, field: str, problems: list[InputProblem]) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        problems.append(InputProblem("form", field, "须为日期 YYYY-MM-DD / a date YYYY-MM-DD"))
        return None


@router.post("/monitor/whatif")
async def start_whatif(request: Request, actor: MonitorPage) -> Response:
    posted = await request.form()
    form = {k: str(v) for k, v in posted.items() if isinstance(v, str)}
    # The database work off the event loop, as FastAPI does for a plain `def` route.
    return await run_in_threadpool(_start_whatif, request, actor, form)


def _start_whatif(request: Request, actor: Actor, form: dict[str, str]) -> Response:
    problems: list[InputProblem] = []
    start = _day(form.get("from", ""), "from", problems)
    end = _day(form.get("to", ""), "to", problems)
    as_of_text = form.get("as_of", "").strip()
    as_of = _day(as_of_text, "as_of", problems) if as_of_text else None
    settings = [
        f"{key.removeprefix(_SET_PREFIX)}={value.strip()}"
        for key, value in form.items()
        if key.startswith(_SET_PREFIX) and value.strip()
    ]
    try:
        if problems:
            raise InvalidInput(problems)
        assert start is not None
        assert end is not None
        whatif = service.WhatIf.parse(
            start=start, end=end, as_of=as_of, settings=settings, agency=form.get("agency")
        )
    except InvalidInput as exc:
        return _form_page(request, form=form, errors=field_errors(exc), status_code=422)
    except CarexportError as exc:  # an unknown parameter or a value that fits no unit
        return _form_page(request, form=form, errors={"": str(exc)}, status_code=422)
    job = queue.enqueue(
        kind=JobKind.WHATIF,
        parameters=whatif.as_parameters(),
        requested_by=actor.user_id,
        requested_by_name=actor.username,
    )
    return see_other(f"/monitor/whatif/{job.id}", request)


def _run(job_id: int) -> jobs.JobView:
    if not 1 <= job_id <= _MAX_ID:
        raise NotFound("没有该任务 / no such run")
    with UnitOfWork() as uow:
        job = jobs.get(uow=uow, job_id=job_id)
    if job.kind != JobKind.WHATIF:
        raise NotFound("没有该任务 / no such run")
    return job


@router.get("/monitor/whatif/{job_id}")
def whatif_run(request: Request, actor: MonitorPage, job_id: int) -> Response:
    job = _run(job_id)
    return render(
        request,
        "whatif/run.html",
        {
            "job": job,
            "files": report.FILES,
            "nav_current": "/monitor",
            "region_names": PROVINCES,
        },
    )


@router.get("/monitor/whatif/{job_id}/progress")
def whatif_progress(request: Request, actor: MonitorPage, job_id: int) -> Response:
    job = _run(job_id)
    headers = {"HX-Refresh": "true"} if job.finished else None
    return render(request, "whatif/_progress.html", {"job": job}, headers=headers)


@router.get("/monitor/whatif/{job_id}/files/{name}")
def whatif_file(request: Request, actor: MonitorPage, job_id: int, name: str) -> Response:
    job = _run(job_id)
    folder = jobs.result_dir(job)
    if name not in _MEDIA or folder is None or not (folder / name).is_file():
        raise NotFound("没有该文件 / no such file")
    return FileResponse(folder / name, media_type=_MEDIA[name], filename=f"whatif-{job.id}-{name}")


# --- the exporter's stock check ---


def _stock_page(
    request: Request,
    *,
    form: dict[str, str],
    errors: dict[str, str],
    lines: list[stock.StockLine] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "whatif/stock.html",
        {
            "form": form,
            "errors": errors,
            "lines": lines,
            "counts": stock.counts(lines) if lines is not None else None,
        },
        status_code=status_code,
    )


@router.get("/stock")
def stock_form(request: Request, actor: ApplicantPage) -> Response:
    form = {"destination_country": "", "on": clock.today().isoformat()}
    return _stock_page(request, form=form, errors={})


@router.post("/stock")
def stock_check(
    request: Request,
    actor: ApplicantPage,
    file: Annotated[UploadFile, File()],
    destination_country: Annotated[str, Form()] = "",
    on: Annotated[str, Form()] = "",
) -> Response:
    form = {"destination_country": destination_country, "on": on}
    problems: list[InputProblem] = []
    day = _day(on, "on", problems)
    destination = destination_country.strip().upper()
    if not destination:
        problems.append(InputProblem("form", "destination_country", "必填 / required"))
    data = file.file.read()  # bounded by the request-body limit (web/limits.py)
    try:
        if problems:
            raise InvalidInput(problems)
        assert day is not None
        vehicles = stock.read_stock(filename=file.filename or "", data=data)
        application = stock.stock_application(
            vehicles, destination=destination, on=day, enterprise_uscc=actor.org_uscc
        )
        lines = stock.check_stock(
            vehicles,
            facts_from_store(application),
            destination=destination,
            on=day,
            enterprise_uscc=actor.org_uscc,
            lang=Lang.EN if lang_of(request) == "en" else Lang.ZH,
        )
    except InvalidInput as exc:
        errors = field_errors(exc)
        errors.setdefault("", "; ".join(f"{p.location}: {p.reason}" for p in exc.problems[:20]))
        return _stock_page(request, form=form, errors=errors, status_code=422)
    return _stock_page(request, form=form, errors={}, lines=lines)
