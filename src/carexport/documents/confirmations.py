"""售后服务确认书 issued in the system: a manufacturer's outlets, issuing, batches, revoking.

Use cases (each commits once, with its audit entry):

- `add_outlet`, `edit_outlet`, `remove_outlet`: the manufacturer's after-sales network
  (the rows are the feeds' `outlets`, written through feeds.service).
- `issue`: one confirmation for one VIN or several (`vins`) and a destination, listing
  outlets there; signed by the manufacturer's current key (documents.keys.sign: adds
  `key_id`, `signed_on`, `signature`) and stored exactly as signed in the registry's
  `confirmations`, where the checker reads it. Refused, saying why, when the
  manufacturer is not an Announcement manufacturer of the vehicle's brand (the rule
  N180.ISSUER_NOT_MANUFACTURER, decided the same way), when a VIN has no registration
  record or its record names another brand, or when it has no outlet in the country.
- `issue_batch`: rows of an upload, each issued or refused, in one transaction.
- `revoke`: a new signed version with `revoked: true` (the revocation is itself
  authentic, so the checker gives N180.CONFIRMATION_REVOKED, not a broken seal).

Numbers are CF-<year>-<6 digits>, gap-free per year across all manufacturers
(docs/decisions/0020-issued-confirmations.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from carexport import audit, clock
from carexport.accounts.actor import Actor
from carexport.accounts.enums import OrgKind, Role
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.documents import keys
from carexport.documents.confirmations_models import ConfirmationCounter, IssuedConfirmation
from carexport.documents.keyring import KEY_ID, SIGNED_ON
from carexport.domain import facts as f
from carexport.domain.country import country_code
from carexport.domain.text import is_blank, normalize_identifier, normalize_text
from carexport.domain.vin import vin_problem
from carexport.errors import Conflict, Forbidden, InputProblem, InvalidInput, NotFound
from carexport.feeds import service as feeds
from carexport.feeds.service import OutletView
from carexport.seals import canonical_bytes, sm3_digest

SOURCE = "confirmation"
PREFIX = "CF"
_NUMBER = re.compile(r"CF-(\d{4})-(\d{6})")

__all__ = [
    "BatchReport",
    "BatchRow",
    "ConfirmationRefused",
    "IssuedView",
    "OutletView",
    "add_outlet",
    "edit_outlet",
    "get",
    "issue",
    "issue_batch",
    "list_issued",
    "outlets",
    "remove_outlet",
    "revoke",
]


class ConfirmationRefused(InvalidInput):
    """The manufacturer may not issue this confirmation (HTTP 422): each problem names
    the field it is about and why; `codes` are stable names of the reasons."""

    def __init__(self, problems: list[InputProblem], codes: list[str]) -> None:
        self.codes = codes
        super().__init__(problems)


@dataclass(frozen=True)
class IssuedView:
    """A confirmation issued here: the signed document and what only the store knows."""

    number: str
    document: dict[str, Any]
    issued_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def vins(self) -> list[str]:
        one = self.document.get("vin")
        return [one] if isinstance(one, str) else list(self.document.get("vins") or [])


@dataclass(frozen=True)
class BatchRow:
    """One row of a batch upload: its row number in the file and what it asks for."""

    row: int
    vins: list[str]
    destination_country: str


@dataclass
class BatchReport:
    issued: list[tuple[int, str]] = field(default_factory=list)  # (row, number)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (row, "中文 / English")


# --- who may issue ---


def _issuer(actor: Actor) -> str:
    """The actor's manufacturer USCC; Forbidden unless an issuer of a manufacturer."""
    if actor.role != Role.ISSUER or actor.org_kind != OrgKind.MANUFACTURER or not actor.org_uscc:
        raise Forbidden(
            "只有生产企业的确认书签发人可以操作 / only an issuer of a manufacturer may do this"
        )
    return actor.org_uscc


def _org_id(actor: Actor) -> int:
    assert actor.org_id is not None  # an issuer always belongs to its manufacturer
    return actor.org_id


# --- outlets ---


def outlets(*, uow: UnitOfWork, actor: Actor, country: str | None = None) -> list[OutletView]:
    """The actor's manufacturer's outlets (in one country when given)."""
    return feeds.outlets_of(uow=uow, manufacturer_uscc=_issuer(actor), country=country)


def _audit_outlet(uow: UnitOfWork, actor: Actor, verb: str, outlet: OutletView) -> None:
    audit.append(
        uow.session,
        verb=verb,
        object_kind="outlet",
        object_id=outlet.id,
        actor=actor,
        payload={"outlet": outlet.for_confirmation()},
    )


def add_outlet(*, uow: UnitOfWork, actor: Actor, values: dict[str, Any]) -> OutletView:
    outlet = feeds.save_outlet(uow=uow, manufacturer_uscc=_issuer(actor), values=values)
    _audit_outlet(uow, actor, "outlet.added", outlet)
    uow.commit()
    return outlet


def edit_outlet(
    *, uow: UnitOfWork, actor: Actor, outlet_id: int, values: dict[str, Any]
) -> OutletView:
    outlet = feeds.save_outlet(
        uow=uow, manufacturer_uscc=_issuer(actor), values=values, outlet_id=outlet_id
    )
    _audit_outlet(uow, actor, "outlet.changed", outlet)
    uow.commit()
    return outlet


def remove_outlet(*, uow: UnitOfWork, actor: Actor, outlet_id: int) -> OutletView:
    outlet = feeds.remove_outlet(uow=uow, manufacturer_uscc=_issuer(actor), outlet_id=outlet_id)
    _audit_outlet(uow, actor, "outlet.removed", outlet)
    uow.commit()
    return outlet


# --- issuing ---


def _problem(location: str, reason: str, code: str) -> InputProblem:
    return InputProblem(SOURCE, location, reason, code)


def _checked_input(vins: list[str], destination_country: str) -> tuple[list[str], str]:
    """The VINs (normalised, each once) and the country code; InvalidInput otherwise."""
    limit = get_settings().max_confirmation_vins
    problems: list[InputProblem] = []
    wanted: list[str] = []
    for position, raw in enumerate(vins):
        code = normalize_identifier(raw) or ""
        if vin_problem(code) is not None:
            problems.append(
                _problem(
                    "vin" if len(vins) == 1 else f"vins[{position}]",
                    f"不是有效的车辆识别代号 {code[:20]} / not a valid VIN (17 characters, "
                    "check digit)",
                    "vin_invalid",
                )
            )
        elif code not in wanted:
            wanted.append(code)
    if not vins:
        problems.append(_problem("vin", "须填写车辆识别代号 / a VIN is required", "missing"))
    if len(wanted) > limit:
        problems.append(
            _problem(
                "vins",
                f"一份确认书最多 {limit} 辆车 / at most {limit} VINs on one confirmation",
                "too_many",
            )
        )
    country = country_code(destination_country)
    if country is None:
        problems.append(
            _problem(
                "destination_country",
                "不是ISO 3166-1两位国家代码 / not an ISO 3166-1 alpha-2 country code",
                "country_unknown",
            )
        )
    if problems:
        raise InvalidInput(problems)
    assert country is not None
    return wanted, country


def _issuer_refusals(maker: f.Manufacturer | None, uscc: str) -> list[tuple[str, str, str]]:
    """Why the manufacturer may not issue at all (as N180.ISSUER_NOT_MANUFACTURER decides)."""
    if maker is None:
        return [
            (
                "issuer",
                f"生产企业名录中没有本企业（{uscc}）/ the manufacturers registry does not list "
                f"this company ({uscc})",
                "issuer_unknown",
            )
        ]
    out = []
    if maker.kind != f.ManufacturerKind.MANUFACTURER:
        kind = maker.kind.value if maker.kind else "unknown"
        out.append(
            (
                "issuer",
                f"企业类型为 {kind}，不是生产企业：集团销售公司、改装企业不得出具确认书 / the "
                f"company is registered as {kind}, not a manufacturer: a group sales company "
                "or a modifier may not issue a confirmation",
                "not_manufacturer",
            )
        )
    if maker.in_announcement is not True:
        out.append(
            (
                "issuer",
                "本企业未列入《公告》 / the company is not listed in the MIIT Announcement",
                "not_in_announcement",
            )
        )
    return out


def _vehicle_refusals(
    vins: list[str], records: dict[str, f.Registration], maker: f.Manufacturer
) -> list[tuple[str, str, str]]:
    """Why these vehicles are not the manufacturer's to confirm."""
    out = []
    brands = {normalize_text(b) for b in maker.brands or []}
    shown = "、".join(maker.brands or []) or "—"
    for vin in vins:
        record = records.get(vin)
        if record is None:
            out.append(
                (
                    "vin",
                    f"{vin} 没有机动车登记信息 / {vin} has no registration record",
                    "no_registration",
                )
            )
        elif normalize_text(record.brand) not in brands:
            out.append(
                (
                    "vin",
                    f"{vin} 的登记品牌为「{record.brand}」，不是本企业列入《公告》的品牌（{shown}）"
                    f" / the registration record of {vin} names brand {record.brand!r}, not one "
                    f"of the company's Announcement brands ({shown})",
                    "brand_not_covered",
                )
            )
    found = [records[v] for v in vins if v in records]
    if len({(normalize_text(r.brand), normalize_text(r.model)) for r in found}) > 1:
        out.append(
            (
                "vins",
                "所列车辆品牌或型号不同，请分别出具确认书 / the vehicles differ in brand or "
                "model: issue one confirmation per model",
                "mixed_models",
            )
        )
    return out


def _chosen_outlets(
    available: list[OutletView], outlet_ids: list[int] | None, country: str
) -> tuple[list[OutletView], list[tuple[str, str, str]]]:
    if not available:
        return [], [
            (
                "destination_country",
                f"本企业在 {country} 没有售后服务网点，请先添加网点 / the company has no "
                f"after-sales outlet in {country}: add one first",
                "no_outlet_in_destination",
            )
        ]
    if outlet_ids is None:
        return available, []
    by_id = {o.id: o for o in available}
    unknown = [i for i in outlet_ids if i not in by_id]
    if unknown:
        return [], [
            (
                "outlets",
                f"所选网点不是本企业在 {country} 的网点 / the chosen outlets {unknown} are not "
                f"the company's outlets in {country}",
                "outlet_not_in_destination",
            )
        ]
    if not outlet_ids:
        return [], [
            (
                "outlets",
                "请至少选择一个网点 / choose at least one outlet",
                "no_outlet_chosen",
            )
        ]
    return [by_id[i] for i in dict.fromkeys(outlet_ids)], []


def _next_number(uow: UnitOfWork, year: int) -> str:
    """The next CF-<year>-NNNNNN.

    One INSERT … ON CONFLICT DO UPDATE … RETURNING on the year's counter row: concurrent
    issues queue on its row lock until the first commits (no duplicates), and a
    rolled-back issue gives its number back (no gaps). A year's first number continues
    after the highest of that year already stored (a loaded feed's, the demo's).
    """
    session = uow.session
    start = 1
    if session.get(ConfirmationCounter, year) is None:
        taken = [
            int(m.group(2))
            for i in feeds.confirmation_ids_like(uow=uow, prefix=f"{PREFIX}-{year}-")
            if (m := _NUMBER.fullmatch(i))
        ]
        start = max(taken, default=0) + 1
    insert_: Any
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as insert_
    else:
        from sqlalchemy.dialects.sqlite import insert as insert_
    statement = (
        insert_(ConfirmationCounter)
        .values(year=year, last=start)
        .on_conflict_do_update(
            index_elements=[ConfirmationCounter.year],
            set_={"last": ConfirmationCounter.last + 1},
        )
        .returning(ConfirmationCounter.last)
    )
    number = int(session.execute(statement).scalar_one())
    return f"{PREFIX}-{year}-{number:06d}"


def _issue(
    uow: UnitOfWork,
    actor: Actor,
    vins: list[str],
    destination_country: str,
    outlet_ids: list[int] | None,
    on: date,
) -> IssuedView:
    """Check, number, sign, store and audit one confirmation; commits nothing."""
    uscc = _issuer(actor)
    wanted, country = _checked_input(vins, destination_country)
    maker = feeds.manufacturer_record(uow=uow, uscc=uscc)
    refusals = _issuer_refusals(maker, uscc)
    records = feeds.registration_records(uow=uow, vins=wanted)
    if maker is not None:
        refusals += _vehicle_refusals(wanted, records, maker)
    available = feeds.outlets_of(uow=uow, manufacturer_uscc=uscc, country=country)
    chosen, outlet_refusals = _chosen_outlets(available, outlet_ids, country)
    refusals += outlet_refusals
    if refusals:
        raise ConfirmationRefused(
            [_problem(where, why, code) for where, why, code in refusals],
            [code for _, _, code in refusals],
        )
    record = records[wanted[0]]
    number = _next_number(uow, on.year)
    document: dict[str, Any] = {"id": number, "issuer_uscc": uscc}
    if len(wanted) == 1:
        document["vin"] = wanted[0]
    else:
        document["vins"] = wanted
    document.update(
        {
            "brand": record.brand,
            "model": record.model,
            "destination_country": country,
            "issued_on": on.isoformat(),
            "outlets": [o.for_confirmation() for o in chosen],
            "revoked": False,
        }
    )
    signed = keys.sign(session=uow.session, org_id=_org_id(actor), document=document, on=on)
    feeds.add_confirmation(uow=uow, confirmation=f.Confirmation.model_validate(signed))
    now = clock.now()
    row = IssuedConfirmation(
        confirmation_id=number,
        org_id=_org_id(actor),
        issued_by=actor.user_id,
        issued_at=now,
        revoked_at=None,
        revoked_by=None,
        revocation_reason=None,
    )
    uow.session.add(row)
    uow.session.flush()
    audit.append(
        uow.session,
        verb="confirmation.issued",
        object_kind="confirmation",
        object_id=number,
        actor=actor,
        payload={
            "vins": wanted,
            "destination_country": country,
            "key_id": signed.get(KEY_ID),
            # The seal's input, so the audit chain pins the exact document.
            "sm3": sm3_digest(canonical_bytes(signed)).hex(),
        },
        at=now,
    )
    return IssuedView(number, signed, now, None, None)


def issue(
    *,
    uow: UnitOfWork,
    actor: Actor,
    vins: list[str],
    destination_country: str,
    outlet_ids: list[int] | None = None,
    on: date | None = None,
) -> IssuedView:
    """Issue one confirmation (see the module's docstring); `outlet_ids` None lists every
    outlet of the manufacturer in the country. Raises ConfirmationRefused (why),
    InvalidInput (a bad VIN or country), Forbidden, keys.NoSigningKey."""
    view = _issue(uow, actor, vins, destination_country, outlet_ids, on or clock.today())
    uow.commit()
    return view


def issue_batch(
    *, uow: UnitOfWork, actor: Actor, rows: list[BatchRow], on: date | None = None
) -> BatchReport:
    """Issue a confirmation per row (every outlet in its country), in one transaction:
    a refused row is reported by its number and the others are issued."""
    _issuer(actor)
    day = on or clock.today()
    report = BatchReport()
    for row in rows:
        # A savepoint per row: a row refused after it wrote (a number taken, a clash)
        # leaves nothing behind, and its number goes back to the counter.
        savepoint = uow.session.begin_nested()
        try:
            view = _issue(uow, actor, row.vins, row.destination_country, None, day)
        except (InvalidInput, Conflict) as exc:
            savepoint.rollback()
            reasons = exc.problems if isinstance(exc, InvalidInput) else None
            text = "; ".join(p.reason for p in reasons) if reasons else str(exc)
            report.refused.append((row.row, text))
            continue
        savepoint.commit()
        report.issued.append((row.row, view.number))
    uow.commit()
    return report


# --- reading and revoking ---


def _view(issued: IssuedConfirmation, document: dict[str, Any]) -> IssuedView:
    return IssuedView(
        number=issued.confirmation_id,
        document=document,
        issued_at=issued.issued_at,
        revoked_at=issued.revoked_at,
        revocation_reason=issued.revocation_reason,
    )


def _own(uow: UnitOfWork, actor: Actor, number: str) -> tuple[IssuedConfirmation, f.Confirmation]:
    _issuer(actor)
    key = normalize_identifier(number) or ""
    issued = uow.session.scalar(
        select(IssuedConfirmation).where(IssuedConfirmation.confirmation_id == key)
    )
    found = feeds.confirmations_by_id(uow=uow, ids=[key]) if issued is not None else []
    # Another manufacturer's confirmation is "not found": existence never leaks.
    if issued is None or issued.org_id != actor.org_id or not found:
        raise NotFound(f"没有该确认书 / no confirmation {number[:40]}")
    return issued, found[0]


def get(*, uow: UnitOfWork, actor: Actor, number: str) -> IssuedView:
    issued, confirmation = _own(uow, actor, number)
    return _view(issued, confirmation.signed_document())


def list_issued(
    *, uow: UnitOfWork, actor: Actor, limit: int = 100, offset: int = 0
) -> list[IssuedView]:
    """The actor's manufacturer's confirmations, newest first."""
    _issuer(actor)
    rows = list(
        uow.session.scalars(
            select(IssuedConfirmation)
            .where(IssuedConfirmation.org_id == actor.org_id)
            .order_by(IssuedConfirmation.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    documents = {
        normalize_identifier(c.id): c.signed_document()
        for c in feeds.confirmations_by_id(uow=uow, ids=[r.confirmation_id for r in rows])
    }
    return [_view(r, documents[r.confirmation_id]) for r in rows if r.confirmation_id in documents]


_RESIGNED = frozenset({"signature", KEY_ID, SIGNED_ON})


def revoke(
    *, uow: UnitOfWork, actor: Actor, number: str, reason: str, on: date | None = None
) -> IssuedView:
    """Revoke a confirmation: a new version with `revoked: true` and `revoked_on`, signed
    by the manufacturer's current key, replaces the stored one. Audited with the reason."""
    issued, confirmation = _own(uow, actor, number)
    if issued.revoked_at is not None:
        raise Conflict(f"确认书 {issued.confirmation_id} 已撤销 / already revoked")
    limit = get_settings().max_note_chars
    if is_blank(reason) or len(reason) > limit:
        raise InvalidInput(
            [
                _problem(
                    "reason",
                    f"须说明撤销原因（不超过{limit}字）/ a reason is required (at most {limit} "
                    "characters)",
                    "reason",
                )
            ]
        )
    day = on or clock.today()
    document = {k: v for k, v in confirmation.signed_document().items() if k not in _RESIGNED}
    document["revoked"] = True
    document["revoked_on"] = day.isoformat()
    signed = keys.sign(session=uow.session, org_id=_org_id(actor), document=document, on=day)
    feeds.replace_confirmation(uow=uow, confirmation=f.Confirmation.model_validate(signed))
    now = clock.now()
    issued.revoked_at = now
    issued.revoked_by = actor.user_id
    issued.revocation_reason = reason.strip()
    audit.append(
        uow.session,
        verb="confirmation.revoked",
        object_kind="confirmation",
        object_id=issued.confirmation_id,
        actor=actor,
        reason=issued.revocation_reason,
        payload={
            "key_id": signed.get(KEY_ID),
            "sm3": sm3_digest(canonical_bytes(signed)).hex(),
        },
        at=now,
    )
    uow.session.flush()
    view = _view(issued, signed)
    uow.commit()
    return view
