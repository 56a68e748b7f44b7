"""Use cases of applications and licenses; the only writer of their tables.

Licenses arrive from the licenses feed (and as FACTS `open_licenses`): the feeds
importer and `load_facts` write them through `LICENSE_TABLE`, which this module alone
builds from its models, and the checker reads the open ones through `open_licenses`.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Select, and_, delete, func, select, update
from sqlalchemy.orm import load_only

from carexport import audit, clock, jsondoc
from carexport.accounts import service as accounts
from carexport.accounts.actor import Actor
from carexport.accounts.enums import AGENCY_ROLES, Role
from carexport.applications.enums import (
    DECISIONS,
    EXTENDABLE,
    OPEN_LICENSE,
    Action,
    ApplicationStatus,
    LicenseStatus,
)
from carexport.applications.inputs import validate
from carexport.applications.models import (
    Application,
    ApplicationContent,
    License,
    LicenseCounter,
    LicenseVehicle,
    StatusChange,
    VehicleLine,
)
from carexport.applications.transitions import (
    ROLES,
    ActionConflict,
    ActionForbidden,
    ReasonRequired,
    blank,
    next_status,
)
from carexport.bulk import RecordTable, Row, iso, natural_key, table_target
from carexport.config import get_settings
from carexport.credit import service as credit
from carexport.db import UnitOfWork
from carexport.documents import licenses as signed_licenses
from carexport.domain import facts as f
from carexport.domain.application import Application as DomainApplication
from carexport.domain.text import normalize_identifier, normalize_text
from carexport.domain.text import normalize_identifier as ident
from carexport.domain.working_days import add_working_days, official_calendar
from carexport.errors import Conflict, Forbidden, InputProblem, InvalidInput, NotFound
from carexport.rules.evaluate import evaluate
from carexport.rules.license_validity import (
    LicenseRules,
    extension_problem,
    license_term,
    license_year_problem,
)
from carexport.rules.parameters import default_parameters

__all__ = ["LICENSE_TABLE", "LicenseStatus", "license_key", "open_licenses"]

_LICENSES = table_target(License, "license_key")
_LICENSE_VEHICLES = table_target(LicenseVehicle, "license_key", part=True)
_CHUNK = 500  # bind parameters per IN list


def license_key(license_no: str | None, vins: Iterable[str] = ()) -> str:
    """The natural key of a license: its number. A FACTS open license may lack its
    number; its VINs then identify it. Customs declarations cite licenses by this key."""
    number = ident(license_no)
    return (
        natural_key("no", number)
        if number
        else natural_key("vins", *sorted(ident(v) or "" for v in vins))
    )


def _license_rows(r: Any) -> tuple[Row, list[Row]]:
    """A license (a licenses-feed row or a FACTS open license) and its annex lines."""
    vins = list(r.vins or [])
    key = license_key(r.license_no, vins)
    status = getattr(r, "status", None) or LicenseStatus.OPEN
    values = {
        "license_key": key,
        "license_no": r.license_no,
        "agency": getattr(r, "agency", None),
        "enterprise_uscc": getattr(r, "enterprise_uscc", None),
        "enterprise_key": ident(getattr(r, "enterprise_uscc", None)),
        "application_id": None,
        "issued_on": iso(getattr(r, "issued_on", None)),
        "valid_to": iso(getattr(r, "valid_to", None)),
        "status": str(status.value if isinstance(status, Enum) else status),
        # Numbered and dated by the workflow only (licenses issued here).
        "region": None,
        "year": None,
        "sequence": None,
        "valid_from": None,
        "destination_country": None,
    }
    lines = [
        {
            "license_key": key,
            "position": i,
            "vin": v,
            "vin_key": ident(v),
            "brand": None,
            "model": None,
            "registration_date": None,
            "transfer_for_export_date": None,
        }
        for i, v in enumerate(vins)
    ]
    return (
        tuple(values[c] for c in _LICENSES.columns),
        [tuple(line[c] for c in _LICENSE_VEHICLES.columns) for line in lines],
    )


LICENSE_TABLE = RecordTable(_LICENSES, _license_rows, _LICENSE_VEHICLES)


def _chunks(values: Iterable[str]) -> list[list[str]]:
    items = sorted(set(values))
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def open_licenses(*, uow: UnitOfWork, vin_keys: Collection[str | None]) -> list[f.OpenLicense]:
    """The open licenses naming any of these VINs (normalised), in insertion order."""
    session = uow.session
    keys: set[str] = set()
    for chunk in _chunks(v for v in vin_keys if v is not None):
        keys.update(
            session.scalars(
                select(LicenseVehicle.license_key).where(LicenseVehicle.vin_key.in_(chunk))
            )
        )
    found: dict[int, License] = {}
    for chunk in _chunks(keys):
        for lic in session.scalars(select(License).where(License.license_key.in_(chunk))):
            found[lic.id] = lic
    licenses: Sequence[License] = [
        found[i] for i in sorted(found) if found[i].status in OPEN_LICENSE
    ]
    vins: dict[str, list[str]] = {}
    for chunk in _chunks(lic.license_key for lic in licenses):
        query = (
            select(LicenseVehicle)
            .where(LicenseVehicle.license_key.in_(chunk))
            .order_by(LicenseVehicle.license_key, LicenseVehicle.position)
        )
        for line in session.scalars(query):
            vins.setdefault(line.license_key, []).append(line.vin)
    return [
        f.OpenLicense.model_validate(
            {"license_no": lic.license_no, "vins": vins.get(lic.license_key, [])}
        )
        for lic in licenses
    ]


# --- the workflow: filing, review, decision and license issue (WORKFLOW.md) ---------
#
# Each use case below takes the caller's UnitOfWork and commits once. A change starts
# with `_claim`: `UPDATE applications SET version = version + 1 WHERE id = :id AND
# version = :v`. That one statement is the optimistic check and the lock: on PostgreSQL
# a second approval of the same version waits on the row, then finds the version moved
# and changes nothing (409); on SQLite it is the transaction's first statement, so the
# write lock is taken before anything is read (a read first would leave a snapshot that
# a concurrent writer makes stale, and SQLite would refuse the later write).

APPLICATION = "application"
LICENSE = "license"
# The audit verb of an internal note (applications.notes): never shown to the exporter,
# not even as an entry of the history.
INTERNAL_NOTE_VERB = "application.note.internal"

# Roles that may read applications at all; any other role gets 403 (admin, issuer).
_READERS = frozenset({Role.APPLICANT, Role.REVIEWER, Role.SENIOR_REVIEWER, Role.MONITOR})
_LIST_LIMIT = 10_000


@dataclass(frozen=True)
class LicenseView:
    """A license with its annex lines, for the views."""

    license: License
    annex: list[LicenseVehicle]


def _not_found(application_id: object) -> NotFound:
    return NotFound(f"没有该申请 / no application {application_id}")


def _require_reader(actor: Actor) -> None:
    if actor.role not in _READERS:
        raise Forbidden(
            f"角色 {actor.role} 不能查看申请 / the role {actor.role} may not see applications"
        )


def _agency_key(actor: Actor) -> str | None:
    return normalize_text(actor.org_name)


def _visible(actor: Actor, app: Application) -> bool:
    """WORKFLOW.md's "sees": the applicant its org's own; an agency what names it, once
    submitted (drafts never); the monitor everything ever submitted."""
    if actor.role == Role.APPLICANT:
        return app.org_id is not None and app.org_id == actor.org_id
    if actor.role in AGENCY_ROLES:
        key = _agency_key(actor)
        return key is not None and app.agency_key == key and app.first_submitted_at is not None
    if actor.role == Role.MONITOR:
        return app.first_submitted_at is not None
    return False


def _visible_clause(actor: Actor) -> ColumnElement[bool]:
    """`_visible` as a WHERE clause, for lists."""
    if actor.role == Role.APPLICANT:
        return Application.org_id == actor.org_id
    if actor.role in AGENCY_ROLES:
        return and_(
            Application.agency_key == _agency_key(actor),
            Application.first_submitted_at.is_not(None),
        )
    return Application.first_submitted_at.is_not(None)


def _load(uow: UnitOfWork, actor: Actor, application_id: int) -> Application:
    """The application if `actor` may see it: 403 for a role that sees none, 404 for
    one that is not there or not theirs (existence does not leak)."""
    _require_reader(actor)
    app = uow.session.get(Application, application_id, populate_existing=True)
    if app is None or app.content is None or not _visible(actor, app):
        raise _not_found(application_id)
    return app


def _claim(
    uow: UnitOfWork, actor: Actor, application_id: int, version: int, action: Action
) -> Application:
    """Raise the application's version if it is still `version`; else explain why not
    (404 before 403 before 409, so that each refusal tells only what the caller may know)."""
    result = uow.session.execute(
        update(Application)
        .where(Application.id == application_id, Application.version == version)
        .values(version=Application.version + 1)
        .execution_options(synchronize_session=False)
    )
    app = _load(uow, actor, application_id)
    if cast(CursorResult[Any], result).rowcount != 1:
        if actor.role not in ROLES[action]:
            raise ActionForbidden(
                f"角色 {actor.role} 不能执行 {action} / the role {actor.role} may not {action}"
            )
        raise ActionConflict(
            f"申请已被修改（当前版本 {app.version}），请刷新后重试 / the application has "
            f"changed (version {app.version} now, not {version}): reload and try again",
            app.status,
            app.version,
        )
    return app


def _record(
    uow: UnitOfWork,
    actor: Actor,
    app: Application,
    *,
    action: Action,
    from_status: str | None,
    reason: str | None,
    now: datetime,
    verb: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """The status change row and its audit entry, in the use case's transaction."""
    uow.session.add(
        StatusChange(
            application_id=app.id,
            action=action.value,
            from_status=from_status,
            to_status=app.status,
            reason=reason,
            user_id=actor.user_id,
            at=now,
            version=app.version,
            departure=bool((extra or {}).get("departure", False)),
        )
    )
    before = app.version - 1 if from_status is not None else None
    audit.append(
        uow.session,
        verb=verb or f"application.{action.value}",
        object_kind=APPLICATION,
        object_id=app.id,
        actor=actor,
        reason=reason,
        versions={"from": before, "to": app.version},
        payload={
            "application_id": app.application_no,
            "from_status": from_status,
            "to_status": app.status,
            **(extra or {}),
        },
        at=now,
    )


def _parse(body: Any, *, application_no: str, today: date) -> tuple[DomainApplication, int | None]:
    """The exporter's APPLICATION document, with the fields the server sets, or
    InvalidInput naming each problem (locations inside the document)."""
    settings = get_settings()
    if not isinstance(body, dict):
        raise InvalidInput(
            [InputProblem("body", jsondoc.DOCUMENT, "expected a JSON object", "model_type")]
        )
    year = body.get("license_year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise InvalidInput(
            [InputProblem("body", "license_year", "expected an integer year", "int_type")]
        )
    value = {**body, "application_id": application_no, "submitted_on": today.isoformat()}
    application = validate(DomainApplication, value, "body", settings)
    problem = license_year_problem(year, today, LicenseRules.on(today))
    if problem is not None:
        raise InvalidInput([InputProblem("body", "license_year", problem, "license_year")])
    return application, year


def _content(application: DomainApplication, license_year: int | None) -> dict[str, Any]:
    content = application.model_dump(mode="json")
    if license_year is not None:
        content["license_year"] = license_year
    return content


def _check_parties(uow: UnitOfWork, actor: Actor, application: DomainApplication) -> str:
    """The applicant files for its own enterprise (403) with an agency that exists (422);
    returns the agency's key."""
    if normalize_identifier(application.enterprise_uscc) != normalize_identifier(actor.org_uscc):
        raise Forbidden(
            "只能以本企业的统一社会信用代码申请 / enterprise_uscc must be your own enterprise's"
        )
    agency = (
        None
        if application.issuing_agency is None
        else accounts.find_agency(uow=uow, name=application.issuing_agency)
    )
    if agency is None:
        raise InvalidInput(
            [
                InputProblem(
                    "body",
                    "issuing_agency",
                    "须为已登记的发证机构名称 / must name a registered issuing agency",
                    "unknown_agency",
                )
            ]
        )
    return agency.name_key


def _verdict(uow: UnitOfWork, application: DomainApplication, as_of: date) -> dict[str, Any]:
    """The checker's verdict on `application` with the facts in the store as of `as_of`."""
    # Imported here: the feeds service imports this module (LICENSE_TABLE) at its top.
    from carexport.feeds import service as feeds

    facts = feeds.facts_for_application(uow=uow, application=application)
    return evaluate(application, facts, as_of).as_json()


def _save_content(
    uow: UnitOfWork,
    actor: Actor,
    app: Application,
    application: DomainApplication,
    license_year: int | None,
    agency_key: str,
    today: date,
    now: datetime,
) -> None:
    """Store the content (a new numbered version), its vehicle lines and its verdict."""
    session = uow.session
    app.content = _content(application, license_year)
    app.license_year = license_year
    app.enterprise_uscc = application.enterprise_uscc
    app.enterprise_key = normalize_identifier(application.enterprise_uscc) or ""
    app.issuing_agency = application.issuing_agency
    app.agency_key = agency_key
    app.destination_country = application.destination_country
    app.submitted_on = today
    verdict = _verdict(uow, application, today)
    app.verdict = verdict
    app.decision = verdict.get("decision")
    app.updated_at = now
    number = (
        session.scalar(
            select(func.max(ApplicationContent.number)).where(
                ApplicationContent.application_id == app.id
            )
        )
        or 0
    ) + 1
    session.add(
        ApplicationContent(
            application_id=app.id,
            number=number,
            content=app.content,
            saved_at=now,
            saved_by=actor.user_id,
        )
    )
    # The lines are an index of the content (VIN searches); replaced as a whole.
    session.execute(delete(VehicleLine).where(VehicleLine.application_id == app.id))
    session.add_all(
        VehicleLine(
            application_id=app.id,
            position=i,
            vin=v.vin,
            vin_key=normalize_identifier(v.vin) or "",
            brand=v.brand,
            model=v.model,
            registration_date=v.registration_date,
            transfer_for_export_date=v.transfer_for_export_date,
            confirmation_id=v.confirmation_id,
            hs_code=v.hs_code,
            modified=v.modified,
            chassis_brand=v.chassis_brand,
            modified_brand=v.modified_brand,
        )
        for i, v in enumerate(application.vehicles)
    )


def _stored_application(app: Application) -> DomainApplication:
    settings = get_settings()
    return validate(DomainApplication, app.content, "application", settings)


def _when(at: datetime | None) -> tuple[datetime, date]:
    """The instant and the office date of an action: now and today, or `at` for an action
    recorded after the fact (the demo's year of applications, an import of earlier files)."""
    if at is None:
        return clock.now(), clock.today()
    return at.astimezone(UTC), at.astimezone(clock.OFFICE_ZONE).date()


def create(*, uow: UnitOfWork, actor: Actor, body: Any, at: datetime | None = None) -> Application:
    """A new draft from the exporter's APPLICATION document; its verdict as of today."""
    next_status(status=None, action=Action.CREATE, role=actor.role)
    now, today = _when(at)
    application, license_year = _parse(body, application_no="pending", today=today)
    agency_key = _check_parties(uow, actor, application)
    app = Application(
        application_key=natural_key("workflow", uuid.uuid4().hex),
        application_no="pending",
        enterprise_uscc=application.enterprise_uscc,
        enterprise_key=normalize_identifier(application.enterprise_uscc) or "",
        destination_country=application.destination_country,
        status=ApplicationStatus.DRAFT.value,
        org_id=actor.org_id,
        version=1,
        created_at=now,
    )
    uow.session.add(app)
    uow.session.flush()
    # The number is known once the row has its id.
    app.application_no = f"CX-{today.year}-{app.id:06d}"
    app.application_key = natural_key("no", app.application_no)
    application = application.model_copy(update={"application_id": app.application_no})
    _save_content(uow, actor, app, application, license_year, agency_key, today, now)
    _record(uow, actor, app, action=Action.CREATE, from_status=None, reason=None, now=now)
    uow.commit()
    return app


def edit(
    *,
    uow: UnitOfWork,
    actor: Actor,
    application_id: int,
    version: int,
    body: Any,
    at: datetime | None = None,
) -> Application:
    """Replace a draft's or a returned application's content (kept as a new version)."""
    app = revise(
        uow=uow, actor=actor, application_id=application_id, version=version, body=body, at=at
    )
    uow.commit()
    return app


def revise(
    *,
    uow: UnitOfWork,
    actor: Actor,
    application_id: int,
    version: int,
    body: Any,
    at: datetime | None = None,
) -> Application:
    """`edit` without its commit: a step of a use case that changes more in the same
    transaction (applications.materials: the file's row and the content that lists it)."""
    app = _claim(uow, actor, application_id, version, Action.EDIT)
    status = ApplicationStatus(app.status)
    next_status(status=status, action=Action.EDIT, role=actor.role)
    now, today = _when(at)
    application, license_year = _parse(body, application_no=app.application_no, today=today)
    agency_key = _check_parties(uow, actor, application)
    _save_content(uow, actor, app, application, license_year, agency_key, today, now)
    _record(uow, actor, app, action=Action.EDIT, from_status=status.value, reason=None, now=now)
    return app


def submit(
    *, uow: UnitOfWork, actor: Actor, application_id: int, version: int, at: datetime | None = None
) -> Application:
    """Submit: the verdict from the store as of today is stored with the application and
    never changes; the content is frozen; the agency's clock starts (due_on)."""
    app = _claim(uow, actor, application_id, version, Action.SUBMIT)
    status = ApplicationStatus(app.status)
    move = next_status(status=status, action=Action.SUBMIT, role=actor.role)
    now, today = _when(at)
    problem = license_year_problem(app.license_year, today, LicenseRules.on(today))
    if problem is not None:
        raise InvalidInput([InputProblem("application", "license_year", problem, "license_year")])
    application = _stored_application(app).model_copy(update={"submitted_on": today})
    app.content = _content(application, app.license_year)
    verdict = _verdict(uow, application, today)
    # A suspended enterprise is refused here (CREDIT.SUSPENDED names the decision); the
    # FILL and BAN findings of a submission go on its credit record, once per fact.
    credit.check_submission(verdict=verdict, status=status.value, version=version)
    app.verdict = verdict
    app.decision = verdict.get("decision")
    app.submitted_on = today
    days = int(default_parameters().value("license.review_working_days", today))
    app.due_on = add_working_days(today, days, official_calendar())
    app.status = move.to.value
    app.recommended_by = None
    if app.first_submitted_at is None:
        app.first_submitted_at = now
    app.updated_at = now
    _record(
        uow,
        actor,
        app,
        action=Action.SUBMIT,
        from_status=status.value,
        reason=None,
        now=now,
        extra={"decision": app.decision, "due_on": app.due_on.isoformat()},
    )
    credit.events_from_findings(
        uow=uow,
        application_id=app.id,
        application_no=app.application_no,
        enterprise_uscc=app.enterprise_uscc,
        verdict=verdict,
        at=now,
    )
    uow.commit()
    return app


def withdraw(
    *,
    uow: UnitOfWork,
    actor: Actor,
    application_id: int,
    version: int,
    reason: str | None,
    at: datetime | None = None,
) -> Application:
    app = _claim(uow, actor, application_id, version, Action.WITHDRAW)
    status = ApplicationStatus(app.status)
    move = next_status(status=status, action=Action.WITHDRAW, role=actor.role, reason=reason)
    now, _ = _when(at)
    app.status = move.to.value
    app.due_on = None
    app.updated_at = now
    _record(
        uow, actor, app, action=Action.WITHDRAW, from_status=status.value, reason=reason, now=now
    )
    uow.commit()
    return app


def decide(
    *,
    uow: UnitOfWork,
    actor: Actor,
    application_id: int,
    version: int,
    action: Action,
    reason: str | None,
    at: datetime | None = None,
) -> Application:
    """Approve, refuse or return (the agency). An approval of a `review` verdict goes to
    a senior reviewer's countersign; an approval that stands issues the license in this
    same transaction."""
    if action not in DECISIONS:
        raise InvalidInput(
            [InputProblem("body", "action", "须为 approve、refuse 或 return", "enum")]
        )
    app = _claim(uow, actor, application_id, version, action)
    status = ApplicationStatus(app.status)
    move = next_status(
        status=status,
        action=action,
        role=actor.role,
        verdict=app.verdict,
        reason=reason,
        is_recommender=app.recommended_by is not None and app.recommended_by == actor.user_id,
    )
    now, today = _when(at)
    app.status = move.to.value
    app.updated_at = now
    extra: dict[str, Any] = {"decision": app.decision}
    # A refused `pass` or an approved `review` departs from the verdict: the monitor
    # counts these.
    if (move.to == ApplicationStatus.REFUSED and app.decision == "pass") or (
        move.to == ApplicationStatus.APPROVED and app.decision == "review"
    ):
        extra["departure"] = True
    if move.recommends:
        app.recommended_by = actor.user_id
        verb = "application.recommended"
    else:
        verb = f"application.{move.to.value}"
    if move.to == ApplicationStatus.RETURNED:
        app.due_on = None  # a return stops the clock; a resubmission starts a new one
        app.recommended_by = None
    license_no = None
    if move.to == ApplicationStatus.APPROVED:
        license_no = _issue_license(uow, actor, app, today, now).license_no
        extra["license_no"] = license_no
    _record(
        uow,
        actor,
        app,
        action=action,
        from_status=status.value,
        reason=reason,
        now=now,
        verb=verb,
        extra=extra,
    )
    uow.commit()
    return app


def _next_sequence(uow: UnitOfWork, region: str, year: int) -> int:
    """The next license number of `region` and `year`.

    One INSERT … ON CONFLICT DO UPDATE … RETURNING on the counter row: it creates the
    row or row-locks and raises it, so concurrent approvals queue on it until the first
    commits (no duplicates), and a rolled-back approval releases its number (no gaps).
    """
    session = uow.session
    insert_: Any
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as insert_
    else:
        from sqlalchemy.dialects.sqlite import insert as insert_
    statement = (
        insert_(LicenseCounter)
        .values(region=region, year=year, last=1)
        .on_conflict_do_update(
            index_elements=[LicenseCounter.region, LicenseCounter.year],
            set_={"last": LicenseCounter.last + 1},
        )
        .returning(LicenseCounter.last)
    )
    number = int(session.execute(statement).scalar_one())
    if _license_no_taken(uow, region, year, number):
        # A licenses feed loaded numbers of this region and year that the counter never
        # gave (a former system's): continue after the highest, under the same row lock.
        number = _highest_feed_sequence(uow, region, year) + 1
        session.execute(
            update(LicenseCounter)
            .where(LicenseCounter.region == region, LicenseCounter.year == year)
            .values(last=number)
        )
    return number


def _license_no(region: str, year: int, sequence: int) -> str:
    return f"{region}-{year}-{sequence:06d}"


def _license_no_taken(uow: UnitOfWork, region: str, year: int, sequence: int) -> bool:
    key = license_key(_license_no(region, year, sequence))
    return uow.session.scalar(select(License.id).where(License.license_key == key)) is not None


def _highest_feed_sequence(uow: UnitOfWork, region: str, year: int) -> int:
    prefix = f"{region}-{year}-"
    numbers = uow.session.scalars(
        select(License.license_no).where(License.license_no.startswith(prefix, autoescape=True))
    )
    sequences = [int(n[len(prefix) :]) for n in numbers if n and n[len(prefix) :].isdigit()]
    return max(sequences, default=0)


def continue_numbering(*, uow: UnitOfWork, region: str, year: int, last: int) -> None:
    """Licenses numbered before this store issued any (a former system's, loaded from the
    licenses feed) hold `region`-`year`-000001 … `last`: the next license issued here
    gets `last` + 1. Never lowers a counter (a number is never given twice)."""
    session = uow.session
    counter = session.get(LicenseCounter, (region, year), with_for_update=True)
    if counter is None:
        session.add(LicenseCounter(region=region, year=year, last=last))
    elif counter.last < last:
        counter.last = last
    uow.commit()


def _issue_license(
    uow: UnitOfWork, actor: Actor, app: Application, today: date, now: datetime
) -> License:
    """The license of an approved application, numbered, with its annex taken from the
    registration records in the store (648号 一（二）: they must match the 登记证书)."""
    # Imported here: the feeds service imports this module (LICENSE_TABLE) at its top.
    from carexport.feeds import service as feeds

    region = actor.org_region
    if not region:
        raise Conflict(
            "发证机构未登记地区代码，不能编号 / the agency has no region code to number "
            "licenses with: set its region",
            status=app.status,
            version=app.version,
        )
    term = license_term(today, app.license_year, LicenseRules.on(today))
    sequence = _next_sequence(uow, region, term.year)
    license_no = _license_no(region, term.year, sequence)
    application = _stored_application(app)
    facts = feeds.facts_for_application(uow=uow, application=application)
    records: dict[str, Any] = {}
    for row in facts.registrations:  # the first row per VIN counts (CHECK_FORMAT.md)
        records.setdefault(normalize_identifier(row.vin) or "", row)
    key = license_key(license_no)
    lic = License(
        license_key=key,
        license_no=license_no,
        agency=app.issuing_agency,
        enterprise_uscc=app.enterprise_uscc,
        enterprise_key=app.enterprise_key,
        application_id=app.id,
        issued_on=today,
        valid_from=term.valid_from,
        valid_to=term.valid_to,
        status=LicenseStatus.ISSUED.value,
        region=region,
        year=term.year,
        sequence=sequence,
        destination_country=app.destination_country,
    )
    uow.session.add(lic)
    for position, vehicle in enumerate(application.vehicles):
        vin_key = normalize_identifier(vehicle.vin) or ""
        record = records.get(vin_key)
        uow.session.add(
            LicenseVehicle(
                license_key=key,
                position=position,
                vin=record.vin if record is not None else vehicle.vin,
                vin_key=vin_key,
                brand=None if record is None else record.brand,
                model=None if record is None else record.model,
                registration_date=None if record is None else record.registration_date,
                transfer_for_export_date=(
                    None if record is None else record.transfer_for_export_date
                ),
            )
        )
    uow.session.flush()
    signed = _sign_license(uow, actor, lic, today, now)
    audit.append(
        uow.session,
        verb="license.issued",
        object_kind=LICENSE,
        object_id=license_no,
        actor=actor,
        versions={"application": app.version},
        payload={
            "application": app.id,
            "application_id": app.application_no,
            "valid_from": term.valid_from.isoformat(),
            "valid_to": term.valid_to.isoformat(),
            "document_version": signed.version,
            "key_id": signed.key_id,
        },
        at=now,
    )
    return lic


def _sign_license(
    uow: UnitOfWork, actor: Actor, lic: License, on: date, now: datetime
) -> signed_licenses.SignedLicense:
    """The license's next signed version, sealed by the agency's key in this same
    transaction (documents/licenses.py; unsigned, with the reason, when it has none)."""
    app = None if lic.application_id is None else uow.session.get(Application, lic.application_id)
    exporter = (
        None if app is None or app.org_id is None else accounts.get_org(uow=uow, org_id=app.org_id)
    )
    # Set on every license issued here (_issue_license); the callers sign no other.
    assert lic.license_no is not None
    assert lic.issued_on is not None
    assert lic.valid_from is not None
    assert lic.valid_to is not None
    facts = signed_licenses.LicenseFacts(
        license_no=lic.license_no,
        status=lic.status,
        issued_on=lic.issued_on,
        valid_from=lic.valid_from,
        valid_to=lic.valid_to,
        agency=lic.agency or "",
        agency_region=lic.region,
        enterprise_uscc=lic.enterprise_uscc or "",
        enterprise_name=None if exporter is None else exporter.name,
        destination_country=lic.destination_country or "",
        annex=[
            signed_licenses.AnnexLine(
                vin=line.vin,
                brand=line.brand,
                model=line.model,
                registration_date=line.registration_date,
                transfer_for_export_date=line.transfer_for_export_date,
            )
            for line in _annex(uow, lic)
        ],
    )
    return signed_licenses.sign_license(
        session=uow.session, agency_org_id=actor.org_id, facts=facts, on=on, now=now
    )


def get(*, uow: UnitOfWork, actor: Actor, application_id: int) -> Application:
    return _load(uow, actor, application_id)


def holds_applications(*, uow: UnitOfWork) -> bool:
    """Whether any application was filed here (the demo files its year only once)."""
    return uow.session.scalar(select(Application.id).limit(1)) is not None


def license_of(*, uow: UnitOfWork, application: Application) -> License | None:
    return uow.session.scalar(
        select(License).where(License.application_id == application.id).order_by(License.id)
    )


def _list_query(actor: Actor, status: ApplicationStatus | None) -> Select[Any]:
    _require_reader(actor)
    query = select(Application).where(Application.content.is_not(None), _visible_clause(actor))
    if status is not None:
        query = query.where(Application.status == status.value)
    if actor.role == Role.APPLICANT:
        return query.order_by(Application.id.desc())
    # NULLS LAST rather than `due_on IS NULL` first: the same order, and the one
    # ix_applications_queue holds on PostgreSQL (no sort of the whole queue).
    return query.order_by(Application.due_on.asc().nulls_last(), Application.id)


def list_applications(
    *,
    uow: UnitOfWork,
    actor: Actor,
    status: ApplicationStatus | None = None,
    limit: int = _LIST_LIMIT,
    offset: int = 0,
) -> list[Application]:
    """The applications `actor` sees; the agency's queue by due date (none last)."""
    query = _list_query(actor, status).options(load_only(*SUMMARY_COLUMNS))
    return list(uow.session.scalars(query.limit(min(limit, _LIST_LIMIT)).offset(offset)))


# The queue's columns, in the order of SummaryRow (applications/views.py unpacks them by
# position).
SUMMARY_COLUMNS = (
    Application.id,
    Application.application_no,
    Application.status,
    Application.version,
    Application.due_on,
    Application.decision,
    Application.issuing_agency,
    Application.enterprise_uscc,
    Application.submitted_on,
)
# id, application_no, status, version, due_on, decision, issuing_agency,
# enterprise_uscc, submitted_on.
SummaryRow = tuple[int, str, str, int, date | None, str | None, str | None, str, date | None]


def application_summaries(
    *,
    uow: UnitOfWork,
    actor: Actor,
    status: ApplicationStatus | None = None,
    limit: int = _LIST_LIMIT,
    offset: int = 0,
) -> list[SummaryRow]:
    """The same list as `list_applications` as plain rows of SUMMARY_COLUMNS: a queue of
    10,000 is read without building 10,000 ORM objects (benchmarks/bench_workflow.py)."""
    query = _list_query(actor, status).with_only_columns(*SUMMARY_COLUMNS)
    # On the session's connection, not through the ORM: its result loading was half of
    # the Python time of a queue of 10,000.
    rows = uow.session.connection().execute(query.limit(min(limit, _LIST_LIMIT)).offset(offset))
    return cast(list[SummaryRow], rows.all())


def status_changes(*, uow: UnitOfWork, application: Application) -> list[StatusChange]:
    return list(
        uow.session.scalars(
            select(StatusChange)
            .where(StatusChange.application_id == application.id)
            .order_by(StatusChange.id)
        )
    )


def content_versions(*, uow: UnitOfWork, application: Application) -> list[ApplicationContent]:
    return list(
        uow.session.scalars(
            select(ApplicationContent)
            .where(ApplicationContent.application_id == application.id)
            .order_by(ApplicationContent.number)
        )
    )


def history(*, uow: UnitOfWork, actor: Actor, application_id: int) -> list[dict[str, Any]]:
    """The audit entries of the application and of its license, oldest first."""
    app = _load(uow, actor, application_id)
    objects: list[tuple[str, str | int]] = [(APPLICATION, app.id)]
    lic = license_of(uow=uow, application=app)
    if lic is not None and lic.license_no is not None:
        objects.append((LICENSE, lic.license_no))
    entries = audit.entries_for(uow.session, objects)
    if actor.role == Role.APPLICANT:
        entries = [e for e in entries if e.verb != INTERNAL_NOTE_VERB]
    return [audit.entry_json(e) for e in entries]


def _license_visible(actor: Actor, lic: License) -> bool:
    if actor.role == Role.MONITOR:
        return True
    if actor.role == Role.APPLICANT:
        own = normalize_identifier(actor.org_uscc)
        return own is not None and lic.enterprise_key == own
    if actor.role in AGENCY_ROLES:
        key = _agency_key(actor)
        return key is not None and normalize_text(lic.agency) == key
    return False


_LICENSE_NO_MAX_CHARS = 64


def _stored_license_key(license_no: str) -> str:
    """The lookup key of a license number a caller typed; NotFound for one that no store
    could hold (PostgreSQL refuses a NUL in a parameter with an error, not "no row")."""
    if len(license_no) > _LICENSE_NO_MAX_CHARS or not license_no.isprintable():
        raise NotFound(f"没有该许可证 / no license {license_no[:40]!r}")
    return license_key(license_no)


def _find_license(uow: UnitOfWork, actor: Actor, license_no: str) -> License:
    _require_reader(actor)
    key = _stored_license_key(license_no)
    lic = uow.session.scalar(
        select(License).where(License.license_key == key).execution_options(populate_existing=True)
    )
    if lic is None or not _license_visible(actor, lic):
        raise NotFound(f"没有该许可证 / no license {license_no[:40]}")
    return lic


def _annex(uow: UnitOfWork, lic: License) -> list[LicenseVehicle]:
    return list(
        uow.session.scalars(
            select(LicenseVehicle)
            .where(LicenseVehicle.license_key == lic.license_key)
            .order_by(LicenseVehicle.position)
        )
    )


def get_license(*, uow: UnitOfWork, actor: Actor, license_no: str) -> LicenseView:
    lic = _find_license(uow, actor, license_no)
    return LicenseView(lic, _annex(uow, lic))


def extend_license(
    *, uow: UnitOfWork, actor: Actor, license_no: str, valid_to: date, reason: str | None
) -> LicenseView:
    """Move an issued or extended license's valid_to later, within its year, before it
    expires (第十六条); by a reviewer of the issuing agency, with a reason."""
    # The no-op write first takes the row's lock (PostgreSQL) or the database's write
    # lock (SQLite) before the license is read, so two extensions run one after the other.
    uow.session.execute(
        update(License)
        .where(License.license_key == _stored_license_key(license_no))
        .values(status=License.status)
        .execution_options(synchronize_session=False)
    )
    lic = _find_license(uow, actor, license_no)
    if actor.role not in AGENCY_ROLES:
        raise Forbidden("只有发证机构的审核员可以延期 / only the agency's reviewers may extend")
    if blank(reason):
        raise ReasonRequired("extend")
    today, now = clock.today(), clock.now()
    if (
        lic.status not in EXTENDABLE
        or lic.valid_to is None
        or lic.valid_from is None
        or today > lic.valid_to
    ):
        raise Conflict(
            f"状态为 {lic.status} 或已过期的许可证不能延期 / a license that is {lic.status} "
            "or expired cannot be extended",
            status=lic.status,
        )
    problem = extension_problem(
        valid_from=lic.valid_from, valid_to=lic.valid_to, new_valid_to=valid_to, today=today
    )
    if problem is not None:
        raise InvalidInput([InputProblem("body", "valid_to", problem, "valid_to")])
    before = lic.valid_to
    lic.valid_to = valid_to
    lic.status = LicenseStatus.EXTENDED.value
    # An extension is a new signed version; licenses from the feed (no number issued
    # here, no application) have no signed document to follow.
    signed = (
        _sign_license(uow, actor, lic, today, now)
        if lic.application_id is not None and lic.license_no is not None
        else None
    )
    audit.append(
        uow.session,
        verb="license.extended",
        object_kind=LICENSE,
        object_id=license_no if lic.license_no is None else lic.license_no,
        actor=actor,
        reason=reason,
        versions={
            "valid_to": {"from": before.isoformat(), "to": valid_to.isoformat()},
            "document": None if signed is None else signed.version,
        },
        at=now,
    )
    view = LicenseView(lic, _annex(uow, lic))
    uow.commit()
    return view
