"""Resident ID numbers: the check character decides, one changed character is refused,
and what is stored is a keyed hash and a masked form, never the number."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from carexport.domain.person_id import (
    TOKEN_PREFIX,
    compact,
    id_problem,
    is_token,
    mask,
    protect,
    token,
)

KEY = b"unit-test-person-id-key"
# County codes (GB/T 2260) that existed over the whole range: 东城区, 西城区, 和平区 (天津), 黄浦区
REGIONS = ["110101", "110102", "120101", "310101"]


def with_check(stem: str) -> str:
    return stem + ric.calc_check_digit(stem + "0")


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(REGIONS))
    born = date(1950, 1, 1) + timedelta(days=draw(st.integers(0, 365 * 55)))
    order = draw(st.integers(0, 999))
    return with_check(f"{region}{born:%Y%m%d}{order:03d}")


@given(resident_ids())
def test_accepts_every_number_with_its_check_character(number: str) -> None:
    assert id_problem(number) is None
    assert id_problem(number.lower()) is None  # a lower-case x is the same number


@given(resident_ids(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_refuses_a_number_with_one_character_changed(number: str, at: int, char: str) -> None:
    changed = number[:at] + char + number[at + 1 :]
    if changed == number:
        return
    # ISO 7064 MOD 11-2 catches every single substitution; a change in the date or the
    # region may be caught earlier, as an invalid date or region: refused all the same.
    assert id_problem(changed) is not None


def test_says_what_is_wrong() -> None:
    assert "18" in (id_problem("11010119800101001") or "")
    assert "check character" in (id_problem("110101198001010011") or "")
    assert "digits" in (id_problem("11010A198001010010") or "")


@given(resident_ids())
def test_stores_a_keyed_hash_and_a_mask_never_the_number(number: str) -> None:
    kept = protect(number, KEY)
    assert number not in kept.token
    assert number[6:14] not in kept.token
    assert kept.token.startswith(TOKEN_PREFIX)
    assert is_token(kept.token)
    assert kept.masked == number[:4] + "*" * 10 + number[-4:]
    # The same number under the same key is the same person; another key, another token.
    assert protect(f" {number.lower()} ", KEY).token == kept.token
    assert token(number, b"another-key-entirely") != kept.token


def test_a_token_is_kept_as_it_is_with_its_label() -> None:
    kept = protect("110101198001010010", KEY)
    again = protect(kept.token, KEY, kept.masked)
    assert again == kept
    assert protect(kept.token, KEY).masked == "*" * 18


def test_masks_and_compacts_what_a_sheet_gives() -> None:
    assert compact("１１０１０１ 19800101001x") == "11010119800101001X"
    assert mask("110101198001010010") == "1101**********0010"
    assert mask("1234") == "****"
