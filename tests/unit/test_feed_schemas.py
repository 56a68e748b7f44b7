"""Feed row validation (no database): the one VIN check and the generated row schemas."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from carexport.domain.vin import check_digit, vin_problem, with_check_digit
from carexport.feeds.schemas import FEEDS

ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def reference_problem(vin: str) -> str | None:
    """The rule as GB 16735 states it, written plainly (the domain's is written for speed)."""
    if len(vin) != 17 or any(c not in ALPHABET for c in vin):
        return "format"
    return None if vin[8] == check_digit(vin) else "check_digit"


def test_the_fast_vin_check_agrees_with_the_plain_rule() -> None:
    rnd = random.Random(7)
    for _ in range(5000):
        vin = "".join(rnd.choice(ALPHABET + "IOQa") for _ in range(rnd.choice([16, 17, 17, 18])))
        assert vin_problem(vin) == reference_problem(vin), vin
        if len(vin) == 17 and not set(vin) & set("IOQa"):
            assert vin_problem(with_check_digit(vin)) is None


def test_registration_rows_take_the_domain_vin_check() -> None:
    schema = FEEDS["registrations"].schema
    good = with_check_digit("LGXCE4CB0N0000001")
    assert schema.model_validate({"vin": f" {good.lower()} "}).model_dump()["vin"] == good
    wrong = good[:8] + ("0" if good[8] != "0" else "1") + good[9:]
    with pytest.raises(ValidationError, match="check digit wrong"):
        schema.model_validate({"vin": wrong})


def test_every_feed_requires_exactly_its_declared_required_fields() -> None:
    for feed in FEEDS.values():
        required = {n for n, f in feed.schema.model_fields.items() if f.is_required()}
        assert required == set(feed.required()), feed.kind


def test_refuses_a_validity_that_ends_before_it_starts() -> None:
    schema = FEEDS["filings"].schema
    with pytest.raises(ValidationError, match="ends before it starts"):
        schema.model_validate(
            {"enterprise_uscc": "91110000100000000X", "valid_from": "2026-02-01",
             "valid_to": "2026-01-01"}
        )  # fmt: skip
