"""Signing keys in the store (SQLite and PostgreSQL): encrypted at rest, never logged,
rotation keeps old documents verifiable, revocation from a date, a wrong or missing
key-encryption key refused with a clear error, everything audited."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from carexport import audit
from carexport.accounts import service as accounts
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.documents import keys
from carexport.documents.keyring import Verdict
from carexport.documents.models import SigningKey
from carexport.errors import Conflict, InvalidInput, NotFound
from carexport.seals import private_key_from_pem
from tests.keys_fixtures import DEV_KEK, dev_kek  # noqa: F401  (fixture)

MAKER_USCC = "91350100M000100Y43"
OTHER_USCC = "91110000MA0000001L"


def _orgs(engine: Engine) -> tuple[int, int]:
    with UnitOfWork(engine) as uow:
        maker = accounts.add_org(uow=uow, kind="manufacturer", name="某汽车公司", uscc=MAKER_USCC)
    with UnitOfWork(engine) as uow:
        agency = accounts.add_org(uow=uow, kind="agency", name="天津市商务局", region="12")
    return maker.id, agency.id


def _confirmation(**changes: Any) -> dict[str, Any]:
    return {
        "id": "CF-2026-0001",
        "issuer_uscc": MAKER_USCC,
        "vin": "LGXCE4CB8P0123456",
        "destination_country": "KZ",
        "issued_on": "2026-02-25",
        **changes,
    }


def _generate(engine: Engine, org_id: int, valid_from: date) -> SigningKey:
    with UnitOfWork(engine) as uow:
        return keys.generate_key(uow=uow, org_id=org_id, valid_from=valid_from, by=None)


def _sign(engine: Engine, org_id: int, on: date, **changes: Any) -> dict[str, Any]:
    with UnitOfWork(engine) as uow:
        return keys.sign(
            session=uow.session, org_id=org_id, document=_confirmation(**changes), on=on
        )


def _verify(engine: Engine, document: dict[str, Any]) -> keys.VerifyResult:
    with UnitOfWork(engine) as uow:
        return keys.verify(session_or_keys=uow.session, document=document)


def _use_kek(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("CAREXPORT_KEY_ENCRYPTION_KEY", raising=False)
    else:
        monkeypatch.setenv("CAREXPORT_KEY_ENCRYPTION_KEY", value)
    get_settings.cache_clear()


def test_stores_the_private_key_only_encrypted(engine: Engine, dev_kek: str) -> None:  # noqa: F811
    maker, agency = _orgs(engine)
    _generate(engine, maker, date(2026, 1, 1))
    _generate(engine, agency, date(2026, 1, 1))

    with engine.connect() as conn:
        stored = conn.execute(text("SELECT private_pem FROM signing_keys")).scalars().all()
    assert len(stored) == 2
    for pem in stored:
        assert pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert "BEGIN PRIVATE KEY" not in pem
        assert "BEGIN EC PRIVATE KEY" not in pem
        assert private_key_from_pem(pem, dev_kek.encode()) is not None


def test_signs_and_verifies_a_document_with_its_key_id(engine: Engine, dev_kek: str) -> None:  # noqa: F811
    maker, _ = _orgs(engine)
    row = _generate(engine, maker, date(2026, 1, 1))

    signed = _sign(engine, maker, date(2026, 2, 25))

    assert signed["key_id"] == row.key_id
    assert signed["signed_on"] == "2026-02-25"
    assert row.key_id.startswith(f"{MAKER_USCC}-20260101-")
    result = _verify(engine, signed)
    assert result.valid, result.reason
    assert result.key is not None
    assert result.key.public_key == row.public_hex


def test_logs_hold_no_key_material(
    engine: Engine,
    dev_kek: str,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    maker, _ = _orgs(engine)
    # Everything SQLAlchemy would log, parameters included.
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    try:
        row = _generate(engine, maker, date(2026, 1, 1))
        _sign(engine, maker, date(2026, 2, 25))
        with UnitOfWork(engine) as uow:
            keys.rotate_key(uow=uow, org_id=maker, valid_from=date(2026, 3, 1), by=None)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    secret = private_key_from_pem(row.private_pem, dev_kek.encode())
    scalar = secret._key.private_numbers().private_value  # the secret itself
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "INSERT INTO signing_keys" in logged  # the capture did see the writes
    assert dev_kek not in logged
    assert "BEGIN PRIVATE KEY" not in logged
    assert f"{scalar:064x}" not in logged.lower()
    assert str(scalar) not in logged


def test_rotation_keeps_old_documents_verifiable(engine: Engine, dev_kek: str) -> None:  # noqa: F811
    maker, _ = _orgs(engine)
    old = _generate(engine, maker, date(2026, 1, 1))
    before = _sign(engine, maker, date(2026, 2, 25))
    with UnitOfWork(engine) as uow:
        new = keys.rotate_key(uow=uow, org_id=maker, valid_from=date(2026, 3, 1), by=None)
    after = _sign(engine, maker, date(2026, 3, 10), issued_on="2026-03-10")

    assert before["key_id"] == old.key_id
    assert after["key_id"] == new.key_id
    assert _verify(engine, before).valid
    assert _verify(engine, after).valid
    with UnitOfWork(engine) as uow:
        listed = {k.key_id: k for k in keys.published_keys(session=uow.session)}
    assert listed[old.key_id].valid_to == date(2026, 2, 28)
    assert listed[new.key_id].valid_to is None


def test_a_document_signed_by_a_replaced_key_after_its_end_is_invalid(
    engine: Engine,
    dev_kek: str,  # noqa: F811
) -> None:
    maker, _ = _orgs(engine)
    old = _generate(engine, maker, date(2026, 1, 1))
    with UnitOfWork(engine) as uow:
        keys.rotate_key(uow=uow, org_id=maker, valid_from=date(2026, 3, 1), by=None)
    # Forge what the old key would sign after its end: sign with it directly.
    from carexport.seals import sign_document

    secret = private_key_from_pem(old.private_pem, dev_kek.encode())
    late = sign_document(
        _confirmation(key_id=old.key_id, signed_on="2026-03-05", issued_on="2026-03-05"), secret
    )
    result = _verify(engine, late)
    assert not result.valid
    assert result.code is Verdict.KEY_REPLACED


def test_a_signature_by_a_revoked_key_is_detected_from_the_revocation_date(
    engine: Engine,
    dev_kek: str,  # noqa: F811
) -> None:
    maker, _ = _orgs(engine)
    row = _generate(engine, maker, date(2026, 1, 1))
    earlier = _sign(engine, maker, date(2026, 1, 31), issued_on="2026-01-31")
    on_the_day = _sign(engine, maker, date(2026, 2, 1), issued_on="2026-02-01")
    with UnitOfWork(engine) as uow:
        keys.revoke_key(
            uow=uow, key_id=row.key_id, from_date=date(2026, 2, 1), reason="私钥泄露", by=None
        )

    assert _verify(engine, earlier).valid
    revoked = _verify(engine, on_the_day)
    assert not revoked.valid
    assert revoked.code is Verdict.KEY_REVOKED
    assert "revoked" in revoked.reason
    # And nothing more can be signed with it from that day.
    with pytest.raises(keys.NoSigningKey):
        _sign(engine, maker, date(2026, 2, 2))


def test_a_revocation_moves_earlier_never_later(engine: Engine, dev_kek: str) -> None:  # noqa: F811
    maker, _ = _orgs(engine)
    row = _generate(engine, maker, date(2026, 1, 1))
    with UnitOfWork(engine) as uow:
        keys.revoke_key(uow=uow, key_id=row.key_id, from_date=date(2026, 2, 1), reason="a", by=None)
    with UnitOfWork(engine) as uow, pytest.raises(Conflict):
        keys.revoke_key(uow=uow, key_id=row.key_id, from_date=date(2026, 3, 1), reason="b", by=None)
    with UnitOfWork(engine) as uow:
        moved = keys.revoke_key(
            uow=uow, key_id=row.key_id, from_date=date(2026, 1, 1), reason="c", by=None
        )
    assert moved.revoked_from == date(2026, 1, 1)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_refuses_a_revocation_without_a_usable_reason(
    engine: Engine,
    dev_kek: str,  # noqa: F811
    reason: str,
) -> None:
    maker, _ = _orgs(engine)
    row = _generate(engine, maker, date(2026, 1, 1))
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput):
        keys.revoke_key(
            uow=uow, key_id=row.key_id, from_date=date(2026, 2, 1), reason=reason, by=None
        )


def test_after_a_revocation_a_new_key_may_be_generated(engine: Engine, dev_kek: str) -> None:  # noqa: F811
    maker, _ = _orgs(engine)
    row = _generate(engine, maker, date(2026, 1, 1))
    with pytest.raises(Conflict):
        _generate(engine, maker, date(2026, 2, 1))
    with UnitOfWork(engine) as uow:
        keys.revoke_key(uow=uow, key_id=row.key_id, from_date=date(2026, 2, 1), reason="r", by=None)
    new = _generate(engine, maker, date(2026, 2, 1))
    signed = _sign(engine, maker, date(2026, 2, 10), issued_on="2026-02-10")
    assert signed["key_id"] == new.key_id
    assert _verify(engine, signed).valid


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda d: {**d, "destination_country": "UZ"}, Verdict.BAD_SIGNATURE),
        (lambda d: {**d, "vin": "LGXCE4CB8P0123457"}, Verdict.BAD_SIGNATURE),
        (lambda d: {**d, "signed_on": "2026-01-31"}, Verdict.BAD_SIGNATURE),
        (lambda d: {k: v for k, v in d.items() if k != "key_id"}, Verdict.NO_KEY_ID),
        (lambda d: {**d, "key_id": "12-20260101-00000000"}, Verdict.UNKNOWN_KEY),
        (lambda d: {**d, "signature": ""}, Verdict.BAD_SIGNATURE),
    ],
)
def test_tampering_is_detected_with_its_reason(
    engine: Engine,
    dev_kek: str,  # noqa: F811
    tamper: Any,
    code: Verdict,
) -> None:
    maker, _ = _orgs(engine)
    _generate(engine, maker, date(2026, 1, 1))
    signed = _sign(engine, maker, date(2026, 2, 25))
    result = _verify(engine, tamper(signed))
    assert not result.valid
    assert result.code is code


def test_a_key_of_another_issuer_does_not_make_a_confirmation_genuine(
    engine: Engine,
    dev_kek: str,  # noqa: F811
) -> None:
    _orgs(engine)
    with UnitOfWork(engine) as uow:
        other = accounts.add_org(uow=uow, kind="manufacturer", name="另一厂", uscc=OTHER_USCC)
    _generate(engine, other.id, date(2026, 1, 1))
    forged = _sign(engine, other.id, date(2026, 2, 25))  # issuer_uscc stays MAKER_USCC
    result = _verify(engine, forged)
    assert result.code is Verdict.WRONG_ISSUER


def test_a_wrong_key_encryption_key_is_a_clear_error(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    maker, _ = _orgs(engine)
    _use_kek(monkeypatch, DEV_KEK)
    row = _generate(engine, maker, date(2026, 1, 1))
    _use_kek(monkeypatch, "another-long-enough-passphrase")
    try:
        with pytest.raises(keys.KeyEncryptionKeyError) as caught:
            _sign(engine, maker, date(2026, 2, 25))
    finally:
        get_settings.cache_clear()
    message = str(caught.value)
    assert row.key_id in message
    assert "CAREXPORT_KEY_ENCRYPTION_KEY" in message
    assert "another-long-enough-passphrase" not in message
    assert "BEGIN" not in message


@pytest.mark.parametrize("value", [None, "", "changeme", "CHANGEME-please-0000", "short-kek"])
def test_refuses_a_missing_or_placeholder_key_encryption_key(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    maker, _ = _orgs(engine)
    _use_kek(monkeypatch, value)
    try:
        with pytest.raises(keys.KeyEncryptionKeyError, match="CAREXPORT_KEY_ENCRYPTION_KEY"):
            _generate(engine, maker, date(2026, 1, 1))
    finally:
        get_settings.cache_clear()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM signing_keys")).scalar() == 0


def test_only_manufacturers_and_agencies_get_keys(engine: Engine, dev_kek: str) -> None:  # noqa: F811
    with UnitOfWork(engine) as uow:
        exporter = accounts.add_org(uow=uow, kind="exporter", name="出口公司", uscc=OTHER_USCC)
    with pytest.raises(InvalidInput):
        _generate(engine, exporter.id, date(2026, 1, 1))
    with pytest.raises(NotFound):
        _generate(engine, 9999, date(2026, 1, 1))


def test_signing_commits_nothing_and_rolls_back_with_its_caller(
    engine: Engine,
    dev_kek: str,  # noqa: F811
) -> None:
    maker, _ = _orgs(engine)
    _generate(engine, maker, date(2026, 1, 1))
    with UnitOfWork(engine) as uow:
        count = uow.session.scalar(text("SELECT count(*) FROM audit_entries"))
        keys.sign(session=uow.session, org_id=maker, document=_confirmation(), on=date(2026, 2, 1))
        assert not uow.session.new
        assert not uow.session.dirty
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(text("SELECT count(*) FROM audit_entries")) == count


def test_every_key_change_is_audited_and_the_chain_holds(engine: Engine, dev_kek: str) -> None:  # noqa: F811
    maker, _ = _orgs(engine)
    row = _generate(engine, maker, date(2026, 1, 1))
    with UnitOfWork(engine) as uow:
        new = keys.rotate_key(uow=uow, org_id=maker, valid_from=date(2026, 3, 1), by=None)
    with UnitOfWork(engine) as uow:
        keys.revoke_key(uow=uow, key_id=row.key_id, from_date=date(2026, 2, 1), reason="r", by=None)
    with UnitOfWork(engine) as uow:
        entries = audit.entries_for(
            uow.session, [("signing_key", row.key_id), ("signing_key", new.key_id)]
        )
        assert [e.verb for e in entries] == ["key.generated", "key.rotated", "key.revoked"]
        assert entries[2].payload["reason"] == "r"
        assert audit.verify(uow.session).holds
        for entry in entries:
            assert "PRIVATE" not in str(entry.payload)


def test_offline_verification_from_a_keys_file_agrees_with_the_store(
    engine: Engine,
    dev_kek: str,  # noqa: F811
) -> None:
    maker, _ = _orgs(engine)
    row = _generate(engine, maker, date(2026, 1, 1))
    good = _sign(engine, maker, date(2026, 1, 20), issued_on="2026-01-20")
    bad = _sign(engine, maker, date(2026, 2, 20), issued_on="2026-02-20")
    with UnitOfWork(engine) as uow:
        keys.revoke_key(uow=uow, key_id=row.key_id, from_date=date(2026, 2, 1), reason="r", by=None)
    with UnitOfWork(engine) as uow:
        exported = keys.keys_file(keys.published_keys(session=uow.session))
    import json

    offline = keys.read_keys_file(json.loads(json.dumps(exported)))
    for document in (good, bad):
        assert (
            keys.verify(session_or_keys=offline, document=document).code
            is _verify(engine, document).code
        )
    assert keys.verify(session_or_keys=offline, document=bad).code is Verdict.KEY_REVOKED


def test_a_user_of_another_organisation_cannot_touch_a_key(engine: Engine, dev_kek: str) -> None:  # noqa: F811
    from carexport.accounts.actor import Actor
    from carexport.accounts.enums import OrgKind, Role

    maker, agency = _orgs(engine)
    row = _generate(engine, maker, date(2026, 1, 1))
    stranger = Actor(
        user_id=1, username="r", role=Role.SENIOR_REVIEWER, org_id=agency,
        org_kind=OrgKind.AGENCY, org_name="天津市商务局", org_region="12", org_uscc=None,
    )  # fmt: skip
    with UnitOfWork(engine) as uow, pytest.raises(NotFound):
        keys.revoke_key(
            uow=uow, key_id=row.key_id, from_date=date(2026, 2, 1), reason="r", by=stranger
        )
    with UnitOfWork(engine) as uow, pytest.raises(NotFound):
        keys.rotate_key(uow=uow, org_id=maker, valid_from=date(2026, 3, 1), by=stranger)
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(SigningKey.revoked_from)) is None


def test_the_demo_stores_the_keys_its_confirmations_were_sealed_with(
    engine: Engine,
    dev_kek: str,  # noqa: F811
) -> None:
    from carexport.demo import service as demo
    from carexport.demo.people import choose_people
    from carexport.demo.world import generate_world
    from carexport.rules.near_new import seal_problem

    today = date(2026, 11, 23)
    world = generate_world(vehicles=400, seed=7, today=today)
    people = choose_people(world, today=today)
    with UnitOfWork(engine) as uow:
        demo.add_people(uow=uow, people=people)
    with UnitOfWork(engine) as uow:
        made = demo.add_signing_keys(uow=uow, world=world, people=people)
    with UnitOfWork(engine) as uow:
        assert demo.add_signing_keys(uow=uow, world=world, people=people) == 0  # idempotent
        published = {k.key_id: k for k in keys.published_keys(session=uow.session)}
        kinds = {k.org_kind for k in published.values()}
        makers = {m.uscc: m for m in world.facts.manufacturers}
        assert made == len(published) > len(makers)  # every manufacturer, and agencies
        assert kinds == {"manufacturer", "agency"}
        for key in published.values():
            if key.uscc is not None:
                assert makers[key.uscc].public_key == key.public_key
        checked = 0
        for confirmation in world.facts.confirmations:
            document = confirmation.signed_document()
            by_checker = seal_problem(confirmation, makers.get(confirmation.issuer_uscc or ""))
            by_store = keys.verify(session_or_keys=uow.session, document=document)
            # The store's verification agrees with the checker's on every confirmation,
            # the deliberately tampered ones included.
            assert by_store.valid is (by_checker is None), (confirmation.id, by_store.reason)
            checked += 1
        assert checked > 0
