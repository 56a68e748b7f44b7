"""canonical_bytes' fast path (orjson) writes exactly the bytes of the RFC 8785 reference
implementation, and leaves to it whatever it cannot write the same way."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from carexport.seals import UnsignableDocument, canonical_bytes
from carexport.seals.canonical import _plain

BACKEND_INDEPENDENT = True  # no signature here: run once, not once per verify backend

# Characters where JSON writers disagree: controls, quote, backslash, DEL, the ends of
# the BMP around the surrogates and private use area, and astral characters.
TRICKY = st.sampled_from(
    ["\x00", "\x1f", "\b", "\f", "\n", "\r", "\t", '"', "\\", "/", "\x7f", "\u2028",
     "\ud7ff", "\ue000", "\uffff", "\U00010000", "\U0001f600", "é", "中"]
)  # fmt: skip
TEXT = st.lists(st.one_of(TRICKY, st.characters(exclude_categories=["Cs"])), max_size=8).map(
    "".join
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) - 2, max_value=2**53 + 2),
    st.sampled_from([0, -1, 2**53 - 1, -(2**53 - 1), 2**53, -(2**53)]),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=20,
)


def _reference(document: dict[str, Any]) -> bytes | type[Exception]:
    try:
        return rfc8785.dumps(document)
    except Exception as exc:  # the reference's refusal is what must be matched
        return type(exc)


@settings(max_examples=800, deadline=None)
@given(st.dictionaries(TEXT, JSON, max_size=6))
def test_writes_the_bytes_of_the_reference_or_refuses_as_it_does(
    document: dict[str, Any],
) -> None:
    expected = _reference(document)
    if isinstance(expected, bytes):
        assert canonical_bytes(document) == expected
    else:
        with pytest.raises(UnsignableDocument):
            canonical_bytes(document)


def test_orders_keys_beyond_the_bmp_by_utf16_code_units() -> None:
    # U+10000 is D800 DC00 in UTF-16, before U+E000; in code points it is after.
    document = {"\ue000": 1, "\U00010000": 2}
    assert not _plain(document)
    assert canonical_bytes(document) == rfc8785.dumps(document)
    assert canonical_bytes(document).index("\U00010000".encode()) < canonical_bytes(document).index(
        "\ue000".encode()
    )


@pytest.mark.parametrize(
    "document",
    [
        {"n": 1.5},
        {"n": 2**53},
        {"n": True, "m": [1, {"k": None}]},
        {"s": "\ud800"},
    ],
)
def test_the_fast_path_and_the_reference_agree_on_edges(document: dict[str, Any]) -> None:
    expected = _reference(document)
    if isinstance(expected, bytes):
        assert canonical_bytes(document) == expected
    else:
        with pytest.raises(UnsignableDocument):
            canonical_bytes(document)


def test_a_cyclic_document_is_refused_not_looped_over() -> None:
    looped: list[Any] = []
    looped.append(looped)
    with pytest.raises(UnsignableDocument):
        canonical_bytes({"a": looped})


def test_nesting_deeper_than_orjson_writes_goes_to_the_reference() -> None:
    # orjson stops at 255 levels; the reference writes them.
    deep: list[Any] = []
    for _ in range(300):
        deep = [deep]
    document = {"a": deep}
    assert canonical_bytes(document) == rfc8785.dumps(document)
