"""The memo of SM2 verifications (seals.memo, docs/decisions/0032): it keeps only whether a
signature is valid over given bytes under a given key; every check that depends on the
day, the key's status or the issuer still runs on every verification."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest

from carexport.documents.keyring import PublishedKey, Verdict, make_key_id, verify_with_keys
from carexport.seals import (
    VerifyBackend,
    canonical_bytes,
    private_key_from_scalar,
    sign_document,
    using_backend,
    verify_document,
)
from carexport.seals.memo import VERIFICATIONS, VerificationMemo, memo_key

MEMOISED = True  # conftest: verify as the checker does, no backend named

ISSUER = private_key_from_scalar(0x5A17E2D0C3B4A5968778695A4B3C2D1E0F5A17E2D0C3B4A5968778695A4B3C2D)
OTHER = private_key_from_scalar(0x1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90A)
ISSUER_HEX = ISSUER.public_key().hex()
USCC = "91440300279568341Q"
SIGNED_ON = date(2026, 2, 25)


def confirmation(**changes: Any) -> dict[str, Any]:
    return {
        "id": "CF-2026-0042",
        "issuer_uscc": USCC,
        "key_id": make_key_id(USCC, date(2026, 1, 1), ISSUER_HEX),
        "vin": "LGXCE4CB8P0123456",
        "brand": "比亚迪",
        "destination_country": "KZ",
        "issued_on": SIGNED_ON.isoformat(),
        "outlets": [{"name": "阿拉木图服务中心", "country": "KZ"}],
        "revoked": False,
        **changes,
    }


@pytest.fixture(autouse=True)
def empty_memo() -> Iterator[None]:
    VERIFICATIONS.clear()
    yield
    VERIFICATIONS.clear()


def test_a_second_verification_of_the_same_seal_is_answered_from_the_memo() -> None:
    sealed = sign_document(confirmation(), ISSUER)
    assert verify_document(sealed, ISSUER_HEX) is None
    assert verify_document(dict(sealed), ISSUER_HEX) is None
    stats = VERIFICATIONS.stats()
    assert (stats.misses, stats.hits, stats.entries) == (1, 1, 1)


@pytest.mark.parametrize(
    ("field", "value"), [("destination_country", "RU"), ("revoked", True), ("extra", "x")]
)
def test_a_document_altered_after_a_memoised_verification_does_not_verify(
    field: str, value: object
) -> None:
    sealed = sign_document(confirmation(), ISSUER)
    assert verify_document(sealed, ISSUER_HEX) is None
    assert verify_document({**sealed, field: value}, ISSUER_HEX) == "signature does not verify"
    assert VERIFICATIONS.stats().hits == 0


def test_a_memoised_signature_does_not_verify_under_another_key() -> None:
    sealed = sign_document(confirmation(), ISSUER)
    assert verify_document(sealed, ISSUER_HEX) is None
    other = OTHER.public_key().hex()
    assert verify_document(sealed, other) == "signature does not verify"
    assert verify_document(sealed, other) == "signature does not verify"  # memoised: still no
    assert VERIFICATIONS.stats().hits == 1


def test_another_signature_over_the_same_bytes_is_verified_on_its_own() -> None:
    sealed = sign_document(confirmation(), ISSUER)
    again = sign_document(confirmation(), ISSUER)  # SM2 signing is randomised
    assert again["signature"] != sealed["signature"]
    assert verify_document(sealed, ISSUER_HEX) is None
    assert verify_document(again, ISSUER_HEX) is None
    assert VERIFICATIONS.stats().misses == 2


def test_a_named_backend_computes_every_answer_itself() -> None:
    sealed = sign_document(confirmation(), ISSUER)
    for backend in VerifyBackend:
        with using_backend(backend):
            assert verify_document(sealed, ISSUER_HEX) is None
    assert VERIFICATIONS.stats().entries == 0


def _key(**dates: date | None) -> PublishedKey:
    return PublishedKey(
        key_id=make_key_id(USCC, date(2026, 1, 1), ISSUER_HEX),
        org_name="比亚迪汽车工业有限公司",
        org_kind="manufacturer",
        uscc=USCC,
        region=None,
        public_key=ISSUER_HEX,
        valid_from=dates.get("valid_from") or date(2026, 1, 1),
        valid_to=dates.get("valid_to"),
        revoked_from=dates.get("revoked_from"),
    )


@pytest.mark.parametrize(
    ("key", "verdict"),
    [
        (_key(revoked_from=SIGNED_ON), Verdict.KEY_REVOKED),
        (_key(revoked_from=date(2026, 1, 2)), Verdict.KEY_REVOKED),
        (_key(valid_to=date(2026, 2, 24)), Verdict.KEY_REPLACED),
        (_key(valid_from=date(2026, 2, 26)), Verdict.NOT_YET_VALID),
        (_key(revoked_from=date(2026, 2, 26)), Verdict.VALID),  # signed before the revocation
    ],
    ids=["revoked-that-day", "revoked-before", "expired", "not-yet-valid", "revoked-after"],
)
def test_a_revoked_or_expired_key_fails_with_a_memoised_good_signature(
    key: PublishedKey, verdict: Verdict
) -> None:
    sealed = sign_document(confirmation(), ISSUER)
    assert verify_with_keys(keys=[_key()], document=sealed).code is Verdict.VALID
    result = verify_with_keys(keys=[key], document=sealed)
    assert result.code is verdict
    assert VERIFICATIONS.stats().hits == 1  # the signature itself came from the memo


def test_a_memoised_good_signature_by_another_issuers_key_is_the_wrong_issuer() -> None:
    sealed = sign_document(confirmation(), ISSUER)
    assert verify_with_keys(keys=[_key()], document=sealed).code is Verdict.VALID
    foreign = PublishedKey(**{**_key().__dict__, "uscc": "91110000100000000A"})
    assert verify_with_keys(keys=[foreign], document=sealed).code is Verdict.WRONG_ISSUER
    assert VERIFICATIONS.stats().hits == 1


def test_the_memo_keeps_at_most_its_bound_and_forgets_the_least_recently_used() -> None:
    memo = VerificationMemo(max_entries=3)
    calls: list[bytes] = []

    def verify(signature: bytes, message: bytes) -> bool:
        calls.append(message)
        return message.startswith(b"good")

    point = bytes.fromhex(ISSUER_HEX)
    for message in (b"good 1", b"bad 2", b"good 3"):
        memo.verified(point, b"sig", message, verify)
    assert memo.verified(point, b"sig", b"good 1", verify) is True  # now most recent
    assert memo.verified(point, b"sig", b"good 4", verify) is True  # evicts "bad 2"
    assert memo.stats().entries == 3
    assert memo.verified(point, b"sig", b"bad 2", verify) is False  # verified again
    assert memo.verified(point, b"sig", b"good 1", verify) is True
    assert calls == [b"good 1", b"bad 2", b"good 3", b"good 4", b"bad 2"]


def test_the_memo_key_separates_its_parts() -> None:
    # Moving bytes from one part to the next must give another key.
    point = bytes.fromhex(ISSUER_HEX)
    assert memo_key(point, b"ab", b"c") != memo_key(point, b"a", b"bc")
    assert memo_key(point, b"", b"x") != memo_key(point, b"x", b"")


def test_threads_verifying_at_once_get_every_answer_right() -> None:
    documents = [sign_document(confirmation(id=f"CF-2026-{n:04d}"), ISSUER) for n in range(8)]
    forged = [{**d, "brand": "别的"} for d in documents]
    work = [(d, None) for d in documents] + [(f, "signature does not verify") for f in forged]

    def check(item: tuple[dict[str, Any], str | None]) -> bool:
        document, expected = item
        return verify_document(document, ISSUER_HEX) == expected

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(check, work * 25))
    assert all(answers)
    stats = VERIFICATIONS.stats()
    assert stats.hits + stats.misses == len(answers)
    assert stats.entries == len(work)


def test_an_entry_costs_well_under_two_hundred_bytes() -> None:
    # ADR 0032 sizes the default bound from this: about 150 bytes an entry.
    memo = VerificationMemo(max_entries=20_000)
    point = bytes.fromhex(ISSUER_HEX)
    message = canonical_bytes(confirmation())
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(20_000):
            memo.verified(point, n.to_bytes(72, "big"), message, lambda s, m: True)
        per_entry = (tracemalloc.get_traced_memory()[0] - before) / 20_000
    finally:
        tracemalloc.stop()
    assert 32 < per_entry < 200, per_entry
