"""The manufacturer's pages (role issuer): outlets, issue, batch, list and revoke.

    /outlets                        the network by country; add, edit, remove
    /confirmations                  issued confirmations, newest first; revoke
    /confirmations/new              VINs, a destination (select), its outlets (checkboxes)
    /confirmations/batch            an XLSX/CSV of VINs and destinations; a row report
    /confirmations/{number}         one confirmation and its signed JSON
    /confirmations/{number}.pdf     its PDF (registered first: {number} would match it)

They call the same service as the API (documents.confirmations); refusals are shown
beside their fields, in the page's language.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from carexport.accounts.actor import Actor
from carexport.accounts.enums import Role
from carexport.accounts.page_auth import flash, page_role
from carexport.db import UnitOfWork
from carexport.documents import confirmations as service
from carexport.documents.confirmations_batch import parse_batch
from carexport.documents.confirmations_views import pdf_response
from carexport.domain.country import country_code, country_name
from carexport.domain.facts import OutletService
from carexport.errors import Conflict, InvalidInput, NotFound
from carexport.pages.forms import field_errors
from carexport.pages.templating import render, see_other

router = APIRouter(include_in_schema=False)

IssuerPage = Annotated[Actor, Depends(page_role(Role.ISSUER))]

SERVICE_LABELS = {
    OutletService.REPAIR.value: ("维修", "Repair"),
    OutletService.PARTS.value: ("配件", "Parts"),
    OutletService.WARRANTY.value: ("质保", "Warranty"),
}
OUTLET_FIELDS = ("name", "country", "city", "address", "phone")


def _countries(outlets: list[service.OutletView]) -> list[tuple[str, str]]:
    codes = sorted({o.country for o in outlets})
    return [(code, f"{code} {country_name(code)}") for code in codes]


# --- outlets ---


def _outlets_page(
    request: Request,
    actor: Actor,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    editing: int | None = None,
    status_code: int = 200,
) -> Response:
    with UnitOfWork() as uow:
        outlets = service.outlets(uow=uow, actor=actor)
    if editing is not None and form is None:
        found = [o for o in outlets if o.id == editing]
        if not found:
            raise NotFound(f"没有该网点 / no outlet {editing}")
        outlet = found[0]
        form = {name: getattr(outlet, name) or "" for name in OUTLET_FIELDS}
        form["services"] = list(outlet.services)
    return render(
        request,
        "confirmations/outlets.html",
        {
            "outlets": outlets,
            "form": form or {"services": [s.value for s in OutletService]},
            "errors": errors or {},
            "editing": editing,
            "service_labels": SERVICE_LABELS,
        },
        status_code=status_code,
    )


@router.get("/outlets")
def outlets_page(request: Request, actor: IssuerPage) -> Response:
    return _outlets_page(request, actor)


@router.get("/outlets/{outlet_id}/edit")
def edit_outlet_page(request: Request, actor: IssuerPage, outlet_id: int) -> Response:
    return _outlets_page(request, actor, editing=outlet_id)


def _outlet_values(
    name: str, country: str, city: str, address: str, phone: str, services: list[str]
) -> dict[str, Any]:
    return {
        "name": name,
        "country": country,
        "city": city or None,
        "address": address or None,
        "phone": phone or None,
        "services": services,
    }


def _save_outlet(
    request: Request, actor: Actor, outlet_id: int | None, values: dict[str, Any]
) -> Response:
    try:
        with UnitOfWork() as uow:
            if outlet_id is None:
                outlet = service.add_outlet(uow=uow, actor=actor, values=values)
            else:
                outlet = service.edit_outlet(
                    uow=uow, actor=actor, outlet_id=outlet_id, values=values
                )
    except InvalidInput as exc:
        errors = {k.split(".")[0]: v for k, v in field_errors(exc).items()}
        form = {k: v or "" for k, v in values.items()}
        return _outlets_page(
            request, actor, form=form, errors=errors, editing=outlet_id, status_code=422
        )
    except Conflict as exc:
        form = {k: v or "" for k, v in values.items()}
        return _outlets_page(
            request, actor, form=form, errors={"name": str(exc)}, editing=outlet_id,
            status_code=409,
        )  # fmt: skip
    flash(request, f"已保存网点 {outlet.name} / outlet {outlet.name} saved")
    return see_other("/outlets", request)


@router.post("/outlets")
def add_outlet(
    request: Request,
    actor: IssuerPage,
    name: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
    city: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    services: Annotated[list[str] | None, Form()] = None,
) -> Response:
    values = _outlet_values(name, country, city, address, phone, services or [])
    return _save_outlet(request, actor, None, values)


@router.post("/outlets/{outlet_id}")
def edit_outlet(
    request: Request,
    actor: IssuerPage,
    outlet_id: int,
    name: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
    city: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    services: Annotated[list[str] | None, Form()] = None,
) -> Response:
    values = _outlet_values(name, country, city, address, phone, services or [])
    return _save_outlet(request, actor, outlet_id, values)


@router.post("/outlets/{outlet_id}/remove")
def remove_outlet(request: Request, actor: IssuerPage, outlet_id: int) -> Response:
    with UnitOfWork() as uow:
        outlet = service.remove_outlet(uow=uow, actor=actor, outlet_id=outlet_id)
    flash(request, f"已删除网点 {outlet.name} / outlet {outlet.name} removed")
    return see_other("/outlets", request)


# --- confirmations ---


@router.get("/confirmations")
def confirmations_page(request: Request, actor: IssuerPage) -> Response:
    with UnitOfWork() as uow:
        items = service.list_issued(uow=uow, actor=actor, limit=500)
    return render(request, "confirmations/list.html", {"items": items})


def _new_page(
    request: Request,
    actor: Actor,
    *,
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with UnitOfWork() as uow:
        outlets = service.outlets(uow=uow, actor=actor)
    country = country_code(form.get("destination_country")) or ""
    countries = _countries(outlets)
    if not country and countries:
        country = countries[0][0]
    template = "confirmations/new.html"
    if request.headers.get("HX-Request") == "true" and request.method == "GET":
        template = "confirmations/_outlet_choices.html"  # the country changed: its outlets
    return render(
        request,
        template,
        {
            "form": form,
            "errors": errors or {},
            "countries": countries,
            "country": country,
            "outlets": [o for o in outlets if o.country == country],
            "chosen": set(form.get("outlet_ids") or []),
            "service_labels": SERVICE_LABELS,
        },
        status_code=status_code,
    )


@router.get("/confirmations/new")
def new_page(request: Request, actor: IssuerPage, destination_country: str = "") -> Response:
    return _new_page(request, actor, form={"destination_country": destination_country})


@router.post("/confirmations/new")
def issue(
    request: Request,
    actor: IssuerPage,
    vins: Annotated[str, Form()] = "",
    destination_country: Annotated[str, Form()] = "",
    outlet_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    wanted = [v for v in vins.replace(",", "\n").replace("；", "\n").split() if v]
    form = {"vins": vins, "destination_country": destination_country, "outlet_ids": outlet_ids}
    try:
        with UnitOfWork() as uow:
            view = service.issue(
                uow=uow,
                actor=actor,
                vins=wanted,
                destination_country=destination_country,
                outlet_ids=outlet_ids or [],
            )
    except InvalidInput as exc:
        errors = field_errors(exc)
        # One VIN field on the page: "vins[2]" and "vin" are its errors.
        for key in [k for k in errors if k.startswith("vin")]:
            errors.setdefault("vins_text", errors[key])
        return _new_page(request, actor, form=form, errors=errors, status_code=422)
    except Conflict as exc:  # no signing key valid today
        return _new_page(request, actor, form=form, errors={"": str(exc)}, status_code=409)
    flash(request, f"已出具确认书 {view.number} / confirmation {view.number} issued")
    return see_other(f"/confirmations/{view.number}", request)


@router.get("/confirmations/batch")
def batch_page(request: Request, actor: IssuerPage) -> Response:
    return render(request, "confirmations/batch.html", {"errors": {}, "report": None})


@router.post("/confirmations/batch")
async def batch(
    request: Request, actor: IssuerPage, file: Annotated[UploadFile, File()]
) -> Response:
    data = await file.read()
    return await run_in_threadpool(_batch, request, actor, file.filename or "upload", data)


def _batch(request: Request, actor: Actor, filename: str, data: bytes) -> Response:
    try:
        wanted, unreadable = parse_batch(filename=filename, data=data)
    except InvalidInput as exc:
        errors = {"file": exc.problems[0].reason}
        return render(
            request, "confirmations/batch.html", {"errors": errors, "report": None},
            status_code=422,
        )  # fmt: skip
    with UnitOfWork() as uow:
        report = service.issue_batch(uow=uow, actor=actor, rows=wanted)
    report.refused = sorted(report.refused + unreadable)
    return render(
        request, "confirmations/batch.html", {"errors": {}, "report": report, "filename": filename}
    )


# Before /confirmations/{number}, whose {number} would also match "CF-….pdf".
@router.get("/confirmations/{number}.pdf")
def pdf_page(actor: IssuerPage, number: str) -> Response:
    return pdf_response(actor, number)


@router.get("/confirmations/{number}")
def detail_page(request: Request, actor: IssuerPage, number: str) -> Response:
    with UnitOfWork() as uow:
        view = service.get(uow=uow, actor=actor, number=number)
    signed = json.dumps(view.document, ensure_ascii=False, indent=2)
    return render(
        request,
        "confirmations/detail.html",
        {"item": view, "signed": signed, "errors": {}, "service_labels": SERVICE_LABELS},
    )


@router.post("/confirmations/{number}/revoke")
def revoke(
    request: Request, actor: IssuerPage, number: str, reason: Annotated[str, Form()] = ""
) -> Response:
    try:
        with UnitOfWork() as uow:
            view = service.revoke(uow=uow, actor=actor, number=number, reason=reason)
    except (InvalidInput, Conflict) as exc:
        message = exc.problems[0].reason if isinstance(exc, InvalidInput) else str(exc)
        flash(request, message)
        return see_other(f"/confirmations/{number}", request)
    flash(request, f"已撤销确认书 {view.number} / confirmation {view.number} revoked")
    return see_other(f"/confirmations/{view.number}", request)
