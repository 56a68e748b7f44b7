"""Issuing 售后服务确认书 in the store (SQLite and PostgreSQL): the refusals, the signed
document, the numbering, revocation, batches, and the store-backed check that picks a
confirmation up by its number (also after a key rotation)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from carexport import audit
from carexport.audit.models import AuditEntry
from carexport.db import UnitOfWork
from carexport.documents import confirmations, keys
from carexport.domain.facts import Facts
from carexport.errors import Conflict, Forbidden, InvalidInput, NotFound
from carexport.feeds import service as feeds
from carexport.seals import verify_document
from tests.integration.confirmation_world import (
    BYD,
    CHERY_VIN,
    SECOND_VIN,
    VIN,
    ConfirmationWorld,
    application_document,
    cworld,
    rules_of,
)

__all__ = ["cworld"]


def refusal_codes(excinfo: pytest.ExceptionInfo[confirmations.ConfirmationRefused]) -> list[str]:
    return excinfo.value.codes


def test_refuses_a_manufacturer_without_an_outlet_in_the_destination(
    cworld: ConfirmationWorld,
) -> None:
    cworld.add_outlet(country="UZ", city="Tashkent")
    with pytest.raises(confirmations.ConfirmationRefused) as excinfo:
        cworld.issue(country="KZ")
    assert refusal_codes(excinfo) == ["no_outlet_in_destination"]
    assert "KZ" in str(excinfo.value)


def test_refuses_a_vin_whose_record_names_another_brand(cworld: ConfirmationWorld) -> None:
    cworld.add_outlet()
    with pytest.raises(confirmations.ConfirmationRefused) as excinfo:
        cworld.issue(vins=[CHERY_VIN])
    assert refusal_codes(excinfo) == ["brand_not_covered"]
    assert "奇瑞" in str(excinfo.value)


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("sales", "not_manufacturer"),
        ("modifier", "not_manufacturer"),
        ("other", "not_in_announcement"),
    ],
)
def test_refuses_a_sales_company_a_modifier_and_one_outside_the_announcement(
    cworld: ConfirmationWorld, who: str, code: str
) -> None:
    cworld.add_outlet(who=who)
    with pytest.raises(confirmations.ConfirmationRefused) as excinfo:
        cworld.issue(who=who)
    assert refusal_codes(excinfo) == [code]


def test_refuses_anyone_but_an_issuer(cworld: ConfirmationWorld) -> None:
    with pytest.raises(Forbidden):
        cworld.issue(who="exporter")


def test_refuses_an_invalid_vin_and_an_unknown_country(cworld: ConfirmationWorld) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        cworld.issue(vins=["LGXCE4CB3P0123788"], country="XX")
    assert [p.location for p in excinfo.value.problems] == ["vin", "destination_country"]


def test_issues_a_signed_confirmation_exactly_per_check_format(cworld: ConfirmationWorld) -> None:
    outlet = cworld.add_outlet()
    cworld.add_outlet(name="BYD Astana Service Center", city="Astana")
    view = cworld.issue(outlet_ids=[outlet.id])
    doc = view.document
    assert view.number == "CF-2026-000001"
    assert {k: doc[k] for k in ("id", "issuer_uscc", "vin", "brand", "model")} == {
        "id": "CF-2026-000001",
        "issuer_uscc": BYD,
        "vin": VIN,
        "brand": "比亚迪",
        "model": "BYD7150WTHEV3",
    }
    assert doc["destination_country"] == "KZ"
    assert doc["issued_on"] == "2026-03-05"
    assert doc["revoked"] is False
    assert [o["name"] for o in doc["outlets"]] == ["BYD Almaty Service Center"]
    assert doc["outlets"][0]["services"] == ["repair", "parts", "warranty"]
    with UnitOfWork(cworld.engine) as uow:
        key = keys.public_key(session=uow.session, key_id=doc["key_id"])
        stored = feeds.confirmations_by_id(uow=uow, ids=[view.number])[0].signed_document()
        entries = audit.entries_for(uow.session, [("confirmation", view.number)])
        assert audit.verify(uow.session).holds
    assert key is not None
    assert verify_document(doc, key.public_key) is None
    assert stored == doc  # stored exactly as signed
    assert [e.verb for e in entries] == ["confirmation.issued"]


def test_one_confirmation_may_name_several_vins(cworld: ConfirmationWorld) -> None:
    cworld.add_outlet()
    view = cworld.issue(vins=[VIN, SECOND_VIN])
    assert view.document["vins"] == [VIN, SECOND_VIN]
    assert "vin" not in view.document
    verdict = cworld.check(application_document(confirmation_id=view.number))
    assert verdict["decision"] == "pass", verdict


def test_numbers_continue_after_a_loaded_confirmation_of_the_year(
    cworld: ConfirmationWorld,
) -> None:
    with UnitOfWork(cworld.engine) as uow:
        loaded = Facts.model_validate(
            {"confirmations": [{"id": "CF-2026-000041", "issuer_uscc": BYD, "vin": VIN}]}
        )
        feeds.load_facts(uow=uow, facts=loaded)
    cworld.add_outlet()
    assert cworld.issue().number == "CF-2026-000042"
    assert cworld.issue().number == "CF-2026-000043"


def test_an_application_naming_it_passes_the_store_backed_check(
    cworld: ConfirmationWorld,
) -> None:
    before = cworld.check(application_document(confirmation_id=None))
    assert rules_of(before) == ["N180.CONFIRMATION_MISSING"]
    cworld.add_outlet()
    view = cworld.issue()
    verdict = cworld.check(application_document(confirmation_id=view.number))
    assert verdict["decision"] == "pass", verdict


def test_after_a_key_rotation_old_and_new_confirmations_both_pass(
    cworld: ConfirmationWorld,
) -> None:
    cworld.add_outlet()
    old = cworld.issue(on=date(2026, 3, 4))  # the day before the new key starts
    with UnitOfWork(cworld.engine) as uow:
        keys.rotate_key(uow=uow, org_id=cworld.org_ids["byd"], valid_from=date(2026, 3, 5), by=None)
    new = cworld.issue()
    assert new.document["key_id"] != old.document["key_id"]
    for view in (old, new):
        verdict = cworld.check(application_document(confirmation_id=view.number))
        assert verdict["decision"] == "pass", verdict


def test_a_revoked_confirmation_fails_as_revoked_with_its_seal_intact(
    cworld: ConfirmationWorld,
) -> None:
    cworld.add_outlet()
    view = cworld.issue()
    revoked = cworld.run(
        confirmations.revoke, "byd", number=view.number, reason="车辆信息有误 / wrong vehicle"
    )
    assert revoked.revoked
    assert revoked.document["revoked"] is True
    verdict = cworld.check(application_document(confirmation_id=view.number))
    assert verdict["decision"] == "fail"
    assert rules_of(verdict) == ["N180.CONFIRMATION_REVOKED"]
    with pytest.raises(Conflict):
        cworld.run(confirmations.revoke, "byd", number=view.number, reason="again")
    with UnitOfWork(cworld.engine) as uow:
        entry = uow.session.scalar(
            select(AuditEntry).where(AuditEntry.verb == "confirmation.revoked")
        )
        assert entry is not None
        assert entry.payload["reason"] == "车辆信息有误 / wrong vehicle"


def test_revoking_needs_a_reason(cworld: ConfirmationWorld) -> None:
    cworld.add_outlet()
    view = cworld.issue()
    with pytest.raises(InvalidInput):
        cworld.run(confirmations.revoke, "byd", number=view.number, reason="  ")


def test_another_manufacturer_cannot_see_or_revoke_it(cworld: ConfirmationWorld) -> None:
    cworld.add_outlet()
    view = cworld.issue()
    with pytest.raises(NotFound):
        cworld.run(confirmations.get, "sales", number=view.number)
    with pytest.raises(NotFound):
        cworld.run(confirmations.revoke, "sales", number=view.number, reason="x")
    assert [v.number for v in cworld.run(confirmations.list_issued, "byd")] == [view.number]
    assert cworld.run(confirmations.list_issued, "sales") == []


def test_a_batch_issues_the_good_rows_and_reports_the_others_by_row(
    cworld: ConfirmationWorld,
) -> None:
    cworld.add_outlet()
    rows = [
        confirmations.BatchRow(2, [VIN], "KZ"),
        confirmations.BatchRow(3, [CHERY_VIN], "KZ"),
        confirmations.BatchRow(4, [SECOND_VIN], "UZ"),
        confirmations.BatchRow(5, [SECOND_VIN], "KZ"),
    ]
    report = cworld.run(confirmations.issue_batch, "byd", rows=rows)
    assert report.issued == [(2, "CF-2026-000001"), (5, "CF-2026-000002")]  # gap-free
    assert [row for row, _ in report.refused] == [3, 4]
    assert "奇瑞" in report.refused[0][1]
    assert "UZ" in report.refused[1][1]


def test_outlets_are_the_manufacturers_own(cworld: ConfirmationWorld) -> None:
    outlet = cworld.add_outlet()
    with pytest.raises(NotFound):
        cworld.run(confirmations.remove_outlet, "sales", outlet_id=outlet.id)
    with pytest.raises(Conflict):
        cworld.add_outlet()  # the same name in the same country and city
    with pytest.raises(InvalidInput) as excinfo:
        cworld.run(confirmations.add_outlet, "byd", values={"name": "x", "country": "ZZ"})
    assert [p.location for p in excinfo.value.problems] == ["country"]
    changed = cworld.run(
        confirmations.edit_outlet,
        "byd",
        outlet_id=outlet.id,
        values={"name": "BYD Almaty", "country": "kz", "city": "Almaty", "services": "维修"},
    )
    assert (changed.country, changed.services) == ("KZ", ("repair",))
    cworld.run(confirmations.remove_outlet, "byd", outlet_id=outlet.id)
    assert cworld.run(confirmations.outlets, "byd") == []
