"""ISO 3166-1 countries, from pycountry."""

from __future__ import annotations

from functools import cache

import pycountry

from carexport.domain.text import normalize_identifier


@cache
def _alpha2_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


def country_code(value: str | None) -> str | None:
    """The alpha-2 code when `value` is one (after identifier normalisation), else None."""
    code = normalize_identifier(value)
    return code if code is not None and code in _alpha2_codes() else None


def country_name(code: str) -> str:
    """English short name, for messages and pages; the code itself when unknown."""
    country = pycountry.countries.get(alpha_2=code)
    return str(country.name) if country is not None else code
