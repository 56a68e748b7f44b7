"""Tampering with an issued 售后服务确认书, each caught by the checker on the store's facts
with the finding RULES.md names (648号 附件1 item 4: forged or altered papers)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select

from carexport.db import UnitOfWork
from carexport.documents import keys
from carexport.feeds.models import Confirmation
from tests.integration.confirmation_world import (
    SECOND_VIN,
    ConfirmationWorld,
    application_document,
    cworld,
    rules_of,
)

__all__ = ["cworld"]


def issued(cworld: ConfirmationWorld) -> str:
    cworld.add_outlet()
    cworld.add_outlet(country="UZ", city="Tashkent", name="BYD Tashkent Service Center")
    number: str = cworld.issue().number
    return number


def alter(cworld: ConfirmationWorld, number: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Rewrite the stored document behind the system's back (a forger with the database,
    or a paper 'corrected' before it was loaded)."""
    with UnitOfWork(cworld.engine) as uow:
        row = uow.session.scalar(select(Confirmation).where(Confirmation.id_key == number))
        assert row is not None
        document = copy.deepcopy(row.document)
        change(document)
        row.document = document
        uow.commit()


def test_one_character_changed_after_signing_breaks_the_seal(cworld: ConfirmationWorld) -> None:
    number = issued(cworld)

    def phone(doc: dict[str, Any]) -> None:
        doc["outlets"][0]["phone"] = doc["outlets"][0]["phone"][:-1] + "1"

    alter(cworld, number, phone)
    verdict = cworld.check(application_document(confirmation_id=number))
    assert rules_of(verdict) == ["N180.SEAL_INVALID"]


def test_a_swapped_destination_breaks_the_seal(cworld: ConfirmationWorld) -> None:
    number = issued(cworld)
    alter(cworld, number, lambda doc: doc.update(destination_country="UZ"))
    application = application_document(confirmation_id=number)
    application["destination_country"] = "UZ"
    verdict = cworld.check(application)
    # The forger did not rewrite the outlets, which are in KZ; the seal catches it anyway.
    assert rules_of(verdict) == ["N180.NO_OUTLET_IN_DESTINATION", "N180.SEAL_INVALID"]


def test_a_genuine_confirmation_used_for_another_destination_is_a_mismatch(
    cworld: ConfirmationWorld,
) -> None:
    number = issued(cworld)  # for KZ
    application = application_document(confirmation_id=number)
    application["destination_country"] = "UZ"
    verdict = cworld.check(application)
    assert rules_of(verdict) == ["N180.CONFIRMATION_MISMATCH", "N180.NO_OUTLET_IN_DESTINATION"]


def test_a_confirmation_reused_for_another_vin_is_a_mismatch(cworld: ConfirmationWorld) -> None:
    number = issued(cworld)
    application = application_document(confirmation_id=number)
    second = copy.deepcopy(application["vehicles"][0])
    second["vin"] = SECOND_VIN
    application["vehicles"][1] = second
    verdict = cworld.check(application)
    assert rules_of(verdict, 0) == []
    assert rules_of(verdict, 1) == ["N180.CONFIRMATION_MISMATCH"]
    mismatch = verdict["vehicles"][1]["findings"][0]
    assert mismatch["facts"]["fields"] == ["vin"]


def test_a_vin_rewritten_in_the_document_breaks_the_seal(cworld: ConfirmationWorld) -> None:
    number = issued(cworld)
    alter(cworld, number, lambda doc: doc.update(vin=SECOND_VIN))
    application = application_document(confirmation_id=number, vin=SECOND_VIN)
    verdict = cworld.check(application)
    assert rules_of(verdict) == ["N180.SEAL_INVALID"]


def test_a_signature_by_a_revoked_key_does_not_verify(cworld: ConfirmationWorld) -> None:
    number = issued(cworld)
    before = cworld.check(application_document(confirmation_id=number))
    assert before["decision"] == "pass"
    with UnitOfWork(cworld.engine) as uow:
        key_id = keys.current_key(session=uow.session, org_id=cworld.org_ids["byd"],
                                  on=date(2026, 3, 5))  # fmt: skip
        assert key_id is not None
        name = key_id.key_id
    with UnitOfWork(cworld.engine) as uow:
        keys.revoke_key(uow=uow, key_id=name, from_date=date(2026, 3, 1),
                        reason="私钥泄露 / key compromised", by=None)  # fmt: skip
    verdict = cworld.check(application_document(confirmation_id=number))
    assert rules_of(verdict) == ["N180.SEAL_INVALID"]
    # The published keys say why, online and offline alike.
    with UnitOfWork(cworld.engine) as uow:
        row = uow.session.scalar(select(Confirmation).where(Confirmation.id_key == number))
        assert row is not None
        result = keys.verify(session_or_keys=uow.session, document=row.document)
    assert result.code == keys.Verdict.KEY_REVOKED


def test_a_key_revoked_after_signing_leaves_the_confirmation_valid(
    cworld: ConfirmationWorld,
) -> None:
    number = issued(cworld)  # signed on 2026-03-05
    with UnitOfWork(cworld.engine) as uow:
        current = keys.current_key(session=uow.session, org_id=cworld.org_ids["byd"],
                                   on=date(2026, 3, 5))  # fmt: skip
        assert current is not None
        name = current.key_id
    with UnitOfWork(cworld.engine) as uow:
        keys.revoke_key(uow=uow, key_id=name, from_date=date(2026, 3, 6),
                        reason="轮换 / retired", by=None)  # fmt: skip
    verdict = cworld.check(application_document(confirmation_id=number))
    assert verdict["decision"] == "pass", verdict
