"""Properties of text and identifier matching over Unicode."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from carexport.domain.text import normalize_identifier, normalize_text, text_matches


def to_full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(st.text())
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1))
def test_full_width_letters_match_half_width(text: str) -> None:
    assert text_matches(to_full_width(text), text)
    assert normalize_identifier(to_full_width(text)) == normalize_identifier(text)


@given(st.text(min_size=1), st.text(alphabet=" \t\u3000", max_size=3))
def test_surrounding_whitespace_is_ignored(text: str, pad: str) -> None:
    assert normalize_text(pad + text + pad) == normalize_text(text)


@given(st.text())
def test_only_none_is_absent(text: str) -> None:
    assert normalize_text(text) is not None
    assert normalize_text(None) is None
    assert not text_matches(None, text)


def test_brand_aliases_do_not_match() -> None:
    assert not text_matches("比亚迪", "BYD")
    assert text_matches("Byd  Qin", "BYD QIN")
    assert unicodedata.normalize("NFKC", "Ｑ") == "Q"
