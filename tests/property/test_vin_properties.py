"""Properties of the VIN check (GB 16735 / ISO 3779) over generated VINs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from carexport.domain.vin import check_digit, vin_problem, with_check_digit

VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
vins = st.text(alphabet=VIN_ALPHABET, min_size=17, max_size=17)


@given(vins)
def test_a_vin_with_its_check_digit_is_valid(vin: str) -> None:
    assert vin_problem(with_check_digit(vin)) is None


@given(vins, st.integers(min_value=0, max_value=16), st.sampled_from(VIN_ALPHABET))
def test_changing_one_weighted_character_breaks_the_check(vin: str, pos: int, char: str) -> None:
    valid = with_check_digit(vin)
    changed = valid[:pos] + char + valid[pos + 1 :]
    if pos == 8 or changed == valid:
        return
    # Position weights are non-zero mod 11 everywhere but position 9, and letters that
    # share a transliterated value (A and J, say) legitimately keep the same digit.
    if check_digit(changed) == check_digit(valid):
        assert vin_problem(changed) is None
    else:
        assert vin_problem(changed) == "check_digit"


@given(vins)
def test_lower_case_is_never_valid_as_given(vin: str) -> None:
    lowered = with_check_digit(vin).lower()
    if lowered != with_check_digit(vin):
        assert vin_problem(lowered) == "format"


@given(st.text(max_size=20))
def test_any_text_is_judged_without_error(text: str) -> None:
    assert vin_problem(text) in (None, "format", "check_digit")


@given(vins, st.sampled_from("IOQ"), st.integers(min_value=0, max_value=16))
def test_i_o_and_q_are_never_valid(vin: str, letter: str, pos: int) -> None:
    assert vin_problem(vin[:pos] + letter + vin[pos + 1 :]) == "format"
