"""VIN, USCC and country identifiers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from carexport.domain.country import country_code
from carexport.domain.uscc import is_valid_uscc, uscc_check_character
from carexport.domain.vin import check_digit, vin_problem


@pytest.mark.parametrize(
    "vin",
    [
        "1M8GDM9AXKP042788",  # the ISO 3779 / NHTSA worked example
        "LGXCE4CB9P0123456",
        "11111111111111111",  # every weight times 1: sum 89 → 1
    ],
)
def test_accepts_vins_with_right_check_digit(vin: str) -> None:
    assert vin_problem(vin) is None


def test_check_digit_ten_is_written_x() -> None:
    assert check_digit("1M8GDM9A0KP042788") == "X"


@pytest.mark.parametrize(
    ("vin", "problem"),
    [
        ("1M8GDM9A1KP042788", "check_digit"),
        ("1M8GDM9AXKP04278", "format"),
        ("1M8GDM9AXKP0427888", "format"),
        ("1M8GDM9AXKPO42788", "format"),
        ("", "format"),
        ("ＬＧＸＣＥ４ＣＢ９Ｐ０１２３４５６", "format"),
    ],
)
def test_refuses_malformed_vins(vin: str, problem: str) -> None:
    assert vin_problem(vin) == problem


USCC_STEM_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@given(
    st.text(alphabet="123456789", min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=USCC_STEM_ALPHABET, min_size=9, max_size=9),
)
def test_generated_uscc_check_character_agrees_with_stdnum(
    head: str, region: str, body: str
) -> None:
    stem = head + region + body
    code = stem + uscc_check_character(stem)
    assert is_valid_uscc(code) == bool(stdnum_uscc.is_valid(code))
    assert is_valid_uscc(code)


def test_refuses_uscc_with_wrong_check_character() -> None:
    assert is_valid_uscc("91120116MA06XJ8K4G")
    assert not is_valid_uscc("91120116MA06XJ8K4H")
    assert not is_valid_uscc("91120116MA06XJ8K4")


@pytest.mark.parametrize(("given_code", "code"), [("KZ", "KZ"), (" kz ", "KZ"), ("ＲＵ", "RU")])
def test_recognises_iso_countries(given_code: str, code: str) -> None:
    assert country_code(given_code) == code


@pytest.mark.parametrize("value", ["XX", "KAZ", "", None, "EU"])
def test_refuses_non_iso_countries(value: str | None) -> None:
    assert country_code(value) is None
