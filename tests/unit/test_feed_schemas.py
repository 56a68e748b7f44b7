"""Feed row validation (no database)."""

from __future__ import annotations

import random

from carexport.domain.vin import vin_problem, with_check_digit
from carexport.feeds.schemas import _vin_problem

ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def test_fast_vin_check_agrees_with_the_domain() -> None:
    rnd = random.Random(7)
    for _ in range(5000):
        vin = "".join(rnd.choice(ALPHABET + "IOQ") for _ in range(rnd.choice([16, 17, 17, 18])))
        assert _vin_problem(vin) == vin_problem(vin), vin
        if len(vin) == 17 and not set(vin) & set("IOQ"):
            fixed = with_check_digit(vin)
            assert _vin_problem(fixed) is None
