"""The exporter's pages (role applicant): its applications by status, a new application
by form or by an uploaded vehicle list, the application with its live pre-check vehicle
by vehicle (fix, remove, add vehicles; Annex 2 materials; submit, withdraw, answer a
return), its versions and status history.

Routes parse, call the services (applications.service, .materials, .vehicle_list) and
render; nothing is decided here. Every form carries the application's `version`: a stale
one is the service's Conflict, shown as "reload" on the application page, not a 500.
A change reads the content in one transaction and saves through the service in another
(the service claims the version first): a change in between moves the version (409).
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, Response

from carexport.accounts import service as accounts
from carexport.accounts.actor import Actor
from carexport.accounts.enums import OrgKind
from carexport.accounts.page_auth import ApplicantPage, PageActor, flash
from carexport.applications import materials, notes, service
from carexport.applications.enums import EDITABLE, ApplicationStatus
from carexport.applications.models import Application
from carexport.applications.vehicle_list import VEHICLE_LINES, parse_vehicle_list
from carexport.config import get_settings
from carexport.credit import service as credit
from carexport.db import UnitOfWork
from carexport.domain.text import normalize_identifier
from carexport.errors import Conflict, InvalidInput, NotFound
from carexport.pages.forms import field_errors
from carexport.pages.labels import VEHICLE_FIELDS_EN
from carexport.pages.templating import is_htmx, lang_of, render, see_other
from carexport.rules.catalogue import default_registry
from carexport.rules.modified import ANNEX2_ITEMS

router = APIRouter(include_in_schema=False)

VEHICLE_FIELDS = tuple(f.name for f in VEHICLE_LINES)
FIELD_LABELS: dict[str, tuple[str, str]] = {
    f.name: (f.zh, VEHICLE_FIELDS_EN.get(f.name, f.name)) for f in VEHICLE_LINES
}
DATE_FIELDS = frozenset({"registration_date", "transfer_for_export_date"})
WITHDRAWABLE = frozenset(
    {ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED}
)
STATUS_ORDER = tuple(ApplicationStatus)
PER_PAGE = 50
_MAX_ID = 2**31 - 1
_NEW_ROWS = 3
_MAX_FORM_ROWS = 500
RELOAD = (
    "申请已被修改或状态已变，页面已刷新为当前内容，请核对后重试 / the application has changed "
    "since this page was loaded: it now shows the current content, check it and try again"
)


def _checked(application_id: int) -> int:
    if not 1 <= application_id <= _MAX_ID:
        raise NotFound(f"没有该申请 / no application {application_id}")
    return application_id


def _here(application_id: int) -> str:
    return f"/applications/{application_id}"


# -- what the pages show ---------------------------------------------------------------


def finding_message(finding: dict[str, Any], lang: str) -> str:
    """A stored finding's message in the page's language: the stored one is Chinese (the
    verdict's language); English comes from the rule's template with the finding's facts
    and parameters, or stays Chinese when the template needs more than they hold."""
    stored = str(finding.get("message") or "")
    if lang != "en":
        return stored
    registry = default_registry()
    rule_id = str(finding.get("rule") or "")
    if rule_id not in registry.ids():
        return stored
    for rule in registry.all():
        if rule.id != rule_id:
            continue
        try:
            return rule.en.format_map(
                {**(finding.get("facts") or {}), **(finding.get("parameters") or {})}
            )
        except (KeyError, IndexError, ValueError):
            continue
    return stored


@dataclass
class VehicleView:
    index: int
    line: dict[str, Any]
    decision: str
    findings: list[dict[str, Any]]
    materials: list[Any] = field(default_factory=list)  # ApplicationMaterial rows
    missing_items: list[str] = field(default_factory=list)


def _findings(found: list[dict[str, Any]] | None, lang: str) -> list[dict[str, Any]]:
    return [{**f, "shown_message": finding_message(f, lang)} for f in found or []]


def _vehicle_views(app: Application, attached: list[Any], lang: str) -> list[VehicleView]:
    lines = list((app.content or {}).get("vehicles") or [])
    judged = list((app.verdict or {}).get("vehicles") or [])
    by_vin: dict[str, dict[str, Any]] = {}
    for v in judged:
        by_vin.setdefault(normalize_identifier(v.get("vin")) or "", v)
    files: dict[str, list[Any]] = {}
    for m in attached:
        files.setdefault(m.vin_key, []).append(m)
    views = []
    for i, line in enumerate(lines):
        # The verdict lists the vehicles in the application's order; by VIN otherwise.
        v = (
            judged[i]
            if len(judged) == len(lines)
            else by_vin.get(normalize_identifier(line.get("vin")) or "", {})
        )
        key = normalize_identifier(line.get("vin")) or ""
        have = {m.item for m in files.get(key, [])} | set(line.get("materials") or [])
        views.append(
            VehicleView(
                index=i,
                line=line,
                decision=str(v.get("decision") or "pass"),
                findings=_findings(v.get("findings"), lang),
                materials=files.get(key, []),
                missing_items=[item for item in ANNEX2_ITEMS if item not in have]
                if line.get("modified") is True
                else [],
            )
        )
    return views


def _agencies(uow: UnitOfWork) -> list[str]:
    return [o.name for o in accounts.list_orgs(uow=uow) if o.kind == OrgKind.AGENCY.value]


def _countries() -> list[str]:
    """ISO codes in code order: the page names each in its own language (filter `country`)."""
    import pycountry

    return sorted(str(c.alpha_2) for c in pycountry.countries)


def _names(uow: UnitOfWork, actor: Actor) -> dict[int, str]:
    """Usernames of the exporter's own people; the agency's staff stay anonymous to it."""
    return {u.id: u.username for u in accounts.list_users(uow=uow) if u.org_id == actor.org_id}


def _page_context(
    uow: UnitOfWork, request: Request, actor: Actor, application_id: int
) -> dict[str, Any]:
    app = service.get(uow=uow, actor=actor, application_id=_checked(application_id))
    lang = lang_of(request)
    attached = materials.materials_of(uow=uow, actor=actor, application_id=app.id)
    changes = service.status_changes(uow=uow, application=app)
    returned = next(
        (c for c in reversed(changes) if c.to_status == ApplicationStatus.RETURNED.value), None
    )
    status = ApplicationStatus(app.status)
    versions = service.content_versions(uow=uow, application=app)
    return {
        "app": app,
        "content": app.content or {},
        "vehicles": _vehicle_views(app, attached, lang),
        "app_findings": _findings((app.verdict or {}).get("findings"), lang),
        "summary": (app.verdict or {}).get("summary") or {},
        "to_pass": (app.verdict or {}).get("to_pass") or {},
        "editable": status in EDITABLE,
        "withdrawable": status in WITHDRAWABLE,
        "returned": returned if status == ApplicationStatus.RETURNED else None,
        "changes": changes,
        "versions": [
            {
                "number": v.number,
                "saved_at": v.saved_at,
                "vehicles": len(v.content.get("vehicles") or []),
                "vins": [str(x.get("vin")) for x in v.content.get("vehicles") or []],
            }
            for v in reversed(versions)
        ],
        "names": _names(uow, actor),
        "notes": notes.notes_for(uow=uow, actor=actor, application_id=app.id),
        "license": service.license_of(uow=uow, application=app),
        "agencies": _agencies(uow),
        "countries": _countries(),
        "fields": VEHICLE_FIELDS,
        "field_labels": FIELD_LABELS,
        "date_fields": DATE_FIELDS,
        "annex2": ANNEX2_ITEMS,
        "item_labels": materials.ITEM_LABELS,
        "max_material_bytes": get_settings().max_material_bytes,
    }


def _application_page(
    request: Request,
    actor: Actor,
    application_id: int,
    *,
    errors: dict[str, str] | None = None,
    edit: int | None = None,
    values: dict[str, Any] | None = None,
    material_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with UnitOfWork() as uow:
        context = _page_context(uow, request, actor, application_id)
        context.update(
            errors=errors or {},
            edit=edit,
            values=values,
            material_errors=material_errors or {},
        )
        return render(
            request, "applications/exporter_application.html", context, status_code=status_code
        )


# -- dashboard ------------------------------------------------------------------------


@router.get("/applications")
def dashboard(request: Request, actor: ApplicantPage, status: str = "", page: int = 1) -> Response:
    wanted = status if status in {s.value for s in ApplicationStatus} else ""
    page = max(1, min(page, 10_000))
    with UnitOfWork() as uow:
        every = service.list_applications(uow=uow, actor=actor)
        counts = Counter(a.status for a in every)
        chosen = [a for a in every if not wanted or a.status == wanted]
        shown = chosen[(page - 1) * PER_PAGE : page * PER_PAGE]
        rows = [
            {
                "id": a.id,
                "application_id": a.application_no,
                "status": a.status,
                "destination": a.destination_country,
                "vehicles": len((a.content or {}).get("vehicles") or []),
                "decision": a.decision,
                "due_on": a.due_on,
                "updated_at": a.updated_at,
                "agency": a.issuing_agency,
            }
            for a in shown
        ]
        return render(
            request,
            "applications/exporter_dashboard.html",
            {
                # Its own rectifications past their deadline (issue 18).
                "credit_overdue": credit.overdue_rectifications(uow=uow, actor=actor),
                "rows": rows,
                "counts": counts,
                "total": len(every),
                "statuses": STATUS_ORDER,
                "wanted": wanted,
                "page": page,
                "pages": max(1, -(-len(chosen) // PER_PAGE)),
            },
        )


# -- a new application ----------------------------------------------------------------


def _blank_row() -> dict[str, str]:
    return dict.fromkeys(VEHICLE_FIELDS, "")


def _vehicle_body(values: dict[str, Any]) -> dict[str, Any]:
    """A vehicle row of a form as an APPLICATION vehicle line: blanks left out, 是/否 a
    boolean; the service validates the rest (dates, lengths) and names the problems."""
    line: dict[str, Any] = {}
    for name in VEHICLE_FIELDS:
        value = str(values.get(name) or "").strip()
        if name == "modified":
            line[name] = value in ("1", "true", "是")
        elif value:
            line[name] = value
    if "vin" not in line:
        line["vin"] = ""
    return line


def _new_page(
    request: Request,
    *,
    form: dict[str, Any],
    rows: list[dict[str, str]],
    errors: dict[str, str] | None = None,
    upload_errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    with UnitOfWork() as uow:
        agencies = _agencies(uow)
    return render(
        request,
        "applications/exporter_new.html",
        {
            "form": form,
            "rows": rows,
            "errors": errors or {},
            "upload_errors": upload_errors or [],
            "agencies": agencies,
            "countries": _countries(),
            "fields": VEHICLE_FIELDS,
            "field_labels": FIELD_LABELS,
            "date_fields": DATE_FIELDS,
        },
        status_code=status_code,
    )


@router.get("/applications/new")
def new_application(request: Request, actor: ApplicantPage) -> Response:
    return _new_page(
        request,
        form={"destination_country": "", "issuing_agency": ""},
        rows=[_blank_row() for _ in range(_NEW_ROWS)],
    )


def _create(actor: Actor, form: dict[str, Any], vehicles: list[dict[str, Any]]) -> Application:
    body = {
        "enterprise_uscc": actor.org_uscc or "",
        "issuing_agency": form.get("issuing_agency") or None,
        "destination_country": form.get("destination_country") or "",
        "vehicles": vehicles,
    }
    with UnitOfWork() as uow:
        return service.create(uow=uow, actor=actor, body=body)


@router.post("/applications/new")
def create_application(
    request: Request,
    actor: ApplicantPage,
    destination_country: Annotated[str, Form()] = "",
    issuing_agency: Annotated[str, Form()] = "",
    op: Annotated[str, Form()] = "save",
    vin: Annotated[list[str] | None, Form()] = None,
    brand: Annotated[list[str] | None, Form()] = None,
    model: Annotated[list[str] | None, Form()] = None,
    registration_date: Annotated[list[str] | None, Form()] = None,
    transfer_for_export_date: Annotated[list[str] | None, Form()] = None,
    confirmation_id: Annotated[list[str] | None, Form()] = None,
    hs_code: Annotated[list[str] | None, Form()] = None,
    modified: Annotated[list[str] | None, Form()] = None,
    chassis_brand: Annotated[list[str] | None, Form()] = None,
    modified_brand: Annotated[list[str] | None, Form()] = None,
) -> Response:
    columns = {
        "vin": vin,
        "brand": brand,
        "model": model,
        "registration_date": registration_date,
        "transfer_for_export_date": transfer_for_export_date,
        "confirmation_id": confirmation_id,
        "hs_code": hs_code,
        "modified": modified,
        "chassis_brand": chassis_brand,
        "modified_brand": modified_brand,
    }
    count = min(max(len(c or []) for c in columns.values()), _MAX_FORM_ROWS)
    rows = [
        {name: ((columns[name] or [])[i : i + 1] or [""])[0] for name in VEHICLE_FIELDS}
        for i in range(count)
    ]
    form = {"destination_country": destination_country, "issuing_agency": issuing_agency}
    # Adding and removing rows re-shows the form: nothing is saved until "save".
    if op == "add":
        return _new_page(request, form=form, rows=[*rows, _blank_row()])
    if op.startswith("remove:"):
        try:
            index = int(op.removeprefix("remove:"))
        except ValueError:
            index = -1
        kept = [r for i, r in enumerate(rows) if i != index]
        return _new_page(request, form=form, rows=kept or [_blank_row()])
    # Rows left wholly blank are the form's spare rows, not vehicles.
    filled = [r for r in rows if any(str(v).strip() and k != "modified" for k, v in r.items())]
    if not filled:
        return _new_page(
            request,
            form=form,
            rows=rows or [_blank_row()],
            errors={"vehicles": "请至少填写一辆车 / enter at least one vehicle"},
            status_code=422,
        )
    try:
        app = _create(actor, form, [_vehicle_body(r) for r in filled])
    except InvalidInput as exc:
        return _new_page(
            request,
            form=form,
            rows=filled,
            errors=field_errors(exc, prefix="body."),
            status_code=422,
        )
    flash(request, f"已保存草稿 {app.application_no} / draft {app.application_no} saved")
    return see_other(_here(app.id), request)


@router.post("/applications/upload")
def upload_application(
    request: Request,
    actor: ApplicantPage,
    file: Annotated[UploadFile, File()],
    destination_country: Annotated[str, Form()] = "",
    issuing_agency: Annotated[str, Form()] = "",
) -> Response:
    form = {"destination_country": destination_country, "issuing_agency": issuing_agency}
    data = file.file.read()  # bounded by the request-body limit (web/limits.py)
    try:
        vehicles = parse_vehicle_list(filename=file.filename or "", data=data)
        app = _create(actor, form, vehicles)
    except InvalidInput as exc:
        shown = [f"{p.location}: {p.reason}" for p in exc.problems[:200]]
        if len(exc.problems) > 200:
            shown.append(f"… (+{len(exc.problems) - 200})")
        return _new_page(
            request,
            form=form,
            rows=[_blank_row() for _ in range(_NEW_ROWS)],
            errors={k: v for k, v in field_errors(exc, prefix="body.").items() if "[" not in k},
            upload_errors=shown,
            status_code=422,
        )
    flash(
        request,
        f"已从清单保存草稿 {app.application_no}（{len(vehicles)}辆） / draft "
        f"{app.application_no} saved from the list ({len(vehicles)} vehicles)",
    )
    return see_other(_here(app.id), request)


# -- the application ------------------------------------------------------------------


@router.get("/applications/{application_id}")
def application_page(
    request: Request, actor: ApplicantPage, application_id: int, edit: int | None = None
) -> Response:
    return _application_page(request, actor, application_id, edit=edit)


@router.get("/applications/{application_id}/vehicles/{index}/edit")
def vehicle_edit_fragment(
    request: Request, actor: ApplicantPage, application_id: int, index: int
) -> Response:
    """The inline edit form of one vehicle (HTMX swaps it into the row); without HTMX the
    whole page with that row open."""
    if not is_htmx(request):
        return see_other(f"{_here(application_id)}?edit={index}#vehicle-{index}")
    with UnitOfWork() as uow:
        context = _page_context(uow, request, actor, application_id)
        if not context["editable"] or not 0 <= index < len(context["vehicles"]):
            raise NotFound(f"没有该车辆 / no vehicle {index}")
        context.update(vehicle=context["vehicles"][index], errors={}, values=None)
        return render(request, "applications/_exporter_vehicle_edit.html", context)


def _content(actor: Actor, application_id: int) -> dict[str, Any]:
    with UnitOfWork() as uow:
        app = service.get(uow=uow, actor=actor, application_id=_checked(application_id))
        return copy.deepcopy(app.content or {})


def _save(actor: Actor, application_id: int, version: int, body: dict[str, Any]) -> None:
    with UnitOfWork() as uow:
        service.edit(
            uow=uow, actor=actor, application_id=application_id, version=version, body=body
        )


def _stale(request: Request, application_id: int, exc: Conflict) -> Response:
    flash(request, f"{exc} — {RELOAD}" if "version" not in str(exc) else RELOAD)
    return see_other(_here(application_id), request)


def _acted(
    request: Request,
    actor: Actor,
    application_id: int,
    act: Callable[[], str],
    *,
    error_prefix: str = "",
) -> Response:
    """Run a change of the application; back to its page with `act`'s message, or with
    the reload message when the form was stale, or the page with the problems (422)."""
    try:
        done = act()
    except Conflict as exc:
        return _stale(request, application_id, exc)
    except InvalidInput as exc:
        return _application_page(
            request,
            actor,
            application_id,
            errors=field_errors(exc, prefix=error_prefix),
            status_code=422,
        )
    flash(request, done)
    return see_other(_here(application_id), request)


def _form_values(form: dict[str, str]) -> dict[str, str]:
    return {name: form.get(name, "") for name in VEHICLE_FIELDS}


@router.post("/applications/{application_id}/vehicles/{index}")
def save_vehicle(
    request: Request,
    actor: ApplicantPage,
    application_id: int,
    index: int,
    version: Annotated[int, Form()],
    vin: Annotated[str, Form()] = "",
    brand: Annotated[str, Form()] = "",
    model: Annotated[str, Form()] = "",
    registration_date: Annotated[str, Form()] = "",
    transfer_for_export_date: Annotated[str, Form()] = "",
    confirmation_id: Annotated[str, Form()] = "",
    hs_code: Annotated[str, Form()] = "",
    modified: Annotated[str, Form()] = "",
    chassis_brand: Annotated[str, Form()] = "",
    modified_brand: Annotated[str, Form()] = "",
) -> Response:
    """Fix one vehicle's fields (index -1: add a vehicle); the check runs again."""
    values = {
        "vin": vin,
        "brand": brand,
        "model": model,
        "registration_date": registration_date,
        "transfer_for_export_date": transfer_for_export_date,
        "confirmation_id": confirmation_id,
        "hs_code": hs_code,
        "modified": modified,
        "chassis_brand": chassis_brand,
        "modified_brand": modified_brand,
    }
    content = _content(actor, application_id)
    vehicles = list(content.get("vehicles") or [])
    line = _vehicle_body(values)
    if index == -1:
        vehicles.append({**line, "materials": []})
        at = len(vehicles) - 1
    elif 0 <= index < len(vehicles):
        # What the form does not show (materials, fields others added) is kept.
        kept = {k: v for k, v in vehicles[index].items() if k not in VEHICLE_FIELDS}
        vehicles[index] = {**kept, **line}
        at = index
    else:
        raise NotFound(f"没有该车辆 / no vehicle {index}")
    content["vehicles"] = vehicles
    try:
        _save(actor, application_id, version, content)
    except Conflict as exc:
        return _stale(request, application_id, exc)
    except InvalidInput as exc:
        found = field_errors(exc, prefix=f"body.vehicles[{at}].")
        errors = {k: v for k, v in found.items() if k in VEHICLE_FIELDS}
        if not errors:  # a problem elsewhere in the document: shown at the top
            errors = {"": next(iter(found.values()), str(exc))}
        return _application_page(
            request,
            actor,
            application_id,
            errors=errors,
            edit=index,
            values=_form_values(values),
            status_code=200 if is_htmx(request) else 422,
        )
    flash(request, "已保存并重新预审 / saved and checked again")
    return see_other(f"{_here(application_id)}#vehicle-{at}", request)


@router.post("/applications/{application_id}/vehicles/{index}/remove")
def remove_vehicle(
    request: Request,
    actor: ApplicantPage,
    application_id: int,
    index: int,
    version: Annotated[int, Form()],
) -> Response:
    content = _content(actor, application_id)
    vehicles = list(content.get("vehicles") or [])
    if not 0 <= index < len(vehicles):
        raise NotFound(f"没有该车辆 / no vehicle {index}")
    removed = vehicles.pop(index)
    if not vehicles:
        flash(
            request,
            "申请须至少保留一辆车；不再需要时请撤回 / an application keeps at least one "
            "vehicle: withdraw it if it is no longer needed",
        )
        return see_other(_here(application_id), request)
    content["vehicles"] = vehicles

    def remove() -> str:
        _save(actor, application_id, version, content)
        return f"已移除车辆 {removed.get('vin')} / vehicle {removed.get('vin')} removed"

    return _acted(request, actor, application_id, remove)


@router.post("/applications/{application_id}/details")
def save_details(
    request: Request,
    actor: ApplicantPage,
    application_id: int,
    version: Annotated[int, Form()],
    destination_country: Annotated[str, Form()] = "",
    issuing_agency: Annotated[str, Form()] = "",
) -> Response:
    content = _content(actor, application_id)
    content.update(destination_country=destination_country, issuing_agency=issuing_agency or None)

    def save() -> str:
        _save(actor, application_id, version, content)
        return "已保存并重新预审 / saved and checked again"

    return _acted(request, actor, application_id, save, error_prefix="body.")


@router.post("/applications/{application_id}/submit")
def submit(
    request: Request, actor: ApplicantPage, application_id: int, version: Annotated[int, Form()]
) -> Response:
    def submit_it() -> str:
        with UnitOfWork() as uow:
            app = service.submit(
                uow=uow, actor=actor, application_id=_checked(application_id), version=version
            )
            due = app.due_on
        return f"已提交，办理期限 {due} / submitted, due on {due}"

    return _acted(request, actor, application_id, submit_it)


@router.post("/applications/{application_id}/withdraw")
def withdraw(
    request: Request,
    actor: ApplicantPage,
    application_id: int,
    version: Annotated[int, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    reason = reason.strip()[: get_settings().max_note_chars]
    try:
        with UnitOfWork() as uow:
            service.withdraw(
                uow=uow,
                actor=actor,
                application_id=_checked(application_id),
                version=version,
                reason=reason or None,
            )
    except Conflict as exc:
        return _stale(request, application_id, exc)
    flash(request, "已撤回申请 / application withdrawn")
    return see_other(_here(application_id), request)


# -- Annex 2 materials ----------------------------------------------------------------


@router.post("/applications/{application_id}/materials")
def attach_material(
    request: Request,
    actor: ApplicantPage,
    application_id: int,
    version: Annotated[int, Form()],
    vin: Annotated[str, Form()],
    item: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
) -> Response:
    limit = get_settings().max_material_bytes
    # One byte more than the limit is enough to refuse it; the body limit bounds the rest.
    data = file.file.read(limit + 1)
    try:
        with UnitOfWork() as uow:
            material = materials.attach(
                uow=uow,
                actor=actor,
                application_id=_checked(application_id),
                version=version,
                vin=vin,
                item=item,
                filename=file.filename,
                data=data,
            )
            name = material.filename
    except Conflict as exc:
        return _stale(request, application_id, exc)
    except InvalidInput as exc:
        found = field_errors(exc)
        return _application_page(
            request,
            actor,
            application_id,
            material_errors={"vin": vin, **found},
            status_code=422,
        )
    flash(request, f"已上传材料 {name} / material {name} attached")
    return see_other(f"{_here(application_id)}#materials-{normalize_identifier(vin)}", request)


@router.post("/applications/{application_id}/materials/{material_id}/remove")
def remove_material(
    request: Request,
    actor: ApplicantPage,
    application_id: int,
    material_id: int,
    version: Annotated[int, Form()],
) -> Response:
    try:
        with UnitOfWork() as uow:
            materials.detach(
                uow=uow,
                actor=actor,
                application_id=_checked(application_id),
                version=version,
                material_id=material_id,
            )
    except Conflict as exc:
        return _stale(request, application_id, exc)
    flash(request, "已删除材料 / material removed")
    return see_other(_here(application_id), request)


@router.get("/applications/{application_id}/materials/{material_id}")
def download_material(
    request: Request, actor: PageActor, application_id: int, material_id: int
) -> Response:
    """Any role that may see the application (its exporter, its agency once submitted,
    the monitor); anyone else gets 404 (403 for roles that see no applications)."""
    return send_material(actor, application_id, material_id)


def send_material(actor: Actor, application_id: int, material_id: int) -> Response:
    """The file as an attachment (never rendered inline: a PDF or image from an exporter
    is not trusted content of this site), for whoever may see the application. Other
    roles' pages (the agency's, the monitor's) may route to this too."""
    with UnitOfWork() as uow:
        found = materials.open_material(
            uow=uow,
            actor=actor,
            application_id=_checked(application_id),
            material_id=min(max(material_id, 0), _MAX_ID),
        )
        name, media_type = found.material.filename, found.material.content_type
    return FileResponse(
        found.path,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "sandbox",
        },
    )
