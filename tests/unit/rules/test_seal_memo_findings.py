"""The checker with the memo of SM2 verifications (seals.memo, ADR 0032): a seal verified
before is not verified again, and every finding that depends on anything but the
signature's bytes — the issuer's key in the facts (none for a revoked key, another after
a rotation), the confirmation's revocation, its date against the application's — is
still decided on each check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.rules.evaluate import evaluate
from carexport.seals.memo import VERIFICATIONS
from tests.rules.scenario import build, public_hex

NEAR_NEW = {
    "application.vehicles[0].registration_date": "2025-09-11",
    "facts.registrations[0].registration_date": "2025-09-11",
    "application.vehicles[0].confirmation_id": "CF-2026-0001",
}


@pytest.fixture(autouse=True)
def empty_memo() -> Iterator[None]:
    VERIFICATIONS.clear()
    yield
    VERIFICATIONS.clear()


def _check(app_doc: dict[str, Any], facts_doc: dict[str, Any]) -> dict[str, Any]:
    application = Application.model_validate_json(json.dumps(app_doc, ensure_ascii=False))
    facts = Facts.model_validate_json(json.dumps(facts_doc, ensure_ascii=False))
    return evaluate(application, facts).as_json()


def _findings(verdict: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["rule"]: f["facts"] for f in verdict["vehicles"][0]["findings"]}


def _checked_once(extra: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A near-new vehicle's application and facts whose seal the memo now holds as good."""
    app_doc, facts_doc = build({"set": {**NEAR_NEW, **(extra or {})}})
    assert "N180.SEAL_INVALID" not in _findings(_check(app_doc, facts_doc))
    assert VERIFICATIONS.stats().misses == 1
    return app_doc, facts_doc


def test_a_second_check_gives_the_same_verdict_from_the_memo() -> None:
    app_doc, facts_doc = _checked_once()
    first = _check(app_doc, facts_doc)
    assert _check(app_doc, facts_doc) == first
    assert first["decision"] == "pass"
    assert VERIFICATIONS.stats().misses == 1
    assert VERIFICATIONS.stats().hits == 2


def test_an_issuer_without_a_key_fails_the_seal_after_a_memoised_good_one() -> None:
    # What the workflow's facts give for a key revoked (or not valid) on the signing
    # day: no public_key for the issuer (feeds.service.checker_keys).
    app_doc, facts_doc = _checked_once()
    facts_doc["manufacturers"][0]["public_key"] = None
    found = _findings(_check(app_doc, facts_doc))
    assert found["N180.SEAL_INVALID"]["reason"] == "issuer has no public key"


def test_a_memoised_good_seal_fails_under_the_key_the_facts_now_give_the_issuer() -> None:
    app_doc, facts_doc = _checked_once()
    facts_doc["manufacturers"][0]["public_key"] = public_hex("sales")
    found = _findings(_check(app_doc, facts_doc))
    assert found["N180.SEAL_INVALID"]["reason"] == "signature does not verify"


def test_a_memoised_good_seal_from_an_unknown_issuer_is_not_accepted() -> None:
    app_doc, facts_doc = _checked_once()
    facts_doc["manufacturers"] = []
    found = _findings(_check(app_doc, facts_doc))
    assert found["N180.SEAL_INVALID"]["reason"] == "issuer unknown: no public key"


def test_a_revoked_confirmation_with_a_good_seal_is_refused_on_every_check() -> None:
    app_doc, facts_doc = _checked_once({"facts.confirmations[0].revoked": True})
    for _ in range(2):
        found = _findings(_check(app_doc, facts_doc))
        assert found["N180.CONFIRMATION_REVOKED"]["revoked"] is True
        assert "N180.SEAL_INVALID" not in found
    assert VERIFICATIONS.stats().hits == 2


def test_the_same_sealed_confirmation_is_judged_against_each_applications_date() -> None:
    app_doc, facts_doc = _checked_once()
    app_doc["submitted_on"] = "2026-02-24"  # the day before the confirmation was issued
    app_doc["vehicles"][0]["registration_date"] = "2025-09-01"
    facts_doc["registrations"][0]["registration_date"] = "2025-09-01"
    found = _findings(_check(app_doc, facts_doc))
    assert found["N180.CONFIRMATION_REVOKED"]["issued_on"] == "2026-02-25"
    assert "N180.SEAL_INVALID" not in found
    assert VERIFICATIONS.stats().hits >= 1
